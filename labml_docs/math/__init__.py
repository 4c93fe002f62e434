"""
---
title: Server-side math
summary: Every formula of a build rendered by KaTeX on the server, in batches, through a persistent cache.
---

# Server-side math

Pages reach the reader with their math already rendered: no script has to run in the browser
before an equation shows. The build cuts every formula out of the notes
([`markdown`](../markdown.py)), then hands the formulas of a page, or of the whole tree, to a
`MathRenderer` in one batch and gets back one `MathResult` per formula, in order:

```
Formula(tex, display) ──▶ MathCache ──hit──────────────────────────▶ MathResult
                              │ misses, each once                        ▲
                              ▼                                          │
                          MathEngine ──▶ put in the cache ───────────────┘
                          (KaTeX in one Node.js process, or markdown-katex)
```

A `MathResult` holds KaTeX's HTML+MathML, or an error mark with KaTeX's message when the
formula is invalid or over its budget; the build reports the message at the formula's
`file:line` and goes on.

| module | its job |
| --- | --- |
| [`contract`](contract.py) | `Formula`, `MathResult`, the `MathEngine` protocol, the errors, the names of the engines |
| [`options`](options.py) | `MathOptions`: macros, output format, and the time and output budget of a formula |
| [`katex`](katex.py) | Finding the npm package katex and Node.js; KaTeX's CSS and fonts for the site |
| [`node_engine`](node_engine.py) | `NodeKatexEngine`: one persistent `node` process running `render_server.js` |
| [`markdown_katex_engine`](markdown_katex_engine.py) | `MarkdownKatexEngine`: the slow fallback |
| [`choose`](choose.py) | `make_engine`: the engine a build asked for, or for `auto` the one that starts |
| [`cache`](cache.py) | `MathCache`: results on disk, keyed by engine, KaTeX version, options and formula |
| [`renderer`](renderer.py) | `MathRenderer`: the cache in front of an engine, with counts of hits and misses |

What the rest of labml-docs uses is imported from here.
"""

from .cache import MathCache
from .choose import make_engine
from .contract import (
    AUTO,
    ENGINES,
    KATEX_NODE,
    MARKDOWN_KATEX,
    EngineName,
    Formula,
    KatexNotFoundError,
    MathEngine,
    MathEngineError,
    MathResult,
    engine_name,
    error_mark,
)
from .katex import (
    PINNED_KATEX_VERSION,
    TRUSTED_COMMANDS,
    copy_katex_assets,
    find_katex_dir,
    find_node,
    katex_asset_files,
    katex_assets_dir,
)
from .markdown_katex_engine import MarkdownKatexEngine
from .node_engine import NodeKatexEngine
from .options import MathOptions
from .renderer import MathRenderer, MathStats

__all__ = [
    "AUTO",
    "ENGINES",
    "KATEX_NODE",
    "MARKDOWN_KATEX",
    "PINNED_KATEX_VERSION",
    "TRUSTED_COMMANDS",
    "EngineName",
    "Formula",
    "KatexNotFoundError",
    "MarkdownKatexEngine",
    "MathCache",
    "MathEngine",
    "MathEngineError",
    "MathOptions",
    "MathRenderer",
    "MathResult",
    "MathStats",
    "NodeKatexEngine",
    "copy_katex_assets",
    "engine_name",
    "error_mark",
    "find_katex_dir",
    "find_node",
    "katex_asset_files",
    "katex_assets_dir",
    "make_engine",
]
