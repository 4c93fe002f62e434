"""
---
title: Addresses
summary: Where the page of a source file lives in the site.
---

# Addresses

One rule, used by the build (for each file of the tree), by the notes (for their links) and by
the cross-reference index (for links to definitions). It imports nothing heavy: a rebuild
whose pages all come from the cache needs it, and no Markdown.
"""

import posixpath
from urllib.parse import quote


def page_url(path: str) -> str:
    """The page of a source path: `X/Y.py` → `X/Y.html`, `X/__init__.py` → `X/index.html`,
    `X/readme.md` → `X/readme.html`."""
    head, name = posixpath.split(path)
    if name == "__init__.py":
        name = "index.html"
    elif name.endswith(".py") or name.lower().endswith(".md"):
        name = name[:-3] + ".html"
    return f"{head}/{name}" if head else name


def href(url: str) -> str:
    """A site path as it goes into a link: `#`, `?`, `%`, spaces and the like percent-encoded
    (a page made from `a b#1.py` is at `a%20b%231.html`), `/` and `../` kept. `:` is encoded
    too, so that `a:b.html` cannot read as a scheme."""
    return quote(url, safe="/!$&'()*+,;=@")


def from_root(url: str, root: str) -> str:
    """A link of the settings (`footer_links`, `social`, `favicon`) as it goes into a page whose
    way back to the top of the site is `root` (`../../` for `a/b/c.html`).

    Settings are written once for the whole site, so a relative `index.html` means the site's
    home page, and a page two folders down must link `../../index.html`. A link that names its
    own place is kept as written: one with a scheme (`https:`, `mailto:`, `data:`), one from
    the top of the host (`/about/`, `//host/`), or one within the page (`#top`)."""
    if not url or url.startswith(("/", "#")) or _has_scheme(url):
        return url
    return root + url


def _has_scheme(url: str) -> bool:
    """Whether `url` starts with a scheme (`https:`), as RFC 3986 spells one."""
    scheme, colon, _ = url.partition(":")
    return bool(colon) and scheme[:1].isalpha() and \
        all(c.isalnum() or c in "+-." for c in scheme)
