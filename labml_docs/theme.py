"""
---
title: Pages inside a site's theme
summary: A page as one raw-HTML block that MkDocs, Material, ProperDocs and Zensical wrap in their layout.
---

# Pages inside a site's theme

A site built with MkDocs (any theme), ProperDocs or Zensical wants the annotated pages to look
like its other pages: the same header, menus, search box, dark mode and footer. With the
setting `layout: theme` a page is not a whole HTML page but one block,
`<div class="labml-docs">…</div>` (`site_templates/theme_base.html`), and this module makes it
the **theme document** that the site's Markdown engine reads:

```
---
title: AMSGrad
description: ...
hide: [toc]
---

<div class="labml-docs labml-docs-theme">…notes beside code…</div>
<!-- /labml-docs -->
```

Python-Markdown passes such a block through unchanged: it is raw HTML at the start of a line.
Two things would still touch it, and are taken care of here:

* Python-Markdown expands tabs in the whole text before anything else, code included: a tab of
  the code becomes `&#9;`, which no pre-processor changes and the browser shows as a tab;
* pre-processors of other extensions (snippets' `--8<--`) run over every line: the
  [Markdown extension](markdown_extension.py) puts the block aside before they run.

Search engines of the themes index what is inside the block. Material and Zensical leave out an
element with `data-search-exclude`: the code column, the `#` links and KaTeX's MathML (its
glyphs, `.katex-html`, cannot be left out: the exclusion ends at the first closing tag of the
same name, and KaTeX nests `span`s). The MkDocs plugin replaces the search plugin's entries of
our pages with its own anyway, one per heading, formulas as they show. Every heading gets an
`id` (below), since both themes start a search entry only at a heading that has one.
"""

from __future__ import annotations

import html
import posixpath
import re
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

if TYPE_CHECKING:
    from .build import Builder, Site

#: The class of the block that holds a page; the scoped stylesheet
#: (`assets/labml-theme.css`) styles nothing outside it.
BLOCK_CLASS = "labml-docs"

#: The line that ends a page's block in a theme document, for the
#: [Markdown extension](markdown_extension.py) to find it without parsing HTML.
BLOCK_END = "<!-- /labml-docs -->"

#: The stylesheets and the script a theme page needs, relative to the root of the site's
#: `assets` folder of ours; KaTeX's fonts are found by its stylesheet.
STYLESHEETS = ("katex/katex.min.css", "labml-theme.css")
SCRIPTS = ("interactive.js",)

# The elements a theme's search leaves out (see above): the opening tags as our templates and
# KaTeX write them.
_SEARCH_EXCLUDED = (
    ('<div class="code">', '<div class="code" data-search-exclude>'),
    ('<div class="section-link">', '<div class="section-link" data-search-exclude>'),
    ('<math xmlns=', '<math data-search-exclude xmlns='),
    # Not an exclusion: KaTeX's zero-width spaces, which search engines would keep inside words
    # (`v`, the space, `t`), go to the stylesheet (`.vlist-s:empty::before`), which draws the same.
    ('<span class="vlist-s">\u200b</span>', '<span class="vlist-s"></span>'),
)


def document_path(url: str) -> str:
    """Where a page's theme document goes among the site's Markdown files:
    `optimizers/amsgrad.html` → `optimizers/amsgrad.md`."""
    stem, _ = posixpath.splitext(url)
    return stem + ".md"


def theme_document(title: str, summary: str, block: str) -> str:
    """The Markdown file of one page: front matter, then the page's block as raw HTML."""
    meta: dict[str, object] = {"title": plain_title(title) or "Untitled"}
    if summary:
        meta["description"] = plain_title(summary)
    meta["hide"] = ["toc"]  # the notes are the page's outline; a second one takes room
    front = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, width=1_000_000)
    return f"---\n{front}---\n\n{prepare_block(block)}\n{BLOCK_END}\n"


def prepare_block(block: str) -> str:
    """The page's block as it must reach Python-Markdown: tabs as character references, the
    elements a search should skip marked, headings with ids, and no line that Markdown could
    read as its own."""
    block = block.strip().replace("\t", "&#9;")
    for tag, marked in _SEARCH_EXCLUDED:
        block = block.replace(tag, marked)
    return heading_ids(block)


# ### Headings with ids
#
# Material and Zensical start a search entry only at a heading that has an `id` (the entry links
# to it); without ids a page is one entry, a long text with the reader's word somewhere in it.
# Each heading of the notes gets one, made of its text as a reader sees it (a formula by its
# glyphs, not its TeX), like the `toc` extension makes them, and unique in the page: two notes
# may both have a "Parameters" heading, and the sections' own ids (`section-3`) are taken.

_HEADING = re.compile(r"<h([1-6])((?:\s[^>]*)?)>(.*?)</h\1>", re.S)
_ID = re.compile(r"""\sid=["']([^"']*)["']""")
_MATHML = re.compile(r"<math[\s>].*?</math>", re.S)
_TAG = re.compile(r"<[^>]*>")


def heading_ids(block: str) -> str:
    """`<h2>What goes wrong</h2>` → `<h2 id="what-goes-wrong">What goes wrong</h2>`; a heading
    that has an id keeps it."""
    taken = set(_ID.findall(block))

    def with_id(match: re.Match) -> str:
        level, attrs, inner = match.groups()
        if _ID.search(attrs):
            return match[0]
        base = slug(heading_text(inner)) or "heading"
        anchor, n = base, 1
        while anchor in taken:
            n += 1
            anchor = f"{base}-{n}"
        taken.add(anchor)
        return f'<h{level} id="{anchor}"{attrs}>{inner}</h{level}>'

    return _HEADING.sub(with_id, block)


def heading_text(inner_html: str) -> str:
    """The text of a heading's HTML as it shows: tags and KaTeX's MathML dropped, zero-width
    spaces too."""
    text = _TAG.sub("", _MATHML.sub("", inner_html))
    return squash(html.unescape(text).replace("\u200b", ""))


def slug(text: str) -> str:
    """`What goes wrong with Adam?` → `what-goes-wrong-with-adam`."""
    return re.sub(r"[^\w]+", "-", text.lower()).strip("-_")


def plain_title(title: str) -> str:
    """A title for menus, search results and front matter: Markdown links and code marks
    dropped."""
    title = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", title)
    return squash(title.replace("`", ""))


def squash(text: str) -> str:
    """Runs of white space (no-break spaces too) as one space."""
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ")).strip()


# ## A folder of theme documents: `labml-docs build --into`
#
# Zensical runs no MkDocs plugin. Before it builds, `labml-docs build SRC --into docs/nn` writes
# the tree as theme documents into a folder of the site's `docs_dir`, with our stylesheets,
# script and KaTeX's fonts under its `assets/`; the site lists those in `extra_css` and
# `extra_javascript`, lists the [Markdown extension](markdown_extension.py), and wraps the
# documents like its own pages. The folder is published as any output folder is
# ([`publish`](publish.py)): only files this tool wrote there are ever replaced or deleted.
#
# A page keeps its address with `use_directory_urls: false` (`optimizers/amsgrad.md` →
# `optimizers/amsgrad.html`), so that the links of the notes hold.


def theme_site(site: Site) -> Site:
    """The site with each page as its theme document (`optimizers/amsgrad.md`). The sitemap
    is the theme's to write."""
    from .build import CachedPage, Site
    from .page import RenderedPage

    pages: dict[str, RenderedPage | CachedPage] = {}
    for url, page in site.pages.items():
        block = page.html
        document = theme_document(page.title, page.summary, block) if block is not None else None
        pages[document_path(url)] = RenderedPage(document_path(url), page.path, page.title,
                                                 page.summary, document, page.text)
    return Site(pages=pages, assets=dict(site.assets), diagnostics=list(site.diagnostics),
                stats=dict(site.stats))


def build_into(builder: Builder, folder: Path, overwrite: bool = False) -> Site:
    """Render the tree with `layout: theme` and publish its theme documents into `folder`."""
    from .math import katex_assets_dir
    from .publish import publish
    from .scan import check_output_folder

    if builder.config.layout != "theme":
        raise ValueError("build_into needs a builder with layout: theme")
    check_output_folder(Path(builder.config.source_dir), Path(folder))
    katex_dir = builder.config.katex_dir or None
    katex_assets_dir(katex_dir)
    site = theme_site(builder.render())
    cache_dir = None if builder.page_cache.disabled else builder.cache_dir
    site.diagnostics.extend(publish(site, Path(folder), katex_dir=katex_dir,
                                    overwrite=overwrite, cache_dir=cache_dir))
    return site
