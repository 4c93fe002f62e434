"""
---
title: Jump to definition
summary: The definition index of the tree, from the AST, and the links of each page's code.
---

# Jump to definition

Names in the code link to where they are defined, when that is in the tree being documented.
Everything comes from the [`ast`](https://docs.python.org/3/library/ast.html), never from
matching text.

```
files ──summaries──▶ which files parse, what each imports: the tree's package name
      ──collect────▶ per file: scopes, what each binds (definitions, imports), names read
      ──resolve────▶ per name read: the definition it means, and the files that told us
      ──index──────▶ per page: (line, column) → "page.html#section-N", dependencies, fingerprint
```

1. [`summaries`](summaries.py) keeps, by each file's sha256, the little the index must know of
   every file; [`package`](package.py) names the tree's modules from it (`optimizers/adam.py`
   is `labml_nn.optimizers.adam`).
2. [`collect`](collect.py) walks a file's syntax tree once and writes down what it says.
3. [`resolve`](resolve.py) looks names up as Python would: through enclosing scopes, imports
   and re-exports, and the bases of classes for `self.method` and `super().method`.
4. [`indexes`](indexes.py) turns the answers into each page's links, eagerly for the whole tree or
   lazily for the pages a build renders.

A definition is a module-level class, function or assigned name, or a method or attribute of a
class. Its link goes to the section of its page that shows its line, or the next section when
the line is hidden (a docstring). Names of the standard library and of other packages are
never linked, nor local variables, nor the name of a definition itself.
"""

from .collect import Definition
from .indexes import EagerIndex, LazyIndex, Links, XrefIndex, index_files
from .package import infer_package, module_name
from .summaries import FileSummaries, read_page

__all__ = ["Definition", "EagerIndex", "FileSummaries", "LazyIndex", "Links", "XrefIndex",
           "index_files", "infer_package", "module_name", "read_page"]
