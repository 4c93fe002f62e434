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
   the parse also says what the file imports (its [summary](xref/summaries.py));
2. **math**: the formulas of many pages at once, through the math cache and one KaTeX engine;
3. **finish**: highlight the code, link names to their definitions, put the math in place,
   fill the template. The home page is finished with the others, with every page's title.

The links need the [cross-reference index](xref/__init__.py) of the whole tree, and the index
needs the summary of every file (to name the tree's package): so every page is prepared before
any is finished, and the summaries come from that one parse, not from a pass of their own.

With few pages everything runs here. With many (`PARALLEL_THRESHOLD`), *prepare* and *finish*
run in worker processes, the largest files first (the last to start are short), while *math*
stays in this process, for one KaTeX engine: the math of a chunk of pages is rendered while
the workers prepare the next chunks. The workers that finish are started (forked) once the
index exists, so that each has it without building it, with what the preparing workers
collected of every file for the look-ups of other pages (its [exports](xref/exports.py)): a
worker parses only the pages it finishes, not the files they import. A worker puts the HTML of a page
straight into the page cache and sends back only its checksum, and, when the search index is
made as pages are finished (a search [`Feed`](search.py)), the page's record for it: the pages
are then finished in the order of the search shards (the biggest first), so that each shard
can be indexed as soon as its last page is done. The output does not depend on the number of
workers, nor on that order.
"""

from __future__ import annotations

import gc
import math
import os
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Executor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from . import pattern_cache
from .config import SiteConfig
from .diagnostics import Diagnostic
from .page import PageBuilder, PageDeps, PreparedPage, RenderedPage, render_math
from .page_cache import PageCache, html_fields
from .parse import Page
from .xref.summaries import Summary

if TYPE_CHECKING:
    from jinja2 import Environment

    from .math import MathEngine
    from .scan import SourceFile

#: Fewer pages to render than this and the workers cost more to start than they save.
PARALLEL_THRESHOLD = 30
#: Up to this many bytes of Python source to render, a build without workers keeps the syntax
#: trees of its pages from prepare to finish (about 360 MB of them), and parses each file once;
#: past it, it drops them as workers do, and parses the pages again as it finishes them.
KEEP_TREES = 8 * 2**20
HOME = "index.html"
#: How many files' imports the workers' guess of the package is voted by.
GUESS_SAMPLE = 64

#: `progress(stage, done, total)`, with the stages "prepare", "math" and "finish".
Progress = Callable[[str, int, int], None]


class XrefFactory(Protocol):
    """Makes the cross-reference index of the pages to render: `lazy`, it reads only the files
    that the pages it is asked about link into (the index of a forked worker, or of this
    process); else the whole tree (an index that is sent to spawned workers). `known`: the
    summaries of files this build has parsed already, by the sha256 of their bytes."""

    def __call__(self, files: list[SourceFile], lazy: bool,
                 known: Mapping[str, Summary] | None = None) -> Any: ...


#: What the home page lists, from the pages prepared (`Builder._listing`).
Listing = Callable[[list[PreparedPage]], list[dict]]


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
    # The page's key and record for the search index, if it is indexed as pages are finished.
    search: tuple[str, list[dict]] | None = None


#: `record(url, path, title, html, html_sha)`: a page's key and record for search
#: (`search.Recorder`).
Record = Callable[[str, str, str, str, str], tuple[str, list[dict]]]


def finish_one(builder: PageBuilder, cache: PageCache, page: PreparedPage,
               listing: list[dict] | None, record: Record | None = None) -> Finished:
    """Highlight and fill the template; put the HTML in the page cache rather than sending it
    back (from a worker, that is most of what would cross between processes); with `record`,
    make the page's record for search while the HTML is at hand."""
    rendered = builder.finish(page, listing)
    failed = rendered.html is None
    html_sha, html_len = html_fields(rendered.html)
    search = None
    if record is not None and rendered.html is not None:
        search = record(rendered.url, rendered.path, rendered.title, rendered.html, html_sha)
    stored = False
    if rendered.html is not None and not cache.disabled:
        cache.put_html(html_sha, html_len, rendered.html)
        stored = not cache.disabled
        if stored:
            rendered.html = None
    return Finished(page.url, rendered, html_sha, html_len, page.deps, stored, failed,
                    list(page.diagnostics), search)


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
        # The summaries of the files prepared so far, by sha256 (for the index).
        self.known: dict[str, Summary] = {}
        # The parts of the pages prepared by workers that only finishing needs, as bytes, by
        # address (`PreparedPage.pack`).
        self._parts: dict[str, bytes] = {}
        # The pages prepared in this process with their syntax trees, by path, for its index.
        self._parsed: dict[str, Page] = {}
        # What workers collected of the files they prepared, by path: for the workers that
        # finish pages (see [`exports`](xref/exports.py)).
        self._exports: dict[str, bytes] = {}
        # The search index made as pages are finished (`search.Feed`), if any: each finished
        # page's record goes to it.
        self.feed: Any = None
        self._record: Record | None = None

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
        """The page builder of this process, made when first needed; its index, when it first
        finishes a page (`finisher`)."""
        if self._here is None:
            self._here = PageBuilder(self.config, self.env, self.files)
        return self._here

    def finisher(self) -> PageBuilder:
        """The page builder of this process with its index, made once every page to render is
        prepared: their summaries are known then (the index needs one of every file, and would
        parse the files for them), and it reads the pages prepared here, syntax trees and all,
        rather than the files again."""
        here = self.here
        if here.xref is not None or self.xref is None:
            return here
        index: Any = self.xref(self.files, lazy=True, known=self.known)
        if hasattr(index, "lean"):  # it finishes every page it links: it keeps what it reads
            index.lean = False
        if hasattr(index, "lend"):
            index.lend(self._parsed)
        if hasattr(index, "use_exports"):
            index.use_exports(self._exports)
        self._parsed = {}
        here.xref = index
        return here

    def prepare_here(self, files: list[SourceFile], packed: bool = False) -> list[PreparedPage]:
        """Prepare pages here. `packed`: as workers do, each page's syntax tree is dropped
        once its exports are made, and what only finishing needs waits as bytes (a syntax tree
        takes some 45 times the size of its source: every tree of PyTorch's, 2.3 GB)."""
        out = []
        package = self._package_guess() if packed else None
        keep = _collected_files(self.config, None if self.page_cache.disabled else
                                self.page_cache.directory) if packed else None
        for n, file in enumerate(files):
            page = self.here.prepare(file)
            if packed:
                exports = _exports(page, package, keep)
                if exports is not None:
                    self._exports[page.path] = exports
                self._parts[page.url] = page.pack()
            out.append(page)
            self._report("prepare", n + 1, len(files))
        self._learn(out)
        self._parsed.update((p.path, p.page) for p in out
                            if p.page.syntax_tree is not None and p.path)
        return out

    def _learn(self, pages: list[PreparedPage]) -> None:
        """Keep the summaries of the files just prepared, for the index."""
        self.known.update((p.digest, p.imports) for p in pages if p.digest is not None)

    def math_of(self, pages: list[PreparedPage]) -> None:
        count = sum(len(p.formulas) for p in pages)
        render_math(pages, self.math)
        self._report("math", count, count)

    def finish_here(self, items: list[tuple[PreparedPage, list[dict] | None]]) -> list[Finished]:
        here = self.finisher()
        if self.feed is not None and self._record is None:
            from .search import Recorder
            self._record = Recorder(self.config)
        out = []
        for n, (page, listing) in enumerate(items):
            parts = self._parts.pop(page.url, None)
            if parts is not None:
                page.unpack(parts)
            out.append(self._fed(finish_one(here, self.page_cache, page, listing,
                                            self._record if self.feed is not None else None)))
            page.release()
            self._report("finish", n + 1, len(items))
        pattern_cache.save()
        return out

    def _fed(self, done: Finished) -> Finished:
        """Hand a finished page's record to the search feed (not kept with the page)."""
        if self.feed is not None:
            self.feed.add(done.url, done.search)
            done.search = None
        return done

    def finish_home(self, home: PreparedPage, listing: list[dict]) -> Finished:
        """The home page, when it was not one of the pages rendered: it lists every title."""
        return self.finish_here([(home, listing)])[0]

    # ### The pages of the tree

    def render(self, todo: list[SourceFile], jobs: int, listing: Listing
               ) -> tuple[list[PreparedPage], list[Finished], list[dict]]:
        """Prepare, render the math of, and finish `todo`: the pages, finished, and what the
        home page lists (`listing` of the pages prepared). The home page, if it is one of
        `todo`, is finished with that list."""
        from .highlight import expect_python
        pattern_cache.use(patterns_cache(self.config))
        sizes = {f.url: _size(f) for f in todo}
        size = sum(sizes[f.url] for f in todo if f.kind == "python")
        expect_python(size)
        order = {file.url: n for n, file in enumerate(todo)}
        feed = self.feed
        if len(todo) < PARALLEL_THRESHOLD or min(jobs, len(todo) // 8) < 2:
            prepared = self.prepare_here(todo, packed=size > KEEP_TREES)
            self.math_of(prepared)
            listed = listing(prepared)
            # (in the order of the search shards, if a feed indexes them meanwhile)
            ordered = sorted(prepared, key=lambda p: feed.order(p.url)) if feed else prepared
            finished = self.finish_here([(p, _list(p, listed)) for p in ordered])
            return prepared, sorted(finished, key=lambda f: order[f.url]), listed
        self.jobs = min(jobs, len(todo) // 8)
        prepared = self._prepare_in_workers(_largest_first(todo, sizes))
        listed = listing(prepared)
        if feed is not None:
            prepared.sort(key=lambda p: feed.order(p.url, sizes[p.url]))
        finished = self._finish_in_workers(prepared, listed)
        return (sorted(prepared, key=lambda p: order[p.url]),
                sorted(finished, key=lambda f: order[f.url]), listed)

    def _package_guess(self) -> str | None:
        """The package the index will most likely name the tree's modules under (`None`: no
        index), voted by the imports of a sample of the files (`package.guess_package`)."""
        if self.xref is None:
            return None
        from .xref.package import guess_package
        python = [f for f in self.files if f.kind == "python"]
        step = max(1, len(python) // GUESS_SAMPLE)
        return guess_package([f.path for f in python], [f.absolute for f in python[::step]],
                             self.config.source_dir)

    def _chunks(self, items: list[T]) -> list[list[T]]:
        size = max(1, min(16, math.ceil(len(items) / (self.jobs * 4))))  # small: overlap
        return [items[i:i + size] for i in range(0, len(items), size)]

    def _prepare_in_workers(self, todo: list[SourceFile]) -> list[PreparedPage]:
        """The math of a chunk is rendered here while the workers prepare the next chunks."""
        self.pool = self._start_workers(None)
        package = self._package_guess()
        futures = {self.pool.submit(_prepare_chunk, chunk, package): n
                   for n, chunk in enumerate(self._chunks(todo))}
        chunks: list[list[PreparedPage]] = [[] for _ in futures]
        count = 0
        for future in as_completed(futures):
            packed = future.result()
            pages = chunks[futures[future]] = [page for page, _, _ in packed]
            self._parts.update((page.url, blob) for page, _, blob in packed)
            self._exports.update((page.path, exports) for page, exports, _ in packed
                                 if exports is not None)
            count += len(pages)
            self._report("prepare", count, len(todo))
            self.math_of(pages)
        self.pool.shutdown()
        prepared = [page for chunk in chunks for page in chunk]  # in the order of `todo`
        self._learn(prepared)
        return prepared

    def _finish_in_workers(self, prepared: list[PreparedPage],
                           listed: list[dict]) -> list[Finished]:
        """Workers forked now that every summary is known, each with the index (lazy: it reads
        the files its pages link into)."""
        import multiprocessing
        forking = "fork" in multiprocessing.get_all_start_methods()
        index: Any = self.xref(self.files, lazy=forking, known=self.known) if self.xref else None
        if hasattr(index, "use_exports"):  # (it reads those of its package only)
            index.use_exports(self._exports)
        self.pool = self._start_workers(index)
        record = self.feed is not None
        futures = {self.pool.submit(_finish_chunk, [(p, self._parts[p.url], _list(p, listed))
                                                    for p in chunk], record): chunk
                   for chunk in self._chunks(prepared)}
        finished: list[Finished] = []
        for future in as_completed(futures):
            finished += map(self._fed, future.result())
            self._report("finish", len(finished), len(prepared))
            for page in futures[future]:
                page.release()
                del self._parts[page.url]
        self._exports = {}
        return finished

    def _start_workers(self, xref: Any) -> Executor:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        forking = "fork" in multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("fork" if forking else "spawn")
        # A forked worker gets the lazy index as it is (it does not pickle): it reads the files
        # its pages need. A spawned one gets a whole index, pickled.
        cache_dir = None if self.page_cache.disabled else self.page_cache.directory
        return ProcessPoolExecutor(max_workers=self.jobs, mp_context=context,
                                   initializer=_start_worker,
                                   initargs=(self.config, self.files, xref, cache_dir, os.getpid()))


T = TypeVar("T")


def _list(page: PreparedPage, listed: list[dict]) -> list[dict] | None:
    """What a page lists: the home page, every page; the others, nothing."""
    return listed if page.url == HOME else None


def _largest_first(files: list[SourceFile], sizes: Mapping[str, int]) -> list[SourceFile]:
    """The largest files first (`sizes` by address): the last pages to start are short, and
    no worker waits long for the others at the end."""
    return sorted(files, key=lambda f: (-sizes[f.url], f.url))


def _size(file: SourceFile) -> int:
    try:
        return os.stat(file.absolute).st_size
    except OSError:
        return 0


# ## Inside a worker

# The page builder of a worker process, and the page cache it writes the HTML into.
_worker: PageBuilder | None = None
_worker_cache: PageCache | None = None
_worker_record: Record | None = None
_worker_kept: Any = None  # (`_collected_files`)


def _start_worker(config: SiteConfig, files: list[SourceFile], xref: Any,
                  cache_dir: str | None, parent: int) -> None:
    global _worker, _worker_cache, _worker_kept
    # Workers live for one build; their memory goes with them (see [`collector`](collector.py)).
    gc.disable()
    from .templates import make_environment
    _exit_with_parent(parent)
    _worker = PageBuilder(config, make_environment(config.templates_dir or None,
                                                   templates_cache(config)), files)
    _worker.xref = xref
    _worker_cache = PageCache(cache_dir)
    _worker_kept = _collected_files(config, cache_dir)


def _prepare_chunk(files: list[SourceFile], package: str | None
                   ) -> list[tuple[PreparedPage, bytes | None, bytes]]:
    """Prepare pages; with `package`, also collect what other pages look up in each (its
    [exports](xref/exports.py)) while its syntax tree is at hand."""
    assert _worker is not None
    pages = [_worker.prepare(file) for file in files]
    pattern_cache.save()
    return [(page, _exports(page, package, _worker_kept), page.pack()) for page in pages]


def _exports(page: PreparedPage, package: str | None, keep: Any = None) -> bytes | None:
    """The exports of a page just prepared, kept in `keep` (the cache's `CollectedFiles`) too:
    the first rebuild after a cold build reads them there instead of parsing the files the
    edited page imports."""
    if package is None or page.failed:
        return None
    from .xref.exports import make_exports
    try:
        blob = make_exports(page.page, package)
    except RecursionError:  # a syntax tree too deep to pickle: the file is parsed if needed
        return None
    if blob is not None and keep is not None and page.digest is not None:
        from .xref.package import module_name
        keep.digests[page.path] = page.digest
        keep.put_pickled(page.path, *module_name(page.path, package), blob)
    return blob


def _collected_files(config: SiteConfig, cache_dir: Any) -> Any:
    """Where exports are kept between builds (`xref.summaries.CollectedFiles`), if the build
    has a cache (`cache_dir`: the page cache's folder, `None` when it has none)."""
    if cache_dir is None or not config.cache_dir or not config.cross_references:
        return None
    from .xref.summaries import CollectedFiles
    return CollectedFiles(config.cache_dir, {}, {}, config.sections)


def _finish_chunk(items: list[tuple[PreparedPage, bytes, list[dict] | None]],
                  record: bool = False) -> list[Finished]:
    """Finish pages; with `record`, make each one's record for search too."""
    global _worker_record
    assert _worker is not None and _worker_cache is not None
    if record and _worker_record is None:
        from .search import Recorder
        _worker_record = Recorder(_worker.config)
    out = []
    for page, parts, listing in items:
        page.unpack(parts)
        out.append(finish_one(_worker, _worker_cache, page, listing,
                              _worker_record if record else None))
    return out


def _exit_with_parent(parent: int) -> None:
    """A worker whose build was killed (SIGKILL leaves no time to stop the pool) ends itself."""
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)
    threading.Thread(target=watch, daemon=True).start()


def patterns_cache(config: SiteConfig) -> Path | None:
    """Where the fast lexer's compiled patterns are kept (see [`pattern_cache`](pattern_cache.py))."""
    return Path(config.cache_dir) / "patterns" if config.cache_dir else None


def templates_cache(config: SiteConfig) -> Path | None:
    """Where compiled templates are kept between processes."""
    return Path(config.cache_dir) / "templates" if config.cache_dir else None
