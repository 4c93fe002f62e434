"""The annotated pages inside Material for MkDocs, in a real Chromium: the site of
`examples/material/mkdocs.yml` (`layout: theme`), built with the real MkDocs and Material.

What a theme page must do that a page of ours alone does not: take the full width of
Material's main column, follow Material's colour scheme (not the system's), leave Material's
own pages and code blocks alone, and keep working after Material's instant navigation swaps
the page in without loading it."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import console_errors, drain_logs, external, requested_urls, screenshot, set_viewport
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

REPO = Path(__file__).resolve().parents[2]
PAGE = "optimizers/amsgrad.html"

pytestmark = pytest.mark.skipif(importlib.util.find_spec("material") is None,
                                reason="mkdocs-material is not installed")


@pytest.fixture(scope="module")
def material_server(serve, tmp_path_factory):
    """The example's site, served. Material's instant navigation takes only the links of its
    sitemap, whose addresses must have the server's port: the site is built once the server
    has one, with that `site_url`, and the example's paths made absolute."""
    tmp = tmp_path_factory.mktemp("material")
    site = tmp / "site"
    site.mkdir()
    server = serve(site)
    example = (REPO / "examples" / "material" / "mkdocs.yml").read_text(encoding="utf-8")
    config = tmp / "mkdocs.yml"
    config.write_text(re.sub(r"(?m)^site_url: .*$", f"site_url: {server.url}/", example)
                      .replace("../../", f"{REPO}/"), encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict",
                             "-f", str(config), "-d", str(site)],
                            cwd=tmp, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return server


def load(driver, url: str) -> None:
    driver.get(url)
    for _ in range(50):
        if driver.execute_script("return document.readyState") == "complete":
            break
        time.sleep(0.1)


def box(driver, selector: str) -> dict:
    return driver.execute_script(
        "var r = document.querySelector(arguments[0]).getBoundingClientRect();"
        "return {left: r.left, right: r.right, width: r.width};", selector)


def test_page_loads_offline_in_the_theme(driver, material_server):
    drain_logs(driver)
    load(driver, material_server.page(PAGE))
    assert console_errors(driver) == []
    assert external(requested_urls(driver)) == []
    # Material's header and menu around our block; KaTeX's fonts in use.
    assert driver.find_elements(By.CSS_SELECTOR, ".md-header")
    assert driver.find_elements(By.CSS_SELECTOR, ".md-nav__link--active")
    assert driver.execute_script("return document.fonts.check('16px KaTeX_Math')")


def test_notes_beside_code_in_the_full_width(driver, material_server):
    load(driver, material_server.page(PAGE))
    block = box(driver, ".labml-docs")
    inner = box(driver, ".md-main__inner")
    assert block["width"] > 0.7 * inner["width"], (block, inner)
    assert inner["width"] > 1300  # Material's max-width is lifted on our pages
    docs = box(driver, ".labml-docs .section .docs")
    code = box(driver, ".labml-docs .section .code")
    assert code["left"] >= docs["right"] - 1  # side by side


def test_phone_width_does_not_scroll_sideways(driver, material_server):
    set_viewport(driver, 390, 844, mobile=True)
    load(driver, material_server.page(PAGE))
    width = driver.execute_script("return document.documentElement.scrollWidth")
    assert width <= 391
    docs = box(driver, ".labml-docs .section .docs")
    assert docs["width"] > 300  # notes above code, not squeezed beside it


def test_colours_follow_materials_scheme(driver, material_server):
    load(driver, material_server.page(PAGE))
    code_bg = "return getComputedStyle(document.querySelector('.labml-docs')).getPropertyValue('--code-bg').trim()"
    light = driver.execute_script(code_bg)
    driver.execute_script("document.body.setAttribute('data-md-color-scheme', 'slate')")
    dark = driver.execute_script(code_bg)
    assert (light, dark) == ("#f6f7f9", "#1c1f26")


def test_materials_own_pages_are_untouched(driver, material_server):
    load(driver, material_server.page("architecture/"))
    assert not driver.find_elements(By.CSS_SELECTOR, ".labml-docs")
    # Our variables and rules stay inside the block: none on the document itself.
    assert driver.execute_script(
        "return getComputedStyle(document.documentElement).getPropertyValue('--tok-text')") == ""
    assert driver.execute_script("return getComputedStyle(document.querySelector('.md-main__inner')).maxWidth") != "none"


def test_scripts_work_after_instant_navigation(driver, material_server):
    load(driver, material_server.page("optimizers/adam.html"))
    time.sleep(0.5)  # Material reads its sitemap before it takes over links
    driver.execute_script("window.__same_document = true")
    driver.find_element(By.CSS_SELECTOR, 'a.md-nav__link[href$="amsgrad.html"]').click()
    for _ in range(50):
        if driver.execute_script("return location.pathname").endswith("amsgrad.html") and \
                driver.find_elements(By.CSS_SELECTOR, ".labml-docs .coloredeq"):
            break
        time.sleep(0.1)
    time.sleep(0.3)
    assert driver.execute_script("return window.__same_document === true"), "not instant navigation"
    # The new page's code blocks were prepared, and a term of an equation can be selected.
    assert driver.find_elements(By.CSS_SELECTOR, ".labml-docs .code pre[tabindex='0']")
    driver.execute_script("document.querySelector('.labml-docs .coloredeq').scrollIntoView({block: 'center'})")
    driver.find_element(By.CSS_SELECTOR, ".labml-docs .coloredeq").click()
    assert "eq-active" in driver.find_element(By.TAG_NAME, "body").get_attribute("class")


# ---- a reader's session, in both schemes and at a desktop's and a phone's width ----------------

def wait_for(driver, script: str, *args, seconds: float = 5.0):
    """Poll a script until it returns something true; bounded."""
    value = None
    for _ in range(int(seconds / 0.1)):
        value = driver.execute_script(script, *args)
        if value:
            return value
        time.sleep(0.1)
    return value


def switch_scheme(driver, scheme: str) -> None:
    """The reader's way: the palette toggle of Material's header (it remembers the choice)."""
    if driver.execute_script("return document.body.getAttribute('data-md-color-scheme')") == scheme:
        return
    toggle = driver.find_element(By.CSS_SELECTOR, "form[data-md-component=palette] label:not([hidden])")
    toggle.click()
    assert wait_for(driver, "return document.body.getAttribute('data-md-color-scheme') === arguments[0]",
                    scheme)


@pytest.mark.parametrize("width", [1400, 390])
@pytest.mark.parametrize("scheme", ["default", "slate"])
def test_reading_session(driver, material_server, scheme, width):
    """AMSGrad at each scheme and width: offline, no console error, no sideways scroll on a
    phone, our colours following Material's scheme, and both kinds of click working."""
    set_viewport(driver, width, 900, mobile=width < 500)
    load(driver, material_server.page(PAGE))
    driver.execute_script("localStorage.clear()")
    load(driver, material_server.page(PAGE))
    drain_logs(driver)
    load(driver, material_server.page(PAGE))
    switch_scheme(driver, scheme)
    dark = driver.execute_script(
        "return getComputedStyle(document.querySelector('.labml-docs')).getPropertyValue('--code-bg').trim()")
    assert dark == ("#1c1f26" if scheme == "slate" else "#f6f7f9")
    if width < 500:
        assert driver.execute_script("return document.documentElement.scrollWidth") <= width + 1

    # An identifier of the code: every use of it highlighted.
    span = driver.execute_script(
        "return Array.prototype.find.call(document.querySelectorAll('.labml-docs .code pre span.n'),"
        " function (s) { return s.textContent === 'group' && !s.closest('a'); }) || null;")
    assert span is not None
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", span)
    span.click()
    assert "hl-active" in driver.execute_script("return document.body.className")
    counts = driver.execute_script(
        "var hl = document.querySelectorAll('.labml-docs .highlighted');"
        "return [hl.length, Array.prototype.filter.call(hl, function (s) {"
        " return s.textContent.trim() === 'group'; }).length,"
        " document.querySelectorAll('.highlighted').length];")
    assert counts[0] >= 5 and counts[0] == counts[1] == counts[2], counts
    ActionChains(driver).send_keys(Keys.ESCAPE).perform()
    assert "hl-active" not in driver.execute_script("return document.body.className")

    # A term of an equation (a real mouse click on it): selected in every formula that has it.
    term = driver.execute_script(SHARED_TERM)
    assert term, "no term shared by two formulas"
    cls, element, formulas = term
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
    ActionChains(driver).move_to_element(element).click().perform()
    assert "eq-active" in driver.execute_script("return document.body.className")
    selected = driver.execute_script(
        "var ks = new Set(); document.querySelectorAll('.eq-selected').forEach(function (t) {"
        " ks.add(t.closest('.katex')); }); return ks.size;")
    assert selected >= 2, (cls, selected)
    ActionChains(driver).send_keys(Keys.ESCAPE).perform()

    driver.execute_script("window.scrollTo(0, 0)")
    time.sleep(0.2)
    screenshot(driver, f"material/amsgrad-{scheme}-{width}", full_page=False)
    assert console_errors(driver) == []
    assert external(requested_urls(driver)) == []


SHARED_TERM = """
var where = {};
document.querySelectorAll('.labml-docs .katex .coloredeq').forEach(function (t) {
  var m = /(?:^|\\s)(eq[a-z0-9]+)(?=\\s|$)/.exec(t.getAttribute('class')); if (!m) return;
  (where[m[1]] = where[m[1]] || []).push(t);
});
var best = null;
for (var c in where) {
  var ks = new Set(where[c].map(function (t) { return t.closest('.katex'); }));
  if (ks.size >= 2 && (!best || ks.size > best[2])) best = [c, where[c][0], ks.size];
}
return best;
"""


def test_search_finds_the_note_under_its_heading(driver, material_server):
    """Material's search box, typed into: "regret" finds AMSGrad, the entry titled by the
    heading of the note that says it, linked to that heading."""
    set_viewport(driver, 1400, 900)
    drain_logs(driver)
    load(driver, material_server.page(PAGE))
    box = driver.find_element(By.CSS_SELECTOR, "input.md-search__input")  # in the header
    box.click()
    box.send_keys("regret")
    # The results of the whole word (Material searches as the reader types).
    links = wait_for(driver, """
        var links = Array.prototype.map.call(document.querySelectorAll('.md-search-result__link'),
          function (a) { return [a.getAttribute('href'), a.textContent.replace(/\\s+/g, ' ').trim()]; });
        return links.some(function (l) { return l[0].indexOf('h=regret') >= 0; }) ? links : null;
        """, seconds=10)
    assert links, "no search result"
    # Under the AMSGrad page, the notes that say "regret", each by its heading, each linked to
    # it; the formulas of their text as they show (β1=0.9), not as TeX.
    ours = {href.partition("#")[2]: text for href, text in links
            if href.split("?")[0].endswith("/" + PAGE) and "#" in href}
    assert ours["the-synthetic-experiment"].startswith("The synthetic experiment"), links
    assert ours["run-one-optimizer-on-the-synthetic-problem"].startswith(
        "Run one optimizer on the synthetic problem"), links
    assert "β1=0.9" in ours["the-synthetic-experiment"] and "\\beta" not in str(links)
    screenshot(driver, "material/search-regret", full_page=False)
    assert console_errors(driver) == []
    assert external(requested_urls(driver)) == []
