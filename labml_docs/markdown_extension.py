r"""
---
title: The Markdown extension
summary: Keeps the block of an annotated page away from other Markdown extensions, in MkDocs and in Zensical.
---

# The Markdown extension

```yaml
markdown_extensions:
  - labml_docs.markdown_extension
```

A [theme document](theme.py) is front matter and one raw-HTML block. Python-Markdown passes the
block through, but its pre-processors run first, over every line of the file: snippets
(`--8<--`) would paste a file where a line of code says `--8<--`, and anything else that rewrites
lines could touch the code or the math. This extension takes the block out before any of them
runs and puts it back, untouched, as raw HTML.

It is two pre-processors, because Python-Markdown's own first step (normalising white space,
priority 30) deletes the characters its placeholders for raw HTML are made of:

1. at priority 100, before every other pre-processor, each block (from its opening line
   `<div class="labml-docs` to the line `<!-- /labml-docs -->`) becomes one line of plain text,
   a token that no extension rewrites;
2. at priority 29, after the white space step and before raw HTML is read (priority 20), each
   token becomes the placeholder of the block in Python-Markdown's store of raw HTML.

The MkDocs plugin adds this extension itself when `layout: theme`. Zensical runs no MkDocs
plugin but does run the extensions listed in `markdown_extensions`; there, list it by hand.
A document without our block is left as it is.

## Math and links of hand-written pages

```yaml
markdown_extensions:
  - labml_docs.markdown_extension:
      math: true            # $...$ and $$...$$ rendered by our KaTeX, on the server
      links: true           # .py links into the tree as links to its pages
      tree_url: nn          # where the annotated pages are in the site; "" is its root
      cache_dir: .labml-docs-cache
```

With `math`, the guide and the home page of a site get the same math as the annotated pages,
with no script in the browser. It is this extension rather than a sibling because the order of
its steps matters: the math is cut out *after* our blocks are taken out (their HTML holds
rendered math and code, never TeX to render) and *before* any other pre-processor runs, with
[`cut_math`](markdown.py), the cutter of the notes, so that `$` in code spans and fences stays
text and `\$` is a dollar sign. The formulas of a page are rendered in one batch, after
Python-Markdown has written its HTML, and put back with `fill_math`.

The KaTeX engine is one per process: started on the first formula of the build, shared by all
its pages, closed when the process exits. Results go through the math cache
(`<cache_dir>/math`, as for the annotated pages; the MkDocs plugin passes its own `cache_dir`).
A formula KaTeX rejects becomes the error mark the notes get, and a warning naming the page
when the engine says which (Zensical's rendering context, or the page the MkDocs plugin is at).

With `links`, a relative link to a `.py` file of the tree is a link to its page: on the
page `index.md`, `nn/optimizers/adam.py` becomes `nn/optimizers/adam.html`, as
[`rewrite_link`](markdown.py) does for the notes. Links to `.md` files are the engine's own
pages and are left to it. In MkDocs the plugin rewrites these links in the Markdown instead,
before MkDocs reads it, so that MkDocs checks them (`--strict`) like every other link.
"""

from __future__ import annotations

import atexit
import logging
import posixpath
import secrets
import threading
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from markdown import Extension, Markdown
from markdown.postprocessors import Postprocessor
from markdown.preprocessors import Preprocessor
from markdown.treeprocessors import Treeprocessor

from .markdown import cut_math, fill_math, placeholder_marks, rewrite_link
from .math import Formula, MathCache, MathOptions, MathRenderer, make_engine
from .math.options import DEFAULT_OPTIONS
from .theme import BLOCK_CLASS, BLOCK_END

# Under `mkdocs.`: MkDocs counts these warnings, and `--strict` fails on them.
log = logging.getLogger("mkdocs.plugins.labml_docs.markdown_extension")

_BLOCK_START = f'<div class="{BLOCK_CLASS}'


class _Blocks:
    """The blocks taken out of one document, by token."""

    def __init__(self) -> None:
        self.salt = secrets.token_hex(8)
        self.by_token: dict[str, str] = {}

    def token(self, block: str) -> str:
        token = f"labml-docs-block-{self.salt}-{len(self.by_token)}"
        self.by_token[token] = block
        return token


class _TakeOut(Preprocessor):
    """Each block as one token line, surrounded by blank lines (a paragraph of its own)."""

    def __init__(self, md: Markdown, blocks: _Blocks):
        super().__init__(md)
        self.blocks = blocks

    def run(self, lines: list[str]) -> list[str]:
        self.blocks.by_token.clear()
        out: list[str] = []
        i = 0
        while i < len(lines):
            end = _block_end(lines, i)
            if end is None:
                out.append(lines[i])
                i += 1
                continue
            out += ["", self.blocks.token("\n".join(lines[i:end + 1])), ""]
            i = end + 1
        return out


class _PutBack(Preprocessor):
    """Each token as the placeholder of its block in the store of raw HTML."""

    def __init__(self, md: Markdown, blocks: _Blocks):
        super().__init__(md)
        self.blocks = blocks

    def run(self, lines: list[str]) -> list[str]:
        if not self.blocks.by_token:
            return lines
        return [self.md.htmlStash.store(self.blocks.by_token[line])
                if line in self.blocks.by_token else line for line in lines]


def _block_end(lines: list[str], start: int) -> int | None:
    """The line that ends the block opening at `start`, or `None` when no block opens there."""
    if not lines[start].startswith(_BLOCK_START):
        return None
    for end in range(start, len(lines)):
        if lines[end].strip() == BLOCK_END:
            return end
    return None


# ## The math of a hand-written page

# The page the MkDocs plugin is rendering (Python-Markdown itself has no page path).
current_page: str | None = None

_renderers: dict[tuple[str, str, str, MathOptions], MathRenderer] = {}
_renderers_lock = threading.Lock()


def math_renderer(engine: str, cache_dir: str, katex_dir: str = "",
                  options: MathOptions = DEFAULT_OPTIONS) -> MathRenderer:
    """The renderer of this process for these settings: made on the first formula, closed at exit."""
    key = (engine, str(Path(cache_dir).resolve()), katex_dir, options)
    with _renderers_lock:
        renderer = _renderers.get(key)
        if renderer is None:
            if not _renderers:
                atexit.register(close_renderers)
            renderer = MathRenderer(make_engine(engine, options, katex_dir or None),
                                    MathCache(Path(cache_dir) / "math"))
            _renderers[key] = renderer
        return renderer


def close_renderers() -> None:
    with _renderers_lock:
        for renderer in _renderers.values():
            renderer.close()
        _renderers.clear()


def _page_path(md: Markdown) -> str | None:
    """The page being rendered, as Zensical (its rendering context) or our MkDocs plugin says."""
    contexts = [p for p in md.preprocessors if getattr(p, "name", None) == "rendering_context"]
    page = getattr(contexts[0], "page", None) if contexts else None
    return getattr(page, "path", None) or current_page


class _Math:
    """The formulas cut out of one document, and the marks of their placeholders."""

    def __init__(self) -> None:
        self.formulas: list[Formula] = []
        self.marks: tuple[str, str] | None = None


class _CutMath(Preprocessor):
    def __init__(self, md: Markdown, math: _Math):
        super().__init__(md)
        self.math = math

    def run(self, lines: list[str]) -> list[str]:
        text = "\n".join(lines)
        self.math.marks = placeholder_marks(text)
        text, refs = cut_math(text, marks=self.math.marks)
        self.math.formulas = [ref.formula for ref in refs]
        return text.split("\n")


class _FillMath(Postprocessor):
    def __init__(self, md: Markdown, math: _Math, settings: dict[str, Any]):
        super().__init__(md)
        self.math = math
        self.settings = settings

    def run(self, text: str) -> str:
        if not self.math.formulas:
            return text
        options = MathOptions.from_dict({"macros": self.settings["katex_macros"],
                                         "timeout": self.settings["math_timeout"],
                                         "max_output": self.settings["math_max_output"]})
        renderer = math_renderer(self.settings["math_engine"], self.settings["cache_dir"],
                                 self.settings["katex_dir"], options)
        results = renderer.render_many(self.math.formulas)
        for formula, result in zip(self.math.formulas, results):
            if result.error is not None:
                where = _page_path(self.md) or "a Markdown page"
                log.warning(f"labml-docs: {where}: formula {formula.tex!r}: {result.error}")
        return fill_math(text, [r.html for r in results], self.math.marks)


# ## Links to the tree

class _TreeLinks(Treeprocessor):
    """`.py` links into the tree (under `tree_url`) as links to their pages."""

    def __init__(self, md: Markdown, tree_url: str):
        super().__init__(md)
        self.tree = posixpath.normpath(tree_url.strip("/") or ".")

    def run(self, root: ElementTree.Element) -> None:
        page = _page_path(self.md) or "index.md"
        here = posixpath.dirname(page)
        for element in root.iter("a"):
            href = element.get("href")
            if not href or not href.partition("#")[0].partition("?")[0].endswith(".py"):
                continue
            new, target = rewrite_link(href, page)
            if target is None:
                continue
            inside = posixpath.relpath(posixpath.normpath(posixpath.join(here, new.partition("#")[0])),
                                       self.tree) if self.tree != "." else "."
            if not inside.startswith(".."):
                element.set("href", new)


class LabmlDocsExtension(Extension):
    """Registers the two pre-processors (see above), and with `math` or `tree_url` the steps
    of hand-written pages."""

    def __init__(self, **kwargs: Any) -> None:
        self.config = {
            "math": [False, "Render $...$ and $$...$$ with KaTeX on the server"],
            "math_engine": ["auto", "auto, node or markdown-katex"],
            "katex_dir": ["", "Where the npm package katex is; empty: found as for builds"],
            "cache_dir": [".labml-docs-cache", "The cache folder; math results go in its math/"],
            "katex_macros": [{}, "KaTeX macros, as the katex_macros setting of the notes"],
            "math_timeout": [10.0, "Seconds of KaTeX one formula may take"],
            "math_max_output": [2_000_000, "Characters of HTML one formula may make"],
            "links": [False, "Rewrite .py links into the tree as links to its pages"],
            "tree_url": ["", "Where the annotated pages are in the site; empty: its root"],
        }
        super().__init__(**kwargs)

    def extendMarkdown(self, md: Markdown) -> None:  # noqa: N802 - Python-Markdown's name
        blocks = _Blocks()
        md.preprocessors.register(_TakeOut(md, blocks), "labml_docs_take_out", 100)
        md.preprocessors.register(_PutBack(md, blocks), "labml_docs_put_back", 29)
        settings = self.getConfigs()
        if settings["math"]:
            math = _Math()
            # Right after the blocks are out, before every other pre-processor.
            md.preprocessors.register(_CutMath(md, math), "labml_docs_cut_math", 99)
            # After raw HTML is back (30) and after everything but the last touches.
            md.postprocessors.register(_FillMath(md, math, settings), "labml_docs_fill_math", 5)
        if settings["links"]:
            # Before MkDocs' treeprocessor of relative links (0).
            md.treeprocessors.register(_TreeLinks(md, str(settings["tree_url"])),
                                       "labml_docs_tree_links", 1)


def makeExtension(**kwargs: Any) -> LabmlDocsExtension:  # noqa: N802 - Python-Markdown's name
    return LabmlDocsExtension(**kwargs)
