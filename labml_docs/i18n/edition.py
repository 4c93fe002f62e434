"""
---
title: Building an edition
summary: Each page's notes from its catalog, the editions of one site side by side, and the links between them.
---

# Building an edition

An edition is built by a [`Builder`](../build.py) of its own, with the setting `edition` set:
the same tree, the same page cache and math cache (its formulas are the English ones, all
found there). The page cache keys each page of an edition on its catalog too, so editing a
catalog renders only its page in that edition. `add_editions` puts the pages of every edition
into the site under `<language>/`, beside the default edition, and publishes them with it:
one publish, one record of what this tool wrote.

Every page links to itself in every edition: `<link rel="alternate" hreflang>` for search
engines, and the language switcher for readers (its script keeps the section a reader is at).
"""

from __future__ import annotations

import functools
from dataclasses import replace
from typing import TYPE_CHECKING

from ..diagnostics import Diagnostic
from ..fingerprint import sha256
from ..markdown import cut_math
from ..templates import templates_dir
from ..urls import href
from .catalog import CatalogError, catalog_file, read, section_context
from .messages import Lookup, free_mark, translate_note

if TYPE_CHECKING:
    from ..build import Builder, Site
    from ..config import SiteConfig
    from ..math import Formula
    from ..parse import Page

#: The switcher's script and stylesheet, published with the editions only.
ASSETS = {"assets/languages.js": "languages.js", "assets/languages.css": "languages.css"}


# ## The notes of a page in an edition

def translate_page(config: SiteConfig, url: str, page: Page, diagnostics: list[Diagnostic]
                   ) -> tuple[list[str], str, list[Formula]]:
    """Each section's notes in the edition's language, each block with no usable translation
    starting with the returned mark, and the formulas of the notes in their own language (in
    the order they colour in). The page's sections and front matter get the same text without
    marks (for its title, summary and search text). A catalog that cannot be read is a
    message in `diagnostics`, and the page stays in English."""
    path = catalog_file(config, config.edition, url)
    exact: dict[tuple[str | None, str], str] = {}
    anywhere: dict[str, str] = {}
    try:
        catalog = read(path) if path.is_file() else None
    except CatalogError as e:
        diagnostics.append(e.diagnostic)
        catalog = None
    for message in catalog or ():
        if message.id and isinstance(message.string, str) and message.string \
                and not message.fuzzy and isinstance(message.id, str):
            exact[message.context, message.id] = message.string
            anywhere.setdefault(message.id, message.string)

    def lookup(context: str) -> Lookup:
        return lambda unit: exact.get((context, unit.msgid)) or anywhere.get(unit.msgid)

    mark = free_mark(*(s.docs for s in page.sections), *exact.values(),
                     *(str(v) for v in page.meta.values()))
    notes = []
    order = [ref.formula for section in page.sections for ref in cut_math(section.docs)[1]]
    for index, section in enumerate(page.sections):
        note = translate_note(section.docs, lookup(section_context(page.path, index)), mark)
        notes.append(note)
        section.docs = note.replace(mark, "")
    for key in ("title", "summary"):
        value = page.meta.get(key)
        if isinstance(value, str) and value.strip():
            page.meta = {**page.meta, key: translate_note(
                " ".join(value.split()), lookup(f"{page.path}#{key}"), mark).replace(mark, "")}
    return notes, mark, order


def catalog_digest(config: SiteConfig, url: str) -> str:
    """What the page cache adds to a page's key in an edition: its catalog's sha256."""
    try:
        return sha256(catalog_file(config, config.edition, url).read_bytes())
    except OSError:
        return "no catalog"


# ## Links between editions

@functools.lru_cache(maxsize=64)
def language_name(language: str) -> str:
    """A language's name in itself (`中文`, `English`), as a switcher shows it."""
    from babel import Locale, UnknownLocaleError

    try:
        name = Locale.parse(language.replace("-", "_")).get_display_name()
    except (UnknownLocaleError, ValueError):
        return language
    return name[:1].upper() + name[1:] if name else language


def editions(config: SiteConfig, url: str, root: str) -> list[dict]:
    """The page at `url` in every edition, for the switcher and the `hreflang` alternates:
    `root` leads to the top of the site from the page."""
    site_url = config.site_url.rstrip("/")
    out = []
    for language in [config.language, *config.languages]:
        prefix = "" if language == config.language else f"{language}/"
        out.append({
            "lang": language,
            "name": language_name(language),
            "href": root + prefix + href(url),
            "alternate": f"{site_url}/{prefix}{href(url)}" if site_url else root + prefix + href(url),
            "current": language == (config.edition or config.language),
        })
    return out


# ## Every edition in one site

def edition_config(config: SiteConfig, language: str) -> SiteConfig:
    return replace(config, edition=language)


def add_editions(builder: Builder, site: Site) -> None:
    """Render every edition of `builder`'s settings and put its pages into `site`, under
    `<language>/`. Messages of an edition that the default edition does not have (a broken
    link a translation added) are reported, named by the edition."""
    from ..build import Builder

    config = builder.config
    known = {(d.path, d.message) for d in site.diagnostics}
    site.stats["editions"] = {}
    for language in config.languages:
        if language == config.language:
            raise ValueError(f"languages: {language!r} is the language of the notes "
                             f"(language: {config.language!r})")
        edition = builder.editions.get(language)
        if edition is None:
            # The formulas are the default edition's: its KaTeX engine, if it started one.
            edition = builder.editions[language] = Builder(
                edition_config(config, language), math=builder._math,
                xref_factory=builder.xref_factory)
        edition.progress = builder.progress
        rendered = edition.render()
        prefix = f"{language}/"
        for url, page in rendered.pages.items():
            site.pages[prefix + url] = page
        for url, sha in rendered.html_shas.items():
            site.html_shas[prefix + url] = sha
        for url, source in rendered.assets.items():  # the notes' images, at the same place
            site.assets[prefix + url] = source
        site.diagnostics.extend(
            replace(d, message=f"{language} edition: {d.message}")
            for d in rendered.diagnostics if (d.path, d.message) not in known)
        site.stats["editions"][language] = rendered.stats
    for url, name in ASSETS.items():
        site.assets[url] = templates_dir() / "editions" / name
    if "sitemap.xml" in site.extra:
        site.extra["sitemap.xml"] = builder._sitemap(sorted(
            url for url, page in site.pages.items()
            if url in site.html_shas or page.html is not None))
    site.diagnostics.sort(key=lambda d: (d.path, d.line, d.message))
