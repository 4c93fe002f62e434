"""
---
title: Building a site
summary: From a source tree to a folder of pages, published atomically.
---

# Building a site

A build reads every `.py` file and every `readme.md` of the source tree, renders each into a
page, and writes the site:

* `X/Y.py` → `X/Y.html`, `X/__init__.py` → `X/index.html`, `X/readme.md` → `X/readme.html`;
* the home page `index.html`: the root package's notes, if it has any, and a list of every page;
* `sitemap.xml`, the images of the tree, the stylesheets and scripts of `site_templates/assets`
  and KaTeX's stylesheet and fonts, so that pages work with no network.

The stages of a page are in [`page`](page.py); this module runs them over the tree. All the
formulas of the build go to KaTeX together, so that the engine starts once and the cache is
read once.

A problem in one file becomes a [diagnostic](diagnostics.py), and the other pages still build.
Nothing already published is lost: the new site is written beside the old one and swapped in
when it is complete, and a page that fails keeps its last published version.
"""

import logging
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from .config import SiteConfig
from .diagnostics import Diagnostic
from .markdown import page_url
from .math import MathCache, MathOptions, MathRenderer, copy_katex_assets, make_engine
from .page import PageBuilder, RenderedPage
from .render import assets_dir, make_environment

log = logging.getLogger("labml_docs")

ASSET_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".csv", ".json", ".txt",
                  ".pdf", ".mp4", ".webm"}
SKIPPED_DIRS = {"__pycache__", "node_modules", "site", "build", "dist"}


@dataclass
class SourceFile:
    """A file of the tree: its path relative to the tree (with `/`), and what it becomes."""
    path: str
    absolute: Path
    kind: str  # "python", "markdown" or "asset"

    @property
    def url(self) -> str:
        return self.path if self.kind == "asset" else page_url(self.path)


def scan(source_dir: Path) -> list[SourceFile]:
    """Every page and asset of the tree, in a fixed order."""
    files = []
    for root, dirs, names in os.walk(source_dir):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in SKIPPED_DIRS
                         and not d.endswith(".egg-info"))
        for name in sorted(names):
            absolute = Path(root) / name
            path = absolute.relative_to(source_dir).as_posix()
            suffix = absolute.suffix.lower()
            if name.startswith("."):
                continue
            if suffix == ".py":
                files.append(SourceFile(path, absolute, "python"))
            elif name.lower() == "readme.md":
                files.append(SourceFile(path, absolute, "markdown"))
            elif suffix in ASSET_SUFFIXES:
                files.append(SourceFile(path, absolute, "asset"))
    return sorted(files, key=lambda f: f.path)


@dataclass
class Site:
    """A rendered site, in memory: what `publish` writes, and what MkDocs takes."""
    pages: dict[str, RenderedPage] = field(default_factory=dict)
    # Files copied as they are: site path → source file.
    assets: dict[str, Path] = field(default_factory=dict)
    # Other generated files (the sitemap): site path → text.
    extra: dict[str, str] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    stats: dict = field(default_factory=dict)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.is_error]


class Builder:
    """Builds the site of one source tree with one set of settings."""

    def __init__(self, config: SiteConfig, math: MathRenderer | None = None):
        self.config = config
        self._math = math
        self.env = make_environment(config.templates_dir or None)

    @property
    def math(self) -> MathRenderer:
        if self._math is None:
            options = MathOptions.from_dict({"macros": self.config.katex_macros})
            engine = make_engine(self.config.math_engine, options,
                                 katex_dir=self.config.katex_dir or None)
            cache = MathCache(Path(self.config.cache_dir) / "math")
            self._math = MathRenderer(engine, cache)
        return self._math

    def close(self) -> None:
        if self._math is not None:
            self._math.close()
            self._math = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def render(self) -> Site:
        """Render every page of the tree in memory."""
        started = time.perf_counter()
        source_dir = Path(self.config.source_dir)
        if not source_dir.is_dir():
            raise FileNotFoundError(f"{source_dir}: no such folder")
        files = scan(source_dir)
        site = Site()
        builder = PageBuilder(self.config, self.env, files)
        for file in files:
            if file.kind == "asset":
                site.assets[file.url] = file.absolute
        pages = [builder.prepare(file) for file in files if file.kind != "asset"]
        builder.render_math(pages, self.math)
        known = set(site.assets) | {p.url for p in pages} | {"index.html"}
        for page in pages:
            page.check_links(known)
        for page in pages:
            site.pages[page.url] = builder.finish(page, pages)
        if "index.html" not in site.pages:
            site.pages["index.html"] = builder.home_page(pages)
        site.extra["sitemap.xml"] = builder.sitemap(sorted(site.pages))
        for page in pages:
            site.diagnostics.extend(page.diagnostics)
        site.diagnostics.sort(key=lambda d: (d.path, d.line, d.message))
        site.stats = {
            "pages": len(site.pages),
            "formulas": sum(len(p.formulas) for p in pages),
            "math_errors": sum(1 for d in site.diagnostics if d.message.startswith("KaTeX")),
            "seconds": time.perf_counter() - started,
        }
        if self._math is not None:
            stats = self.math.stats
            site.stats.update(math_hits=stats.hits, math_misses=stats.misses)
        return site

    def build(self, out_dir: Path) -> Site:
        site = self.render()
        publish(site, Path(out_dir), katex_dir=self.config.katex_dir or None)
        return site


def publish(site: Site, out_dir: Path, katex_dir=None) -> None:
    """Write the site beside `out_dir`, then swap it in.

    A page that failed to build keeps the version already published, if there is one.
    """
    out_dir = Path(out_dir).resolve()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    _recover(out_dir)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.new-{os.getpid()}-",
                                    dir=out_dir.parent))
    try:
        for url, page in sorted(site.pages.items()):
            target = staging / url
            target.parent.mkdir(parents=True, exist_ok=True)
            if page.html is None:
                previous = out_dir / url
                if previous.is_file():
                    shutil.copy2(previous, target)
                continue
            target.write_text(page.html, encoding="utf-8")
        for url, text in sorted(site.extra.items()):
            (staging / url).write_text(text, encoding="utf-8")
        for url, source in sorted(site.assets.items()):
            target = staging / url
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
        copy_site_assets(staging / "assets", katex_dir)
        _swap(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def copy_site_assets(dest: Path, katex_dir=None) -> None:
    """The stylesheets and scripts of `site_templates/assets`, and KaTeX's CSS and fonts."""
    shutil.copytree(assets_dir(), dest, dirs_exist_ok=True)
    copy_katex_assets(dest / "katex", katex_dir)


def _swap(staging: Path, out_dir: Path) -> None:
    """Replace `out_dir` by `staging`: the old site stays whole until the new one is in place."""
    old = out_dir.with_name(f".{out_dir.name}.old")
    if old.exists():
        shutil.rmtree(old)
    if out_dir.exists():
        os.rename(out_dir, old)
    os.rename(staging, out_dir)
    shutil.rmtree(old, ignore_errors=True)


def _recover(out_dir: Path) -> None:
    """A build killed between the two renames of `_swap` left the old site aside: restore it."""
    old = out_dir.with_name(f".{out_dir.name}.old")
    if old.exists() and not out_dir.exists():
        os.rename(old, out_dir)
    # Staging folders of builds that died; a running build's folder names a live process.
    for stale in out_dir.parent.glob(f".{out_dir.name}.new-*"):
        pid = stale.name.split(".new-", 1)[1].split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(stale, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
