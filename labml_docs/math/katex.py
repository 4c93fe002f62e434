"""
---
title: Finding KaTeX
summary: >
  Where the npm package katex and Node.js are, which commands KaTeX may trust, and the CSS and
  fonts a site needs.
---

# Finding KaTeX

The fast engine runs the npm package `katex`, pinned in the repository's `package.json`, with
Node.js. Neither is a Python package, so both are looked for on the machine: KaTeX in a folder
given by a flag or an environment variable, else in `node_modules` of the working folder, its
parents, or the repository. When it is missing, the message says how to install it.

The same package gives the site its stylesheet and fonts: a formula rendered on the server
still needs KaTeX's CSS in the reader's browser.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from ..atomic import write_atomic
from .contract import KatexNotFoundError

__all__ = [
    "INSTALL_HINT",
    "KATEX_ENV_VAR",
    "NODE_ENV_VAR",
    "PINNED_KATEX_VERSION",
    "TRUSTED_COMMANDS",
    "UNTRUSTED_COMMANDS",
    "copy_katex_assets",
    "find_katex_dir",
    "find_node",
    "katex_asset_files",
    "katex_assets_dir",
]

PINNED_KATEX_VERSION = "0.16.22"
KATEX_ENV_VAR = "LABML_DOCS_KATEX_DIR"
NODE_ENV_VAR = "LABML_DOCS_NODE"
#: The repository (the folder that holds `labml_docs/`): its `node_modules` is the last place
#: looked in.
REPO_ROOT = Path(__file__).resolve().parents[2]
#: The only command allowed by KaTeX's `trust` option (used to colour equation terms).
TRUSTED_COMMANDS = ("\\htmlClass",)
#: Commands that need `trust` in KaTeX; all but TRUSTED_COMMANDS are refused.
UNTRUSTED_COMMANDS = ("\\href", "\\url", "\\htmlId", "\\htmlStyle", "\\htmlData", "\\includegraphics")

INSTALL_HINT = (
    f"KaTeX {PINNED_KATEX_VERSION} (the npm package `katex`) was not found. Install it with "
    "`npm install` in the labml-docs repository (package.json pins it), or with "
    f"`npm install katex@{PINNED_KATEX_VERSION} --prefix DIR` and point labml-docs at it with "
    f"--katex-dir DIR or the environment variable {KATEX_ENV_VAR}=DIR."
)


def _katex_package(candidate: Path) -> Path | None:
    """The katex package folder at, or inside, `candidate` (package, node_modules or prefix)."""
    for path in (candidate, candidate / "katex", candidate / "node_modules" / "katex"):
        manifest = path / "package.json"
        try:
            if manifest.is_file() and json.loads(manifest.read_text("utf-8")).get("name") == "katex":
                return path
        except (OSError, ValueError):
            continue
    return None


def find_katex_dir(katex_dir: str | os.PathLike[str] | None = None) -> Path:
    """The folder of the npm package katex.

    Looked for in order: `katex_dir` (the package itself, a `node_modules` folder or an npm
    `--prefix` folder), the environment variable `LABML_DOCS_KATEX_DIR`, `node_modules` of
    the current directory and its parents, and `node_modules` beside the labml_docs package.
    """
    if katex_dir is not None:
        found = _katex_package(Path(katex_dir).expanduser())
        if found is None:
            raise KatexNotFoundError(f"No katex package in {katex_dir}. " + INSTALL_HINT)
        return found.resolve()
    env = os.environ.get(KATEX_ENV_VAR)
    if env:
        found = _katex_package(Path(env).expanduser())
        if found is None:
            raise KatexNotFoundError(f"No katex package in {KATEX_ENV_VAR}={env}. " + INSTALL_HINT)
        return found.resolve()
    cwd = Path.cwd().resolve()
    for folder in (cwd, *cwd.parents, REPO_ROOT):
        found = _katex_package(folder / "node_modules")
        if found is not None:
            return found.resolve()
    raise KatexNotFoundError(INSTALL_HINT)


def find_node(node: str | None = None) -> str | None:
    """The `node` executable: `node`, env `LABML_DOCS_NODE`, or `node` on PATH."""
    node = node or os.environ.get(NODE_ENV_VAR) or "node"
    return shutil.which(node)


# ## The site's KaTeX assets


def katex_assets_dir(katex_dir: str | os.PathLike[str] | None = None) -> Path:
    """The `dist` folder of the katex package found: `katex.min.css` and `fonts/`."""
    dist = find_katex_dir(katex_dir) / "dist"
    if not (dist / "katex.min.css").is_file() and not (dist / "katex.css").is_file():
        raise KatexNotFoundError(f"{dist} holds no katex.min.css. " + INSTALL_HINT)
    return dist


def katex_asset_files(katex_dir: str | os.PathLike[str] | None = None) -> list[tuple[str, Path]]:
    """`(name in the site's KaTeX folder, source file)`: the stylesheet, then the fonts."""
    dist = katex_assets_dir(katex_dir)
    css = dist / "katex.min.css"
    if not css.is_file():
        css = dist / "katex.css"
    files = [("katex.min.css", css)]
    for pattern in ("*.woff2", "*.woff", "*.ttf"):
        files += [(f"fonts/{font.name}", font) for font in sorted((dist / "fonts").glob(pattern))]
    return files


def copy_katex_assets(dest: str | os.PathLike[str], katex_dir: str | os.PathLike[str] | None = None) -> Path:
    """Copy KaTeX's CSS and fonts into `dest` (e.g. `site/assets/katex`).

    Writes `dest/katex.min.css` (from `katex.min.css`, or `katex.css` if that is all there is)
    and `dest/fonts/*.woff2`, `*.woff` and `*.ttf`. Unchanged files are not copied again.
    Returns the path of the CSS file.
    """
    dest = Path(dest)
    (dest / "fonts").mkdir(parents=True, exist_ok=True)
    copies = [(src, dest / name) for name, src in katex_asset_files(katex_dir)]
    for src, dst in copies:
        try:
            s, d = src.stat(), dst.stat()
            if s.st_size == d.st_size and int(s.st_mtime) <= int(d.st_mtime):
                continue
        except OSError:
            pass
        write_atomic(dst, src.read_bytes())
    return dest / "katex.min.css"
