"""
---
title: labml-docs
summary: A literate-documentation generator for annotated PyTorch code.
---

# labml-docs

Turns an annotated Python tree into side-by-side pages: the notes (docstrings and `#` comments,
written in Markdown with LaTeX math) on the left, the code they explain on the right.

The whole data path is one function, `Builder.render` in [`build`](build.py): scan → plan →
prepare → math → finish → keep → assemble, then [`publish`](publish.py).
"""

__version__ = "0.1.0"
