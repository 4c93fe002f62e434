"""
---
title: Building a site
summary: From a source tree to a folder of pages; the whole data path in one function.
---

# Building a site

`Builder.render` is the whole data path of a build, one step a line:

1. **scan** the tree ([`scan`](scan.py)) and hash its files;
2. **plan**: which pages the [page cache](page_cache.py) holds with all their inputs
   unchanged, and which must be rendered;
3. **render** those: prepare, colour, math, finish ([`workers`](workers.py), in worker
   processes when there are many; the stages of one page are in [`page`](page.py)); the home
   page is finished with them once every page's title is known;
4. the **home page**, if it was not rendered with them: from the cache, unless the pages it
   lists changed;
5. **keep** what was rendered in the page cache;
6. **assemble** the site in the order of the tree, with the messages of every page;

and `Builder.build` then adds the [search index](search.py) of the standalone site and
**publishes** it ([`publish`](publish.py)).

A page whose inputs have not changed comes from the page cache: no parse, no Markdown, no math,
no template; its messages are reported again from the cache. A rebuild of an unchanged tree
only hashes: it does not even import what renders pages (the parser, Pygments, Markdown,
Jinja: a fifth of a no-op rebuild of PyTorch's 2,285 files was importing them), and makes no
renderer unless a page, or the home page, must be rendered.

A problem in one file becomes a [diagnostic](diagnostics.py), and the other pages still build;
a page that fails keeps its last published version.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .collector import collector_paused
from .config import SiteConfig
from .diagnostics import Diagnostic
from .fingerprint import SourceHashes, global_fingerprint, listing_hash, math_identity, page_key, sha256
from .page_cache import CorruptEntry, Dependencies, Entry, PageCache, html_fields
from .publish import Blob, publish
from .scan import SourceFile, check_output_folder, scan
from .urls import href, page_url

# What renders pages (`page`, `workers`: the parser, Pygments, Markdown, Jinja) is imported when
# a page must be rendered: a rebuild that renders nothing imports none of it.
if TYPE_CHECKING:
    from jinja2 import Environment

    from .math import MathOptions, MathRenderer, MathResult
    from .page import PreparedPage, RenderedPage
    from .workers import Finished, PageRenderer, Progress, XrefFactory
    from .xref.summaries import Summary

#: The home page's address (`workers.HOME`).
HOME = page_url("__init__.py")

log = logging.getLogger("labml_docs")


@dataclass
class Site:
    """A rendered site, in memory: what `publish` writes, and what MkDocs takes."""
    pages: dict[str, RenderedPage | CachedPage] = field(default_factory=dict)
    # Files copied as they are: site path → source file.
    assets: dict[str, Path] = field(default_factory=dict)
    # Other generated files (the sitemap): site path → text.
    extra: dict[str, str] = field(default_factory=dict)
    # Generated binary files (the search index): site path → bytes, or a `Blob` read only if
    # it must be written.
    files: dict[str, bytes | Blob] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    stats: dict = field(default_factory=dict)
    # The sha256 of each page's HTML, where the page cache knows it: `publish` compares it with
    # what it published without reading the page.
    html_shas: dict[str, str] = field(default_factory=dict)
    # The addresses of the pages this build rendered (the others came from the page cache).
    rendered: list[str] = field(default_factory=list)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.is_error]


_UNSET = object()


class CachedPage:
    """A page of the page cache, as a `page.RenderedPage`: its HTML is read, and checked, only
    when asked for."""

    def __init__(self, entry: Entry, loader: Callable[[], str | None]):
        self._loader = loader
        self._entry = entry
        self.url, self.path, self.title, self.summary = entry.url, entry.path, entry.title, entry.summary
        self._html: Any = _UNSET  # not read yet
        self._text: Any = _UNSET

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

    def read_html(self) -> str | None:
        """The HTML, not kept: search and publishing read each page once, and kept, the pages
        of PyTorch's tree would hold 250 MB until the build ends."""
        return self._loader() if self._html is _UNSET else self._html


def check_links(path: str, links, known: set[str]) -> list[Diagnostic]:
    """Every relative link of the notes must land on a page or a file of the site."""
    return [Diagnostic(path, line, f"broken link: {href} (no {target} in the site)")
            for target, href, line in links if target not in known]


@dataclass
class Plan:
    """What a build starts from: the tree, and which of its pages come from the cache."""
    files: list[SourceFile]
    # The files that become pages, in the order of the tree.
    sources: list[SourceFile]
    # Every address of the site, for the link check.
    known: set[str]
    # sha256 of each source (`None`: unreadable), and each page's key in the page cache.
    hashes: dict[str, str]
    keys: dict[str, str]
    # The pages that come from the cache, and those to render.
    cached: dict[str, Entry]
    todo: list[SourceFile]
    # The root package's `__init__.py`, if there is one; else the home page is generated.
    home_file: SourceFile | None
    # Warnings of the scan (files left out).
    skipped: list[Diagnostic] = field(default_factory=list)


@dataclass
class Rendered:
    """The pages rendered by this build, as they came back from the workers."""
    prepared: list[PreparedPage]
    finished: list[Finished]
    # What the home page lists: every page's address, title and summary (made when first
    # asked for, by `make_listing`, if not given).
    given: list[dict] | None = None
    make_listing: Callable[[], list[dict]] | None = None

    @property
    def listing(self) -> list[dict]:
        if self.given is None:
            assert self.make_listing is not None
            self.given = self.make_listing()
        return self.given


class Builder:
    """Builds the site of one source tree with one set of settings.

    One builder can render many times (`mkdocs serve`): it keeps the source hashes and the
    page cache's entries in memory between renders.
    """

    def __init__(self, config: SiteConfig, math: MathRenderer | None = None,
                 xref_factory: XrefFactory | None = None):
        self.config = config
        self._math = math
        self._env: Environment | None = None
        cache_dir = Path(config.cache_dir) if config.cache_dir else None
        self.cache_dir = cache_dir
        self.hashes = SourceHashes(cache_dir)
        self.page_cache = PageCache(cache_dir / "pages" if cache_dir is not None else None)
        self.progress: Progress | None = None
        # The cross-reference index of the pages to render: the tree's own by default.
        self.xref_factory: XrefFactory | None = xref_factory or self._tree_index
        self._entries: dict[str, Entry] = {}
        self._record_read = False
        self._recorded: set[str] = set()  # keys of entries read from the record, not yet used
        self._record_keys: set[str] = set()  # keys of every entry of the record
        self._last: Rendered | None = None
        self._last_files: list[SourceFile] = []
        self._digests: dict[str, str] = {}
        # The builders of the translated editions, by language (see [`i18n`](i18n/__init__.py)).
        self.editions: dict[str, Builder] = {}
        # The index the plan made, if it needed one (`_plan_index`); `False`: it has no facts.
        self._index: Any = None
        self._feed: Any = None  # (see `_search_feed`)

    @property
    def env(self) -> Environment:
        if self._env is None:
            from .templates import make_environment
            from .workers import templates_cache
            self._env = make_environment(self.config.templates_dir or None,
                                         templates_cache(self.config))
        return self._env

    @property
    def math(self) -> MathRenderer:
        """The KaTeX engine behind the math cache, started when first needed."""
        if self._math is None:
            from .math import MathCache, MathOptions, MathRenderer, make_engine
            options = MathOptions.from_config(self.config)  # macros and budgets
            engine = make_engine(self.config.math_engine, options,
                                 katex_dir=self.config.katex_dir or None)
            cache = MathCache(Path(self.config.cache_dir) / "math")
            self._math = MathRenderer(engine, cache)
        return self._math

    def close(self) -> None:
        for edition in self.editions.values():
            if edition._math is self._math:  # lent to it: closed here, once
                edition._math = None
            edition.close()
        if self._math is not None:
            self._math.close()
            self._math = None

    def __enter__(self) -> Builder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _cache_in_use(self) -> Path | None:
        """The cache folder, unless the page cache found it unusable: then nothing is kept."""
        return None if self.page_cache.disabled else self.cache_dir

    def jobs(self) -> int:
        jobs = self.config.jobs
        return jobs if jobs and jobs > 0 else (os.cpu_count() or 1)

    # ## The data path

    def build(self, out_dir: Path, overwrite: bool = False) -> Site:
        """Render the site and publish it into `out_dir` (see [`publish`](publish.py) for what
        `overwrite` allows). Raises `FolderRefused`, before anything is written, for an output
        folder that would overwrite the tree."""
        check_output_folder(Path(self.config.source_dir), Path(out_dir))
        # Pages link KaTeX's stylesheet and fonts: say they are missing before rendering.
        from .math import katex_assets_dir
        katex_assets_dir(self.config.katex_dir or None)
        # (The collector waits until the end: see [`collector`](collector.py). Publishing the pages of
        # a big tree would otherwise walk every object of the site a few times.)
        with collector_paused():
            try:
                site = self.render(search=True)
                if self.config.languages and not self.config.edition:
                    from .i18n.edition import add_editions
                    add_editions(self, site)
                cache_dir = self._cache_in_use()
                if self.config.search:  # (imported only then: a site without search does not pay)
                    from .search import add_search_index
                    add_search_index(site, self.config, cache_dir, self._tree_name(), self._feed)
            finally:
                if self._feed is not None:
                    self._feed.close()
                    self._feed = None
            site.diagnostics.extend(publish(site, Path(out_dir),
                                            katex_dir=self.config.katex_dir or None,
                                            overwrite=overwrite, cache_dir=cache_dir))
        return site

    def render(self, search: bool = False) -> Site:
        """Render every page of the tree; pages whose inputs are unchanged come from the cache.
        `search`: the site's search index is made next (see `_search_feed`)."""
        with collector_paused():
            started = time.perf_counter()
            if self._math is not None:
                self._math.reset_stats()
            math = _CacheFirstMath(self.config, lambda: self.math, running=self._math is not None)
            plan = self.plan(self.scan())
            rendered = Rendered([], [], make_listing=lambda: self._listing(plan, []))
            renderer = None
            if plan.todo or not self._home_holds(plan, rendered):
                with self._renderer(plan.files, math) as renderer:
                    renderer.feed = self._feed = self._search_feed(plan) if search else None
                    prepared, finished, listing = renderer.render(
                        plan.todo, self.jobs(), lambda pages: self._listing(plan, pages))
                    rendered = Rendered(prepared, finished, listing)
                    rendered.finished += self._home(plan, rendered, renderer)
            fresh = self.keep(plan, rendered)
            entries = {url: entry for url in self._order(plan)
                       if (entry := plan.cached.get(url) or fresh.get(url)) is not None}
            site = self.assemble(plan, rendered, entries)
            site.rendered = sorted(page.url for page in rendered.prepared)
            self._remember(rendered, entries)
            site.stats = self._stats(rendered, renderer, math, site, entries, started)
            return site

    # ## Scan and plan

    def scan(self) -> Plan:
        """Every file of the tree, hashed; what the plan starts from."""
        source_dir = Path(self.config.source_dir)
        if not source_dir.is_dir():
            raise FileNotFoundError(f"{source_dir}: no such folder")
        skipped: list[Diagnostic] = []
        files = scan(source_dir, self.config.follow_external_symlinks, skipped, (self.cache_dir,))
        self._last_files = files
        sources = [f for f in files if f.kind != "asset"]
        hashes = self._digests = self.hashes.hash_files(sources)
        known = {f.url for f in files} | {HOME}
        return Plan(files, sources, known, hashes, {}, {}, [], None, skipped)

    def plan(self, plan: Plan) -> Plan:
        """Which pages the cache holds, with their dependencies unchanged; the rest to render."""
        from .templates import template_files

        fingerprint, _ = global_fingerprint(self.config,
                                            template_files(self.config.templates_dir or None),
                                            math_identity(self.config, self._math))
        self._read_record()
        for file in plan.sources:
            digest = plan.hashes.get(file.path)
            if digest is None:
                plan.todo.append(file)
                continue
            if self.config.edition:  # a translated page is made of its catalog too
                from .i18n.edition import catalog_digest
                digest += catalog_digest(self.config, file.url)
            key = plan.keys[file.url] = page_key(fingerprint, file.path, digest)
            entry = self._lookup(key)
            if entry is not None and entry.url == file.url and self._deps_hold(entry, plan):
                plan.cached[file.url] = entry
            else:
                plan.todo.append(file)
        plan.home_file = next((f for f in plan.sources if f.url == HOME), None)
        if plan.home_file is None:
            plan.keys[HOME] = page_key(fingerprint, "", "generated home page")
            home = self._lookup(plan.keys[HOME])
            if home is not None:
                plan.cached[HOME] = home
        return plan

    # ## Render

    def _renderer(self, files: list[SourceFile], math: Any) -> PageRenderer:
        from .workers import PageRenderer
        xref = self.xref_factory if self.config.cross_references else None
        index, self._index = self._index, None
        if xref is not None and index:  # the plan's lazy index, for the first that asks for one
            factory, lent = xref, [index]

            def xref(files: list[SourceFile], lazy: bool,
                     known: Mapping[str, Summary] | None = None) -> Any:
                return lent.pop() if lazy and lent else factory(files, lazy, known)
        return PageRenderer(self.config, self.env, files, xref, math, self.page_cache,
                            self.progress)

    def _search_feed(self, plan: Plan) -> Any:
        """The search index, made as the pages are finished (see [`search`](search.py)):
        Pagefind's work then fits around rendering's, on the cores it leaves (PyTorch's cold
        index took 7 s after rendering), and an edit's shard is indexed while its page renders."""
        config = self.config
        if not plan.todo or not config.search or config.layout != "standalone" \
                or config.languages:
            return None
        from .search import Feed, Recorder, available, cache_folder, jobs_of
        if not available():
            return None
        record = Recorder(config)
        cached = {url: record.key(url, e.path, e.title, e.html_sha)
                  for url, e in plan.cached.items() if not e.failed}
        fed = [f.url for f in plan.todo] + ([HOME] if HOME not in plan.cached
                                            and plan.home_file is None else [])
        return Feed(self._order(plan), fed, jobs_of(config), cached,
                    cache_folder(self._cache_in_use(), self._tree_name()))

    def _tree_index(self, files: list[SourceFile], lazy: bool,
                    known: Mapping[str, Summary] | None = None) -> Any:
        """The default cross-reference index: the tree's definitions, with the index's own
        cache of per-file summaries beside the page cache."""
        from .xref import index_files
        cache_dir = self._cache_in_use()
        return index_files(files, source_dir=self.config.source_dir, lazy=lazy,
                           digests=self._digests, cache_dir=cache_dir,
                           sections=self.config.sections, known=known)

    @staticmethod
    def _listing(plan: Plan, prepared: list[PreparedPage]) -> list[dict]:
        """What the home page lists. Pages that failed are not listed: a page that never built
        has nothing to show."""
        from .page import PageBuilder
        return PageBuilder.listing(
            [{"url": e.url, "title": e.title, "summary": e.summary}
             for url, e in plan.cached.items() if url != HOME and not e.failed]
            + [{"url": p.url, "title": p.page.title, "summary": p.page.summary}
               for p in prepared if not p.failed])

    def _home_holds(self, plan: Plan, rendered: Rendered) -> bool:
        """Whether the home page comes from the cache: it lists the same pages. When every
        page is the very entry the last build recorded, the home page among them, it lists
        what it listed then (the listing is made of those entries): it is not made again (it
        would import the page builder, for a rebuild that renders nothing)."""
        home = plan.cached.get(HOME)
        if home is None:
            return False
        if not plan.todo and len(plan.cached) == len(self._record_keys) \
                and all(entry.key in self._record_keys for entry in plan.cached.values()):
            return True
        return home.deps.listing == listing_hash(rendered.listing)

    def _home(self, plan: Plan, rendered: Rendered, renderer: PageRenderer) -> list[Finished]:
        """The home page, when it was not rendered with the pages: from the cache if it lists
        the same pages, else rendered now."""
        if any(done.url == HOME for done in rendered.finished) or self._home_holds(plan, rendered):
            return []
        plan.cached.pop(HOME, None)
        if plan.home_file is not None:
            page = renderer.prepare_here([plan.home_file])[0]
        else:
            from .page import PreparedPage
            page = PreparedPage("", HOME, _home_source(self.config))
        rendered.prepared.append(page)
        renderer.math_of([page])
        return [renderer.finish_home(page, rendered.listing)]

    # ## Keep and assemble

    def keep(self, plan: Plan, rendered: Rendered) -> dict[str, Entry]:
        """Put each rendered page into the page cache; its entry by address."""
        fresh: dict[str, Entry] = {}
        by_url = {page.url: page for page in rendered.prepared}
        for done in rendered.finished:
            page = by_url[done.url]
            key = plan.keys.get(done.url)
            if key is None:  # an unreadable file: nothing to key it by, nothing to keep
                continue
            entry = Entry(
                key=key, url=page.url, path=page.path, title=done.rendered.title,
                summary=done.rendered.summary, text=done.rendered.text, failed=done.failed,
                html_sha=done.html_sha, html_len=done.html_len, formulas=len(page.formulas),
                diagnostics=[[d.path, d.line, d.message, d.level] for d in done.diagnostics],
                links=[[link.target, link.href, link.line] for docs in page.docs
                       for link in docs.links],
                deps=Dependencies(exists=dict(sorted(done.deps.exists.items())),
                                  files={p: plan.hashes.get(p) for p in done.deps.files},
                                  listing=listing_hash(rendered.listing) if page.url == HOME
                                  else None,
                                  facts=done.deps.facts))
            self.page_cache.put(entry, None if done.stored else done.rendered.html)
            if not self.page_cache.disabled:
                self._entries[key] = entry
            fresh[done.url] = entry
        return fresh

    @staticmethod
    def _order(plan: Plan) -> list[str]:
        """The pages in the order of the tree; a generated home page last."""
        return [f.url for f in plan.sources] + ([] if plan.home_file else [HOME])

    def assemble(self, plan: Plan, rendered: Rendered, entries: dict[str, Entry]) -> Site:
        """The site in the order of the tree: every page, asset and message. `entries`: the
        page cache's entry of each page that has one."""
        site = Site(assets={f.url: f.absolute for f in plan.files if f.kind == "asset"})
        finished = {done.url: done for done in rendered.finished}
        for url in self._order(plan):
            entry, done = entries.get(url), finished.get(url)
            if done is not None and not done.stored:  # not in the cache: the page itself
                site.pages[url] = done.rendered
            elif entry is None:
                continue
            elif entry.failed:  # no HTML: the page keeps its published version
                site.pages[url] = CachedPage(entry, lambda: None)
            else:
                site.pages[url] = CachedPage(entry, self._loader(entry))
                site.html_shas[url] = entry.html_sha
        # Search engines need whole addresses: without `site_url` there is no sitemap.
        if self.config.site_url:
            built = [url for url, page in site.pages.items()
                     if url in site.html_shas or page.html is not None]
            site.extra["sitemap.xml"] = self._sitemap(sorted(built))
        site.diagnostics = self._messages(plan, rendered, entries)
        return site

    def _messages(self, plan: Plan, rendered: Rendered,
                  entries: dict[str, Entry]) -> list[Diagnostic]:
        """Every message of the site: each page's, its broken links, the scan's."""
        out: list[Diagnostic] = []
        for entry in entries.values():
            out.extend(Diagnostic(*d) for d in entry.diagnostics)
            out.extend(check_links(entry.path, entry.links, plan.known))
        for page in rendered.prepared:  # pages with no entry (unreadable files, or no cache)
            if page.url not in entries:
                out.extend(page.diagnostics)
                out.extend(check_links(page.path, [(link.target, link.href, link.line)
                                                   for docs in page.docs for link in docs.links],
                                       plan.known))
        out.extend(plan.skipped)
        return sorted(out, key=lambda d: (d.path, d.line, d.message))

    def _remember(self, rendered: Rendered, entries: dict[str, Entry]) -> None:
        """Save the source hashes; record what this build used in the page cache, then (at most
        once an hour) delete the cache's files that no build uses any more."""
        self.hashes.save()
        self._last = rendered
        cache = self.page_cache
        if cache.disabled:
            return
        cache.record_build(self._tree_name(), entries.values())
        removed = cache.collect_if_due()
        if removed and any(removed.values()):
            log.info("page cache: removed %(entries)d entries, %(html)d pages, "
                     "%(temporary)d temporary files, %(records)d build records", removed)

    def _stats(self, rendered: Rendered, renderer: PageRenderer | None, math: _CacheFirstMath,
               site: Site, entries: dict[str, Entry], started: float) -> dict:
        formulas = sum(entry.formulas for entry in entries.values()) + sum(
            len(page.formulas) for page in rendered.prepared if page.url not in entries)
        stats = {
            "pages": len(site.pages),
            "rendered": len(rendered.prepared),
            "cached": len(site.pages) - len(rendered.prepared),
            "formulas": formulas,
            "math_errors": sum(1 for d in site.diagnostics if d.message.startswith("KaTeX")),
            "hashed_files": self.hashes.hashed,
            "jobs": renderer.jobs if renderer is not None else 1,
            "math_hits": math.hits,
            "math_misses": 0,
            "seconds": time.perf_counter() - started,
        }
        if self._math is not None:
            engine = self._math.stats
            stats.update(math_hits=engine.hits + math.hits, math_misses=engine.misses)
        return stats

    def _sitemap(self, urls: list[str]) -> str:
        base = self.config.site_url.rstrip("/")
        return self.env.get_template("sitemap.xml").render(urls=[f"{base}/{href(u)}" for u in urls])

    # ## The page cache

    def _tree_name(self) -> str:
        """The name of this source tree's build record in the page cache."""
        edition = f"\0{self.config.edition}" if self.config.edition else ""
        return sha256(str(Path(self.config.source_dir).resolve()) + edition)[:32]

    def _read_record(self) -> None:
        """Once per builder: the entries of the tree's last build, from one file."""
        if not self._record_read:
            self._record_read = True
            for key, entry in self.page_cache.read_record(self._tree_name()).items():
                self._record_keys.add(key)
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

    def _deps_hold(self, entry: Entry, plan: Plan) -> bool:
        """Whether what the page depends on besides its source is as it was: the pages its
        breadcrumbs looked for, and the other files its links were read from; of a file that
        changed, only the facts the links were read from count (`xref.XrefIndex.fact_record`):
        if those are unchanged, the entry now holds for the new file."""
        deps = entry.deps
        if not all((url in plan.known) == existed for url, existed in deps.exists.items()):
            return False
        changed = [path for path, digest in deps.files.items()
                   if plan.hashes.get(path) != digest]
        if not changed:
            return True
        if not all(path in deps.facts for path in changed):
            return False
        facts = deps.facts
        if any(len(facts[path]) == 1 for path in changed):
            # Read from the build record, which keeps only their digests: the entry's own file
            # has the facts.
            whole = self.page_cache.get(entry.key)
            facts = whole.deps.facts if whole is not None else {}
        index = self._plan_index(plan)
        if index is None or not all(
                plan.hashes.get(path) is not None and len(facts.get(path, ())) > 1
                and index.facts_digest(path, facts[path][1:]) == facts[path][0]
                for path in changed):
            return False
        for path in changed:
            deps.files[path] = plan.hashes[path]
        if hasattr(entry, "_row"):
            entry._row = None  # its row in the build record is made again
        return True

    def _plan_index(self, plan: Plan) -> Any:
        """The cross-reference index of this build, to check the facts of files that changed;
        made once per render, and lent to the renderer (it has read those files already)."""
        if self._index is None and self.xref_factory is not None and self.config.cross_references:
            index = self.xref_factory(plan.files, lazy=True)
            self._index = index if hasattr(index, "facts_digest") else False
        return self._index or None

    def _loader(self, entry: Entry) -> Callable[[], str | None]:
        def load() -> str | None:
            try:
                return self.page_cache.read_html(entry)
            except CorruptEntry as e:
                log.warning("page cache: %s; rendering %s again", e, entry.url)
                self._entries.pop(entry.key, None)
                return self._rescue(entry)
        return load

    def _rescue(self, entry: Entry) -> str | None:
        """Render one page again, alone: its cached HTML went bad after the build checked it."""
        files = self._last_files or scan(Path(self.config.source_dir),
                                         self.config.follow_external_symlinks, None, (self.cache_dir,))
        math = _CacheFirstMath(self.config, lambda: self.math, running=self._math is not None)
        with self._renderer(files, math) as renderer:
            if entry.path:
                page = renderer.prepare_here([next(f for f in files if f.path == entry.path)])[0]
            else:
                from .page import PreparedPage
                page = PreparedPage("", HOME, _home_source(self.config))
            renderer.math_of([page])
            listing = self._last.listing if self._last is not None and page.url == HOME else None
            rendered = renderer.finisher().finish(page, listing)
        html_sha, _ = html_fields(rendered.html)
        if rendered.html is not None and html_sha == entry.html_sha:
            self.page_cache.put(entry, rendered.html)
            self._entries[entry.key] = entry
        return rendered.html


class _CacheFirstMath:
    """Formulas from the math cache without starting KaTeX; the engine starts only for a miss
    (Node.js takes about 0.1 s to start: most of a one-page rebuild that adds no formula).
    `running`: an engine is already there, and serves every formula through its own cache."""

    def __init__(self, config: SiteConfig, start: Callable[[], MathRenderer], running: bool):
        self.config, self.start, self.running = config, start, running
        self.hits = 0  # formulas served before any engine started
        # The engine's name, KaTeX's version and the options: what a cache key needs, found
        # once per render rather than once per chunk of pages.
        self._identity: tuple[str, str, MathOptions] | None = None

    def render_many(self, formulas: list) -> list[MathResult]:
        if not self.running and self.config.cache_dir:
            from .math import MathCache, MathOptions
            if self._identity is None:
                self._identity = (*math_identity(self.config), MathOptions.from_config(self.config))
            name, version, options = self._identity
            cache = MathCache(Path(self.config.cache_dir) / "math")
            try:
                keys = [MathCache.make_key(name, version, options, f) for f in formulas]
                found = cache.get_many(keys)
            finally:
                cache.close()
            if all(k in found for k in keys):
                self.hits += len(keys)
                return [found[k] for k in keys]
        self.running = True
        return self.start().render_many(formulas)


def _home_source(config: SiteConfig):
    from .parse import Page
    return Page("", meta={"title": config.site_name})
