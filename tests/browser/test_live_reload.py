"""`labml-docs serve` in a real Chromium: a page open in the browser reloads itself, and shows
the new notes, once a change to its source is rebuilt; nothing it loads comes from elsewhere.

The server is a process of its own, as a user starts it; every wait is bounded.
"""

import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import console_errors, external, requested_urls

ROOT = Path(__file__).resolve().parents[2]
DEADLINE = 30.0


def note(text: str) -> str:
    return f'"""\n# A page\n\n{text} and $x^2$.\n"""\n\nx = 1\n'


@pytest.fixture
def served_tree(tmp_path):
    """`labml-docs serve` of a two-page tree on a free port: `(tree, url of the site)`."""
    tree = tmp_path / "src" / "pkg"
    tree.mkdir(parents=True)
    (tree / "__init__.py").write_text(note("home"), encoding="utf-8")
    (tree / "a.py").write_text(note("first-version"), encoding="utf-8")
    temp = tmp_path / "tmp"
    temp.mkdir()
    proc = subprocess.Popen(
        [sys.executable, "-m", "labml_docs.cli", "serve", str(tree), "--port", "0",
         "--cache-dir", str(tmp_path / "cache")],
        cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT), "TMPDIR": str(temp)},
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    threading.Thread(target=lambda: lines.extend(proc.stderr), daemon=True).start()
    try:
        end = time.monotonic() + DEADLINE
        url = None
        while url is None:
            found = [m for line in list(lines) if (m := re.search(r"serving on (http://\S+/)", line))]
            if found:
                url = found[0].group(1)
            elif time.monotonic() > end or proc.poll() is not None:
                pytest.fail("labml-docs serve did not start:\n" + "".join(lines))
            else:
                time.sleep(0.1)
        yield tree, url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=DEADLINE)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=DEADLINE)


def test_an_open_page_reloads_after_its_source_changes(driver, served_tree):
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    tree, url = served_tree
    driver.get(url + "a.html")
    WebDriverWait(driver, DEADLINE).until(lambda d: "first-version" in d.find_element("tag name", "body").text)
    # A mark that only this load of the page carries: a reload drops it.
    driver.execute_script("window.__before_reload = true;")
    time.sleep(0.5)  # the page's question is on its way

    started = time.monotonic()
    (tree / "a.py").write_text(note("second-version"), encoding="utf-8")
    # (The page reloads while it is watched: the body found may be gone when its text is read.)
    WebDriverWait(driver, DEADLINE, poll_frequency=0.1,
                  ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda d: "second-version" in d.find_element("tag name", "body").text)
    seconds = time.monotonic() - started
    assert driver.execute_script("return window.__before_reload === undefined")
    print(f"\nreloaded {seconds:.2f} s after the change")
    assert console_errors(driver) == []
    assert external(requested_urls(driver)) == []
