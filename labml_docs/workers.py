"""
---
title: Rendering pages
summary: >
  The stages of the pages that must be rendered, in this process or in worker processes:
  prepare, colour and render the math, finish.
---

# Rendering pages

[`build`](build.py) decides which pages must be rendered; this module renders them. Each page
goes through the stages of [`page`](page.py):

1. **prepare**: read, parse, render the notes with the math cut out, colour the equations;
2. **math**: the formulas of many pages at once, through the math cache and one KaTeX engine;
3. **finish**: highlight the code, put the math in place, fill the template.

With few pages everything runs here. With many (`PARALLEL_THRESHOLD`), *prepare* and *finish*
run in worker processes while *math* stays in this process, for one KaTeX engine: the math of a
chunk of pages is rendered while the workers prepare the next chunks, and its finish starts as
soon as its math is done. A worker puts the HTML of a page straight into the page cache and
sends back only its checksum. The output does not depend on the number of workers.
"""

from __future__ import annotations

import gc
import math
import os
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from .config import SiteConfig
from .diagnostics import Diagnostic
from .page import PageBuilder, PageDeps, PreparedPage, RenderedPage, render_math
from .page_cache import PageCache, html_fields

if TYPE_CHECKING:
    from jinja2 import Environment

    from .math import MathEngine
    from .scan import SourceFile

#: Fewer pages to render than this and the workers cost more to start than they save.
PARALLEL_THRESHOLD = 30
HOME = "index.html"

#: `progress(stage, done, total)`, with the stages "prepare", "math" and "finish".
Progress = Callable[[str, int, int], None]


class XrefFactory(Protocol):
    """Makes the cross-reference index of the pages to render: `lazy`, it reads only the files
    that the pages it is asked about link into (the index of a forked worker, or of this
    process); else the whole tree (an index that is sent to spawned workers)."""

    def __call__(self, files: list[SourceFile], lazy: bool) -> Any: ...


@dataclass
class Finished:
    """A finished page as it comes back from a worker."""
    url: str
    rendered: RenderedPage  # `html` is dropped once it is in the page cache (`stored`)
    html_sha: str
    html_len: int
    deps: PageDeps
    stored: bool
    failed: bool
    # Every message of the page, those of `finish` included.
    diagnostics: list[Diagnostic] = field(default_factory=list)


def finish_one(builder: PageBuilder, cache: PageCache, page: PreparedPage,
               listing: list[dict] | None) -> Finished:
    """Highlight and fill the template; put the HTML in the page cache rather than sending it
    back (from a worker, that is most of what would cross between processes)."""
    rendered = builder.finish(page, listing)
    failed = rendered.html is None
    html_sha, html_len = html_fields(rendered.html)
    stored = False
    if rendered.html is not None and not cache.disabled:
        cache.put_html(html_sha, html_len, rendered.html)
        stored = not cache.disabled
        if stored:
            rendered.html = None
    return Finished(page.url, rendered, html_sha, html_len, page.deps, stored, failed,
                    list(page.diagnostics))


class PageRenderer:
    """Renders pages of one build: `render(files)` for the pages of the tree, `finish_home`
    for the home page once every title is known. Use it in a `with` block: the workers stop
    at its end."""

    def __init__(self, config: SiteConfig, env: Environment, files: list[SourceFile],
                 xref: XrefFactory | None, math: MathEngine, page_cache: PageCache,
                 progress: Progress | None = None):
        self.config, self.env, self.files = config, env, files
        self.xref, self.math, self.page_cache = xref, math, page_cache
        self.progress = progress
        self.pool: Executor | None = None
        self.jobs = 1
        self._here: PageBuilder | None = None

    def __enter__(self) -> PageRenderer:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            self.pool.shutdown()
            self.pool = None

    def _report(self, stage: str, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress(stage, done, total)

    # ### In this process

    @property
    def here(self) -> PageBuilder:
        """The page builder of this process, made when first needed."""
        if self._here is None:
            self._here = PageBuilder(self.config, self.env, self.files)
            self._here.xref = self.xref(self.files, lazy=True) if self.xref else None
        return self._here

    def prepare_here(self, files: list[SourceFile]) -> list[PreparedPage]:
        out = []
        for n, file in enumerate(files):
            out.append(self.here.prepare(file))
            self._report("prepare", n + 1, len(files))
        return out

    def math_of(self, pages: list[PreparedPage]) -> None:
        count = sum(len(p.formulas) for p in pages)
        render_math(pages, self.math)
        self._report("math", count, count)

    def finish_here(self, items: list[tuple[PreparedPage, list[dict] | None]]) -> list[Finished]:
        out = []
        for n, (page, listing) in enumerate(items):
            out.append(finish_one(self.here, self.page_cache, page, listing))
            self._report("finish", n + 1, len(items))
        return out

    def finish_home(self, home: PreparedPage, listing: list[dict]) -> Finished:
        """The home page, last: it lists every page's title."""
        return self.finish_here([(home, listing)])[0]

    # ### The pages of the tree

    def render(self, todo: list[SourceFile], jobs: int) -> tuple[list[PreparedPage],
                                                                 list[Finished]]:
        """Prepare, render the math of, and finish `todo`, but the home page (`finish_home`)."""
        if not todo:
            return [], []
        self.pool = self._start_workers(len(todo), jobs)
        if self.pool is None:
            prepared = self.prepare_here(todo)
            self.math_of(prepared)
            return prepared, self.finish_here([(p, None) for p in prepared if p.url != HOME])
        return self._render_in_workers(self.pool, todo)

    def _render_in_workers(self, pool: Executor, todo: list[SourceFile]):
        """The math of a chunk is rendered here while the workers prepare the next chunks, and
        its finish starts as soon as its math is done."""
        size = max(1, min(16, math.ceil(len(todo) / (self.jobs * 4))))  # small: overlap
        chunks = [todo[i:i + size] for i in range(0, len(todo), size)]
        preparing: dict[Future, int] = {pool.submit(_prepare_chunk, chunk): n
                                        for n, chunk in enumerate(chunks)}
        finishing: dict[Future, int] = {}
        prepared: list[list[PreparedPage]] = [[] for _ in chunks]
        finished: list[list[Finished]] = [[] for _ in chunks]
        counts = {"prepare": 0, "finish": 0}
        pending = set(preparing)
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                if future in preparing:
                    n = preparing[future]
                    pages = prepared[n] = future.result()
                    counts["prepare"] += len(pages)
                    self._report("prepare", counts["prepare"], len(todo))
                    self.math_of(pages)
                    follow = pool.submit(_finish_chunk, [p for p in pages if p.url != HOME])
                    finishing[follow] = n
                    pending.add(follow)
                else:
                    n = finishing[future]
                    finished[n] = future.result()
                    counts["finish"] += len(finished[n])
                    self._report("finish", counts["finish"], len(todo))
                    # Done: the largest part goes, but only from the pages just finished;
                    # the home page is finished later and needs its math.
                    for page in prepared[n]:
                        if page.url != HOME:
                            page.math_html, page.math_input = [], None
        return ([p for chunk in prepared for p in chunk],
                [f for chunk in finished for f in chunk])

    def _start_workers(self, count: int, jobs: int) -> Executor | None:
        self.jobs = min(jobs, max(1, count // 8))
        if count < PARALLEL_THRESHOLD or self.jobs < 2:
            self.jobs = 1
            return None
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        forking = "fork" in multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("fork" if forking else "spawn")
        # Forked workers each get a lazy index (it does not pickle): a worker reads the files
        # its pages need, and this process does not index the whole tree before the workers
        # start (9 s and 500 MiB for a thousand files).
        xref = self.xref(self.files, lazy=forking) if self.xref else None
        cache_dir = None if self.page_cache.disabled else self.page_cache.directory
        return ProcessPoolExecutor(max_workers=self.jobs, mp_context=context,
                                   initializer=_start_worker,
                                   initargs=(self.config, self.files, xref, cache_dir, os.getpid()))


# ## Inside a worker

# The page builder of a worker process, and the page cache it writes the HTML into.
_worker: PageBuilder | None = None
_worker_cache: PageCache | None = None


def _start_worker(config: SiteConfig, files: list[SourceFile], xref: Any,
                  cache_dir: str | None, parent: int) -> None:
    global _worker, _worker_cache
    # Workers live for one build; their memory goes with them (see `collector_paused`).
    gc.disable()
    from .templates import make_environment
    _exit_with_parent(parent)
    _worker = PageBuilder(config, make_environment(config.templates_dir or None,
                                                   templates_cache(config)), files)
    _worker.xref = xref
    _worker_cache = PageCache(cache_dir)


def _prepare_chunk(files: list[SourceFile]) -> list[PreparedPage]:
    assert _worker is not None
    return [_worker.prepare(file) for file in files]


def _finish_chunk(pages: list[PreparedPage]) -> list[Finished]:
    assert _worker is not None and _worker_cache is not None
    return [finish_one(_worker, _worker_cache, page, None) for page in pages]


def _exit_with_parent(parent: int) -> None:
    """A worker whose build was killed (SIGKILL leaves no time to stop the pool) ends itself."""
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)
    threading.Thread(target=watch, daemon=True).start()


def templates_cache(config: SiteConfig) -> Path | None:
    """Where compiled templates are kept between processes."""
    return Path(config.cache_dir) / "templates" if config.cache_dir else None


@contextmanager
def collector_paused() -> Iterator[None]:
    """A build makes millions of long-lived objects (syntax trees, pages) and few cycles: the
    cycle collector would walk them again and again, for up to half of the build's time. It
    runs once at the end instead."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
