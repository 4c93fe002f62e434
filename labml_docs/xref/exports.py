"""
# Exports: what other pages look up in a file, made where the file is parsed

To link the names of one page, the index reads the files the page imports: what their modules
and classes bind, their star imports, the bases of their classes, and the sections that show
their definitions. With worker processes, each worker that finishes pages would read and parse
most of the tree again for that (PyTorch's `__init__.py` files star-import most of it): three
parses of every file in a build of two workers.

So the worker that *prepares* a page, which has just parsed it, also collects it and keeps
what others look up, as bytes (`make_exports`): the module and class scopes without the
places names are read (those hold the syntax tree, and only the page itself needs them), the
runs of lines of each section, and the digest of the source. The workers that finish pages get
these bytes from the build (forked with them) and unpickle a file's exports when a page first
looks into it (`Exports.load`), instead of parsing it.

Module names depend on the tree's package, which is known only once every file is prepared: the
exports are made under the package the build expects (the name of the tree's folder, the usual
answer), and used only if the index settles on the same one.
"""

from __future__ import annotations

import hashlib
import pickle
from dataclasses import dataclass

from ..parse import Page
from .collect import ClassInfo, ModuleInfo, collect
from .package import module_name

# The lines each section shows, as runs: first lines, last lines, sections. And the first line
# of each section with code, with its number.
SectionRuns = tuple[list[int], list[int], list[int]]
SectionStarts = list[tuple[int, int]]


def section_runs(page: Page) -> tuple[SectionRuns, SectionStarts]:
    """The runs of consecutive lines one section shows (a few numbers a section, where a
    dictionary of every line took a hundred bytes a line), and where sections with code start."""
    lines: dict[int, int] = {}
    starts: SectionStarts = []
    for i, section in enumerate(page.sections):
        if section.code:
            starts.append((section.code[0][0], i))
        for lineno, _ in section.code:
            lines.setdefault(lineno, i)
    firsts: list[int] = []
    lasts: list[int] = []
    sections: list[int] = []
    for line, i in sorted(lines.items()):
        if sections and sections[-1] == i and lasts[-1] == line - 1:
            lasts[-1] = line
        else:
            firsts.append(line)
            lasts.append(line)
            sections.append(i)
    return (firsts, lasts, sections), starts


def source_digest(source: str) -> str:
    """The digest of a file's text, as the fact "anything of this file" is valued."""
    return hashlib.sha256(source.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass
class Exports:
    """What other pages look up in one file, collected under `package`."""
    package: str
    module: ModuleInfo  # without the places names are read, nor the lines
    classes: dict[str, ClassInfo]
    runs: SectionRuns
    starts: SectionStarts
    digest: str  # `source_digest` of the file's text

    @staticmethod
    def load(blob: bytes) -> Exports:
        exports = pickle.loads(blob)
        assert isinstance(exports, Exports)
        return exports


def make_exports(page: Page, package: str) -> bytes | None:
    """The exports of a page just parsed (`None`: it has no syntax tree to collect). The tree is
    only read: the page keeps it."""
    tree = page.syntax_tree
    if tree is None or not page.path.endswith(".py"):
        return None
    name, is_package = module_name(page.path, package)
    module, classes = collect(tree, name, page.path, [], is_package)
    module.sites = []
    runs, starts = section_runs(page)
    return pickle.dumps(Exports(package, module, classes, runs, starts,
                               source_digest(page.source)), pickle.HIGHEST_PROTOCOL)


__all__ = ["Exports", "SectionRuns", "SectionStarts", "make_exports", "section_runs",
           "source_digest"]
