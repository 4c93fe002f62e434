"""`labml-docs serve` as a real process: it keeps rebuilding whatever happens to the tree, and
leaves no temporary folder or KaTeX process behind when stopped.

Every wait is bounded (`DEADLINE`), so that a server that stops rebuilding fails the test
rather than hanging it.
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DEADLINE = 30.0


def note(text: str) -> str:
    """A module whose notes say `text`, with a formula (so that KaTeX runs)."""
    return f'"""\n# A page\n\n{text} and $x^2$.\n"""\n\nx = 1\n'


def wait_until(check, what: str, timeout: float = DEADLINE):
    """Poll `check()` until it returns something true; fail after `timeout` seconds."""
    end = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > end:
            pytest.fail(f"waited {timeout:.0f} s for {what}")
        time.sleep(0.1)


class Server:
    """A `labml-docs serve` process, with what it printed so far."""

    def __init__(self, proc: subprocess.Popen):
        self.proc = proc
        self.lines: list[str] = []
        self.url = ""
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stderr:
            self.lines.append(line.rstrip("\n"))

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_for_line(self, pattern: str, after: int = 0) -> str:
        """The first line, from line `after` on, that matches `pattern`."""
        def found():
            return next((line for line in self.lines[after:] if re.search(pattern, line)), None)
        return wait_until(found, f"a line matching {pattern!r}; printed:\n{self.output}")

    def get(self, path: str) -> str:
        with urllib.request.urlopen(self.url + path, timeout=5) as response:
            return response.read().decode("utf-8")

    def wait_for_page(self, path: str, text: str) -> str:
        def page():
            try:
                html = self.get(path)
            except urllib.error.HTTPError:  # not built yet
                return None
            return html if text in html else None
        return wait_until(page, f"{path} to say {text!r}; printed:\n{self.output}")


# `labml-docs`, with Ctrl-C as a terminal's foreground process finds it: a shell that starts
# jobs in the background (CI, maybe) starts them ignoring SIGINT, and `serve` keeps it so.
PROGRAM = ("import signal\n"
           "signal.signal(signal.SIGINT, signal.default_int_handler)\n"
           "from labml_docs.cli import run\n"
           "run()\n")


@pytest.fixture
def temp_root(tmp_path) -> Path:
    """The `TMPDIR` of the servers: where their `labml-docs-serve-*` folders go."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    return folder


@pytest.fixture
def start_server(tmp_path, temp_root):
    servers: list[Server] = []

    def start(source: Path, *more: str) -> Server:
        env = {**os.environ, "PYTHONPATH": str(REPO), "TMPDIR": str(temp_root)}
        proc = subprocess.Popen(
            [sys.executable, "-c", PROGRAM, "serve", str(source), "--port", "0",
             "--cache-dir", str(tmp_path / "cache"), *more],
            cwd=tmp_path, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, text=True)
        server = Server(proc)
        servers.append(server)
        line = server.wait_for_line(r"serving on http://")
        server.url = re.search(r"http://\S+/", line).group(0)
        return server

    yield start
    for server in servers:
        if server.proc.poll() is None:
            server.proc.kill()
        server.proc.wait(timeout=DEADLINE)


def alive(server: Server) -> bool:
    return server.proc.poll() is None


# ## Rebuilding

@pytest.mark.slow
@pytest.mark.parametrize("how", ["moved", "replaced"])
def test_serve_rebuilds_after_the_source_folder_goes_and_comes_back(how, write_tree, start_server,
                                                                     tmp_path):
    """A branch switch: the folder is gone for 3 s (moved away and back: the same folder; or
    deleted and made again: another one at the same path), then back with new content."""
    tree = write_tree({"__init__.py": "", "a.py": note("first-version")})
    server = start_server(tree)
    assert "first-version" in server.get("a.html")

    away = tmp_path / "away"
    gone_at = time.monotonic()
    if how == "moved":
        tree.rename(away)
    else:
        shutil.copytree(tree, away)
        shutil.rmtree(tree)
    failed = server.wait_for_line(r"rebuild failed")
    assert "no such folder" in failed
    assert "first-version" in server.get("a.html")  # the last good site is still served
    (away / "a.py").write_text(note("second-version"), encoding="utf-8")
    time.sleep(max(0.0, 3.0 - (time.monotonic() - gone_at)))
    mark = len(server.lines)
    if how == "moved":
        away.rename(tree)
    else:
        shutil.copytree(away, tree)

    server.wait_for_page("a.html", "second-version")
    server.wait_for_line(r"\d+ pages \(", after=mark)  # the rebuild's report
    assert alive(server)
    assert "Traceback" not in server.output


def test_serve_reports_a_syntax_error_and_rebuilds_once_it_is_fixed(write_tree, start_server):
    tree = write_tree({"__init__.py": "", "a.py": note("first-version")})
    server = start_server(tree)
    assert "first-version" in server.get("a.html")

    mark = len(server.lines)
    (tree / "a.py").write_text(note("broken-version") + "def broken(:\n", encoding="utf-8")
    named = re.escape(str(tree / "a.py"))  # from the working folder, as the tree was given
    assert "syntax error" in server.wait_for_line(rf"^{named}:\d+: ", after=mark)
    assert "first-version" in server.get("a.html")  # a page that fails keeps its last version

    mark = len(server.lines)
    (tree / "a.py").write_text(note("fixed-version"), encoding="utf-8")
    server.wait_for_page("a.html", "fixed-version")
    server.wait_for_line(r"\d+ pages \(", after=mark)
    assert alive(server) and "Traceback" not in server.output


def test_serve_rebuilds_when_a_template_of_the_site_changes(write_tree, start_server, tmp_path):
    tree = write_tree({"__init__.py": "", "a.py": note("first-version")})
    templates = tmp_path / "templates"
    templates.mkdir()
    page = (REPO / "site_templates" / "page.html").read_text(encoding="utf-8")
    assert "{% block content -%}" in page

    def write_template(mark: str) -> None:
        text = page.replace("{% block content -%}", "{% block content -%}<!-- " + mark + " -->")
        (templates / "page.html").write_text(text, encoding="utf-8")

    write_template("template-one")
    settings = tmp_path / "settings.yml"
    settings.write_text(f"templates_dir: {templates}\n", encoding="utf-8")
    server = start_server(tree, "--config", str(settings))
    assert "template-one" in server.get("a.html")

    write_template("template-two")
    server.wait_for_page("a.html", "template-two")
    assert alive(server)


def test_serve_ignores_changes_that_a_build_skips(write_tree, start_server, tmp_path):
    """The page cache inside the tree, hidden files and `__pycache__` start no build (else a
    cache written by the build would start the next one, forever)."""
    tree = write_tree({"__init__.py": "", "a.py": note("first-version")})
    server = start_server(tree, "--cache-dir", str(tree / "cache"))
    mark = len(server.lines)
    (tree / ".hidden.py").write_text("x = 1\n", encoding="utf-8")
    (tree / "__pycache__").mkdir(exist_ok=True)
    (tree / "__pycache__" / "a.pyc").write_bytes(b"\0")
    (tree / "cache" / "note.txt").write_text("written by someone\n", encoding="utf-8")
    time.sleep(3)  # the watcher's debounce is 1.6 s at most
    assert [line for line in server.lines[mark:] if "pages (" in line] == []
    (tree / "b.py").write_text(note("b-version"), encoding="utf-8")
    server.wait_for_page("b.html", "b-version")


# ## Reloading open pages

RELOAD = "/__labml_docs_reload"


def test_serve_adds_the_reload_script_to_served_pages_only(write_tree, start_server, temp_root):
    """The script is in what the browser gets, not in the site's files (they are `build`'s)."""
    tree = write_tree({"__init__.py": note("home"), "a.py": note("first-version")})
    server = start_server(tree)
    for path in ("a.html", ""):  # a page, and a folder's index.html
        served = server.get(path)
        assert RELOAD in served and served.index(RELOAD) < served.rindex("</body>")
    built = next(temp_root.glob("labml-docs-serve-*")) / "site" / "a.html"
    assert RELOAD not in built.read_text(encoding="utf-8")
    assert RELOAD not in server.get("assets/interactive.js")
    assert "http" not in server.get("a.html").split(RELOAD)[0].rsplit("<script>", 1)[1]


def test_serve_answers_the_reload_question_when_a_build_ends(write_tree, start_server):
    tree = write_tree({"__init__.py": "", "a.py": note("first-version")})
    server = start_server(tree)
    build = int(re.search(r"var build = (\d+);", server.get("a.html")).group(1))
    assert server.get(f"{RELOAD}?since={build - 1}".lstrip("/")) == str(build)  # at once

    answers: list[str] = []

    def ask() -> None:  # a long poll: longer than `get`'s 5 s on a busy machine
        with urllib.request.urlopen(f"{server.url}{RELOAD[1:]}?since={build}", timeout=DEADLINE) as r:
            answers.append(r.read().decode())

    asking = threading.Thread(target=ask)
    asking.start()
    time.sleep(0.5)
    assert answers == []  # held open: no build since
    (tree / "a.py").write_text(note("second-version"), encoding="utf-8")
    asking.join(timeout=DEADLINE)
    assert answers == [str(build + 1)]
    assert "second-version" in server.get("a.html")


# ## Stopping

def _children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (the KaTeX engine's Node.js among them)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_serve_stops_on_a_signal_and_removes_its_temporary_folder(signum, write_tree, start_server,
                                                                  temp_root):
    tree = write_tree({"__init__.py": "", "a.py": note("first-version")})
    server = start_server(tree)
    assert "first-version" in server.get("a.html")
    assert [p.name.startswith("labml-docs-serve-") for p in temp_root.iterdir()] == [True]
    children = _children(server.proc.pid)
    assert children, "the KaTeX engine should be running"

    server.proc.send_signal(signum)
    assert server.proc.wait(timeout=DEADLINE) == 0, server.output
    assert list(temp_root.glob("labml-docs-serve-*")) == []
    wait_until(lambda: not any(_running(pid) for pid in children), "the KaTeX engine to stop")
    assert "Traceback" not in server.output


def test_serve_renders_a_page_again_when_its_catalog_changes(write_tree, start_server, tmp_path):
    tree = write_tree({"__init__.py": "", "a.py": '"""\n# Hello\n"""\n'})
    catalog = tree.parent / "locale" / "zh" / "a.po"
    catalog.parent.mkdir(parents=True)

    def translate(words: str) -> None:
        catalog.write_text(f'msgctxt "a.py#section-0"\nmsgid "Hello"\nmsgstr "{words}"\n',
                           encoding="utf-8")

    translate("你好")
    settings = tmp_path / "settings.yml"
    settings.write_text("languages: [zh]\n", encoding="utf-8")
    server = start_server(tree, "--config", str(settings))
    assert "<h1>你好</h1>" in server.get("zh/a.html")
    translate("您好")
    server.wait_for_page("zh/a.html", "<h1>您好</h1>")
    assert alive(server)
