"""
---
title: Incremental builds
summary: The content-hash manifest of a build's inputs and the page cache that lets unchanged pages skip every stage.
---

# Incremental builds

A page is rendered again only when something its output depends on has changed. Three things
decide it:

* **the global fingerprint**: one hash of what every page depends on: the settings (all of
  `SiteConfig` but `source_dir`, `cache_dir` and `jobs`), the bytes of every template and
  asset of `site_templates/` (and of a site's own templates folder), the source of labml_docs
  itself and its version, the versions of Python, Pygments, Python-Markdown and Jinja, and the
  math engine's name with its KaTeX version;
* **the page key**: `sha256(global fingerprint, the page's path, the sha256 of its bytes)`:
  the name of its entry in the page cache;
* **the recorded dependencies** of the entry, checked on every build against the current tree:
  `exists` (the pages the breadcrumbs looked for, and whether they existed), `files` (the
  sha256 of the other source files the page's cross-reference links came from, as the xref
  index reports them) and `listing` (the home page only: a hash of every page's address, title
  and summary).

Relative links are *not* dependencies: an entry keeps the links of its notes, and every build
checks them again against the pages and files that exist now; their messages do not change
the page. So adding the file a link points to fixes the message without rendering anything.

## The page cache

`CACHE_DIR/pages/ab/KEY.json` holds the entry: its first line is the sha256 of the rest, the
second is JSON: title, summary, diagnostics, links, formula count, dependencies, and the sha256
and length of its HTML; the third, the JSON string of the page's plain text (most of the bytes,
decoded only when a search index asks for it). The HTML is in `CACHE_DIR/pages/cd/SHA.html`,
named by the sha256 of its content, so that two builds writing the same key at once can never
pair an entry with another build's HTML. Every file is written to a temporary name and renamed into place.
An entry that fails its checksum, cannot be parsed, or whose HTML is missing or of the wrong
length is a miss (and is deleted); the HTML is checked against its sha256 when it is read.

## The record of a tree's last build

After a successful build, the page cache writes the entries the build used (without their
text) into one file named for its source tree, `CACHE_DIR/pages/builds/NAME.json`, checksummed
like an entry. The next build of the tree in a new process reads that one file instead of a
file per page: a thousand small reads and checksums cost a one-page rebuild more than its
page. The record is only a shortcut: an entry is found in it by the same key as on disk (so a
record of other settings or of another version of the tree finds nothing), an entry whose HTML
is gone is a miss, and a record that is missing or fails its checksum sends every look-up to
the entries' own files. The text of a recorded entry is read from its own file when a search
index asks for it.

## Garbage collection

Every edit adds an entry and an HTML file. Garbage collection keeps what the records name
(the last build of each tree), and, at most once an hour,
deletes every entry and HTML file that no record names and that is more than an hour old.
The hour keeps what a build running beside this one has just written; a file another build
read and that goes away under it is only a cache miss (the page is rendered again).

## Hashing the sources quickly

Hashing means reading every file. `CACHE_DIR/manifest.json` keeps the `(size, mtime_ns,
inode, sha256)` of each file of the last build; a file whose size, mtime and inode are
unchanged reuses its hash, unless its mtime is less than two seconds older than the moment
that record was taken (a "racy" file, which could have changed again within the clock's
resolution: it is read and hashed). A missing or corrupt manifest only costs a full hash.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field, fields
from pathlib import Path

log = logging.getLogger("labml_docs")

#: Bump when the page cache's entries or the page output change meaning.
FORMAT = 2
#: The first word of a build record (`PageCache.record_build`): bump when they change meaning.
RECORD_MAGIC = "labml-docs-record-1"
RACY_NS = 2_000_000_000
#: Garbage collection of the page cache: files no recorded build uses are deleted once they
#: are this old (seconds), by a collection run at most this often, after a successful build.
GC_GRACE = 3600
GC_INTERVAL = 3600
#: The record of a tree's last build is dropped when the tree has not been built for this long.
RECORD_AGE = 30 * 24 * 3600


def sha256(data: bytes | str) -> str:
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    return hashlib.sha256(data).hexdigest()


def hash_json(value) -> str:
    return sha256(json.dumps(value, sort_keys=True, ensure_ascii=False, default=str))


def write_atomic(path: Path, data: bytes) -> None:
    """Write `data` to `path` so that readers see the old file or the whole new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


# ## Source hashes


class SourceHashes:
    """The sha256 of every source file, with a stat-based shortcut kept in `manifest.json`."""

    def __init__(self, cache_dir: Path | None):
        self.path = Path(cache_dir) / "manifest.json" if cache_dir is not None else None
        self.entries: dict[str, list] = {}
        self.stamp = 0
        self.loaded = False
        self.dirty = False
        self.hashed = 0

    def _load(self) -> None:
        self.loaded = True
        if self.path is None:
            return
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if data.get("format") != FORMAT:
                return
            entries, stamp = data["files"], int(data["stamp"])
            if not isinstance(entries, dict) or not all(
                    isinstance(v, list) and len(v) == 4 and isinstance(v[3], str)
                    for v in entries.values()):
                raise ValueError("bad entries")
            self.entries, self.stamp = entries, stamp
        except FileNotFoundError:
            pass
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
            log.warning("build manifest %s is unreadable (%s): hashing every file", self.path, e)
            self.entries, self.stamp = {}, 0

    def hash_files(self, files) -> dict[str, str]:
        """`path → sha256` of each `SourceFile`; files that cannot be read get no hash."""
        if not self.loaded:
            self._load()
        now = time.time_ns()
        result: dict[str, str] = {}
        fresh: dict[str, list] = {}
        self.hashed = 0
        for file in files:
            try:
                st = os.stat(file.location)
            except OSError:
                continue
            old = self.entries.get(file.path)
            if (old is not None and old[0] == st.st_size and old[1] == st.st_mtime_ns
                    and old[2] == st.st_ino and st.st_mtime_ns + RACY_NS < self.stamp):
                digest = old[3]
            else:
                try:
                    with open(file.location, "rb") as f:
                        digest = sha256(f.read())
                except OSError:
                    continue
                self.hashed += 1
            fresh[file.path] = [st.st_size, st.st_mtime_ns, st.st_ino, digest]
            result[file.path] = digest
        if fresh != self.entries or self.hashed:
            self.entries, self.stamp, self.dirty = fresh, now, True
        return result

    def save(self) -> None:
        if not self.dirty or self.path is None:
            return
        data = json.dumps({"format": FORMAT, "stamp": self.stamp, "files": self.entries},
                          separators=(",", ":"), sort_keys=True)
        try:
            write_atomic(self.path, data.encode("utf-8"))
            self.dirty = False
        except OSError as e:
            log.warning("cannot write the build manifest %s: %s", self.path, e)


# ## The global fingerprint

#: Settings that do not change any page.
UNRELATED_SETTINGS = {"source_dir", "cache_dir", "jobs"}


#: Modules that change no page: the shells around the build.
SHELLS = {"cli.py", "mkdocs_plugin.py"}


def _package_source_hash() -> str:
    """The source of labml_docs itself: a change to the generator re-renders everything."""
    here = Path(__file__).resolve().parent
    h = hashlib.sha256()
    for path in sorted(here.rglob("*")):
        if (path.suffix in (".py", ".js") and "__pycache__" not in path.parts
                and path.name not in SHELLS):
            h.update(path.relative_to(here).as_posix().encode())
            h.update(b"\0")
            h.update(path.read_bytes())
            h.update(b"\0")
    return h.hexdigest()


_PACKAGE_HASH: str | None = None


def math_identity(config, math=None) -> tuple[str, str]:
    """`(engine name, KaTeX version)` of the build's math, without starting an engine."""
    if math is not None:
        engine = math.engine
        return engine.name, engine.katex_version
    from .math import AUTO, KATEX_NODE, MARKDOWN_KATEX, MathEngineError, engine_name, find_katex_dir, find_node

    name = engine_name(str(config.math_engine))
    if name in (KATEX_NODE, AUTO):
        try:
            katex = find_katex_dir(config.katex_dir or None)
            version = json.loads((katex / "package.json").read_text("utf-8"))["version"]
            if find_node() is not None or name != AUTO:
                return KATEX_NODE, str(version)
        except (MathEngineError, OSError, ValueError, KeyError):
            if name != AUTO:
                return KATEX_NODE, "missing"
    try:
        from importlib.metadata import version as package_version
        return MARKDOWN_KATEX, package_version("markdown-katex")
    except Exception:  # noqa: BLE001 - not installed: the build will say so
        return MARKDOWN_KATEX, "missing"


def global_fingerprint(config, template_files, math_id: tuple[str, str]) -> tuple[str, dict]:
    """The hash of every input that all pages share, and what went into it."""
    global _PACKAGE_HASH
    import jinja2
    import markdown
    import pygments

    from . import __version__

    if _PACKAGE_HASH is None:
        _PACKAGE_HASH = _package_source_hash()
    settings = {f.name: getattr(config, f.name) for f in fields(config)
                if f.name not in UNRELATED_SETTINGS}
    templates = {}
    for path in template_files:
        try:
            templates[str(path)] = sha256(Path(path).read_bytes())
        except OSError:
            templates[str(path)] = "unreadable"
    details = {
        "format": FORMAT,
        "labml_docs": [__version__, _PACKAGE_HASH],
        "python": sys.version,
        "pygments": pygments.__version__,
        "markdown": markdown.__version__,
        "jinja2": jinja2.__version__,
        "math": list(math_id),
        "settings": settings,
        "templates": templates,
    }
    if config.sanitize:  # what nh3 keeps may change with its version
        import nh3
        details["nh3"] = nh3.__version__
    return hash_json(details), details


def page_key(fingerprint: str, path: str, source_hash: str) -> str:
    return sha256(f"{fingerprint}\0{path}\0{source_hash}")


def listing_hash(listing: list[dict]) -> str:
    return hash_json(listing)


# ## The page cache


@dataclass
class Entry:
    """What the cache keeps of a rendered page, besides its HTML."""
    key: str
    url: str
    path: str
    title: str
    summary: str
    text: str
    failed: bool
    html_sha: str
    html_len: int
    formulas: int
    # `[path, line, message, level]` of every message of the page but its link checks.
    diagnostics: list = field(default_factory=list)
    # `[target, href, line]` of every relative link of the notes.
    links: list = field(default_factory=list)
    deps: dict = field(default_factory=dict)

    def header(self) -> dict:
        """Every field but the text."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "text"}

    @classmethod
    def from_json(cls, data: dict, load_text=None) -> "Entry":
        """The entry of `data`; with `load_text` (a function that gives the text, which
        `data` lacks), one whose text is read when first asked for."""
        names = ["key", "url", "path", "title", "summary", "html_sha"]
        if load_text is None:
            entry = cls(**{f.name: data[f.name] for f in fields(cls)})
            names.append("text")
        else:
            entry = _StoredEntry(load_text, **{f.name: data[f.name] for f in fields(cls)
                                               if f.name != "text"})
        for name in names:
            if not isinstance(getattr(entry, name), str):
                raise TypeError(name)
        if not isinstance(entry.deps, dict) or not isinstance(entry.diagnostics, list) \
                or not isinstance(entry.links, list) or not isinstance(entry.html_len, int):
            raise TypeError("entry")
        for d in entry.diagnostics:
            if not (isinstance(d, list) and len(d) == 4 and isinstance(d[1], int)):
                raise TypeError("diagnostic")
        for link in entry.links:
            if not (isinstance(link, list) and len(link) == 3 and isinstance(link[2], int)):
                raise TypeError("link")
        return entry


_UNREAD = object()
_HEADER_NAMES = {f.name for f in fields(Entry) if f.name != "text"}


class _StoredEntry(Entry):
    """An entry read from the page cache. Its plain text is most of its bytes and only search
    indexes read it: it is read or decoded when first asked for."""

    def __init__(self, load_text, **fields_but_text):
        self._load_text = load_text
        super().__init__(text=_UNREAD, **fields_but_text)

    @property
    def text(self) -> str:
        if self._text is _UNREAD:
            value = self._load_text()
            self._text = value if isinstance(value, str) else ""
        return self._text

    @text.setter
    def text(self, value) -> None:
        self._text = value

    @classmethod
    def from_header(cls, header: dict, line: str, load_text) -> "_StoredEntry":
        """An entry of a build record. The record was checksummed as a whole and written by
        `record_build` from entries that were checked: only its fields are checked here (a
        thousand full checks would cost a one-page rebuild 10 ms)."""
        if header.keys() != _HEADER_NAMES:
            raise TypeError("entry fields")
        entry = cls.__new__(cls)
        entry.__dict__.update(header)
        entry._load_text, entry._text, entry._line = load_text, _UNREAD, line
        return entry


class CorruptEntry(Exception):
    pass


class PageCache:
    """Rendered pages on disk, keyed by `page_key`; see the module's notes."""

    def __init__(self, directory: Path | None):
        self.directory = Path(directory) if directory is not None else None
        # The same as a string: paths are made for every page of every build, and joining
        # strings costs a tenth of joining `Path`s.
        self._root = str(self.directory) if directory is not None else ""
        self.disabled = directory is None
        self.corrupt = 0

    def _meta_path(self, key: str) -> Path:
        return Path(self.meta_file(key))

    def meta_file(self, key: str) -> str:
        return os.path.join(self._root, key[:2], key + ".json")

    def html_path(self, html_sha: str) -> Path:
        return Path(self.html_file(html_sha))

    def html_file(self, html_sha: str) -> str:
        """`html_path` as a string."""
        return os.path.join(self._root, html_sha[:2], html_sha + ".html")

    def get(self, key: str) -> Entry | None:
        if self.disabled:
            return None
        path = self.meta_file(key)
        try:
            with open(path, "rb") as f:
                raw = f.read()
        except FileNotFoundError:
            return None
        except OSError as e:
            log.warning("page cache: cannot read %s: %s", path, e)
            return None
        try:
            checksum, _, body = raw.partition(b"\n")
            if checksum.decode("ascii") != sha256(body):
                raise CorruptEntry("checksum")
            # The entry's fields, then, on a line of its own, its text (JSON strings hold no
            # raw newline).
            header, newline, text = body.partition(b"\n")
            if not newline:
                raise CorruptEntry("no text")
            # (Its bytes were checksummed with the rest: decoding them later is safe.)
            entry = Entry.from_json(json.loads(header), load_text=lambda: json.loads(text))
            if entry.key != key:
                raise CorruptEntry("key")
            if not entry.failed:
                size = os.stat(self.html_file(entry.html_sha)).st_size
                if size != entry.html_len:
                    raise CorruptEntry("html length")
        except FileNotFoundError:
            return None  # its HTML is gone: render again
        except (CorruptEntry, ValueError, KeyError, TypeError, UnicodeDecodeError) as e:
            self._drop(path, e)
            return None
        return entry

    def _drop(self, path, why) -> None:
        self.corrupt += 1
        log.warning("page cache: corrupt entry %s (%s): rendering the page again",
                    os.path.basename(path), why)
        try:
            os.unlink(path)
        except OSError:
            pass

    def put_html(self, html_sha: str, html_len: int, html: str) -> None:
        """Store a page's HTML under its sha256 (unless a file of that length is there)."""
        if self.disabled:
            return
        target = self.html_path(html_sha)
        try:
            # Always written (a new file, renamed into place): a file already there may be a
            # damaged one of the same length, and it is never written into in place.
            write_atomic(target, html.encode("utf-8", "surrogatepass"))
        except OSError as e:
            log.warning("page cache %s unusable (%s); going on without it", self.directory, e)
            self.disabled = True

    def put(self, entry: Entry, html: str | None) -> None:
        if self.disabled:
            return
        if html is not None:
            self.put_html(entry.html_sha, entry.html_len, html)
        try:
            body = (_header_line(entry) + "\n"
                    + json.dumps(entry.text, ensure_ascii=False)).encode("utf-8", "surrogatepass")
            write_atomic(self._meta_path(entry.key), sha256(body).encode("ascii") + b"\n" + body)
        except OSError as e:
            log.warning("page cache %s unusable (%s); going on without it", self.directory, e)
            self.disabled = True

    def read_html(self, entry: Entry) -> str:
        """The entry's HTML, checked against its sha256; raises `CorruptEntry` if it is not."""
        path = self.html_path(entry.html_sha)
        try:
            data = path.read_bytes()
        except OSError as e:
            raise CorruptEntry(f"{path}: {e}") from None
        if sha256(data) != entry.html_sha:
            self._drop(path, "html checksum")
            try:
                self._meta_path(entry.key).unlink()
            except OSError:
                pass
            raise CorruptEntry(f"{path}: checksum")
        return data.decode("utf-8", "surrogatepass")


    # ### Garbage collection

    def _record_file(self, name: str) -> str:
        return os.path.join(self._root, "builds", f"{name}.json")

    def record_build(self, name: str, entries) -> None:
        """Remember the entries a build of one tree (`name`) used: garbage collection keeps
        them, and the next build of the tree reads them from this one file (`read_record`).

        The file is a JSON array with an entry per line, sorted by key, under a line with its
        format and checksum. An entry read from the last record keeps its line: writing the
        record again is mostly a join."""
        if self.disabled:
            return
        lines = sorted(_header_line(e) for e in entries)
        body = ("[\n" + ",\n".join(lines) + "\n]").encode("utf-8", "surrogatepass")
        try:
            write_atomic(Path(self._record_file(name)),
                         f"{RECORD_MAGIC} {sha256(body)}\n".encode("ascii") + body)
        except OSError as e:
            log.warning("page cache: cannot record the build: %s", e)

    def read_record(self, name: str) -> dict[str, Entry]:
        """`key → entry` of the last recorded build of a tree; empty if there is none or it
        is damaged (every page is then looked up in its own file)."""
        if self.disabled:
            return {}
        path = self._record_file(name)
        try:
            headers, lines = _read_record(path, with_lines=True)
            entries = {}
            for header, line in zip(headers, lines):
                entry = _StoredEntry.from_header(header, line,
                                                 functools.partial(self._text_of, header["key"]))
                entries[entry.key] = entry
            return entries
        except FileNotFoundError:
            return {}
        except (OSError, CorruptEntry, ValueError, KeyError, TypeError, UnicodeDecodeError) as e:
            log.warning("page cache: the record %s is unusable (%s): reading each page's entry",
                        path, e)
            return {}

    def _text_of(self, key: str) -> str:
        entry = self.get(key)
        if entry is None:
            log.warning("page cache: the entry %s is gone: its page has no text to index", key)
            return ""
        return entry.text

    def collect_if_due(self, interval: float = GC_INTERVAL, grace: float = GC_GRACE) -> dict | None:
        """`collect_garbage`, if the last collection is more than `interval` seconds old: a
        collection looks at every file of the cache, which a one-page rebuild must not pay for
        every time."""
        if self.disabled:
            return None
        stamp = os.path.join(self._root, "builds", "collected")
        try:
            if time.time() - os.stat(stamp).st_mtime < interval:
                return None
        except OSError:
            pass
        try:
            os.makedirs(os.path.dirname(stamp), exist_ok=True)
            with open(stamp, "wb"):
                pass  # its mtime is the time of this collection
        except OSError:
            return None
        return self.collect_garbage(grace=grace)

    def collect_garbage(self, grace: float = GC_GRACE, now: float | None = None) -> dict:
        """Delete the entries and HTML files that no recorded build uses (the last build of
        each tree, `record_build`) and that are older than `grace` seconds.

        Safe beside other builds: a build that is running wrote its new files less than
        `grace` ago, and an entry it read is at worst rendered again (a missing HTML file is a
        miss, and publishing falls back to the page when it cannot link the file). Records of
        trees not built for `RECORD_AGE` seconds are dropped.
        """
        removed = {"entries": 0, "html": 0, "temporary": 0, "records": 0}
        if self.disabled:
            return removed
        now = time.time() if now is None else now
        old = now - grace
        keys: set[str] = set()
        html: set[str] = set()
        builds = os.path.join(self._root, "builds")
        try:
            records = list(os.scandir(builds))
        except OSError:
            records = []
        for record in records:
            if not record.name.endswith(".json"):
                continue
            try:
                mtime = record.stat().st_mtime
                if mtime < now - RECORD_AGE:
                    os.unlink(record.path)
                    removed["records"] += 1
                    continue
                for header in _read_record(record.path):
                    keys.add(str(header["key"]))
                    html.add(str(header["html_sha"]))
            except (OSError, CorruptEntry, ValueError, KeyError, TypeError, UnicodeDecodeError):
                continue  # unreadable: another build may be writing it; it keeps nothing
        try:
            folders = [d for d in os.scandir(self._root) if len(d.name) == 2 and d.is_dir()]
        except OSError:
            return removed
        for folder in folders:
            try:
                names = list(os.scandir(folder.path))
            except OSError:
                continue
            for item in names:
                name = item.name
                if name.endswith(".tmp") and name.startswith("."):
                    kind = "temporary"  # left by a build that was killed while writing
                elif name.endswith(".json"):
                    if name[:-5] in keys:
                        continue
                    kind = "entries"
                elif name.endswith(".html"):
                    if name[:-5] in html:
                        continue
                    kind = "html"
                else:
                    continue
                try:
                    if item.stat().st_mtime < old:
                        os.unlink(item.path)
                        removed[kind] += 1
                except OSError:
                    pass
        return removed


def _header_line(entry: Entry) -> str:
    """The JSON of an entry's fields but its text, on one line (the first line of its file,
    and its line in a build record); an entry read from a record already has it."""
    line = getattr(entry, "_line", None)
    if line is None:  # (the key comes first: record lines sort by key)
        line = json.dumps(entry.header(), ensure_ascii=False, separators=(",", ":"))
    return line


def _read_record(path: str, with_lines: bool = False):
    """The entry headers of a build record, checked against its checksum (and with
    `with_lines`, the JSON line of each)."""
    with open(path, "rb") as f:
        raw = f.read()
    first, _, body = raw.partition(b"\n")
    magic, _, checksum = first.decode("ascii").rpartition(" ")
    if magic != RECORD_MAGIC:
        raise CorruptEntry("format")
    if checksum != sha256(body):
        raise CorruptEntry("checksum")
    headers = json.loads(body)
    if not isinstance(headers, list) or not all(isinstance(h, dict) for h in headers):
        raise CorruptEntry("not a list of entries")
    if not with_lines:
        return headers
    lines = [line.rstrip(",") for line in body.decode("utf-8", "surrogatepass").split("\n")[1:-1]]
    if len(lines) != len(headers):
        raise CorruptEntry("lines")
    return headers, lines


def html_fields(html: str | None) -> tuple[str, int]:
    if html is None:
        return "", 0
    data = html.encode("utf-8", "surrogatepass")
    return sha256(data), len(data)
