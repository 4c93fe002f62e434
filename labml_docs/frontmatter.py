"""
# Front matter

A docstring or a readme may open with a YAML block between `---` lines:

```yaml
---
title: AMSGrad Optimizer
summary: >
  A tutorial of AMSGrad, with the paper's synthetic experiment.
---
```

It is not shown on the page; it feeds the `<title>`, the description and the social tags.
PyYAML reads it, so multi-line values and quoting behave as YAML says.
"""

import re
from dataclasses import dataclass, field

import yaml

_BLOCK = re.compile(r"\A[ \t]*\n*---[ \t]*\n(.*?\n)?---[ \t]*(\n|\Z)", re.S)


@dataclass
class FrontMatter:
    meta: dict = field(default_factory=dict)
    # What is left of the text, and how many lines the block took from its top.
    body: str = ""
    lines_removed: int = 0
    # `(line offset within the text, message)` when the block is not valid YAML.
    error: tuple[int, str] | None = None


def split_front_matter(text: str) -> FrontMatter:
    """Separate a leading `---` YAML block from the Markdown after it."""
    match = _BLOCK.match(text)
    if not match:
        return FrontMatter(body=text)
    block = match.group(1) or ""
    removed = text[: match.end()].count("\n")
    result = FrontMatter(body=text[match.end():], lines_removed=removed)
    # Line of the block's first YAML line, counted from the top of `text`.
    first = text[: match.start(1) if match.group(1) else match.end()].count("\n")
    try:
        meta = yaml.safe_load(block) if block.strip() else {}
    except yaml.YAMLError as e:
        # Where the broken construct began says more than where the parser gave up.
        mark = getattr(e, "context_mark", None) or getattr(e, "problem_mark", None)
        offset = first + (mark.line if mark is not None else 0)
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        result.error = (offset, f"bad front matter: {problem}")
        return result
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        result.error = (first, "bad front matter: expected `key: value` pairs")
        return result
    result.meta = {str(k): v for k, v in meta.items()}
    return result
