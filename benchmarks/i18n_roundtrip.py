"""Translated editions on a real tree: every page through the catalogs and back.

    PYTHONPATH=. python benchmarks/i18n_roundtrip.py [TREE] [--keep DIR] [--untranslated]

TREE is a package folder (default: the labml-nn wheel unpacked at /tmp/corpus/tree/labml_nn).
On a copy of it:

1. `i18n extract` writes the `zh` catalogs (timed);
2. every message is "translated" into itself with its placeholders moved to the front, last
   first (`{2} {1} {0} words...`), so that each formula and code span must come back from its
   placeholder, wherever it is (`--untranslated`: no translation at all, every block marked);
3. the site is built without editions, then with the `zh` edition (cold, unchanged, and after
   one catalog is edited), timed;
4. every page of the edition is compared with its English page: the same code column (line
   numbers, links), the same formulas (as KaTeX rendered them), the same section anchors.

It prints the figures and the pages that differ; any difference, or a KaTeX error in the
edition, is a bug of the messages (exit status 1).
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from babel.messages.pofile import write_po

from labml_docs.build import Builder
from labml_docs.config import SiteConfig
from labml_docs.i18n import catalog as catalogs
from labml_docs.i18n.messages import placeholders

PLACEHOLDER = re.compile(r"(?<!\{)\{\d+\}(?!\})")


def moved(msgid: str) -> str:
    """The message with its placeholders moved to the front, last first."""
    found = PLACEHOLDER.findall(msgid)
    return " ".join(reversed(found)) + (" " if found else "") + PLACEHOLDER.sub("", msgid)


def translate_all(config: SiteConfig) -> int:
    count = 0
    for path in sorted((catalogs.locale_dir(config) / "zh").rglob("*.po")):
        catalog = catalogs.read(path)
        for message in catalog:
            if isinstance(message.id, str) and message.id:
                message.string = moved(message.id)
                assert sorted(placeholders(message.string)) == sorted(placeholders(message.id))
                count += 1
        with open(path, "wb") as f:
            write_po(f, catalog)
    return count


def blocks(html: str) -> tuple[list[str], Counter, list[str]]:
    code = re.findall(r'<div class="code">.*?</div>\n</div>', html, re.S)
    math = Counter(re.findall(r'<span class="katex(?:-display)?">.*?</annotation>', html, re.S))
    anchors = re.findall(r'<div class="section" id="(section-\d+)"', html)
    return code, math, anchors


def timed(label: str, action):
    started = time.perf_counter()
    result = action()
    print(f"{label:<44} {time.perf_counter() - started:7.2f} s")
    return result


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("tree", nargs="?", default="/tmp/corpus/tree/labml_nn")
    parser.add_argument("--keep", help="work in this folder (kept) instead of a temporary one")
    parser.add_argument("--untranslated", action="store_true",
                        help="leave the catalogs empty: every block shows the English, marked")
    args = parser.parse_args()
    work = Path(args.keep or tempfile.mkdtemp(prefix="i18n-roundtrip-"))
    source = work / "src" / Path(args.tree).name
    shutil.rmtree(work / "src", ignore_errors=True)
    shutil.copytree(args.tree, source, ignore=shutil.ignore_patterns("__pycache__"))

    def config(**settings) -> SiteConfig:
        return SiteConfig.from_dict({"source_dir": source, "cache_dir": str(work / "cache"),
                                     **settings})

    done = timed("i18n extract (zh)", lambda: catalogs.extract(config(), "zh"))
    messages = 0 if args.untranslated else timed("translate every message",
                                                  lambda: translate_all(config()))
    print(f"{len(done)} catalogs, {messages} messages")

    def build(out: str, **settings):
        with Builder(config(**settings)) as builder:
            return builder.build(work / out)

    english = timed("build, no editions (cold)", lambda: build("en"))
    # (The settings changed: the default edition is rendered again too, with its switcher.)
    site = timed("build with zh (both editions rendered)", lambda: build("both", languages=["zh"]))
    again = timed("build with zh, unchanged", lambda: build("both", languages=["zh"]))
    first = sorted((catalogs.locale_dir(config()) / "zh").rglob("*.po"))[0]
    first.write_text(first.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    edited = timed("build with zh, one catalog edited", lambda: build("both", languages=["zh"]))
    zh = site.stats["editions"]["zh"]
    print(f"pages {english.stats['pages']} + {zh['pages']}, formulas {zh['formulas']}, "
          f"math errors: en {english.stats['math_errors']}, zh {zh['math_errors']}; "
          f"rendered again: unchanged {again.stats['editions']['zh']['rendered']}, "
          f"one catalog {edited.stats['editions']['zh']['rendered']}")

    differ = []
    for page in sorted((work / "both").rglob("*.html")):
        url = page.relative_to(work / "both").as_posix()
        if url.startswith("zh/"):
            continue
        en = blocks(page.read_text(encoding="utf-8"))
        translated = blocks((work / "both" / "zh" / url).read_text(encoding="utf-8"))
        for name, a, b in zip(("code", "math", "anchors"), en, translated):
            if a != b:
                differ.append(f"{url}: {name} differ")
    for line in differ:
        print(line)
    print(f"pages compared: {len(list((work / 'both' / 'zh').rglob('*.html')))}, "
          f"differing: {len(differ)}")
    if not args.keep:
        shutil.rmtree(work)
    return 1 if differ or zh["math_errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
