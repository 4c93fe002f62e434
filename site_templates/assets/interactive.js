/* labml-docs page script.
 *
 * - Click an identifier in the code: every use of the same name on the page gets the class
 *   "highlighted" and <body> gets "hl-active" (the stylesheet dims the rest of the code).
 *   Click it again, click elsewhere or press Escape to clear. A name inside a.xref still follows
 *   its link.
 * - Click a coloured equation term (.coloredeq.eqX): every element of the same term (its own
 *   class: eqa, eqb, ... eqba; eq-cN is only its colour, shared with other terms) gets
 *   "eq-selected" and <body> gets "eq-active". Again, elsewhere or Escape clears.
 * - Click an image of the notes: it opens in a modal dialog (.img-modal). Click or Escape closes.
 * - A figure too wide for the notes grows into the code column where that is empty beside it
 *   (.wide-figure), so that the labels of a plot stay readable.
 * - Keyboard: code blocks and display equations are focusable. Enter or Space selects the first
 *   identifier / term, the arrow keys move the selection, Escape clears. Images open with Enter.
 */
(function () {
  'use strict';

  var NAME_CLASSES = ['n', 'nc', 'nf', 'nb', 'bp', 'nn', 'fm', 'nv', 'vc', 'vg', 'vi', 'vm',
    'na', 'nd', 'ne', 'nl', 'nx', 'no', 'py'];
  var NAME_SELECTOR = NAME_CLASSES.map(function (c) { return 'span.' + c; }).join(',');
  // A term's own class: `eq` and letters (`eq-c3`, `eq-selected` are not identities).
  var EQ_CLASS = /(?:^|\s)(eq[a-z]+)(?=\s|$)/;

  var body = document.body;
  var state = {
    ident: null, identEls: [],
    eq: null, eqEls: [],
    modal: null, modalReturn: null,
    cursor: null
  };
  var nameIndex = null;

  function hasClass(el, c) { return !!(el && el.classList && el.classList.contains(c)); }

  function inCode(el) {
    // A name span inside a code block of the code column or inside inline code of the notes.
    var pre = el.closest ? el.closest('pre, code.highlight') : null;
    if (!pre) return false;
    if (pre.tagName === 'PRE') return !!pre.closest('.code, .docs');
    return true;
  }

  function isName(el) {
    if (!el || el.nodeType !== 1 || el.tagName !== 'SPAN') return false;
    for (var i = 0; i < NAME_CLASSES.length; i++) {
      if (el.classList.contains(NAME_CLASSES[i])) return inCode(el);
    }
    return false;
  }

  function nameText(el) { return (el.textContent || '').trim(); }

  function buildIndex() {
    nameIndex = Object.create(null);
    var all = document.querySelectorAll('.code pre, .docs pre, .docs code.highlight');
    for (var i = 0; i < all.length; i++) {
      var spans = all[i].querySelectorAll(NAME_SELECTOR);
      for (var j = 0; j < spans.length; j++) {
        var t = nameText(spans[j]);
        if (!t) continue;
        (nameIndex[t] = nameIndex[t] || []).push(spans[j]);
      }
    }
  }

  /* ------------------------------------------------------------------ identifiers */

  function clearIdent() {
    for (var i = 0; i < state.identEls.length; i++) state.identEls[i].classList.remove('highlighted');
    state.identEls = [];
    state.ident = null;
    body.classList.remove('hl-active');
  }

  function selectIdent(text) {
    clearEq();
    if (state.ident === text) { clearIdent(); return; }
    clearIdent();
    if (!nameIndex) buildIndex();
    var els = nameIndex[text] || [];
    if (!els.length) return;
    for (var i = 0; i < els.length; i++) els[i].classList.add('highlighted');
    state.ident = text;
    state.identEls = els.slice();
    body.classList.add('hl-active');
  }

  /* ------------------------------------------------------------------ equation terms */

  function eqClassOf(el) {
    var m = EQ_CLASS.exec((el.getAttribute && el.getAttribute('class')) || '');
    return m ? m[1] : null;
  }

  function clearEq() {
    for (var i = 0; i < state.eqEls.length; i++) state.eqEls[i].classList.remove('eq-selected');
    state.eqEls = [];
    state.eq = null;
    body.classList.remove('eq-active');
  }

  function selectEq(cls) {
    clearIdent();
    if (state.eq === cls) { clearEq(); return; }
    clearEq();
    var els = document.querySelectorAll('.coloredeq.' + cls);
    if (!els.length) return;
    for (var i = 0; i < els.length; i++) els[i].classList.add('eq-selected');
    state.eq = cls;
    state.eqEls = Array.prototype.slice.call(els);
    body.classList.add('eq-active');
  }

  function clearAll() {
    clearIdent();
    clearEq();
    setCursor(null);
  }

  /* ------------------------------------------------------------------ keyboard cursor */

  function setCursor(el) {
    if (state.cursor) state.cursor.classList.remove('kbd-cursor');
    state.cursor = el;
    if (el) {
      el.classList.add('kbd-cursor');
      if (el.scrollIntoView) {
        try { el.scrollIntoView({ block: 'nearest', inline: 'nearest' }); } catch (e) { el.scrollIntoView(false); }
      }
    }
  }

  function namesIn(pre) {
    return Array.prototype.filter.call(pre.querySelectorAll(NAME_SELECTOR), function (s) { return nameText(s) !== ''; });
  }

  function termsIn(katex) {
    // One entry per distinct term, outermost occurrence first.
    var seen = Object.create(null);
    var out = [];
    var all = katex.querySelectorAll('.coloredeq');
    for (var i = 0; i < all.length; i++) {
      var c = eqClassOf(all[i]);
      if (c && !seen[c]) { seen[c] = true; out.push(all[i]); }
    }
    return out;
  }

  function keyOnCodeBlock(e, pre) {
    var items = namesIn(pre);
    if (!items.length) return false;
    var idx = state.cursor ? items.indexOf(state.cursor) : -1;
    if (e.key === 'Enter' || e.key === ' ') {
      if (idx < 0) { setCursor(items[0]); selectIdent(nameText(items[0])); }
      else selectIdent(nameText(items[idx]));
      return true;
    }
    if (idx >= 0 && (e.key === 'ArrowRight' || e.key === 'ArrowLeft' || e.key === 'ArrowDown' || e.key === 'ArrowUp')) {
      var step = (e.key === 'ArrowRight' || e.key === 'ArrowDown') ? 1 : -1;
      var next = items[(idx + step + items.length) % items.length];
      setCursor(next);
      state.ident = null;
      selectIdent(nameText(next));
      return true;
    }
    return false;
  }

  function keyOnEquation(e, katex) {
    var items = termsIn(katex);
    if (!items.length) return false;
    var idx = state.cursor ? items.indexOf(state.cursor) : -1;
    if (e.key === 'Enter' || e.key === ' ') {
      if (idx < 0) { setCursor(items[0]); selectEq(eqClassOf(items[0])); }
      else selectEq(eqClassOf(items[idx]));
      return true;
    }
    if (idx >= 0 && (e.key === 'ArrowRight' || e.key === 'ArrowLeft')) {
      var next = items[(idx + (e.key === 'ArrowRight' ? 1 : -1) + items.length) % items.length];
      setCursor(next);
      state.eq = null;
      selectEq(eqClassOf(next));
      return true;
    }
    return false;
  }

  /* ------------------------------------------------------------------ image modal */

  function zoomableImage(el) {
    if (!el || el.tagName !== 'IMG') return false;
    if (!el.closest('.docs') || el.closest('a, .page-header, .img-modal')) return false;
    return true;
  }

  function openModal(img) {
    if (state.modal) closeModal();
    clearAll();
    var modal = document.createElement('div');
    modal.className = 'img-modal';
    modal.setAttribute('role', 'dialog');
    modal.setAttribute('aria-modal', 'true');
    modal.setAttribute('aria-label', img.getAttribute('alt') || 'Image');
    var close = document.createElement('button');
    close.type = 'button';
    close.className = 'img-modal-close';
    close.setAttribute('aria-label', 'Close');
    close.textContent = '\u00d7';
    var big = document.createElement('img');
    big.src = img.currentSrc || img.src;
    big.alt = img.getAttribute('alt') || '';
    modal.appendChild(close);
    modal.appendChild(big);
    modal.addEventListener('click', function (e) { e.stopPropagation(); closeModal(); });
    state.modalReturn = document.activeElement;
    state.modal = modal;
    body.appendChild(modal);
    body.classList.add('modal-open');
    var container = document.getElementById('container');
    if (container) { container.setAttribute('aria-hidden', 'true'); if ('inert' in container) container.inert = true; }
    close.focus();
  }

  function closeModal() {
    var modal = state.modal;
    if (!modal) return;
    state.modal = null;
    if (modal.parentNode) modal.parentNode.removeChild(modal);
    body.classList.remove('modal-open');
    var container = document.getElementById('container');
    if (container) { container.removeAttribute('aria-hidden'); if ('inert' in container) container.inert = false; }
    var back = state.modalReturn;
    state.modalReturn = null;
    if (back && back.focus && document.contains(back)) back.focus();
  }

  /* ------------------------------------------------------------------ wide figures */

  // A figure wider than the notes column is shrunk to fit it, and the labels of a plot then
  // become too small to read. Where the code column beside it is empty (the section's code
  // ends above the figure), the figure grows into that empty space, up to its natural width.
  // (On a phone the notes take the whole width and the stylesheet lets a figure scroll.)
  var FIGURE_MARGIN = 24;

  function fitFigure(img) {
    img.classList.remove('wide-figure');
    img.style.width = '';
    var docs = img.closest('.section > .docs');
    if (!docs || !img.naturalWidth || img.closest('a')) return;
    var code = docs.parentNode.querySelector(':scope > .code');
    var box = img.getBoundingClientRect();
    if (!code || img.naturalWidth <= box.width + 1) return;
    var beside = code.getBoundingClientRect();
    if (beside.left < docs.getBoundingClientRect().right - 1) return;  // one column
    var pre = code.querySelector('pre');
    if (pre && pre.getBoundingClientRect().bottom > box.top) return;  // code beside the figure
    var width = Math.min(img.naturalWidth, beside.right - box.left - FIGURE_MARGIN);
    if (width <= box.width + 1) return;
    img.style.width = Math.floor(width) + 'px';
    img.classList.add('wide-figure');
  }

  function fitFigures() {
    // In page order: a figure that grows pushes the ones below it further from the code.
    var imgs = document.querySelectorAll('.section > .docs img');
    for (var i = 0; i < imgs.length; i++) fitFigure(imgs[i]);
  }

  function watchFigures() {
    var imgs = document.querySelectorAll('.section > .docs img');
    for (var i = 0; i < imgs.length; i++) {
      if (!imgs[i].complete) imgs[i].addEventListener('load', fitFigures);
    }
    var pending = false;
    window.addEventListener('resize', function () {
      if (pending) return;
      pending = true;
      window.requestAnimationFrame(function () { pending = false; fitFigures(); });
    });
    fitFigures();
  }

  /* ------------------------------------------------------------------ events */

  function onClick(e) {
    if (state.modal) return;
    var t = e.target;
    if (t && t.nodeType !== 1) t = t.parentElement;
    if (!t || !t.closest) return;
    if (e.button !== undefined && e.button !== 0) return;

    if (zoomableImage(t)) { e.preventDefault(); openModal(t); return; }

    var term = t.closest('.coloredeq');
    if (term) {
      var cls = eqClassOf(term);
      if (cls) { setCursor(null); selectEq(cls); return; }
    }

    var el = t;
    while (el && el !== body && !isName(el)) {
      if (el.tagName === 'PRE' || el.tagName === 'CODE') { el = null; break; }
      el = el.parentElement;
    }
    if (el && el !== body && isName(el)) {
      // Inside a.xref the default action (following the link) is kept.
      setCursor(null);
      selectIdent(nameText(el));
      return;
    }

    var sel = window.getSelection ? window.getSelection() : null;
    if (sel && !sel.isCollapsed) return;  // the user is selecting text
    if (t.closest('a, button, input, select, textarea, summary')) return;
    clearAll();
  }

  function onKeyDown(e) {
    if (e.defaultPrevented) return;
    if (state.modal) {
      if (e.key === 'Escape' || e.key === 'Esc') { e.preventDefault(); closeModal(); }
      else if (e.key === 'Tab') {  // keep the focus in the dialog
        e.preventDefault();
        var btn = state.modal.querySelector('button');
        if (btn) btn.focus();
      }
      return;
    }
    if (e.key === 'Escape' || e.key === 'Esc') {
      if (state.ident || state.eq || state.cursor) { clearAll(); }
      return;
    }
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    var t = document.activeElement;
    if (!t || t === body) return;
    var handled = false;
    if (zoomableImage(t) && (e.key === 'Enter' || e.key === ' ')) { openModal(t); handled = true; }
    else if (t.tagName === 'PRE' && t.closest('.code')) handled = keyOnCodeBlock(e, t);
    else if (hasClass(t, 'katex')) handled = keyOnEquation(e, t);
    if (handled) e.preventDefault();
  }

  function onFocusOut(e) {
    // The keyboard cursor belongs to the focused block only.
    if (state.cursor && e.target && e.target.contains && e.target.contains(state.cursor)) {
      var to = e.relatedTarget;
      if (!to || !e.target.contains(to)) setCursor(null);
    }
  }

  function prepare() {
    var i;
    var pres = document.querySelectorAll('.code pre');
    for (i = 0; i < pres.length; i++) {
      var pre = pres[i];
      if (pre.hasAttribute('tabindex')) continue;
      pre.setAttribute('tabindex', '0');
      var nums = pre.querySelectorAll('.lineno');
      var label = 'Code';
      if (nums.length) {
        var a = (nums[0].textContent || '').trim(), b = (nums[nums.length - 1].textContent || '').trim();
        label = a === b ? 'Code, line ' + a : 'Code, lines ' + a + '\u2013' + b;
      }
      pre.setAttribute('role', 'region');
      pre.setAttribute('aria-label', label);
    }
    var displays = document.querySelectorAll('.katex-display > .katex');
    for (i = 0; i < displays.length; i++) {
      if (displays[i].querySelector('.coloredeq') && !displays[i].hasAttribute('tabindex')) {
        displays[i].setAttribute('tabindex', '0');
      }
    }
    var imgs = document.querySelectorAll('.docs img');
    for (i = 0; i < imgs.length; i++) {
      if (zoomableImage(imgs[i]) && !imgs[i].hasAttribute('tabindex')) {
        imgs[i].setAttribute('tabindex', '0');
        imgs[i].setAttribute('aria-haspopup', 'dialog');
      }
    }
  }

  function init() {
    if (!document.body) return;
    body = document.body;
    prepare();
    watchFigures();
    document.addEventListener('click', onClick);
    document.addEventListener('keydown', onKeyDown);
    document.addEventListener('focusout', onFocusOut);
    // Inside a theme with instant navigation (Material, Zensical), a new page replaces the
    // content without loading the document: its blocks are prepared when it arrives.
    var pages = window.document$;
    if (pages && typeof pages.subscribe === 'function') {
      pages.subscribe(function () {
        clearAll();
        prepare();
        var imgs = document.querySelectorAll('.section > .docs img');
        for (var i = 0; i < imgs.length; i++) {
          if (!imgs[i].complete) imgs[i].addEventListener('load', fitFigures);
        }
        fitFigures();
      });
    }
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
