"""
---
title: Cleaning the HTML of notes
summary: >
  With sanitize on, the HTML of the notes keeps what Markdown writes and loses scripts,
  event handlers and script links.
---

# Cleaning the HTML of notes

Notes are Markdown, and Markdown lets raw HTML through: `<script>`, `<img onerror=...>`,
`[x](javascript:...)` reach the page as written. That is right for the authors of a tree, as
it is for the authors of MkDocs pages, and it stays the default. A tree whose authors are not
trusted (the preview of a pull request) is built with `sanitize: true` (`--sanitize`): the HTML
of each note is cleaned by [nh3](https://nh3.readthedocs.io/) (the Rust sanitiser *ammonia*),
right after Markdown renders it.

What is kept is ammonia's list of safe tags (headings, paragraphs, lists, tables, `pre`/`code`,
images, links, `details`/`summary`, `sup`/`sub`, `blockquote`, `em`/`strong`/`del`...) with
their plain attributes, and on top of it what notes legitimately use:

* `id` and `class` on every tag: heading anchors, the Pygments `<span class=...>` of inline
  code, admonitions, footnotes;
* `title` on every tag (links, images, abbreviations), `open` on `details`;
* `style` on table cells, with only `text-align` left in it (Markdown's column alignment).

What goes: `<script>` and `<style>` with their content; every other tag (`<iframe>`, `<form>`,
`<svg>`, `<object>`...) keeping only its text; every other attribute (`on*` event handlers,
`target`, `style` elsewhere); HTML comments; and any address in `href`, `src` or `cite` whose
scheme is not `http`, `https` or `mailto` (relative addresses are kept). The one exception is
a `data:image/...` address in the `src` of an `<img>`: an image cannot run scripts, and notes
embed small figures that way.

Math is safe from all this: formulas were cut out before Markdown ran, and their placeholders
(private-use characters) are text that nh3 keeps. KaTeX's HTML, which we generate, is put in
place after the cleaning.
"""

import copy
from functools import lru_cache

URL_SCHEMES = {"http", "https", "mailto"}
URL_ATTRIBUTES = {"href", "src", "cite"}


def clean_notes(html: str) -> str:
    """The HTML of a note with everything that could run a script removed."""
    return _cleaner().clean(html)


@lru_cache(maxsize=1)
def _cleaner():
    import nh3

    attributes = copy.deepcopy(nh3.ALLOWED_ATTRIBUTES)
    attributes["*"] = {"id", "class", "title", "lang"}
    attributes["details"] = {"open"}
    for cell in ("th", "td"):
        attributes[cell] = attributes[cell] | {"style"}
    return nh3.Cleaner(
        tags=set(nh3.ALLOWED_TAGS),
        attributes=attributes,
        # `data` passes nh3's own check, then `_only_image_data` keeps it in `<img src>` only.
        url_schemes=URL_SCHEMES | {"data"},
        attribute_filter=_only_image_data,
        filter_style_properties={"text-align"},
        # The `rel` nh3 adds by default guards `target="_blank"`, which goes anyway: links stay
        # as Markdown wrote them.
        link_rel=None,
    )


def _only_image_data(tag: str, attribute: str, value: str) -> str | None:
    """A `data:` address survives only as the `src` of an image, and only of type `image/`."""
    if attribute not in URL_ATTRIBUTES:
        return value
    # As browsers read an address: tabs and line breaks anywhere are dropped, and controls and
    # spaces at its ends.
    address = value.replace("\t", "").replace("\n", "").replace("\r", "")
    address = address.strip("".join(map(chr, range(0x21)))).lower()
    if not address.startswith("data:"):
        return value
    return value if tag == "img" and attribute == "src" and address.startswith("data:image/") \
        else None
