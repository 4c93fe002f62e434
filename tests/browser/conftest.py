"""Fixtures for the browser tests: a local HTTP server, a headless Chromium, and helpers.

The served folder is a parameter: by default the hand-made ``fixture_site/`` (copied to a temp dir
with ``site_templates/assets`` and, when installed, the KaTeX stylesheet and fonts from
``node_modules``); ``--site-dir PATH`` or ``LABML_DOCS_SITE=PATH`` serves a built site instead.
``real_site_dir`` / ``real_server`` build ``src/labml_nn`` with the real generator once per
session and serve it (``test_real_site.py``).
The tests are skipped when chromium, chromedriver or selenium is missing.
"""

from __future__ import annotations

import base64
import functools
import http.server
import json
import os
import shutil
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
FIXTURE_SITE = HERE / "fixture_site"
ASSETS = ROOT / "site_templates" / "assets"
KATEX_DIST = ROOT / "node_modules" / "katex" / "dist"
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
REAL_SOURCE = ROOT / "src" / "labml_nn"

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")
LOCAL_HOSTS = {"127.0.0.1"}


def pytest_addoption(parser):
    parser.addoption(
        "--site-dir",
        default=os.environ.get("LABML_DOCS_SITE"),
        help="serve this built site to the browser tests instead of tests/browser/fixture_site",
    )


def pytest_collection_modifyitems(config, items):
    for item in items:
        if HERE in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


# ------------------------------------------------------------------------------------ the site


def prepare_fixture_site(dest: Path) -> Path:
    """Copy the fixture site with the page assets (and KaTeX's stylesheet when installed)."""
    shutil.copytree(FIXTURE_SITE, dest)
    shutil.copytree(ASSETS, dest / "assets")
    katex_css = KATEX_DIST / "katex.min.css"
    if katex_css.exists():
        (dest / "assets" / "katex").mkdir(parents=True, exist_ok=True)
        shutil.copy(katex_css, dest / "assets" / "katex" / "katex.min.css")
        if (KATEX_DIST / "fonts").is_dir():
            shutil.copytree(KATEX_DIST / "fonts", dest / "assets" / "katex" / "fonts")
    else:  # no KaTeX installed: drop the link rather than serve a 404
        for page in dest.rglob("*.html"):
            text = page.read_text()
            page.write_text("\n".join(line for line in text.split("\n") if "katex/katex.min.css" not in line))
    return dest


@pytest.fixture(scope="session")
def site_dir(request, tmp_path_factory) -> Path:
    given = request.config.getoption("--site-dir")
    if given:
        path = Path(given).resolve()
        if not path.is_dir():
            pytest.skip(f"--site-dir {path} does not exist")
        return path
    return prepare_fixture_site(tmp_path_factory.mktemp("site") / "site")


@pytest.fixture(scope="session")
def using_fixture_site(request) -> bool:
    return not request.config.getoption("--site-dir")


@pytest.fixture(scope="session")
def real_site_dir(tmp_path_factory) -> Path:
    """``src/labml_nn`` built with the real generator (KaTeX, colouring, definition links) into a
    fresh temp dir, with a cache of its own."""
    from labml_docs.build import Builder
    from labml_docs.config import SiteConfig

    if not REAL_SOURCE.is_dir():
        pytest.skip(f"{REAL_SOURCE} is missing")
    tmp = tmp_path_factory.mktemp("real")
    config = SiteConfig.from_dict({"source_dir": REAL_SOURCE, "cache_dir": str(tmp / "cache")})
    with Builder(config) as builder:
        builder.build(tmp / "site")
    return tmp / "site"


def site_pages(folder: Path, limit: int = 60) -> list[str]:
    """Relative paths of the HTML pages of ``folder`` (index pages first)."""
    pages = sorted(
        (p.relative_to(folder).as_posix() for p in folder.rglob("*.html") if "assets" not in p.parts),
        key=lambda s: (s.count("/"), not s.endswith("index.html"), s),
    )
    return pages[:limit]


# ------------------------------------------------------------------------------------ the server


@dataclass
class Server:
    root: Path
    url: str
    requests: list[str] = field(default_factory=list)
    # (path, HTTP status) of every answered request, in order.
    statuses: list[tuple[str, int]] = field(default_factory=list)
    httpd: http.server.ThreadingHTTPServer | None = None

    def page(self, path: str) -> str:
        return self.url + "/" + path.lstrip("/")

    def close(self) -> None:
        if self.httpd is not None:
            self.httpd.shutdown()
            self.httpd.server_close()


def start_server(folder: Path) -> Server:
    """Serve ``folder`` on 127.0.0.1 at a free port, recording every request path."""
    record: list[str] = []
    statuses: list[tuple[str, int]] = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, fmt, *args):  # quiet, but record
            pass

        def log_request(self, code="-", size="-"):
            statuses.append((self.path, int(getattr(code, "value", code))))

        def do_GET(self):
            record.append(self.path)
            super().do_GET()

        def do_HEAD(self):
            record.append(self.path)
            super().do_HEAD()

    handler = functools.partial(Handler, directory=str(folder))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    host, port = httpd.server_address[:2]
    return Server(folder, f"http://{host}:{port}", record, statuses, httpd)


@pytest.fixture(scope="session")
def serve():
    """Factory: ``serve(folder) -> Server``; every server is shut down at the end."""
    servers: list[Server] = []

    def _serve(folder: Path) -> Server:
        s = start_server(Path(folder))
        servers.append(s)
        return s

    yield _serve
    for s in servers:
        s.close()


@pytest.fixture(scope="session")
def server(serve, site_dir) -> Server:
    return serve(site_dir)


@pytest.fixture(scope="session")
def real_server(serve, real_site_dir) -> Server:
    return serve(real_site_dir)


# ------------------------------------------------------------------------------------ the browser


def _chromium() -> str | None:
    for c in CHROMIUM_CANDIDATES:
        if os.path.exists(c):
            return c
    return shutil.which("chromium") or shutil.which("google-chrome")


@pytest.fixture(scope="session")
def _session_driver():
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    binary = _chromium()
    if not binary or not os.path.exists(CHROMEDRIVER):
        pytest.skip("chromium or chromedriver is not installed")
    profile = tempfile.mkdtemp(prefix="labml-docs-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in (
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run",
        "--disable-default-apps", "--disable-extensions", "--disable-dev-shm-usage",
        "--hide-scrollbars", f"--user-data-dir={profile}", "--window-size=1400,900",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    try:
        driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    except Exception as e:  # pragma: no cover - environment problem
        shutil.rmtree(profile, ignore_errors=True)
        pytest.skip(f"cannot start chromium: {e}")
    driver.execute_cdp_cmd("Network.enable", {})
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def driver(_session_driver):
    """The session's Chromium, reset to a 1400x900 light-mode viewport with empty logs."""
    d = _session_driver
    set_viewport(d, 1400, 900)
    d.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "", "features": []})
    drain_logs(d)
    yield d
    d.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "", "features": []})


# ------------------------------------------------------------------------------------ helpers


def set_viewport(driver, width: int, height: int, mobile: bool = False) -> None:
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile},
    )


def set_color_scheme(driver, scheme: str) -> None:
    driver.execute_cdp_cmd(
        "Emulation.setEmulatedMedia",
        {"media": "", "features": [{"name": "prefers-color-scheme", "value": scheme}]},
    )


def drain_logs(driver) -> None:
    for kind in ("browser", "performance"):
        try:
            driver.get_log(kind)
        except Exception:
            pass


def console_errors(driver) -> list[str]:
    """Console messages of level SEVERE (errors, failed loads, uncaught exceptions) since the last
    call."""
    return [
        e["message"] for e in driver.get_log("browser")
        if e.get("level") == "SEVERE" and "/favicon.ico" not in e["message"]  # the browser's own request
    ]


def requested_urls(driver) -> list[str]:
    """URLs the browser asked for since the last call: the CDP network events of the performance
    log, plus the page's resource timing entries."""
    urls = []
    for entry in driver.get_log("performance"):
        try:
            msg = json.loads(entry["message"])["message"]
        except (KeyError, ValueError):
            continue
        if msg.get("method") == "Network.requestWillBeSent":
            urls.append(msg["params"]["request"]["url"])
    try:
        urls += driver.execute_script(
            "return performance.getEntriesByType('resource').map(function (e) { return e.name; })"
        )
    except Exception:
        pass
    return urls


def external(urls) -> list[str]:
    """The URLs that left 127.0.0.1 (data:, blob: and about: stay in the page)."""
    out = []
    for u in urls:
        parts = urlsplit(u)
        if parts.scheme in ("data", "blob", "about", "chrome", "devtools", ""):
            continue
        if parts.hostname not in LOCAL_HOSTS:
            out.append(u)
    return out


def screenshot(driver, name: str, full_page: bool = True) -> Path:
    """Save a PNG of the page to artifacts/screenshots/NAME.png (the whole page by default);
    NAME may hold a folder (``real/amsgrad-1400``)."""
    path = SCREENSHOTS / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    params = {"format": "png"}
    if full_page:
        m = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})
        size = m.get("cssContentSize") or m["contentSize"]
        width = driver.execute_script("return window.innerWidth")
        params.update(captureBeyondViewport=True, clip={
            "x": 0, "y": 0, "width": width, "height": min(size["height"], 12000), "scale": 1})
    data = driver.execute_cdp_cmd("Page.captureScreenshot", params)["data"]
    path.write_bytes(base64.b64decode(data))
    return path
