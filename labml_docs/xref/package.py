"""
# Module names and the tree's package

A file's page is named by its path (`optimizers/adam.py`), but its code imports it by a dotted
name (`labml_nn.optimizers.adam`). The folder documented is often the package itself, so the
top name is not in the paths: we find it in the tree's own absolute imports, which say how the
authors name their modules. Only the imports are needed, which is why the lazy index can keep
them per file (`summaries.FileSummaries`) and decide the package without parsing anything.
"""

from __future__ import annotations

import ast
import posixpath
import re
from pathlib import Path

from ..parse import statements


def module_name(path: str, package: str) -> tuple[str, bool]:
    """`optimizers/adam.py` → `(package.optimizers.adam, False)`; an `__init__.py` file is its
    folder's package: `(package.optimizers, True)`."""
    parts = path[:-3].split("/") if path.endswith(".py") else path.split("/")
    is_package = parts[-1] == "__init__"
    if is_package:
        parts = parts[:-1]
    parts = ([package] if package else []) + parts
    return ".".join(p for p in parts if p), is_package


def imported_names(tree: ast.Module) -> list[str]:
    """The modules a file imports absolutely (imports are statements: expressions are skipped)."""
    names: list[str] = []
    for node in statements(tree.body):
        if isinstance(node, ast.ImportFrom):
            if not node.level and node.module:
                names.append(node.module)
        elif isinstance(node, ast.Import):
            names.extend(a.name for a in node.names)
    return sorted(names)


def infer_package(paths: list[str], trees: list[ast.Module]) -> str:
    """The tree's top package name, from its absolute imports of its own modules.

    `from labml_nn.optimizers.adam import Adam` in a tree holding `optimizers/adam.py` votes for
    `labml_nn`; in a tree holding `labml_nn/optimizers/adam.py`, for no prefix at all.
    """
    return vote(paths, [imported_names(tree) for tree in trees])


def vote(paths: list[str], imports: list[list[str]]) -> str:
    """The package the imports (one list per file) name the modules of `paths` under; the
    most votes win, the first in alphabetical order on a tie; `""` when none is imported."""
    modules = set()
    for path in paths:
        name, _ = module_name(path, "")
        if name:
            modules.add(name)
    votes: dict[str, int] = {}
    for names in imports:
        for name in names:
            if name in modules:
                votes[""] = votes.get("", 0) + 1
            head, _, rest = name.partition(".")
            if rest in modules:
                votes[head] = votes.get(head, 0) + 1
    if not votes:
        return ""
    return max(sorted(votes), key=lambda k: votes[k])


def package_of(paths: list[str], imports: list[list[str]],
               source_dir: str | Path | None) -> str:
    """The vote's package, else the name of the source folder, else none."""
    package = vote(paths, imports)
    if not package and source_dir:
        package = posixpath.basename(str(source_dir).replace("\\", "/").rstrip("/"))
    return package


# An absolute import at the start of a line: `from torch.nn import Module`, `import torch.nn`.
_IMPORT_LINE = re.compile(r"^[ \t]*(?:from[ \t]+([A-Za-z_][\w.]*)[ \t]+import\b"
                          r"|import[ \t]+([A-Za-z_][\w.]*))", re.M)


def guess_package(paths: list[str], sample: list[Path], source_dir: str | Path | None) -> str:
    """The package `package_of` will most likely name the tree's modules under, voted by the
    imports of a `sample` of the files (of `paths`), found by a regular expression rather than
    parsed: the workers that prepare the pages collect their exports under a package before
    every file's imports are known. Only a guess: the index settles the package itself.

    The name of the tree's folder is a poor guess when the folder is not the package (a
    checkout of `torch/` copied to `tree/`, a `src/` folder holding the package): every
    export was then made under the wrong name, and the files were parsed again."""
    imports = []
    for path in sample:
        try:
            text = Path(path).read_text("utf-8", errors="replace")
        except OSError:
            continue
        imports.append([a or b for a, b in _IMPORT_LINE.findall(text)])
    return package_of(paths, imports, source_dir)


__all__ = ["guess_package", "imported_names", "infer_package", "module_name", "package_of",
           "vote"]
