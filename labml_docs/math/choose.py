"""
---
title: Choosing the math engine
summary: The engine a build asked for, or for auto the fastest that starts on this machine.
---

# Choosing the math engine

A build names its engine in its settings: `katex-node`, `markdown-katex`, or `auto` (the
default). `auto` tries [KaTeX in Node.js](node_engine.py) and falls back to
[markdown-katex](markdown_katex_engine.py) with a warning, since it is slow; when neither can
run, the message says how to install each. The log says which engine runs, and which KaTeX.
"""

from __future__ import annotations

import logging
import os

from .contract import (
    AUTO,
    KATEX_NODE,
    MARKDOWN_KATEX,
    MathEngine,
    MathEngineError,
    engine_name,
)
from .markdown_katex_engine import MarkdownKatexEngine
from .node_engine import NodeKatexEngine
from .options import DEFAULT_OPTIONS, MathOptions

__all__ = ["make_engine"]

log = logging.getLogger("labml_docs")


def make_engine(
    name: str = AUTO,
    options: MathOptions = DEFAULT_OPTIONS,
    katex_dir: str | os.PathLike[str] | None = None,
) -> MathEngine:
    """A math engine: `"node"` (`"katex-node"`), `"markdown-katex"`, or `"auto"`.

    `"auto"` takes Node.js with the pinned KaTeX when both are found, else markdown-katex, else
    raises `MathEngineError` saying how to install either. Logs which engine runs.
    """
    name = engine_name(name)
    if name == KATEX_NODE:
        engine: MathEngine = NodeKatexEngine(options, katex_dir)
    elif name == MARKDOWN_KATEX:
        engine = MarkdownKatexEngine(options)
    elif name == AUTO:
        try:
            engine = NodeKatexEngine(options, katex_dir)
        except MathEngineError as node_error:
            try:
                engine = MarkdownKatexEngine(options)
            except MathEngineError as md_error:
                raise MathEngineError(
                    "No math engine can run.\n"
                    f"- Node.js + KaTeX: {node_error}\n- markdown-katex: {md_error}"
                ) from None
            log.warning("math: Node.js + KaTeX unavailable (%s); falling back to markdown-katex (slow)", node_error)
    else:
        raise ValueError(f"unknown math engine {name!r}: use auto, node or markdown-katex")
    where = f" from {engine.katex_dir}" if isinstance(engine, NodeKatexEngine) else ""
    log.info("math engine: %s (KaTeX %s%s)", engine.name, engine.katex_version, where)
    return engine
