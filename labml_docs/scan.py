"""
---
title: The source tree
summary: >
  Which files of a folder are pages, which are assets, and which folders are not part of
  the tree.
---

# The source tree

A build reads every `.py` file and every `readme.md` of the source folder, and copies its images
and data files as they are:

* `X/Y.py` → `X/Y.html`, `X/__init__.py` → `X/index.html`, `X/readme.md` → `X/readme.html`;
* `X/plot.png` → `X/plot.png`.

Hidden folders, caches and build outputs (`site/`, `build/`, `dist/`, `node_modules/`,
`*.egg-info`) are not part of the tree, and a symbolic link to a file outside the tree is left
out unless the settings allow it. An output folder must never be read as part of the tree, nor
overwrite it: `check_output_folder` says so before anything is written.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from .diagnostics import Diagnostic
from .publish import FolderRefused
from .urls import page_url

ASSET_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".csv", ".json", ".txt",
                  ".pdf", ".mp4", ".webm"}
#: `labml-docs-site` is where `labml-docs build` writes by default: `labml-docs build .` from
#: inside a tree puts it there, and the next build must not read it as part of the tree.
SKIPPED_DIRS = {"__pycache__", "node_modules", "site", "labml-docs-site", "build", "dist"}
#: What a file of the tree becomes.
SourceKind = Literal["python", "markdown", "asset"]


@dataclass
class SourceFile:
    """A file of the tree: its path relative to the tree (with `/`), and what it becomes."""
    path: str
    # Where it is on disk (a string: a thousand `Path`s cost a one-page rebuild 10 ms).
    location: str
    kind: SourceKind
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
         skipped: list[Diagnostic] | None = None,
         leave_out: Iterable[Path | None] = ()) -> list[SourceFile]:
    """Every page and asset of the tree, in a fixed order.

    A file that is a symbolic link to somewhere outside the tree (`readme.md -> /etc/passwd`)
    is left out, unless `follow_external_symlinks`; a warning for each goes into `skipped`.
    So are the folders `leave_out` (the build's cache, when it lies inside the tree: what the
    build writes there is not part of the tree)."""
    files: list[SourceFile] = []
    top = os.fspath(source_dir)
    real_top = os.path.realpath(top)
    inside = {real for real in (os.path.realpath(p) for p in leave_out if p is not None)
              if _inside(real, real_top)}
    # `os.scandir` rather than `os.walk`: its entries know whether they are links and folders
    # without a `stat` each (on PyTorch's 2,285 files, a third of a rebuild's scan).
    folders = [(top, "")]
    while folders:
        root, prefix = folders.pop()
        try:
            with os.scandir(root) as listing:
                entries = list(listing)
        except OSError:
            continue
        for item in entries:
            name = item.name
            try:
                is_dir = item.is_dir()
            except OSError:
                continue
            if is_dir:  # (a link to a folder is not followed, as `os.walk` does not)
                if not item.is_symlink() and not skipped_dir(name) \
                        and not (inside and os.path.realpath(item.path) in inside):
                    folders.append((item.path, prefix + name + "/"))
                continue
            if name.startswith("."):
                continue
            lower = name.lower()
            suffix = os.path.splitext(lower)[1]
            kind: SourceKind
            if suffix == ".py":
                kind = "python"
            elif lower == "readme.md":
                kind = "markdown"
            elif suffix in ASSET_SUFFIXES:
                kind = "asset"
            else:
                continue
            if not follow_external_symlinks and item.is_symlink() \
                    and not _inside(os.path.realpath(item.path), real_top):
                if skipped is not None:
                    skipped.append(Diagnostic(
                        prefix + name, 1, "skipped: a symbolic link to a file outside the "
                        "source tree (set follow_external_symlinks to publish it)", "warning"))
                continue
            files.append(SourceFile(prefix + name, item.path, kind))
    return _one_file_per_page(sorted(files, key=lambda f: f.path), skipped)


def _one_file_per_page(files: list[SourceFile], skipped: list[Diagnostic] | None) -> list[SourceFile]:
    """Two files that would make the same page (`X/__init__.py` and `X/index.py` both make
    `X/index.html`; `readme.md` and `readme.py`): the package's own file, else the first by
    name, keeps it, and the other is left out with a warning."""
    owner: dict[str, SourceFile] = {}
    for file in sorted(files, key=lambda f: (not f.path.endswith("__init__.py"), f.path)):
        first = owner.setdefault(file.url, file)
        if first is not file and skipped is not None:
            skipped.append(Diagnostic(file.path, 1, f"skipped: its page would be {file.url}, "
                                      f"which {first.path} makes", "warning"))
    return [file for file in files if owner[file.url] is file]


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
