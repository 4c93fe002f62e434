"""Fixtures shared by the generator's tests (plain helpers are in `trees.py`)."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from labml_docs.build import Builder
from labml_docs.config import SiteConfig
from labml_docs.math import MathCache, MathRenderer, make_engine

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def math_engine():
    """One KaTeX engine (one Node.js process) for the whole test session."""
    engine = make_engine("katex-node")
    yield engine
    engine.close()


@pytest.fixture
def math_renderer(math_engine, tmp_path):
    return MathRenderer(math_engine, MathCache(tmp_path / "math-cache"))


@pytest.fixture
def write_tree(tmp_path):
    """Write `{relative path: text or bytes}` under a fresh source folder and return it."""
    def write(files: dict, root: Path | None = None) -> Path:
        root = root or tmp_path / "src" / "pkg"
        for name, content in files.items():
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(textwrap.dedent(content).lstrip("\n"), encoding="utf-8")
        return root
    return write


@pytest.fixture
def build_site(math_renderer, tmp_path):
    """Build a source folder into `tmp_path/site`; returns `(site, out_dir)`."""
    def build(source_dir: Path, out_dir: Path | None = None, **settings):
        settings.setdefault("cache_dir", str(tmp_path / "cache"))
        config = SiteConfig.from_dict({"source_dir": source_dir, **settings})
        out_dir = out_dir or tmp_path / "site"
        site = Builder(config, math=math_renderer).build(out_dir)
        return site, out_dir
    return build


@pytest.fixture
def labml_docs(tmp_path):
    """Run the `labml-docs` command in a fresh process (from `tmp_path`, so that no cache or
    settings file of the checkout is read); returns the finished process."""

    def run(*args: str, cwd: Path | None = None, timeout: float = 300):
        return subprocess.run([sys.executable, "-m", "labml_docs.cli", *map(str, args)],
                              capture_output=True, text=True, cwd=cwd or tmp_path,
                              env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=timeout)
    return run


@pytest.fixture
def build(math_renderer, tmp_path):
    """Build a source folder into `out` (default `tmp_path/site`) with the cache `cache`
    (default `tmp_path/cache`); returns the site."""
    def run(src: Path, out: Path | None = None, cache: Path | None = None):
        config = SiteConfig.from_dict({"source_dir": src,
                                       "cache_dir": str(cache or tmp_path / "cache")})
        return Builder(config, math=math_renderer).build(out or tmp_path / "site")
    return run
