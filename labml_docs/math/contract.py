"""
---
title: The math contract
summary: A formula, its result, what an engine promises, the errors, and the names of the engines.
---

# The math contract

What the rest of the build sees of math, and what every engine and the cache agree on. It
imports nothing of the package, so every other module of it can import it.

A `Formula` is TeX and a display flag. A `MathResult` is the HTML for one formula: KaTeX's
HTML+MathML, or an *error mark* (the escaped source, with the message as its title) when the
formula is invalid or over its budget. A result that depends on the machine and the moment
rather than on the formula (out of time, a crash of the KaTeX process) is `transient`: it is
shown, but never cached.
"""

from __future__ import annotations

import html as html_lib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from ..config import AUTO, ENGINE_ALIASES, ENGINES, KATEX_NODE, MARKDOWN_KATEX, EngineName, engine_name

__all__ = [
    "AUTO",
    "ENGINES",
    "ENGINE_ALIASES",
    "KATEX_NODE",
    "MARKDOWN_KATEX",
    "EngineName",
    "Formula",
    "KatexNotFoundError",
    "MathEngine",
    "MathEngineError",
    "MathResult",
    "engine_name",
    "error_mark",
]


# The engines a build can ask for are settings' values: see [`config`](../config.py).


# ## Errors of the engine, not of a formula


class MathEngineError(RuntimeError):
    """No math engine can run, or the engine failed (not an error in a formula)."""


class KatexNotFoundError(MathEngineError, FileNotFoundError):
    """The npm package katex was not found."""


# ## Formulas and results


@dataclass(frozen=True)
class Formula:
    tex: str
    display: bool


@dataclass
class MathResult:
    html: str  # KaTeX HTML+MathML, or an error mark holding the escaped source
    error: str | None  # KaTeX's message when the formula is invalid
    # A failure that depends on the machine and the moment (the time budget, a crash of the
    # KaTeX process) rather than on the formula and the options alone: never cached.
    transient: bool = False


def error_mark(tex: str, message: str) -> str:
    """The HTML shown in place of an invalid formula."""
    title, source = html_lib.escape(message, quote=True), html_lib.escape(tex, quote=True)
    return f'<span class="katex-error" title="{title}">{source}</span>'


@runtime_checkable
class MathEngine(Protocol):
    """Renders batches of formulas: one result per formula, in order. `name` and
    `katex_version` are part of every cache key."""

    name: str
    katex_version: str

    def render_many(self, formulas: Sequence[Formula]) -> list[MathResult]: ...

    def close(self) -> None: ...
