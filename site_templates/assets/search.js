/* labml-docs search: the box in the header of every page.
 *
 * The index is Pagefind's, built with the site in shards (pagefind/ at the top of the site, see
 * labml_docs/search.py); this script loads its API, pagefind/pagefind.js, from the site itself
 * the first time the box is used, and merges the shards that pagefind/shards.json lists:
 * nothing comes from another host. Results come as the reader types: the page's title, the
 * heading of the note, a snippet with the match marked; each links to the section
 * (page.html#section-N) where the first match is. Identifiers (classes, functions, methods) are
 * words at the end of their page's record, each in an element whose id says what it is and
 * where it is defined ("class:section-7:AMSGrad"): a match there is shown as a result of its
 * own, that links to the definition.
 *
 * Keyboard: "/" focuses the box, the arrows move through the results, Enter opens one, Escape
 * closes the list (and, a second time, leaves the box).
 */
(function () {
  'use strict';
  var box = document.querySelector('.site-search');
  if (!box) return;
  var input = box.querySelector('input');
  var list = box.querySelector('.search-results');
  var root = box.getAttribute('data-root') || '';
  var api = null;
  var active = -1;
  var SECTION = /^section-\d+$/;
  var HEADING = /^h[1-6]$/i;
  var DEFINITION = /^(class|function|method):(section-\d+):(.+)$/;
  var PER_PAGE = 3;  // identifiers shown for one page
  var EXCERPT = 24;  // words of a snippet

  // Pagefind's API, and the index: shard 0 beside the API, the other shards (pagefind/shards.json)
  // merged into it.
  function load() {
    if (!api) {
      var base = new URL(root + 'pagefind/', document.baseURI).href;
      api = import(base + 'pagefind.js').then(function (pf) {
        return pf.options({ excerptLength: EXCERPT }).then(function () {
          return fetch(base + 'shards.json');
        }).then(function (r) { return r.json(); }).then(function (manifest) {
          return Promise.all(manifest.shards.map(function (shard) {
            return pf.mergeIndex(base + shard).catch(function (e) {  // the others still serve
              console.warn('search: cannot open ' + shard, e);
            });
          }));
        }).then(function () { return pf; });
      });
      api.catch(function () { api = null; });  // tried again at the next key
    }
    return api;
  }

  // The anchor (an element with an id) last before word `location`.
  function before(anchors, location, test) {
    var found = null;
    (anchors || []).forEach(function (a) {
      if (a.location <= location && test(a)) found = a;
    });
    return found;
  }

  // Where in the page the snippet is: the first match of the window of EXCERPT words that
  // Pagefind shows, the one where the matches weigh most (Pagefind's own choice, its
  // `calculate_excerpt_region`, done again here: the result gives the window's words, not
  // where it starts). The link and the heading are those of that match.
  function focus(matches) {
    if (!matches.length) return null;
    var words = [];
    matches.forEach(function (m) { words[m.location] = (words[m.location] || 0) + m.balanced_score; });
    var start = 0;
    if (words.length > EXCERPT) {
      var sum = 0, best, at = [0];
      for (var i = 0; i < EXCERPT; i++) sum += words[i] || 0;
      best = sum;
      for (i = 0; i < words.length; i++) {
        sum += (words[i + EXCERPT] || 0) - (words[i] || 0);
        if (sum > best) { best = sum; at = [i]; }
        else if (sum === best && at[at.length - 1] === i - 1) at.push(i);
      }
      start = at[Math.floor(at.length / 2)];
    }
    var inside = matches.map(function (m) { return m.location; })
      .filter(function (l) { return l >= start; });
    return inside.length ? Math.min.apply(null, inside) : matches[0].location;
  }

  // The identifiers of a page that the matches are in, the best first, and the matches in
  // its notes. An identifier's words run from its anchor to the next anchor.
  function split(data) {
    var anchors = data.anchors || [];
    var defs = [];
    anchors.forEach(function (a, i) {
      var m = DEFINITION.exec(a.id);
      if (m) {
        var next = anchors[i + 1];
        defs.push({ kind: m[1], section: m[2], name: m[3], from: a.location,
                    to: next ? next.location : Infinity, score: 0 });
      }
    });
    var notes = [];
    (data.weighted_locations || []).forEach(function (m) {
      var hit = null;
      defs.forEach(function (d) { if (m.location >= d.from && m.location < d.to) hit = d; });
      if (hit) hit.score += m.balanced_score; else notes.push(m);
    });
    var found = defs.filter(function (d) { return d.score > 0; });
    found.sort(function (a, b) { return b.score - a.score || a.from - b.from; });
    return { identifiers: found.slice(0, PER_PAGE), notes: notes };
  }

  function url(data) {
    var u = data.raw_url || data.url;
    return u.charAt(0) === '/' ? u.slice(1) : u;
  }

  function link(data, at) {
    var u = url(data);
    if (u.indexOf('#') >= 0 || at === null) return root + u;
    var section = before(data.anchors, at, function (a) { return SECTION.test(a.id); });
    return root + u + (section ? '#' + section.id : '');
  }

  function heading(data, at) {
    if (at === null) return '';
    var h = before(data.anchors, at, function (a) { return HEADING.test(a.element); });
    return h && h.text && h.text !== data.meta.title ? h.text : '';
  }

  function entry(href, title, sub, snippet) {
    var li = document.createElement('li');
    li.setAttribute('role', 'option');
    var a = document.createElement('a');
    a.href = href;
    var t = document.createElement('span');
    t.className = 'search-title';
    t.textContent = title;
    a.appendChild(t);
    if (sub) {
      var s = document.createElement('span');
      s.className = 'search-heading';
      s.textContent = sub;
      a.appendChild(s);
    }
    if (snippet !== null) {
      var p = document.createElement('span');
      p.className = 'search-snippet';
      p.innerHTML = snippet;  // Pagefind's text, escaped, with <mark> around matches
      a.appendChild(p);
    } else {
      li.className = 'search-identifier';
    }
    li.appendChild(a);
    return li;
  }

  // The results of one page: an entry for each identifier the matches are in, then one for
  // its notes (if they match too).
  function items(data) {
    var parts = split(data);
    var module = data.meta.module ? data.meta.module + '.' : '';
    var out = parts.identifiers.map(function (d) {
      return entry(root + url(data).split('#')[0] + '#' + d.section, d.name,
                   d.kind + ' ' + module + d.name, null);
    });
    if (parts.notes.length || !out.length) {
      var at = focus(parts.notes);
      out.push(entry(link(data, at), data.meta.title || data.url, heading(data, at), data.excerpt));
    }
    return out;
  }

  // The list shown or hidden, and said so to assistive technology (the box is a combobox).
  function open(yes) {
    list.hidden = !yes;
    input.setAttribute('aria-expanded', yes ? 'true' : 'false');
    if (!yes) input.removeAttribute('aria-activedescendant');
  }

  function show(items, message) {
    list.innerHTML = '';
    active = -1;
    input.removeAttribute('aria-activedescendant');
    items.forEach(function (li) { list.appendChild(li); });
    if (!items.length && input.value.trim()) {
      var none = document.createElement('li');
      none.className = 'search-none';
      none.textContent = message || 'No results';
      list.appendChild(none);
    }
    open(items.length > 0 || !!input.value.trim());
  }

  function move(step) {
    var items = list.querySelectorAll('li[role=option]');
    if (!items.length) return;
    if (active >= 0) items[active].removeAttribute('aria-selected');
    active = (active + step + items.length) % items.length;
    items[active].setAttribute('aria-selected', 'true');
    input.setAttribute('aria-activedescendant', items[active].id);
    items[active].scrollIntoView({ block: 'nearest' });
  }

  var latest = 0;
  function run() {
    var query = input.value.trim();
    var n = ++latest;
    if (!query) { show([]); open(false); return; }
    // Results in the page's language only (a translated edition searches its own notes).
    var filters = { lang: document.documentElement.lang || 'en' };
    load().then(function (pf) { return pf.debouncedSearch(query, { filters: filters }, 120); }).then(function (search) {
      if (!search || n !== latest) return null;
      return Promise.all(search.results.slice(0, 10).map(function (r) { return r.data(); }));
    }).then(function (datas) {
      if (!datas || n !== latest) return;
      var all = [];
      datas.forEach(function (data) { all = all.concat(items(data)); });
      all = all.slice(0, 10);
      all.forEach(function (li, i) { li.id = 'search-result-' + i; });
      show(all);
    }).catch(function (e) {
      // Pages opened as files cannot load the index (browsers allow no module or fetch there).
      show([], location.protocol === 'file:' ? 'Search needs the site served over HTTP'
                                             : 'Search is unavailable');
      console.error('search:', e);
    });
  }

  input.addEventListener('input', run);
  input.addEventListener('focus', function () {
    if (location.protocol !== 'file:') load();
    if (input.value.trim()) open(true);
  });
  input.addEventListener('keydown', function (e) {
    if (e.key === 'ArrowDown') { e.preventDefault(); move(1); }
    else if (e.key === 'ArrowUp') { e.preventDefault(); move(-1); }
    else if (e.key === 'Enter') {
      var items = list.querySelectorAll('li[role=option] a');
      var target = items[active >= 0 ? active : 0];
      if (target) { e.preventDefault(); window.location.href = target.href; }
    } else if (e.key === 'Escape') {
      e.stopPropagation();
      if (!list.hidden) open(false); else input.blur();
    }
  });
  document.addEventListener('keydown', function (e) {
    var t = e.target;
    var typing = t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.isContentEditable);
    if (e.key === '/' && !typing && !e.ctrlKey && !e.metaKey && !e.altKey) {
      e.preventDefault();
      input.focus();
      input.select();
    }
  });
  document.addEventListener('click', function (e) {
    if (!box.contains(e.target)) open(false);
  });
  // A result on this same page: the hash changes and the browser scrolls to the section; the
  // list closes so that the reader sees it.
  window.addEventListener('hashchange', function () { open(false); input.blur(); });
})();
