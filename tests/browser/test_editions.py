"""The language switcher in Chromium: from the AMSGrad page to its zh edition and back, at the
same section (the zh edition comes from the hand-written catalog in tests/locale)."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from conftest import REAL_SOURCE, console_errors
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from labml_docs.build import Builder
from labml_docs.config import SiteConfig

LOCALE = Path(__file__).resolve().parents[1] / "locale"
AMSGRAD = "optimizers/amsgrad.html"


@pytest.fixture(scope="session")
def editions_server(serve, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("editions")
    shutil.copytree(REAL_SOURCE, tmp / "src" / "labml_nn",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(LOCALE, tmp / "src" / "locale")
    config = SiteConfig.from_dict({"source_dir": tmp / "src" / "labml_nn", "languages": ["zh"],
                                   "cache_dir": str(tmp / "cache")})
    with Builder(config) as builder:
        site = builder.build(tmp / "site")
    assert not site.errors, site.errors
    return serve(tmp / "site")


def switch(driver, language: str) -> None:
    before = driver.current_url
    driver.find_element(By.CSS_SELECTOR, f'nav.languages a[hreflang="{language}"]').click()
    WebDriverWait(driver, 10).until(lambda d: d.current_url != before
                                    and d.execute_script("return document.readyState") == "complete")
    time.sleep(0.1)


def section_top(driver, section: str) -> float:
    return driver.execute_script(
        "return document.getElementById(arguments[0]).getBoundingClientRect().top", section)


def test_switching_language_lands_on_the_same_section(driver, editions_server):
    driver.get(editions_server.page(AMSGRAD) + "#section-5")
    assert driver.find_element(By.CSS_SELECTOR, "nav.languages").is_displayed()
    switch(driver, "zh")
    assert driver.current_url == editions_server.page("zh/" + AMSGRAD) + "#section-5"
    assert driver.execute_script("return document.documentElement.lang") == "zh"
    assert abs(section_top(driver, "section-5")) < 2
    heading = driver.find_element(By.CSS_SELECTOR, "#section-5 h3")
    assert heading.text == "更新中使用的二阶矩"
    # and back, to the same section of the English page
    switch(driver, "en")
    assert driver.current_url == editions_server.page(AMSGRAD) + "#section-5"
    assert abs(section_top(driver, "section-5")) < 2
    assert not console_errors(driver)


def test_without_a_fragment_the_section_in_view_is_kept(driver, editions_server):
    driver.get(editions_server.page(AMSGRAD))
    driver.execute_script("document.getElementById('section-9').scrollIntoView()")
    time.sleep(0.1)
    switch(driver, "zh")
    assert driver.current_url == editions_server.page("zh/" + AMSGRAD) + "#section-9"
    assert abs(section_top(driver, "section-9")) < 2
    # The English left in the edition says so: its language, and a visible mark.
    untranslated = driver.find_elements(By.CSS_SELECTOR, '.docs [lang="en"].untranslated')
    assert untranslated and untranslated[0].value_of_css_property("border-left-style") == "dotted"
    assert not console_errors(driver)
