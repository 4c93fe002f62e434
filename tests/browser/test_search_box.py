"""The search box of the standalone site, in Chromium, on the built site of ``src/labml_nn``:
Pagefind's index and API served from 127.0.0.1, our script (``assets/search.js``) around them."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from conftest import console_errors, external, requested_urls, set_color_scheme, set_viewport
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys

pytestmark = pytest.mark.browser
AMSGRAD = "optimizers/amsgrad.html"


def wait_for(driver, script: str, timeout: float = 8.0):
    end = time.monotonic() + timeout
    while True:
        value = driver.execute_script(script)
        if value or time.monotonic() > end:
            return value
        time.sleep(0.05)


def results(driver) -> list[dict]:
    return driver.execute_script(
        """return Array.from(document.querySelectorAll('.search-results li[role=option] a')).map(
             a => ({href: a.getAttribute('href'), url: a.href, text: a.innerText,
                    marked: Array.from(a.querySelectorAll('mark')).map(m => m.textContent)}));""")


def search(driver, server, page: str, query: str) -> list[dict]:
    driver.get(server.page(page))
    wait_for(driver, "return document.readyState === 'complete'")
    ActionChains(driver).send_keys("/").perform()  # "/" focuses the box
    assert driver.execute_script("return document.activeElement.type") == "search"
    ActionChains(driver).send_keys(query).perform()
    wait_for(driver, "return document.querySelectorAll('.search-results li[role=option]').length > 0")
    assert on_top(driver), "the page's notes cover the list of results"
    return results(driver)


def on_top(driver) -> bool:
    """Whether every result, where it is shown, is what the reader sees and clicks (not the
    notes of the page under the list)."""
    return driver.execute_script(
        """var list = document.querySelector('.search-results');
           var box = list.getBoundingClientRect();
           return Array.from(list.querySelectorAll('li[role=option]')).every(function (li) {
             var r = li.getBoundingClientRect();
             if (r.bottom > box.bottom || r.top < 0) return true;  // scrolled out of the list
             var hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
             return li.contains(hit);
           });""")


def test_regret_finds_the_amsgrad_note_and_opens_its_section(driver, real_server):
    set_viewport(driver, 1280, 900)
    found = search(driver, real_server, "index.html", "regret")
    amsgrad = [r for r in found if AMSGRAD in r["href"]]
    assert amsgrad, found
    hit = amsgrad[0]
    assert "#section-" in hit["href"] and "AMSGrad" in hit["text"]
    assert any(m.lower().startswith("regret") for m in hit["marked"]), hit
    # Arrows move, Enter opens: the page scrolls to the section of the match.
    index = found.index(hit)
    for _ in range(index + 1):
        ActionChains(driver).send_keys(Keys.ARROW_DOWN).perform()
    # The box says what is open and which result is chosen (a combobox, for screen readers).
    box = driver.execute_script(
        "var i = document.querySelector('.site-search input'); return [i.getAttribute('aria-expanded'),"
        " document.getElementById(i.getAttribute('aria-activedescendant')).getAttribute('aria-selected')]")
    assert box == ["true", "true"], box
    ActionChains(driver).send_keys(Keys.ENTER).perform()
    section = hit["href"].split("#")[1]
    assert wait_for(driver, f"return location.hash === '#{section}'")
    wait_for(driver, "return document.readyState === 'complete'")
    top = driver.execute_script(f"return document.getElementById('{section}').getBoundingClientRect().top")
    assert -2 <= top < 120, top
    assert "regret" in driver.execute_script(
        f"return document.getElementById('{section}').querySelector('.docs').textContent").lower()
    assert not external(requested_urls(driver))
    assert not console_errors(driver)


def test_identifier_leads_to_its_class(driver, real_server):
    found = search(driver, real_server, AMSGRAD, "AMSGrad")
    classes = [r for r in found if r["text"].startswith("AMSGrad\nclass")]
    assert classes, found
    driver.get(classes[0]["url"])
    section = classes[0]["href"].split("#")[1]
    code = driver.execute_script(f"return document.getElementById('{section}').querySelector('.code').textContent")
    assert "class AMSGrad" in code


def test_escape_closes_and_phone_dark(driver, real_server):
    set_viewport(driver, 390, 844, mobile=True)
    set_color_scheme(driver, "dark")
    try:
        found = search(driver, real_server, AMSGRAD, "Adam")
        assert found
        box = driver.execute_script(
            """var r = document.querySelector('.search-results').getBoundingClientRect();
               return {left: r.left, right: r.right, width: document.documentElement.clientWidth,
                       bg: getComputedStyle(document.querySelector('.search-results')).backgroundColor};""")
        assert box["left"] >= 0 and box["right"] <= box["width"] + 1, box
        assert box["bg"] == "rgb(21, 23, 28)", box  # the dark scheme's background
        ActionChains(driver).send_keys(Keys.ESCAPE).perform()
        assert driver.execute_script("return document.querySelector('.search-results').hidden")
        assert not external(requested_urls(driver))
    finally:
        set_color_scheme(driver, "light")
        set_viewport(driver, 1280, 900)


@pytest.fixture(scope="module")
def sharded_server(serve, tmp_path_factory):
    """A tree of 40 pages, whose index has four shards, built and served."""
    from trees import make_tree

    from labml_docs.build import Builder
    from labml_docs.config import SiteConfig

    tmp = tmp_path_factory.mktemp("sharded")
    src = make_tree(tmp / "tree", 38)
    for n in range(38):  # a word of each page's own
        path = src / ("sub" if n % 2 else "") / f"module_{n}.py"
        path.write_text(path.read_text().replace("Scales by", f"Scales, as zebra{n}q does, by"))
    config = SiteConfig.from_dict({"source_dir": src, "cache_dir": str(tmp / "cache")})
    with Builder(config) as builder:
        site = builder.build(tmp / "site")
    assert site.stats["search_shards"] == 4
    return serve(tmp / "site")


def test_every_shard_is_searched(driver, sharded_server):
    """A word of each page finds that page, whichever shard holds it: the shards are merged."""
    set_viewport(driver, 1280, 900)
    from labml_docs.search import shard_of
    shards = set()
    for n in (0, 1, 2, 3, 5, 8, 13, 21):
        url = f"{'sub/' if n % 2 else ''}module_{n}.html"
        shards.add(shard_of(url, 4))
        found = search(driver, sharded_server, "index.html", f"zebra{n}q")
        assert [r["href"].split("#")[0] for r in found] == [url], (n, found)
        assert found[0]["marked"] == [f"zebra{n}q"]
    assert len(shards) >= 3
    assert not any(p.startswith("/pagefind") and s >= 400 for p, s in sharded_server.statuses)


def test_a_result_on_the_same_page_closes_the_list_and_shows_its_section(driver, real_server):
    set_viewport(driver, 1280, 900)
    found = search(driver, real_server, AMSGRAD, "AMSGrad.init_state")
    assert found[0]["url"].startswith(real_server.page(AMSGRAD) + "#section-"), found
    ActionChains(driver).send_keys(Keys.ENTER).perform()
    section = found[0]["href"].split("#")[1]
    assert wait_for(driver, f"return location.hash === '#{section}'")
    assert wait_for(driver, "return document.querySelector('.search-results').hidden")
    top = driver.execute_script(f"return document.getElementById('{section}').getBoundingClientRect().top")
    assert -2 <= top < 120, top


def test_a_page_opened_as_a_file_says_search_needs_a_server(driver, real_site_dir):
    driver.get((real_site_dir / AMSGRAD).as_uri())
    wait_for(driver, "return document.readyState === 'complete'")
    ActionChains(driver).send_keys("/").perform()
    ActionChains(driver).send_keys("regret").perform()
    assert wait_for(driver, "var n = document.querySelector('.search-none');"
                            " return n && !n.closest('ul').hidden && n.textContent") == \
        "Search needs the site served over HTTP"


@pytest.fixture(scope="module")
def two_language_server(serve, tmp_path_factory):
    """40 pages in four shards, two of them in German (their `<html lang="de">`, as a translated
    edition's): some shards have no German page, and would answer in English."""
    from trees import make_tree

    from labml_docs.build import Builder
    from labml_docs.config import SiteConfig

    tmp = tmp_path_factory.mktemp("languages")
    src = make_tree(tmp / "tree", 38)
    templates = tmp / "templates"
    templates.mkdir()
    base = (Path(__file__).resolve().parents[2] / "site_templates" / "base.html").read_text()
    lang = "{% if page.url in ('sub/module_1.html', 'sub/module_3.html') %}de{% else %}en{% endif %}"
    (templates / "base.html").write_text(base.replace('<html lang="', f'<html lang="{lang}" data-x="', 1))
    config = SiteConfig.from_dict({"source_dir": src, "cache_dir": str(tmp / "cache"),
                                   "templates_dir": str(templates)})
    with Builder(config) as builder:
        site = builder.build(tmp / "site")
    assert site.stats["search_shards"] == 4
    return serve(tmp / "site")


def test_a_page_finds_the_notes_of_its_own_language(driver, two_language_server):
    set_viewport(driver, 1280, 900)
    german = search(driver, two_language_server, "sub/module_1.html", "Scales")
    english = search(driver, two_language_server, "module_0.html", "Scales")
    german_pages = {"sub/module_1.html", "sub/module_3.html"}
    assert {r["url"].split("/", 3)[3].split("#")[0] for r in german} == german_pages, german
    assert english and not any(r["url"].split("/", 3)[3].split("#")[0] in german_pages
                               for r in english), english
