"""Fixtures shared by the generator's tests, and the helpers that test files import from here
(`from conftest import make_tree, module, snapshot`: pytest puts `tests/` on `sys.path`)."""

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


# ## Helpers: an annotated tree, a site's files, the command line


def module(n: int, title: str | None = None, extra: str = "", link: str | None = None) -> str:
    """The source of an annotated module, numbered `n`: front matter, notes with inline and
    display math, a class, comments with math; `extra` is added to the class's notes."""
    title = title or f"Module {n}"
    link_line = f"See [the next one]({link}).\n" if link else ""
    return f'''"""
---
title: {title}
summary: Module number {n}.
---

# {title}

The update $x_{{t+1}} = x_t - \\eta g_{n}$ with a display formula:

$$\\frac{{\\partial L}}{{\\partial w_{n}}} = \\sum_i {n} w_i$$

{link_line}"""

import math


class Block{n}:
    """
    ## Block {n}

    Scales by $\\sqrt{{{n}}}$.{extra}
    """

    def forward(self, x):
        # Multiply by $\\alpha_{n}$ and add $\\beta$
        y = x * math.sqrt({n})
        # $$\\hat{{y}} = y + {n}$$
        return y + {n}
'''


def make_tree(root: Path, count: int) -> Path:
    """A package at `root` with a home page, a sub-package and `count` modules (odd ones in
    the sub-package), each linking to a page of the other folder."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "__init__.py").write_text('"""\n---\ntitle: Home\n---\n\n# A tree\n"""\n')
    (root / "sub").mkdir(exist_ok=True)
    (root / "sub" / "__init__.py").write_text('"""\n# Sub package\n"""\n')
    for n in range(count):
        folder = root / "sub" if n % 2 else root
        link = "../module_0.py" if n % 2 else "sub/__init__.py"
        (folder / f"module_{n}.py").write_text(module(n, link=link))
    return root


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file of a site, but a publish's journal and staging folders."""
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()
            and not p.relative_to(folder).parts[0].startswith((".labml-docs-staging",
                                                                ".labml-docs-journal"))}


def cli(src: Path, out: Path, cache: Path, *more: str) -> subprocess.Popen:
    """`labml-docs build` in a fresh process, started and not waited for."""
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.Popen([sys.executable, "-m", "labml_docs.cli", "build", str(src),
                             "--out", str(out), "--cache-dir", str(cache), *more],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def cli_ok(src: Path, out: Path, cache: Path, *more: str) -> None:
    """`labml-docs build` in a fresh process, which must succeed."""
    proc = cli(src, out, cache, *more)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err.decode()


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
    import os
    import subprocess
    import sys

    def run(*args: str, cwd: Path | None = None, timeout: float = 300):
        return subprocess.run([sys.executable, "-m", "labml_docs.cli", *map(str, args)],
                              capture_output=True, text=True, cwd=cwd or tmp_path,
                              env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=timeout)
    return run
