"""
---
title: The page cache
summary: Rendered pages on disk, keyed by what they depend on; the record of each tree's last build; garbage collection.
---

# The page cache

A page whose inputs have not changed comes from here: no parse, no Markdown, no math, no
template. What decides that its inputs have not changed is in [`fingerprint`](fingerprint.py):
an entry is named by its page key, and keeps the `Dependencies` that the build checks again.

## Entries

`CACHE_DIR/pages/ab/KEY.json` holds the entry: its first line is the sha256 of the rest, the
second is JSON: title, summary, diagnostics, links, formula count, dependencies, and the sha256
and length of its HTML; the third, the JSON string of the page's plain text (most of the bytes,
decoded only when a search index asks for it). The HTML is in `CACHE_DIR/pages/cd/SHA.html`,
named by the sha256 of its content, so that two builds writing the same key at once can never
pair an entry with another build's HTML. Every file is [written atomically](atomic.py).
An entry that fails its checksum, cannot be parsed, or whose HTML is missing or of the wrong
length is a miss (and is deleted); the HTML is checked against its sha256 when it is read.

## The record of a tree's last build

After a successful build, the page cache writes the entries the build used (without their text)
into one file named for its source tree, `CACHE_DIR/pages/builds/NAME.rec`. The next build of
the tree in a new process reads that one file instead of a file per page. It is the largest
thing a rebuild reads (PyTorch's 2,285 pages), so it is made to be read quickly: a line with its
format, the Python version it was written by and the sha256 of the rest, then the
[`marshal`](https://docs.python.org/3/library/marshal.html) of one row (a tuple) per entry.
The paths and digests that many entries depend on are one string in the rows, which `marshal`
writes once and reads back once; the facts an entry's links were read from are only their
digest (the entry's own file has them). On PyTorch the record was 4.9 MB of JSON, read and
checked in 0.1 s (a third of a no-op rebuild); its 2.6 MB of rows are read in about 20 ms, a
quarter of that time or less in the same run. A record
that would not change (a rebuild that rendered nothing) is not written again: only its time
is set, which garbage collection goes by.

The record is only a shortcut: an entry is found in it by the same key as on disk (so a record
of other settings or of another version of the tree finds nothing), an entry whose HTML is gone
is a miss, and a record that is missing, of another format or Python, or fails its checksum,
sends every look-up to the entries' own files. Its rows are trusted once the checksum holds
(they were written from checked entries); the text of a recorded entry is read from its own
file when a search index asks for it.

## Garbage collection

Every edit adds an entry and an HTML file. Garbage collection keeps what the records name
(the last build of each tree), and, at most once an hour, deletes every entry and HTML file
that no record names and that is more than an hour old. The hour keeps what a build running
beside this one has just written; a file another build read and that goes away under it is
only a cache miss (the page is rendered again). A collection reads every record and lists
every file of the cache: 7 ms for the thousand pages of one tree, 40 ms for a cache that four
trees share, most of the 0.1 s that a one-file rebuild in `serve` may take. The hour between
two collections keeps that from every rebuild.
"""

from __future__ import annotations

import functools
import json
import logging
import marshal
import os
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields
from typing import Any

from .atomic import write_atomic
from .fingerprint import sha256

log = logging.getLogger("labml_docs")

#: The first word of a build record (`PageCache.record_build`): bump when they change meaning.
RECORD_MAGIC = "labml-docs-record-2"
#: What else a record must have been written by: `marshal`'s format is that of one version of
#: Python.
RECORD_PYTHON = f"marshal-{marshal.version}-py{sys.version_info[0]}.{sys.version_info[1]}"
#: Garbage collection of the page cache: files no recorded build uses are deleted once they
#: are this old (seconds), by a collection run at most this often, after a successful build.
GC_GRACE = 3600
GC_INTERVAL = 3600
#: The record of a tree's last build is dropped when the tree has not been built for this long.
RECORD_AGE = 30 * 24 * 3600


@dataclass
class Dependencies:
    """What a cached page depends on besides its own source; the build checks each against
    the tree it is building (see [`fingerprint`](fingerprint.py)). In JSON, the object of its
    fields (`listing` only when there is one)."""
    # Each page the breadcrumbs looked for → whether it existed.
    exists: dict[str, bool] = field(default_factory=dict)
    # Each other source file the cross-reference links came from → its sha256 (`None`: it
    # could not be read).
    files: dict[str, str | None] = field(default_factory=dict)
    # The home page only: `listing_hash` of every page's address, title and summary.
    listing: str | None = None
    # Per file of `files`, the digest of the facts of it the links were read from, then those
    # facts (`xref.XrefIndex.fact_record`): when the file changed but these did not, the page
    # holds.
    facts: dict[str, list[str]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"exists": self.exists, "files": self.files}
        if self.listing is not None:
            data["listing"] = self.listing
        if self.facts:
            data["facts"] = self.facts
        return data

    @classmethod
    def from_json(cls, data: Any) -> Dependencies:
        """Raises `TypeError` for what `to_json` does not make. (A value of the wrong type
        only fails the check, and the page is rendered again.)"""
        if not isinstance(data, dict) \
                or not data.keys() <= {"exists", "files", "listing", "facts"}:
            raise TypeError("deps")
        deps = cls(data.get("exists", {}), data.get("files", {}), data.get("listing"),
                   data.get("facts", {}))
        if not isinstance(deps.exists, dict) or not isinstance(deps.files, dict) \
                or not isinstance(deps.listing, (str, type(None))) \
                or not isinstance(deps.facts, dict) \
                or not all(isinstance(v, list) and v and all(isinstance(k, str) for k in v)
                           for v in deps.facts.values()):
            raise TypeError("deps")
        return deps


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
    diagnostics: list[list[Any]] = field(default_factory=list)
    # `[target, href, line]` of every relative link of the notes.
    links: list[list[Any]] = field(default_factory=list)
    deps: Dependencies = field(default_factory=Dependencies)

    def header(self) -> dict[str, Any]:
        """Every field but the text, as JSON."""
        data = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "text"}
        data["deps"] = self.deps.to_json()
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any],
                  load_text: Callable[[], Any] | None = None) -> Entry:
        """The entry of `data`; with `load_text` (a function that gives the text, which
        `data` lacks), one whose text is read when first asked for."""
        names = ["key", "url", "path", "title", "summary", "html_sha"]
        values = {f.name: data[f.name] for f in fields(cls) if f.name != "text"}
        values["deps"] = Dependencies.from_json(values["deps"])
        entry: Entry
        if load_text is None:
            entry = cls(text=data["text"], **values)
            names.append("text")
        else:
            entry = _StoredEntry(load_text, **values)
        for name in names:
            if not isinstance(getattr(entry, name), str):
                raise TypeError(name)
        if not isinstance(entry.diagnostics, list) \
                or not isinstance(entry.links, list) or not isinstance(entry.html_len, int):
            raise TypeError("entry")
        for d in entry.diagnostics:
            if not (isinstance(d, list) and len(d) == 4 and isinstance(d[1], int)):
                raise TypeError("diagnostic")
        for link in entry.links:
            if not (isinstance(link, list) and len(link) == 3 and isinstance(link[2], int)):
                raise TypeError("link")
        return entry


_UNREAD: Any = object()


class _StoredEntry(Entry):
    """An entry read from the page cache. Its plain text is most of its bytes and only search
    indexes read it: it is read or decoded when first asked for."""

    _row: tuple | None = None  # its row in a build record, when it was read from one
    _text: Any  # the text, or `_UNREAD`
    _load_text: Callable[[], Any]

    def __init__(self, load_text: Callable[[], Any], **fields_but_text: Any):
        self._load_text = load_text
        super().__init__(text=_UNREAD, **fields_but_text)

    @property
    def text(self) -> str:
        if self._text is _UNREAD:
            value = self._load_text()
            self._text = value if isinstance(value, str) else ""
        return self._text

    @text.setter
    def text(self, value: str) -> None:
        self._text = value

    @classmethod
    def from_row(cls, row: tuple, load_text: Callable[[], Any]) -> _StoredEntry:
        """An entry of a build record (`_row`). The record was checksummed as a whole and
        written by `record_build` from entries that were checked: only its shape is checked
        here (two thousand full checks would cost a one-page rebuild 40 ms)."""
        if not isinstance(row, tuple) or len(row) != len(_ROW_NAMES):
            raise TypeError("entry fields")
        entry = cls.__new__(cls)
        values = entry.__dict__
        values.update(zip(_ROW_NAMES, row))
        entry.deps = Dependencies(values.pop("exists"), values.pop("files"),
                                  values.pop("listing"), values.pop("facts"))
        entry._load_text, entry._text, entry._row = load_text, _UNREAD, row
        return entry


#: The fields of an entry in a build record, in the order of its row (the key first: rows are
#: sorted by key); its dependencies are its last four.
_ROW_NAMES = ("key", "url", "path", "title", "summary", "failed", "html_sha", "html_len",
              "formulas", "diagnostics", "links", "exists", "files", "listing", "facts")


def _row(entry: Entry, strings: dict[str, str]) -> tuple:
    """An entry's row in a build record (one read from the record already has it).

    The facts of each file it depends on are only their digest: the facts themselves are most
    of an entry's bytes (8 of the 10 MB of PyTorch's record), and only a page whose dependency
    changed needs them, from its own file (`Builder._deps_hold`). The paths and digests many
    entries share are one string (`strings`), which `marshal` writes once."""
    row = getattr(entry, "_row", None)
    if row is None:
        deps = entry.deps
        row = (entry.key, entry.url, entry.path, entry.title, entry.summary, entry.failed,
               entry.html_sha, entry.html_len, entry.formulas, entry.diagnostics, entry.links,
               {strings.setdefault(url, url): existed for url, existed in deps.exists.items()},
               {strings.setdefault(path, path): digest if digest is None
                else strings.setdefault(digest, digest) for path, digest in deps.files.items()},
               deps.listing,
               {strings.setdefault(path, path): facts[:1] for path, facts in deps.facts.items()})
    return row


class CorruptEntry(Exception):
    pass


def html_fields(html: str | None) -> tuple[str, int]:
    """`(sha256, length)` of a page's HTML as stored, `("", 0)` for a page that failed."""
    if html is None:
        return "", 0
    data = html.encode("utf-8", "surrogatepass")
    return sha256(data), len(data)


class PageCache:
    """Rendered pages on disk, keyed by `fingerprint.page_key`; see the module's notes."""

    def __init__(self, directory: str | os.PathLike[str] | None):
        self.directory = os.fspath(directory) if directory is not None else None
        # Paths as strings: they are made for every page of every build, and joining strings
        # costs a tenth of joining `Path`s.
        self._root = self.directory or ""
        self.disabled = directory is None
        self.corrupt = 0
        # The rows of the last record read or written, by tree: a record that would be the
        # same is not written again.
        self._recorded: dict[str, list[tuple]] = {}

    def meta_file(self, key: str) -> str:
        return os.path.join(self._root, key[:2], key + ".json")

    def html_file(self, html_sha: str) -> str:
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

    def _drop(self, path: str, why: object) -> None:
        self.corrupt += 1
        log.warning("page cache: corrupt entry %s (%s): rendering the page again",
                    os.path.basename(path), why)
        try:
            os.unlink(path)
        except OSError:
            pass

    def put_html(self, html_sha: str, html_len: int, html: str) -> None:
        """Store a page's HTML under its sha256."""
        if self.disabled:
            return
        try:
            # Always written (a new file, renamed into place): a file already there may be a
            # damaged one of the same length, and it is never written into in place.
            write_atomic(self.html_file(html_sha), html.encode("utf-8", "surrogatepass"))
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
            write_atomic(self.meta_file(entry.key), sha256(body).encode("ascii") + b"\n" + body)
        except OSError as e:
            log.warning("page cache %s unusable (%s); going on without it", self.directory, e)
            self.disabled = True

    def read_html(self, entry: Entry) -> str:
        """The entry's HTML, checked against its sha256; raises `CorruptEntry` if it is not."""
        path = self.html_file(entry.html_sha)
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError as e:
            raise CorruptEntry(f"{path}: {e}") from None
        if sha256(data) != entry.html_sha:
            self._drop(path, "html checksum")
            try:
                os.unlink(self.meta_file(entry.key))
            except OSError:
                pass
            raise CorruptEntry(f"{path}: checksum")
        return data.decode("utf-8", "surrogatepass")

    # ### The record of a tree's last build

    def _record_file(self, name: str) -> str:
        return os.path.join(self._root, "builds", f"{name}.rec")

    def record_build(self, name: str, entries: Iterable[Entry]) -> None:
        """Remember the entries a build of one tree (`name`) used: garbage collection keeps
        them, and the next build of the tree reads them from this one file (`read_record`).

        The file is a line with its format and checksum, then the `marshal` of each entry's
        row (`_row`), sorted by key. Of a record that would be the same as the one read, only
        the time is changed: garbage collection keeps records by their age."""
        if self.disabled:
            return
        strings: dict[str, str] = {}
        rows = sorted((_row(e, strings) for e in entries), key=lambda row: row[0])
        path = self._record_file(name)
        last = self._recorded.get(name)
        try:
            if last is not None and len(last) == len(rows) \
                    and all(a is b for a, b in zip(last, rows)):
                os.utime(path)
                return
            body = marshal.dumps(rows)
            write_atomic(path, f"{RECORD_MAGIC} {RECORD_PYTHON} {sha256(body)}\n"
                         .encode("ascii") + body, cache=True)
            self._recorded[name] = rows
        except OSError as e:
            log.warning("page cache: cannot record the build: %s", e)

    def read_record(self, name: str) -> dict[str, Entry]:
        """`key → entry` of the last recorded build of a tree; empty if there is none or it
        is damaged (every page is then looked up in its own file)."""
        if self.disabled:
            return {}
        path = self._record_file(name)
        try:
            rows = _read_record(path)
            entries: dict[str, Entry] = {}
            for row in rows:
                entry = _StoredEntry.from_row(row, functools.partial(self._text_of, row[0]))
                entries[entry.key] = entry
            self._recorded[name] = rows
            return entries
        except FileNotFoundError:
            return {}
        except (OSError, CorruptEntry, ValueError, KeyError, TypeError, UnicodeDecodeError,
                EOFError) as e:
            log.warning("page cache: the record %s is unusable (%s): reading each page's entry",
                        path, e)
            return {}

    def _text_of(self, key: str) -> str:
        entry = self.get(key)
        if entry is None:
            log.warning("page cache: the entry %s is gone: its page has no text to index", key)
            return ""
        return entry.text

    # ### Garbage collection

    def collect_if_due(self, interval: float = GC_INTERVAL,
                       grace: float = GC_GRACE) -> dict[str, int] | None:
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

    def collect_garbage(self, grace: float = GC_GRACE,
                        now: float | None = None) -> dict[str, int]:
        """Delete the entries and HTML files that no recorded build uses (the last build of
        each tree, `record_build`) and that are older than `grace` seconds.

        Safe beside other builds: a build that is running wrote its new files less than
        `grace` ago, and an entry it read is at worst rendered again (a missing HTML file is a
        miss, and publishing falls back to the page when it cannot read the file). Records of
        trees not built for `RECORD_AGE` seconds are dropped.
        """
        removed = {"entries": 0, "html": 0, "temporary": 0, "records": 0}
        if self.disabled:
            return removed
        now = time.time() if now is None else now
        keys, html = self._kept(now, removed)
        try:
            folders = [d for d in os.scandir(self._root) if len(d.name) == 2 and d.is_dir()]
        except OSError:
            return removed
        old = now - grace
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

    def _kept(self, now: float, removed: dict[str, int]) -> tuple[set[str], set[str]]:
        """The keys and HTML files that the records name; records older than `RECORD_AGE`
        are deleted (and counted in `removed`)."""
        keys: set[str] = set()
        html: set[str] = set()
        try:
            records = list(os.scandir(os.path.join(self._root, "builds")))
        except OSError:
            records = []
        for record in records:
            if not record.name.endswith((".rec", ".json")):  # (`.json`: of format 1)
                continue
            try:
                if record.stat().st_mtime < now - RECORD_AGE:
                    os.unlink(record.path)
                    removed["records"] += 1
                    continue
                if record.name.endswith(".json"):
                    continue  # of an older version: what it names, this version never reads
                for row in _read_record(record.path):
                    keys.add(str(row[0]))
                    html.add(str(row[6]))
            except (OSError, CorruptEntry, ValueError, KeyError, TypeError, UnicodeDecodeError,
                    EOFError, IndexError):
                continue  # unreadable: another build may be writing it; it keeps nothing
        return keys, html


def _header_line(entry: Entry) -> str:
    """The JSON of an entry's fields but its text, on one line: the first line of its file."""
    return json.dumps(entry.header(), ensure_ascii=False, separators=(",", ":"))


def _read_record(path: str) -> list[tuple]:
    """The rows of a build record, checked against its checksum."""
    with open(path, "rb") as f:
        raw = f.read()
    first, _, body = raw.partition(b"\n")
    magic, python, checksum = (first.decode("ascii").split(" ") + ["", ""])[:3]
    if magic != RECORD_MAGIC or python != RECORD_PYTHON:
        raise CorruptEntry("format")
    if checksum != sha256(body):
        raise CorruptEntry("checksum")
    rows = marshal.loads(body)
    if not isinstance(rows, list):
        raise CorruptEntry("not a list of entries")
    return rows
