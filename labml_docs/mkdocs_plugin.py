"""
---
title: The MkDocs plugin
summary: The annotated pages of a source tree inside an MkDocs site, in its navigation and its search.
---

# The MkDocs plugin

```yaml
plugins:
  - search
  - labml-docs:
      source_dir: src/labml_nn
```

The plugin is a thin adapter over the same [build](build.py) as the command line:

* every page of the source tree becomes a *generated file* of the MkDocs site, at the path the
  generator gives it (`optimizers/amsgrad.html`, `optimizers/index.html`) whatever
  `use_directory_urls` says, so that the relative links written in the notes stay valid;
* with `layout: theme` each page is a page *of the site's theme*: a generated Markdown file
  (`optimizers/amsgrad.md`, a [theme document](theme.py)) that the theme wraps in its header,
  menus and footer, with our stylesheets scoped to the block of the page; with
  `layout: standalone` (the default) the pages keep their own layout, as full pages of
  `site_templates/`;
* they appear in the navigation, in one section (`nav_section`) nested by package;
* their notes are added to the search index that the `search` plugin (or Material's) wrote,
  one entry per page and one per heading of the notes;
* KaTeX's stylesheet and fonts and our stylesheets and scripts go under `assets/`;
* each problem of the tree is logged as a warning `path:line: message`, so that
  `mkdocs build --strict` fails on a broken link or an invalid formula;
* with `languages: [zh]` and `layout: standalone`, each translated edition of the pages (see
  [`i18n`](i18n/__init__.py)) goes under `zh/`, linked from every page's language switcher, and
  out of the navigation (which is the site's, in its own language). With `layout: theme` the
  editions are not built: a theme page's header, menus and search are the theme's, in one
  language; a site in several languages is the work of a plugin that builds the whole site
  once per language (such as `mkdocs-static-i18n`).

Under `mkdocs serve` the plugin object lives across rebuilds (it has `on_startup`), and so does
its `Builder`: the KaTeX process and the in-memory caches are kept, and a rebuild after an edit
re-renders only what the builder's caches do not already hold.

When `docs_dir` has a home page of its own (`index.md`), the home page of the tree (the notes of
the root package) moves to `home_page` (by default the name of the source folder,
`labml_nn.html`): it stays at the root of the site, so its relative links still hold.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import posixpath
import re
import tempfile
from collections.abc import Callable
from dataclasses import MISSING, Field, fields, replace
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from mkdocs.config import config_options as c
from mkdocs.config.base import BaseConfigOption, Config
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, event_priority
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.structure.nav import Link, Navigation, Section
from mkdocs.structure.pages import Page

from . import markdown_extension
from .atomic import write_atomic
from .build import Builder
from .config import ENGINES, SiteConfig
from .publish import copy_site_assets
from .templates import templates_dir
from .theme import SCRIPTS, STYLESHEETS, document_path, plain_title, prepare_block, squash, theme_document
from .urls import page_url

log = logging.getLogger("mkdocs.plugins.labml_docs")

# A relative link to a page of ours in a Markdown page: `](optimizers/amsgrad.html#section-3)`
# or a reference `[amsgrad]: optimizers/amsgrad.html`.
_HTML_LINK = re.compile(r"(?P<head>\]\(<?|^ {0,3}\[[^\]]+\]:[ \t]*<?)"
                        r"(?P<target>(?![a-z][a-z0-9+.-]*:|/)[^\s()<>#?]+\.(?:html|py))"
                        r"(?P<tail>[#?)>\s])", re.MULTILINE)


# ## Settings
#
# The plugin takes every setting of [`SiteConfig`](config.py), with the same names and defaults,
# and three of its own. A setting MkDocs itself has (`site_name`, `site_url`, `repo_url`) defaults
# to MkDocs' value; folders are relative to `mkdocs.yml`.

_FROM_MKDOCS = ("site_name", "site_url", "repo_url")


def _option(setting: Field) -> BaseConfigOption:
    """The MkDocs option of one setting of `SiteConfig`."""
    if setting.name == "source_dir":
        return c.Dir(exists=True)
    if setting.name == "templates_dir":
        return c.Optional(c.Dir(exists=True))
    if setting.name in _FROM_MKDOCS:
        return c.Optional(c.Type(str))
    default = setting.default if setting.default_factory is MISSING else setting.default_factory()
    if setting.name == "math_engine":
        return c.Choice(ENGINES, default=default)
    if setting.name == "layout":
        return c.Choice(("standalone", "theme"), default=default)
    kind: type | tuple[type, ...] = (int, float) if isinstance(default, float) else type(default)
    return c.Type(kind, default=default)


_SiteSettings = type("_SiteSettings", (Config,),
                     {setting.name: _option(setting) for setting in fields(SiteConfig)})


class LabmlDocsConfig(_SiteSettings):  # type: ignore[misc,valid-type]
    """`SiteConfig`'s settings (read as `config["name"]`), and the plugin's own."""
    # The title of the navigation section that holds the annotated pages.
    nav_section = c.Type(str, default="Annotated implementations")
    # Where the tree's home page goes when `docs_dir` has an `index.md`; "" means
    # `<name of source_dir>.html`.
    home_page = c.Type(str, default="")
    # Add the notes of the pages to the search index written by a search plugin.
    search = c.Type(bool, default=True)


class LabmlDocsPlugin(BasePlugin[LabmlDocsConfig]):
    def __init__(self):
        self.builder: Builder | None = None
        self.site = None
        self.site_config = SiteConfig()  # from `mkdocs.yml`, in `on_config`
        self.serving = False
        # Pages as they were last built: a page that fails keeps its last good version.
        self._last_html: dict[str, str] = {}
        # site URL → (page title, page url in the site) of each annotated page of this build.
        self._pages: dict[str, Any] = {}
        self._assets_dir: Path | None = None
        self._search_entries: dict | None = None
        self.last_render_seconds = 0.0

    # ---- life cycle -------------------------------------------------------------------------

    def on_startup(self, *, command: str, dirty: bool) -> None:
        # Having this method keeps the plugin object (and its builder) alive across the
        # rebuilds of `mkdocs serve`.
        self.serving = command == "serve"

    def on_shutdown(self) -> None:
        self.close()

    def close(self) -> None:
        if self.builder is not None:
            self.builder.close()
            self.builder = None

    def on_config(self, config):
        base = Path(config.config_file_path).parent if config.config_file_path else Path.cwd()
        values = {setting.name: self.config[setting.name] for setting in fields(SiteConfig)}
        for name in _FROM_MKDOCS:
            if values[name] is None:
                values[name] = config[name] or ""
        values.update(source_dir=Path(values["source_dir"]),
                      cache_dir=str(base / values["cache_dir"]),
                      locale_dir=str(base / values["locale_dir"]) if values["locale_dir"] else "",
                      templates_dir=values["templates_dir"] or "")
        # `search` here adds the notes to the index of the site's search plugin (below): the
        # pages get no search box of their own and no Pagefind index (see [`search`](search.py)).
        values["search"] = False
        site_config = SiteConfig.from_dict(values, where="labml-docs plugin")
        # A changed configuration (mkdocs.yml edited under `mkdocs serve`) needs a new builder.
        if self.builder is not None and self.site_config != site_config:
            self.close()
        self.site_config = site_config
        if self.theme_layout:
            self._join_theme(config)
            # The hand-written pages get the math of ours, through our engine and cache. (Their
            # `.py` links are rewritten in `on_page_markdown`, so that MkDocs checks them.)
            settings = config.mdx_configs.setdefault("labml_docs.markdown_extension", {})
            settings.setdefault("math", True)
            settings.setdefault("cache_dir", site_config.cache_dir)
            settings.setdefault("math_engine", site_config.math_engine)
            settings.setdefault("katex_dir", site_config.katex_dir)
            # The notes' macros and budgets hold for hand-written pages too.
            settings.setdefault("katex_macros", site_config.katex_macros)
            settings.setdefault("math_timeout", site_config.math_timeout)
            settings.setdefault("math_max_output", site_config.math_max_output)
        return config

    @property
    def theme_layout(self) -> bool:
        return self.site_config.layout == "theme"

    @staticmethod
    def _join_theme(config) -> None:
        """What theme pages need from the site: our stylesheets and script on every page (they
        style only the block of a page of ours), and the Markdown extension that keeps the block
        away from other extensions."""
        for sheet in STYLESHEETS:
            if "assets/" + sheet not in config.extra_css:
                config.extra_css.append("assets/" + sheet)
        scripts = [str(script) for script in config.extra_javascript]
        for script in SCRIPTS:
            if "assets/" + script not in scripts:
                config.extra_javascript.append("assets/" + script)
        if "labml_docs.markdown_extension" not in config.markdown_extensions:
            config.markdown_extensions.append("labml_docs.markdown_extension")

    def on_serve(self, server, *, config, builder):
        server.watch(str(self.config["source_dir"]))
        server.watch(str(templates_dir()))
        if self.config["templates_dir"]:
            server.watch(str(self.config["templates_dir"]))
        if self.site_config.languages and not self.theme_layout:
            from .i18n.catalog import locale_dir
            if locale_dir(self.site_config).is_dir():  # the catalogs of the editions
                server.watch(str(locale_dir(self.site_config)))
        return server

    # ---- pages and assets -------------------------------------------------------------------

    def on_files(self, files: Files, *, config) -> Files:
        if self.builder is None:
            self.builder = Builder(self.site_config)
        try:
            site = self.builder.render()
            if self.site_config.languages and not self.theme_layout:
                from .i18n.edition import add_editions
                add_editions(self.builder, site)
            elif self.site_config.languages:
                log.warning("labml-docs: translated editions are built with layout: standalone "
                            "only; languages is ignored")
        except (OSError, ValueError) as e:
            raise PluginError(f"labml-docs: {e}") from e
        self.site = site
        self.last_render_seconds = site.stats.get("seconds", 0.0)
        stats = site.stats
        log.info(f"labml-docs: {stats.get('pages', len(site.pages))} pages, "
                 f"{stats.get('formulas', 0)} formulas rendered in {self.last_render_seconds:.2f} s"
                 + (f" (math cache: {stats['math_hits']} hits, {stats['math_misses']} misses)"
                    if "math_hits" in stats else ""))
        self._report(site, config)

        taken = {f.dest_uri: f for f in files}
        taken.update({f.src_uri: f for f in files})
        self._pages = {}
        for url, page in site.pages.items():
            dest = url
            if url == "index.html" and "index.html" in taken:
                dest = self.config.home_page or f"{Path(self.config['source_dir']).name}.html"
            if dest in taken or (self.theme_layout and document_path(dest) in taken):
                log.warning(f"labml-docs: {page.path or url} would be written to {dest}, "
                            f"which {taken[dest].src_uri} already takes; it is left out")
                continue
            html = page.html
            if html is None:
                html = self._last_html.get(dest)
                if html is None:
                    continue
            else:
                self._last_html[dest] = html
            if self.theme_layout:
                files.append(self._theme_file(config, dest, page.title, page.summary, html))
            else:
                files.append(File.generated(config, dest, content=html))
            self._pages[dest] = page
        for url, text in site.extra.items():
            if url in taken or url == "sitemap.xml":
                continue  # MkDocs writes a sitemap; the pages are added to it after the build
            files.append(File.generated(config, url, content=text))
        for url, source in site.assets.items():
            if url in taken:
                log.warning(f"labml-docs: {url} of the source tree clashes with "
                            f"{taken[url].src_uri}; it is left out")
                continue
            files.append(File.generated(config, url, abs_src_path=str(Path(source).resolve())))
        for url, path in self._site_assets():
            if url in taken:
                log.info(f"labml-docs: {url} is already in the site; ours is left out")
                continue
            files.append(File.generated(config, url, abs_src_path=str(path)))
        return files

    @staticmethod
    def _theme_file(config, dest: str, title: str, summary: str, block: str) -> File:
        """A page as a Markdown file of the site, written at our address (`adam.html`) even
        with `use_directory_urls`, so that the links of the notes hold."""
        # Not listed in `nav:` by the site: `on_nav` places it, so MkDocs need not say so.
        file = File(document_path(dest), src_dir=None, dest_dir=config.site_dir,
                    use_directory_urls=False, inclusion=InclusionLevel.NOT_IN_NAV)
        file.generated_by = "labml-docs"
        file.content_string = theme_document(title, summary, block)
        return file

    def _site_assets(self) -> list[tuple[str, Path]]:
        """Our stylesheets and scripts and KaTeX's, staged once per build in the cache folder."""
        if self._assets_dir is None:
            self._assets_dir = Path(self.site_config.cache_dir) / "mkdocs-assets"
            try:
                self._assets_dir.mkdir(parents=True, exist_ok=True)
            except OSError:
                self._assets_dir = Path(tempfile.mkdtemp(prefix="labml-docs-assets-"))
        dest = self._assets_dir / "assets"
        copy_site_assets(dest, self.site_config.katex_dir or None)
        return [("assets/" + p.relative_to(dest).as_posix(), p)
                for p in sorted(dest.rglob("*")) if p.is_file()]

    def _report(self, site, config) -> None:
        """Diagnostics as `path:line: message`, paths relative to the working folder (where
        `mkdocs` runs, so that editors and terminals can open them), or absolute."""
        source = Path(self.config["source_dir"]).resolve()
        try:
            prefix = source.relative_to(Path.cwd().resolve()).as_posix()
        except ValueError:
            prefix = source.as_posix()
        for diagnostic in site.diagnostics:
            shown = replace(diagnostic, path=posixpath.join(prefix, diagnostic.path)
                            if diagnostic.path else prefix)
            if diagnostic.is_error:
                log.warning(str(shown))
            else:
                log.info(str(shown))

    # ---- links of the site's own pages ------------------------------------------------------

    def on_page_markdown(self, markdown: str, *, page, config, files: Files) -> str:
        """With theme pages, a guide page's link to `optimizers/amsgrad.html` is a link to the
        Markdown file `optimizers/amsgrad.md`: MkDocs checks it and writes the page's address.
        (The same link works with `layout: standalone`, so a guide needs no change.) A link to
        the module itself, `optimizers/amsgrad.py`, is one to its page too, as in the notes.

        The page's path is also what the Markdown extension names in a warning about a formula."""
        markdown_extension.current_page = page.file.src_uri
        if not self.theme_layout or not self._pages or page.file.generated_by == "labml-docs":
            return markdown
        folder = posixpath.dirname(page.file.src_uri)

        def to_document(match: re.Match) -> str:
            link = match["target"]
            stem = (page_url(link) if link.endswith(".py") else link)[:-len(".html")]
            if posixpath.normpath(posixpath.join(folder, stem + ".html")) not in self._pages:
                return match[0]
            return match["head"] + stem + ".md" + match["tail"]

        return _HTML_LINK.sub(to_document, markdown)

    # ---- navigation -------------------------------------------------------------------------

    def on_nav(self, nav: Navigation, *, config, files: Files) -> Navigation:
        if not self._pages:
            return nav
        if not self.theme_layout:
            nav.items.append(self._nav_tree(lambda dest, title: Link(title, dest)))
            return nav
        # Theme pages are pages of MkDocs: real `Page`s in the menu, so that the theme marks
        # the current one and links the previous and next. A navigation MkDocs made from the
        # folders already holds them: they move into our section.
        ours = {document_path(dest) for dest in self._pages}

        def page(dest: str, title: str) -> Page | Link:
            file = files.get_file_from_path(document_path(dest))
            return file.page if file is not None and file.page is not None else Link(title, dest)

        nav.items = _without(nav.items, ours)
        nav.items.append(self._nav_tree(page))
        _relink(nav)
        return nav

    def _nav_tree(self, item: Callable[[str, str], Page | Link]) -> Section:
        """One section, nested by package: the package's own page first, then its modules."""
        root = Section(self.config.nav_section, [])
        folders: dict[str, Section] = {"": root}

        def folder(path: str) -> Section:
            if path in folders:
                return folders[path]
            parent = folder(posixpath.dirname(path))
            index = self._pages.get(path + "/index.html")
            title = plain_title(index.title) if index is not None and index.title else ""
            title = title or posixpath.basename(path)
            section = Section(title, [])
            section.parent = parent
            parent.children.append(section)
            folders[path] = section
            return section

        def order(dest: str):
            name = posixpath.basename(dest)
            return (posixpath.dirname(dest), name != "index.html", name != "readme.html", dest)

        home = [d for d, p in self._pages.items() if "/" not in d and p.url == "index.html"]
        # The pages of translated editions are reached from the language switcher.
        editions = tuple(f"{language}/" for language in self.site_config.languages)
        for dest in home + sorted((d for d in self._pages if d not in home
                                   and not (editions and d.startswith(editions))), key=order):
            page = self._pages[dest]
            parent = folder(posixpath.dirname(dest)) if "/" in dest else root
            link = item(dest, plain_title(page.title) or dest)
            link.parent = parent
            parent.children.append(link)
        return root

    # ---- search and sitemap -----------------------------------------------------------------

    @event_priority(-100)  # after the search plugin has written its index
    def on_post_build(self, *, config) -> None:
        if self.config.search:
            self._extend_search_index(Path(config.site_dir))
        self._extend_sitemap(Path(config.site_dir), config)

    def _extend_search_index(self, site_dir: Path) -> None:
        path = site_dir / "search" / "search_index.json"
        if not path.is_file():
            return
        data = json.loads(path.read_text(encoding="utf-8"))
        indexing = (data.get("config") or {}).get("indexing", "full")
        # The search plugin indexed theme pages as one text, code and KaTeX's glyphs included:
        # our entries (a heading each, formulas as they show) take their place.
        docs = [entry for entry in data.get("docs", [])
                if str(entry.get("location", "")).partition("#")[0] not in self._pages]
        data["docs"] = docs
        cache = self._search_cache()
        fresh = {}
        for dest, page in sorted(self._pages.items()):
            html = self._last_html.get(dest) or page.html or ""
            if self.theme_layout:
                html = prepare_block(html)  # as the page has it: headings with ids
            title = plain_title(page.title) or dest
            key = hashlib.sha1("\0".join((dest, title, indexing, html)).encode()).hexdigest()
            entries = cache.get(key)
            if entries is None:
                entries = search_entries(dest, title, html, indexing)
            fresh[key] = entries
            docs.extend(entries)
        self._save_search_cache(fresh)
        # An index prebuilt by the search plugin would not hold our entries: drop it, and the
        # browser builds the index from `docs`.
        if "index" in data:
            del data["index"]
            log.info("labml-docs: dropped the prebuilt search index to add the annotated pages")
        path.write_text(json.dumps(data, sort_keys=True, separators=(",", ":")),
                        encoding="utf-8")

    def _search_cache(self) -> dict:
        """Search entries by page (its HTML hashed): parsing every page again costs more than
        the rest of a warm build."""
        if self._search_entries is None:
            try:
                path = Path(self.site_config.cache_dir) / "mkdocs-search.json"
                self._search_entries = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                self._search_entries = {}
        return self._search_entries

    def _save_search_cache(self, entries: dict) -> None:
        if entries == self._search_entries:
            return
        self._search_entries = entries
        path = Path(self.site_config.cache_dir) / "mkdocs-search.json"
        try:
            write_atomic(path, json.dumps(entries).encode("utf-8"))
        except OSError as e:
            log.debug(f"labml-docs: search cache not written: {e}")

    def _extend_sitemap(self, site_dir: Path, config) -> None:
        path = site_dir / "sitemap.xml"
        if not path.is_file() or not self._pages:
            return
        text = path.read_text(encoding="utf-8")
        if "</urlset>" not in text:
            return
        base = (config.site_url or "").rstrip("/")
        # Theme pages are MkDocs pages, in its sitemap already when it has a `site_url`.
        locations = [_xml_escape(f"{base}/{dest}" if base else dest) for dest in sorted(self._pages)]
        urls = "".join(f"    <url>\n         <loc>{loc}</loc>\n    </url>\n"
                       for loc in locations if f"<loc>{loc}</loc>" not in text)
        text = text.replace("</urlset>", urls + "</urlset>", 1)
        path.write_text(text, encoding="utf-8")
        gz = site_dir / "sitemap.xml.gz"
        if gz.is_file():
            with gzip.GzipFile(gz, "wb", mtime=0) as f:
                f.write(text.encode("utf-8"))


def _without(items: list, ours: set[str]) -> list:
    """The navigation without our pages (MkDocs put them there from the folders), and without
    the sections that held only them."""
    kept = []
    for item in items:
        if isinstance(item, Page) and item.file.src_uri in ours:
            continue
        if isinstance(item, Section):
            item.children = _without(item.children, ours)
            if not item.children:
                continue
        kept.append(item)
    return kept


def _relink(nav: Navigation) -> None:
    """`nav.pages` in menu order again, each page linked to the previous and the next."""
    pages: list[Page] = []

    def walk(items: list) -> None:
        for item in items:
            if isinstance(item, Page):
                pages.append(item)
            elif isinstance(item, Section):
                walk(item.children)

    walk(nav.items)
    nav.pages = pages
    for i, page in enumerate(pages):
        page.previous_page = pages[i - 1] if i else None
        page.next_page = pages[i + 1] if i + 1 < len(pages) else None


def _xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# ---- search entries from a page of ours ---------------------------------------------------------

def search_entries(location: str, title: str, html: str, indexing: str = "full") -> list[dict]:
    """One entry for the page and one per heading of its notes, as Material's search makes them:
    the page's entry holds the text before the first heading, each heading's entry the text
    from it to the next heading, in whichever sections it runs on.

    An entry links to its heading's `id` ([theme pages](theme.py) give every heading one), or to
    the heading's section when the heading has none (`layout: standalone`). With
    `indexing: titles` the entries have no text; with `sections`, only the page's entry has
    none.
    """
    parser = _NoteText()
    parser.feed(html)
    parser.close()
    entries = []
    for anchor, heading, parts in parser.entries:
        text = squash("".join(parts)) if indexing == "full" else ""
        if anchor is None:
            entries.append({"location": location, "title": title, "text": text})
        elif indexing in ("full", "sections"):
            entries.append({"location": f"{location}#{anchor}",
                            "title": squash("".join(heading)) or title, "text": text})
    return entries


_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
         "track", "wbr"}


_BLOCKS = {"p", "div", "li", "ul", "ol", "br", "td", "th", "tr", "table", "blockquote", "pre",
           "h1", "h2", "h3", "h4", "h5", "h6", "dt", "dd", "figcaption"}


class _NoteText(HTMLParser):
    """The text of the notes (`<div class="docs">`), cut at each heading, as a reader sees it.

    Left out: the code column, the `#` link of each section, anything marked
    `data-search-exclude`, and KaTeX's MathML (its `<annotation>` holds the TeX). A formula
    counts by the glyphs KaTeX draws (`.katex-html`), without its zero-width spaces.
    """

    def __init__(self):
        super().__init__(convert_charrefs=True)
        # (anchor, heading text, text); the first, anchor None, is the page's own.
        self.entries: list[tuple[str | None, list[str], list[str]]] = [(None, [], [])]
        self.stack: list[tuple[str, str]] = []  # (tag, role)
        self.section = ""  # the id of the section being read

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = set((attrs.get("class") or "").split())
        role = ""
        if tag == "div" and "section" in classes and attrs.get("id"):
            self.section = attrs["id"]
        elif tag == "div" and "docs" in classes:
            role = "docs"
        elif ("section-link" in classes or "katex-mathml" in classes or tag == "math"
              or "data-search-exclude" in attrs):
            role = "skip"
        elif tag in ("h1", "h2", "h3", "h4", "h5", "h6") and self._in("docs"):
            role = "heading"
            self.entries.append((attrs.get("id") or self.section, [], []))
        if tag in _BLOCKS and self._in("docs"):
            self.entries[-1][2].append(" ")  # `</p><p>` parts words
        if tag not in _VOID:
            self.stack.append((tag, role))

    def _in(self, role: str) -> bool:
        return any(r == role for _, r in self.stack)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if tag in _BLOCKS and self.entries:
            self.entries[-1][2].append(" ")
        # Pop to the matching tag; stray end tags are ignored.
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                break

    def handle_data(self, data):
        if not self._in("docs") or self._in("skip"):
            return
        data = data.replace("\u200b", "")
        _, heading, text = self.entries[-1]
        (heading if self._in("heading") else text).append(data)
