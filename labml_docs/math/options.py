"""
---
title: Math options and budgets
summary: The macros, the output format and the budget of one formula; part of every cache key.
---

# Math options and budgets

`MathOptions` is what a build asks of KaTeX: its macros, the output format, and the budget of
one formula. A few bytes of macros can expand into minutes of work and gigabytes of HTML, so
each formula gets `timeout` seconds of KaTeX and `max_output` characters of HTML; a formula over
either becomes an error mark with a message, like an invalid one, and the rest of the batch is
rendered.

The options are frozen and hashable: their `cache_key` is part of the key of every cached
result. The output budget is in it (it decides what is rendered); the time budget is not (the
same formula may fit on a faster or less busy machine, so one out of time is never cached).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["CHARS_PER_NODE", "DEFAULT_OPTIONS", "OUTPUT_FORMATS", "MathOptions"]

OUTPUT_FORMATS = ("html", "mathml", "htmlAndMathml")

#: A node of a parse tree makes ten characters of HTML or more (a letter in MathML alone is
#: `<mi>x</mi>`; most formulas make 60 to 500 per node): a formula whose tree has more nodes
#: than `max_output / CHARS_PER_NODE` is refused before its HTML is built.
CHARS_PER_NODE = 10


@dataclass(frozen=True)
class MathOptions:
    """Options of a build's math; hashable, so it can be part of a cache key.

    `timeout` (seconds of KaTeX) and `max_output` (characters of HTML) are the budget of one
    formula; a formula over either becomes an error mark. The output budget is part of the
    cache key (it decides what is rendered); the time budget is not, and a formula that runs
    out of time is never cached (the same formula may fit on a faster or less busy machine).
    """

    macros: tuple[tuple[str, str], ...] = ()
    output: str = "htmlAndMathml"
    timeout: float = 10.0
    max_output: int = 2_000_000

    def __post_init__(self) -> None:
        if self.output not in OUTPUT_FORMATS:
            raise ValueError(f"math output must be one of {', '.join(OUTPUT_FORMATS)}, not {self.output!r}")
        if not 0 < float(self.timeout) < float("inf"):
            raise ValueError(f"the math time budget is a number of seconds above 0, not {self.timeout!r}")
        if int(self.max_output) < 1:
            raise ValueError(f"the math output budget is a number of characters above 0, not {self.max_output!r}")
        object.__setattr__(self, "timeout", float(self.timeout))
        object.__setattr__(self, "max_output", int(self.max_output))
        macros = tuple((str(k), str(v)) for k, v in self.macros)
        for name, _ in macros:
            if not name.startswith("\\") or len(name) < 2:
                raise ValueError(f"a macro name starts with a backslash, like \\RR: {name!r}")
        object.__setattr__(self, "macros", macros)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> MathOptions:
        """From a config mapping: `{"macros": {"\\\\RR": "\\\\mathbb{R}"}, "output": "htmlAndMathml"}`.

        `macros` may be a mapping or a list of pairs; a name without its backslash gets one.
        """
        data = dict(data or {})
        unknown = set(data) - {"macros", "output", "timeout", "max_output"}
        if unknown:
            raise ValueError(f"unknown math option(s): {', '.join(sorted(unknown))}")
        raw = data.get("macros") or {}
        items: Iterable[tuple[Any, Any]] = raw.items() if isinstance(raw, Mapping) else raw
        macros: list[tuple[str, str]] = []
        for name, expansion in items:
            name = str(name)
            if not name.startswith("\\"):
                name = "\\" + name
            macros.append((name, str(expansion)))
        budgets = {k: data[k] for k in ("timeout", "max_output") if data.get(k) is not None}
        return cls(macros=tuple(macros), output=str(data.get("output", "htmlAndMathml")), **budgets)

    @classmethod
    def from_config(cls, config: Any) -> MathOptions:
        """The options of a build's settings (a `SiteConfig`): macros and budgets."""
        return cls.from_dict({"macros": config.katex_macros, "timeout": config.math_timeout,
                              "max_output": config.math_max_output})

    @property
    def max_nodes(self) -> int:
        """The largest parse tree a formula may have (see `CHARS_PER_NODE`)."""
        return max(1, self.max_output // CHARS_PER_NODE)

    def macros_dict(self) -> dict[str, str]:
        return dict(self.macros)

    def to_json(self) -> dict[str, Any]:
        """The options as the KaTeX server reads them (see `render_server.js`)."""
        return {"macros": self.macros_dict(), "output": self.output,
                "maxNodes": self.max_nodes, "maxOutput": self.max_output}

    def cache_key(self) -> str:
        return json.dumps([list(m) for m in self.macros] + [self.output, self.max_output],
                          ensure_ascii=False)

    # Messages of a formula over budget, shown on the page and as `file:line: KaTeX: ...`.

    def over_time(self) -> str:
        return f"formula exceeds the time budget of {self.timeout:g} s"

    def over_output(self, detail: str) -> str:
        return f"formula exceeds the output budget of {self.max_output:,} characters ({detail})"


#: The options of a build that sets none: no macros, HTML and MathML, the default budgets.
DEFAULT_OPTIONS = MathOptions()
