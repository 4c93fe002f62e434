"""
# What the lazy index must know of every file

A lazy index reads only the files a page's links need, but two questions are about the whole
tree: which files parse (a file that does not has no definitions, and no module name to import)
and what each imports (the votes that name the tree's package, see [`package`](package.py)).
The answer for one file is small (`None`, or the sorted list of modules it imports absolutely)
and depends only on its bytes, so it is kept on disk by the sha256 the build has already
computed: a build that renders one page reads one file, not the thousand others.

The answer for the whole tree (the files that parse, the package) is kept too, with the
digest of every file: an edit that keeps each file's summary (a comment, a function body) keeps
it, and nothing is asked of the other files (`FileSummaries.tree`).

A one-page rebuild also needs what the files its page imports *bind*: their module and class
scopes, as [`collect`](collect.py) writes them down, and their sections (for the addresses of
the links). That is kept per file as well (`CollectedFiles`), so that rendering
`optim/adam.py` again does not parse `torch/__init__.py`.

Files are decoded as the page builder decodes them (`page.read_source`, PEP 263), so the lazy
index and the pages agree on what a file says. A digest is the sha256 of a file's bytes, as the
build's `SourceHashes` computes it.
"""

from __future__ import annotations

import json
import pickle
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol

from ..atomic import write_atomic
from ..config import SectionRule
from ..fingerprint import sha256
from ..page import read_source
from ..parse import Page, parse_python
from .collect import syntax_tree
from .package import imported_names

# `None`: the file cannot be read as Python or does not parse; else the modules it imports.
Summary = list[str] | None


class TreeFile(Protocol):
    """A file of the tree, as the build lists them (`build.SourceFile`)."""

    @property
    def path(self) -> str: ...  # relative to the tree, with `/`

    @property
    def absolute(self) -> Path: ...


def summary_of(page: Page) -> Summary:
    """The summary of a page the build has just parsed (decoded as `read_source` decodes it),
    from the syntax tree its parser lent (not taken: the index may take it later); a file
    with no tree (empty, or not parsing) is parsed again here, as `FileSummaries.get` would."""
    tree = page.syntax_tree or syntax_tree(Page(page.path, source=page.source))
    return None if tree is None else imported_names(tree)


def read_page(file: TreeFile, shas: dict[str, str] | None = None,
              sections: SectionRule = "labml") -> Page | None:
    """The page of a file (`None` if it cannot be read or decoded, as the page builder decodes
    it: `page.read_source`); `shas` gets the sha256 of the bytes read."""
    try:
        data = file.absolute.read_bytes()
    except OSError:
        return None
    if shas is not None:
        shas[file.path] = sha256(data)
    text, _ = read_source(file.path, data)
    return parse_python(text, file.path, sections) if text is not None else None


class FileSummaries:
    """What the lazy index must know of every file, by the sha256 of its bytes: `None` when it
    cannot be read as Python or does not parse, else the modules it imports absolutely.

    Kept in `CACHE_DIR/xref/files.json` (for the current files only), per Python version: what
    parses depends on it. Format 2: files are decoded as Python decodes them (format 1 said
    `None` of a file that declares latin-1, and its importers lost their links to it)."""

    FORMAT = 2

    def __init__(self, cache_dir: str | Path | None = None):
        self.path = Path(cache_dir) / "xref" / "files.json" if cache_dir is not None else None
        self.python = "{}.{}".format(*sys.version_info[:2])
        # What the last build kept, and what this one will keep (the files asked about).
        self.old: dict[str, Summary] = {}
        self.new: dict[str, Summary] = {}
        # What the build learnt from its own parse (`learn`).
        self.learnt: dict[str, Summary] = {}
        # How many files had to be read.
        self.misses = 0
        # What the last lazy index decided of the whole tree (`tree`), and this one's.
        self.old_tree: Any = None
        self.new_tree: list | None = None
        if self.path is not None:
            try:
                data = json.loads(self.path.read_text(encoding="utf-8"))
                if data.get("format") == self.FORMAT and data.get("python") == self.python \
                        and isinstance(data.get("files"), dict):
                    self.old = data["files"]
                    self.old_tree = data.get("tree")
            except (OSError, ValueError, AttributeError):
                pass

    def learn(self, known: dict[str, Summary]) -> None:
        """Summaries this build computed from its own parse (`summary_of`), by sha256: answers
        for `get`, which `save` keeps (they are not on disk yet)."""
        self.learnt.update(known)

    def get(self, file: TreeFile, digest: str | None) -> Summary:
        """The summary of a file whose bytes had the sha256 `digest` when the build hashed them."""
        if digest is not None and digest in self.learnt:
            self.new[digest] = self.learnt[digest]
            return self.new[digest]
        if digest is not None and digest in self.old:
            value = self.old[digest]
            if value is None or (isinstance(value, list)
                                 and all(isinstance(n, str) for n in value)):
                self.new[digest] = value
                return value
        self.misses += 1
        try:
            data = file.absolute.read_bytes()
        except OSError:
            return None  # not in the tree's files; nothing to remember
        if digest is None or sha256(data) != digest:
            digest = None  # changed since it was hashed: answer, but do not remember
        text, _ = read_source(file.path, data)
        tree = syntax_tree(Page(file.path, source=text)) if text is not None else None
        value = None if tree is None else imported_names(tree)
        if digest is not None:
            self.new[digest] = value
        return value

    def tree(self, files: Mapping[str, TreeFile], digests: Mapping[str, str | None],
             decide: Callable[[list[str], list[list[str]]], str],
             context: str) -> tuple[list[str], str]:
        """What a lazy index must know of the whole tree: the files that parse, in path order,
        and the package the imports name (`decide(paths, imports)`, see
        [`package`](package.py); `context`: what else `decide` depends on).

        Both depend only on the summaries, and an edit rarely changes one: the answer of the
        last build is kept with its digests, and holds when the same files are there and each
        that changed has the summary it had (asking every file, and voting, cost a one-page
        rebuild of PyTorch 40 ms)."""
        old = self.old_tree
        if isinstance(old, list) and len(old) == 4 and old[0] == context \
                and isinstance(old[1], dict) and old[1].keys() == files.keys() \
                and None not in digests.values():
            _, before, package, paths = old
            changed = [path for path in files if before[path] != digests[path]]
            if all(before[path] in self.old and digests[path] is not None
                   and self.get(files[path], digests[path]) == self.old[before[path]]
                   for path in changed) and all(before[p] in self.old for p in before):
                self.new.update((d, self.old[d]) for d in digests.values()
                                if d is not None and d not in self.new)
                self.new_tree = [context, dict(digests), package, paths]
                return list(paths), str(package)
        paths, imports = [], []
        for path in sorted(files):
            summary = self.get(files[path], digests.get(path))
            if summary is not None:
                paths.append(path)
                imports.append(summary)
        package = decide(paths, imports)
        if None not in digests.values():
            self.new_tree = [context, dict(digests), package, list(paths)]
        return paths, package

    def save(self) -> None:
        """Keep the summaries of this build's files (only those), if they changed."""
        tree = self.new_tree if self.new_tree is not None else self.old_tree
        if self.path is None or (self.new == self.old and tree == self.old_tree):
            return
        body = json.dumps({"format": self.FORMAT, "python": self.python, "files": self.new,
                           "tree": tree}, separators=(",", ":"), sort_keys=True)
        try:
            write_atomic(self.path, body.encode("utf-8"), cache=True)
        except OSError:
            pass


# ## What other files look up in a file

#: Bump when what `CollectedFiles` keeps changes meaning.
COLLECTED_FORMAT = "labml-docs-collected-2"


class CollectedFiles:
    """What a lazy index collects of a file that another page's links look into, kept by
    file: its module and class scopes as [`collect`](collect.py) makes them (without the
    places its names are read, which only its own page needs), and its sections.

    What is kept of a file is its [`Exports`](exports.py), the very bytes the workers of a
    cold build make of each page as they prepare it (they keep them here as they go), or that a
    lazy index makes of a file it parses.

    A one-page rebuild resolves the page's names through the modules it imports: on PyTorch,
    `optim/adam.py` reads eleven, `torch/__init__.py` and `_tensor.py` among them, and parsing
    and collecting them took 0.15 s of the rebuild; unpickling what they bind takes a
    hundredth of it. `CACHE_DIR/xref/collected/ab/NAME`, one file per path of the tree (an
    edit replaces it), holds a line with the format, the stamp of what it was made from (the
    file's sha256, its module name, the section rule, Python's version and labml_docs' own
    source) and the sha256 of the rest, then the pickle. A file whose line or checksum does
    not match is a miss: the file is parsed and collected as before. (The folder is the
    build's own cache, as trusted as Jinja's compiled templates beside it, also pickles.)"""

    def __init__(self, cache_dir: str | Path, files: Mapping[str, TreeFile],
                 digests: Mapping[str, str | None], sections: SectionRule):
        self.folder = Path(cache_dir) / "xref" / "collected"
        self.files, self.digests, self.sections = files, digests, sections
        self.hits = self.misses = 0

    def _where(self, path: str, name: str, is_package: bool) -> tuple[Path, str] | None:
        """The file that keeps `path`, and the stamp it must carry."""
        digest = self.digests.get(path)
        if digest is None:
            return None
        from ..fingerprint import package_hash

        stamp = sha256(f"{digest}\0{name}\0{is_package}\0{self.sections}\0{sys.version}\0"
                       f"{package_hash()}")[:32]
        key = sha256(f"{path}\0{name}")[:32]
        return self.folder / key[:2] / key, stamp

    def get(self, path: str, name: str, is_package: bool) -> tuple[str, Any] | None:
        """`(source, collected)` of a file that has not changed since it was kept: its text as
        the page builder decodes it, and what `put` kept."""
        where = self._where(path, name, is_package)
        if where is None:
            return None
        target, stamp = where
        try:
            raw = target.read_bytes()
            head, _, body = raw.partition(b"\n")
            if head.decode("ascii") != f"{COLLECTED_FORMAT} {stamp} {sha256(body)}":
                raise ValueError("stamp")
            data = self.files[path].absolute.read_bytes()
            if sha256(data) != self.digests[path]:
                raise ValueError("changed")
            text, _ = read_source(path, data)
            if text is None:
                raise ValueError("undecodable")
            collected = pickle.loads(body)
        except Exception:  # noqa: BLE001 - a miss: unpickling damaged bytes raises anything
            self.misses += 1
            return None
        self.hits += 1
        return text, collected

    def put(self, path: str, name: str, is_package: bool, collected: Any) -> None:
        """Keep what was collected of `path` (unless it is kept already)."""
        try:
            body = pickle.dumps(collected, protocol=pickle.HIGHEST_PROTOCOL)
        except (pickle.PicklingError, RecursionError):
            return  # only a miss next time
        self.put_pickled(path, name, is_package, body)

    def put_pickled(self, path: str, name: str, is_package: bool, body: bytes) -> None:
        """`put`, of what is already pickled (the exports a worker made while preparing the
        page)."""
        where = self._where(path, name, is_package)
        if where is None:
            return
        target, stamp = where
        try:
            with open(target, "rb") as f:
                if f.readline().startswith(f"{COLLECTED_FORMAT} {stamp} ".encode("ascii")):
                    return
        except OSError:
            pass
        try:
            write_atomic(target, f"{COLLECTED_FORMAT} {stamp} {sha256(body)}\n"
                         .encode("ascii") + body, cache=True)
        except OSError:
            pass  # only a miss next time


__all__ = ["CollectedFiles", "FileSummaries", "Summary", "TreeFile", "read_page", "summary_of"]
