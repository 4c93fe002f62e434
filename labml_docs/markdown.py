r"""
---
title: Rendering notes
summary: Python-Markdown with math cut out first, inline code highlighted, and links rewritten to pages.
---

# Rendering notes

Notes are Markdown, rendered with [Python-Markdown](https://python-markdown.github.io/), the
library MkDocs itself uses, so a site's `markdown_extensions` apply to the notes too.
Three extensions of ours join it:

* **math** cuts every formula out *before* Markdown sees the text and leaves a placeholder, so
  that `$v_1, v_2$` never turns into emphasis and `\\` survives. The formulas of the whole
  build are rendered later in one batch (see [`math`](math/__init__.py)), and the placeholders replaced.
  A placeholder is made of two characters of Unicode's private use area that the note does
  not hold, so that no text, in a note or in its code, can pass for one.
* **inline code** is highlighted by Pygments, like the code beside it.
* **links** to `.py` and `.md` files are rewritten to their pages: `X/Y.py` → `X/Y.html`,
  `X/__init__.py` → `X/index.html`, `readme.md` → `readme.html`.
"""

import functools
import posixpath
import re
from dataclasses import dataclass, field
from html import unescape
from typing import Any
from urllib.parse import unquote
from xml.etree import ElementTree

import markdown
from markdown.extensions import Extension
from markdown.inlinepatterns import BACKTICK_RE, BacktickInlineProcessor
from markdown.preprocessors import Preprocessor
from markdown.treeprocessors import Treeprocessor
from markdown.util import AMP_SUBSTITUTE
from pygments.formatters.html import HtmlFormatter

from .highlight import highlight_inline
from .math import Formula, error_mark
from .urls import page_url

# Placeholders use characters of Unicode's private use area: Markdown gives them no meaning.
# These two, unless the note holds them (see `placeholder_marks`).
MARKS = ("\ue000", "\ue001")
# The private use areas: the Basic Multilingual Plane's, then planes 15 and 16.
_PRIVATE_USE = ((0xE000, 0xF8FF), (0xF0000, 0xFFFFD), (0x100000, 0x10FFFD))
_PRIVATE_USE_RE = re.compile("[" + "".join(f"{chr(a)}-{chr(b)}" for a, b in _PRIVATE_USE) + "]")

# Environments that KaTeX renders in display mode without `$$` around them.
DISPLAY_ENVIRONMENTS = ("align", "align*", "aligned", "equation", "equation*", "gather",
                        "gather*", "gathered", "alignat", "alignat*", "multline", "multline*",
                        "split", "eqnarray", "eqnarray*", "CD")

_BEGIN = re.compile(r"\\begin\{(" + "|".join(re.escape(e) for e in DISPLAY_ENVIRONMENTS) + r")\}")
_FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,})")
# What `cut_math` stops at; it copies the text between at once.
_SPECIAL = re.compile(r"[`\\$\n]")
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")



class _BlockFormatter(HtmlFormatter):
    """Pygments' HTML formatter, for the code blocks of the notes (through `codehilite`), with
    its table of CSS classes made once per style and prefix rather than once per block: a
    third of a block's time, and PyTorch's docstrings have thousands of examples. The table is
    only read once made."""

    _tables: dict[tuple[Any, str], tuple[dict, dict]] = {}

    def _create_stylesheet(self) -> None:
        key = (self.style, self.classprefix)
        tables = self._tables.get(key)
        if tables is None:
            super()._create_stylesheet()
            tables = self._tables[key] = (self.__dict__["ttype2class"],
                                          self.__dict__["class2style"])
        self.__dict__.update(ttype2class=tables[0], class2style=tables[1])


DEFAULT_EXTENSIONS = ["tables", "fenced_code", "codehilite", "attr_list", "admonition",
                      "sane_lists", "md_in_html"]
DEFAULT_EXTENSION_CONFIGS = {"codehilite": {"css_class": "highlight", "guess_lang": False,
                                            "pygments_formatter": _BlockFormatter}}


@dataclass
class FormulaRef:
    formula: Formula
    line: int


@dataclass
class LinkRef:
    """A relative link of a note, resolved to a path of the site."""
    target: str
    href: str
    line: int


@dataclass
class RenderedDocs:
    html: str
    formulas: list[FormulaRef] = field(default_factory=list)
    links: list[LinkRef] = field(default_factory=list)
    # The characters that open and close the placeholders of `html` (see `placeholder_marks`);
    # `None`: it has none.
    marks: tuple[str, str] | None = MARKS


# ## Cutting out math

def placeholder_marks(text: str) -> tuple[str, str] | None:
    """The two characters that open and close the placeholders of `text`: the first two of the
    private use areas that `text` does not hold (U+E000 and U+E001 unless it holds them).

    A placeholder of characters the text may hold could be forged: a note that shows
    U+E000 `0` U+E001, as text or as code, would get the first formula of its page in its
    place, and U+E000 `7` U+E001 would name a formula that does not exist. Marks the text does
    not hold can only come from `cut_math`. They depend on the text alone, so the same note
    always makes the same page. `None` when the text holds all but at most one of the 137,468
    private-use characters: its math is then left as text.
    """
    if not _PRIVATE_USE_RE.search(text):
        return MARKS
    used = set(_PRIVATE_USE_RE.findall(text))
    free: list[str] = []
    for first, last in _PRIVATE_USE:
        for code in range(first, last + 1):
            if chr(code) not in used:
                free.append(chr(code))
                if len(free) == 2:
                    return free[0], free[1]
    return None


def cut_math(text: str, first_line: int = 1, marks: tuple[str, str] | None = None,
             spans: list[tuple[str, int, int]] | None = None) -> tuple[str, list[FormulaRef]]:
    r"""Replace every formula of `text` with a placeholder; fenced code and inline code keep theirs.

    `$$...$$` is display math, even in the middle of a paragraph; a bare `\begin{align}` block
    is display math; `$...$` is inline when it opens on a non-space and closes on a non-space
    that no digit follows (so that `$5 and $10` stays text). `\$` is a dollar sign.

    A placeholder is `open N close`, with the `marks` of `placeholder_marks(text)` (chosen here
    when not given): `N` is the formula's index.

    `spans`, if given, receives `(kind, start, end)` of every formula (`math`) and code span
    (`code`) of `text`, in order: what a translation catalog keeps out of its messages (see
    [`i18n`](i18n/__init__.py)).
    """
    marks = marks or placeholder_marks(text)
    if marks is None:
        return text, []
    opening, closing = marks
    out: list[str] = []
    formulas: list[FormulaRef] = []
    i, n = 0, len(text)

    def line_at(pos: int) -> int:
        return first_line + text.count("\n", 0, pos)

    def emit(tex: str, display: bool, start: int, end: int) -> None:
        if spans is not None:
            spans.append(("math", start, end))
        out.append(f"{opening}{len(formulas)}{closing}")
        formulas.append(FormulaRef(Formula(tex.strip(), display), line_at(start)))

    while i < n:
        c = text[i]
        at_line_start = i == 0 or text[i - 1] == "\n"
        if at_line_start:
            fence = _FENCE.match(text, i)
            if fence:
                end = _fence_end(text, i, fence.group(1))
                out.append(text[i:end])
                i = end
                continue
        if c == "\n":  # the next character starts a line: it may open a fence
            out.append(c)
            i += 1
            continue
        if c == "`":
            run = _run_length(text, i, "`")
            close = _closing_backticks(text, i + run, run)
            if close is None:
                out.append(text[i:i + run])
                i += run
            else:
                if spans is not None:
                    spans.append(("code", i, close + run))
                out.append(text[i:close + run])
                i = close + run
            continue
        if c == "\\":
            begin = _BEGIN.match(text, i)
            if begin:
                end_tag = f"\\end{{{begin.group(1)}}}"
                j = text.find(end_tag, begin.end())
                if j != -1:
                    emit(text[i:j + len(end_tag)], True, i, j + len(end_tag))
                    i = j + len(end_tag)
                    continue
            if text.startswith("\\$", i):
                out.append("&#36;")
                i += 2
                continue
            out.append(text[i:i + 2])
            i += 2
            continue
        if c == "$":
            if text.startswith("$$", i):
                j = _find_unescaped(text, "$$", i + 2)
                if j != -1 and text[i + 2:j].strip():
                    emit(text[i + 2:j], True, i, j + 2)
                    i = j + 2
                    continue
                out.append("$$")
                i += 2
                continue
            close = _inline_close(text, i)
            if close is not None:
                emit(text[i + 1:close], False, i, close + 1)
                i = close + 1
                continue
        # Text, up to the next character that may start something.
        special = _SPECIAL.search(text, i + 1)
        end = n if special is None else special.start()
        out.append(text[i:end])
        i = end
    return "".join(out), formulas


def _run_length(text: str, i: int, char: str) -> int:
    j = i
    while j < len(text) and text[j] == char:
        j += 1
    return j - i


def _closing_backticks(text: str, start: int, run: int) -> int | None:
    """Where a code span opened by `run` backticks closes (a run of exactly that length)."""
    j = start
    while True:
        j = text.find("`" * run, j)
        if j == -1:
            return None
        length = _run_length(text, j, "`")
        if length == run:
            return j
        j += length


def _fence_end(text: str, start: int, fence: str) -> int:
    """The end of a fenced code block (the end of the text if it is never closed)."""
    line_end = text.find("\n", start)
    if line_end == -1:
        return len(text)
    closing = re.compile(r"^[ \t]*" + re.escape(fence[0]) + "{" + str(len(fence)) + r",}[ \t]*$",
                         re.M)
    match = closing.search(text, line_end + 1)
    return len(text) if match is None else match.end()


def _find_unescaped(text: str, needle: str, start: int) -> int:
    j = start
    while True:
        j = text.find(needle, j)
        if j == -1 or not _escaped(text, j):
            return j
        j += 1


def _escaped(text: str, pos: int) -> bool:
    backslashes = 0
    while pos - backslashes - 1 >= 0 and text[pos - backslashes - 1] == "\\":
        backslashes += 1
    return backslashes % 2 == 1


def _inline_close(text: str, i: int) -> int | None:
    """The closing `$` of inline math opened at `i`, or `None` if this `$` is just a dollar."""
    if i + 1 >= len(text) or text[i + 1].isspace():
        return None
    j = i + 1
    while j < len(text):
        c = text[j]
        if c == "\\":
            j += 2
            continue
        if c == "\n":
            k = j + 1
            while k < len(text) and text[k] in " \t":
                k += 1
            if k >= len(text) or text[k] == "\n":
                return None  # inline math never spans a blank line
        if c == "$":
            if text[j - 1].isspace() or (j + 1 < len(text) and text[j + 1].isdigit()):
                return None
            return j
        j += 1
    return None


class _MathPreprocessor(Preprocessor):
    def __init__(self, md, sink):
        super().__init__(md)
        self.sink = sink

    def run(self, lines):
        text = "\n".join(lines)
        marks = placeholder_marks(text)
        text, formulas = cut_math(text, self.sink.first_line, marks)
        self.sink.formulas = formulas
        self.sink.marks = marks
        return text.split("\n")


# ## Inline code

class _HighlightedBacktick(BacktickInlineProcessor):
    """`` `code` `` in a note becomes `<code class="highlight">` with Pygments spans."""

    def handleMatch(self, m, data):
        element, start, end = super().handleMatch(m, data)
        if isinstance(element, ElementTree.Element):
            # Python-Markdown escaped the text for HTML; Pygments wants it raw.
            code = (element.text or "").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
            return self.md.htmlStash.store(highlight_inline(code)), start, end
        return element, start, end


# ## Links

def rewrite_link(href: str, page_path: str) -> tuple[str, str | None]:
    """`(new href, site path of the target)`; the target is `None` for external links.

    A link with a scheme (`https:`, `mailto:`, `tel:`, `data:`, any `name:`), a protocol-relative
    `//host` link, an absolute path and a fragment are not pages of the tree: never rewritten,
    never checked.
    """
    if not _is_relative(href):
        return href, None
    path, sep, fragment = href.partition("#")
    path, qsep, query = path.partition("?")
    if path.endswith((".py", ".md")) or path.lower().endswith(".md"):
        path = page_url(path)
    elif path.endswith("/") or path in ("", ".", ".."):
        path = path.rstrip("/") + "/index.html" if path.rstrip("/") else "index.html"
    here = posixpath.dirname(page_url(page_path))
    # The href is a URL (`a%20b.py`); the target is the site's file (`a b.html`).
    target = posixpath.normpath(posixpath.join(here, unquote(path)))
    new = path + (qsep + query) + (sep + fragment)
    return new, target


def _is_relative(href: str) -> bool:
    """Whether a link points into the site, as a path relative to the page.

    Python-Markdown hides the address of an e-mail autolink (`<name@example.org>`) from spam
    robots by writing every character as an entity (`&#109;&#97;...`, with its own marker for
    `&`): decoded, it is `mailto:name@example.org`, whose scheme says it is no page.
    """
    plain = unescape(href.replace(AMP_SUBSTITUTE, "&")).strip()
    return bool(plain) and not plain.startswith(("#", "/")) and not _SCHEME.match(plain)


class _LinkTreeprocessor(Treeprocessor):
    def __init__(self, md, sink):
        super().__init__(md)
        self.sink = sink

    def run(self, root: ElementTree.Element):
        for element in root.iter():
            attr = {"a": "href", "img": "src"}.get(element.tag)
            href = element.get(attr) if attr is not None else None
            if attr is None or href is None:
                continue
            new, target = rewrite_link(href, self.sink.page_path)
            element.set(attr, new)
            if target is not None:
                self.sink.links.append(LinkRef(target, href, self.sink.line_of(href)))


class _Sink:
    """What one conversion collects on the side: formulas, links, and where the text starts."""

    def __init__(self):
        self.formulas: list[FormulaRef] = []
        self.links: list[LinkRef] = []
        self.page_path = ""
        self.first_line = 1
        self.text = ""
        self.marks: tuple[str, str] | None = MARKS

    def line_of(self, href: str) -> int:
        pos = self.text.find(href)
        return self.first_line + (self.text.count("\n", 0, pos) if pos >= 0 else 0)


class LabmlDocsExtension(Extension):
    def __init__(self, sink: _Sink, **kwargs):
        self.sink = sink
        super().__init__(**kwargs)

    def extendMarkdown(self, md):
        # After whitespace normalisation (30), before fenced code (25) and raw HTML (20).
        md.preprocessors.register(_MathPreprocessor(md, self.sink), "labml_math", 27)
        backtick = _HighlightedBacktick(BACKTICK_RE)
        backtick.md = md
        md.inlinePatterns.register(backtick, "backtick", 190)
        md.treeprocessors.register(_LinkTreeprocessor(md, self.sink), "labml_links", 1)


class DocsRenderer:
    """Renders notes; one Markdown instance, reset between notes.

    With `sanitize`, the HTML of each note is cleaned (see [`sanitize`](sanitize.py)) before
    anything else sees it: after Markdown, before the math is put in place."""

    def __init__(self, extensions=None, extension_configs=None, sanitize: bool = False):
        self.sink = _Sink()
        self.sanitize = sanitize
        # Plain prose is written out here, as Markdown would (see `plain_html`), unless an
        # extension of the user's may give it a meaning.
        self.plain = not extensions and not extension_configs
        configs = dict(DEFAULT_EXTENSION_CONFIGS)
        configs.update(extension_configs or {})
        names = list(DEFAULT_EXTENSIONS)
        for extension in extensions or []:
            if extension not in names:
                names.append(extension)
        made = [_extension(name, configs.get(name, {})) for name in names]
        self.md = markdown.Markdown(
            extensions=made + [LabmlDocsExtension(self.sink)],
            extension_configs={k: v for k, v in configs.items() if k in made},
            output_format="html")

    def render(self, text: str, page_path: str, first_line: int = 1) -> RenderedDocs:
        if not text.strip():
            return RenderedDocs("")
        if self.plain:
            html = plain_html(text)
            if html is not None:
                if self.sanitize:
                    from .sanitize import clean_notes
                    html = clean_notes(html)
                return RenderedDocs(html, [], [], MARKS)
        sink = self.sink
        sink.formulas, sink.links = [], []
        sink.page_path, sink.first_line, sink.text = page_path, first_line, text
        sink.marks = MARKS
        self.md.reset()
        html = self.md.convert(text)
        if self.sanitize:
            from .sanitize import clean_notes
            html = clean_notes(html)
        return RenderedDocs(html, list(sink.formulas), list(sink.links), sink.marks)


# A line of plain prose: it opens with a letter (no list, heading, quote, code or setext
# underline), ends with no space (no hard break), and holds only letters, digits, spaces and
# punctuation that Markdown gives no meaning (no emphasis, code, link, HTML, entity, escape,
# math, table or attribute list).
_PLAIN_LINE = re.compile(r"[A-Za-z](?:[A-Za-z0-9 ,.;:!?'\"()/%+=-]*[A-Za-z0-9.,;:!?'\")/%])?\Z")
_PARAGRAPH_BREAK = re.compile(r"\n\n+")


def plain_html(text: str) -> str | None:
    """The HTML of a note of plain prose (paragraphs of such lines, between empty lines), as
    Python-Markdown makes it with our extensions: `<p>` around each paragraph. `None` for any
    other note. Half of the notes of PyTorch are plain, and a quarter of Markdown's time went
    to them; a test compares this with Python-Markdown on every note of the trees we measure."""
    text = text.strip("\n")
    if not all(not line or _PLAIN_LINE.match(line) for line in text.split("\n")):
        return None
    return "\n".join(f"<p>{paragraph}</p>" for paragraph in _PARAGRAPH_BREAK.split(text))


def _extension(name, config: dict):
    """Python-Markdown's own extensions, made here; any other name is left to Python-Markdown.

    Given a name, Python-Markdown looks for it among the entry points of every installed
    package (12 ms, a twentieth of a one-page rebuild) even when it is one of its own."""
    if not isinstance(name, str):
        return name
    module = name.removeprefix("markdown.extensions.")
    if module not in _BUILT_IN:
        return name
    import importlib
    return importlib.import_module(f"markdown.extensions.{module}").makeExtension(**config)


_BUILT_IN = {"abbr", "admonition", "attr_list", "codehilite", "def_list", "extra", "fenced_code",
             "footnotes", "legacy_attrs", "legacy_em", "md_in_html", "meta", "nl2br",
             "sane_lists", "smarty", "tables", "toc", "wikilinks"}


def fill_math(html: str, rendered: list[str], marks: tuple[str, str] | None = MARKS) -> str:
    """Put rendered formulas in place of their placeholders (made with `marks`; `None`: none).

    A placeholder with no rendered formula is a bug of ours, never of the note: it becomes an
    error mark saying so rather than stopping the page (`PageBuilder.finish` reports it with
    the formula's line).
    """
    def formula(match: re.Match) -> str:
        index = int(match.group(1))
        if index < len(rendered):
            return rendered[index]
        return error_mark(f"formula {index + 1}", MISSING_FORMULA)

    return html if marks is None else _placeholder_pattern(marks).sub(formula, html)


MISSING_FORMULA = "labml-docs bug: this formula was not rendered; please report it"


@functools.lru_cache(maxsize=64)
def _placeholder_pattern(marks: tuple[str, str]) -> re.Pattern:
    opening, closing = marks
    return re.compile(re.escape(opening) + "([0-9]+)" + re.escape(closing))
