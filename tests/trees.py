"""Helpers that test files import (`from trees import make_tree`; pytest puts `tests/` on
`sys.path`): a synthetic annotated tree, a site's files, the command line in a process."""

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


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


