"""
---
title: Previewing a site
summary: >
  labml-docs serve builds the site into a temporary folder, serves it on localhost, rebuilds
  it on change, and removes it on exit.
---

# Previewing a site

`labml-docs serve SRC_DIR` builds the site into a temporary folder, serves that folder on
`127.0.0.1`, and builds again when a file of the tree or a template changes. It has to
outlive whatever happens to the tree while it runs:

* **A failed rebuild is one line**, not the end of the watching: the source folder may be gone
  for a moment (a branch switch, a `git stash`), a file may be half written. The last good site
  stays served, and the next change builds again.
* **The folder may vanish and come back**, moved away and back (the same folder) or deleted
  and made anew (another one at the same path). A file-system watch follows the folder it was
  given, not its path, so the watch is started again whenever the folder at the path is no
  longer the one watched; while there is none, its path is looked at four times a second.
* **Changes are seen by the system's notifications** ([watchfiles](https://watchfiles.helpmanual.io/),
  inotify on Linux), not by reading the times of every file every second. Files that a build
  skips (hidden names, `__pycache__`, the page cache) trigger nothing, so the cache that a
  build writes inside the tree cannot start the next build. The watch is on before the first
  build reads the tree (a quarter of a second at the start), so no change is missed, and
  changes made while a build runs are kept for the next one.
* **Open pages reload themselves after a rebuild**, as with `mkdocs serve`. Each HTML page is
  served with a few lines of script (`RELOAD_SCRIPT`, ours, nothing loaded from elsewhere)
  that ask `/__labml_docs_reload` which build is the latest one. The question is held open
  (a long poll, `RELOAD_WAIT` seconds at most) until a build newer than the page's ends, then
  the page reloads. The script goes into the responses, never into the built files: the
  folder served is exactly what `labml-docs build` writes.
* **Ctrl-C and `SIGTERM` stop it in order**: a rebuild under way is let finish writing, the
  KaTeX process is stopped, and the temporary folder is removed.
"""

import http.server
import logging
import os
import shutil
import signal
import stat
import tempfile
import threading
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path

import click

from .build import Builder, Site
from .config import SiteConfig
from .scan import SKIPPED_DIRS
from .templates import templates_dir

log = logging.getLogger("labml_docs")

#: How often (ms) the watch wakes with no change, to check that the folder it watches is still
#: the one at the source path. Starting takes as long: the first wake says the watch is on.
CHECK_MS = 250
#: How long (s) shutting down waits for a rebuild under way to finish writing the site.
SHUTDOWN_WAIT = 30.0
#: The address that open pages ask for the number of the latest build.
RELOAD_PATH = "/__labml_docs_reload"
#: How long (s) that question is held open with no new build; the page then asks again.
RELOAD_WAIT = 20.0


def serve(config: SiteConfig, host: str, port: int, report: Callable[[Site], None]) -> None:
    """Build, serve on `host:port` (0: any free port) until Ctrl-C or `SIGTERM`, rebuild on
    change; `report(site)` prints what each build found."""
    with _stop_on_signals():
        temp = None
        preview = None
        try:
            temp = Path(tempfile.mkdtemp(prefix="labml-docs-serve-"))
            preview = Preview(config, temp / "site", report)
            preview.run(host, port)
        except KeyboardInterrupt:
            click.echo("stopping", err=True)
        finally:
            if preview is not None:
                preview.close()
            if temp is not None:
                shutil.rmtree(temp, ignore_errors=True)


class Preview:
    """One served site: its builder, the folder it is served from, and the watcher's thread."""

    def __init__(self, config: SiteConfig, out_dir: Path, report: Callable[[Site], None]):
        self.config = config
        self.out_dir = out_dir
        self.report = report
        self.builder = Builder(config)
        self.builds = Builds()
        self.stop = threading.Event()
        self.server: http.server.ThreadingHTTPServer | None = None
        self.changes: Generator[bool, None, None] | None = None
        self.watcher: threading.Thread | None = None

    def run(self, host: str, port: int) -> None:
        """Listen, watch, build, then serve until interrupted, rebuilding in a thread.

        The watch is in place before the first build reads the tree, so that no change made
        while it builds is missed (the watch keeps them for the watcher's thread)."""
        self.server = _listen(host, port, self.out_dir, self.builds)
        config = self.config
        # The translation catalogs too, when there are editions (a catalog edited in a
        # translator's tool renders its page again).
        catalogs = []
        if config.languages:
            from .i18n.catalog import locale_dir
            catalogs = [locale_dir(config)]
        self.changes = tree_changes(
            Path(config.source_dir),
            ([Path(config.templates_dir)] if config.templates_dir else []) + [templates_dir()]
            + catalogs,
            [Path(config.cache_dir)] if config.cache_dir else [], self.stop)
        next(self.changes)
        self.build_first()
        self.watcher = threading.Thread(target=self._rebuild_on_change, name="labml-docs-watcher",
                                        daemon=True)
        self.watcher.start()
        bound_host, bound_port = self.server.server_address[:2]
        if isinstance(bound_host, bytes):
            bound_host = bound_host.decode()
        click.echo(f"serving on http://{bound_host}:{bound_port}/ (Ctrl-C to stop)", err=True)
        self.server.serve_forever()

    def build_first(self) -> None:
        """The first build: a problem here (no KaTeX) ends the command, as it would `build`."""
        from .math import MathEngineError

        try:
            self.report(self.builder.build(self.out_dir))
        except MathEngineError as e:
            raise click.ClickException(str(e)) from None
        self.builds.done()

    def _rebuild_on_change(self) -> None:
        assert self.changes is not None  # set before the thread starts
        for changed in self.changes:
            if changed:
                self.rebuild()

    def rebuild(self) -> None:
        """Build again; a failure is said in one line and the last good site stays served."""
        if self.stop.is_set():
            return
        try:
            site = self.builder.build(self.out_dir)
        except Exception as e:  # noqa: BLE001 - the server outlives any failed rebuild
            click.echo(f"rebuild failed ({type(e).__name__}: {e}); still serving the last "
                       f"site, watching for changes", err=True)
            return
        self.report(site)
        self.builds.done()

    def close(self) -> None:
        """Stop serving and watching (a rebuild under way is let finish writing the site, for
        `SHUTDOWN_WAIT` at most), then stop KaTeX."""
        self.stop.set()
        self.builds.close()  # answers the pages waiting for a build
        if self.server is not None:
            self.server.server_close()
        if self.watcher is not None:
            self.watcher.join(timeout=SHUTDOWN_WAIT)
        elif self.changes is not None:
            self.changes.close()  # ends the watch (no thread is running it)
        self.builder.close()


def _listen(host: str, port: int, folder: Path, builds: "Builds") -> http.server.ThreadingHTTPServer:
    handler = partial(_Handler, directory=str(folder), builds=builds)
    try:
        return http.server.ThreadingHTTPServer((host, port), handler)
    except OSError as e:
        raise click.ClickException(f"cannot listen on {host}:{port}: {e.strerror or e}") from None


# ## Reloading open pages

class Builds:
    """The number of the latest finished build, and a way to wait for the next one."""

    def __init__(self) -> None:
        self.number = 0
        self.closed = False
        self.changed = threading.Condition()

    def done(self) -> None:
        """A build has been written: wake every page waiting for one."""
        with self.changed:
            self.number += 1
            self.changed.notify_all()

    def wait_after(self, number: int, timeout: float) -> int:
        """The latest build's number once it is not `number`, or after `timeout` seconds, or at
        once when the server is closing."""
        with self.changed:
            self.changed.wait_for(lambda: self.number != number or self.closed, timeout)
            return self.number

    def close(self) -> None:
        with self.changed:
            self.closed = True
            self.changed.notify_all()


#: What each served page carries: it asks for a build newer than the one it was served from,
#: reloads when there is one, asks again when the question times out, and waits a second
#: before asking again when the server does not answer (stopped, or restarting).
RELOAD_SCRIPT = """<script>
(function () {
  var build = %(build)d;
  function ask() {
    fetch("%(path)s?since=" + build, {cache: "no-store"})
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.text(); })
      .then(function (t) { if (parseInt(t, 10) !== build) location.reload(); else ask(); })
      .catch(function () { setTimeout(ask, 1000); });
  }
  ask();
})();
</script>
"""


def with_reload_script(html: bytes, build: int) -> bytes:
    """`html` with `RELOAD_SCRIPT` at the end of its body (or at its end, if it has none)."""
    script = (RELOAD_SCRIPT % {"build": build, "path": RELOAD_PATH}).encode()
    at = html.rfind(b"</body>")
    if at < 0:
        return html + script
    return html[:at] + script + html[at:]


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Files of the site, HTML pages with `RELOAD_SCRIPT`, and the reload question; requests
    are logged only with `--verbose`."""

    def __init__(self, *args, builds: Builds, **kwargs):
        self.builds = builds
        super().__init__(*args, **kwargs)

    def do_GET(self) -> None:
        path, _, query = self.path.partition("?")
        if path == RELOAD_PATH:
            self.answer_reload(query)
            return
        page = self.html_file()
        if page is None:
            super().do_GET()
            return
        try:
            html = page.read_bytes()
        except OSError:  # gone between the look and the read: a rebuild's moment
            self.send_error(404, "File not found")
            return
        self.send_bytes(with_reload_script(html, self.builds.number), "text/html; charset=utf-8")

    def html_file(self) -> Path | None:
        """The HTML page this request asks for, if it is one (a folder's `index.html` when the
        address ends with `/`); `None` for anything else, which the usual handler answers."""
        path = Path(self.translate_path(self.path))
        if self.path.partition("?")[0].endswith("/"):
            path = path / "index.html"
        return path if path.suffix == ".html" and path.is_file() else None

    def answer_reload(self, query: str) -> None:
        """The latest build's number, once it is not the one the page says (`since=N`)."""
        from urllib.parse import parse_qs

        try:
            since = int(parse_qs(query).get("since", ["-1"])[0])
        except ValueError:
            since = -1
        number = self.builds.wait_after(since, RELOAD_WAIT)
        self.send_bytes(str(number).encode(), "text/plain; charset=utf-8")

    def send_bytes(self, body: bytes, content_type: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        log.info(format, *args)


# ## Stopping on signals

@contextmanager
def _stop_on_signals() -> Iterator[None]:
    """`SIGTERM` (and `SIGINT`, unless the process was started ignoring it) raise
    `KeyboardInterrupt` once, so that both end the server through the same `finally`;
    a second signal does not cut the clean-up short."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be set in the main thread
        return
    received: list[int] = []

    def stop(signum, frame):
        if not received:
            received.append(signum)
            raise KeyboardInterrupt

    names = [signal.SIGTERM]
    if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
        names.append(signal.SIGINT)
    previous = {name: signal.signal(name, stop) for name in names}
    try:
        yield
    finally:
        for name, handler in previous.items():
            signal.signal(name, handler)


# ## Watching the tree

def tree_changes(source_dir: Path, others: list[Path], ignored: list[Path],
                 stop: threading.Event) -> Generator[bool, None, None]:
    """Watch `source_dir` and the folders of `others` that exist, until `stop` is set.

    Yields `True` after each batch of changes that matter (see `_change_filter`), and `False`
    every `CHECK_MS` with none; the first yield comes once the watch is on. When the folder at
    `source_dir` goes, or another takes its place, it yields `True` (the build then says what is
    wrong), waits for a folder to be there, watches that one, and yields `True` again."""
    import watchfiles

    source_dir = Path(os.path.abspath(source_dir))
    accept = _change_filter([source_dir] + others, ignored)
    pending = False  # a change that no yield has told of yet
    polling = False  # notifications failed once (the inotify limit, say): poll instead
    while True:
        identity = _wait_for_folder(source_dir, stop)
        if identity is None:
            return
        folders = [source_dir] + [f for f in others if f.is_dir()]
        try:
            for changes in watchfiles.watch(*folders, watch_filter=accept, stop_event=stop,
                                            rust_timeout=CHECK_MS, yield_on_timeout=True,
                                            force_polling=polling, ignore_permission_denied=True):
                replaced = _folder_identity(source_dir) != identity
                yield bool(changes) or pending or replaced
                pending = False
                if replaced:
                    break
        except Exception as e:  # noqa: BLE001 - whatever the watch raises, watching goes on
            if _folder_identity(source_dir) is not None:  # not only the folder going
                if not polling:
                    click.echo(f"watching for changes failed ({e}); polling instead", err=True)
                    polling = True
                else:
                    stop.wait(1.0)
        if stop.is_set():
            return
        pending = True  # whatever happened while no watch ran


def _folder_identity(path: Path) -> tuple[int, int] | None:
    """Which folder is at `path` (device and inode), or `None` if there is none."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino) if stat.S_ISDIR(st.st_mode) else None


def _wait_for_folder(path: Path, stop: threading.Event) -> tuple[int, int] | None:
    """The identity of the folder at `path` once there is one; `None` if stopped first."""
    while not stop.is_set():
        identity = _folder_identity(path)
        if identity is not None:
            return identity
        stop.wait(0.25)
    return None


def _change_filter(roots: list[Path], ignored: list[Path]) -> Callable[[object, str], bool]:
    """Whether a changed path matters: not inside an `ignored` folder, and, below the watched
    folder it is in, no part of its path that `scan` skips (hidden names, `__pycache__`...)."""
    def spellings(paths: list[Path]) -> list[str]:
        return sorted({os.path.join(form(str(p)), "") for p in paths
                       for form in (os.path.abspath, os.path.realpath)}, key=len, reverse=True)

    root_prefixes, ignored_prefixes = spellings(roots), spellings(ignored)

    def accept(change: object, path: str) -> bool:
        if any(path.startswith(prefix) or path + os.sep == prefix for prefix in ignored_prefixes):
            return False
        for prefix in root_prefixes:
            if path.startswith(prefix):
                parts = path[len(prefix):].split(os.sep)
                return not any(_skipped(part) for part in parts)
        return True

    return accept


def _skipped(name: str) -> bool:
    return name.startswith(".") or name in SKIPPED_DIRS or name.endswith(".egg-info")
