r"""
---
title: The messages of a note
summary: A note cut into the blocks a translator translates, its math and code kept out of reach.
---

# The messages of a note

A translator translates one *message* at a time: a paragraph-level block of a note. A heading,
a paragraph, a list item, a block quote and each cell of a table are one message each; fenced
and indented code, raw HTML blocks, rules and blocks with no words (a display formula alone)
are not messages, and every edition shows them as they are.

The math and the code spans of a message become numbered placeholders, `{0}`, `{1}`, … in the
order they appear: a translator moves them, but cannot break a formula or a name of the code,
and every edition renders the same formulas and the same code. Why `{0}`:

* it is Python's brace format, which gettext tools know (Babel marks the message
  `python-brace-format`; Poedit, Weblate and `msgfmt --check-format` check that a translation
  keeps them);
* a brace left in the prose once math and code are cut out is rare, and doubled (`{{`), as
  that format asks;
* `%(m1)s`, the other format gettext knows, would make every `%` of the prose `%%`.

A message's words are its lines joined with single spaces: a catalog holds a paragraph on one
line whatever its wrapping, and a change of wrapping changes no message. (A Markdown hard line
break, two spaces at the end of a line, is lost in a translation.)

A translated block is written back on one line, in place of the block's lines; an
untranslated one keeps its lines and gets a *mark* (a character the note does not hold) that
`mark_untranslated` turns into `class="untranslated" lang="en"` on the HTML element the block
became.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from ..markdown import _FENCE, cut_math, placeholder_marks


@dataclass
class Unit:
    """One message: the words of a block, and what its placeholders stand for."""
    # The text as the catalog holds it: `{n}` for the n-th formula or code span, braces doubled.
    msgid: str
    # The line of the note (0-based) where the block starts.
    line: int
    # The source of each placeholder, `{n}` → `originals[n]` (`$\alpha$`, `` `x` ``).
    originals: list[str] = field(default_factory=list)
    # The tokens of the protected text that the placeholders replace.
    tokens: list[str] = field(default_factory=list)


@dataclass
class Block:
    """A part of a note: lines kept as they are, or a block of words."""
    kind: Literal["keep", "text", "row"]
    lines: list[str]
    # `text`: what goes before the words on the block's first line (`## `, `* `, `> `, indent).
    prefix: str = ""
    unit: Unit | None = None
    # `row`: a table row, a message per cell; `None` for a cell with no words.
    cells: list[tuple[str, Unit | None]] = field(default_factory=list)
    edges: tuple[str, str] = ("", "")


@dataclass
class Protected:
    """A note with each formula and code span replaced by a one-line token."""
    lines: list[str]
    # The line of the note (0-based) each protected line starts on.
    line_numbers: list[int]
    # token → the source it replaces.
    originals: dict[str, str]
    token: re.Pattern


def protect(note: str) -> Protected | None:
    """The note with its formulas and code spans (as [`markdown`](../markdown.py) finds them)
    replaced by tokens; `None` when the note holds nearly every private-use character and so
    has no placeholders at all (its math is left as text: there is nothing to keep safe)."""
    marks = placeholder_marks(note)
    if marks is None:
        return None
    opening, closing = marks
    spans: list[tuple[str, int, int]] = []
    cut_math(note, 1, marks, spans)
    pieces: list[str] = []
    originals: dict[str, str] = {}
    line_numbers = [0]
    line = 0
    position = 0

    def text(piece: str) -> None:
        nonlocal line
        for char in piece:
            if char == "\n":
                line += 1
                line_numbers.append(line)
        pieces.append(piece)

    for _kind, start, end in spans:
        text(note[position:start])
        token = f"{opening}{len(originals)}{closing}"
        originals[token] = note[start:end]
        pieces.append(token)
        line += note.count("\n", start, end)
        position = end
    text(note[position:])
    pattern = re.compile(re.escape(opening) + "[0-9]+" + re.escape(closing))
    return Protected("".join(pieces).split("\n"), line_numbers, originals, pattern)


# ## Cutting a note into blocks
#
# Line by line, as Python-Markdown reads them closely enough for notes: it decides what the
# note renders to; this only needs to find the words.

_HEADING = re.compile(r"^ {0,3}#{1,6}(?:[ \t]+|$)")
_ITEM = re.compile(r"^[ \t]*(?:[*+-]|\d{1,9}[.)])(?:[ \t]+|$)")
_QUOTE = re.compile(r"^ {0,3}>[ \t]?")
_RULE = re.compile(r"^ {0,3}([-*_])([ \t]*\1){2,}[ \t]*$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_TABLE_RULE = re.compile(r"^[ \t]*\|?[ \t]*:?-+:?[ \t]*(\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$")
_ADMONITION = re.compile(r"^ {0,3}(!!!|\?\?\?)")
# A raw HTML block: a block-level tag at the start of a line (`<a>` or `<img>` starts a
# paragraph instead).
_HTML_BLOCK = re.compile(r"^ {0,3}<(/?(address|article|aside|blockquote|center|details|dialog|"
                         r"div|dl|fieldset|figure|footer|form|h[1-6]|header|hr|iframe|main|nav|"
                         r"ol|p|pre|script|section|style|summary|table|ul|video)\b|!--)", re.I)
_PIPE = re.compile(r"(?<!\\)\|")
_TAG = re.compile(r"<[^>]*>")


def _breaks_paragraph(line: str) -> bool:
    return bool(not line.strip() or _FENCE.match(line) or _HEADING.match(line)
                or _RULE.match(line) or _SETEXT.match(line) or _QUOTE.match(line)
                or _HTML_BLOCK.match(line) or _ADMONITION.match(line))


def _indent(line: str) -> int:
    return len(line.expandtabs(4)) - len(line.expandtabs(4).lstrip())


def blocks(protected: Protected) -> list[Block]:
    """The blocks of a protected note, in order; together they hold every line once."""
    lines, token = protected.lines, protected.token
    out: list[Block] = []
    # After a list item or an admonition, an indented paragraph belongs to it (no code block).
    container = False
    i, n = 0, len(lines)

    def words(kind_lines: list[str], first: int, prefix: str, texts: list[str]) -> None:
        unit = _unit(" ".join(t.strip() for t in texts).strip(), protected, first, token)
        out.append(Block("text", kind_lines, prefix, unit) if unit else Block("keep", kind_lines))

    while i < n:
        line = lines[i]
        fence = _FENCE.match(line)
        if not line.strip():
            out.append(Block("keep", [line]))
            i += 1
        elif fence:
            j = _fence_end(lines, i, fence.group(1))
            out.append(Block("keep", lines[i:j]))
            i = j
        elif _indent(line) >= 4 and not container:  # indented code
            j = i + 1
            while j < n and (not lines[j].strip() or _indent(lines[j]) >= 4):
                j += 1
            out.append(Block("keep", lines[i:j]))
            i = j
        elif _RULE.match(line) or _SETEXT.match(line) or _ADMONITION.match(line):
            container = container or bool(_ADMONITION.match(line))
            out.append(Block("keep", [line]))
            i += 1
        elif _HTML_BLOCK.match(line):
            j = i + 1
            while j < n and lines[j].strip():
                j += 1
            out.append(Block("keep", lines[i:j]))
            i = j
        elif (heading := _HEADING.match(line)) is not None:
            container = False
            words([line], i, heading.group(0), [line[heading.end():].rstrip().rstrip("#")])
            i += 1
        elif _PIPE.search(line) and i + 1 < n and _TABLE_RULE.match(lines[i + 1]):
            j = i
            while j < n and lines[j].strip() and _PIPE.search(lines[j]):
                out.append(Block("keep", [lines[j]]) if j == i + 1 else _row(lines[j], j, protected))
                j += 1
            i = j
        elif (quote := _QUOTE.match(line)) is not None:
            j = i
            while j < n and lines[j].strip() and _QUOTE.match(lines[j]):
                j += 1
            words(lines[i:j], i, quote.group(0), [_QUOTE.sub("", t, 1) for t in lines[i:j]])
            i = j
        elif (item := _ITEM.match(line)) is not None:
            container = True
            j = i + 1
            while j < n and not _breaks_paragraph(lines[j]) and not _ITEM.match(lines[j]):
                j += 1
            words(lines[i:j], i, item.group(0), [line[item.end():], *lines[i + 1:j]])
            i = j
        else:
            indent = _indent(line)
            container = container and indent > 0
            j = i + 1
            while j < n and not _breaks_paragraph(lines[j]):
                j += 1
            prefix = line[:len(line) - len(line.lstrip())]
            words(lines[i:j], i, prefix, lines[i:j])
            i = j
    return out


def _fence_end(lines: list[str], start: int, fence: str) -> int:
    """The line after a fenced code block (the end of the note if it is never closed), as
    [`markdown`](../markdown.py)'s math cutting finds it."""
    closing = re.compile(r"^[ \t]*" + re.escape(fence[0]) + "{" + str(len(fence)) + r",}[ \t]*$")
    for j in range(start + 1, len(lines)):
        if closing.match(lines[j]):
            return j + 1
    return len(lines)


def _row(line: str, index: int, protected: Protected) -> Block:
    """A table row: a message per cell with words."""
    stripped = line.strip()
    lead = "|" if stripped.startswith("|") else ""
    trail = "|" if stripped.endswith("|") and not stripped.endswith("\\|") and len(stripped) > 1 \
        else ""
    inner = stripped[len(lead): len(stripped) - len(trail)]
    cells = [(cell.strip(), _unit(cell.strip(), protected, index, protected.token))
             for cell in _PIPE.split(inner)]
    indent = line[:len(line) - len(line.lstrip())]
    return Block("row", [line], cells=cells, edges=(indent + lead, trail))


def _unit(text: str, protected: Protected, line: int, token: re.Pattern) -> Unit | None:
    """The message of a block's words; `None` when it has none (only formulas, code, tags)."""
    if not any(c.isalpha() for c in _TAG.sub("", token.sub("", text))):
        return None
    tokens: list[str] = []

    def placeholder(match: re.Match) -> str:
        tokens.append(match.group(0))
        return "{" + str(len(tokens) - 1) + "}"

    msgid = token.sub(placeholder, text.replace("{", "{{").replace("}", "}}"))
    return Unit(msgid, protected.line_numbers[line], [protected.originals[t] for t in tokens],
                tokens)


# ## Messages out, translations in

def units(note: str) -> list[Unit]:
    """The messages of a note, in order."""
    protected = protect(note)
    if protected is None:
        return []
    found: list[Unit] = []
    for block in blocks(protected):
        if block.unit is not None:
            found.append(block.unit)
        found.extend(unit for _, unit in block.cells if unit is not None)
    return found


_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([0-9]+)\}")


def placeholders(text: str) -> list[int]:
    """The numbers of the placeholders of a message or a translation, in order."""
    return [int(m.group(1)) for m in _PLACEHOLDER.finditer(text) if m.group(1) is not None]


def fill(translation: str, unit: Unit) -> str | None:
    """A translation with its placeholders turned back into the note's tokens; `None` when it
    loses a placeholder of the message or invents one (the reader then gets the English)."""
    if sorted(set(placeholders(translation))) != list(range(len(unit.tokens))):
        return None

    def back(match: re.Match) -> str:
        if match.group(1) is not None:
            return unit.tokens[int(match.group(1))]
        return match.group(0)[0]

    return " ".join(_PLACEHOLDER.sub(back, translation).split("\n")).strip()


def restore(text: str, unit: Unit) -> str:
    """A message or translation as Markdown: placeholders back to their math and code."""
    def back(match: re.Match) -> str:
        if match.group(1) is not None:
            number = int(match.group(1))
            return unit.originals[number] if number < len(unit.originals) else match.group(0)
        return match.group(0)[0]

    return _PLACEHOLDER.sub(back, text)


#: A translation of a message of the note, or `None` (untranslated, fuzzy, or unusable).
Lookup = Callable[[Unit], "str | None"]


def translate_note(note: str, lookup: Lookup, mark: str) -> str:
    """The note with every message that `lookup` translates in its place; each block left in
    English starts with `mark`. Code, formulas and every other line are as they were."""
    protected = protect(note)
    if protected is None:
        return note
    out: list[str] = []
    for block in blocks(protected):
        if block.kind == "keep":
            out.extend(block.lines)
        elif block.kind == "text":
            assert block.unit is not None
            translated = _usable(lookup, block.unit)
            if translated is None:
                first = block.lines[0]
                cut = len(block.prefix)
                out.append(first[:cut] + mark + first[cut:])
                out.extend(block.lines[1:])
            else:
                out.append(block.prefix + translated)
        else:
            cells = []
            for text, unit in block.cells:
                translated = _usable(lookup, unit) if unit is not None else None
                cells.append(text if unit is None else
                             mark + text if translated is None else translated)
            out.append(block.edges[0] + " " + " | ".join(cells) + " " + block.edges[1])
    return protected.token.sub(lambda m: protected.originals[m.group(0)], "\n".join(out))


def _usable(lookup: Lookup, unit: Unit) -> str | None:
    translation = lookup(unit)
    return fill(translation, unit) if translation else None


# ## The mark of the English left in an edition

_MARKED = "<(p|h[1-6]|li|td|th|dt|dd)\\b([^>]*)>(\\s*){mark}"


def mark_untranslated(html: str, mark: str, language: str) -> str:
    """`class="untranslated"` and the source's `lang` on each element whose words start with
    `mark`; marks anywhere else (a block Markdown read another way) are dropped."""
    if mark not in html:
        return html

    def attributes(match: re.Match) -> str:
        tag, attrs, space = match.groups()
        if 'class="' in attrs:
            attrs = attrs.replace('class="', 'class="untranslated ', 1)
        else:
            attrs += ' class="untranslated"'
        if " lang=" not in attrs:
            attrs += f' lang="{language}"'
        return f"<{tag}{attrs}>{space}"

    return re.sub(_MARKED.format(mark=re.escape(mark)), attributes, html).replace(mark, "")


def free_mark(*texts: str) -> str:
    """A private-use character none of `texts` holds, to mark untranslated blocks with."""
    marks = placeholder_marks("".join(texts))
    return marks[0] if marks is not None else "\ufffc"
