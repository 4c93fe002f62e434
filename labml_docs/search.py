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

**Identifiers** (classes, functions, methods) are records of their own, whose address is the
section of their definition: searching `AMSGrad` offers `class AMSGrad`. They are read from
the code column of the page itself, where Pygments marks the name of each `class` and `def`
(`nc`, `nf`): the definitions the [cross-reference index](xref/__init__.py) knows are those
of the tree's files, and a page's own code names them at their section. Reading them there
costs nothing more than the notes; asking the cross-reference index for every definition
costs a whole index of the tree (0.9 s on labml-nn), at every rebuild.

## Shards, because Pagefind cannot update an index in place

Pagefind writes a whole index from all its input at once. One index for the site would make a
one-file edit index every page again (seconds on the 221 pages of labml-nn). So the site has
$K$ indexes, *shards*: a page goes to the shard given by a hash of its address, and
$K$ is the power of two that keeps shards at about `PAGES_PER_SHARD` pages (up to
`MAX_SHARDS`). A shard is kept in
the cache folder under a key made of its pages' addresses, titles and HTML digests; an edit
changes one page, so one shard is indexed again, whatever the size of the tree; and what
Pagefind is sent for each page is kept too (`notes/`), so that of that shard only the edited
page's HTML is read again. The browser
merges the shards (Pagefind's `mergeIndex`): shard 0 is the index at `pagefind/`, beside
Pagefind's engine, and shard $k$ is at `pagefind/k/`; `pagefind/shards.json` lists them.

A shard is the same bytes for the same pages whether the build was cold or incremental:
its pages are chosen by the hash of their addresses and $K$ by their number, not by what
changed. Ranking is per shard (Pagefind's word statistics are those of the shard), which
orders results a little differently than one index would.

The index is [published](publish.py) with the pages, in the same journal: readers never see
pages and an index of different builds, and the record lists its files as ours, so that a
build that turns search off deletes them, and nothing else.

## What it costs

Measured with `benchmarks/search_bench.py` on two shared, busy cores: on labml-nn's 221
pages the index is 929 KB in 1,344 files (16 shards; 472 KB of fragments, 159 KB of
Pagefind's engine). A cold build spends 1.7–2.5 s on it, a no-op 3–9 ms (it reads 16 shard
files), a one-file edit 0.17–0.18 s (one shard: Pagefind's fixed 32 ms, then about 6 ms a
page with its identifiers; 16 pages take 0.1 s, 8 pages 0.06 s). `PAGES_PER_SHARD` trades
that against what the browser fetches before its first search (two small files a shard).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import logging
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
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

#: Bumped when what is indexed changes, so that kept shards are not reused.
FORMAT = "5"

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

def add_search_index(site: Site, config: SiteConfig, cache_dir: Path | None, tree: str) -> None:
    """Add the index of `site`'s pages to its files (`site.files`), to be published with them;
    the shards are kept in `cache_dir/search/tree`. Nothing is added when search is off, for a
    theme's pages, or when Pagefind is missing or fails (a warning says so; the pages are
    published)."""
    if not config.search or config.layout != "standalone":
        return
    from .fingerprint import sha256

    started = time.perf_counter()
    # Identifiers are named as Python imports them: `labml_nn.optimizers.adam.Adam`.
    source = Path(config.source_dir).resolve()
    package = source.name if (source / "__init__.py").is_file() else ""
    pages = []
    for url, page in site.pages.items():
        html_sha = site.html_shas.get(url)
        if html_sha is None and page.html is not None:
            html_sha = sha256(page.html)
        if html_sha is not None:
            module = module_name(f"{package}/{page.path}" if package else page.path)
            pages.append(IndexedPage(url, page.title, module, html_sha,
                                     functools.partial(getattr, page, "html")))
    try:
        if not available():
            raise RuntimeError("Pagefind is not installed (pip install 'pagefind[bin]')")
        index = build_index(pages, Path(cache_dir) / "search" / tree if cache_dir else None)
    except (OSError, RuntimeError, ValueError) as e:
        site.diagnostics.append(Diagnostic(SHARDS, 1, f"no search index: {e}", "warning"))
        return
    site.files.update(index.files)
    site.extra[SHARDS] = index.manifest
    site.stats.update(search_shards=index.shards, search_indexed=len(index.indexed),
                      search_seconds=time.perf_counter() - started)


# ## The notes as Pagefind reads them

# A section of `site_templates/page.html`: its id, then its notes up to the code column.
_SECTION = re.compile(
    r'<div class="section" id="(section-\d+)">\s*<div class="docs[^"]*">\s*'
    r'(?:<div class="section-link">.*?</div>\s*)?(.*?)\n</div>\s*<div class="code">', re.S)
_KATEX = re.compile(r'<span class="katex">')
_MATH = re.compile(r"<math\b.*?</math>", re.S)
_ANNOTATION = re.compile(r"<annotation\b.*?</annotation>", re.S)
_SPAN = re.compile(r"<span\b|</span>")
_TAG = re.compile(r"<[^>]*>")
_HEADING = re.compile(r"<h([1-6])\b([^>]*)>")
# Text KaTeX leaves between glyphs: zero-width spaces and joiners.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)


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


def notes_of(html: str, title: str) -> str | None:
    """The page Pagefind indexes for a page of the site: its title, and each section's notes in
    an element with the section's id, formulas as text. `None` when the page does not have
    the sections of `page.html` (a template of the site's own): then Pagefind reads the
    whole page, leaving out what `EXCLUDE` names."""
    sections = _SECTION.findall(html)
    if not sections:
        return None
    headings = iter(range(1 << 30))
    body = []
    for section_id, notes in sections:
        # Headings get an id, so that Pagefind keeps them as anchors: the script shows the
        # heading a match is under.
        notes = _HEADING.sub(lambda m: f'<h{m.group(1)} id="h-{next(headings)}">'
                             if "id=" not in m.group(2) else m.group(0), notes)
        body.append(f'<div id="{section_id}">\n{_plain_math(notes)}\n</div>')
    language = escape(language_of(html))
    return (f'<!DOCTYPE html><html lang="{language}"><head><title>{escape(title)}</title></head>'
            f'<body>{_labels(html, title)}' + "\n".join(body) + "</body></html>")


def _labels(html: str, title: str) -> str:
    """What a page's record says besides its text: its title, and its language as a filter.

    A shard without pages in the reader's language answers from another language's index
    (Pagefind falls back to the largest): the script asks for results of the page's own
    language only, with this filter."""
    return (f'<div data-pagefind-meta="title" hidden data-pagefind-ignore>{escape(title)}</div>'
            f'<span hidden data-pagefind-filter="lang:{escape(language_of(html))}"></span>')


#: What Pagefind leaves out of a whole page (a page without `page.html`'s sections).
EXCLUDE = [".code", ".section-link", ".katex-html", "annotation", "header", "footer",
           "script", "style", ".page-index", ".site-search"]


# ## Identifiers

# A `class` or `def` line of the code column: the line's indentation, the keyword and the name.
_DEFINITION = re.compile(
    r'<span class="lineno">\d+</span>([ \t]*)(?:<span class="k">async</span><span class="w"> '
    r'</span>)?<span class="k">(class|def)</span><span class="w"> </span>'
    r'<span class="(?:nc|nf)">([A-Za-z]\w*)</span>')
_SECTION_START = re.compile(r'<div class="section" id="(section-\d+)">')


@dataclass(frozen=True)
class Identifier:
    """A class, function or method defined on a page, and the section of its definition."""
    name: str  # `AMSGrad`, `Adam.step`
    kind: str  # class, function, method
    url: str  # `optimizers/amsgrad.html#section-7`
    qualname: str  # `labml_nn.optimizers.amsgrad.AMSGrad`


def identifiers_of(html: str, url: str, module: str) -> list[Identifier]:
    """The public classes, functions and methods whose definitions are in the code column of a
    page: top-level ones, and the methods of top-level classes."""
    starts = [(m.start(), m.group(1)) for m in _SECTION_START.finditer(html)]
    out: list[Identifier] = []
    outer: tuple[int, str] | None = None  # the class whose body we are in: (indent, name)
    section = 0
    for m in _DEFINITION.finditer(html):
        while section + 1 < len(starts) and starts[section + 1][0] < m.start():
            section += 1
        if not starts:
            break
        indent, keyword, name = len(m.group(1).expandtabs()), m.group(2), m.group(3)
        if outer is not None and indent <= outer[0]:
            outer = None
        where = f"{url}#{starts[section][1]}"
        if indent == 0:
            kind = "class" if keyword == "class" else "function"
            outer = (0, name) if keyword == "class" else None
            dotted = name
        elif outer is not None and keyword == "def" and indent > outer[0]:
            kind, dotted = "method", f"{outer[1]}.{name}"
        else:
            continue  # nested in a function, or a class in a class
        if not name.startswith("_"):
            out.append(Identifier(dotted, kind, where, f"{module}.{dotted}" if module else dotted))
    return out


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


def shard_key(pages: Iterable[IndexedPage]) -> str:
    lines = [f"{FORMAT} {_version()}"] + sorted(f"{p.url}\t{p.title}\t{p.module}\t{p.html_sha}"
                                                for p in pages)
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()[:32]


@dataclass
class SearchIndex:
    """The files of a site's index (site path → bytes), and what building it took."""
    files: dict[str, bytes]
    manifest: str
    shards: int
    indexed: list[int]  # the shards indexed by this build (the others were kept)
    pages: int


def build_index(pages: list[IndexedPage], folder: Path | None) -> SearchIndex:
    """The index of `pages`: each shard from `folder` (a file per shard, named by its key) if
    kept there, else indexed by Pagefind and kept. Shards that no page uses any more are
    deleted (they are ours: `folder` is the tree's search cache). `None`: no cache."""
    k = shard_count(len(pages))
    members: list[list[IndexedPage]] = [[] for _ in range(k)]
    for page in sorted(pages, key=lambda p: p.url):
        members[shard_of(page.url, k)].append(page)
    keys = [shard_key(m) for m in members]
    kept: dict[str, dict[str, bytes] | None] = {
        key: _read_bundle(folder / key) if folder is not None else None for key in keys}
    todo = [n for n in range(k) if kept[keys[n]] is None]
    engine_key = f"engine-{_version()}"
    engine = (_read_bundle(folder / engine_key) if folder is not None else None) or {}
    engine_before = dict(engine)
    if todo:
        notes = folder / "notes" if folder is not None else None
        # (lazily: Pagefind indexes a page while the next one's notes are read)
        lazy: list[Iterator[list[dict]]] = [
            (_kept_requests(page, notes) for page in members[n]) for n in todo]
        for n, made in zip(todo, _index_many(lazy)):
            kept[keys[n]] = _keep(folder, keys[n], made, _INDEX)
            engine.update((name, made[name]) for name in made if _ENGINE.match(name))
        if folder is not None:
            _collect(folder, {engine_key, *keys}, {f"{shard_key([p])}.json" for p in pages})
    shards = [kept[key] or {} for key in keys]
    used = _engine_files(shards)
    if not used <= engine.keys():  # (the engine's cache was lost, or a language is new)
        engine.update(_engine_for(shards))
    if folder is not None and engine != engine_before:
        _write_bundle(folder / engine_key, engine)
    files = {f"{FOLDER}/{name}": engine[name] for name in sorted(used) if name in engine}
    # A shard with no page has no index for the browser to open: it is left out, and the first
    # shard that has pages is the one beside the engine.
    full = [n for n in range(k) if members[n]]
    for n in full:
        where = shard_folder(0 if n == full[0] else n)
        files.update((f"{where}/{name}", content) for name, content in shards[n].items())
    manifest = json.dumps({"shards": [shard_folder(n)[len(FOLDER) + 1:] + "/" for n in full[1:]]},
                          indent=0) + "\n"
    return SearchIndex(files, manifest, k, todo, len(pages))


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


def _engine_files(shards: list[dict[str, bytes]]) -> set[str]:
    wasm = {w for shard in shards for w in _languages(shard).values()}
    return {"pagefind.js", "pagefind-worker.js"} | {f"wasm.{w}.pagefind" for w in wasm}


def _engine_for(shards: list[dict[str, bytes]]) -> dict[str, bytes]:
    """Pagefind's engine for the languages of `shards`: from an index of one page in each."""
    languages = sorted({lang for shard in shards for lang in _languages(shard)}) or ["en"]
    pages = iter([[{"type": "AddFile", "url": f"/{lang}.html", "file_path": None,
                    "file_contents": f'<html lang="{escape(lang)}"><body><p>{lang}</p></body></html>'}
                   for lang in languages]])
    made = _index_many([pages])[0]
    return {name: content for name, content in made.items() if _ENGINE.match(name)}


def _collect(folder: Path, shards: set[str], notes: set[str]) -> None:
    """Delete the shards and notes of earlier versions of the tree."""
    for stale in folder.iterdir():
        if stale.is_file() and stale.name not in shards:
            stale.unlink(missing_ok=True)
    for stale in (folder / "notes").iterdir() if (folder / "notes").is_dir() else []:
        if stale.name not in notes:
            stale.unlink(missing_ok=True)


# ### Bundles: the files of a shard in one file of the cache
#
# A shard is kept as one file, `sha256 of the rest` on the first line, then the names and sizes
# of its files (JSON) on the second, then their bytes: one read and one digest check per shard
# (a no-op rebuild of labml-nn reads 16 files, not 1,300), and a damaged bundle is found and
# indexed again rather than published.

def _keep(folder: Path | None, key: str, made: dict[str, bytes], wanted: re.Pattern) -> dict[str, bytes]:
    files = {name: _canonical(name, made[name]) for name in sorted(made) if wanted.match(name)}
    if folder is not None:
        _write_bundle(folder / key, files)
    return files


def _canonical(name: str, content: bytes) -> bytes:
    """The file as the same input always gives it: Pagefind writes the languages of
    `pagefind-entry.json` in the order of a hash map, which changes from one run to the next
    when there are several; here they are in the order of their names."""
    if name != "pagefind-entry.json":
        return content
    entry = json.loads(content)
    entry["languages"] = dict(sorted(entry.get("languages", {}).items()))
    return json.dumps(entry, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


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
    """What Pagefind is sent for one page: its notes, and a record for each identifier."""
    html = page.read()
    if html is None:
        return []
    notes = notes_of(html, page.title)
    language = language_of(html)
    out: list[dict] = [{"type": "AddFile", "url": "/" + page.url, "file_path": None,
                        "file_contents": notes if notes is not None else _titled(html, page.title)}]
    for ident in identifiers_of(html, page.url, page.module):
        out.append({"type": "AddRecord", "url": "/" + ident.url, "language": language,
                    "content": f"{ident.name} {ident.qualname}", "filters": {"lang": [language]},
                    "sort": None,
                    "meta": {"title": ident.name, "kind": ident.kind, "qualname": ident.qualname}})
    return out


def _kept_requests(page: IndexedPage, folder: Path | None) -> list[dict]:
    """`page_requests`, kept in `folder` by the page's key: a shard indexed again reads its
    unchanged pages' notes from there rather than from their HTML (a few ms a page)."""
    if folder is None:
        return page_requests(page)
    path = folder / f"{shard_key([page])}.json"
    body = _read_checked(path)
    if body is not None:
        try:
            return json.loads(body)
        except ValueError:
            pass
    requests = page_requests(page)
    _write_checked(path, json.dumps(requests, ensure_ascii=False).encode("utf-8", "surrogatepass"))
    return requests


def _index_many(shards: list[Iterator[list[dict]]]) -> list[dict[str, bytes]]:
    """Index each shard (the requests of each of its pages) as an index of its own, all
    through one Pagefind service."""
    def requests() -> Iterator[dict]:
        for n, pages in enumerate(shards):
            yield {"type": "NewIndex", "config": {"exclude_selectors": EXCLUDE}}
            yield from ({**request, "index_id": n} for page in pages for request in page)
        for n in range(len(shards)):
            yield {"type": "GetFiles", "index_id": n}

    answers = _ask(requests())
    for answer in answers:
        if answer.get("type") == "Error":
            raise RuntimeError(f"pagefind: {answer.get('message')}")
    ids = [a.get("index_id") for a in answers if a.get("type") == "NewIndex"]
    if ids != list(range(len(shards))):
        raise RuntimeError(f"pagefind: unexpected indexes {ids}")
    return [{f["path"]: base64.b64decode(f["content"]) for f in answer["files"]}
            for answer in answers[-len(shards):]]


def _titled(html: str, title: str) -> str:
    return re.sub(r"(<body[^>]*>)", lambda m: m.group(1) + _labels(html, title), html, count=1)


def _ask(requests: Iterator[dict]) -> list[dict]:
    """Send every request to one Pagefind service and read the answers, in the order of the
    requests.

    This speaks the service's protocol (`pagefind --service`: base64 JSON messages, each
    followed by a comma) itself rather than through `pagefind.index.PagefindIndex`, whose
    reader sleeps 0.1 s before each answer (22 s for 221 pages, against a fraction of a second
    when the requests are all sent at once). A thread makes and writes the requests while
    this one reads the answers: neither pipe fills, and Pagefind indexes a page while the
    next is made."""
    binary = _binary()
    if binary is None:
        raise RuntimeError("pagefind: the binary is not installed (pip install 'pagefind[bin]')")
    process = subprocess.Popen([binary[0], "--service"], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                               cwd=tempfile.gettempdir())
    sent: list[int] = []  # how many requests, once all are sent
    failure: list[BaseException] = []

    def send() -> None:
        assert process.stdin is not None
        n = 0
        try:
            # The count is known, and told to the reader, before the last request goes: the
            # reader must not wait for answers after the last one.
            current = next(requests, None)
            while current is not None:
                following = next(requests, None)
                if following is None:
                    sent.append(n + 1)
                message = json.dumps({"message_id": n, "payload": current}).encode("utf-8")
                process.stdin.write(base64.b64encode(message) + b",")
                n, current = n + 1, following
            process.stdin.flush()
        except BrokenPipeError:
            pass
        except BaseException as e:  # making a request failed: said by the reader
            failure.append(e)
            process.kill()
        if not sent:
            sent.append(n)

    writer = threading.Thread(target=send, daemon=True)
    writer.start()
    answers: dict[int, dict] = {}
    assert process.stdout is not None
    buffer = b""
    try:
        while not sent or len(answers) < sent[0]:
            chunk = os.read(process.stdout.fileno(), 1 << 20)
            if not chunk:
                writer.join()
                if failure:
                    raise failure[0]
                if not sent or len(answers) < sent[0]:
                    raise RuntimeError(f"pagefind stopped after {len(answers)} answers")
                break
            buffer += chunk
            *whole, buffer = buffer.split(b",")
            for message in whole:
                answer = json.loads(base64.b64decode(message))
                answers[answer.get("message_id", -1)] = answer["payload"]
    finally:
        if not sent:
            process.kill()
        writer.join(timeout=5)
        if process.stdin is not None:
            try:
                process.stdin.close()
            except BrokenPipeError:  # the service ended early: said above
                pass
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return [answers.get(n, {"type": "Error", "message": "no answer"}) for n in range(sent[0])]
