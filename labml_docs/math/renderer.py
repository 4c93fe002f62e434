"""
---
title: The math renderer
summary: What the build uses. The cache first, the misses to the engine in one batch, the results in order.
---

# The math renderer

`MathRenderer` puts [the cache](cache.py) in front of an engine. The build hands it every
formula of a page (or of the whole tree) at once: each is looked up in the cache, the misses
(each distinct formula once) go to the engine in one batch, what the engine rendered is put in
the cache, and one result per formula comes back, in order. `stats` counts the hits, misses
and errors for the build's report.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .cache import MathCache
from .contract import Formula, MathEngine, MathResult
from .options import MathOptions

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["MathRenderer", "MathStats"]


@dataclass
class MathStats:
    hits: int = 0  # formulas answered without rendering (cache, or a repeat within the batch)
    misses: int = 0  # formulas the engine rendered
    errors: int = 0  # results that are errors (from the engine or the cache)


class MathRenderer:
    """What the build uses: formulas are looked up in the cache; the misses go to the engine in
    one batch; results come back in order.

    Nothing is kept in memory between batches: the cache on disk answers in microseconds, and a
    thousand-page build would otherwise hold the HTML of every formula it rendered."""

    def __init__(self, engine: MathEngine, cache: MathCache | None = None) -> None:
        self.engine = engine
        self.cache = cache
        self.options: MathOptions = getattr(engine, "options", MathOptions())
        self.stats = MathStats()

    def key(self, formula: Formula) -> str:
        return MathCache.make_key(self.engine.name, self.engine.katex_version, self.options, formula)

    def render_many(self, formulas: Sequence[Formula]) -> list[MathResult]:
        formulas = list(formulas)
        keys = [self.key(f) for f in formulas]
        found: dict[str, MathResult] = {}
        if self.cache is not None:
            found.update(self.cache.get_many(list(dict.fromkeys(keys))))
        todo: dict[str, Formula] = {}
        for key, formula in zip(keys, formulas):
            if key not in found and key not in todo:
                todo[key] = formula
        if todo:
            rendered = self.engine.render_many(list(todo.values()))
            fresh = dict(zip(todo.keys(), rendered))
            found.update(fresh)
            if self.cache is not None:
                self.cache.put_many((k, r) for k, r in fresh.items() if not r.transient)
        results = [found[k] for k in keys]
        self.stats.misses += len(todo)
        self.stats.hits += len(formulas) - len(todo)
        self.stats.errors += sum(1 for r in results if r.error is not None)
        return results

    def render(self, tex: str, display: bool = False) -> MathResult:
        return self.render_many([Formula(tex, display)])[0]

    def reset_stats(self) -> None:
        self.stats = MathStats()

    def close(self) -> None:
        try:
            self.engine.close()
        finally:
            if self.cache is not None:
                self.cache.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
