r"""
---
title: Parsing annotated source
summary: How a Python file becomes a list of sections, each a note and the code it explains.
---

# Parsing annotated source

A page is a list of *sections*. Each pairs a note (Markdown) with the code it explains,
and every shown code line keeps its number in the source file.

Sections are numbered, and readers, papers and issues link to them (`amsgrad.html#section-7`).
So the code is cut exactly where labml's own generator cuts it on
[nn.labml.ai](https://nn.labml.ai): a tree that moves from there to here keeps its anchors.
Its rules, read off the published pages, are in `_Splitter`; every page of labml-nn that
can be compared with its published page comes out with the same sections. Two things that
generator does we do not copy, as they are bugs: it shows a section of blank lines as one
empty line numbered with the next line, and it numbers the lines after an empty docstring
one short.

The parser makes two passes over the raw text:

* the [`ast`](https://docs.python.org/3/library/ast.html) finds the definitions and the
  docstrings, and who owns each docstring (the module, a class, a function);
* one regular expression over strings and comments finds the comment lines, which the AST
  drops (it gives the same answer as
  [`tokenize`](https://docs.python.org/3/library/tokenize.html), many times faster): a line
  holding only a comment is a comment line, even inside brackets.

Then one walk over the lines cuts them into sections.

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
from typing import Literal, get_args

from .config import SectionRule
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
        """The front matter's summary (or description), else the first paragraph of the
        opening note: a readme seldom has front matter, and the home page lists it too."""
        summary = self.meta.get("summary") or self.meta.get("description")
        if summary:
            return " ".join(str(summary).split())
        if self.sections and self.sections[0].kind in ("docstring", "markdown"):
            return first_paragraph(self.sections[0].docs)
        return ""


# Blocks that are no paragraph of prose: headings, lists, quotes, code, HTML, tables, math.
_NOT_PROSE = re.compile(r"^(#|[*+-]\s|\d+[.)]\s|>|```|~~~|<|\||\$\$|\\begin|    |\t)")


def first_paragraph(markdown: str, limit: int = 200) -> str:
    """The first paragraph of prose, as plain text, cut after the last sentence that ends
    within `limit` characters (or at a word, if the first sentence is longer)."""
    for block in re.split(r"\n\s*\n", markdown):
        if block.strip() and not _NOT_PROSE.match(block):
            text = " ".join(plain_text(block).split())
            break
    else:
        return ""
    if len(text) <= limit:
        return text
    sentences = [m.end() for m in re.finditer(r"[.!?](?=\s)", text) if m.end() <= limit]
    if sentences:
        return text[: sentences[-1]]
    return text[: limit].rsplit(" ", 1)[0] + "…"


def plain_text(markdown: str) -> str:
    """A heading as plain text for `<title>`: links, images, code and bold markers removed."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", markdown)
    text = re.sub(r"(`+)(.+?)\1", r"\2", text)
    text = re.sub(r"(\*\*|__)(.+?)\1", r"\2", text)
    return text.strip()


# ## Python files

# How definitions split the code (`SectionRule`, a setting): as nn.labml.ai does, or each in
# a section of its own.
SECTION_RULES: tuple[str, ...] = get_args(SectionRule)

_STRING_PREFIX = re.compile(r"^([rRuUbBfF]*)('''|\"\"\"|'|\")")


def parse_python(text: str, path: str, sections: SectionRule = "labml") -> Page:
    """Split a Python file into sections; problems become diagnostics on the page.

    `sections` chooses how definitions split the code: `"labml"` numbers sections as
    nn.labml.ai does, `"plain"` lets every definition split (see `_Splitter`).
    """
    if sections not in SECTION_RULES:
        raise ValueError(f"sections: {sections!r} is not one of {', '.join(SECTION_RULES)}")
    page = Page(path=path, source=text)
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
    lines = source_lines(text)
    definitions, docstrings = _outline(tree)
    comments = full_line_comments(text)
    blank = _interpreter_lines(comments, lines)
    notes = {note.first: note for note in _docstring_notes(docstrings, lines)}
    notes.update((note.first, note) for note in _comment_runs(comments, blank))
    _take_front_matter(page, notes)
    page.sections = _cut(lines, notes, definitions, blank, latch=sections == "labml")
    return page


def _cut(lines: list[str], notes: dict[int, "_Note"], definitions: dict[int, bool],
         blank: set[int], latch: bool) -> list[Section]:
    """One walk over the lines: notes, definitions and code lines go to the `_Splitter`."""
    splitter = _Splitter(latch)
    number = 1
    while number <= len(lines):
        note = notes.get(number)
        if note is not None:
            splitter.note(note)
            number = note.last + 1
            continue
        if number in definitions:
            splitter.definition(number, decorated=definitions[number])
        splitter.add(number, "" if number in blank else lines[number - 1])
        number += 1
    # Rules 5 and 6.
    return [s for s in map(_trim, splitter.sections) if s.docs.strip() or s.code]


def source_lines(text: str) -> list[str]:
    """The lines of a file as Python and the highlighter number them: split at `\n` only
    (`str.splitlines` also splits at a form feed or `\u2028`, which Python's line numbers do
    not count)."""
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    return lines


@dataclass
class _Note:
    """A comment run or a docstring: lines `first` to `last` of the file, read as Markdown."""
    first: int
    last: int
    # `comment`, `module` (the module's docstring), or `docstring` (a class's or function's).
    kind: str
    docs: str
    # The source line of the first line of `docs`.
    docs_line: int


# ### The rules
#
# `_Splitter` takes the file line by line and cuts it where the published generator does.
# A line is a comment line (only a comment on it, even inside brackets), part of a docstring
# (the string that opens a module, class or function), blank (a `#!` first line is read as
# blank), or code. Then:
#
# 1. the module docstring is the note of a new section, and the code after it belongs there
#    (its front matter is the page's, not the reader's);
# 2. a run of consecutive comment lines is the note of a new section; a blank line ends a run,
#    and a bare `#` still opens a section, with no note;
# 3. a class or function docstring is the note of the section it is in (the one that holds its
#    `def` or `class` line, and the comment above it if any: the comment comes first); the line
#    after it opens a new section with no note;
# 4. a `def` or `class`, at any depth, opens a new section with no note, at its first
#    decorator, when (a) the section it would join already has a line (a blank one counts),
#    and (b) the *latch* is clear;
# 5. a section shows its lines without the blank ones at its edges;
# 6. a section with no note and no line to show is dropped.
#
# Rule (a) keeps a definition beside the comment or docstring right above it; a comment, a
# blank line and a `def` make a note with no code. The latch is a quirk of the published
# generator that its anchors depend on: a decorated definition sets it, and only a note
# (rules 1–3) clears it, so the undecorated definitions that follow one decorated definition
# (`@option(...)` configurations, typically) stay in its section. Trees that never were on
# nn.labml.ai can choose the plain rule, without the latch: every method beside its own note.

class _Splitter:
    """Cuts the lines of a file into sections as they come, by rules 1–4 above."""

    def __init__(self, latch: bool):
        self.sections: list[Section] = []
        self.uses_latch = latch
        self.latched = False

    def open(self, kind: SectionKind, docs: str, docs_line: int) -> None:
        self.sections.append(Section(kind, docs, docs_line))

    def note(self, note: _Note) -> None:
        """Rules 1–3; each clears the latch."""
        self.latched = False
        if note.kind == "docstring" and self.sections:
            current = self.sections[-1]
            current.kind = "docstring"
            current.docs, current.docs_line = _join_notes(current, note)
            self.open("code", "", note.last + 1)
        else:
            self.open("comment" if note.kind == "comment" else "docstring",
                      note.docs, note.docs_line)

    def definition(self, number: int, decorated: bool) -> None:
        """Rule 4: a `def` or `class` starts at line `number` (its first decorator)."""
        if self.sections and self.sections[-1].code and not self.latched:
            self.open("code", "", number)
        if decorated and self.uses_latch:
            self.latched = True

    def add(self, number: int, text: str) -> None:
        """A code or blank line joins the section being filled."""
        if not self.sections:
            self.open("code", "", number)
        self.sections[-1].code.append((number, text))


def _join_notes(section: Section, note: _Note) -> tuple[str, int]:
    """A section's comment, then a docstring below it, as one note (rule 3).

    The lines between the two (the `def` line at least) become blank lines, so that every line
    of the note keeps its source line for the messages that point into it; Markdown reads
    several blank lines as one.
    """
    if not note.docs.strip():
        return section.docs, section.docs_line
    if not section.docs.strip():
        return note.docs, note.docs_line
    last_line = section.docs_line + section.docs.count("\n")
    gap = max(2, note.docs_line - last_line)
    return section.docs + "\n" * gap + note.docs, section.docs_line


# ### Reading the notes
#
# The [`ast`](https://docs.python.org/3/library/ast.html) finds the definitions and the
# docstrings; a scanner over strings and comments finds the comment lines, which the AST drops.

def _outline(tree: ast.Module) -> tuple[dict[int, bool], list[tuple[ast.AST | None, ast.Constant]]]:
    """The definitions at any depth, as `first line → decorated`, and the docstrings as
    `(owner, string node)`: the module's (owner `None`), then every class's and function's."""
    definitions: dict[int, bool] = {}
    docstrings: list[tuple[ast.AST | None, ast.Constant]] = []
    node = _first_string(tree.body)
    if node is not None:
        docstrings.append((None, node))
    for owner in statements(tree.body):
        if isinstance(owner, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            decorators = owner.decorator_list
            definitions[min([owner.lineno] + [d.lineno for d in decorators])] = bool(decorators)
            node = _first_string(owner.body)
            if node is not None:
                docstrings.append((owner, node))
    return definitions, docstrings


def _first_string(body: list[ast.stmt]) -> ast.Constant | None:
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        return body[0].value
    return None


def _docstring_notes(docstrings, lines: list[str]):
    """The docstrings that have their lines to themselves, as notes (one that shares a line
    with code stays in the code)."""
    for owner, node in docstrings:
        if _docstring_span(node, lines) is None:
            continue
        docs, docs_line = _raw_docstring(lines, node)
        yield _Note(node.lineno, node.end_lineno, "module" if owner is None else "docstring",
                    docs, docs_line)


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
    assert node.end_lineno is not None and node.end_col_offset is not None  # (parsed code)
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
    assert node.end_lineno is not None and node.end_col_offset is not None  # (parsed code)
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
        return _dedent(str(node.value)), node.lineno
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
    indent = min((len(line) - len(line.lstrip()) for line in lines[1:] if line.strip()), default=0)
    out = [lines[0].strip()] + [line[indent:].rstrip() for line in lines[1:]]
    while out and not out[0]:
        out.pop(0)
    while out and not out[-1]:
        out.pop()
    return "\n".join(out)


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


# A shebang and an encoding declaration are for the interpreter, not the reader.
_CODING_COMMENT = re.compile(r"^#.*coding[:=]")


def _interpreter_lines(comments: dict[int, str], lines: list[str]) -> set[int]:
    """The lines read as blank: a `#!` first line, and an encoding declaration where Python
    looks for one (the first line, or the second below a comment or a blank line)."""
    blank: set[int] = set()
    first = comments.get(1, "")
    if first.startswith("#!") or _CODING_COMMENT.match(first):
        blank.add(1)
    line_one_is_code = bool(lines) and bool(lines[0].strip()) and 1 not in comments
    if not line_one_is_code and _CODING_COMMENT.match(comments.get(2, "")):
        blank.add(2)
    return blank


def _comment_runs(comments: dict[int, str], blank: set[int]):
    """Runs of consecutive comment lines, as notes; a blank line ends a run."""
    run: list[int] = []
    for line in sorted(set(comments) - blank) + [None]:
        if run and (line is None or line != run[-1] + 1):
            texts = [comments[number] for number in run]
            yield _Note(run[0], run[-1], "comment", _comment_text(texts),
                        run[0] + _leading_bare(texts))
            run = []
        if line is not None:
            run.append(line)


def _leading_bare(comments: list[str]) -> int:
    """How many bare `#` lines open a run: its note starts below them."""
    count = 0
    while count < len(comments) and not comments[count][1:].strip():
        count += 1
    return count


def _comment_text(comments: list[str]) -> str:
    """Strip `#` and the one space after it; keep deeper indentation (lists, code)."""
    out = []
    for comment in comments:
        body = comment[1:]
        out.append(body[1:] if body.startswith(" ") else body)
    return "\n".join(line.rstrip() for line in out).strip("\n")


def _take_front_matter(page: Page, notes: dict[int, _Note]) -> None:
    """Move a leading YAML block from the module docstring into `page.meta`."""
    module = next((note for note in notes.values() if note.kind == "module"), None)
    if module is None:
        return
    fm = split_front_matter(module.docs)
    for offset, message in fm.errors:
        page.diagnostics.append(Diagnostic(page.path, module.docs_line + offset, message))
    page.meta = fm.meta
    module.docs = fm.body.strip("\n")
    module.docs_line += _leading_lines(fm)


def _leading_lines(fm) -> int:
    return fm.lines_removed + len(fm.body) - len(fm.body.lstrip("\n"))


def _trim(section: Section) -> Section:
    """Blank lines at the edges of a code block are not shown; those inside are (rule 5)."""
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
