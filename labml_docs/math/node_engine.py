"""
---
title: KaTeX in Node.js
summary: One persistent node process renders whole batches; each formula has a time, output and memory budget.
---

# KaTeX in Node.js

Starting a process per formula costs most of a second; KaTeX itself takes a tenth of a
millisecond. So one `node` process runs `render_server.js` for the whole
build and reads whole batches over a line-delimited JSON protocol. Its output is byte-identical
to `katex.renderToString(tex, options)` run directly in Node with the same options.

JavaScript cannot be interrupted, so a budget is kept from outside: the server answers formula
by formula, and the time between two answers is the time of one formula. A formula whose answer
is late has the process killed and becomes an error; a new process renders the formulas after
it. A formula that ends the process (out of its capped heap) is an error in the same way. A
formula over the output budget is refused by the server itself, before its HTML is built.
"""

from __future__ import annotations

import collections
import json
import logging
import os
import queue
import subprocess
import threading
import time
import weakref
from collections.abc import Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING

from ..processes import stop_process
from .contract import KATEX_NODE, Formula, MathEngineError, MathResult, error_mark
from .katex import NODE_ENV_VAR, PINNED_KATEX_VERSION, find_katex_dir, find_node
from .options import DEFAULT_OPTIONS, MathOptions

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["RENDER_SERVER", "NodeKatexEngine", "node_heap_mb"]

log = logging.getLogger("labml_docs")

RENDER_SERVER = Path(__file__).parent / "render_server.js"

#: `(arrival time, line)`: a line the server wrote, and when it came (`b""` at its end).
Line = tuple[float, bytes]
#: `(request id, its formulas, the line sent)`.
Request = tuple[int, list[Formula], bytes]


# ## The process and its pipes


def _drain_stderr(stream: IO[bytes], lines: collections.deque[str]) -> None:
    """Keep the last lines the server wrote to stderr (for messages); never lets the pipe fill."""
    try:
        for raw in iter(stream.readline, b""):
            lines.append(raw.decode("utf-8", "replace").rstrip())
    except (OSError, ValueError):
        pass


def _read_lines(stream: IO[bytes], lines: queue.SimpleQueue[Line]) -> None:
    """Put each line the server writes into `lines` with the time it came; `b""` at the end.

    A thread of its own, so that waiting for the next answer can time out."""
    try:
        for raw in iter(stream.readline, b""):
            lines.put((time.monotonic(), raw))
    except (OSError, ValueError):
        pass
    finally:
        lines.put((time.monotonic(), b""))


def _next_line(lines: queue.SimpleQueue[Line], deadline: float) -> Line | None:
    """`(arrival time, line)` of the next line, or `None` if none came by `deadline`."""
    try:
        return lines.get(timeout=min(threading.TIMEOUT_MAX, max(0.0, deadline - time.monotonic())))
    except queue.Empty:
        return None


def _write_all(stream: IO[bytes], requests: list[bytes]) -> None:
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
    """KaTeX in one persistent `node` process; whole batches per request.

    Restarts the process if it dies. Use as a context manager, or call `close`.

    Each formula gets `options.timeout` seconds: the server answers formula by formula, and
    a formula whose answer does not come in time has the process killed (JavaScript cannot be
    interrupted) and becomes an error; a new process renders the formulas after it. A formula
    that ends the process (out of its heap of `node_heap_mb` MB) is an error in the same
    way. The server itself refuses a formula over the output budget (see `render_server.js`).
    """

    name: str = KATEX_NODE
    #: Formulas per request; a batch larger than this is sent as several requests.
    chunk_size = 256
    #: Seconds the server may take to start.
    start_timeout = 60.0

    def __init__(
        self,
        options: MathOptions = DEFAULT_OPTIONS,
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
        self._proc: subprocess.Popen[bytes] | None = None
        self._lines: queue.SimpleQueue[Line] | None = None  # the lines of the process's stdout
        self._finalizer: weakref.finalize[..., NodeKatexEngine] | None = None
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
        lines: queue.SimpleQueue[Line] = queue.SimpleQueue()
        readers = (
            threading.Thread(target=_drain_stderr, args=(proc.stderr, self._stderr), daemon=True),
            threading.Thread(target=_read_lines, args=(proc.stdout, lines), daemon=True),
        )
        for reader in readers:
            reader.start()
        self._proc, self._lines = proc, lines
        self._finalizer = weakref.finalize(self, stop_process, proc, readers)
        got = _next_line(lines, time.monotonic() + self.start_timeout)
        line = got[1] if got is not None else b""
        try:
            hello = json.loads(line)
            version = hello["version"]
            assert hello.get("ready") is True
        except Exception:  # noqa: BLE001 - whatever came instead of the hello line
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
            self._finalizer()  # runs stop_process once
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
        """Render `formulas` in order, up to and including the first that runs out of time or
        ends the process; that one is an error, and the process is gone (the caller starts
        another for the formulas after it).

        Every request is sent at once (a writer thread keeps the pipe full) and the answers read
        as they come. The clock of a formula starts when the answer before it arrives, which is
        when the server starts it (see `render_server.js`)."""
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

    def _requests(self, formulas: list[Formula]) -> list[Request]:
        """`(id, formulas, line)` of each request: `chunk_size` formulas at most."""
        options = self.options.to_json()
        requests: list[Request] = []
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

    def _read_answers(self, requests: list[Request], lines: queue.SimpleQueue[Line],
                      results: list[MathResult]) -> str | None:
        """Append to `results` the answer of each formula; `None` when all came, else why
        they stopped: `"time"` (a formula over its time budget) or `"crash"`."""
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

    def _crash_message(self, proc: subprocess.Popen[bytes]) -> str:
        messages = self._stderr_text()
        if "heap out of memory" in messages or "Reached heap limit" in messages:
            return f"formula exceeds the memory budget of the KaTeX process ({self.heap_mb} MB)"
        last = messages.strip().splitlines()[-1:] or [f"exit status {proc.returncode}"]
        return f"formula stopped the KaTeX process ({last[0]})"

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._stop()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<NodeKatexEngine KaTeX {self.katex_version} pid={self.pid} katex_dir={self.katex_dir}>"


