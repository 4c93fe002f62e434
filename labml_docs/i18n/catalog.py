"""
---
title: Translation catalogs
summary: One gettext catalog per page per language, written and merged with Babel.
---

# Translation catalogs

Each page has one catalog per language, `locale/<language>/<page>.po` (the page's address
without `.html`: `locale/zh/optimizers/amsgrad.po`), read and written with
[Babel](https://babel.pocoo.org/), the library Sphinx's own catalogs go through. A catalog
holds the [messages](messages.py) of the page's notes, and the title and summary of its front
matter:

* each message's context (`msgctxt`) is the section it is in, `optimizers/amsgrad.py#section-3`,
  the same address as the section's anchor, so that the same words in two sections can be
  translated two ways;
* its reference (`#:`) is the file and line of the source where the block starts;
* its extracted comments (`#.`) say what each placeholder stands for.

`extract` writes the catalogs that do not exist yet, and never replaces one. `update` merges
the notes as they are now into each catalog with Babel's `Catalog.update`: a message whose
words changed keeps its translation, marked fuzzy, with the English it was translated from
(`#| msgid`) for the reviewer; a message gone from the notes stays at the end as obsolete
(`#~`), for reuse. Before Babel merges, a translated message whose words are still in the page
but moved to another section (a section inserted above renumbers the ones below) follows them
to their new context: Babel's fuzzy matching would otherwise mark every such message fuzzy.

A catalog is only written when its content changes, atomically: one that a translator's tool
holds open is never left half written.
"""

from __future__ import annotations

import io
import os
import shlex
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..atomic import write_atomic
from ..diagnostics import Diagnostic
from .messages import units

if TYPE_CHECKING:
    from babel.messages.catalog import Catalog

    from ..config import SiteConfig
    from ..parse import Page
    from ..scan import SourceFile

#: The first line of the header of every catalog this tool writes.
HEADER = "# Translations of the notes of {path} into {language}."
#: How long a translator command may take for one message.
TRANSLATOR_TIMEOUT = 120.0


class CatalogError(Exception):
    """A catalog that cannot be read (or a translator that cannot be run)."""

    def __init__(self, path: str, line: int, problem: str):
        super().__init__(f"{path}:{line}: {problem}")
        self.diagnostic = Diagnostic(path, line, problem)


@dataclass
class Entry:
    """One message of a page, as the catalog wants it."""
    msgid: str
    context: str
    line: int
    comments: list[str] = field(default_factory=list)


def locale_dir(config: SiteConfig) -> Path:
    """Where the catalogs are: the `locale_dir` setting, else `locale/` beside the source
    folder (not inside it: the build would publish the catalogs as files of the site)."""
    if config.locale_dir:
        return Path(config.locale_dir)
    return Path(config.source_dir).resolve().parent / "locale"


def catalog_file(config: SiteConfig, language: str, url: str) -> Path:
    """The catalog of the page at `url` (`optimizers/amsgrad.html`) in `language`."""
    return locale_dir(config) / language / (url.removesuffix(".html") + ".po")


def section_context(path: str, index: int) -> str:
    return f"{path}#section-{index}"


def entries(page: Page) -> list[Entry]:
    """The messages of a parsed page: its front matter's title and summary, then the blocks
    of each section's notes, in order."""
    found: list[Entry] = []
    for key in ("title", "summary"):
        value = page.meta.get(key)
        if isinstance(value, str) and value.strip():
            for unit in units(" ".join(value.split())):
                found.append(Entry(unit.msgid, f"{page.path}#{key}", _meta_line(page, key),
                                   _comments(unit.originals)))
    for index, section in enumerate(page.sections):
        for unit in units(section.docs):
            found.append(Entry(unit.msgid, section_context(page.path, index),
                               section.docs_line + unit.line, _comments(unit.originals)))
    return found


def _meta_line(page: Page, key: str) -> int:
    for number, line in enumerate(page.source.split("\n")[:200], 1):
        if line.lstrip().startswith(f"{key}:"):
            return number
    return 1


def _comments(originals: list[str]) -> list[str]:
    """What each placeholder stands for, one line each, long ones cut."""
    lines = []
    for number, original in enumerate(originals):
        text = " ".join(original.split())
        lines.append(f"{{{number}}}: {text if len(text) <= 70 else text[:69] + '…'}")
    return lines


def template(page: Page, language: str, project: str) -> Catalog:
    """A catalog of the page's messages with no translations."""
    from babel.messages.catalog import Catalog

    catalog = Catalog(locale=_babel_locale(language), project=project, fuzzy=False,
                      header_comment=HEADER.format(path=page.path, language=language)
                      + "\n# `labml-docs i18n update` merges changes of the notes into it.")
    for entry in entries(page):
        existing = catalog.get(entry.msgid, entry.context)
        if existing is not None:  # the same words twice in a section: one message
            existing.locations.append((page.path, entry.line))
            continue
        catalog.add(entry.msgid, locations=[(page.path, entry.line)], context=entry.context,
                    auto_comments=entry.comments)
    return catalog


def _babel_locale(language: str) -> str:
    """Babel's name of a language (`zh_Hans` for `zh-Hans`); a clear message for a code it
    does not know."""
    from babel import Locale, UnknownLocaleError

    name = language.replace("-", "_")
    try:
        Locale.parse(name)
    except (UnknownLocaleError, ValueError) as e:
        raise ValueError(f"unknown language {language!r}: {e}") from None
    return name


# ## Reading and writing

def read(path: Path) -> Catalog:
    """A catalog, or `CatalogError` naming the file and line Babel stopped at. The English a
    fuzzy translation was made from (`#| msgid`) is read too: Babel writes it, but does not
    read it back, and an `update` would lose it."""
    from babel.messages.pofile import PoFileError, read_po

    try:
        data = path.read_bytes()
        catalog = read_po(io.BytesIO(data), abort_invalid=True)
        previous = _previous_ids(data.decode(catalog.charset or "utf-8"))
        for message in catalog:
            # (Babel reads `#| msgid` as a translator's comment `| msgid`.)
            message.user_comments = [c for c in message.user_comments if not c.startswith("|")]
            if message.lineno in previous:
                message.previous_id = [previous[message.lineno]]
        return catalog
    except PoFileError as e:
        raise CatalogError(str(path), getattr(e, "lineno", 1) or 1, str(e)) from None
    except (UnicodeDecodeError, ValueError) as e:
        raise CatalogError(str(path), 1, f"not a catalog: {e}") from None


def _previous_ids(text: str) -> dict[int, str]:
    """`#| msgid "..."` (and its continuation lines) by the line of the `msgid` it is for."""
    from babel.messages.pofile import unescape

    found: dict[int, str] = {}
    pending: list[str] | None = None
    for number, line in enumerate(text.split("\n"), 1):
        line = line.strip()
        if line.startswith("#| msgid "):
            pending = [line.removeprefix("#| msgid ")]
        elif line.startswith('#| "') and pending is not None:
            pending.append(line[3:])
        elif line.startswith("msgid "):
            if pending is not None:
                found[number] = "".join(unescape(part) for part in pending)
            pending = None
    return found


def render(catalog: Catalog) -> bytes:
    from babel.messages.pofile import write_po

    out = io.BytesIO()
    write_po(out, catalog, include_previous=True, sort_output=False, sort_by_file=False)
    return out.getvalue()


def write(path: Path, catalog: Catalog) -> bool:
    """Write a catalog if its content changed; whether it did."""
    data = render(catalog)
    try:
        if path.read_bytes() == data:
            return False
    except OSError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, data)
    return True


# ## extract and update

@dataclass
class Outcome:
    """What `extract` or `update` did to one page's catalog."""
    path: Path
    # `created`, `updated`, `unchanged`, `kept` (extract leaves an existing catalog alone),
    # `unreadable` (left as it is; `problem` says why).
    action: str
    messages: int = 0
    fuzzy: int = 0
    untranslated: int = 0
    problem: str = ""


def pages(config: SiteConfig) -> Iterator[tuple[SourceFile, Page | None, list[Diagnostic]]]:
    """Every page of the tree, parsed (`None` when it cannot be read or parsed)."""
    from ..page import read_source
    from ..parse import parse_markdown, parse_python
    from ..scan import scan

    skipped: list[Diagnostic] = []
    cache = Path(config.cache_dir) if config.cache_dir else None
    for file in scan(Path(config.source_dir), config.follow_external_symlinks, skipped, (cache,)):
        if file.kind == "asset":
            continue
        try:
            text, problem = read_source(file.path, file.absolute.read_bytes(),
                                        python=file.kind == "python")
        except OSError as e:
            yield file, None, [Diagnostic(file.path, 1, f"cannot read: {e.strerror or e}")]
            continue
        if text is None:
            yield file, None, [problem] if problem else []
            continue
        page = parse_python(text, file.path, config.sections) if file.kind == "python" \
            else parse_markdown(text, file.path)
        yield file, (None if page.failed else page), list(page.diagnostics)


def extract(config: SiteConfig, language: str, translator: str = "") -> list[Outcome]:
    """Write a catalog for each page that has none in `language`; existing ones are kept."""
    done = []
    for file, page, _ in pages(config):
        if page is None:
            continue
        path = catalog_file(config, language, file.url)
        if path.exists():
            done.append(Outcome(path, "kept"))
            continue
        catalog = template(page, language, config.site_name)
        if translator:
            machine_translate(catalog, translator, language)
        write(path, catalog)
        done.append(_outcome(path, "created", catalog))
    return done


def update(config: SiteConfig, language: str, translator: str = "") -> list[Outcome]:
    """Merge the notes as they are into each page's catalog (made if missing)."""
    done = []
    for file, page, _ in pages(config):
        if page is None:
            continue
        path = catalog_file(config, language, file.url)
        fresh = template(page, language, config.site_name)
        if not path.exists():
            catalog, action = fresh, "created"
        else:
            try:
                catalog = read(path)
            except CatalogError as e:  # a person's to mend: the others are updated
                done.append(Outcome(path, "unreadable", problem=str(e)))
                continue
            follow_moved(catalog, fresh)
            previous = {(m.id, m.context): m.previous_id for m in catalog if m.previous_id}
            catalog.update(fresh, update_creation_date=False)
            for message in catalog:  # still fuzzy: still from the same English
                if message.fuzzy and not message.previous_id:
                    message.previous_id = previous.get((message.id, message.context), [])
            action = "updated"
        if translator:
            machine_translate(catalog, translator, language)
        changed = write(path, catalog)
        done.append(_outcome(path, action if changed else "unchanged", catalog))
    return done


def follow_moved(catalog: Catalog, fresh: Catalog) -> None:
    """Give a translated message whose words moved to another section (and are not in their
    old one any more) the context of the new section, so that Babel keeps it as it is."""
    wanted = {(m.id, m.context) for m in fresh if m.id}
    by_words: dict[str, list[str | None]] = {}
    for message in fresh:
        if isinstance(message.id, str) and message.id \
                and catalog.get(message.id, message.context) is None:
            by_words.setdefault(message.id, []).append(message.context)
    for message in list(catalog):
        if not isinstance(message.id, str) or not message.id or not message.string \
                or (message.id, message.context) in wanted:
            continue
        targets = by_words.get(message.id)
        if targets:
            catalog.delete(message.id, message.context)
            message.context = targets.pop(0)
            catalog[message.id] = message


def machine_translate(catalog: Catalog, command: str, language: str) -> int:
    """Run the translator `command` for each message with no translation: the message on its
    standard input, the translation on its standard output. What it gives is kept as fuzzy,
    for a person to review. The number of messages it translated."""
    argv = shlex.split(command)
    env = dict(os.environ, LABML_DOCS_LANGUAGE=language)
    count = 0
    for message in catalog:
        if not isinstance(message.id, str) or not message.id or message.string:
            continue
        try:
            done = subprocess.run(argv, input=message.id, capture_output=True, text=True,
                                  timeout=TRANSLATOR_TIMEOUT, env=env, check=False)
        except (OSError, subprocess.TimeoutExpired) as e:
            raise CatalogError(command, 1, f"translator cannot run: {e}") from None
        translation = done.stdout.strip()
        if done.returncode == 0 and translation:
            message.string = translation
            message.flags.add("fuzzy")
            count += 1
    return count


def _outcome(path: Path, action: str, catalog: Catalog) -> Outcome:
    messages = [m for m in catalog if m.id]
    return Outcome(path, action, len(messages), sum(1 for m in messages if m.fuzzy),
                   sum(1 for m in messages if not m.string))
