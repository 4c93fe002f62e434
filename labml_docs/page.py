"""
---
title: The stages of a page
summary: Read, parse, render the notes, colour and render the math, highlight, and fill the template.
---

# The stages of a page

Each page goes through the same stages, in this order:

1. **read** the file: a Python file as Python reads it (UTF-8, or the encoding its first or
   second line declares), a readme as UTF-8; a byte that does not decode gets a message with
   its line;
2. **parse** it into sections ([`parse`](parse.py));
3. **render the notes** with math cut out ([`markdown`](markdown.py));
4. **colour** the terms of its equations ([`colour`](colour.py)) and **render the math**, for
   all pages at once ([`math`](math/__init__.py));
5. **highlight** the code, with links to definitions ([`highlight`](highlight.py),
   [`xref`](xref/__init__.py));
6. **fill the template** ([`templates`](templates.py)).
"""

from __future__ import annotations

import codecs
import io
import logging
import pickle
import posixpath
import re
import tokenize
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .config import SiteConfig
from .diagnostics import Diagnostic
from .fingerprint import sha256
from .parse import Page, parse_markdown, parse_python
from .urls import href

# Markdown, Pygments and Jinja are imported when a page is rendered, not before: a rebuild
# where every page comes from the cache never needs them.
if TYPE_CHECKING:
    from jinja2 import Environment

    from .markdown import FormulaRef, RenderedDocs
    from .math import Formula, MathEngine

log = logging.getLogger("labml_docs")


# A page whose math ran out of time (or ended KaTeX) may come out whole on the next build:
# the math cache does not keep such a formula, and the page cache must not keep its page. It
# "depends" on a page that can never exist (every path of a site ends in a suffix such as
# `.html`), so that it is rendered again for as long as the formula fails.
UNSETTLED = "(math that may render next time)"


@dataclass
class RenderedPage:
    """A finished page; `html` is `None` when the page could not be built."""
    url: str
    path: str
    title: str
    summary: str
    html: str | None
    # The plain text of the notes, for search indexes.
    text: str = ""

    def read_html(self) -> str | None:
        """The HTML (as `build.CachedPage.read_html`, which does not keep what it reads)."""
        return self.html


@dataclass
class PageDeps:
    """What a page's HTML depends on besides its own source (see [`page_cache`](page_cache.py))."""
    # Each page the breadcrumbs looked for → whether it existed.
    exists: dict[str, bool] = field(default_factory=dict)
    # The other source files whose definitions the page links to.
    files: list[str] = field(default_factory=list)
    # Per such file, the facts of it the links were read from and the digest of their values
    # (`XrefIndex.fact_record`): a change of the file that leaves them alone leaves the page.
    facts: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class PreparedPage:
    """A page between the stages: parsed, notes rendered, math not yet in place."""
    path: str
    url: str
    page: Page
    docs: list[RenderedDocs] = field(default_factory=list)
    math_html: list[str] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    failed: bool = False
    deps: PageDeps = field(default_factory=PageDeps)
    # The formulas as they go to KaTeX (coloured); computed with the notes, in `prepare`.
    math_input: list[Formula] | None = None
    # A Python file: the sha256 of the bytes read, and its summary for the cross-reference
    # index (what it imports; `None` if it does not parse), from the parse of `prepare`.
    digest: str | None = None
    imports: list[str] | None = None

    @property
    def formulas(self) -> list[FormulaRef]:
        return [f for d in self.docs for f in d.formulas]

    # What the build keeps of a page, and what only finishing needs: the parsed page (its
    # source and sections) and the notes' HTML, most of its memory. A build holds every page it
    # renders between prepare and finish, so that the home page can list them all: the parts
    # only finishing needs wait as bytes (`pack`), about a third of their size as objects.

    def pack(self) -> bytes:
        """Take out the parts only `finish` needs, as bytes, for `unpack`."""
        blob = pickle.dumps((self.page, [(docs.html, docs.marks) for docs in self.docs]),
                            pickle.HIGHEST_PROTOCOL)
        self._lighten()
        return blob

    def unpack(self, blob: bytes) -> None:
        self.page, parts = pickle.loads(blob)
        for docs, (html, marks) in zip(self.docs, parts):
            docs.html, docs.marks = html, marks

    def release(self) -> None:
        """Once the page is finished, drop what only finishing needed (its source, sections,
        notes and math): what is left is what the build keeps of it (address, title, summary,
        links, formula count, messages)."""
        self._lighten()
        self.math_html, self.math_input = [], None

    def _lighten(self) -> None:
        page = self.page
        title, summary = page.title, page.summary
        # The title and summary move into the front matter, which they come from first: only
        # when they come out of it unchanged.
        if title and title == title.strip() and summary == " ".join(summary.split()):
            meta = {k: v for k, v in page.meta.items() if k != "description"}
            self.page = Page(page.path, meta={**meta, "title": title, "summary": summary},
                             diagnostics=page.diagnostics, language=page.language,
                             failed=page.failed)
        for docs in self.docs:
            docs.html, docs.marks = "", None


def read_source(path: str, data: bytes,
                python: bool = True) -> tuple[str | None, Diagnostic | None]:
    """Decode a source file, or say where it cannot be decoded.

    A Python file is decoded as Python decodes it (PEP 263): UTF-8, unless its first or second
    line declares another encoding (`# -*- coding: latin-1 -*-`). A readme (`python=False`) is
    always UTF-8. A UTF-8 byte order mark is dropped, and line ends become `\n`.
    """
    body = data[len(codecs.BOM_UTF8):] if data.startswith(codecs.BOM_UTF8) else data
    encoding, problem = _declared_encoding(path, data) if python else ("utf-8", None)
    if problem is not None:
        return None, problem
    try:
        text = body.decode(encoding)
    except UnicodeDecodeError as e:
        line = body[: e.start].count(b"\n") + 1
        name = "UTF-8" if encoding == "utf-8" else encoding
        return None, Diagnostic(path, line,
                                f"not {name}: byte 0x{body[e.start]:02x} cannot be decoded")
    return text.replace("\r\n", "\n").replace("\r", "\n"), None


# PEP 263's declaration, to find the line it is on (`tokenize` says what it declares, not where).
_CODING = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)", re.ASCII)


def _declared_encoding(path: str, data: bytes) -> tuple[str, Diagnostic | None]:
    """The encoding a Python file is read in (`tokenize.detect_encoding`, Python's own rule), or
    a message on the line of a declaration that Python would refuse."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as e:
        if "invalid or missing" in e.msg:
            # A first line that is not UTF-8 and declares nothing: decoding says which byte.
            return "utf-8", None
        if e.msg.startswith("unknown encoding"):
            return "utf-8", _declaration_problem(path, data, "unknown encoding")
        return "utf-8", _declaration_problem(path, data, "the file starts with a UTF-8 byte "
                                                         "order mark")
    # `utf-8-sig`: the byte order mark is already gone.
    encoding = "utf-8" if encoding in ("utf-8", "utf-8-sig") else encoding
    if not _ascii_compatible(encoding):
        # Python refuses these too: the declaration could not be read in its own encoding.
        return "utf-8", _declaration_problem(path, data, "not an encoding Python reads source in")
    return encoding, None


def _ascii_compatible(encoding: str) -> bool:
    """Whether a codec reads ASCII as ASCII (not UTF-16, nor `rot13`, which is no text codec)."""
    try:
        return b"#\n".decode(encoding) == "#\n"
    except (LookupError, UnicodeError):
        return False


def _declaration_problem(path: str, data: bytes, why: str) -> Diagnostic:
    """A declaration Python would refuse, on its line (the first, or else the second)."""
    lines = data.removeprefix(codecs.BOM_UTF8).split(b"\n", 2)
    for line, text in enumerate(lines[:2], 1):
        match = _CODING.match(text)
        if match:
            declared = match.group(1).decode("ascii")
            return Diagnostic(path, line, f"bad encoding declaration `{declared}`: {why}")
    return Diagnostic(path, 1, f"bad encoding declaration: {why}")


def math_input(page: PreparedPage, colour: bool,
               order: list[Formula] | None = None) -> list[Formula]:
    """The page's formulas as KaTeX gets them: with their terms coloured, if asked for.

    `order`: the formulas as the page has them in the notes' own language, for a translated
    edition, whose translations may put them in another order: the terms are coloured (and
    their classes numbered) as there, so that every edition shows the same math."""
    formulas = [ref.formula for ref in page.formulas]
    if colour and formulas:
        from .colour import colour_formulas
        texs = [f.tex for f in formulas]
        if order is None:
            coloured = colour_formulas(texs)
        else:
            english = [f.tex for f in order]
            by_tex = dict(zip(english, colour_formulas(english)))
            written = [tex for tex in texs if tex not in by_tex]  # a translation's own math
            if written:
                by_tex.update((tex, out) for tex, out in zip(
                    english + written, colour_formulas(english + written)) if tex not in by_tex)
            coloured = [by_tex[tex] for tex in texs]
        formulas = [type(f)(tex, f.display) for f, tex in zip(formulas, coloured)]
    return formulas


def render_math(pages: list[PreparedPage], math: MathEngine) -> None:
    """Render the formulas of all `pages` in one batch, and put each page's results and
    KaTeX's messages on it."""
    batch = [page.math_input or [] for page in pages]
    everything = [f for formulas in batch for f in formulas]
    results = math.render_many(everything) if everything else []
    position = 0
    for page, formulas in zip(pages, batch):
        mine = results[position: position + len(formulas)]
        position += len(formulas)
        page.math_html = [r.html for r in mine]
        for ref, result in zip(page.formulas, mine):
            if result.error:
                page.diagnostics.append(Diagnostic(page.path, ref.line, f"KaTeX: {result.error}"))
            if result.transient:
                page.deps.exists[UNSETTLED] = True


class PageBuilder:
    """Runs the stages of every page of one build."""

    def __init__(self, config: SiteConfig, env: Environment, files):
        from .markdown import DocsRenderer

        self.config = config
        self.env = env
        self.docs = DocsRenderer(config.markdown_extensions, config.markdown_extension_configs,
                                 sanitize=config.sanitize)
        self.urls = {f.path: f.url for f in files}
        self.url_set = set(self.urls.values())
        # The cross-reference index: `links_for(page) -> {(line, column): href}`; if it also has
        # `dependencies(page) -> iterable of source paths` (the files whose definitions the
        # links point to), a change to any of them renders the page again, unless it also has
        # `fact_record(page)` and the facts of the file recorded there are unchanged.
        self.xref = None

    def prepare(self, file) -> PreparedPage:
        try:
            data = file.absolute.read_bytes()
        except OSError as e:
            return PreparedPage(file.path, file.url, Page(file.path), failed=True, diagnostics=[
                Diagnostic(file.path, 1, f"cannot read: {e.strerror or e}")])
        text, problem = read_source(file.path, data, python=file.kind == "python")
        from .xref.summaries import summary_of

        python = file.kind == "python"
        digest = sha256(data) if python else None
        if problem is not None:
            return PreparedPage(file.path, file.url, Page(file.path), diagnostics=[problem],
                                failed=True, digest=digest)
        assert text is not None  # (no problem: decoded)
        if python:
            page = parse_python(text, file.path, self.config.sections)
        else:
            page = parse_markdown(text, file.path)
        prepared = PreparedPage(file.path, file.url, page, diagnostics=list(page.diagnostics),
                                digest=digest, imports=summary_of(page) if python else None)
        prepared.failed = page.failed
        # A translated edition renders each note in its language (see [`i18n`](i18n/__init__.py)).
        notes, mark, order = [section.docs for section in page.sections], "", None
        if self.config.edition and not page.failed:
            from .i18n.edition import translate_page
            notes, mark, order = translate_page(self.config, file.url, page,
                                                prepared.diagnostics)
        for section, note in zip(page.sections, notes):
            try:
                prepared.docs.append(self.docs.render(note, file.path, section.docs_line))
                if mark and mark in note:  # (else the mark may be one of the math's)
                    from .i18n.messages import mark_untranslated
                    docs = prepared.docs[-1]
                    docs.html = mark_untranslated(docs.html, mark, self.config.language)
            except RecursionError:
                # Python-Markdown recurses over nested blocks: a list nested some 300 deep.
                return PreparedPage(file.path, file.url, page, failed=True, diagnostics=[
                    *page.diagnostics,
                    Diagnostic(file.path, section.docs_line, "notes nested too deeply for Markdown")])
        prepared.math_input = math_input(prepared, self.config.colour_equations, order)
        return prepared

    def context(self, page: PreparedPage) -> dict:
        url = page.url
        depth = url.count("/")
        # `root` leads to the top of the site, where its assets are; `home` to the top of this
        # edition (the same, but for a translated edition in `<language>/`).
        edition = self.config.edition
        home = "../" * depth
        root = "../" * (depth + 1) if edition else home
        site_url = self.config.site_url.rstrip("/")
        prefix = f"{edition}/" if edition else ""
        context = {
            "site": self.config,
            # The template `page.html` extends: a whole page, or a block for a theme.
            "base": "theme_base.html" if self.config.layout == "theme" else "base.html",
            "root": root,
            "page": {
                "title": page.page.title,
                "summary": page.page.summary,
                "url": url,
                "canonical": f"{site_url}/{prefix}{href(url)}" if site_url else "",
            },
            "breadcrumbs": self.breadcrumbs(url, home, page.deps.exists),
            "source_link": self.config.source_link(page.path) if page.path else "",
            "lang": edition or self.config.language,
            "editions": [],
        }
        if self.config.languages:
            from .i18n.edition import editions
            context["editions"] = editions(self.config, url, root)
        return context

    def breadcrumbs(self, url: str, root: str, seen: dict | None = None) -> list[dict]:
        """`home`, then each package above the page that has a page of its own.

        Each page looked for goes into `seen` (page → whether it exists): a dependency.
        """
        crumbs = [{"title": "home", "url": root + "index.html"}]
        parts = url.split("/")[:-1]
        if posixpath.basename(url) == "index.html":
            parts = parts[:-1]
        for i in range(len(parts)):
            index = "/".join(parts[: i + 1]) + "/index.html"
            exists = index in self.url_set
            if seen is not None:
                seen[index] = exists
            if exists:
                crumbs.append({"title": parts[i], "url": root + index})
        return crumbs

    def finish(self, page: PreparedPage, pages=None) -> RenderedPage:
        """Highlight, put the math in place and fill the template.

        `pages` is what the home page lists: the prepared pages, or the dicts of `listing`.
        """
        from markupsafe import Markup

        from .highlight import FileHighlighter
        from .markdown import fill_math

        title, summary = page.page.title, page.page.summary
        if page.failed:
            return RenderedPage(page.url, page.path, title, summary, None)
        links: dict[tuple[int, int], str] = \
            self.xref.links_for(page.page) if self.xref is not None else {}
        dependencies = getattr(self.xref, "dependencies", None)
        if dependencies is not None:
            page.deps.files = sorted(set(dependencies(page.page)) - {page.path})
        fact_record = getattr(self.xref, "fact_record", None)
        if fact_record is not None:
            page.deps.facts = fact_record(page.page)
        forget = getattr(self.xref, "forget", None)
        if forget is not None:  # (the index has told all it knows of this page)
            forget(page.page)
        highlighter = FileHighlighter(page.page.source, links, page.page.language)
        sections = []
        position = 0
        text = []
        self.report_missing_math(page)
        for section, docs in zip(page.page.sections, page.docs):
            count = len(docs.formulas)
            html = fill_math(docs.html, page.math_html[position: position + count], docs.marks)
            position += count
            text.append(section.docs)
            sections.append({
                "kind": section.kind,
                "docs_html": Markup(html),
                "code_html": Markup(highlighter.section(section.code)) if section.code else "",
            })
        context = self.context(page)
        context["sections"] = sections
        if page.url == "index.html":
            context["pages"] = self.listing(pages or [])
            template = self.env.get_template("index.html")
        else:
            template = self.env.get_template("page.html")
        return RenderedPage(page.url, page.path, title, summary, template.render(context),
                            "\n\n".join(text))

    @staticmethod
    def report_missing_math(page: PreparedPage) -> None:
        """A formula with no rendering when its page is finished is a bug of the build, never of
        the note: `fill_math` marks its place, and here it is said loudly, with its line (in the
        log too, as a worker's messages do not come back)."""
        from .markdown import MISSING_FORMULA

        for ref in page.formulas[len(page.math_html):]:
            problem = Diagnostic(page.path or page.url, ref.line, MISSING_FORMULA)
            log.error("%s", problem)
            page.diagnostics.append(problem)

    @staticmethod
    def listing(pages) -> list[dict]:
        """`{url, title, summary}` of every page but the home page, in the order of the tree.

        A package's index comes first, then its readme, then its modules by file name, then its
        subpackages, each in the same order: the page that introduces a package comes before
        the pages it introduces (by address, `optimizers/index.html` fell between `amsgrad` and
        `noam`).
        """
        def place(url: str) -> list[tuple]:
            *folders, name = url.split("/")
            rank = {"index.html": 0, "readme.html": 1}.get(name.lower(), 2)
            return [(1, folder) for folder in folders] + [(0, rank, name)]

        items = [p if isinstance(p, dict) else
                 {"url": p.url, "title": p.page.title, "summary": p.page.summary} for p in pages]
        return [{"url": p["url"], "title": p["title"], "summary": p["summary"]}
                for p in sorted(items, key=lambda p: place(p["url"])) if p["url"] != "index.html"]
