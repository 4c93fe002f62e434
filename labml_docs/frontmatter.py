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
PyYAML reads it, so multi-line values and quoting behave as YAML says, with two limits:

* **no aliases.** An alias (`*a`) repeats what an anchor (`&a`) names, and aliases of aliases
  multiply: nine short lines make nine to the ninth strings (a "billion laughs": 381 bytes of
  front matter once took 93 s and 5 GB before failing). Front matter has no use for them, nor
  has the settings file, which is read by the same loader (`safe_load`).
* **`title`, `summary` and `description` are text.** `title: [a, b]` or `title: 2024` is
  refused on its line rather than shown as Python prints a list or a number (quote it:
  `title: "2024"`). An empty value means no value.
"""

import re
from dataclasses import dataclass, field

import yaml

_BLOCK = re.compile(r"\A[ \t]*\n*---[ \t]*\n(.*?\n)?---[ \t]*(\n|\Z)", re.S)


# Keys that the page shows as text.
TEXT_KEYS = ("title", "summary", "description")


class RefusedYaml(yaml.MarkedYAMLError, ValueError):
    """YAML that is valid but that we do not read: an alias, or nesting deeper than
    `MAX_DEPTH`. A `ValueError` too (as the settings' other problems), printed as
    `file:line: problem`."""

    def __init__(self, problem: str, problem_mark) -> None:
        yaml.MarkedYAMLError.__init__(self, problem=problem, problem_mark=problem_mark)

    def __str__(self) -> str:
        mark = self.problem_mark
        return f"{mark.name}:{mark.line + 1}: {self.problem}" if mark is not None else self.problem


# How deep lists and mappings may nest. PyYAML's composer recurses: some 500 levels reach
# Python's recursion limit, after half a second of work. Settings need five levels at most.
MAX_DEPTH = 50


class _NoAliasLoader(yaml.SafeLoader):
    """PyYAML's safe loader, whose composer refuses aliases (nothing is ever expanded) and
    nesting deeper than `MAX_DEPTH`."""

    depth = 0

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            raise RefusedYaml(problem=f"YAML aliases (*{event.anchor}) are not allowed",
                              problem_mark=event.start_mark)
        if self.depth >= MAX_DEPTH:
            raise RefusedYaml(problem=f"nested deeper than {MAX_DEPTH} levels",
                              problem_mark=event.start_mark)
        self.depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def load_yaml(text: str, name: str = "<front matter>") -> tuple[object, yaml.Node | None]:
    """The value of one YAML document and its node (for the lines of its parts); `name` is
    the file named in the marks of errors. Raises `yaml.YAMLError` (`RefusedYaml` included)."""
    loader = _NoAliasLoader(text)
    loader.name = name
    try:
        node = loader.get_single_node()
        return (loader.construct_document(node) if node is not None else None), node
    except RecursionError:  # `MAX_DEPTH` is meant to come first, wherever we are called from
        raise RefusedYaml(problem="nested too deeply", problem_mark=loader.get_mark()) from None
    finally:
        loader.dispose()


def safe_load(text: str, name: str = "<settings>"):
    """`yaml.safe_load` without aliases: for the settings file."""
    return load_yaml(text, name)[0]


@dataclass
class FrontMatter:
    meta: dict = field(default_factory=dict)
    # What is left of the text, and how many lines the block took from its top.
    body: str = ""
    lines_removed: int = 0
    # `(line offset within the text, message)` of each problem: invalid YAML (then `meta` is
    # empty), or a value that is refused (then only that key is left out).
    errors: list[tuple[int, str]] = field(default_factory=list)


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
        meta, node = load_yaml(block) if block.strip() else ({}, None)
    except yaml.YAMLError as e:
        # Where the broken construct began says more than where the parser gave up.
        mark = getattr(e, "context_mark", None) or getattr(e, "problem_mark", None)
        offset = first + (mark.line if mark is not None else 0)
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        result.errors.append((offset, f"bad front matter: {problem}"))
        return result
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        result.errors.append((first, "bad front matter: expected `key: value` pairs"))
        return result
    result.meta = {str(k): v for k, v in meta.items()}
    for key in TEXT_KEYS:
        value = result.meta.get(key)
        if value is not None and not isinstance(value, str):
            del result.meta[key]
            result.errors.append((first + _value_line(node, key), f"bad front matter: `{key}` "
                                  f"must be text, not {_kind(value)} (quote it)"))
    return result


def _value_line(node: yaml.Node, key: str) -> int:
    """The line (from the top of the block) where the value of `key` starts."""
    for key_node, value_node in node.value:
        if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
            return value_node.start_mark.line
    return 0


def _kind(value) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"a {type(value).__name__}"
