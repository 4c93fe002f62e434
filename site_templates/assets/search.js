/* labml-docs search: the box in the header of every page.
 *
 * The index is Pagefind's, built with the site in shards (pagefind/ at the top of the site, see
 * labml_docs/search.py); this script loads its API, pagefind/pagefind.js, from the site itself
 * the first time the box is used, and merges the shards that pagefind/shards.json lists:
 * nothing comes from another host. Results come as the reader types: the page's title, the
 * heading of the note, a snippet with the match marked; each links to the section
 * (page.html#section-N) where the first match is. Identifiers (classes, functions) link to
 * their definition.
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
  function focus(data) {
    var matches = data.weighted_locations || [];
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

  function link(data) {
    var url = data.raw_url || data.url;
    if (url.charAt(0) === '/') url = url.slice(1);
    var at = focus(data);
    if (url.indexOf('#') >= 0 || at === null) return root + url;
    var section = before(data.anchors, at, function (a) { return SECTION.test(a.id); });
    return root + url + (section ? '#' + section.id : '');
  }

  function heading(data) {
    var at = focus(data);
    if (at === null) return '';
    var h = before(data.anchors, at, function (a) { return HEADING.test(a.element); });
    return h && h.text && h.text !== data.meta.title ? h.text : '';
  }

  function item(data, n) {
    var li = document.createElement('li');
    li.setAttribute('role', 'option');
    li.id = 'search-result-' + n;
    var a = document.createElement('a');
    a.href = link(data);
    var title = document.createElement('span');
    title.className = 'search-title';
    title.textContent = data.meta.title || data.url;
    a.appendChild(title);
    var kind = data.meta.kind;
    var sub = document.createElement('span');
    sub.className = 'search-heading';
    sub.textContent = kind ? kind + ' ' + (data.meta.qualname || '') : heading(data);
    if (sub.textContent) a.appendChild(sub);
    if (!kind) {
      var snippet = document.createElement('span');
      snippet.className = 'search-snippet';
      snippet.innerHTML = data.excerpt;  // Pagefind's text, escaped, with <mark> around matches
      a.appendChild(snippet);
    }
    if (kind) li.className = 'search-identifier';
    li.appendChild(a);
    return li;
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
      if (datas && n === latest) show(datas.map(item));
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
