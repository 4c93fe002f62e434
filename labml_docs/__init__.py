"""
---
title: labml-docs
summary: A literate-documentation generator for annotated PyTorch code.
---

# labml-docs

Turns an annotated Python tree into side-by-side pages: the notes (docstrings and `#` comments,
written in Markdown with LaTeX math) on the left, the code they explain on the right.

The data moves one way: [`parse`](parse.py) → [`markdown`](markdown.py) → [`colour`](colour.py)
→ [`math`](math/__init__.py) → [`highlight`](highlight.py) → [`templates`](templates.py) → [`build`](build.py).
"""

__version__ = "0.1.0"
