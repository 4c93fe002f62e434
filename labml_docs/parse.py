r"""
---
title: Parsing annotated source
summary: How a Python file becomes a list of sections, each a note and the code it explains.
---

# Parsing annotated source

A page is a list of *sections*. Each pairs a note (Markdown) with the code it explains,
and every shown code line keeps its number in the source file.

The parser makes two passes over the raw text:

* the [`ast`](https://docs.python.org/3/library/ast.html) finds the docstrings and who owns them
  (the module, a class, a function);
* one regular expression over strings and comments finds the comments, which the AST drops
  (it gives the same answer as [`tokenize`](https://docs.python.org/3/library/tokenize.html),
  many times faster).

Docstrings are cut from the raw text, never evaluated: most annotated sources are not raw
strings, and Python's own escapes would turn `\alpha` or `\frac` into control characters.
"""

import ast
import io
import re
import tokenize
import warnings
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Literal

from .diagnostics import Diagnostic
from .frontmatter import split_front_matter


#: Where a section's note comes from: a docstring, a run of `#` comments, a readme, or
#: nowhere (`code`: code with no note of its own).
SectionKind = Literal["docstring", "comment", "markdown", "code"]


@dataclass
class Section:
    """One note and the code it explains."""
    kind: SectionKind
    docs: str
    # The source line where `docs` starts, so that messages can point into the note.
    docs_line: int
    # `(line number, text)` of every shown line, in order.
    code: list[tuple[int, str]] = field(default_factory=list)


@dataclass
class Page:
    """A parsed source file."""
    path: str
    meta: dict = field(default_factory=dict)
    sections: list[Section] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    # The source text, for the highlighter's single pass over the whole file.
    source: str = ""
    language: str = "python"
    # Not valid Python (a syntax error, or nested too deeply for Python): no page is made.
    failed: bool = False
    # The syntax tree of a valid file, lent to the cross-reference index in this process.
    syntax_tree: ast.Module | None = field(default=None, repr=False, compare=False)

    def __getstate__(self):
        # The syntax tree is lent to the cross-reference index in the same process, never sent
        # to another one.
        state = dict(self.__dict__)
        state.pop("syntax_tree", None)
        return state

    @property
    def title(self) -> str:
        """The front matter's title, else the first Markdown heading, else the file name."""
        title = self.meta.get("title")
        if title:
            return str(title).strip()
        for section in self.sections:
            for line in section.docs.splitlines():
                match = re.match(r"^#{1,6}\s+(.+?)\s*#*\s*$", line)
                if match:
                    return plain_text(match.group(1))
        return PurePosixPath(self.path).name

    @property
    def summary(self) -> str:
        summary = self.meta.get("summary") or self.meta.get("description") or ""
        return " ".join(str(summary).split())


def plain_text(markdown: str) -> str:
    """A heading as plain text for `<title>`: links, images, code and bold markers removed."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", markdown)
    text = re.sub(r"(`+)(.+?)\1", r"\2", text)
    text = re.sub(r"(\*\*|__)(.+?)\1", r"\2", text)
    return text.strip()


# ## Python files

_STRING_PREFIX = re.compile(r"^([rRuUbBfF]*)('''|\"\"\"|'|\")")


def parse_python(text: str, path: str) -> Page:
    """Split a Python file into sections; problems become diagnostics on the page."""
    page = Page(path=path, source=text)
    lines = text.splitlines()
    if not text.strip():
        page.diagnostics.append(Diagnostic(path, 1, "empty file", "warning"))
        return page

    try:
        tree = parse_syntax(text, path)
    except SyntaxError as e:
        page.diagnostics.append(Diagnostic(path, e.lineno or 1, f"syntax error: {e.msg}"))
        page.failed = True
        return page

    page.syntax_tree = tree
    # Notes keyed by their first line: `(last line, kind, docs, docs line, owner header line)`.
    notes: dict[int, tuple[int, str, str, int, int | None]] = {}
    hidden: set[int] = set()

    for owner, node in _docstring_nodes(tree):
        span = _docstring_span(node, lines)
        if span is None:
            continue
        raw, docs_line = _raw_docstring(lines, node)
        header = None if owner is None else _header_line(owner)
        notes[node.lineno] = (node.end_lineno, "docstring", raw, docs_line, header)
        hidden.update(range(node.lineno, node.end_lineno + 1))

    for start, end, docs in _comment_runs(text, hidden):
        notes[start] = (end, "comment", docs, start, None)
        hidden.update(range(start, end + 1))

    # A module docstring's front matter is the page's.
    _take_front_matter(page, notes)

    # Class and function docstrings start their section at the owner's first line
    # (decorators included), so that the signature is the code they explain.
    starts = {header: first for first, (_, _, _, _, header) in notes.items() if header is not None}

    sections: list[Section] = []
    current: Section | None = None
    lineno = 1
    while lineno <= len(lines):
        if lineno in starts:
            first = starts[lineno]
            _, kind, docs, docs_line, _ = notes[first]
            current = Section(kind, docs, docs_line)
            sections.append(current)
        if lineno in notes:
            end, kind, docs, docs_line, header = notes[lineno]
            if header is not None:
                # The owner's section is already open; after the docstring comes a new one.
                current = Section("code", "", end + 1)
            else:
                current = Section(kind, docs, docs_line)
            sections.append(current)
            lineno = end + 1
            continue
        if lineno in hidden:
            lineno += 1  # a shebang or an encoding line
            continue
        if current is None:
            current = Section("code", "", lineno)
            sections.append(current)
        current.code.append((lineno, lines[lineno - 1]))
        lineno += 1

    page.sections = [s for s in (_trim(s) for s in sections) if s.docs.strip() or s.code]
    return page


def parse_syntax(text: str, path: str) -> ast.Module:
    """`ast.parse`, where an expression too deep for Python is a `SyntaxError` with a line too.

    `x = 1 + 1 + ...` with 3,000 terms is a tree 3,000 deep: Python gives up building it with a
    `RecursionError`, and on 100,000 `-` signs with a `MemoryError` ("too complex"), neither of
    which says where. Python cannot run such a file either, so it is a syntax error, on the line
    of the statement that is too deep.
    """
    try:
        with warnings.catch_warnings():
            # Invalid escapes such as `\alpha` are what annotated docstrings are made of.
            warnings.simplefilter("ignore")
            return ast.parse(text, filename=path)
    except (RecursionError, MemoryError) as e:
        reason = str(e) or "too complex"
        raise SyntaxError(f"nested too deeply for Python ({reason})",
                          (path, _deepest_statement(text), 1, None)) from None


def _deepest_statement(text: str) -> int:
    """The first line of the statement that Python cannot parse.

    A tree that deep takes a statement of thousands of tokens: of the five statements with the
    most, the first that cannot be parsed alone either; if none, the one with the most tokens.
    """
    statements = _statements_by_size(text)
    lines = text.split("\n")
    for _, first, last, header in statements[:5]:
        snippet = "\n".join(lines[first - 1: last]).lstrip()
        if header:  # `if ...:`, `def ...:`: give it a body
            snippet += "\n    pass"
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ast.parse(snippet)
        except (RecursionError, MemoryError):
            return first
        except SyntaxError:
            pass  # `elif`, `except`, a decorator: not a statement alone
    return statements[0][1] if statements else 1


def _statements_by_size(text: str) -> list[tuple[int, int, int, bool]]:
    """`(tokens, first line, last line, ends with ':')` of each logical line, most tokens first."""
    found: list[tuple[int, int, int, bool]] = []
    count, first, last_token = 0, 0, ""
    skipped = (tokenize.NL, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT)
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type in (tokenize.NEWLINE, tokenize.ENDMARKER):
                if count:
                    found.append((count, first, token.start[0], last_token == ":"))
                count = 0
            elif token.type not in skipped:
                if not count:
                    first = token.start[0]
                count += 1
                last_token = token.string
    except (tokenize.TokenError, SyntaxError):
        pass  # what was read so far
    return sorted(found, key=lambda s: (-s[0], s[1]))


def _docstring_nodes(tree: ast.Module):
    """`(owner, string node)` for the module (owner `None`), and every class and function."""
    def first_string(body):
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                and isinstance(body[0].value.value, str):
            return body[0].value
        return None

    node = first_string(tree.body)
    if node is not None:
        yield None, node
    for owner in statements(tree.body):
        if isinstance(owner, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            node = first_string(owner.body)
            if node is not None:
                yield owner, node


def statements(body):
    """Every statement under `body`, at any depth. Classes, functions and imports are all
    statements, so the expressions (most of a tree's nodes) need not be walked."""
    for node in body:
        if isinstance(node, ast.stmt):
            yield node
        for block in ("body", "orelse", "finalbody", "handlers", "cases"):
            yield from statements(getattr(node, block, None) or ())


def _docstring_span(node: ast.Constant, lines: list[str]) -> tuple[int, int] | None:
    """The docstring's lines, if nothing else shares them (else it stays in the code)."""
    before = lines[node.lineno - 1][: char_col(lines[node.lineno - 1], node.col_offset)]
    after = lines[node.end_lineno - 1][char_col(lines[node.end_lineno - 1], node.end_col_offset):]
    if before.strip() or (after.strip() and not after.strip().startswith("#")):
        return None
    return node.lineno, node.end_lineno


def char_col(line: str, byte_offset: int) -> int:
    """The AST counts columns in UTF-8 bytes; strings are indexed by characters. (The
    cross-reference index asks this of every name of the tree: ASCII lines need no counting.)"""
    if line.isascii():
        return byte_offset
    return len(line.encode("utf-8")[:byte_offset].decode("utf-8", errors="ignore"))


def _raw_docstring(lines: list[str], node: ast.Constant) -> tuple[str, int]:
    """The docstring's text as written in the file, dedented, with the line it starts on."""
    first = lines[node.lineno - 1]
    start = char_col(first, node.col_offset)
    last = lines[node.end_lineno - 1]
    end = char_col(last, node.end_col_offset)
    if node.lineno == node.end_lineno:
        raw = first[start:end]
    else:
        raw = "\n".join([first[start:]] + lines[node.lineno: node.end_lineno - 1] + [last[:end]])
    match = _STRING_PREFIX.match(raw)
    if match is None or not raw.endswith(match.group(2)):
        # Implicit concatenation or something unusual: fall back to Python's own value.
        return _dedent(node.value), node.lineno
    quote = match.group(2)
    body = raw[match.end(): len(raw) - len(quote)]
    # The text after the opening quotes counts as the first line.
    docs = _dedent(body)
    leading = len(body) - len(body.lstrip("\n"))
    first_text_line = node.lineno + leading
    if body and not body.startswith("\n") and not body.split("\n", 1)[0].strip():
        first_text_line += 1
    return docs, first_text_line


def _dedent(text: str) -> str:
    """Like `inspect.cleandoc`: strip the first line, dedent the rest, drop blank edges."""
    lines = text.expandtabs().split("\n")
    indent = min((len(l) - len(l.lstrip()) for l in lines[1:] if l.strip()), default=0)
    out = [lines[0].strip()] + [l[indent:].rstrip() for l in lines[1:]]
    while out and not out[0]:
        out.pop(0)
    while out and not out[-1]:
        out.pop()
    return "\n".join(out)


def _header_line(owner: ast.AST) -> int:
    decorators = getattr(owner, "decorator_list", [])
    return min([owner.lineno] + [d.lineno for d in decorators])


# Strings and comments, matched in the order they start: whichever starts first swallows the
# other, so a `#` inside a string is no comment, and a quote inside a comment opens no string.
# One regular expression finds them at C speed, where `tokenize` took most of a parse.
_LEXEMES = re.compile("|".join([
    r"(?P<comment>#[^\n]*)",
    r"'''(?:[^'\\]|\\.|'(?!''))*'''",
    r'"""(?:[^"\\]|\\.|"(?!""))*"""',
    r"'(?:[^'\\\n]|\\.)*'",
    r'"(?:[^"\\\n]|\\.)*"',
]), re.S)


def full_line_comments(text: str) -> dict[int, str]:
    """`line → comment` for every comment alone on its line, in a file that parses."""
    comments: dict[int, str] = {}
    line, counted = 1, 0
    for match in _LEXEMES.finditer(text):
        if match.lastgroup != "comment":
            continue
        start = match.start()
        line += text.count("\n", counted, start)
        counted = start
        if not text[text.rfind("\n", 0, start) + 1: start].strip():
            comments[line] = match.group()
    return comments


def _comment_runs(text: str, hidden: set[int]):
    """Runs of consecutive full-line `#` comments, as `(first line, last line, Markdown)`."""
    comments = full_line_comments(text)
    # A shebang and an encoding declaration are for the interpreter, not the reader.
    for line in (1, 2):
        if line in comments and (comments[line].startswith("#!") or
                                 re.match(r"^#.*coding[:=]", comments[line])):
            del comments[line]
            hidden.add(line)

    run: list[int] = []
    for line in sorted(comments) + [None]:
        if run and (line is None or line != run[-1] + 1):
            yield run[0], run[-1], _comment_text([comments[l] for l in run])
            run = []
        if line is not None and line not in hidden:
            run.append(line)


def _comment_text(comments: list[str]) -> str:
    """Strip `#` and the one space after it; keep deeper indentation (lists, code)."""
    out = []
    for comment in comments:
        body = comment[1:]
        out.append(body[1:] if body.startswith(" ") else body)
    return "\n".join(l.rstrip() for l in out).strip("\n")


def _take_front_matter(page: Page, notes: dict) -> None:
    """Move a leading YAML block from the first docstring (or readme) into `page.meta`."""
    for first in sorted(notes):
        end, kind, docs, docs_line, header = notes[first]
        # Only the module's docstring has no owner line.
        if kind != "docstring" or header is not None:
            continue
        fm = split_front_matter(docs)
        for offset, message in fm.errors:
            page.diagnostics.append(Diagnostic(page.path, docs_line + offset, message))
        page.meta = fm.meta
        notes[first] = (end, kind, fm.body.strip("\n"), docs_line + _leading_lines(fm), header)
        return


def _leading_lines(fm) -> int:
    return fm.lines_removed + len(fm.body) - len(fm.body.lstrip("\n"))


def _trim(section: Section) -> Section:
    """Blank lines at the edges of a code block are not shown; those inside are."""
    code = section.code
    while code and not code[0][1].strip():
        code = code[1:]
    while code and not code[-1][1].strip():
        code = code[:-1]
    section.code = code
    return section


# ## Markdown files

def parse_markdown(text: str, path: str) -> Page:
    """A readme is one section of notes with no code."""
    page = Page(path=path, source=text, language="markdown")
    if not text.strip():
        page.diagnostics.append(Diagnostic(path, 1, "empty file", "warning"))
        return page
    fm = split_front_matter(text)
    for offset, message in fm.errors:
        page.diagnostics.append(Diagnostic(path, 1 + offset, message))
    page.meta = fm.meta
    body = fm.body.strip("\n")
    page.sections = [Section("markdown", body, 1 + _leading_lines(fm))]
    return page
