"""
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
"""

from __future__ import annotations

import secrets

from markdown import Extension, Markdown
from markdown.preprocessors import Preprocessor

from .theme import BLOCK_CLASS, BLOCK_END

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


class LabmlDocsExtension(Extension):
    """Registers the two pre-processors (see above)."""

    def extendMarkdown(self, md: Markdown) -> None:  # noqa: N802 - Python-Markdown's name
        blocks = _Blocks()
        md.preprocessors.register(_TakeOut(md, blocks), "labml_docs_take_out", 100)
        md.preprocessors.register(_PutBack(md, blocks), "labml_docs_put_back", 29)


def makeExtension(**kwargs: object) -> LabmlDocsExtension:  # noqa: N802 - Python-Markdown's name
    return LabmlDocsExtension(**kwargs)
