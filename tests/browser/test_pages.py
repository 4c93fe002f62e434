"""Drive the pages in headless Chromium: console, interactions, layout, dark mode, offline.

Run against the hand-made fixture site by default, or a built site with ``--site-dir``.
"""

from __future__ import annotations

import time

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
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

# --------------------------------------------------------------------------------------- helpers

FIND_REPEATED_NAME = """
var spans = document.querySelectorAll('.code pre span.n, .code pre span.nf, .code pre span.nc');
var count = {}, first = {};
for (var i = 0; i < spans.length; i++) {
  var s = spans[i], t = s.textContent.trim();
  if (!t || s.closest('a')) continue;
  count[t] = (count[t] || 0) + 1;
  if (!(t in first)) first[t] = s;
}
for (var t in count) if (count[t] >= 2) return [t, first[t]];
return null;
"""

FIND_SHARED_TERM = """
var terms = document.querySelectorAll('.katex .coloredeq');
var where = {};
for (var i = 0; i < terms.length; i++) {
  var m = /(?:^|\\s)(eq[a-z]+)(?=\\s|$)/.exec(terms[i].getAttribute('class'));
  if (!m) continue;
  var k = terms[i].closest('.katex');
  (where[m[1]] = where[m[1]] || []).push([terms[i], k]);
}
for (var c in where) {
  var ks = new Set(where[c].map(function (x) { return x[1]; }));
  if (ks.size >= 2) return [c, where[c][0][0]];
}
return null;
"""


def load(driver, url: str) -> None:
    driver.get(url)
    driver.execute_script("return document.readyState")
    time.sleep(0.05)


def pages_with(driver, server, site_dir, script: str):
    """First page of the site where ``script`` returns something, with that result."""
    for page in site_pages(site_dir):
        load(driver, server.page(page))
        found = driver.execute_script(script)
        if found:
            return page, found
    return None, None


def body_classes(driver) -> set[str]:
    return set(driver.execute_script("return document.body.className").split())


def click_blank(driver) -> None:
    """Click a spot with no identifier, term, link or image: the footer padding."""
    driver.execute_script(
        "var f = document.querySelector('.footer') || document.body;"
        "f.dispatchEvent(new MouseEvent('click', {bubbles: true, button: 0}));"
    )


# ----------------------------------------------------------------------------------------- tests


def test_pages_have_no_console_errors(driver, server, site_dir):
    pages = site_pages(site_dir)
    assert pages, "no HTML pages to test"
    failures = {}
    for page in pages:
        load(driver, server.page(page))
        errors = console_errors(driver)
        if errors:
            failures[page] = errors
    assert not failures, failures


def test_identifier_click_highlights_every_use(driver, server, site_dir):
    page, found = pages_with(driver, server, site_dir, FIND_REPEATED_NAME)
    if not found:
        pytest.skip("no identifier used twice on any page")
    name, span = found
    span.click()
    assert "hl-active" in body_classes(driver)
    state = driver.execute_script(
        """
        var name = arguments[0], same = 0, sameHl = 0, otherHl = 0, otherColour = null;
        var spans = document.querySelectorAll('.code pre span');
        for (var i = 0; i < spans.length; i++) {
          var s = spans[i], t = s.textContent.trim(), hl = s.classList.contains('highlighted');
          var isName = /(^|\\s)(n|nc|nf|nb|bp|nn|fm)(\\s|$)/.test(s.className);
          if (isName && t === name) { same++; if (hl) sameHl++; }
          else if (hl) otherHl++;
          else if (isName && otherColour === null) otherColour = getComputedStyle(s).color;
        }
        var dim = getComputedStyle(document.body).getPropertyValue('--dim').trim();
        var probe = document.createElement('span'); probe.style.color = dim; document.body.appendChild(probe);
        var dimRgb = getComputedStyle(probe).color; probe.remove();
        return {same: same, sameHl: sameHl, otherHl: otherHl, otherColour: otherColour, dim: dimRgb};
        """,
        name,
    )
    assert state["same"] >= 2 and state["sameHl"] == state["same"], state
    assert state["otherHl"] == 0, state
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", span)
    screenshot(driver, "identifier-highlight-1400", full_page=False)
    if state["otherColour"] is not None:
        assert state["otherColour"] == state["dim"], "other identifiers are not dimmed"
    assert not console_errors(driver)

    # Escape clears.
    driver.find_element(By.TAG_NAME, "body").send_keys(Keys.ESCAPE)
    assert "hl-active" not in body_classes(driver)
    assert driver.execute_script("return document.querySelectorAll('.highlighted').length") == 0

    # Clicking again toggles off; a click on empty space clears.
    span.click()
    assert "hl-active" in body_classes(driver)
    span.click()
    assert "hl-active" not in body_classes(driver)
    span.click()
    click_blank(driver)
    assert "hl-active" not in body_classes(driver)


def test_identifier_keyboard(driver, server, site_dir):
    page, found = pages_with(driver, server, site_dir, FIND_REPEATED_NAME)
    if not found:
        pytest.skip("no identifier used twice on any page")
    pre = driver.execute_script("return arguments[0].closest('pre')", found[1])
    assert pre.get_attribute("tabindex") == "0"
    driver.execute_script("arguments[0].focus()", pre)
    pre.send_keys(Keys.ENTER)
    assert "hl-active" in body_classes(driver)
    first = driver.execute_script("return document.querySelector('.kbd-cursor').textContent")
    pre.send_keys(Keys.ARROW_RIGHT)
    assert "hl-active" in body_classes(driver)
    pre.send_keys(Keys.ESCAPE)
    assert "hl-active" not in body_classes(driver)
    assert first


def test_xref_click_follows_link(driver, server, site_dir):
    page, found = pages_with(
        driver, server, site_dir,
        "var a = document.querySelector('.code pre a.xref'); return a ? [a.href, a.querySelector('span') || a] : null;",
    )
    if not found:
        pytest.skip("no a.xref on any page")
    href, target = found
    target.click()
    for _ in range(50):
        if driver.current_url == href:
            break
        time.sleep(0.05)
    assert driver.current_url == href
    assert not console_errors(driver)


def test_term_click_highlights_it_in_every_equation(driver, server, site_dir):
    page, found = pages_with(driver, server, site_dir, FIND_SHARED_TERM)
    if not found:
        pytest.skip("no coloured term shared by two equations")
    cls, term = found
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", term)
    driver.execute_script(
        "arguments[0].dispatchEvent(new MouseEvent('click', {bubbles: true, button: 0}))", term
    )
    assert "eq-active" in body_classes(driver)
    state = driver.execute_script(
        """
        var cls = arguments[0];
        var all = document.querySelectorAll('.coloredeq');
        var sel = 0, selKatex = new Set(), wrong = 0, same = 0;
        for (var i = 0; i < all.length; i++) {
          var on = all[i].classList.contains('eq-selected');
          if (all[i].classList.contains(cls)) { same++; if (on) { sel++; selKatex.add(all[i].closest('.katex')); } }
          else if (on) wrong++;
        }
        return {same: same, sel: sel, equations: selKatex.size, wrong: wrong};
        """,
        cls,
    )
    assert state["sel"] == state["same"] and state["equations"] >= 2 and state["wrong"] == 0, state
    screenshot(driver, "term-highlight-1400", full_page=False)
    driver.find_element(By.TAG_NAME, "body").send_keys(Keys.ESCAPE)
    assert "eq-active" not in body_classes(driver)
    assert driver.execute_script("return document.querySelectorAll('.eq-selected').length") == 0
    assert not console_errors(driver)


def test_image_opens_in_modal(driver, server, site_dir):
    page, img = pages_with(
        driver, server, site_dir,
        "var i = Array.prototype.find.call(document.querySelectorAll('.docs img'), function (i) {"
        " return !i.closest('a, .page-header'); }); return i || null;",
    )
    if not img:
        pytest.skip("no image in the notes")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", img)
    img.click()
    modal = driver.find_elements(By.CSS_SELECTOR, ".img-modal")
    assert len(modal) == 1
    assert modal[0].get_attribute("role") == "dialog"
    assert modal[0].get_attribute("aria-modal") == "true"
    assert driver.execute_script("return document.querySelector('.img-modal').contains(document.activeElement)")
    assert driver.execute_script(
        "var m = document.querySelector('.img-modal img'); return m.complete && m.naturalWidth > 0"
    )
    screenshot(driver, "modal-1400", full_page=False)
    driver.switch_to.active_element.send_keys(Keys.ESCAPE)
    assert not driver.find_elements(By.CSS_SELECTOR, ".img-modal")
    assert driver.execute_script("return document.activeElement === arguments[0]", img)
    # Keyboard: Enter on the focused image opens it, a click on the overlay closes it.
    img.send_keys(Keys.ENTER)
    assert driver.find_elements(By.CSS_SELECTOR, ".img-modal")
    driver.find_element(By.CSS_SELECTOR, ".img-modal").click()
    assert not driver.find_elements(By.CSS_SELECTOR, ".img-modal")
    assert not console_errors(driver)


@pytest.mark.parametrize("width,height,mobile", [(1400, 900, False), (390, 844, True)])
def test_layout_and_screenshots(driver, server, site_dir, width, height, mobile):
    set_viewport(driver, width, height, mobile)
    for page in site_pages(site_dir, limit=10):
        load(driver, server.page(page))
        name = page.replace("/", "_").removesuffix(".html") + f"-{width}"
        screenshot(driver, name)
        sizes = driver.execute_script(
            "return [document.documentElement.scrollWidth, window.innerWidth]"
        )
        if width <= 800:
            assert sizes[0] <= sizes[1], f"{page}: horizontal page scroll at {width}px: {sizes}"
        geometry = driver.execute_script(
            """
            var s = document.querySelector('.section .docs + .code');
            if (!s) return null;
            var d = s.previousElementSibling.getBoundingClientRect(), c = s.getBoundingClientRect();
            return {docsRight: d.right, codeLeft: c.left, docsBottom: d.bottom, codeTop: c.top,
                    docsWidth: d.width, width: window.innerWidth};
            """
        )
        if geometry:
            if width > 800:  # side by side, notes about 40%
                assert abs(geometry["docsRight"] - geometry["codeLeft"]) < 2, geometry
                assert 0.3 < geometry["docsWidth"] / geometry["width"] < 0.5, geometry
            else:  # notes above code
                assert geometry["codeTop"] >= geometry["docsBottom"] - 1, geometry
    assert not console_errors(driver)


def test_dark_mode_changes_colours(driver, server, site_dir):
    page = site_pages(site_dir)[0]
    probe = "return [getComputedStyle(document.body).backgroundColor, getComputedStyle(document.body).color]"
    load(driver, server.page(page))
    light = driver.execute_script(probe)
    set_color_scheme(driver, "dark")
    load(driver, server.page(page))
    dark = driver.execute_script(probe)
    assert light[0] != dark[0] and light[1] != dark[1], (light, dark)
    for p in site_pages(site_dir, limit=4):
        load(driver, server.page(p))
        screenshot(driver, p.replace("/", "_").removesuffix(".html") + "-1400-dark")
    set_color_scheme(driver, "light")


def test_print_is_single_column(driver, server, site_dir):
    page, found = pages_with(driver, server, site_dir, "return document.querySelector('.section .docs + .code')")
    if not found:
        pytest.skip("no section with code")
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    geometry = driver.execute_script(
        "var c = arguments[0], d = c.previousElementSibling;"
        "return [d.getBoundingClientRect().bottom, c.getBoundingClientRect().top,"
        " getComputedStyle(document.getElementById('background') || document.body).display]",
        found,
    )
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    assert geometry[1] >= geometry[0] - 1
    assert geometry[2] == "none" or geometry[2] == "block"


def test_nothing_leaves_localhost(driver, server, site_dir):
    requested_urls(driver)  # drain
    urls = []
    for page in site_pages(site_dir):
        load(driver, server.page(page))
        urls += requested_urls(driver)
    assert urls, "no request was seen"
    assert not external(urls), external(urls)
    assert server.requests, "the local server saw no request"
