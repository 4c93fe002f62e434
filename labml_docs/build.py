"""
---
title: Building a site
summary: From a source tree to a folder of pages, published atomically.
---

# Building a site

A build reads every `.py` file and every `readme.md` of the source tree, renders each into a
page, and writes the site:

* `X/Y.py` → `X/Y.html`, `X/__init__.py` → `X/index.html`, `X/readme.md` → `X/readme.html`;
* the home page `index.html`: the root package's notes, if it has any, and a list of every page;
* `sitemap.xml`, the images of the tree, the stylesheets and scripts of `site_templates/assets`
  and KaTeX's stylesheet and fonts, so that pages work with no network.

The stages of a page are in [`page`](page.py); this module runs them over the tree. All the
formulas of the build go to KaTeX together, so that the engine starts once and the cache is
read once.

A problem in one file becomes a [diagnostic](diagnostics.py), and the other pages still build.
Nothing already published is lost: [`publish`](publish.py) never leaves a half-written file
or a half-changed site behind, and a page that fails keeps its last published version.

## Incremental and parallel

A page whose inputs have not changed comes from the page cache of [`manifest`](manifest.py):
no parse, no Markdown, no math, no template; its messages are reported again from the cache.
A rebuild of an unchanged tree only hashes. The pages that do need rendering are prepared
(parse, notes, colours) and finished (highlight, template) in worker processes when there are
enough of them to pay for starting the workers; the math of all of them stays one batch in this
process, for one KaTeX engine. Each worker keeps a cross-reference index of its own, which reads
only the files its pages link into. The output does not depend on the number of workers.

Publishing is incremental too: only the files that changed are written (see
[`publish`](publish.py)).
"""

import gc
import logging
import math as _math
import os
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .config import SiteConfig
from .diagnostics import Diagnostic
from .manifest import (CorruptEntry, Entry, PageCache, SourceHashes, global_fingerprint,
                       html_fields, listing_hash, math_identity, page_key, sha256)
from .page import PageBuilder, PreparedPage, RenderedPage
from .publish import FolderRefused, publish
from .urls import href, page_url

log = logging.getLogger("labml_docs")

ASSET_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".csv", ".json", ".txt",
                  ".pdf", ".mp4", ".webm"}
SKIPPED_DIRS = {"__pycache__", "node_modules", "site", "build", "dist"}
#: Fewer pages to render than this and the workers cost more to start than they save.
PARALLEL_THRESHOLD = 30
HOME = "index.html"


@dataclass
class SourceFile:
    """A file of the tree: its path relative to the tree (with `/`), and what it becomes."""
    path: str
    # Where it is on disk (a string: a thousand `Path`s cost a one-page rebuild 10 ms).
    location: str
    kind: str  # "python", "markdown" or "asset"
    url: str = field(init=False)

    def __post_init__(self):
        self.url = self.path if self.kind == "asset" else page_url(self.path)

    @property
    def absolute(self) -> Path:
        return Path(self.location)


def skipped_dir(name: str) -> bool:
    """Folders of a tree that are not part of it: hidden ones, caches, build outputs."""
    return name.startswith(".") or name in SKIPPED_DIRS or name.endswith(".egg-info")


def scan(source_dir: Path, follow_external_symlinks: bool = False,
         skipped: list[Diagnostic] | None = None) -> list[SourceFile]:
    """Every page and asset of the tree, in a fixed order.

    A file that is a symbolic link to somewhere outside the tree (`readme.md -> /etc/passwd`)
    is left out, unless `follow_external_symlinks`; a warning for each goes into `skipped`."""
    files = []
    top = os.fspath(source_dir)
    real_top = os.path.realpath(top)
    for root, dirs, names in os.walk(top):
        dirs[:] = sorted(d for d in dirs if not skipped_dir(d))
        prefix = os.path.relpath(root, top)
        prefix = "" if prefix == "." else prefix.replace(os.sep, "/") + "/"
        for name in names:
            if name.startswith("."):
                continue
            location = os.path.join(root, name)
            if not follow_external_symlinks and os.path.islink(location) \
                    and not _inside(os.path.realpath(location), real_top):
                if skipped is not None:
                    skipped.append(Diagnostic(
                        prefix + name, 1, "skipped: a symbolic link to a file outside the "
                        "source tree (set follow_external_symlinks to publish it)", "warning"))
                continue
            lower = name.lower()
            suffix = os.path.splitext(lower)[1]
            if suffix == ".py":
                kind = "python"
            elif lower == "readme.md":
                kind = "markdown"
            elif suffix in ASSET_SUFFIXES:
                kind = "asset"
            else:
                continue
            files.append(SourceFile(prefix + name, location, kind))
    return sorted(files, key=lambda f: f.path)


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def check_output_folder(source_dir: Path, out_dir: Path) -> None:
    """Refuse an output folder that would overwrite the tree or be read as part of it: the
    source folder itself, a folder holding it, or a folder inside it that the scan reads (one
    it skips, such as `site/` or `.out/`, is fine)."""
    source, out = os.path.realpath(source_dir), os.path.realpath(out_dir)
    if out == source:
        raise FolderRefused(f"the output folder {out_dir} is the source folder: "
                           "choose another one with --out")
    if _inside(source, out):
        raise FolderRefused(f"the output folder {out_dir} holds the source folder "
                           f"{source_dir}: choose another one with --out")
    if _inside(out, source):
        parts = Path(os.path.relpath(out, source)).parts
        if not any(skipped_dir(part) for part in parts):
            raise FolderRefused(f"the output folder {out_dir} is inside the source folder "
                               f"{source_dir}, whose pages would then include it: choose "
                               "another one with --out (or a folder the scan skips, such as "
                               f"{source_dir}/site)")


@dataclass
class Site:
    """A rendered site, in memory: what `publish` writes, and what MkDocs takes."""
    pages: dict[str, RenderedPage] = field(default_factory=dict)
    # Files copied as they are: site path → source file.
    assets: dict[str, Path] = field(default_factory=dict)
    # Other generated files (the sitemap): site path → text.
    extra: dict[str, str] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    stats: dict = field(default_factory=dict)
    # The page cache key of each page (what its HTML is a function of), for `publish`.
    keys: dict[str, str] = field(default_factory=dict)
    # The sha256 of each page's HTML, where the page cache knows it: `publish` compares it with
    # what it published without reading the page.
    html_shas: dict[str, str] = field(default_factory=dict)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.is_error]


_UNSET = object()


class CachedPage(RenderedPage):
    """A page of the page cache: its HTML is read, and checked, only when asked for."""

    def __init__(self, entry: Entry, loader):
        self._loader = loader
        self._html = _UNSET
        self._entry = entry
        super().__init__(entry.url, entry.path, entry.title, entry.summary, _UNSET, _UNSET)

    @property
    def text(self):  # read from the entry when asked for (search indexes)
        return self._entry.text if self._text is _UNSET else self._text

    @text.setter
    def text(self, value):
        self._text = value

    @property
    def html(self):
        if self._html is _UNSET:
            self._html = self._loader()
        return self._html

    @html.setter
    def html(self, value):
        self._html = value

    @property
    def loaded(self) -> bool:
        return self._html is not _UNSET


def check_links(path: str, links, known: set[str]) -> list[Diagnostic]:
    """Every relative link of the notes must land on a page or a file of the site."""
    return [Diagnostic(path, line, f"broken link: {href} (no {target} in the site)")
            for target, href, line in links if target not in known]


def _templates_cache(config: SiteConfig) -> Path | None:
    return Path(config.cache_dir) / "templates" if config.cache_dir else None


# ## Workers

# The page builder of a worker process, and the page cache it writes the HTML into.
_worker: PageBuilder | None = None
_worker_cache: PageCache | None = None


def _init_worker(config, files, xref, cache_dir, parent: int) -> None:
    global _worker, _worker_cache
    # Workers live for one build; their memory goes with them (see `_collector_paused`).
    gc.disable()
    from .templates import make_environment
    _exit_with_parent(parent)
    _worker = PageBuilder(config, make_environment(config.templates_dir or None,
                                                   _templates_cache(config)), files)
    _worker.xref = xref
    _worker_cache = PageCache(cache_dir)


@contextmanager
def _collector_paused():
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


def _exit_with_parent(parent: int) -> None:
    """A worker whose build was killed (SIGKILL leaves no time to stop the pool) ends itself."""
    def watch():
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)
    threading.Thread(target=watch, daemon=True).start()


def _prepare_chunk(files, builder: PageBuilder | None = None) -> list[PreparedPage]:
    builder = builder or _worker
    return [builder.prepare(file) for file in files]


def _finish_chunk(items, builder: PageBuilder | None = None, cache: PageCache | None = None):
    builder, cache = builder or _worker, cache or _worker_cache
    return [_finish_one(builder, cache, page, listing) for page, listing in items]


@dataclass
class Finished:
    """A finished page as it comes back from a worker."""
    url: str
    rendered: RenderedPage  # `html` is dropped once it is in the page cache (`stored`)
    html_sha: str
    html_len: int
    deps: dict
    stored: bool
    failed: bool


def _finish_one(builder: PageBuilder, cache: PageCache, page: PreparedPage, listing) -> Finished:
    """Highlight and fill the template; put the HTML in the page cache, where publishing
    hard-links it from, rather than sending it back."""
    rendered = builder.finish(page, listing)
    failed = rendered.html is None
    html_sha, html_len = html_fields(rendered.html)
    stored = False
    if rendered.html is not None and not cache.disabled:
        cache.put_html(html_sha, html_len, rendered.html)
        stored = not cache.disabled
        if stored:
            rendered.html = None
    return Finished(page.url, rendered, html_sha, html_len, page.deps, stored, failed)


class Builder:
    """Builds the site of one source tree with one set of settings.

    One builder can render many times (`mkdocs serve`): it keeps the source hashes and the
    page cache's entries in memory between renders.
    """

    def __init__(self, config: SiteConfig, math=None):
        self.config = config
        self._math = math
        self._env = None
        cache_dir = Path(config.cache_dir) if config.cache_dir else None
        self.cache_dir = cache_dir
        self.hashes = SourceHashes(cache_dir)
        self.page_cache = PageCache(cache_dir / "pages" if cache_dir is not None else None)
        # Called as `progress(stage, done, total)`; stages: "prepare", "math", "finish".
        self.progress = None
        # `xref_factory(files) -> index` with `links_for(page)` and optionally
        # `dependencies(page)`; called only when some page must be rendered. The default one
        # reads only the files the pages to render need, when they are rendered here.
        self.xref_factory = self._index_files
        self._entries: dict[str, Entry] = {}
        self._record_read = False
        self._recorded: set[str] = set()  # keys of entries read from the record, not yet used
        self._last: dict | None = None
        self._files: list[SourceFile] = []
        self._local: PageBuilder | None = None
        self._cache_only_hits = 0
        self._digests: dict[str, str] = {}

    @property
    def env(self):
        if self._env is None:
            from .templates import make_environment
            self._env = make_environment(self.config.templates_dir or None,
                                         _templates_cache(self.config))
        return self._env

    @property
    def math(self):
        if self._math is None:
            from .math import MathCache, MathOptions, MathRenderer, make_engine
            options = MathOptions.from_config(self.config)  # macros and budgets
            engine = make_engine(self.config.math_engine, options,
                                 katex_dir=self.config.katex_dir or None)
            cache = MathCache(Path(self.config.cache_dir) / "math")
            self._math = MathRenderer(engine, cache)
        return self._math

    def close(self) -> None:
        if self._math is not None:
            self._math.close()
            self._math = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _report(self, stage: str, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress(stage, done, total)

    def jobs(self) -> int:
        jobs = self.config.jobs
        return jobs if jobs and jobs > 0 else (os.cpu_count() or 1)

    # ### Cache look-ups

    def _tree_name(self) -> str:
        """The name of this source tree's build record in the page cache."""
        return sha256(str(Path(self.config.source_dir).resolve()))[:32]

    def _read_record(self) -> None:
        """Once per builder: the entries of the tree's last build, from one file."""
        if not self._record_read:
            self._record_read = True
            for key, entry in self.page_cache.read_record(self._tree_name()).items():
                if key not in self._entries:
                    self._entries[key] = entry
                    self._recorded.add(key)

    def _lookup(self, key: str) -> Entry | None:
        entry = self._entries.get(key)
        if entry is not None:
            if entry.failed or self.page_cache.disabled:
                return entry
            if key in self._recorded:
                # Just read from the record of the last build, whose HTML garbage collection
                # keeps: not looked at again (a thousand stats). Should the file be gone after
                # all, reading the page's HTML renders it again (`_rescue`).
                self._recorded.discard(key)
                return entry
            try:  # still there? (another build or a person may have cleared the cache)
                if os.stat(self.page_cache.html_file(entry.html_sha)).st_size == entry.html_len:
                    return entry
            except OSError:
                pass
            del self._entries[key]
        entry = self.page_cache.get(key)
        if entry is not None:
            self._entries[key] = entry
        return entry

    @staticmethod
    def _deps_hold(entry: Entry, known: set[str], hashes: dict[str, str]) -> bool:
        deps = entry.deps
        for url, existed in deps.get("exists", {}).items():
            if (url in known) != existed:
                return False
        for path, digest in deps.get("files", {}).items():
            if hashes.get(path) != digest:
                return False
        return True

    # ### Rendering

    def render(self) -> Site:
        """Render every page of the tree; pages whose inputs are unchanged come from the cache."""
        with _collector_paused():
            return self._render()

    def _render(self) -> Site:
        started = time.perf_counter()
        if self._math is not None:
            self._math.reset_stats()
        self._cache_only_hits = 0
        source_dir = Path(self.config.source_dir)
        if not source_dir.is_dir():
            raise FileNotFoundError(f"{source_dir}: no such folder")
        from .templates import template_files

        scanned: list[Diagnostic] = []
        files = scan(source_dir, self.config.follow_external_symlinks, scanned)
        self._files, self._local = files, None
        site = Site()
        for file in files:
            if file.kind == "asset":
                site.assets[file.url] = file.absolute
        sources = [f for f in files if f.kind != "asset"]
        hashes = self._digests = self.hashes.hash_files(sources)
        fingerprint, _ = global_fingerprint(self.config,
                                            template_files(self.config.templates_dir or None),
                                            math_identity(self.config, self._math))
        known = set(site.assets) | {f.url for f in sources} | {HOME}

        # Which pages the cache holds, with their dependencies unchanged.
        self._read_record()
        keys: dict[str, str] = {}
        entries: dict[str, Entry] = {}
        todo: list[SourceFile] = []
        for file in sources:
            digest = hashes.get(file.path)
            if digest is None:
                todo.append(file)
                continue
            key = keys[file.url] = page_key(fingerprint, file.path, digest)
            entry = self._lookup(key)
            if entry is not None and entry.url == file.url and self._deps_hold(entry, known, hashes):
                entries[file.url] = entry
            else:
                todo.append(file)
        home_file = next((f for f in sources if f.url == HOME), None)
        if home_file is None:
            keys[HOME] = page_key(fingerprint, "", "generated home page")
            home_entry = self._lookup(keys[HOME])
            if home_entry is not None:
                entries[HOME] = home_entry

        # The others: prepared, their math rendered and finished as the chunks come, the home
        # page last, as it lists every page's title.
        pool = self._pool(len(todo), files)
        try:
            prepared, finished = self._render_pages(todo, pool)
            # Pages that failed are not listed: a page that never built has nothing to show.
            listing = PageBuilder.listing(
                [{"url": e.url, "title": e.title, "summary": e.summary}
                 for url, e in entries.items() if url != HOME and not e.failed]
                + [{"url": p.url, "title": p.page.title, "summary": p.page.summary}
                   for p in prepared if not p.failed])
            home_hash = listing_hash(listing)
            home = entries.get(HOME)
            if home is not None and home.deps.get("listing") != home_hash:
                del entries[HOME]
                home = None
            home_page = next((p for p in prepared if p.url == HOME), None)
            if home is None and home_page is None:
                if home_file is not None:
                    home_page = self._run("prepare", _prepare_chunk, [home_file], None)[0]
                else:
                    home_page = PreparedPage("", HOME, _home_source(self.config))
                prepared.append(home_page)
                self._render_math([home_page])
            if home_page is not None:  # last, with every title known
                finished += self._run("finish", _finish_chunk, [(home_page, listing)], None)
        finally:
            if pool is not None:
                pool.shutdown()

        new_entries: dict[str, Entry] = {}
        fresh: dict[str, Finished] = {}
        by_url = {page.url: page for page in prepared}
        for done in finished:
            page = by_url[done.url]
            fresh[done.url] = done
            key = keys.get(done.url)
            if key is None:  # an unreadable file: nothing to key it by, nothing to keep
                continue
            rendered = done.rendered
            entry = Entry(
                key=key, url=page.url, path=page.path, title=rendered.title,
                summary=rendered.summary, text=rendered.text,
                failed=done.failed,
                html_sha=done.html_sha, html_len=done.html_len, formulas=len(page.formulas),
                diagnostics=[[d.path, d.line, d.message, d.level] for d in page.diagnostics],
                links=[[link.target, link.href, link.line] for docs in page.docs
                       for link in docs.links],
                deps={"exists": dict(sorted(done.deps["exists"].items())),
                      "files": {p: hashes.get(p) for p in done.deps["files"]}})
            if page.url == HOME:
                entry.deps["listing"] = home_hash
            self.page_cache.put(entry, None if done.stored else rendered.html)
            if not self.page_cache.disabled:
                self._entries[key] = entry
            new_entries[done.url] = entry

        # The site, in the order of the tree.
        all_entries: dict[str, Entry] = {}
        for url in [f.url for f in sources] + ([] if home_file is not None else [HOME]):
            if url in entries:
                entry = entries[url]
            elif url in fresh:
                entry = new_entries.get(url)
                done = fresh[url]
                if not done.stored:
                    site.pages[url] = done.rendered
                    if entry is not None:
                        all_entries[url] = entry
                    continue
            else:
                continue
            all_entries[url] = entry
            site.pages[url] = CachedPage(entry, self._loader(entry)) if not entry.failed else \
                RenderedPage(entry.url, entry.path, entry.title, entry.summary, None, entry.text)
            if not entry.failed:
                site.html_shas[url] = entry.html_sha
        site.keys = {url: keys[url] for url in site.pages if url in keys}
        # Search engines need whole addresses: without `site_url` there is no sitemap.
        if self.config.site_url:
            built = [url for url, page in site.pages.items()
                     if url in site.html_shas or page.html is not None]
            site.extra["sitemap.xml"] = self._sitemap(sorted(built))

        formulas = 0
        for url, entry in all_entries.items():
            site.diagnostics.extend(Diagnostic(*d) for d in entry.diagnostics)
            site.diagnostics.extend(check_links(entry.path, entry.links, known))
            formulas += entry.formulas
        for page in prepared:  # pages with no entry (unreadable files, or no cache)
            if page.url not in all_entries:
                site.diagnostics.extend(page.diagnostics)
                site.diagnostics.extend(check_links(
                    page.path, [(l.target, l.href, l.line) for d in page.docs for l in d.links],
                    known))
                formulas += len(page.formulas)
        site.diagnostics.extend(scanned)
        site.diagnostics.sort(key=lambda d: (d.path, d.line, d.message))
        self.hashes.save()
        self._collect_garbage(site, all_entries)
        self._last = {"files": files, "listing": listing}
        site.stats = {
            "pages": len(site.pages),
            "rendered": len(prepared),
            "cached": len(site.pages) - len(prepared),
            "formulas": formulas,
            "math_errors": sum(1 for d in site.diagnostics if d.message.startswith("KaTeX")),
            "hashed_files": self.hashes.hashed,
            "jobs": pool._max_workers if pool is not None else 1,
            "math_hits": self._cache_only_hits,
            "math_misses": 0,
            "seconds": time.perf_counter() - started,
        }
        if self._math is not None:
            stats = self._math.stats
            site.stats.update(math_hits=stats.hits + self._cache_only_hits,
                              math_misses=stats.misses)
        return site

    def _collect_garbage(self, site: Site, entries: dict[str, Entry]) -> None:
        """Record what this build used, then (at most once an hour) delete the page cache's
        files that no build uses any more (see `manifest`)."""
        cache = self.page_cache
        if cache.disabled:
            return
        cache.record_build(self._tree_name(), entries.values())
        removed = cache.collect_if_due()
        if removed and any(removed.values()):
            log.info("page cache: removed %(entries)d entries, %(html)d pages, "
                     "%(temporary)d temporary files, %(records)d build records", removed)

    def _render_pages(self, todo: list[SourceFile], pool) -> tuple[list, list]:
        """Prepare, render the math of, and finish `todo` (but the home page, which the caller
        finishes when every title is known). With workers, the math of a chunk is rendered here
        while the workers prepare the next chunks, and its finish starts as soon as it is done.
        """
        if not todo:
            return [], []
        if pool is None:
            prepared = self._run("prepare", _prepare_chunk, todo, None)
            self._render_math(prepared)
            finished = self._run("finish", _finish_chunk,
                                 [(p, None) for p in prepared if p.url != HOME], None)
            return prepared, finished
        from concurrent.futures import FIRST_COMPLETED, wait

        chunks = self._chunks(todo, pool)
        preparing = {pool.submit(_prepare_chunk, chunk): n for n, chunk in enumerate(chunks)}
        prepared_chunks: list = [None] * len(chunks)
        finishing = {}
        total, prepared_count, finished_count = len(todo), 0, 0
        finished_chunks: list = [None] * len(chunks)
        pending = set(preparing)
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                if future in preparing:
                    n = preparing[future]
                    pages = prepared_chunks[n] = future.result()
                    prepared_count += len(pages)
                    self._report("prepare", prepared_count, total)
                    self._render_math(pages)
                    follow = pool.submit(_finish_chunk,
                                         [(p, None) for p in pages if p.url != HOME])
                    finishing[follow] = n
                    pending.add(follow)
                else:
                    n = finishing[future]
                    finished_chunks[n] = future.result()
                    finished_count += len(finished_chunks[n])
                    self._report("finish", finished_count, total)
                    # Done: the largest part goes, but only from the pages just finished;
                    # the home page is finished later, by the caller, and needs its math.
                    for page in prepared_chunks[n]:
                        if page.url != HOME:
                            page.math_html, page.math_input = [], None
        return ([p for chunk in prepared_chunks for p in chunk],
                [f for chunk in finished_chunks for f in chunk])

    def _pool(self, count: int, files):
        jobs = min(self.jobs(), max(1, count // 8))
        if count < PARALLEL_THRESHOLD or jobs < 2:
            return None
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        forking = "fork" in multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("fork" if forking else "spawn")
        # Forked workers each get a lazy index (it does not pickle): a worker reads the files
        # its pages need, and this process does not index the whole tree before the workers
        # start (9 s and 500 MiB for a thousand files).
        xref = self._make_xref(files, lazy=forking)
        cache_dir = None if self.page_cache.disabled else self.page_cache.directory
        return ProcessPoolExecutor(max_workers=jobs, mp_context=context,
                                   initializer=_init_worker,
                                   initargs=(self.config, files, xref, cache_dir, os.getpid()))

    def _make_xref(self, files, lazy: bool = False):
        if self.xref_factory is None or not self.config.cross_references:
            return None
        if self.xref_factory == self._index_files:
            return self._index_files(files, lazy)
        return self.xref_factory(files)

    def _index_files(self, files, lazy: bool = False):
        """The cross-reference index; `lazy` (for pages rendered in this process, or by forked
        workers): it reads the files the pages need, not the whole tree."""
        from .xref import index_files
        cache_dir = self.cache_dir if not self.page_cache.disabled else None
        return index_files(files, source_dir=self.config.source_dir, lazy=lazy,
                           digests=self._digests, cache_dir=cache_dir,
                           sections=self.config.sections)

    def _builder_here(self) -> PageBuilder:
        """The page builder of this process, for renders without workers."""
        if self._local is None:
            self._local = PageBuilder(self.config, self.env, self._files)
            self._local.xref = self._make_xref(self._files, lazy=True)
        return self._local

    def _chunks(self, items: list, pool) -> list[list]:
        # Small chunks: the math of the first ones overlaps the preparing of the others.
        size = max(1, min(16, _math.ceil(len(items) / (pool._max_workers * 4))))
        return [items[i:i + size] for i in range(0, len(items), size)]

    def _run(self, stage: str, function, items: list, pool) -> list:
        """`function(chunk)` over `items` in this process, reporting progress."""
        builder = self._builder_here()
        out = []
        for i, item in enumerate(items):
            if function is _finish_chunk:
                out.extend(function([item], builder, self.page_cache))
            else:
                out.extend(function([item], builder))
            self._report(stage, i + 1, len(items))
        return out

    def _render_math(self, prepared: list[PreparedPage]) -> None:
        if not prepared:
            return
        count = sum(len(p.formulas) for p in prepared)
        holder = PageBuilder.__new__(PageBuilder)  # render_math needs only the settings
        holder.config = self.config
        holder.render_math(prepared, _CacheFirstMath(self))
        self._report("math", count, count)

    def _sitemap(self, urls: list[str]) -> str:
        base = self.config.site_url.rstrip("/")
        return self.env.get_template("sitemap.xml").render(urls=[f"{base}/{href(u)}" for u in urls])

    def _loader(self, entry: Entry):
        def load():
            try:
                return self.page_cache.read_html(entry)
            except CorruptEntry as e:
                log.warning("page cache: %s; rendering %s again", e, entry.url)
                self._entries.pop(entry.key, None)
                return self._rescue(entry)
        return load

    def _rescue(self, entry: Entry) -> str | None:
        """Render one page again, alone: its cached HTML went bad after the build checked it."""
        last = self._last or {}
        files = last.get("files") or scan(Path(self.config.source_dir),
                                          self.config.follow_external_symlinks)
        if self._files is not files:
            self._files, self._local = files, None
        builder = self._builder_here()
        if entry.path:
            page = builder.prepare(next(f for f in files if f.path == entry.path))
        else:
            page = PreparedPage("", HOME, _home_source(self.config))
        self._render_math([page])
        rendered = builder.finish(page, last.get("listing") if page.url == HOME else None)
        html_sha, html_len = html_fields(rendered.html)
        if rendered.html is not None and html_sha == entry.html_sha:
            self.page_cache.put(entry, rendered.html)
            self._entries[entry.key] = entry
        return rendered.html

    def build(self, out_dir: Path, overwrite: bool = False) -> Site:
        """Render the site and publish it into `out_dir` (see [`publish`](publish.py) for what
        `overwrite` allows). Raises `PublishError`, before anything is written, for an output
        folder that would overwrite the tree."""
        check_output_folder(Path(self.config.source_dir), Path(out_dir))
        # Pages link KaTeX's stylesheet and fonts: say they are missing before rendering, not after.
        from .math import katex_assets_dir
        katex_assets_dir(self.config.katex_dir or None)
        site = self.render()
        cache_dir = None if self.page_cache.disabled else self.cache_dir
        site.diagnostics.extend(publish(site, Path(out_dir), katex_dir=self.config.katex_dir or None,
                                        overwrite=overwrite, cache_dir=cache_dir))
        return site


class _CacheFirstMath:
    """Formulas from the math cache without starting KaTeX; the engine starts only for a miss
    (Node.js takes about 0.1 s to start: most of a one-page rebuild that adds no formula)."""

    def __init__(self, builder: "Builder"):
        self.builder = builder

    def render_many(self, formulas):
        builder = self.builder
        if builder._math is None and builder.config.cache_dir:
            from .math import MathCache, MathOptions
            options = MathOptions.from_config(builder.config)
            name, version = math_identity(builder.config)
            cache = MathCache(Path(builder.config.cache_dir) / "math")
            try:
                keys = [MathCache.make_key(name, version, options, f) for f in formulas]
                found = cache.get_many(keys)
            finally:
                cache.close()
            if all(k in found for k in keys):
                builder._cache_only_hits += len(keys)
                return [found[k] for k in keys]
        return builder.math.render_many(formulas)


def _home_source(config):
    from .parse import Page
    return Page("", meta={"title": config.site_name})
