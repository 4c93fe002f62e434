"""
---
title: The state of a translation
summary: What check says about each language, counts, placeholders, math, in file:line form.
---

# The state of a translation

For each language, `labml-docs check` counts the messages of the tree's notes as the catalogs
hold them: **translated**, **fuzzy** (a translation waiting for review, shown in English),
**missing** (no catalog, no message, or an empty translation). A translation of the same words
in another section of the page counts, as the build uses it. Then, for each translation of
each catalog, as `file:line` of the catalog:

* a placeholder **lost** (`{2}` of the message is not in the translation) or **invented** (the
  translation names `{7}`, which the message does not have): the reader gets the English;
* a **KaTeX error** in math the translation writes itself (`$...$`): the placeholders are the
  English formulas and render as they do there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..diagnostics import Diagnostic
from ..markdown import cut_math
from .catalog import CatalogError, catalog_file, entries, pages, read
from .messages import placeholders

if TYPE_CHECKING:
    from ..config import SiteConfig


@dataclass
class LanguageReport:
    language: str
    translated: int = 0
    fuzzy: int = 0
    missing: int = 0
    catalogs: int = 0
    pages: int = 0
    problems: list[Diagnostic] = field(default_factory=list)

    def summary(self) -> str:
        total = self.translated + self.fuzzy + self.missing
        return (f"{self.language}: {self.translated} translated, {self.fuzzy} fuzzy, "
                f"{self.missing} missing of {total} messages ({self.catalogs} of "
                f"{self.pages} pages have a catalog), {len(self.problems)} problems")


def check_language(config: SiteConfig, language: str, math: Any = None) -> LanguageReport:
    """The report of one language; `math` (a `MathRenderer`) renders the formulas that
    translations write themselves, to find KaTeX's errors in them."""
    report = LanguageReport(language)
    formulas: list[tuple[Path, int, Any]] = []
    for file, page, _ in pages(config):
        if page is None:
            continue
        report.pages += 1
        path = catalog_file(config, language, file.url)
        if not path.is_file():
            report.missing += len(entries(page))
            continue
        report.catalogs += 1
        try:
            catalog = read(path)
        except CatalogError as e:
            report.problems.append(e.diagnostic)
            report.missing += len(entries(page))
            continue
        messages = [m for m in catalog if m.id and isinstance(m.id, str)]  # (no plurals)
        exact = {(m.context, m.id): m for m in messages}
        anywhere = {m.id for m in messages if m.string and not m.fuzzy}
        for entry in entries(page):
            message = exact.get((entry.context, entry.msgid))
            if message is not None and message.string and not message.fuzzy:
                report.translated += 1
            elif message is not None and message.string:
                report.fuzzy += 1
            elif entry.msgid in anywhere:
                report.translated += 1
            else:
                report.missing += 1
        lines = path.read_text(encoding="utf-8", errors="replace").split("\n")
        for message in messages:
            if isinstance(message.string, str) and message.string:
                line = _msgstr_line(lines, message.lineno or 1)
                report.problems += placeholder_problems(str(path), line, str(message.id),
                                                        message.string)
                _, written = cut_math(message.string)
                formulas += [(path, line, ref.formula) for ref in written]
    if formulas and math is not None:
        results = math.render_many([formula for _, _, formula in formulas])
        for (path, line, _), result in zip(formulas, results):
            if result.error:
                report.problems.append(Diagnostic(str(path), line, f"KaTeX: {result.error}"))
    report.problems.sort()
    return report


def _msgstr_line(lines: list[str], msgid_line: int) -> int:
    """The line of a message's `msgstr`, the translation a problem is in (Babel knows the
    line of its `msgid`)."""
    for number in range(msgid_line, min(len(lines), msgid_line + 200) + 1):
        if lines[number - 1].lstrip().startswith("msgstr"):
            return number
    return msgid_line


def placeholder_problems(path: str, line: int, msgid: str, msgstr: str) -> list[Diagnostic]:
    """The placeholders a translation loses or invents."""
    wanted, found = set(placeholders(msgid)), set(placeholders(msgstr))
    problems = []
    lost, invented = sorted(wanted - found), sorted(found - wanted)
    if lost:
        problems.append(Diagnostic(path, line, "translation loses placeholder(s) "
                                   + ", ".join(f"{{{n}}}" for n in lost)
                                   + ": the English is shown"))
    if invented:
        problems.append(Diagnostic(path, line, "translation invents placeholder(s) "
                                   + ", ".join(f"{{{n}}}" for n in invented)
                                   + ": the English is shown"))
    return problems
