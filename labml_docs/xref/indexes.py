"""
# The index: definitions, and the links of each page

`XrefIndex` answers what the page builder asks of one page: its links (`(line, column)` → the
address of the section showing the definition), the files those links depend on, a fingerprint
of the links for the page cache. It comes in two modes, which give the same answers:

- `EagerIndex` reads, collects and resolves every file of the tree when it is made. It is then
  plain data and pickles, for worker processes that are not forked.
- `LazyIndex` reads a file when a page's links first need it. A build that renders one page of a
  thousand reads a handful; forked workers each get one and read what their pages need. What an
  earlier build collected of a file that has not changed since is unpickled rather than parsed
  again (`summaries.CollectedFiles`): a one-page rebuild of PyTorch parses only its own page.

`index_files` makes either from the build's list of files, deciding the tree's package from
the per-file summaries ([`summaries`](summaries.py)) when it is lazy.

## What a page's links depend on

A page's links are a function of the facts of other files that its look-ups read
([`resolve`](resolve.py): what a module or a class binds a name to, a module's star imports, a
class's bases), each described here as the page sees it: a definition by its kind, name and the
*section* of its page that shows it, not by its line. `fact_record` gives, per other file, the
facts read and one digest of their values; the build keeps it with the page and, when that file
changes, asks `facts_digest` of the new file. The same digest: the page's links are the same,
and the page is not rendered again. So a comment, a note or a function body edited changes no
other page; a definition renamed, added or moved to another section renders the pages that
looked it up.
"""

from __future__ import annotations

import ast
import gc
import hashlib
import posixpath
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..config import SectionRule
from ..parse import Page
from ..urls import page_url
from .collect import (
    Binding,
    ClassInfo,
    Def,
    Definition,
    FromImport,
    ModuleImport,
    ModuleInfo,
    Opaque,
    SelfParam,
    collect,
    syntax_tree,
)
from .exports import Exports, section_runs, source_digest
from .package import imported_names, module_name, package_of
from .resolve import Fact, ModuleValue, Resolver, Value
from .summaries import CollectedFiles, FileSummaries, Summary, TreeFile, read_page

# `(line, column)` of a name's first character → the address of its definition.
Links = dict[tuple[int, int], str]


class XrefIndex:
    """The definitions of a tree, and the links of each of its pages: what both modes share.

    Make one with `XrefIndex.build` (eager) or `XrefIndex.lazy`, or from a build's files with
    `index_files`.
    """

    def __init__(self, package: str, resolver: Resolver | None):
        self.package = package
        # Path → the page's source, its targets, and the other files its links depend on.
        self._sources: dict[str, str] = {}
        self._targets: dict[str, dict[tuple[int, int], Definition]] = {}
        self._dependencies: dict[str, frozenset[str]] = {}
        self._definitions: dict[str, Definition] = {}
        # Path → the runs of consecutive lines one section shows (first lines, last lines,
        # sections: a few numbers a section, where a dictionary of every line took a hundred
        # bytes a line), and the first lines of the sections with code.
        self._section_runs: dict[str, tuple[list[int], list[int], list[int]]] = {}
        self._section_starts: dict[str, list[tuple[int, int]]] = {}
        self._links: dict[str, Links] = {}
        # Path → the facts of other files its links were read from (see `fact_record`).
        self._facts: dict[str, frozenset[Fact]] = {}
        self._fact_records: dict[str, dict[str, list[str]]] = {}
        # Path → its module and its classes by dotted name, once collected.
        self._modules: dict[str, ModuleInfo] = {}
        self._classes_of: dict[str, dict[str, ClassInfo]] = {}
        # Path → the digest of its text, for files known by their exports (not their text).
        self._file_digests: dict[str, str] = {}
        # The look-up machinery; `None` in a process the index was sent to (not pickled).
        self._resolver = resolver

    @staticmethod
    def build(pages: Iterable[Page], package: str | None = None,
              source_dir: str | Path | None = None) -> EagerIndex:
        """The index of the Python pages of a tree, computed now (see `EagerIndex`)."""
        return EagerIndex(pages, package, source_dir)

    @staticmethod
    def lazy(paths: list[str], package: str, load: Callable[[str], Page | None]) -> LazyIndex:
        """An index that reads a file when a page needs it (see `LazyIndex`)."""
        return LazyIndex(paths, package, load)

    # ### Building, in either mode

    def _machinery(self) -> Resolver:
        if self._resolver is None:
            raise RuntimeError("lookup() needs the index in the process that built it")
        return self._resolver

    def _add_known(self, paths: list[str]) -> None:
        self._add_names([module_name(path, self.package)[0] for path in paths])

    def _add_names(self, names: list[str]) -> None:
        """Every module name, and the packages holding it, is one of the tree's."""
        known = self._machinery().known
        for name in names:
            if not name or name in known:
                continue
            known.add(name)
            head, dot, _ = name.rpartition(".")
            while dot and head not in known:
                known.add(head)
                head, dot, _ = head.rpartition(".")

    def _collect(self, page: Page, tree: ast.Module, order: int) -> ModuleInfo:
        """Collect a file (`order`: its place in the tree's path order)."""
        name, is_package = module_name(page.path, self.package)
        # (Its lines are split from the source when its own names are resolved.)
        module, classes = collect(tree, name, page.path, [], is_package)
        self._machinery().add_module(module, classes, order)
        self._index_sections(page)
        self._sources[page.path] = page.source
        self._modules[page.path], self._classes_of[page.path] = module, classes
        return module

    def _resolve_targets(self, module: ModuleInfo) -> None:
        resolver = self._machinery()
        path = module.path
        module.lines = self._sources[path].split("\n")
        targets, consulted = resolver.track(lambda: resolver.targets(module))
        module.lines = []
        self._targets[path] = targets
        self._facts[path] = frozenset(f for f in consulted if f[0] != path)
        files = {f[0] for f in consulted} | {d.path for d in targets.values()}
        self._dependencies[path] = frozenset(files - {path})
        # The ASTs are not needed any more.
        module.sites = []
        resolver.forget_nodes()

    def _find_definitions(self, modules: list[ModuleInfo]) -> dict[str, Definition]:
        found: dict[str, Definition] = {}
        classes = self._machinery().classes.values()
        for scope in [m.scope for m in modules] + [c.scope for c in classes]:
            for _, binding in scope.bindings.values():
                if isinstance(binding, Def):
                    found.setdefault(binding.definition.qualname, binding.definition)
        return dict(sorted(found.items()))

    def _index_sections(self, page: Page) -> None:
        self._section_runs[page.path], self._section_starts[page.path] = section_runs(page)

    # What a lazy index must do before it answers; the eager one has done it all.

    def _prepare(self, page: Page) -> None:
        """Make sure the links of `page` are known."""

    def _prepare_sections(self, path: str) -> None:
        """Make sure the sections of the file `path` are known."""

    # ### Sections

    def section_of(self, path: str, line: int) -> int | None:
        """The section showing `line`, else the next section with code, else the last one."""
        self._prepare_sections(path)
        runs = self._section_runs.get(path)
        if runs is not None:
            firsts, lasts, sections = runs
            n = bisect_right(firsts, line) - 1
            if n >= 0 and line <= lasts[n]:
                return sections[n]
        starts = self._section_starts.get(path, [])
        for first, i in starts:
            if first > line:
                return i
        return starts[-1][1] if starts else None

    def href(self, definition: Definition, from_path: str | None = None) -> str | None:
        """The address of a definition, relative to the page of `from_path` if given."""
        section = self.section_of(definition.path, definition.line)
        if section is None:
            return None
        if from_path == definition.path:
            return f"#section-{section}"
        target = page_url(definition.path)
        if from_path is not None:
            here = posixpath.dirname(page_url(from_path)) or "."
            target = posixpath.relpath(target, here)
        return f"{target}#section-{section}"

    # ### Definitions

    def definitions(self) -> dict[str, Definition]:
        """Every definition of the tree by its dotted name."""
        return dict(self._definitions)

    def lookup(self, dotted: str) -> Definition | None:
        """The definition a dotted name (`labml_nn.optimizers.Adam`) refers to, if any.

        Only in the process that built the index (the look-up machinery is not pickled).
        """
        resolver = self._machinery()
        parts = dotted.split(".")
        for i in range(len(parts), 0, -1):
            if ".".join(parts[:i]) in resolver.known:
                break
        else:
            return None
        value: Value = ModuleValue(".".join(parts[:i]))
        for attr in parts[i:]:
            member = resolver.member(value, attr, 0)
            if member is None:
                return None
            value = member
        return value if isinstance(value, Definition) else None

    # ### Links of a page

    def _indexed(self, page: Page) -> bool:
        """Only the text that was indexed gets links: positions of another text would be wrong."""
        self._prepare(page)
        return self._sources.get(page.path) == page.source

    def targets(self, page: Page) -> dict[tuple[int, int], Definition]:
        """`(line, column)` → the definition, for every linked name of the page."""
        return dict(self._targets[page.path]) if self._indexed(page) else {}

    def links_for(self, page: Page) -> Links:
        """`(line, column)` → href relative to the page, for every name with a definition."""
        if not self._indexed(page):
            return {}
        if page.path not in self._links:
            links: Links = {}
            for position, definition in self._targets[page.path].items():
                href = self.href(definition, page.path)
                if href is not None:
                    links[position] = href
            self._links[page.path] = links
        return dict(self._links[page.path])

    def linked_files(self, page: Page) -> set[str]:
        """The other files whose definitions the page links to."""
        if not self._indexed(page):
            return set()
        return {d.path for d in self._targets[page.path].values() if d.path != page.path}

    def dependencies(self, page: Page) -> set[str]:
        """The other files a change to which may change the page's links.

        The files its links land in, and also those they were resolved through: a re-exporting
        `__init__.py`, a module whose names the page imports (a name defined there later becomes
        a link), the files of the base classes searched for `self.method`.
        """
        return set(self._dependencies.get(page.path, ())) if self._indexed(page) else set()

    # ### Dependencies on definitions

    def fact_record(self, page: Page) -> dict[str, list[str]]:
        """Per other file the page's links were read from: the digest of the values of the
        facts read there, then the facts (`"kind|scope|name"`), for `facts_digest` to check."""
        if not self._indexed(page):
            return {}
        if page.path not in self._fact_records:
            self._fact_records[page.path] = self._record_facts(page.path)
        return dict(self._fact_records[page.path])

    def _record_facts(self, page_path: str) -> dict[str, list[str]]:
        by_path: dict[str, list[Fact]] = {}
        for fact in self._facts.get(page_path, ()):
            by_path.setdefault(fact[0], []).append(fact)
        record: dict[str, list[str]] = {}
        for path in sorted(by_path):
            keys = sorted("|".join(f[1:]) for f in by_path[path])
            record[path] = [self.facts_digest(path, keys), *keys]
        return record

    def facts_digest(self, path: str, keys: list[str]) -> str:
        """The digest of the values, in the tree as this index reads it, of facts of the file
        `path` (as `fact_record` writes them)."""
        self._prepare_module(path)
        digest = hashlib.sha256()
        for key in keys:
            kind, _, rest = key.partition("|")
            scope, _, name = rest.partition("|")
            digest.update(f"{key}={self._fact_value(path, kind, scope, name)}\n".encode())
        return digest.hexdigest()

    def _fact_value(self, path: str, kind: str, scope: str, name: str) -> str:
        """A fact of a file as a page sees it (`-`: the file, scope or name is not there)."""
        module = self._modules.get(path)
        if module is None:
            return "-"
        if kind == "file":
            digest = self._file_digests.get(path)
            return digest if digest is not None else source_digest(self._sources.get(path, ""))
        if kind == "star":
            return " ".join(module.scope.star_imports) if scope == module.name else "-"
        info = self._classes_of[path].get(scope)
        if kind == "bases":
            return "-" if info is None else " ".join(ast.dump(b) for b in info.bases)
        found = module.scope if scope == module.name else info.scope if info else None
        return "-" if found is None else self._describe(found.get(name))

    def _describe(self, binding: Binding | None) -> str:
        """A binding as a page's links see it: a definition by its section, not its line."""
        if binding is None:
            return "-"
        if isinstance(binding, Def):
            d = binding.definition
            return f"def {d.kind} {d.qualname} {self.section_of(d.path, d.line)}"
        if isinstance(binding, FromImport):
            return f"from {binding.module} {binding.name}"
        if isinstance(binding, ModuleImport):
            return f"import {binding.module}"
        if isinstance(binding, SelfParam):
            return f"self {binding.cls.definition.qualname}"
        assert isinstance(binding, Opaque)
        return "opaque"

    def _prepare_module(self, path: str) -> None:
        """Make sure the file `path` is collected, if it is one of the tree and parses."""

    def fingerprint(self, page: Page) -> str:
        """A stable hash of the page's links: equal fingerprints, equal links."""
        digest = hashlib.sha256()
        for (line, col), href in sorted(self.links_for(page).items()):
            digest.update(f"{line}:{col}:{href}\n".encode())
        return digest.hexdigest()


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Collecting makes many small objects while the trees are alive: the cyclic garbage
    collector would scan the trees again and again for nothing."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class EagerIndex(XrefIndex):
    """Every file of the tree read, collected and resolved when the index is made; then the
    index is plain data: it pickles, for worker processes (without `lookup`)."""

    def __init__(self, pages: Iterable[Page], package: str | None = None,
                 source_dir: str | Path | None = None):
        """Index the Python pages of a tree.

        `package` is the tree's top package name (`labml_nn`): `optimizers/adam.py` is the module
        `labml_nn.optimizers.adam`. By default it is the name the tree's own absolute imports
        use, else the name of `source_dir`, else none (modules are named by their paths).
        """
        with _cyclic_gc_paused():
            python = sorted((p for p in pages
                             if p.language == "python" and p.path.endswith(".py")),
                            key=lambda p: p.path)
            parsed = []
            for page in python:
                tree = syntax_tree(page)
                if tree is not None:
                    parsed.append((page, tree))
            imports = {p.path: imported_names(t) for p, t in parsed}
            if package is None:
                package = package_of([p.path for p, _ in parsed], list(imports.values()),
                                     source_dir)
            super().__init__(package, Resolver())
            # Path → the modules it imports: what `FileSummaries` keeps for the lazy indexes of
            # later builds (not pickled).
            self.imports: dict[str, list[str]] = imports
            self._add_known([p.path for p, _ in parsed])
            modules = [self._collect(page, tree, order)
                       for order, (page, tree) in enumerate(parsed)]
            for module in modules:
                self._resolve_targets(module)
            self._definitions = self._find_definitions(modules)
            # What a worker it is sent to cannot compute without the syntax trees.
            for module in modules:
                self._fact_records[module.path] = self._record_facts(module.path)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_resolver"] = None
        state["imports"] = {}
        state["_modules"], state["_classes_of"] = {}, {}
        return state


class LazyIndex(XrefIndex):
    """An index that reads, collects and resolves a file only when a page needs it.

    `paths` are the tree's Python files that parse, `load(path) -> Page | None` reads one.
    The links and dependencies of a page are the same as those of `EagerIndex` over the whole
    tree; a build that renders a few pages reads a few files rather than all of them.
    It does not pickle: a worker process gets one by being forked.
    """

    def __init__(self, paths: Sequence[str], package: str, load: Callable[[str], Page | None],
                 collected: CollectedFiles | None = None):
        super().__init__(package, Resolver(self._load_module))
        paths = sorted(paths)
        # Path → its place in path order (of two files of one module name, the first answers).
        self._order = {path: n for n, path in enumerate(paths)}
        # Module name → its files not collected yet.
        self._by_name: dict[str, list[str]] = {}
        names = [module_name(path, package)[0] for path in paths]
        for path, name in zip(paths, names):
            self._by_name.setdefault(name, []).append(path)
        self._load_page = load
        # Path → its page once read (`None`: it could not be, or it is collected).
        self._pages: dict[str, Page | None] = {}
        # The files collected without the places their names are read (see `_load_module`).
        self._bare: set[str] = set()
        # Whether to collect so: in a worker, which finishes some of the pages; not in a
        # process that finishes them all (it would collect most files twice).
        self.lean = True
        # Path → its exports, as bytes (`use_exports`).
        self._exports: Mapping[str, bytes] = {}
        # What earlier builds collected of the files other pages look into (`None`: no cache).
        self._collected = collected
        self._add_names(names)

    def __getstate__(self) -> dict[str, Any]:
        raise TypeError("a lazy index does not pickle: use XrefIndex.build")

    def lend(self, pages: Mapping[str, Page]) -> None:
        """Pages this process has just parsed, with their syntax trees, by path: read them
        rather than the files (each is taken once, when it is collected)."""
        for path, page in pages.items():
            if path in self._order and path in self._by_name.get(
                    module_name(path, self.package)[0], ()):
                self._pages.setdefault(path, page)

    def use_exports(self, exports: Mapping[str, bytes]) -> None:
        """What the build's workers collected of each file as they prepared it, by path (see
        [`exports`](exports.py)): a file is loaded from there rather than parsed, when it was
        collected under this index's package."""
        self._exports = exports

    def _page(self, path: str) -> Page | None:
        """The page of a file of the tree (read when first asked for)."""
        if path not in self._pages:
            self._pages[path] = self._load_page(path) if path in self._order else None
        return self._pages[path]

    def _load_module(self, name: str, own: str | None = None) -> None:
        """Collect every file of the module `name` (the first one in path order answers).

        Of a file other than `own` (the page whose links are asked for), only what other
        files look up is kept: its module and class scopes. The places its names are read,
        with their syntax nodes and the scopes of its functions, are most of an index's memory,
        and only its own page needs them (`_prepare` collects it again if it comes to that)."""
        paths = self._by_name.pop(name, None)
        if paths is None:
            return
        for path in paths:
            if path != own and (self._load_exports(path) or self._kept(path)):
                continue
            page = self._page(path)
            tree = syntax_tree(page) if page is not None else None
            if page is not None and tree is not None:
                module = self._collect(page, tree, self._order[path])
                if self._collected is not None:  # (its own page too: for other pages' builds)
                    sites, module.sites = module.sites, []
                    self._collected.put(path, *module_name(path, self.package), Exports(
                        self.package, module, self._classes_of[path], self._section_runs[path],
                        self._section_starts[path], source_digest(page.source)))
                    module.sites = sites
                if self.lean and path != own:
                    module.sites = []
                    self._bare.add(path)
                # Collected: its sections and source are kept, its page is not needed any more.
                self._pages[path] = None

    def _load_exports(self, path: str) -> bool:
        """Collect a file from the exports this build's workers made of it, as `_load_module`
        would without its own page."""
        blob = self._exports.get(path)
        exports = Exports.load(blob) if blob is not None else None
        if exports is None or not self._take(path, exports):
            return False
        self._file_digests[path] = exports.digest
        return True

    def _kept(self, path: str) -> bool:
        """Take what an earlier build collected of a file another page looks into, if the
        file is unchanged (`CollectedFiles`): as `_collect` and a lean `_load_module` leave it."""
        if self._collected is None:
            return False
        found = self._collected.get(path, *module_name(path, self.package))
        if found is None or not self._take(path, found[1]):
            return False
        self._sources[path] = found[0]
        return True

    def _take(self, path: str, exports: object) -> bool:
        """A file collected elsewhere (its `Exports`), without the places its names are read;
        `False` if it is not exports of this index's package."""
        if not isinstance(exports, Exports) or exports.package != self.package:
            return False
        self._machinery().add_module(exports.module, exports.classes, self._order[path])
        self._section_runs[path], self._section_starts[path] = exports.runs, exports.starts
        self._modules[path], self._classes_of[path] = exports.module, exports.classes
        self._bare.add(path)
        self._pages[path] = None
        return True

    def _prepare_module(self, path: str) -> None:
        if path in self._order:
            self._load_module(module_name(path, self.package)[0])

    def _prepare(self, page: Page) -> None:
        """Collect and resolve the page's file, if it is one of the tree."""
        if page.path in self._targets or page.path not in self._order:
            return
        # The page the build has just parsed is the one the index would read.
        self._pages.setdefault(page.path, page)
        name, is_package = module_name(page.path, self.package)
        self._load_module(name, own=page.path)
        module = self._modules.get(page.path)
        if module is not None and page.path in self._bare:
            # Collected for the look-ups of another page, without the places names are read:
            # again, for them. (Its scopes and classes as the resolver knows them stay: these
            # bind the same names to the same things.)
            self._bare.discard(page.path)
            self._sources[page.path] = page.source  # (known by its exports until now)
            tree = syntax_tree(page)
            module = collect(tree, name, page.path, [], is_package)[0] if tree else None
        if module is not None:
            self._resolve_targets(module)

    def forget(self, page: Page) -> None:
        """Drop what only the page itself asked for (its targets, links, facts and
        dependencies), once it is finished: an index that finishes every page of PyTorch kept
        them all. Other pages still find its definitions and sections. Asked again, the page
        is collected and resolved again, as a file first collected for another page is."""
        path = page.path
        if path in self._targets:
            for held in (self._targets, self._links, self._facts, self._fact_records,
                         self._dependencies):
                held.pop(path, None)
            self._bare.add(path)

    def _prepare_sections(self, path: str) -> None:
        if path not in self._section_runs:
            page = self._page(path)
            if page is not None:
                self._index_sections(page)

    def definitions(self) -> dict[str, Definition]:
        """Every definition of the tree (every file is read)."""
        for name in list(self._by_name):
            self._load_module(name)
        modules = [self._modules[p] for p in sorted(self._modules, key=self._order.__getitem__)]
        self._definitions = self._find_definitions(modules)
        return dict(self._definitions)


def index_files(files: Iterable[TreeFile], package: str | None = None,
                source_dir: str | Path | None = None, *, lazy: bool = False,
                digests: dict[str, str] | None = None,
                cache_dir: str | Path | None = None, sections: SectionRule = "labml",
                known: Mapping[str, Summary] | None = None) -> XrefIndex:
    """The index of a build's files (`SourceFile`s: `.path`, `.absolute`, `.kind`).

    For `Builder.xref_factory`: the links of one page depend on the other files of the tree. A
    file that cannot be read or parsed has no definitions.

    Eager (`lazy=False`): every Python file is read and parsed now; their summaries are left in
    `cache_dir` for the lazy indexes of later builds. Lazy: a `LazyIndex`; what it must know of
    every file (whether it parses, and what it imports, for the package name) comes from
    `cache_dir`, by the file's sha256 (`digests`: path → sha256). `sections`: the rule that
    cuts files into sections (see [`parse`](../parse.py)), for the sections links point at.
    `known`: summaries the build has just computed (`summaries.summary_of`), by sha256: files
    it has parsed are not parsed again for them.
    """
    python = [f for f in files
              if getattr(f, "kind", "python") == "python" and f.path.endswith(".py")]
    summaries = FileSummaries(cache_dir)
    summaries.learn(dict(known or {}))
    if lazy:
        index: XrefIndex = _lazy_index(python, package, source_dir, digests or {}, summaries,
                                       sections, cache_dir)
    else:
        index = _eager_index(python, package, source_dir, digests or {}, summaries, sections)
    summaries.save()
    return index


def _eager_index(python: list[TreeFile], package: str | None, source_dir: str | Path | None,
                 digests: dict[str, str], summaries: FileSummaries, sections: SectionRule) -> EagerIndex:
    pages: list[Page] = []
    shas: dict[str, str] = {}
    for file in python:
        page = read_page(file, shas, sections)
        if page is not None:
            pages.append(page)
    index = EagerIndex(pages, package, source_dir)
    # What a lazy index of the next builds will ask about every file, while it is known.
    for file in python:
        digest = digests.get(file.path)
        if digest is not None and shas.get(file.path) == digest:
            summaries.new[digest] = index.imports.get(file.path)
    return index


def _lazy_index(python: list[TreeFile], package: str | None, source_dir: str | Path | None,
                digests: dict[str, str], summaries: FileSummaries, sections: SectionRule,
                cache_dir: str | Path | None) -> LazyIndex:
    by_path = {f.path: f for f in python}
    files = {path: by_path[path] for path in sorted(by_path)}
    paths, found = summaries.tree(
        files, {path: digests.get(path) for path in files},
        lambda paths, imports: package_of(paths, imports, source_dir) if package is None else "",
        f"{package!r} {package_of([], [], source_dir)}")  # (the folder's name, else "")
    package = found if package is None else package
    collected = CollectedFiles(cache_dir, files, digests, sections) if cache_dir else None
    return LazyIndex(paths, package, lambda path: read_page(by_path[path], None, sections),
                     collected)


__all__ = ["EagerIndex", "LazyIndex", "Links", "XrefIndex", "index_files"]
