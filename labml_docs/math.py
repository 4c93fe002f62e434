"""Server-side math: KaTeX through one persistent Node.js process, with a persistent cache.

The build collects every formula of a page (or of the whole tree), hands them to
:class:`MathRenderer` in one batch, and gets back one :class:`MathResult` per formula, in order.

* :class:`NodeKatexEngine` runs ``labml_docs/katex/render_server.js`` in one ``node`` process and
  sends whole batches over a line-delimited JSON protocol. Its output is byte-identical to
  ``katex.renderToString(tex, options)`` run directly in Node with the same options.
* :class:`MarkdownKatexEngine` is the slow fallback (the PyPI package ``markdown-katex``, one
  process per formula, its own bundled KaTeX).
* :class:`MathCache` keeps results on disk (SQLite in WAL mode), keyed by engine, KaTeX version,
  options, display mode and source, so a rebuild of an unchanged tree renders nothing.

Each formula has a budget (:class:`MathOptions`): seconds of KaTeX and characters of HTML. A few
bytes of macros can expand into minutes of work and gigabytes of HTML; such a formula becomes an
error mark with a message, like an invalid one, and the rest of the batch is rendered.
"""

from __future__ import annotations

import collections
import hashlib
import html as html_lib
import json
import logging
import os
import queue
import re
import shutil
import sqlite3
import subprocess
import tempfile
import threading
import time
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping, Protocol, Sequence, runtime_checkable

from .atomic import write_atomic

__all__ = [
    "Formula",
    "MathResult",
    "MathOptions",
    "MathEngine",
    "MathEngineError",
    "KatexNotFoundError",
    "NodeKatexEngine",
    "MarkdownKatexEngine",
    "make_engine",
    "MathCache",
    "MathStats",
    "MathRenderer",
    "error_mark",
    "find_katex_dir",
    "katex_assets_dir",
    "copy_katex_assets",
    "PINNED_KATEX_VERSION",
    "TRUSTED_COMMANDS",
]

log = logging.getLogger("labml_docs")

PINNED_KATEX_VERSION = "0.16.22"
KATEX_ENV_VAR = "LABML_DOCS_KATEX_DIR"
NODE_ENV_VAR = "LABML_DOCS_NODE"
RENDER_SERVER = Path(__file__).parent / "katex" / "render_server.js"
REPO_ROOT = Path(__file__).resolve().parents[1]
#: The only command allowed by KaTeX's ``trust`` option (used to colour equation terms).
TRUSTED_COMMANDS = ("\\htmlClass",)
#: Commands that need ``trust`` in KaTeX; all but TRUSTED_COMMANDS are refused.
UNTRUSTED_COMMANDS = ("\\href", "\\url", "\\htmlId", "\\htmlStyle", "\\htmlData", "\\includegraphics")
OUTPUT_FORMATS = ("html", "mathml", "htmlAndMathml")
#: Bump when the stored form of a result changes (for example the error mark).
CACHE_FORMAT = 1

INSTALL_HINT = (
    "KaTeX {v} (the npm package `katex`) was not found. Install it with `npm install` in the "
    "labml-docs repository (package.json pins it), or with `npm install katex@{v} --prefix DIR` "
    "and point labml-docs at it with --katex-dir DIR or the environment variable {env}=DIR."
).format(v=PINNED_KATEX_VERSION, env=KATEX_ENV_VAR)


#: The names of the engines, as settings and flags give them.
ENGINES = ("auto", "katex-node", "markdown-katex")


class MathEngineError(RuntimeError):
    """No math engine can run, or the engine failed (not an error in a formula)."""


class KatexNotFoundError(MathEngineError, FileNotFoundError):
    """The npm package katex was not found."""


# --------------------------------------------------------------------------------------------
# Data


@dataclass(frozen=True)
class Formula:
    tex: str
    display: bool


@dataclass
class MathResult:
    html: str  # KaTeX HTML+MathML, or an error mark holding the escaped source
    error: str | None  # KaTeX's message when the formula is invalid
    # A failure that depends on the machine and the moment (the time budget, a crash of the
    # KaTeX process) rather than on the formula and the options alone: never cached.
    transient: bool = False


#: A node of a parse tree makes ten characters of HTML or more (a letter in MathML alone is
#: `<mi>x</mi>`; most formulas make 60 to 500 per node): a formula whose tree has more nodes
#: than `max_output / CHARS_PER_NODE` is refused before its HTML is built.
CHARS_PER_NODE = 10


@dataclass(frozen=True)
class MathOptions:
    """Options of a build's math; hashable, so it can be part of a cache key.

    ``timeout`` (seconds of KaTeX) and ``max_output`` (characters of HTML) are the budget of one
    formula; a formula over either becomes an error mark. The output budget is part of the
    cache key (it decides what is rendered); the time budget is not, and a formula that runs
    out of time is never cached (the same formula may fit on a faster or less busy machine).
    """

    macros: tuple[tuple[str, str], ...] = ()
    output: str = "htmlAndMathml"
    timeout: float = 10.0
    max_output: int = 2_000_000

    def __post_init__(self) -> None:
        if self.output not in OUTPUT_FORMATS:
            raise ValueError(f"math output must be one of {', '.join(OUTPUT_FORMATS)}, not {self.output!r}")
        if not 0 < float(self.timeout) < float("inf"):
            raise ValueError(f"the math time budget is a number of seconds above 0, not {self.timeout!r}")
        if int(self.max_output) < 1:
            raise ValueError(f"the math output budget is a number of characters above 0, not {self.max_output!r}")
        object.__setattr__(self, "timeout", float(self.timeout))
        object.__setattr__(self, "max_output", int(self.max_output))
        macros = tuple((str(k), str(v)) for k, v in self.macros)
        for name, _ in macros:
            if not name.startswith("\\") or len(name) < 2:
                raise ValueError(f"a macro name starts with a backslash, like \\RR: {name!r}")
        object.__setattr__(self, "macros", macros)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> "MathOptions":
        """From a config mapping: ``{"macros": {"\\\\RR": "\\\\mathbb{R}"}, "output": "htmlAndMathml"}``.

        ``macros`` may be a mapping or a list of pairs; a name without its backslash gets one.
        """
        data = dict(data or {})
        unknown = set(data) - {"macros", "output", "timeout", "max_output"}
        if unknown:
            raise ValueError(f"unknown math option(s): {', '.join(sorted(unknown))}")
        raw = data.get("macros") or {}
        items = raw.items() if isinstance(raw, Mapping) else raw
        macros = []
        for name, expansion in items:
            name = str(name)
            if not name.startswith("\\"):
                name = "\\" + name
            macros.append((name, str(expansion)))
        budgets = {k: data[k] for k in ("timeout", "max_output") if data.get(k) is not None}
        return cls(macros=tuple(macros), output=str(data.get("output", "htmlAndMathml")), **budgets)

    @classmethod
    def from_config(cls, config: Any) -> MathOptions:
        """The options of a build's settings (a ``SiteConfig``): macros and budgets."""
        return cls.from_dict({"macros": config.katex_macros, "timeout": config.math_timeout,
                              "max_output": config.math_max_output})

    @property
    def max_nodes(self) -> int:
        """The largest parse tree a formula may have (see ``CHARS_PER_NODE``)."""
        return max(1, self.max_output // CHARS_PER_NODE)

    def macros_dict(self) -> dict[str, str]:
        return dict(self.macros)

    def to_json(self) -> dict[str, Any]:
        return {"macros": self.macros_dict(), "output": self.output,
                "maxNodes": self.max_nodes, "maxOutput": self.max_output}

    def cache_key(self) -> str:
        return json.dumps([list(m) for m in self.macros] + [self.output, self.max_output],
                          ensure_ascii=False)

    # Messages of a formula over budget, shown on the page and as `file:line: KaTeX: ...`.

    def over_time(self) -> str:
        return f"formula exceeds the time budget of {self.timeout:g} s"

    def over_output(self, detail: str) -> str:
        return f"formula exceeds the output budget of {self.max_output:,} characters ({detail})"


def error_mark(tex: str, message: str) -> str:
    """The HTML shown in place of an invalid formula."""
    return '<span class="katex-error" title="{}">{}</span>'.format(
        html_lib.escape(message, quote=True), html_lib.escape(tex, quote=True)
    )


@runtime_checkable
class MathEngine(Protocol):
    name: str
    katex_version: str

    def render_many(self, formulas: Sequence[Formula]) -> list[MathResult]: ...

    def close(self) -> None: ...


# --------------------------------------------------------------------------------------------
# Finding KaTeX


def _katex_package(candidate: Path) -> Path | None:
    """The katex package folder at, or inside, ``candidate`` (package, node_modules or prefix)."""
    for path in (candidate, candidate / "katex", candidate / "node_modules" / "katex"):
        manifest = path / "package.json"
        try:
            if manifest.is_file() and json.loads(manifest.read_text("utf-8")).get("name") == "katex":
                return path
        except (OSError, ValueError):
            continue
    return None


def find_katex_dir(katex_dir: str | os.PathLike[str] | None = None) -> Path:
    """The folder of the npm package katex.

    Looked for in order: ``katex_dir`` (the package itself, a ``node_modules`` folder or an npm
    ``--prefix`` folder), the environment variable ``LABML_DOCS_KATEX_DIR``, ``node_modules`` of
    the current directory and its parents, and ``node_modules`` beside the labml_docs package.
    """
    if katex_dir is not None:
        found = _katex_package(Path(katex_dir).expanduser())
        if found is None:
            raise KatexNotFoundError(f"No katex package in {katex_dir}. " + INSTALL_HINT)
        return found.resolve()
    env = os.environ.get(KATEX_ENV_VAR)
    if env:
        found = _katex_package(Path(env).expanduser())
        if found is None:
            raise KatexNotFoundError(f"No katex package in {KATEX_ENV_VAR}={env}. " + INSTALL_HINT)
        return found.resolve()
    cwd = Path.cwd().resolve()
    for folder in (cwd, *cwd.parents, REPO_ROOT):
        found = _katex_package(folder / "node_modules")
        if found is not None:
            return found.resolve()
    raise KatexNotFoundError(INSTALL_HINT)


def find_node(node: str | None = None) -> str | None:
    """The ``node`` executable: ``node``, env ``LABML_DOCS_NODE``, or ``node`` on PATH."""
    node = node or os.environ.get(NODE_ENV_VAR) or "node"
    return shutil.which(node)


def katex_assets_dir(katex_dir: str | os.PathLike[str] | None = None) -> Path:
    """The ``dist`` folder of the katex package found: ``katex.min.css`` and ``fonts/``."""
    dist = find_katex_dir(katex_dir) / "dist"
    if not (dist / "katex.min.css").is_file() and not (dist / "katex.css").is_file():
        raise KatexNotFoundError(f"{dist} holds no katex.min.css. " + INSTALL_HINT)
    return dist


def katex_asset_files(katex_dir: str | os.PathLike[str] | None = None) -> list[tuple[str, Path]]:
    """`(name in the site's KaTeX folder, source file)`: the stylesheet, then the fonts."""
    dist = katex_assets_dir(katex_dir)
    css = dist / "katex.min.css"
    if not css.is_file():
        css = dist / "katex.css"
    files = [("katex.min.css", css)]
    for pattern in ("*.woff2", "*.woff", "*.ttf"):
        files += [(f"fonts/{font.name}", font) for font in sorted((dist / "fonts").glob(pattern))]
    return files


def copy_katex_assets(dest: str | os.PathLike[str], katex_dir: str | os.PathLike[str] | None = None) -> Path:
    """Copy KaTeX's CSS and fonts into ``dest`` (e.g. ``site/assets/katex``).

    Writes ``dest/katex.min.css`` (from ``katex.min.css``, or ``katex.css`` if that is all there is)
    and ``dest/fonts/*.woff2``, ``*.woff`` and ``*.ttf``. Unchanged files are not copied again.
    Returns the path of the CSS file.
    """
    dest = Path(dest)
    (dest / "fonts").mkdir(parents=True, exist_ok=True)
    copies = [(src, dest / name) for name, src in katex_asset_files(katex_dir)]
    for src, dst in copies:
        try:
            s, d = src.stat(), dst.stat()
            if s.st_size == d.st_size and int(s.st_mtime) <= int(d.st_mtime):
                continue
        except OSError:
            pass
        write_atomic(dst, src.read_bytes())
    return dest / "katex.min.css"


# --------------------------------------------------------------------------------------------
# Node.js engine


def _stop_process(proc: subprocess.Popen, readers: Sequence[threading.Thread] = ()) -> None:
    """Close stdin (the server exits), then wait; kill if it does not. Leaves no zombie."""
    try:
        if proc.stdin and not proc.stdin.closed:
            try:
                proc.stdin.close()
            except OSError:
                pass
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    finally:
        for stream in (proc.stdout, proc.stderr):
            if stream and not stream.closed:
                try:
                    stream.close()
                except OSError:
                    pass
        for reader in readers:
            if reader is not threading.current_thread():
                reader.join(timeout=5)


def _drain_stderr(stream, lines: collections.deque) -> None:
    """Keep the last lines the server wrote to stderr (for messages); never lets the pipe fill."""
    try:
        for raw in iter(stream.readline, b""):
            lines.append(raw.decode("utf-8", "replace").rstrip())
    except (OSError, ValueError):
        pass


def _read_lines(stream, lines: queue.SimpleQueue) -> None:
    """Put each line the server writes into ``lines`` with the time it came; ``b""`` at the end.

    A thread of its own, so that waiting for the next answer can time out."""
    try:
        for raw in iter(stream.readline, b""):
            lines.put((time.monotonic(), raw))
    except (OSError, ValueError):
        pass
    finally:
        lines.put((time.monotonic(), b""))


def _next_line(lines: queue.SimpleQueue, deadline: float) -> tuple[float, bytes] | None:
    """``(arrival time, line)`` of the next line, or ``None`` if none came by ``deadline``."""
    try:
        return lines.get(timeout=min(threading.TIMEOUT_MAX, max(0.0, deadline - time.monotonic())))
    except queue.Empty:
        return None


def _write_all(stream, requests: list[bytes]) -> None:
    """Send every request (a thread of its own: a pipe holds 64 KiB, a batch megabytes)."""
    try:
        for data in requests:
            stream.write(data)
        stream.flush()
    except (OSError, ValueError):
        pass  # the process ended: the reader sees the end of its output


def node_heap_mb(max_output: int) -> int:
    """The V8 heap of the KaTeX process, in MB: room for the largest formula the output budget
    lets through, and a bound on what a formula that slips past it can take from the machine.

    Measured: a formula of a million characters of HTML takes about 100 MB beyond Node's own
    50. The heap is 256 MB plus 128 MB per million characters of the budget, and 512 MB at
    least (which the default budget of 2,000,000 gets).
    """
    return max(512, 256 + 128 * max_output // 1_000_000)


class NodeKatexEngine:
    """KaTeX in one persistent ``node`` process; whole batches per request.

    Restarts the process if it dies. Use as a context manager, or call :meth:`close`.

    Each formula gets ``options.timeout`` seconds: the server answers formula by formula, and
    a formula whose answer does not come in time has the process killed (JavaScript cannot be
    interrupted) and becomes an error; a new process renders the formulas after it. A formula
    that ends the process (out of its heap of :func:`node_heap_mb` MB) is an error in the same
    way. The server itself refuses a formula over the output budget (see render_server.js).
    """

    name = "katex-node"
    #: Formulas per request; a batch larger than this is sent as several requests.
    chunk_size = 256
    #: Seconds the server may take to start.
    start_timeout = 60.0

    def __init__(
        self,
        options: MathOptions = MathOptions(),
        katex_dir: str | os.PathLike[str] | None = None,
        node: str | None = None,
        heap_mb: int | None = None,
    ) -> None:
        self.options = options
        self.katex_dir = find_katex_dir(katex_dir)
        found = find_node(node)
        if found is None:
            raise MathEngineError(
                f"Node.js (`{node or os.environ.get(NODE_ENV_VAR) or 'node'}`) was not found on PATH; "
                "install Node.js 18 or newer, or use the markdown-katex engine."
            )
        self.node = found
        self.heap_mb = heap_mb or node_heap_mb(options.max_output)
        self.katex_version = ""
        self.restarts = 0
        self._lock = threading.Lock()
        self._proc: subprocess.Popen | None = None
        self._lines: queue.SimpleQueue | None = None  # the lines of the process's stdout
        self._finalizer: weakref.finalize | None = None
        self._stderr: collections.deque[str] = collections.deque(maxlen=40)
        self._request_id = 0
        self._closed = False
        self._start()

    # -- process -----------------------------------------------------------------------------

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def _start(self) -> None:
        self._stderr.clear()
        proc = subprocess.Popen(
            [self.node, f"--max-old-space-size={self.heap_mb}", str(RENDER_SERVER), str(self.katex_dir)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=str(RENDER_SERVER.parent),
        )
        lines: queue.SimpleQueue = queue.SimpleQueue()
        readers = (
            threading.Thread(target=_drain_stderr, args=(proc.stderr, self._stderr), daemon=True),
            threading.Thread(target=_read_lines, args=(proc.stdout, lines), daemon=True),
        )
        for reader in readers:
            reader.start()
        self._proc, self._lines = proc, lines
        self._finalizer = weakref.finalize(self, _stop_process, proc, readers)
        got = _next_line(lines, time.monotonic() + self.start_timeout)
        line = got[1] if got is not None else b""
        try:
            hello = json.loads(line)
            version = hello["version"]
            assert hello.get("ready") is True
        except Exception:
            self._kill()
            raise MathEngineError(
                f"the KaTeX server did not start (node {self.node}, katex {self.katex_dir}): "
                + (self._stderr_text() or repr(line[:200]))
            ) from None
        if self.katex_version and version != self.katex_version:
            raise MathEngineError(f"KaTeX changed from {self.katex_version} to {version} under a running build")
        self.katex_version = version
        if version != PINNED_KATEX_VERSION:
            log.warning("KaTeX %s found at %s; labml-docs pins %s", version, self.katex_dir, PINNED_KATEX_VERSION)

    def _stderr_text(self) -> str:
        return "\n".join(self._stderr)

    def _stop(self) -> None:
        if self._finalizer is not None:
            self._finalizer()  # runs _stop_process once
            self._finalizer = None
        self._proc = self._lines = None

    def _kill(self) -> None:
        """End the process now (a formula may keep it busy for ever) and reap it."""
        self._send_kill()
        self._stop()

    def _send_kill(self) -> None:
        if self._proc is not None:
            try:
                self._proc.kill()
            except OSError:
                pass

    def _restart(self) -> None:
        # A process that is gone was stopped here, after a formula over budget (that formula
        # says so); one still there died on its own.
        died = self._proc is not None
        self._stop()
        self.restarts += 1
        (log.warning if died else log.debug)("restarting the KaTeX node process (restart %d)", self.restarts)
        self._start()

    # -- rendering ---------------------------------------------------------------------------

    def render_many(self, formulas: Sequence[Formula]) -> list[MathResult]:
        formulas = list(formulas)
        results: list[MathResult] = []
        with self._lock:
            if self._closed:
                raise MathEngineError("the math engine is closed")
            while len(results) < len(formulas):
                if self._proc is None or self._proc.poll() is not None:
                    self._restart()
                results += self._render_run(formulas[len(results) :])
        return results

    def _render_run(self, formulas: list[Formula]) -> list[MathResult]:
        """Render ``formulas`` in order, up to and including the first that runs out of time or
        ends the process; that one is an error, and the process is gone (the caller starts
        another for the formulas after it).

        Every request is sent at once (a writer thread keeps the pipe full) and the answers read
        as they come. The clock of a formula starts when the answer before it arrives, which is
        when the server starts it (see render_server.js)."""
        proc, lines = self._proc, self._lines
        assert proc is not None and lines is not None
        requests = self._requests(formulas)
        writer = threading.Thread(target=_write_all, args=(proc.stdin, [r[2] for r in requests]), daemon=True)
        writer.start()
        results: list[MathResult] = []
        try:
            stopped = self._read_answers(requests, lines, results)
        except BaseException:
            self._end_run(writer)
            raise
        if stopped is None:
            writer.join()
            return results
        self._end_run(writer)  # reaps the process and reads the last of its messages
        formula = formulas[len(results)]
        message = self.options.over_time() if stopped == "time" else self._crash_message(proc)
        results.append(MathResult(error_mark(formula.tex, message), message, transient=True))
        return results

    def _requests(self, formulas: list[Formula]) -> list[tuple[int, list[Formula], bytes]]:
        """``(id, formulas, line)`` of each request: ``chunk_size`` formulas at most."""
        options = self.options.to_json()
        requests = []
        for start in range(0, len(formulas), self.chunk_size):
            chunk = formulas[start : start + self.chunk_size]
            self._request_id += 1
            payload = {
                "id": self._request_id,
                "options": options,
                "formulas": [{"tex": f.tex, "display": bool(f.display)} for f in chunk],
            }
            requests.append((self._request_id, chunk, json.dumps(payload).encode("ascii") + b"\n"))
        return requests

    def _read_answers(self, requests, lines: queue.SimpleQueue, results: list[MathResult]) -> str | None:
        """Append to ``results`` the answer of each formula; ``None`` when all came, else why
        they stopped: ``"time"`` (a formula over its time budget) or ``"crash"``."""
        started = time.monotonic()
        for request_id, chunk, _ in requests:
            for formula in chunk:
                got = _next_line(lines, started + self.options.timeout)
                if got is None:
                    return "time"
                started, line = got
                if not line:
                    return "crash"
                results.append(self._answer(formula, request_id, line))
        return None

    def _answer(self, formula: Formula, request_id: int, line: bytes) -> MathResult:
        try:
            answer = json.loads(line)
        except ValueError:
            raise MathEngineError(f"the KaTeX server answered out of step: {line[:200]!r}") from None
        if "fatal" in answer:
            raise MathEngineError("the KaTeX server refused a request: " + str(answer["fatal"]))
        if answer.get("id") != request_id:
            raise MathEngineError("the KaTeX server answered out of step")
        if "html" in answer:
            return MathResult(html=answer["html"], error=None)
        over = answer.get("over")
        if over == "nodes":
            message = self.options.over_output(f"its parse tree has more than {self.options.max_nodes:,} nodes")
        elif over == "output":
            message = self.options.over_output(f"its HTML has {int(answer.get('size', 0)):,}")
        else:
            message = str(answer.get("error") or "KaTeX error")
        return MathResult(html=error_mark(formula.tex, message), error=message)

    def _end_run(self, writer: threading.Thread) -> None:
        """Kill the process (the writer may be blocked on its full pipe), then reap it."""
        self._send_kill()
        writer.join()
        self._stop()

    def _crash_message(self, proc: subprocess.Popen) -> str:
        messages = self._stderr_text()
        if "heap out of memory" in messages or "Reached heap limit" in messages:
            return f"formula exceeds the memory budget of the KaTeX process ({self.heap_mb} MB)"
        last = messages.strip().splitlines()[-1:] or [f"exit status {proc.returncode}"]
        return f"formula stopped the KaTeX process ({last[0]})"

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._stop()

    def __enter__(self) -> "NodeKatexEngine":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<NodeKatexEngine KaTeX {self.katex_version} pid={self.pid} katex_dir={self.katex_dir}>"


# --------------------------------------------------------------------------------------------
# markdown-katex fallback

_UNTRUSTED_RE = re.compile(r"\\(href|url|htmlId|htmlStyle|htmlData|includegraphics)(?![A-Za-z])")
_KATEX_MESSAGE_RE = re.compile(r"(KaTeX parse error: .*)")


class MarkdownKatexEngine:
    """The fallback: the PyPI package markdown-katex, one katex process per formula.

    markdown-katex bundles its own KaTeX (0.15.1 in release 202406.1035), so its output may differ
    from the pinned version's. Its command line has no trust function: ``--trust`` is passed and the
    commands other than ``\\htmlClass`` that need trust are refused here before rendering.

    Of the budgets, only the output's holds here: markdown-katex waits for its katex process
    with no time limit, and that process has the heap Node gives it.
    """

    name = "markdown-katex"

    def __init__(self, options: MathOptions = MathOptions()) -> None:
        try:
            import markdown_katex  # noqa: F401
            from markdown_katex import wrapper
        except ImportError as e:
            raise MathEngineError(
                "the fallback math engine needs markdown-katex: pip install markdown-katex"
            ) from e
        self.options = options
        self._wrapper = wrapper
        self._tex2html = markdown_katex.tex2html
        try:
            out = subprocess.run(
                wrapper.get_bin_cmd() + ["--version"], capture_output=True, text=True, timeout=60, check=True
            )
            self.katex_version = out.stdout.strip().splitlines()[-1]
        except Exception as e:  # noqa: BLE001
            raise MathEngineError(f"markdown-katex's katex does not run: {e}") from e
        self._tmpdir = tempfile.mkdtemp(prefix="labml-docs-mdkatex-")
        self._macro_file: str | None = None
        if options.macros:
            text = "".join(f"{k}:{' '.join(v.splitlines())}\n" for k, v in options.macros)
            digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
            # markdown-katex caches by command line: the file name carries the content's hash.
            self._macro_file = os.path.join(self._tmpdir, f"macros-{digest}.txt")
            with open(self._macro_file, "w", encoding="utf-8") as f:
                f.write(text)

    def _cli_options(self, display: bool) -> dict[str, Any]:
        opts: dict[str, Any] = {"format": self.options.output, "trust": True}
        if display:
            opts["display-mode"] = True
        if self._macro_file:
            opts["macro-file"] = self._macro_file
        return opts

    def _refused(self, tex: str) -> str | None:
        text = tex + "".join(v for k, v in self.options.macros if k in tex)
        m = _UNTRUSTED_RE.search(text)
        return "\\" + m.group(1) if m else None

    def render_one(self, formula: Formula) -> MathResult:
        refused = self._refused(formula.tex)
        if refused:
            message = f"KaTeX parse error: untrusted command {refused} refused (only \\htmlClass is allowed)"
            return MathResult(html=error_mark(formula.tex, message), error=message)
        try:
            html = self._tex2html(formula.tex, self._cli_options(formula.display))
            if len(html) > self.options.max_output:
                message = self.options.over_output(f"its HTML has {len(html):,}")
                return MathResult(html=error_mark(formula.tex, message), error=message)
            return MathResult(html=html, error=None)
        except self._wrapper.KatexError as e:
            text = str(e)
            m = _KATEX_MESSAGE_RE.search(text)
            message = m.group(1).strip() if m else text.strip()
            return MathResult(html=error_mark(formula.tex, message), error=message)

    def render_many(self, formulas: Sequence[Formula]) -> list[MathResult]:
        return [self.render_one(f) for f in formulas]

    def close(self) -> None:
        shutil.rmtree(self._tmpdir, ignore_errors=True)

    def __enter__(self) -> "MarkdownKatexEngine":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def make_engine(
    name: str = "auto",
    options: MathOptions = MathOptions(),
    katex_dir: str | os.PathLike[str] | None = None,
) -> MathEngine:
    """A math engine: ``"node"`` (``"katex-node"``), ``"markdown-katex"``, or ``"auto"``.

    ``"auto"`` takes Node.js with the pinned KaTeX when both are found, else markdown-katex, else
    raises :class:`MathEngineError` saying how to install either. Logs which engine runs.
    """
    name = name.lower()
    if name in ("node", "katex-node", "katex"):
        engine: MathEngine = NodeKatexEngine(options, katex_dir)
    elif name in ("markdown-katex", "markdown_katex"):
        engine = MarkdownKatexEngine(options)
    elif name == "auto":
        try:
            engine = NodeKatexEngine(options, katex_dir)
        except MathEngineError as node_error:
            try:
                engine = MarkdownKatexEngine(options)
            except MathEngineError as md_error:
                raise MathEngineError(
                    "No math engine can run.\n"
                    f"- Node.js + KaTeX: {node_error}\n- markdown-katex: {md_error}"
                ) from None
            log.warning("math: Node.js + KaTeX unavailable (%s); falling back to markdown-katex (slow)", node_error)
    else:
        raise ValueError(f"unknown math engine {name!r}: use auto, node or markdown-katex")
    where = f" from {engine.katex_dir}" if isinstance(engine, NodeKatexEngine) else ""
    log.info("math engine: %s (KaTeX %s%s)", engine.name, engine.katex_version, where)
    return engine


# --------------------------------------------------------------------------------------------
# Cache

_SQLITE_CORRUPT = 11
_SQLITE_NOTADB = 26


def _is_corruption(error: sqlite3.Error) -> bool:
    code = getattr(error, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (_SQLITE_CORRUPT, _SQLITE_NOTADB)
    text = str(error).lower()
    return "malformed" in text or "not a database" in text or "corrupt" in text


def _disk_full(folder: Path) -> bool:
    try:
        return shutil.disk_usage(folder).free < 64 * 1024
    except OSError:
        return False


class MathCache:
    """Rendered formulas on disk: one SQLite database (WAL) in ``directory``.

    Safe for several builds at once. A corrupt database is dropped and rebuilt; a corrupt entry
    (its checksum does not match) is ignored and rendered again. Never raises on a cache problem:
    it logs a warning and behaves as a miss.
    """

    FILENAME = "math.sqlite3"
    SCHEMA = 1

    def __init__(self, directory: str | os.PathLike[str] | None = None) -> None:
        self.directory = Path(directory) if directory is not None else Path.cwd() / ".labml-docs-cache" / "math"
        self.path = self.directory / self.FILENAME
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._pid: int | None = None
        self.disabled = False
        self.resets = 0

    # -- keys --------------------------------------------------------------------------------

    @staticmethod
    def make_key(engine_name: str, katex_version: str, options: MathOptions, formula: Formula) -> str:
        blob = json.dumps(
            [CACHE_FORMAT, engine_name, katex_version, options.cache_key(), bool(formula.display), formula.tex],
            ensure_ascii=False,
        )
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()

    @staticmethod
    def _check(key: str, html: str, error: str | None) -> str:
        h = hashlib.sha256()
        for part in (key, html, "\x01" if error is None else error):
            h.update(part.encode("utf-8", "surrogatepass"))
            h.update(b"\x00")
        return h.hexdigest()[:32]

    # -- connection --------------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        if self._conn is not None and self._pid == os.getpid():
            return self._conn
        self._conn = None  # a connection inherited through fork is not used
        self.directory.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(self.path), timeout=60, isolation_level=None, check_same_thread=False)
        try:
            conn.execute("PRAGMA busy_timeout = 60000")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute(
                "CREATE TABLE IF NOT EXISTS entries (key TEXT PRIMARY KEY, html TEXT NOT NULL, "
                "error TEXT, checksum TEXT NOT NULL) WITHOUT ROWID"
            )
            conn.execute("CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)")
            row = conn.execute("SELECT value FROM meta WHERE name = 'schema'").fetchone()
            if row is None:
                conn.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (str(self.SCHEMA),))
            elif row[0] != str(self.SCHEMA):
                conn.execute("DELETE FROM entries")
                conn.execute("UPDATE meta SET value = ? WHERE name = 'schema'", (str(self.SCHEMA),))
        except BaseException:
            conn.close()
            raise
        self._conn, self._pid = conn, os.getpid()
        return conn

    def _drop_database(self, error: Exception) -> None:
        log.warning("math cache %s is corrupt (%s): dropping it", self.path, error)
        self.resets += 1
        if self._conn is not None:
            try:
                self._conn.close()
            except sqlite3.Error:
                pass
        self._conn = None
        for suffix in ("", "-wal", "-shm", "-journal"):
            try:
                os.unlink(str(self.path) + suffix)
            except FileNotFoundError:
                pass
            except OSError as e:
                log.warning("cannot remove %s%s: %s", self.path, suffix, e)

    def _run(self, what: str, action):
        """Run ``action(conn)``; on corruption drop the database and retry once; else give up."""
        if self.disabled:
            return None
        with self._lock:
            for attempt in range(2):
                try:
                    return action(self._connect())
                except sqlite3.Error as e:
                    if _is_corruption(e) and attempt == 0:
                        self._drop_database(e)
                        continue
                    # A full disk shows as "disk I/O error": say the cause, and say it once.
                    full = _disk_full(self.directory)
                    log.warning("math cache %s: %s failed (%s); going on without it", self.path,
                                what, "no space left on device" if full else e)
                    self.disabled = full or self.disabled
                    return None
                except OSError as e:
                    log.warning("math cache %s unusable (%s); going on without it", self.path, e)
                    self.disabled = True
                    return None
        return None

    # -- public ------------------------------------------------------------------------------

    def get_many(self, keys: Sequence[str]) -> dict[str, MathResult]:
        wanted = list(dict.fromkeys(keys))

        def action(conn: sqlite3.Connection) -> dict[str, MathResult]:
            found: dict[str, MathResult] = {}
            bad: list[str] = []
            for start in range(0, len(wanted), 500):
                part = wanted[start : start + 500]
                marks = ",".join("?" * len(part))
                for key, html, error, checksum in conn.execute(
                    f"SELECT key, html, error, checksum FROM entries WHERE key IN ({marks})", part
                ):
                    if (
                        isinstance(html, str)
                        and (error is None or isinstance(error, str))
                        and checksum == self._check(key, html, error)
                    ):
                        found[key] = MathResult(html=html, error=error)
                    else:
                        bad.append(key)
            if bad:
                log.warning("math cache: %d corrupt entr%s dropped", len(bad), "y" if len(bad) == 1 else "ies")
                conn.executemany("DELETE FROM entries WHERE key = ?", [(k,) for k in bad])
            return found

        return self._run("read", action) or {}

    def put_many(self, items: Iterable[tuple[str, MathResult]]) -> None:
        rows = [(k, r.html, r.error, self._check(k, r.html, r.error)) for k, r in items]
        if not rows:
            return

        def action(conn: sqlite3.Connection) -> None:
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.executemany("INSERT OR REPLACE INTO entries VALUES (?, ?, ?, ?)", rows)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

        self._run("write", action)

    def __len__(self) -> int:
        return self._run("count", lambda c: c.execute("SELECT COUNT(*) FROM entries").fetchone()[0]) or 0

    def clear(self) -> None:
        self._run("clear", lambda c: c.execute("DELETE FROM entries"))

    def close(self) -> None:
        with self._lock:
            if self._conn is not None and self._pid == os.getpid():
                try:
                    self._conn.close()
                except sqlite3.Error:
                    pass
            self._conn = None

    def __enter__(self) -> "MathCache":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# --------------------------------------------------------------------------------------------
# Renderer: engine + cache


@dataclass
class MathStats:
    hits: int = 0  # formulas answered without rendering (cache, or a repeat within the batch)
    misses: int = 0  # formulas the engine rendered
    errors: int = 0  # results that are errors (from the engine or the cache)


class MathRenderer:
    """What the build uses: formulas are looked up in the cache; the misses go to the engine in
    one batch; results come back in order.

    Nothing is kept in memory between batches: the cache on disk answers in microseconds, and a
    thousand-page build would otherwise hold the HTML of every formula it rendered."""

    def __init__(self, engine: MathEngine, cache: MathCache | None = None) -> None:
        self.engine = engine
        self.cache = cache
        self.options: MathOptions = getattr(engine, "options", MathOptions())
        self.stats = MathStats()

    def key(self, formula: Formula) -> str:
        return MathCache.make_key(self.engine.name, self.engine.katex_version, self.options, formula)

    def render_many(self, formulas: Sequence[Formula]) -> list[MathResult]:
        formulas = list(formulas)
        keys = [self.key(f) for f in formulas]
        found: dict[str, MathResult] = {}
        if self.cache is not None:
            found.update(self.cache.get_many(list(dict.fromkeys(keys))))
        todo: dict[str, Formula] = {}
        for key, formula in zip(keys, formulas):
            if key not in found and key not in todo:
                todo[key] = formula
        if todo:
            rendered = self.engine.render_many(list(todo.values()))
            fresh = dict(zip(todo.keys(), rendered))
            found.update(fresh)
            if self.cache is not None:
                self.cache.put_many((k, r) for k, r in fresh.items() if not r.transient)
        results = [found[k] for k in keys]
        self.stats.misses += len(todo)
        self.stats.hits += len(formulas) - len(todo)
        self.stats.errors += sum(1 for r in results if r.error is not None)
        return results

    def render(self, tex: str, display: bool = False) -> MathResult:
        return self.render_many([Formula(tex, display)])[0]

    def reset_stats(self) -> None:
        self.stats = MathStats()

    def close(self) -> None:
        try:
            self.engine.close()
        finally:
            if self.cache is not None:
                self.cache.close()

    def __enter__(self) -> "MathRenderer":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
