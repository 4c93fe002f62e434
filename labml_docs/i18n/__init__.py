"""
---
title: Translated editions
summary: Editions of the site in other languages, from one gettext catalog per page per language.
---

# Translated editions

A site can have editions in other languages, each under `<out>/<language>/`, the edition in
the notes' own language at the top. Translations live in gettext catalogs, one per page per
language, that people review and tools (Poedit, Weblate) edit; a change to the English notes
leaves every other translation as it was, and marks the one it touches for review.

```
labml-docs i18n extract SRC --lang zh      # write locale/zh/<page>.po for pages that have none
labml-docs i18n update SRC --lang zh       # merge changes of the notes into the catalogs
labml-docs build SRC --lang zh             # the site, and its zh edition in <out>/zh/
labml-docs check SRC --lang zh             # translated, fuzzy, missing; placeholders; math
```

The parts:

* [`messages`](messages.py): a note cut into messages, with its math and code as placeholders,
  and a translated note put back together;
* [`catalog`](catalog.py): the catalogs, written and merged with Babel; the translator hook;
* [`edition`](edition.py): the build of an edition: each page's notes from its catalog, the
  links between editions;
* [`report`](report.py): what `check` says about each language.

An edition is the same build with the setting `edition` set: the same sections, code, line
numbers, formulas and anchors; only the words of the notes differ. A block whose translation
is missing, fuzzy, or loses a placeholder shows the English, with `class="untranslated"` and
`lang="en"`, so that a reader (and a screen reader) can tell.
"""
