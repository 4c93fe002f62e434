"""
---
title: The markdown-katex fallback
summary: >
  KaTeX through the PyPI package markdown-katex, one process per formula, for machines without
  Node.js and the npm package.
---

# The markdown-katex fallback

When Node.js or the npm package katex is missing, the build can still render its math with
the PyPI package [markdown-katex](https://pypi.org/project/markdown-katex/), which bundles a
KaTeX command line of its own. It starts one process per formula (thousands of times slower
than [the Node.js engine](node_engine.py)), so `auto` takes it only when that engine cannot
start, and says so.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .contract import MARKDOWN_KATEX, Formula, MathEngineError, MathResult, error_mark
from .katex import UNTRUSTED_COMMANDS
from .options import DEFAULT_OPTIONS, MathOptions

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["MarkdownKatexEngine"]

#: A command KaTeX would need `trust` for, other than `\htmlClass`: refused before rendering.
_UNTRUSTED_RE = re.compile(
    r"\\(" + "|".join(re.escape(c[1:]) for c in UNTRUSTED_COMMANDS) + r")(?![A-Za-z])")
_KATEX_MESSAGE_RE = re.compile(r"(KaTeX parse error: .*)")


class MarkdownKatexEngine:
    """The fallback: the PyPI package markdown-katex, one katex process per formula.

    markdown-katex bundles its own KaTeX (0.15.1 in release 202406.1035), so its output may differ
    from the pinned version's. Its command line has no trust function: `--trust` is passed and the
    commands other than `\\htmlClass` that need trust are refused here before rendering.

    Of the budgets, only the output's holds here: markdown-katex waits for its katex process
    with no time limit, and that process has the heap Node gives it.
    """

    name: str = MARKDOWN_KATEX

    def __init__(self, options: MathOptions = DEFAULT_OPTIONS) -> None:
        try:
            import markdown_katex
            from markdown_katex import wrapper
        except ImportError as e:
            raise MathEngineError(
                "the fallback math engine needs markdown-katex: pip install markdown-katex"
            ) from e
        self.options = options
        self._wrapper = wrapper
        self._tex2html = markdown_katex.tex2html
        try:
            out = subprocess.run(
                wrapper.get_bin_cmd() + ["--version"], capture_output=True, text=True, timeout=60, check=True
            )
            self.katex_version = out.stdout.strip().splitlines()[-1]
        except Exception as e:
            raise MathEngineError(f"markdown-katex's katex does not run: {e}") from e
        self._tmpdir = tempfile.mkdtemp(prefix="labml-docs-mdkatex-")
        self._macro_file: str | None = None
        if options.macros:
            text = "".join(f"{k}:{' '.join(v.splitlines())}\n" for k, v in options.macros)
            digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
            # markdown-katex caches by command line: the file name carries the content's hash.
            self._macro_file = os.path.join(self._tmpdir, f"macros-{digest}.txt")
            with open(self._macro_file, "w", encoding="utf-8") as f:
                f.write(text)

    def _cli_options(self, display: bool) -> dict[str, Any]:
        opts: dict[str, Any] = {"format": self.options.output, "trust": True}
        if display:
            opts["display-mode"] = True
        if self._macro_file:
            opts["macro-file"] = self._macro_file
        return opts

    def _refused(self, tex: str) -> str | None:
        text = tex + "".join(v for k, v in self.options.macros if k in tex)
        m = _UNTRUSTED_RE.search(text)
        return "\\" + m.group(1) if m else None

    def render_one(self, formula: Formula) -> MathResult:
        refused = self._refused(formula.tex)
        if refused:
            message = f"KaTeX parse error: untrusted command {refused} refused (only \\htmlClass is allowed)"
            return MathResult(html=error_mark(formula.tex, message), error=message)
        try:
            html = self._tex2html(formula.tex, self._cli_options(formula.display))
            if len(html) > self.options.max_output:
                message = self.options.over_output(f"its HTML has {len(html):,}")
                return MathResult(html=error_mark(formula.tex, message), error=message)
            return MathResult(html=html, error=None)
        except self._wrapper.KatexError as e:
            text = str(e)
            m = _KATEX_MESSAGE_RE.search(text)
            message = m.group(1).strip() if m else text.strip()
            return MathResult(html=error_mark(formula.tex, message), error=message)

    def render_many(self, formulas: Sequence[Formula]) -> list[MathResult]:
        return [self.render_one(f) for f in formulas]

    def close(self) -> None:
        shutil.rmtree(self._tmpdir, ignore_errors=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
