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
from conftest import console_errors, drain_logs, external, requested_urls, set_viewport
from selenium.webdriver.common.by import By

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
