"""
---
title: Highlighting code
summary: One Pygments pass over a whole file, cut into the lines each section shows.
---

# Highlighting code

Sections show slices of a file, but a lexer needs the whole file to know its state: a line in
the middle of a multi-line string is a string, not code. So the file is lexed once, the token
stream is cut into lines, and each section formats the lines it shows. The lexer is Pygments'
own, run by [`fast_lexer`](fast_lexer.py): the same tokens, several times faster (once a
process has lexed enough to pay for setting it up).

Each line starts with `<span class="lineno">N</span>`, N being its number in the source file.
Names that the [cross-reference index](xref/__init__.py) knows become links to their definitions.
"""

import functools
from collections.abc import Mapping
from html import escape

from pygments.lexer import Lexer
from pygments.lexers import PythonLexer, get_lexer_by_name
from pygments.token import STANDARD_TYPES, Name, Token
from pygments.util import ClassNotFound

from .fast_lexer import expect, lex

# `(line, column)` of a name's first character → the address of its definition.
Links = Mapping[tuple[int, int], str]

Line = list[tuple[object, str, int]]


def css_class(ttype) -> str:
    """Pygments' short class for a token type, falling back to its parent's."""
    while ttype not in STANDARD_TYPES:
        ttype = ttype.parent
    return STANDARD_TYPES[ttype]


_LEXERS: dict[str, Lexer] = {}


def _python_lexer() -> Lexer:
    # Keep every line, even leading and trailing blank ones: line numbers must not shift.
    # One lexer serves every call (lexing does not change it): inline code asks for one per
    # code span.
    lexer = _LEXERS.get("python")
    if lexer is None:
        lexer = _LEXERS["python"] = PythonLexer(stripnl=False, ensurenl=True)
    return lexer


def expect_python(characters: int) -> None:
    """This process will highlight about `characters` characters of Python (see
    `fast_lexer.expect`)."""
    expect(_python_lexer(), characters)


def lex_lines(source: str, lexer: Lexer | None = None) -> list[Line]:
    """The token stream of `source`, cut into lines of `(type, text, column)`."""
    line: Line = []
    lines: list[Line] = [line]
    add = line.append
    column = 0
    for ttype, value in lex(lexer or _python_lexer(), source):
        if "\n" not in value:  # most tokens
            if value:
                add((ttype, value, column))
                column += len(value)
            continue
        for i, part in enumerate(value.split("\n")):
            if i:
                line = []
                lines.append(line)
                add = line.append
                column = 0
            if part:
                add((ttype, part, column))
                column += len(part)
    return lines


# Token type → its CSS class and whether it is a name (names may become links).
_KINDS: dict[object, tuple[str, bool]] = {}


def _kind(ttype) -> tuple[str, bool]:
    kind = _KINDS[ttype] = (css_class(ttype), ttype in Name)
    return kind


def format_line(tokens: Line, lineno: int, links: Links | None = None) -> str:
    out = []
    kinds = _KINDS
    for ttype, text, column in tokens:
        cls, is_name = kinds.get(ttype) or _kind(ttype)
        html = escape(text, quote=False) if "&" in text or "<" in text or ">" in text else text
        span = f'<span class="{cls}">{html}</span>' if cls else html
        href = links.get((lineno, column)) if links and is_name else None
        out.append(f'<a class="xref" href="{escape(href)}">{span}</a>' if href else span)
    return "".join(out)


class FileHighlighter:
    """Highlights the lines of one file; sections ask for the lines they show."""

    def __init__(self, source: str, links: Links | None = None, language: str = "python"):
        self.lines = lex_lines(source, _lexer_for(language))
        self.links = links or {}

    def section(self, code: list[tuple[int, str]]) -> str:
        rows = []
        for lineno, _ in code:
            tokens = self.lines[lineno - 1] if lineno - 1 < len(self.lines) else []
            rows.append(f'<span class="lineno">{lineno}</span>'
                        f'{format_line(tokens, lineno, self.links)}')
        return '<div class="highlight"><pre>' + "\n".join(rows) + "</pre></div>"


def _lexer_for(language: str) -> Lexer:
    if language in ("python", "py", ""):
        return _python_lexer()
    lexer = _LEXERS.get(language)
    if lexer is None:
        try:
            lexer = get_lexer_by_name(language, stripnl=False, ensurenl=True)
        except ClassNotFound:
            lexer = get_lexer_by_name("text", stripnl=False, ensurenl=True)
        _LEXERS[language] = lexer
    return lexer


@functools.lru_cache(maxsize=8192)
def highlight_inline(code: str, language: str = "python") -> str:
    """Inline code of the notes: `<code class="highlight">` with Pygments spans.

    Not all inline code is Python (`$x$`, a shell command, a file name): where the lexer finds
    an error, the code is shown as it is rather than with error marks. The same few names come
    back again and again (`None`, `torch.Tensor`, `dim`): each is lexed once.
    """
    tokens = [t for line in lex_lines(code, _lexer_for(language)) for t in line]
    if any(ttype in Token.Error for ttype, _, _ in tokens):
        return f'<code class="highlight">{escape(code, quote=False)}</code>'
    return f'<code class="highlight">{format_line(tokens, 0)}</code>'


def highlight_block(code: str, language: str = "python") -> str:
    """A fenced code block of the notes, without line numbers."""
    rows = [format_line(line, 0) for line in lex_lines(code, _lexer_for(language))]
    while rows and not rows[-1]:
        rows.pop()
    lang = escape(language or "text")
    return f'<div class="highlight" data-lang="{lang}"><pre>' + "\n".join(rows) + "</pre></div>"


__all__ = ["FileHighlighter", "highlight_inline", "highlight_block", "css_class", "lex_lines",
           "Token"]
