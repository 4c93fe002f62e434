"""The browser tests on the REAL site: ``src/labml_nn`` built by ``labml_docs.build.Builder``.

``test_pages.py`` drives a hand-made fixture; this module drives what the generator writes today
(KaTeX through Node, equation colouring, definition links, the copied images), served from
127.0.0.1. One Chromium for the session (``driver`` in ``conftest.py``), one build per session.

Screenshots go to ``artifacts/screenshots/real/`` (gitignored).
"""

from __future__ import annotations

import re
import time
from urllib.parse import urldefrag, urlsplit

import pytest
from conftest import (
    console_errors,
    external,
    requested_urls,
    screenshot,
    set_color_scheme,
    set_viewport,
    site_pages,
)
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

AMSGRAD = "optimizers/amsgrad.html"
HOME = "index.html"
NAME_CLASSES = ("n", "nc", "nf", "nb", "bp", "nn", "fm", "nv", "vc", "vg", "vi", "vm",
                "na", "nd", "ne", "nl", "nx", "no", "py")


# --------------------------------------------------------------------------------------- helpers


def load(driver, url: str) -> None:
    driver.get(url)
    wait_for(driver, "return document.readyState === 'complete'")


def wait_for(driver, script: str, *args, timeout: float = 5.0):
    end = time.monotonic() + timeout
    while True:
        value = driver.execute_script(script, *args)
        if value or time.monotonic() > end:
            return value
        time.sleep(0.03)


def body_classes(driver) -> set[str]:
    return set(driver.execute_script("return document.body.className").split())


def press_escape(driver) -> None:
    ActionChains(driver).send_keys(Keys.ESCAPE).perform()


@pytest.fixture(scope="module")
def pages(real_site_dir) -> list[str]:
    found = site_pages(real_site_dir, limit=1000)
    assert AMSGRAD in found and HOME in found, found
    return found


def section_geometry(driver):
    return driver.execute_script(
        """
        var out = [];
        document.querySelectorAll('.section').forEach(function (s) {
          var d = s.querySelector(':scope > .docs'), c = s.querySelector(':scope > .code');
          if (!d || !c || !c.textContent.trim()) return;
          var a = d.getBoundingClientRect(), b = c.getBoundingClientRect();
          out.push({id: s.id, docsLeft: a.left, docsRight: a.right, docsTop: a.top,
                    docsBottom: a.bottom, codeLeft: b.left, codeTop: b.top, codeRight: b.right});
        });
        return out;
        """
    )


# Relative luminance and contrast ratio (WCAG 2.x) of computed colours, in the page.
CONTRAST_JS = """
function rgba(s) {
  var m = /rgba?\\(([^)]+)\\)/.exec(s); if (!m) return null;
  var p = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number);
  return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
}
function lum(c) {
  var v = c.slice(0, 3).map(function (x) { x /= 255; return x <= 0.03928 ? x / 12.92 : Math.pow((x + 0.055) / 1.055, 2.4); });
  return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2];
}
function over(top, bottom) {
  var a = top[3];
  return [0, 1, 2].map(function (i) { return top[i] * a + bottom[i] * (1 - a); }).concat([1]);
}
function background(el) {  // the first opaque background up the tree (through #background)
  var layers = [];
  for (var e = el; e; e = e.parentElement) {
    var c = rgba(getComputedStyle(e).backgroundColor);
    if (c && c[3] > 0) { layers.push(c); if (c[3] >= 1) break; }
    if (e.closest('.code') && e.classList.contains('code')) {
      var bg = document.getElementById('background');
      if (bg && getComputedStyle(bg).display !== 'none') {
        var b = rgba(getComputedStyle(bg).backgroundColor);
        if (b && b[3] > 0) { layers.push(b); break; }
      }
    }
  }
  var out = [255, 255, 255, 1];
  for (var i = layers.length - 1; i >= 0; i--) out = over(layers[i], out);
  return out;
}
function contrast(el) {
  var bg = background(el), fg = over(rgba(getComputedStyle(el).color), bg);
  var a = lum(fg), b = lum(bg);
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}
"""


# ------------------------------------------------------------------------- every page, offline


def test_every_page_loads_offline_without_errors(driver, real_server, pages):
    """Every page: no SEVERE console message, nothing requested beyond 127.0.0.1, no 4xx/5xx."""
    failures, urls = {}, []
    for page in pages:
        real_server.statuses.clear()
        load(driver, real_server.page(page))
        # Let the KaTeX fonts come in before reading the logs.
        driver.execute_async_script(
            "var done = arguments[arguments.length - 1]; document.fonts.ready.then(function () { done(); });")
        errors = console_errors(driver)
        seen = requested_urls(driver)
        urls += seen
        # The pages name an empty icon, so not even /favicon.ico may be asked for.
        bad_status = [(p, s) for p, s in real_server.statuses if s >= 400]
        if errors or external(seen) or bad_status:
            failures[page] = {"console": errors, "external": external(seen), "http": bad_status}
    assert not failures, failures
    assert urls and all(urlsplit(u).hostname == "127.0.0.1" for u in urls
                        if urlsplit(u).scheme in ("http", "https", "ws", "wss")), urls
    # The server saw only paths of its own (no absolute URL a proxy would be asked for).
    assert real_server.requests and all(p.startswith("/") for p in real_server.requests)


def test_katex_stylesheet_and_fonts_load(driver, real_server):
    driver.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": True})  # ask the server
    try:
        real_server.statuses.clear()
        load(driver, real_server.page(AMSGRAD))
        wait_for(driver, "var ok = false; document.fonts.forEach(function (f) {"
                         " if (/KaTeX_Math/.test(f.family) && f.status === 'loaded') ok = true; }); return ok;")
        state = driver.execute_async_script(
            """
            var done = arguments[arguments.length - 1];
            document.fonts.ready.then(function () {
              var sheet = Array.prototype.find.call(document.styleSheets, function (s) {
                return s.href && /katex\\.min\\.css$/.test(s.href); });
              var rules = 0; try { rules = sheet ? sheet.cssRules.length : 0; } catch (e) { rules = -1; }
              var faces = [];
              document.fonts.forEach(function (f) {
                if (/^"?KaTeX_/.test(f.family)) faces.push([f.family.replace(/"/g, ''), f.weight, f.style, f.status]); });
              var el = document.querySelector('.katex .mathnormal');
              done({rules: rules, faces: faces, mathFont: el ? getComputedStyle(el).fontFamily : null});
            });
            """
        )
    finally:
        driver.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": False})
    assert state["rules"] > 50, state
    loaded = {(f, w, s) for f, w, s, status in state["faces"] if status == "loaded"}
    assert ("KaTeX_Main", "400", "normal") in loaded, state["faces"]
    assert ("KaTeX_Math", "400", "italic") in loaded, state["faces"]
    assert "KaTeX_Math" in state["mathFont"], state
    fonts = [(p, s) for p, s in real_server.statuses if "/assets/katex/fonts/" in p]
    assert fonts and all(s in (200, 304) for _, s in fonts), fonts
    css = [(p, s) for p, s in real_server.statuses if p.endswith("/assets/katex/katex.min.css")]
    assert css and all(s in (200, 304) for _, s in css), real_server.statuses
    assert not [x for x in real_server.statuses if x[1] >= 400], real_server.statuses


# ------------------------------------------------------------------------------- interactions


@pytest.mark.parametrize("name", ["group", "state"])
def test_identifier_click_highlights_every_use(driver, real_server, name):
    load(driver, real_server.page(AMSGRAD))
    span = driver.execute_script(
        "var name = arguments[0];"
        "return Array.prototype.find.call(document.querySelectorAll('.code pre span.n'),"
        " function (s) { return s.textContent === name && !s.closest('a'); }) || null;",
        name,
    )
    assert span is not None, f"no span.n {name!r} in the code of {AMSGRAD}"
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", span)
    span.click()
    assert "hl-active" in body_classes(driver)
    state = driver.execute_script(
        """
        var name = arguments[0], names = arguments[1];
        var isName = function (s) { return names.some(function (c) { return s.classList.contains(c); }); };
        var spans = document.querySelectorAll('.code pre span, .docs pre span, .docs code.highlight span');
        var same = 0, sameName = 0, sameHl = 0, codeSpans = 0, otherHl = 0, otherColour = null;
        for (var i = 0; i < spans.length; i++) {
          var s = spans[i], hl = s.classList.contains('highlighted'), t = s.textContent.trim();
          if (t === name) { same++; if (isName(s)) { sameName++; if (hl) sameHl++; } }
          else if (hl) otherHl++;
          else if (isName(s) && s.closest('.code') && otherColour === null) otherColour = getComputedStyle(s).color;
          if (t === name && s.closest('.code')) codeSpans++;
        }
        var probe = document.createElement('span');
        probe.style.color = 'var(--dim)'; document.querySelector('.code pre').appendChild(probe);
        var dim = getComputedStyle(probe).color; probe.remove();
        return {highlighted: document.querySelectorAll('.highlighted').length, same: same,
                sameName: sameName, sameHl: sameHl, codeSpans: codeSpans, otherHl: otherHl,
                otherColour: otherColour, dim: dim};
        """,
        name, list(NAME_CLASSES),
    )
    # Every span with that text is a name here, and every one of them is highlighted, nothing else.
    assert state["same"] == state["sameName"], state
    assert state["highlighted"] == state["same"] == state["sameHl"], state
    assert state["codeSpans"] >= 5 and state["otherHl"] == 0, state
    assert state["otherColour"] == state["dim"], "the other identifiers are not dimmed"
    screenshot(driver, f"real/amsgrad-identifier-{name}-1400", full_page=False)
    press_escape(driver)
    assert "hl-active" not in body_classes(driver)
    assert driver.execute_script("return document.querySelectorAll('.highlighted').length") == 0
    assert not console_errors(driver)


SHARED_TERM = """
var where = {};
document.querySelectorAll('.katex .coloredeq').forEach(function (t) {
  var m = /(?:^|\\s)(eq[a-z]+)(?=\\s|$)/.exec(t.getAttribute('class')); if (!m) return;
  (where[m[1]] = where[m[1]] || []).push(t);
});
var best = null;
for (var c in where) {
  var ks = new Set(where[c].map(function (t) { return t.closest('.katex'); }));
  if (ks.size >= 2 && (!best || ks.size > best[2])) best = [c, where[c][0], ks.size];
}
return best;
"""


def test_term_click_highlights_it_in_every_equation(driver, real_server):
    load(driver, real_server.page(AMSGRAD))
    found = driver.execute_script(SHARED_TERM)
    assert found, f"no coloured term shared by two formulas on {AMSGRAD}"
    cls, term, formulas = found
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", term)
    ActionChains(driver).move_to_element(term).click().perform()  # a real mouse click
    assert "eq-active" in body_classes(driver)
    state = driver.execute_script(
        """
        var cls = arguments[0], same = 0, sel = 0, wrong = 0, ks = new Set();
        document.querySelectorAll('.coloredeq').forEach(function (t) {
          var on = t.classList.contains('eq-selected');
          if (t.classList.contains(cls)) { same++; if (on) { sel++; ks.add(t.closest('.katex')); } }
          else if (on) wrong++;
        });
        return {same: same, sel: sel, formulas: ks.size, wrong: wrong};
        """,
        cls,
    )
    assert state["sel"] == state["same"] >= 2, state
    assert state["formulas"] == formulas >= 2 and state["wrong"] == 0, state
    screenshot(driver, "real/amsgrad-term-1400", full_page=False)
    press_escape(driver)
    assert "eq-active" not in body_classes(driver)
    assert driver.execute_script("return document.querySelectorAll('.eq-selected').length") == 0
    assert not console_errors(driver)


# What a term shows: the text of its KaTeX spans, without KaTeX's zero-width spaces.
TERM_TEXT = "function shown(t) { return t.textContent.replace(/[\\u200b\\s]/g, ''); }"


@pytest.mark.parametrize("term", ["mt", "vt"])
def test_term_click_highlights_that_term_and_only_it(driver, real_server, term):
    """Clicking `m_t` once lit `\\beta_2`, `\\beta_2^k` and `T` as well (their classes were
    the colour number modulo 12). Every highlighted element must show the clicked term, and
    every element that shows it must be highlighted."""
    load(driver, real_server.page(AMSGRAD))
    # Its first glyph, where a reader clicks (the first `v_t` is under a square root).
    target = driver.execute_script(TERM_TEXT + """
        var all = document.querySelectorAll('.katex .coloredeq');
        for (var i = 0; i < all.length; i++)
          if (shown(all[i]) === arguments[0]) return all[i].querySelector('.mathnormal');
        return null;
        """, term)
    assert target is not None, f"no coloured {term} on {AMSGRAD}"
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", target)
    ActionChains(driver).move_to_element(target).click().perform()  # a real mouse click
    assert "eq-active" in body_classes(driver)
    state = driver.execute_script(TERM_TEXT + """
        var shownSelected = [], missed = 0, formulas = new Set();
        document.querySelectorAll('.coloredeq').forEach(function (t) {
          var on = t.classList.contains('eq-selected');
          if (on) { shownSelected.push(shown(t)); formulas.add(t.closest('.katex')); }
          else if (shown(t) === arguments[0]) missed++;
        });
        return {shown: shownSelected, missed: missed, formulas: formulas.size};
        """, term)
    assert state["shown"] and set(state["shown"]) == {term}, state
    assert state["missed"] == 0, state
    if term == "vt":
        assert state["formulas"] >= 5, state
    press_escape(driver)
    assert driver.execute_script("return document.querySelectorAll('.eq-selected').length") == 0
    assert not console_errors(driver)


def test_every_term_can_be_clicked_on_its_first_glyph(driver, real_server):
    """Nothing lies over a term where a reader clicks it: the line of a square root used to
    cover the radicand, so that `\\sqrt{v_t}` could not be selected."""
    load(driver, real_server.page(AMSGRAD))
    covered = driver.execute_script("""
        var out = [], count = 0;
        document.querySelectorAll('.katex-html .coloredeq').forEach(function (t) {
          var glyph = t.querySelector('.mathnormal, .mord:not(:has(*))');
          if (!glyph || glyph.closest('.coloredeq') !== t) return;  // a nested term's glyph
          glyph.scrollIntoView({block: 'center'});
          var r = glyph.getBoundingClientRect();
          var hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
          count++;
          if (!hit || hit.closest('.coloredeq') !== t) out.push(t.textContent);
        });
        return {count: count, covered: out};
        """)
    assert covered["count"] >= 50 and covered["covered"] == [], covered


# The code of section #ID without its line numbers (null when there is no such section).
SECTION_CODE = """
var s = document.getElementById(arguments[0]); if (!s) return null;
var c = s.querySelector(':scope > .code'); if (!c) return '';
c = c.cloneNode(true); c.querySelectorAll('.lineno').forEach(function (n) { n.remove(); });
return c.textContent;
"""


def definition_in(code: str, name: str) -> bool:
    """Whether ``code`` (a section's code, without line numbers) holds the line that defines
    ``name``: ``class name``, ``def name`` or an assignment ``name = ...``."""
    n = re.escape(name)
    return bool(re.search(rf"(?m)^\s*(?:(?:async\s+)?def|class)\s+{n}\b|^\s*{n}\s*(?::[^=\n]*)?=(?!=)", code))


def test_definition_link_lands_on_the_definition(driver, real_server):
    load(driver, real_server.page(AMSGRAD))
    found = driver.execute_script(
        "var a = Array.prototype.find.call(document.querySelectorAll('.code pre a.xref'), function (a) {"
        " return /^adam\\.html#section-\\d+$/.test(a.getAttribute('href')) && a.textContent === 'Adam'; });"
        "return a ? [a.href, a.textContent, a] : null;"
    )
    assert found, f"no a.xref to adam.html in {AMSGRAD}"
    href, name, link = found
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", link)
    link.click()
    wait_for(driver, "return location.href === arguments[0] && document.readyState === 'complete'", href)
    assert driver.current_url == href
    target = urldefrag(href).fragment
    state = driver.execute_script(
        "var s = document.getElementById(arguments[0]); if (!s) return null;"
        "var r = s.getBoundingClientRect();"
        "return {top: r.top, height: innerHeight, target: s.matches(':target')};",
        target,
    )
    assert state is not None, f"{href}: no #{target}"
    state["code"] = driver.execute_script(SECTION_CODE, target)
    assert definition_in(state["code"], name), (href, state["code"][:400])
    assert state["target"] and -1 <= state["top"] < state["height"], state
    assert not console_errors(driver)


def test_same_page_link_scrolls_the_section_into_view(driver, real_server):
    load(driver, real_server.page(AMSGRAD))
    link = driver.execute_script(
        "var all = Array.prototype.filter.call(document.querySelectorAll('.code pre a.xref'), function (a) {"
        " return /^#section-\\d+$/.test(a.getAttribute('href')); });"
        "return all.length ? all[all.length - 1] : null;"  # the last: its target lies far above
    )
    assert link is not None
    target = link.get_attribute("href").split("#")[1]
    name = link.text
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", link)
    before = driver.execute_script("return document.getElementById(arguments[0]).getBoundingClientRect().top", target)
    assert not 0 <= before < 900, "the target is already in view: pick another link"
    link.click()
    state = wait_for(
        driver,
        "var s = document.getElementById(arguments[0]), r = s.getBoundingClientRect();"
        "return location.hash === '#' + arguments[0] && r.top >= -1 && r.top < innerHeight"
        " ? {top: r.top} : null;",
        target,
    )
    assert state, f"#{target} did not scroll into view"
    code = driver.execute_script(SECTION_CODE, target)
    assert definition_in(code, name), code


def test_every_definition_link_points_at_its_definition(driver, real_server, pages):
    """Across the site: each a.xref goes to an existing section whose code defines the name."""
    links: dict[str, set[tuple[str, str]]] = {}
    for page in pages:
        load(driver, real_server.page(page))
        for href, text in driver.execute_script(
            "return Array.prototype.map.call(document.querySelectorAll('a.xref'),"
            " function (a) { return [a.href, a.textContent]; })"
        ):
            url, frag = urldefrag(href)
            links.setdefault(url, set()).add((frag, text, page))
    assert sum(len(v) for v in links.values()) >= 20, links
    wrong = []
    for url, targets in sorted(links.items()):
        load(driver, url)
        for frag, name, page in sorted(targets):
            code = driver.execute_script(SECTION_CODE, frag)
            if code is None or not definition_in(code, name.split(".")[-1]):
                wrong.append((page, name, f"{url}#{frag}", (code or "<missing>")[:120]))
    assert not wrong, wrong


def test_image_opens_in_a_modal(driver, real_server):
    load(driver, real_server.page(AMSGRAD))
    img = driver.find_element(By.CSS_SELECTOR, '.docs img[src$="amsgrad_experiment.png"]')
    assert driver.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0", img)
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", img)
    img.click()
    modal = driver.find_elements(By.CSS_SELECTOR, ".img-modal")
    assert len(modal) == 1 and modal[0].is_displayed()
    assert wait_for(driver, "var m = document.querySelector('.img-modal img');"
                            "return m.complete && m.naturalWidth > 0 && m.getBoundingClientRect().width > 100")
    assert driver.execute_script(
        "return document.querySelector('.img-modal img').src === arguments[0].src", img)
    screenshot(driver, "real/amsgrad-modal-1400", full_page=False)
    press_escape(driver)
    assert not driver.find_elements(By.CSS_SELECTOR, ".img-modal")
    assert "modal-open" not in body_classes(driver)
    assert not console_errors(driver)


# -------------------------------------------------------------------------- layout and colours


# Layout faults seen on the real pages (argument: narrow screen).
PAGE_LAYOUT = """
var narrow = arguments[0], out = [];
// On a phone the code sits in a band of its own below the notes: none may be empty.
if (narrow) document.querySelectorAll('.section > .code').forEach(function (c) {
  var r = c.getBoundingClientRect();
  if (!c.querySelector('pre') && r.height > 0) out.push(['empty code band', c.parentElement.id, r.height]);
});
// Index pages: each summary on a line of its own, below its title.
document.querySelectorAll('.page-list li').forEach(function (li) {
  var a = li.querySelector('a'), s = li.querySelector('.summary');
  if (s && s.getBoundingClientRect().top < a.getBoundingClientRect().bottom - 1)
    out.push(['summary runs into its title', a.textContent]);
});
return out;
"""


@pytest.mark.parametrize("width,height,mobile", [(1400, 900, False), (390, 844, True)])
def test_layout_on_every_page(driver, real_server, pages, width, height, mobile):
    set_viewport(driver, width, height, mobile)
    problems = []
    for page in pages:
        load(driver, real_server.page(page))
        scroll, inner = driver.execute_script("return [document.documentElement.scrollWidth, innerWidth]")
        if scroll > inner:
            problems.append((page, "horizontal scroll", scroll, inner))
        for g in section_geometry(driver):
            if width > 800:  # notes left of the code, starting at the same height
                if not (g["docsRight"] <= g["codeLeft"] + 1 and abs(g["docsTop"] - g["codeTop"]) < 1):
                    problems.append((page, g))
            elif g["codeTop"] < g["docsBottom"] - 1 or g["codeRight"] > width + 1:  # notes above
                problems.append((page, g))
        problems += [(page, *x) for x in driver.execute_script(PAGE_LAYOUT, width <= 800)]
    assert not problems, problems[:10]
    assert not console_errors(driver)


# The display equations that scroll sideways, as `[text, how many pixels they overflow]`.
SCROLLING_DISPLAYS = """
var out = [];
document.querySelectorAll('.katex-display').forEach(function (d) {
  if (d.scrollWidth > d.clientWidth) out.push([d.textContent.slice(0, 30), d.scrollWidth - d.clientWidth]);
});
return out;
"""


def test_no_equation_scrolls_for_a_few_pixels(driver, real_server, pages):
    """AMSGrad's aligned (1)-(4) was 2px wider than its box: a scrollbar under it for nothing.
    An equation may scroll when it is wider than the notes, never by a few pixels."""
    load(driver, real_server.page(AMSGRAD))
    assert driver.execute_script(SCROLLING_DISPLAYS) == []
    for width, mobile in ((1400, False), (390, True)):
        set_viewport(driver, width, 844, mobile)
        for page in pages:
            load(driver, real_server.page(page))
            slight = [d for d in driver.execute_script(SCROLLING_DISPLAYS) if d[1] <= 4]
            assert slight == [], (page, width, slight)


@pytest.mark.parametrize("page", [HOME, "optimizers/readme.html"])
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_footer_ends_a_short_page_and_the_columns_reach_it(driver, real_server, page, scheme):
    set_viewport(driver, 1400, 2600)
    set_color_scheme(driver, scheme)
    load(driver, real_server.page(page))
    geometry = driver.execute_script("""
        var f = document.querySelector('.footer').getBoundingClientRect();
        var b = document.getElementById('background').getBoundingClientRect();
        var sections = document.querySelectorAll('.section');
        var last = sections[sections.length - 1].getBoundingClientRect();
        return {footerTop: f.top, footerBottom: f.bottom, backgroundBottom: b.bottom,
                lastSection: last.bottom, height: innerHeight,
                scroll: document.documentElement.scrollHeight};
        """)
    # The page is short: its content ends well above the bottom of the window.
    assert geometry["lastSection"] < geometry["height"] - 300, geometry
    assert abs(geometry["footerBottom"] - geometry["height"]) <= 1, geometry
    assert geometry["scroll"] <= geometry["height"], geometry
    # The code column runs down to the footer, not past it.
    assert geometry["footerTop"] - 1 <= geometry["backgroundBottom"] <= geometry["footerBottom"] + 1, \
        geometry
    screenshot(driver, f"real/{page.replace('/', '_').removesuffix('.html')}-short-{scheme}",
               full_page=False)


def test_home_lists_the_pages_in_tree_order_each_with_its_summary(driver, real_server):
    load(driver, real_server.page(HOME))
    entries = driver.execute_script("""
        return Array.prototype.map.call(document.querySelectorAll('.page-list li'), function (li) {
          var s = li.querySelector('.summary');
          return [li.querySelector('a').getAttribute('href'), s ? s.textContent.trim() : ''];
        });
        """)
    urls = [url for url, _ in entries]
    # The package's index, then its readme, then its modules by file name.
    assert urls[:2] == ["optimizers/index.html", "optimizers/readme.html"], urls
    assert urls[2:] == sorted(urls[2:]) and len(urls) >= 6, urls
    assert all(summary for _, summary in entries), entries


@pytest.mark.parametrize("width,mobile", [(1400, False), (390, True)])
def test_experiment_plot_is_readable_in_place(driver, real_server, width, mobile):
    """The plot (720px wide) was shrunk into the notes column until its labels could not be
    read. Beside an empty code column it grows into it; on a phone it keeps up to twice the
    column's width and scrolls sideways."""
    set_viewport(driver, width, 900, mobile)
    load(driver, real_server.page(AMSGRAD))
    figure = driver.execute_script("""
        var img = document.querySelector('.docs img[src$="amsgrad_experiment.png"]');
        img.scrollIntoView({block: 'center'});
        var r = img.getBoundingClientRect(), p = img.parentElement;
        var docs = img.closest('.docs'), overlaps = 0;
        img.closest('.section').querySelectorAll('.code pre').forEach(function (pre) {
          var c = pre.getBoundingClientRect();
          if (c.bottom > r.top && c.top < r.bottom && c.right > r.left && c.left < r.right) overlaps++;
        });
        return {shown: r.width, natural: img.naturalWidth, right: r.right, overlaps: overlaps,
                column: p.clientWidth, scrolls: p.scrollWidth > p.clientWidth,
                docsRight: docs.getBoundingClientRect().right, width: innerWidth};
        """)
    assert figure["natural"] > 0 and figure["overlaps"] == 0, figure
    if width > 800:
        assert figure["shown"] == figure["natural"] > figure["docsRight"] - 100, figure
        assert figure["right"] <= figure["width"], figure
    else:
        assert figure["shown"] >= min(figure["natural"], 2 * figure["column"]) - 1, figure
        assert figure["scrolls"], figure
    assert not console_errors(driver)


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width,height,mobile", [(1400, 900, False), (390, 844, True)])
def test_screenshots(driver, real_server, scheme, width, height, mobile):
    set_viewport(driver, width, height, mobile)
    set_color_scheme(driver, scheme)
    for page in (AMSGRAD, HOME):
        load(driver, real_server.page(page))
        stem = page.replace("/", "_").removesuffix(".html")
        screenshot(driver, f"real/{stem}-{width}-{scheme}-top", full_page=False)
        screenshot(driver, f"real/{stem}-{width}-{scheme}")
    assert not console_errors(driver)


def test_dark_mode_changes_background_and_code_colours(driver, real_server):
    probe = ("var k = document.querySelector('.code pre .k');"
             "return [getComputedStyle(document.body).backgroundColor, getComputedStyle(document.body).color,"
             " getComputedStyle(k).color]")
    set_color_scheme(driver, "light")
    load(driver, real_server.page(AMSGRAD))
    light = driver.execute_script(probe)
    set_color_scheme(driver, "dark")
    load(driver, real_server.page(AMSGRAD))
    dark = driver.execute_script(probe)
    assert light[0] != dark[0] and light[1] != dark[1], (light, dark)
    assert light[2] != dark[2], ("the .k colour does not change", light, dark)


# ------------------------------------------------------------------------------ accessibility


def test_tab_reaches_every_link_in_order(driver, real_server):
    load(driver, real_server.page(AMSGRAD))
    links = driver.execute_script(
        "var out = [];"
        "document.querySelectorAll('a').forEach(function (a, i) { a.dataset.tabProbe = i; out.push(a.getAttribute('href')); });"
        "window.__focused = [];"
        "document.addEventListener('focusin', function (e) { window.__focused.push("
        " e.target.dataset.tabProbe !== undefined ? +e.target.dataset.tabProbe : e.target.tagName); });"
        "document.activeElement && document.activeElement.blur(); return out;"
    )
    assert all(links), "an <a> without href cannot be focused"
    stops = driver.execute_script(
        "return document.querySelectorAll('a[href], [tabindex]:not([tabindex=\"-1\"]), button, input').length")
    ActionChains(driver).send_keys(Keys.TAB * (stops + 2)).perform()
    focused = driver.execute_script("return window.__focused")
    reached = [i for i in focused if isinstance(i, int)]
    assert len(focused) > 5 and len(set(focused)) > 5, focused[:20]
    assert sorted(set(reached)) == list(range(len(links))), (
        "links never focused by Tab: ", [links[i] for i in set(range(len(links))) - set(reached)])
    first_pass = reached[: reached.index(len(links) - 1) + 1]
    assert first_pass == sorted(first_pass), "Tab does not follow the document order"
    kinds = driver.execute_script(
        "return window.__focused.map(function (i) {"
        " var a = document.querySelector('[data-tab-probe=\"' + i + '\"]'); if (!a) return i;"
        " return a.classList.contains('xref') ? 'xref' : a.closest('.section-link') ? 'section-link'"
        "  : a.closest('.breadcrumbs') ? 'breadcrumb' : 'link'; })")
    assert {"xref", "section-link", "breadcrumb", "link"} <= set(kinds), sorted(set(map(str, kinds)))
    # A focused section link shows itself (it is transparent until hovered or focused).
    driver.execute_script("document.querySelector('.section-link a').focus()")
    assert wait_for(driver, "return getComputedStyle(document.querySelector('.section-link')).opacity === '1'")


def test_math_carries_mathml(driver, real_server, pages):
    for page in (AMSGRAD, "optimizers/adam.html"):
        load(driver, real_server.page(page))
        counts = driver.execute_script(
            "var withMath = Array.prototype.filter.call(document.querySelectorAll('.katex'), function (e) {"
            " return e.querySelector('.katex-mathml math annotation[encoding=\"application/x-tex\"]'); });"
            "return [document.querySelectorAll('.katex').length, withMath.length, document.querySelectorAll('math').length,"
            " document.querySelectorAll('.katex-html[aria-hidden=\"true\"]').length];"
        )
        katex, with_math, maths, hidden = counts
        assert katex > 10 and with_math == katex and maths >= katex and hidden == katex, (page, counts)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_text_contrast(driver, real_server, scheme):
    set_color_scheme(driver, scheme)
    low = []
    for page in (AMSGRAD, HOME):
        load(driver, real_server.page(page))
        found = driver.execute_script(
            CONTRAST_JS + """
            var checks = [['body', document.body]];
            var pick = function (sel, label) { var e = document.querySelector(sel); if (e) checks.push([label || sel, e]); };
            pick('.docs p'); pick('.docs li'); pick('.docs h1'); pick('.docs h2'); pick('.docs a');
            pick('.breadcrumbs a'); pick('.footer'); pick('.docs code'); pick('.lineno'); pick('.code pre');
            var seen = {};
            document.querySelectorAll('.code pre span[class]').forEach(function (s) {
              var c = s.className.split(' ')[0];
              if (!seen[c] && s.textContent.trim()) { seen[c] = 1; checks.push(['.code .' + c, s]); } });
            return checks.map(function (c) { return [c[0], contrast(c[1]), getComputedStyle(c[1]).color]; });
            """
        )
        low += [(page, *x) for x in found if x[1] < 4.5]
        assert found[0][1] >= 7, found[0]  # the body text itself is far above the minimum
    assert not low, low
