"""
---
title: Search
summary: The search index of the standalone site, built by Pagefind from the notes, in shards.
---

# Search

The standalone site is searched in the reader's browser, offline, with
[Pagefind](https://pagefind.app): at build time its indexer (a Rust binary that ships inside the
`pagefind-bin` wheel) indexes the notes of every page and writes small index files under
`pagefind/`, beside its WebAssembly search engine; in the browser our own script,
`assets/search.js`, asks `pagefind/pagefind.js` for the matches as the reader types.

## What is indexed

**The notes only, as readers see them.** Pagefind is not handed the page: it is handed a
page of our own, made from the page's notes (`notes_of`): each section's notes in
an element with the section's `id`, without the code column, the `#` link of the section, the
header and footer, or the home page's list of pages. A formula becomes the text of its
MathML tokens, in reading order ($\\frac{R_T}{T}$ is `R T T`), without its TeX annotation and
without KaTeX's glyph spans; so `regret` is found in the notes of AMSGrad, and `torch.no_grad`
is not. A match links to the section it is in (`amsgrad.html#section-7`): Pagefind keeps the
position of every element with an `id`, and the script takes the last section before the
match.

**Identifiers** (classes, functions, methods) are searchable and lead to their definitions:
searching `AMSGrad` offers `class AMSGrad`, at the section of its definition. They are read
from the code column of the page itself, where Pygments marks the name of each `class` and
`def` (`nc`, `nf`): the definitions the [cross-reference index](xref/__init__.py) knows are
those of the tree's files, and a page's own code names them at their section. Only public
names are: top-level classes and functions, and the methods of top-level classes, none whose
name starts with `_` (PyTorch has 46,000 definitions at those levels; 29,000 are public).
They are words at the end of their page's record, each in an element whose id says what it
is and where (`class:section-1:AMSGrad`), weighing as much as a title; the script shows a match
there as a result of its own. Records of their own, one per identifier, cost a fragment file
each: 28,000 of the 28,341 files of PyTorch's index.

## Shards, because Pagefind cannot update an index in place

Pagefind writes a whole index from all its input at once. One index for the site would make a
one-file edit index every page again (seconds on the 221 pages of labml-nn, ten on PyTorch).
So the site has $K$ indexes, *shards*: a page goes to the shard given by a hash of its
address, and $K$ is the power of two that keeps shards at about `PAGES_PER_SHARD` pages (up
to `MAX_SHARDS`). An edit changes one page, so one shard is indexed again; and what Pagefind
was sent for each page of a shard is kept too (`notes/`, a file a shard), so that of that
shard only the edited page's HTML is read again. The browser merges the shards (Pagefind's
`mergeIndex`): shard 0 is the index at `pagefind/`, beside Pagefind's engine, and shard $k$
is at `pagefind/k/`; `pagefind/shards.json` lists them. A cold index is made by a Pagefind
process for every `SHARDS_PER_SERVICE` shards, up to the build's `--jobs`, side by side:
Pagefind indexes on one core. When a build renders pages, the shards they are in are indexed
while the pages are finished, not after (see `Feed`, below).

A shard is the same bytes for the same pages whether the build was cold or incremental:
its pages are chosen by the hash of their addresses and $K$ by their number, not by what
changed. Ranking is per shard (Pagefind's word statistics are those of the shard), which
orders results a little differently than one index would.

The index is [published](publish.py) with the pages, in the same journal: readers never see
pages and an index of different builds, and the record lists its files as ours, so that a
build that turns search off deletes them, and nothing else.

## What it costs

Measured with `benchmarks/search_bench.py` (the search part: `add_search_index` in one
process, from the CLI's page cache) and on the pages of a built site, before and after in
the same hour, on two cores shared with other builds (load 4 to 7: wall times are up to twice
what an idle machine gives; Pagefind's CPU time is steadier).

| | PyTorch, 2,285 pages, before | after | labml-nn, 221 pages, before | after |
| --- | --- | --- | --- | --- |
| index | 15.9 MB, 28,341 files | 10.6 MB, 2,458 files | 942 KB, 1,360 files | 734 KB, 286 files |
| cold | 34–58 s | 8.6–11.5 s | 2.3 s | 0.75–0.83 s |
| no-op | 80–200 ms | 8–23 ms | 5 ms | 1 ms |
| one-page edit | 0.6–1.2 s | 0.21–0.24 s | 0.17 s | 0.07 s |

On PyTorch a cold index is 8–10 s of Pagefind's CPU (13 MB of notes, 1.5 million words, at
about 5 µs a word) and 1.7 s of ours (finding the notes in 253 MB of pages: 1 s); an edit
indexes a shard of 29 pages (0.11 s of Pagefind's CPU, 20 ms of it to start the process).
Since the index is made as the pages are finished (the `Feed`), those seconds overlap
rendering: a cold `-j 1` build of PyTorch spends 0.2 s on search after rendering instead of 8 s,
and an edit's shard is mostly indexed while its page renders. Each Pagefind index is deleted
from its service once its files are read: a service that kept PyTorch's 64 held 213 MB.

`PAGES_PER_SHARD` and `MAX_SHARDS` trade the edit against what the browser fetches before
its first result (two small files a shard, then an index chunk and a filter file a shard for
each word: 270 files, 2.5 MB for a first search of PyTorch's site; 128 shards would take the
edit's Pagefind time from 0.11 s to 0.10 s, for twice the requests).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import logging
import os
import queue
import re
import select
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from html import escape, unescape
from pathlib import Path
from typing import TYPE_CHECKING

from .diagnostics import Diagnostic

if TYPE_CHECKING:
    from .build import Site
    from .config import SiteConfig

log = logging.getLogger("labml_docs")

#: Where the index goes in the site.
FOLDER = "pagefind"
#: The list of shards the browser merges, in the site.
SHARDS = f"{FOLDER}/shards.json"
#: About how many pages a shard holds: an edit re-indexes this many pages.
PAGES_PER_SHARD = 16
#: At most this many shards: the browser fetches two small files of each shard before the first
#: search, and asks each shard at every search. Past `MAX_SHARDS * PAGES_PER_SHARD` pages (1,024)
#: the shards grow instead, and so does what an edit re-indexes.
MAX_SHARDS = 64

#: A Pagefind process more for each this many shards to index (up to the build's `--jobs`): a
#: process costs about 30 ms to start.
SHARDS_PER_SERVICE = 8

#: A Pagefind service that owes answers and says nothing for this long is stopped (it answers a
#: page in milliseconds, a shard's files in under a second).
SILENCE_SECONDS = 120.0

#: Bumped when what is indexed changes, so that kept shards are not reused.
FORMAT = "6"

# The files of Pagefind's engine that the site uses (the API that `search.js` imports, its
# worker and the WebAssembly of the search); its own interfaces (`pagefind-ui.js`) are left out.
_ENGINE = re.compile(r"^(pagefind\.js|pagefind-worker\.js|wasm\.[\w-]+\.pagefind)$")
# The files of one index.
_INDEX = re.compile(r"^(pagefind-entry\.json|pagefind\.[^/]+\.pf_meta|index/[^/]+|fragment/[^/]+|"
                    r"filter/[^/]+)$")


def available() -> bool:
    """Whether Pagefind's binary is installed."""
    return _binary() is not None


@functools.cache
def _binary() -> tuple[str, str] | None:
    """Pagefind's binary and what identifies it (its size and time), found as the `pagefind`
    package finds it (`PAGEFIND_BINARY_PATH`, the `pagefind-bin` wheel, the `PATH`) without
    importing that package, whose service module imports asyncio (50 ms of a no-op rebuild)."""
    found = os.environ.get("PAGEFIND_BINARY_PATH")
    if not found:
        try:
            from pagefind_bin import get_executable
            found = str(get_executable())
        except (ImportError, OSError):
            found = shutil.which("pagefind")
    try:
        st = os.stat(found) if found else None
    except OSError:
        st = None
    return (found, f"{st.st_size}:{st.st_mtime_ns}") if found and st else None


def _version() -> str:
    binary = _binary()
    return binary[1] if binary is not None else "?"


# ## The index of a site

def add_search_index(site: Site, config: SiteConfig, cache_dir: Path | None, tree: str,
                     feed: Feed | None = None) -> None:
    """Add the index of `site`'s pages to its files (`site.files`), to be published with them;
    the shards are kept in `cache_dir/search/tree`; `feed`: the shards indexed while the pages
    were finished. Nothing is added when search is off, for a theme's pages, or when Pagefind
    is missing or fails (a warning says so; the pages are published)."""
    if not config.search or config.layout != "standalone":
        return
    from .collector import collector_paused
    with collector_paused():  # (the cycle collector would walk the whole build: 30 ms)
        _add_search_index(site, config, cache_dir, tree, feed)


def _add_search_index(site: Site, config: SiteConfig, cache_dir: Path | None, tree: str,
                      feed: Feed | None) -> None:
    from .fingerprint import sha256

    started = time.perf_counter()
    package = package_name(config)
    pages = []
    for url, page in site.pages.items():
        html_sha = site.html_shas.get(url)
        if html_sha is None and page.html is not None:
            html_sha = sha256(page.html)
        if html_sha is not None:
            pages.append(IndexedPage(url, page.title, page_module(package, page.path), html_sha,
                                     page.read_html))
    try:
        if not available():
            raise RuntimeError("Pagefind is not installed (pip install 'pagefind[bin]')")
        index = build_index(pages, cache_folder(cache_dir, tree), jobs_of(config), feed)
    except (OSError, RuntimeError, ValueError) as e:
        site.diagnostics.append(Diagnostic(SHARDS, 1, f"no search index: {e}", "warning"))
        return
    site.files.update(index.files)
    site.extra[SHARDS] = index.manifest
    site.stats.update(search_shards=index.shards, search_indexed=len(index.indexed),
                      search_pages_indexed=index.pages_indexed, search_fed=index.fed,
                      search_seconds=time.perf_counter() - started)


# ## The notes as Pagefind reads them

# The start of a section of `site_templates/page.html`: its id, the notes column and its `#` link.
# The notes run from there to the code column (`<div class="code">`); they are found with
# `str.find`, not with one regular expression over the page: a section without notes made
# such an expression's lazy `.*?` run on through the next code column, and the code of most of
# PyTorch's pages was sent to Pagefind (86 MB of HTML for 13 MB of notes).
_SECTION_HEAD = re.compile(r'<div class="section" id="(section-\d+)">\s*<div class="docs[^"]*">\s*'
                           r'(?:<div class="section-link">[^\n]*?</div>)?')
_SECTION_START = '<div class="section" id="'
_CODE_START = '<div class="code">'
_KATEX = re.compile(r'<span class="katex">')
_MATH = re.compile(r"<math\b.*?</math>", re.S)
_ANNOTATION = re.compile(r"<annotation\b.*?</annotation>", re.S)
_SPAN = re.compile(r"<span\b|</span>")
_TAG = re.compile(r"<[^>]*>")
_HEADING = re.compile(r"<h([1-6])\b([^>]*)>")
# Text KaTeX leaves between glyphs: zero-width spaces and joiners.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)


def sections_of(html: str) -> Iterator[tuple[str, str, int]]:
    """Each section of a page of `page.html`: its id, its notes (HTML) and where its code column
    starts in `html`."""
    pos = 0
    while (start := html.find(_SECTION_START, pos)) >= 0:
        head = _SECTION_HEAD.match(html, start)
        if head is None:
            pos = start + len(_SECTION_START)
            continue
        code = html.find(_CODE_START, head.end())
        if code < 0:
            return
        notes = html[head.end():code].rstrip()
        if notes.endswith("</div>"):  # the end of the notes column
            notes = notes[:-len("</div>")]
        yield head.group(1), notes.strip(), code
        pos = code


def formula_text(katex_html: str) -> str:
    """The text of one formula as a reader reads it: its MathML tokens, without the TeX."""
    math = _MATH.search(katex_html)
    if math is None:
        return ""
    tokens = _TAG.sub(" ", _ANNOTATION.sub("", math.group(0)))
    return " ".join(unescape(tokens).translate(_INVISIBLE).split())


def _plain_math(html: str) -> str:
    """Each KaTeX formula of `html` replaced by its text (found by counting `<span>`s: the
    glyphs of a formula are nested spans, which no regular expression can match)."""
    out: list[str] = []
    pos = 0
    for start in _KATEX.finditer(html):
        if start.start() < pos:  # inside a formula already replaced
            continue
        depth, end = 0, len(html)
        for tag in _SPAN.finditer(html, start.start()):
            depth += 1 if tag.group(0) == "<span" else -1
            if depth == 0:
                end = tag.end()
                break
        out.append(html[pos:start.start()])
        out.append(f" {escape(formula_text(html[start.start():end]), quote=False)} ")
        pos = end
    out.append(html[pos:])
    return "".join(out)


_LANG = re.compile(r'<html\b[^>]*?\slang="([^"]+)"')


def language_of(html: str) -> str:
    """The language of a page (its `<html lang>`; `en` if it says none)."""
    found = _LANG.search(html, 0, 2000)
    return found.group(1) if found else "en"


def notes_of(html: str, title: str, module: str = "", identifiers: Iterable[Identifier] = (),
             sections: list[tuple[str, str, int]] | None = None) -> str | None:
    """The page Pagefind indexes for a page of the site: its title, each section's notes in
    an element with the section's id, formulas as text, then the page's identifiers. `None`
    when the page does not have the sections of `page.html` (a template of the site's own):
    then Pagefind reads the whole page, leaving out what `EXCLUDE` names. (`sections`: those
    of `html`, if known.)"""
    headings = iter(range(1 << 30))
    body = []
    for section_id, notes, _ in sections if sections is not None else sections_of(html):
        if not notes:
            continue
        # Headings get an id, so that Pagefind keeps them as anchors: the script shows the
        # heading a match is under.
        notes = _HEADING.sub(lambda m: f'<h{m.group(1)} id="h-{next(headings)}">'
                             if "id=" not in m.group(2) else m.group(0), notes)
        body.append(f'<div id="{section_id}">\n{_plain_math(notes)}\n</div>')
    if not body and _SECTION_START not in html:
        return None
    language = escape(language_of(html))
    return (f'<!DOCTYPE html><html lang="{language}"><head><title>{escape(title)}</title></head>'
            f'<body>{_labels(html, title, module)}' + "\n".join(body)
            + _identifier_block(identifiers) + "</body></html>")


def _labels(html: str, title: str, module: str = "") -> str:
    """What a page's record says besides its text: its title, its module (what its
    identifiers are named after), and its language as a filter.

    A shard without pages in the reader's language answers from another language's index
    (Pagefind falls back to the largest): the script asks for results of the page's own
    language only, with this filter."""
    named = (f'<span hidden data-pagefind-meta="module:{escape(module)}"></span>'
             if module else "")
    return (f'<div data-pagefind-meta="title" hidden data-pagefind-ignore>{escape(title)}</div>'
            f'{named}<span hidden data-pagefind-filter="lang:{escape(language_of(html))}"></span>')


#: What Pagefind leaves out of a whole page (a page without `page.html`'s sections).
EXCLUDE = [".code", ".section-link", ".katex-html", "annotation", "header", "footer",
           "script", "style", ".page-index", ".site-search"]


# ## Identifiers
#
# Each identifier is a few words at the end of its page's record, in an element whose id
# says what it is and where it is defined: `class:section-7:AMSGrad`. Pagefind keeps the
# position of every element with an id, so the script knows which identifier a match is in,
# and shows it as a result of its own that leads to the section (`class AMSGrad`). Records of
# their own (one per identifier) cost a fragment file each: 28,000 of the 28,341 files of
# PyTorch's index, and half the time of indexing it.

#: How much a word of an identifier weighs against a word of the notes (Pagefind's `<h1>` is 7):
#: the page that defines `AMSGrad` comes before the pages that mention it.
IDENTIFIER_WEIGHT = 7

# The start of a `class` or `def` line of the code column (the name is found first, then its line).
_DEFINITION_LINE = re.compile(
    r'<span class="lineno">\d+</span>([ \t]*)(?:<span class="k">async</span><span class="w"> '
    r'</span>)?<span class="k">(class|def)</span><span class="w"> </span>$')
_NAMES = ('<span class="nc">', '<span class="nf">')
_LINENO = '<span class="lineno">'


@dataclass(frozen=True)
class Identifier:
    """A class, function or method defined on a page, and the section of its definition."""
    name: str  # `AMSGrad`, `Adam.step`
    kind: str  # class, function, method
    section: str  # `section-7`

    @property
    def anchor(self) -> str:
        """The id of its element in the page's record (what the script reads back)."""
        return f"{self.kind}:{self.section}:{self.name}"


def _definitions(html: str) -> list[tuple[int, int, str, str]]:
    """`(where, indentation, keyword, name)` of each `class` and `def` of the code column, in
    order: the names Pygments marks (`nc`, `nf`) are found with `str.find`, and each one's
    line is checked to start with the keyword (a name marked `nf` elsewhere is no definition)."""
    found = []
    for marker in _NAMES:
        pos = 0
        while (at := html.find(marker, pos)) >= 0:
            pos = at + len(marker)
            line = html.rfind(_LINENO, 0, at)
            m = _DEFINITION_LINE.match(html, line, at) if line >= 0 else None
            if m is not None:
                end = html.find("<", pos)
                found.append((at, len(m.group(1).expandtabs()), m.group(2), html[pos:end]))
    found.sort()
    return found


def identifiers_of(html: str, sections: list[tuple[str, str, int]] | None = None) -> list[Identifier]:
    """The public classes, functions and methods whose definitions are in the code column of a
    page: top-level ones, and the methods of top-level public classes (a name that starts with
    `_` is private, and so is what is nested in a function)."""
    starts = [(code, section) for section, _, code in
              (sections if sections is not None else sections_of(html))]
    out: list[Identifier] = []
    outer: tuple[int, str] | None = None  # the class whose body we are in: (indent, name)
    section = 0
    for at, indent, keyword, name in _definitions(html):
        while section + 1 < len(starts) and starts[section + 1][0] < at:
            section += 1
        if not starts:
            break
        if outer is not None and indent <= outer[0]:
            outer = None
        if indent == 0:
            kind = "class" if keyword == "class" else "function"
            outer = (0, name) if keyword == "class" else None
            dotted = name
        elif outer is not None and keyword == "def" and indent > outer[0]:
            kind, dotted = "method", f"{outer[1]}.{name}"
        else:
            continue  # nested in a function, or a class in a class
        if not dotted.startswith("_") and "._" not in dotted:
            out.append(Identifier(dotted, kind, starts[section][1]))
    return out


def _identifier_block(identifiers: Iterable[Identifier]) -> str:
    items = "".join(f'<p id="{escape(i.anchor)}">{escape(i.name)}</p>' for i in identifiers)
    return f'\n<div data-pagefind-weight="{IDENTIFIER_WEIGHT}">{items}</div>' if items else ""


def package_name(config: SiteConfig) -> str:
    """The package the tree's identifiers are named after, as Python imports them
    (`labml_nn.optimizers.adam.Adam`): its folder's name, if it is a package."""
    source = Path(config.source_dir).resolve()
    return source.name if (source / "__init__.py").is_file() else ""


def page_module(package: str, path: str) -> str:
    return module_name(f"{package}/{path}" if package else path)


def cache_folder(cache_dir: Path | None, tree: str) -> Path | None:
    """The search cache of a tree (`tree`: the name of its build record)."""
    return Path(cache_dir) / "search" / tree if cache_dir else None


def jobs_of(config: SiteConfig) -> int:
    return config.jobs if config.jobs and config.jobs > 0 else os.cpu_count() or 1


def module_name(path: str) -> str:
    """`labml_nn/optimizers/amsgrad.py` → `labml_nn.optimizers.amsgrad` (a package's `__init__`
    is the package); `""` for a file that is no module."""
    if not path.endswith(".py"):
        return ""
    parts = path[:-3].split("/")
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


# ## Shards

def shard_count(pages: int) -> int:
    """$K$: the power of two that keeps shards at about `PAGES_PER_SHARD` pages (a power of two,
    so that pages move between shards only when the tree doubles or halves), at most
    `MAX_SHARDS`."""
    k = 1
    while k * PAGES_PER_SHARD < pages and k < MAX_SHARDS:
        k *= 2
    return k


def shard_of(url: str, k: int) -> int:
    return int.from_bytes(hashlib.sha256(url.encode("utf-8")).digest()[:8], "big") % k


def shard_folder(n: int) -> str:
    """Where shard `n` goes in the site: shard 0 is the index beside Pagefind's engine."""
    return FOLDER if n == 0 else f"{FOLDER}/{n}"


@dataclass
class IndexedPage:
    """What the index needs of a page: its address, title, module (what its identifiers are
    named after), HTML digest, and its HTML, read only if its shard is indexed again."""
    url: str
    title: str
    module: str
    html_sha: str
    # The HTML (a page of the cache reads its file when asked).
    load: Callable[[], str | None] = field(repr=False, default=lambda: None)

    def read(self) -> str | None:
        return self.load()

    @property
    def key(self) -> str:
        return f"{self.url}\t{self.title}\t{self.module}\t{self.html_sha}"


def shard_key(pages: Iterable[IndexedPage]) -> str:
    lines = [f"{FORMAT} {_version()}"] + sorted(p.key for p in pages)
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()[:32]


@dataclass
class SearchIndex:
    """The files of a site's index (site path → bytes, or a `KeptFile` of the cache), and what
    building it took."""
    files: dict[str, bytes | KeptFile]
    manifest: str
    shards: int
    indexed: list[int]  # the shards indexed by this build (the others were kept)
    pages: int
    pages_indexed: int = 0  # the pages of those shards
    fed: int = 0  # of those, the shards indexed as the pages were finished (`Feed`)


def build_index(pages: list[IndexedPage], folder: Path | None, jobs: int = 1,
                feed: Feed | None = None) -> SearchIndex:
    """The index of `pages`: each shard indexed by Pagefind, unless `folder` (the tree's search
    cache; `None`: no cache) kept it: then its files are `KeptFile`s, read only if published
    (see `Cache`), or `feed` indexed it from the very pages it holds. Up to `jobs` Pagefind
    processes index side by side, one for each `SHARDS_PER_SERVICE` shards to index."""
    k = shard_count(len(pages))
    members: list[list[IndexedPage]] = [[] for _ in range(k)]
    for page in sorted(pages, key=lambda p: p.url):
        members[shard_of(page.url, k)].append(page)
    keys = [shard_key(m) for m in members]
    cache = Cache(folder, members, keys)
    todo = [n for n in range(k) if keys[n] not in cache.contents]
    fed = feed.results(k) if feed is not None else {}
    for n in todo:
        made = fed.get(n)
        if made is not None and made[0] == [page.key for page in members[n]]:
            cache.add_shard(n, made[1], made[2])
    rest = [n for n in todo if keys[n] not in cache.fresh]
    log.debug("search: %d of %d shards indexed as the pages were finished", len(todo) - len(rest),
              len(todo))
    if rest:
        cache.index(rest, max(1, min(jobs, len(rest) // SHARDS_PER_SERVICE)))
    # A shard with no page has no index for the browser to open: it is left out, and the first
    # shard that has pages is the one beside the engine.
    full = [n for n in range(k) if members[n]]
    files: dict[str, bytes | KeptFile] = {}
    languages = {lang: wasm for n in full for lang, wasm in cache.languages(keys[n]).items()}
    engine = cache.engine(languages)
    for name in sorted(engine):
        files[f"{FOLDER}/{name}"] = engine[name]
    for n in full:
        where = shard_folder(0 if n == full[0] else n)
        files.update((f"{where}/{name}", content) for name, content in cache.files(keys[n]).items())
    cache.save()
    manifest = json.dumps({"shards": [shard_folder(n)[len(FOLDER) + 1:] + "/" for n in full[1:]]},
                          indent=0) + "\n"
    return SearchIndex(files, manifest, k, todo, len(pages), sum(len(members[n]) for n in todo),
                       len(todo) - len(rest))


# ## Indexing while the pages are finished
#
# A cold build of PyTorch's tree renders for 40 s, then indexes for 7 s, while the cores that
# rendered wait. So when a build renders most of its pages, Pagefind indexes them as they are
# finished: the worker that finishes a page makes its record (`Recorder`: it has the HTML in
# memory), and the build hands it to the `Feed`, which sends it to a Pagefind service at
# once, if the pages of its shard before it (by address) are sent. A shard must be the same
# bytes however it was made, and Pagefind's index depends on the order of its pages (measured:
# 40 pages, reversed or shuffled, give other files); so the build finishes its pages in the
# order of the shards (the largest first, then shard after shard: `order`), and shards are
# indexed, and their services freed of them, one after the other while the rest are
# finished. At the end, `build_index` takes a shard from the feed only if the pages it was
# made of are, key for key, the shard's pages: anything else (a page that failed, a home page
# from the cache, a count of shards that changed) is indexed as before.


class Recorder:
    """What a worker that finishes a page sends to search: the page's key and record."""

    def __init__(self, config: SiteConfig):
        self.package = package_name(config)

    def __call__(self, url: str, path: str, title: str, html: str, html_sha: str
                 ) -> tuple[str, list[dict]]:
        page = IndexedPage(url, title, page_module(self.package, path), html_sha, lambda: html)
        return page.key, page_requests(page)

    def key(self, url: str, path: str, title: str, html_sha: str) -> str:
        """The key of a page of the page cache (`IndexedPage.key`)."""
        return IndexedPage(url, title, page_module(self.package, path), html_sha).key


class Feed:
    """The shards of the pages `fed` (addresses), indexed as those pages are finished; `urls`:
    every page of the site. Use `results` once every page is finished, and `close` at the end
    (it stops the services)."""

    def __init__(self, urls: Iterable[str], fed: Iterable[str], jobs: int,
                 cached: Mapping[str, str] | None = None, folder: Path | None = None):
        """`cached`: the key of each page of the site that is not rendered (from the page
        cache); `folder`: the tree's search cache, whose notes give those pages' records."""
        urls = sorted(set(urls))
        fed, cached = set(fed), cached or {}
        self.k = k = shard_count(len(urls))
        self.members: list[list[str]] = [[] for _ in range(k)]
        for url in urls:
            self.members[shard_of(url, k)].append(url)
        self._waiting: dict[str, tuple[str, list[dict]] | None] = {}  # finished, not yet sent
        # The shards indexed here: those of the pages rendered, if each of their other pages
        # has its record in the search cache (an edit: they are sent while the page renders).
        self.open = []
        for n in range(k):
            others = [url for url in self.members[n] if url not in fed]
            if len(others) == len(self.members[n]):
                continue
            if others:
                kept = _read_notes(folder, k, n) if folder is not None else {}
                if not all(cached.get(url) in kept for url in others):
                    continue
                self._waiting.update((url, (cached[url], kept[cached[url]])) for url in others)
            self.open.append(n)
        self.shard = {url: n for n in self.open for url in self.members[n]}
        count = max(1, min(jobs, len(self.open) // SHARDS_PER_SERVICE))
        self._services = [_Service(_INDEX) for _ in range(count)]
        self._service = {n: self._services[i % count] for i, n in enumerate(self.open)}
        self._next = [0] * k  # the position in its shard of the next page to send
        self._keys: list[list[str]] = [[] for _ in range(k)]
        self._notes: list[dict[str, list[dict]]] = [{} for _ in range(k)]
        self._ids: dict[int, int] = {}  # shard → its index in its service
        for n in self.open:  # the pages of the cache that come first
            self._advance(n)

    def order(self, url: str, size: int | None = None) -> tuple:
        """Where a page goes in the order of finishing: the pages of the open shards, shard by
        shard, then the rest. With `size` (of its source: for workers), the pages of
        `HEAD_BYTES` and more go first, the biggest first, so that no worker is left with a
        long page at the end."""
        n = self.shard.get(url)
        if size is not None and size >= HEAD_BYTES:
            return (0, -size, url)
        return (1, n, url) if n is not None else (2, -(size or 0), url)

    def add(self, url: str, made: tuple[str, list[dict]] | None) -> None:
        """A page finished: its key and record, `None` if it failed (it is in no shard)."""
        n = self.shard.get(url)
        if n is None:
            return
        self._waiting[url] = made
        self._advance(n)

    def _advance(self, n: int) -> None:
        """Send the pages of shard `n` that are ready, in order; its end, once all are sent."""
        members = self.members[n]
        while self._next[n] < len(members) and members[self._next[n]] in self._waiting:
            item = self._waiting.pop(members[self._next[n]])
            self._next[n] += 1
            if item is not None:
                self._send(n, *item)
        if self._next[n] == len(members) and n in self._ids:
            self._service[n].close(self._ids[n], n)

    def _send(self, n: int, key: str, records: list[dict]) -> None:
        if n not in self._ids:
            self._ids[n] = self._service[n].open()
        self._service[n].add(self._ids[n], records)
        self._keys[n].append(key)
        self._notes[n][key] = records

    def results(self, k: int) -> dict[int, tuple[list[str], dict[str, bytes], dict[str, list[dict]]]]:
        """Each shard indexed: the keys of its pages, in order, its files and its records (none
        if the site has not `k` shards, as the feed thought). The shards of a service that
        failed or refused a request are left out (indexed again after)."""
        made: dict[int, dict[str, bytes]] = {}
        for service in self._services:
            try:
                made.update(service.finish())
            except Exception as e:  # noqa: BLE001 (whatever failed, its shards are indexed again)
                if not isinstance(e, _Refused):
                    log.warning("search: indexing while rendering failed (%s)", e)
        if k != self.k:
            return {}
        return {n: (self._keys[n], files, self._notes[n]) for n, files in made.items()}

    def close(self) -> None:
        """Stop the services, once they have answered what they were sent."""
        for service in self._services:
            service.stop()


#: With workers, a page whose source is this big is finished before the others (the order of
#: the shards comes after): the longest pages start first, and no worker is left with one at
#: the end. On PyTorch, 152 of the 2,285 files, with half of its bytes.
HEAD_BYTES = 64 * 1024


def _take(wanted: re.Pattern, answer: dict) -> dict | None:
    """Of an answer of Pagefind, what is kept: the files of an index that `wanted` matches, as
    bytes, decoded as they come (an index's answer holds Pagefind's whole engine, 1 MB of
    base64), new indexes and errors."""
    kind = answer.get("type")
    if kind == "GetFiles":
        return {"type": kind, "files": {f["path"]: base64.b64decode(f["content"])
                                        for f in answer.get("files", []) if wanted.match(f["path"])}}
    return answer if kind in ("Error", "NewIndex") else None


class _Refused(RuntimeError):
    """Pagefind answered a request with an error."""


class _Service:
    """One Pagefind service, fed requests as they come (its `_ask` runs in a thread of its
    own): indexes are opened, given the records of their pages, and closed (their files asked
    for, then the index deleted); `finish` waits for the answers and gives each closed index's
    files that `wanted` matches. Indexes are numbered by the service, from 0, in the order
    they are opened."""

    def __init__(self, wanted: re.Pattern):
        self._wanted = wanted
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._sent = 0  # requests queued
        self._opened = 0  # indexes opened
        self._files_at: dict[int, int] = {}  # tag of a closed index → where its files answer
        self._answers: list[dict] | BaseException = []
        self._thread: threading.Thread | None = None

    def open(self) -> int:
        self._put({"type": "NewIndex", "config": {"exclude_selectors": EXCLUDE}})
        self._opened += 1
        return self._opened - 1

    def add(self, index: int, records: list[dict]) -> None:
        for record in records:
            self._put({**record, "index_id": index})

    def close(self, index: int, tag: int) -> None:
        """Ask for the files of `index` (given by `finish` under `tag`), then delete it."""
        self._files_at[tag] = self._sent
        self._put({"type": "GetFiles", "index_id": index})
        self._put({"type": "DeleteIndex", "index_id": index})

    def _put(self, request: dict) -> None:
        if self._thread is None:
            def run() -> None:
                try:
                    self._answers = _ask(iter(self._queue.get, None),
                                         functools.partial(_take, self._wanted))
                except BaseException as e:  # (raised by `finish`)
                    self._answers = e
            self._thread = threading.Thread(target=run, daemon=True)
            self._thread.start()
        self._queue.put(request)
        self._sent += 1

    def stop(self) -> None:
        """Send nothing more, and wait until every request sent is answered."""
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = None

    def finish(self) -> dict[int, dict[str, bytes]]:
        """The files of each closed index, by tag. Raises what stopped the service, or
        `_Refused` if Pagefind answered a request with an error."""
        self.stop()
        answers = self._answers
        if isinstance(answers, BaseException):
            raise answers
        for answer in answers:
            if answer.get("type") == "Error":
                raise _Refused(f"pagefind: {answer.get('message')}")
        ids = [a.get("index_id") for a in answers if a.get("type") == "NewIndex"]
        if ids != list(range(self._opened)) or any(
                at >= len(answers) or answers[at].get("type") != "GetFiles"
                for at in self._files_at.values()):
            raise RuntimeError(f"pagefind: unexpected indexes {ids}")
        return {tag: answers[at]["files"] for tag, at in self._files_at.items()}


# ## The cache: shards, trusted by their keys
#
# Each shard's files are kept in one file of the cache, a *bundle*, named by the shard's key;
# `contents.json` lists, for each bundle, its files' digests and the languages of its index.
# A rebuild trusts the list: a shard whose key it lists is not indexed again, and its files are
# handed to [publishing](publish.py) as `KeptFile`s, their digests known and their bytes read
# only if publishing must write them (a file of the site that is missing, or changed by
# someone). A no-op rebuild of PyTorch's 2,285 pages reads one small file here, not 64
# bundles. A bundle found damaged or missing when it is read is indexed again from its pages.

CONTENTS = "contents.json"


@dataclass(frozen=True)
class KeptFile:
    """A file of the index that the cache holds: its digest, and its bytes on demand."""
    cache: Cache = field(repr=False, compare=False)
    bundle: str
    name: str
    sha256: str

    def read(self) -> bytes:
        return self.cache.read(self.bundle, self.name, self.sha256)


class Cache:
    """The search cache of a tree: the bundles, their list, and the notes Pagefind was sent
    for each page (`notes/`), kept by shard."""

    def __init__(self, folder: Path | None, members: list[list[IndexedPage]], keys: list[str]):
        self.folder, self.members, self.keys = folder, members, keys
        self.contents: dict[str, dict] = {}  # bundle → {"files": {name: sha256}, "languages"}
        self.fresh: dict[str, dict[str, bytes]] = {}  # bundles read or made by this build
        self.changed = False
        self.lock = threading.Lock()
        body = _read_checked(folder / CONTENTS) if folder is not None else None
        try:
            listed = json.loads(body) if body is not None else {}
            if listed.get("format") == f"{FORMAT} {_version()}":
                self.contents = listed["bundles"]
        except (ValueError, KeyError, TypeError, AttributeError):
            self.contents = {}

    def languages(self, key: str) -> dict[str, str]:
        return self.contents.get(key, {}).get("languages", {})

    def files(self, key: str) -> dict[str, bytes | KeptFile]:
        """The files of a bundle: bytes if this build has them, else `KeptFile`s."""
        if key in self.fresh:
            return dict(self.fresh[key])
        return {name: KeptFile(self, key, name, sha)
                for name, sha in sorted(self.contents[key]["files"].items())}

    def index(self, todo: list[int], services: int = 1) -> None:
        """Index shards `todo` and keep them: through `services` Pagefind processes side by
        side (Pagefind indexes on one core), each given every `services`-th shard; the pages'
        records are made here while the services index the ones before."""
        notes = {n: self._notes(n) for n in todo}

        def requests(n: int) -> Iterator[list[dict]]:
            for page in self.members[n]:
                kept = notes[n].get(page.key)
                if not kept:
                    kept = notes[n][page.key] = page_requests(page)
                yield kept

        running = [_Service(_INDEX) for _ in range(max(1, min(services, len(todo))))]
        try:
            for i, n in enumerate(todo):
                service = running[i % len(running)]
                index = service.open()
                for records in requests(n):
                    service.add(index, records)
                service.close(index, n)
            made = {n: files for service in running for n, files in service.finish().items()}
        finally:
            for service in running:
                service.stop()
        for n in todo:
            self.add_shard(n, made[n], notes[n])

    def add_shard(self, n: int, files: dict[str, bytes], notes: dict[str, list[dict]]) -> None:
        """Keep shard `n` as Pagefind made it from `notes` (what it was sent, by page key)."""
        self._add(self.keys[n], {name: _canonical(name, files[name]) for name in sorted(files)})
        self._keep_notes(n, notes)

    def engine(self, languages: dict[str, str], again: bool = False) -> dict[str, bytes | KeptFile]:
        """Pagefind's engine (its API, its worker, a WebAssembly search for each language of
        the site), from the cache or from an index of one page in each language."""
        key = f"engine-{_version()}"
        wanted = _engine_files(languages)
        if again or key not in self.contents or not wanted <= self.contents[key]["files"].keys():
            pages = iter([[{"type": "AddFile", "url": f"/{lang}.html", "file_path": None,
                            "file_contents": f'<html lang="{escape(lang)}"><body><p>{lang}</p>'
                                             "</body></html>"}
                           for lang in sorted(languages) or ["en"]]])
            made = _index_many([pages], _ENGINE)[0]
            self._add(key, {name: made[name] for name in sorted(made)})
        return {name: file for name, file in self.files(key).items() if name in wanted}

    def _add(self, key: str, files: dict[str, bytes]) -> None:
        self.fresh[key] = files
        self.contents[key] = {"files": {name: hashlib.sha256(data).hexdigest()
                                        for name, data in files.items()},
                              "languages": _languages(files)}
        self.changed = True
        if self.folder is not None:
            _write_bundle(self.folder / key, files)

    def save(self) -> None:
        """Keep the list of bundles, and delete the bundles and notes no page uses any more
        (they are ours: the folder is the tree's search cache)."""
        if self.folder is None:
            return
        used = set(self.keys) | {f"engine-{_version()}"}
        stale = set(self.contents) - used
        if not self.changed and not stale:
            return
        self.contents = {key: self.contents[key] for key in sorted(self.contents) if key in used}
        _write_checked(self.folder / CONTENTS, json.dumps(
            {"format": f"{FORMAT} {_version()}", "bundles": self.contents},
            separators=(",", ":")).encode("utf-8"))
        notes = {f"{len(self.keys)}-{n}.json" for n in range(len(self.keys))}
        for path in self.folder.iterdir():
            if path.is_file() and path.name not in used and path.name != CONTENTS:
                path.unlink(missing_ok=True)
        for path in (self.folder / "notes").iterdir() if (self.folder / "notes").is_dir() else []:
            if path.name not in notes:
                path.unlink(missing_ok=True)

    def read(self, key: str, name: str, sha: str) -> bytes:
        """A file of a kept bundle; a bundle that is damaged, missing or not what the list says
        is indexed again (then it is what the list says: the same pages give the same bytes)."""
        with self.lock:
            files = self.fresh.get(key)
            if files is None:
                files = _read_bundle(self.folder / key) if self.folder is not None else None
                if files is None or hashlib.sha256(files.get(name, b"")).hexdigest() != sha:
                    try:
                        files = self._again(key)
                    except (RuntimeError, ValueError) as e:  # (said by publishing, which stops)
                        raise OSError(f"search: cannot index {key} again: {e}") from e
                self.fresh[key] = files
        data = files.get(name)
        if data is None or hashlib.sha256(data).hexdigest() != sha:
            raise OSError(f"search: {name} of the index cannot be made again")
        return data

    def _again(self, key: str) -> dict[str, bytes]:
        log.warning("search: the kept index %s is damaged or missing; indexing it again", key)
        if key.startswith("engine-"):
            self.engine({lang: wasm for k in self.keys for lang, wasm in self.languages(k).items()},
                        again=True)
        else:
            self.index([self.keys.index(key)])
        self.save()
        return self.fresh[key]

    def _notes(self, n: int) -> dict[str, list[dict]]:
        """What Pagefind was sent for each page of shard `n` when it was last indexed, by the
        page's key: a shard indexed again reads its unchanged pages' notes from there rather
        than from their HTML."""
        return _read_notes(self.folder, len(self.keys), n) if self.folder is not None else {}

    def _keep_notes(self, n: int, kept: dict[str, list[dict]]) -> None:
        if self.folder is None:
            return
        keys = {page.key for page in self.members[n]}
        body = json.dumps({k: v for k, v in sorted(kept.items()) if k in keys}, ensure_ascii=False)
        _write_checked(self.folder / "notes" / f"{len(self.keys)}-{n}.json",
                       body.encode("utf-8", "surrogatepass"))


def _read_notes(folder: Path, k: int, n: int) -> dict[str, list[dict]]:
    """The records Pagefind was last sent for shard `n` of `k`, by page key."""
    body = _read_checked(folder / "notes" / f"{k}-{n}.json")
    try:
        kept = json.loads(body) if body is not None else {}
        return kept if isinstance(kept, dict) else {}
    except ValueError:
        return {}


# ### The engine: Pagefind's API, its worker, and a WebAssembly search for each language
#
# Pagefind keeps an index for each language of the pages (the `lang` of their `<html>`), and
# a search engine for each, whose stemming is that language's (`unknown` for a language it has
# no stemmer for). The site publishes the engines of the languages its shards hold.

def _languages(shard: dict[str, bytes]) -> dict[str, str]:
    """The languages of a shard's index, and the engine each uses."""
    try:
        entry = json.loads(shard["pagefind-entry.json"])
        return {lang: info.get("wasm") or "unknown" for lang, info in entry["languages"].items()}
    except (KeyError, ValueError, TypeError, AttributeError):
        return {}


def _engine_files(languages: dict[str, str]) -> set[str]:
    return {"pagefind.js", "pagefind-worker.js"} | {f"wasm.{w}.pagefind" for w in languages.values()}


def _canonical(name: str, content: bytes) -> bytes:
    """The file as the same input always gives it: Pagefind writes the languages of
    `pagefind-entry.json` in the order of a hash map, which changes from one run to the next
    when there are several; here they are in the order of their names."""
    if name != "pagefind-entry.json":
        return content
    entry = json.loads(content)
    entry["languages"] = dict(sorted(entry.get("languages", {}).items()))
    return json.dumps(entry, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


# ### Bundles: the files of a shard in one file of the cache
#
# A bundle is `sha256 of the rest` on the first line, then the names and sizes of its files
# (JSON) on the second, then their bytes: one read and one digest check per shard, and a
# damaged bundle is found and indexed again rather than published.

def _write_bundle(path: Path, files: dict[str, bytes]) -> None:
    names = sorted(files)
    body = json.dumps([[name, len(files[name])] for name in names]).encode("utf-8") + b"\n" \
        + b"".join(files[name] for name in names)
    _write_checked(path, body)


def _read_bundle(path: Path) -> dict[str, bytes] | None:
    body = _read_checked(path)
    if body is None:
        return None
    try:
        end = body.index(b"\n")
        files, pos = {}, end + 1
        for name, size in json.loads(body[:end]):
            files[name] = body[pos:pos + size]
            pos += size
        return files if pos == len(body) else None
    except (ValueError, TypeError):
        return None


def _write_checked(path: Path, body: bytes) -> None:
    from .atomic import write_atomic
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, hashlib.sha256(body).hexdigest().encode("ascii") + b"\n" + body)
    except OSError as e:  # costs indexing it again next time
        log.warning("search: cannot keep %s (%s)", path, e)


def _read_checked(path: Path) -> bytes | None:
    """The body of a file of `_write_checked`; `None` if missing or damaged."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    digest, _, body = data.partition(b"\n")
    if digest != hashlib.sha256(body).hexdigest().encode("ascii"):
        if data:
            log.warning("search: %s is damaged; indexing its pages again", path)
        return None
    return body


# ## Talking to Pagefind

def page_requests(page: IndexedPage) -> list[dict]:
    """What Pagefind is sent for one page: its notes and its identifiers, as one record."""
    html = page.read()
    if html is None:
        return []
    sections = list(sections_of(html))
    notes = notes_of(html, page.title, page.module, identifiers_of(html, sections), sections)
    return [{"type": "AddFile", "url": "/" + page.url, "file_path": None,
             "file_contents": notes if notes is not None else _titled(html, page.title)}]


def _index_many(shards: list[Iterator[list[dict]]], wanted: re.Pattern) -> list[dict[str, bytes]]:
    """Index each shard (the requests of each of its pages) as an index of its own, all
    through one Pagefind service, and return the files of each that `wanted` matches (each
    index comes with a copy of Pagefind's engine, which is not decoded but once).

    Each index is deleted once its files are read, and its answer is cut down to the wanted
    files as it comes: a service that kept all 64 indexes of PyTorch's tree held 213 MB, one
    that deletes them 64 MB; and their answers, engines and all, 70 MB of base64 here."""
    service = _Service(wanted)
    try:
        for n, pages in enumerate(shards):
            index = service.open()
            for records in pages:
                service.add(index, records)
            service.close(index, n)
        made = service.finish()
    finally:
        service.stop()
    return [made[n] for n in range(len(shards))]


def _titled(html: str, title: str) -> str:
    return re.sub(r"(<body[^>]*>)", lambda m: m.group(1) + _labels(html, title), html, count=1)


def _ask(requests: Iterator[dict], take: Callable[[dict], dict | None] = lambda a: a
         ) -> list[dict]:
    """Send every request to one Pagefind service and read the answers, in the order of the
    requests; each answer as `take` makes it when it comes (`None`: not kept, as if the
    answer were `{}`).

    This speaks the service's protocol (`pagefind --service`: base64 JSON messages, each
    followed by a comma) itself rather than through `pagefind.index.PagefindIndex`, whose
    reader sleeps 0.1 s before each answer (22 s for 221 pages, against a fraction of a second
    when the requests are all sent at once). A thread makes and writes the requests while
    this one reads the answers: neither pipe fills, and Pagefind indexes a page while the
    next is made."""
    from .processes import GRACE_SECONDS, stop_process

    binary = _binary()
    if binary is None:
        raise RuntimeError("pagefind: the binary is not installed (pip install 'pagefind[bin]')")
    process = subprocess.Popen([binary[0], "--service"], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                               cwd=tempfile.gettempdir())
    sent: list[int] = []  # how many requests, once all are sent
    written = [0, time.monotonic()]  # requests written so far, and when the last one was
    failure: list[BaseException] = []

    def send() -> None:
        assert process.stdin is not None
        n = 0
        try:
            for request in requests:
                message = json.dumps({"message_id": n, "payload": request}).encode("utf-8")
                process.stdin.write(base64.b64encode(message) + b",")
                process.stdin.flush()  # (requests may come one by one: see `Feed`)
                n += 1
                written[:] = [n, time.monotonic()]
        except BrokenPipeError:
            pass
        except BaseException as e:  # making a request failed: said by the reader
            failure.append(e)
            process.kill()
        sent.append(n)

    writer = threading.Thread(target=send, daemon=True)
    writer.start()
    answers: dict[int, dict] = {}
    assert process.stdout is not None
    pending: list[bytes] = []  # the start of an answer (a large one comes in many reads)
    heard = time.monotonic()
    try:
        while not sent or len(answers) < sent[0]:
            # Until every request is sent, how many answers to wait for is not known: the
            # count is looked at again every 50 ms. A service that owes answers and says
            # nothing for `SILENCE_SECONDS` is stopped.
            if not select.select([process.stdout], [], [], 0.05 if not sent else 1.0)[0]:
                if written[0] > len(answers) \
                        and time.monotonic() - max(heard, written[1]) > SILENCE_SECONDS:
                    raise RuntimeError(f"pagefind: no answer in {SILENCE_SECONDS:.0f} s")
                continue
            heard = time.monotonic()
            chunk = os.read(process.stdout.fileno(), 1 << 20)
            if not chunk:
                writer.join()
                if failure:
                    raise failure[0]
                if not sent or len(answers) < sent[0]:
                    raise RuntimeError(f"pagefind stopped after {len(answers)} answers")
                break
            if b"," not in chunk:
                pending.append(chunk)
                continue
            *whole, rest = (b"".join(pending) + chunk).split(b",")
            pending = [rest]
            for message in whole:
                answer = json.loads(base64.b64decode(message))
                if answer.get("message_id") is None:  # a request it could not read: no answer
                    raise RuntimeError(f"pagefind: {answer['payload'].get('message')}")
                answers[answer["message_id"]] = take(answer["payload"]) or {}
    finally:
        if not sent:
            process.kill()
        writer.join(timeout=GRACE_SECONDS)
        stop_process(process)
    return [answers.get(n, {"type": "Error", "message": "no answer"}) for n in range(sent[0])]
