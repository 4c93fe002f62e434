"""Translated editions: messages of notes, catalogs (extract, update, the translator hook),
the build of the `zh` edition of the AMSGrad page, and what `check` says about it."""

import re
import shutil
import sys
from collections import Counter
from pathlib import Path, PurePosixPath
from urllib.parse import unquote

import pytest
from babel.messages.pofile import write_po
from trees import snapshot

from labml_docs.build import Builder
from labml_docs.config import SiteConfig
from labml_docs.i18n.catalog import read, section_context
from labml_docs.i18n.messages import mark_untranslated, translate_note, units

REPO = Path(__file__).resolve().parent.parent
HAND_WRITTEN = Path(__file__).resolve().parent / "locale"
AMSGRAD = "optimizers/amsgrad.html"

# ## Messages of a note

NOTE = r"""# The *update* rule

Each step moves $\theta$ by `lr` times
the gradient $g_t$:

$$\theta_{t+1} = \theta_t - \eta g_t$$

* first, $m_t$ and `m`
* second, a {literal} brace

| name | meaning |
| --- | --- |
| $\beta_1$ | decay of the first moment |
| `eps` | $10^{-8}$ |

```python
x = "$not math$"
```

<div class="note">raw HTML</div>

> A quote
> on two lines
"""


def test_every_block_with_words_is_one_message_with_placeholders():
    found = [(u.line, u.msgid, u.originals) for u in units(NOTE)]
    assert found == [
        (0, "The *update* rule", []),
        (2, "Each step moves {0} by {1} times the gradient {2}:", [r"$\theta$", "`lr`", "$g_t$"]),
        (7, "first, {0} and {1}", ["$m_t$", "`m`"]),
        (8, "second, a {{literal}} brace", []),
        (10, "name", []),
        (10, "meaning", []),
        (12, "decay of the first moment", []),
        (21, "A quote on two lines", []),
    ]


def test_a_translation_moves_placeholders_and_keeps_every_formula_and_code_span():
    chinese = {
        "Each step moves {0} by {1} times the gradient {2}:": "沿梯度 {2} 把 {0} 移动 {1} 倍：",
        "second, a {{literal}} brace": "其二，一个 {{literal}} 花括号",
        "decay of the first moment": "一阶矩的衰减",
    }
    out = translate_note(NOTE, lambda unit: chinese.get(unit.msgid), "\ue100")
    assert "沿梯度 $g_t$ 把 $\\theta$ 移动 `lr` 倍：" in out
    assert "其二，一个 {literal} 花括号" in out
    assert "| $\\beta_1$ | 一阶矩的衰减 |" in out
    # Untranslated blocks keep their lines, marked; code, math and HTML are as they were.
    assert "# \ue100The *update* rule\n" in out
    assert "* \ue100first, $m_t$ and `m`" in out
    assert '```python\nx = "$not math$"\n```' in out
    assert "$$\\theta_{t+1} = \\theta_t - \\eta g_t$$" in out
    assert '<div class="note">raw HTML</div>' in out
    assert "> \ue100A quote\n> on two lines" in out


def test_a_translation_that_loses_or_invents_a_placeholder_shows_the_english():
    for wrong in ("移动 {0} 倍", "移动 {0} {1} {2} {3}"):
        out = translate_note(NOTE, lambda unit, w=wrong: w if "{2}" in unit.msgid else None, "@")
        assert "@Each step moves $\\theta$ by `lr` times\nthe gradient $g_t$:" in out


def test_the_english_left_is_marked_with_class_and_lang():
    html = '<h1>\ue100Title</h1>\n<ul>\n<li>\n<p>\ue100item</p>\n</li>\n</ul><td>\ue100x</td>'
    assert mark_untranslated(html, "\ue100", "en") == (
        '<h1 class="untranslated" lang="en">Title</h1>\n<ul>\n<li>\n'
        '<p class="untranslated" lang="en">item</p>\n</li>\n</ul>'
        '<td class="untranslated" lang="en">x</td>')


# ## The zh edition of the AMSGrad page

@pytest.fixture
def tree(tmp_path) -> Path:
    """src/labml_nn, with the hand-written Chinese catalog of the AMSGrad page beside it."""
    shutil.copytree(REPO / "src" / "labml_nn", tmp_path / "src" / "labml_nn",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(HAND_WRITTEN, tmp_path / "src" / "locale")
    return tmp_path / "src" / "labml_nn"


@pytest.fixture
def build_editions(math_renderer, tmp_path):
    def build(src: Path, out: Path | None = None, cache: Path | None = None, **settings):
        config = SiteConfig.from_dict({"source_dir": src, "languages": ["zh"],
                                       "cache_dir": str(cache or tmp_path / "cache"), **settings})
        out = out or tmp_path / "site"
        # (Not closed: the KaTeX engine is the session's; the editions borrow it.)
        return Builder(config, math=math_renderer).build(out), out
    return build


def _blocks(html: str, name: str) -> list[str]:
    """The `<div class="code">` (or `katex`) blocks of a page, in order."""
    if name == "code":
        return re.findall(r'<div class="code">.*?</div>\n</div>', html, re.S)
    return re.findall(r'<span class="katex(?:-display)?">.*?</annotation>', html, re.S)


def test_the_zh_edition_has_translated_notes_and_the_same_code_math_and_anchors(
        tree, build_editions):
    site, out = build_editions(tree)
    assert not site.errors, site.errors
    assert site.stats["editions"]["zh"]["math_errors"] == 0
    en = (out / AMSGRAD).read_text()
    zh = (out / "zh" / AMSGRAD).read_text()
    assert zh.startswith('<!DOCTYPE html>\n<html lang="zh">')
    assert "<title>AMSGrad 优化器 · " in zh
    assert "<h2>Adam 错在哪里</h2>" in zh and "<h3>初始化状态</h3>" in zh
    assert "这是 Reddi、Kale 与 Kumar 在 <em>On the Convergence of Adam and Beyond</em>" in zh
    assert '<a href="adam.html">Adam</a>' in zh  # the link to the zh edition's Adam page
    # A block with no translation is in English, and says so.
    assert '<h2 class="untranslated" lang="en">The synthetic experiment</h2>' not in zh
    assert '<h3 class="untranslated" lang="en">Run one optimizer on the synthetic problem' in zh
    # The same code, line numbers and anchors; the same formulas (in the order the
    # translation puts them).
    assert _blocks(zh, "code") == _blocks(en, "code") and _blocks(en, "code")
    assert Counter(_blocks(zh, "katex")) == Counter(_blocks(en, "katex"))
    assert len(_blocks(en, "katex")) > 50
    assert re.findall(r'id="(section-\d+)"', zh) == re.findall(r'id="(section-\d+)"', en)
    # The default edition is the same page as without editions, plus the links to them.
    assert '<html lang="en">' in en and "class=\"untranslated\"" not in en


def test_every_page_links_to_itself_in_every_edition(tree, build_editions):
    site, out = build_editions(tree, site_url="https://example.org/nn/")
    pages = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.html"))
    assert len(pages) == 2 * len([p for p in pages if not p.startswith("zh/")])
    for page in pages:
        html = (out / page).read_text()
        switcher = re.search(r'<nav class="languages".*?</nav>', html, re.S).group(0)
        links = dict(re.findall(r'<a href="([^"]+)" hreflang="([^"]+)"', switcher))
        url = page.removeprefix("zh/")
        assert sorted(links.values()) == ["en", "zh"]
        for href, language in links.items():
            target = PurePosixPath(page).parent / unquote(href)
            resolved = Path(str(out / target)).resolve()
            assert resolved == (out / ("" if language == "en" else "zh/") / url).resolve()
            assert resolved.is_file()
        edition = "zh/" if page.startswith("zh/") else ""
        assert f'<link rel="canonical" href="https://example.org/nn/{edition}{url}">' in html
        assert f'<link rel="alternate" hreflang="zh" href="https://example.org/nn/zh/{url}">' in html
        assert f'<link rel="alternate" hreflang="en" href="https://example.org/nn/{url}">' in html
    sitemap = (out / "sitemap.xml").read_text()
    assert "https://example.org/nn/zh/optimizers/amsgrad.html" in sitemap
    assert (out / "assets" / "languages.js").is_file()


def test_the_editions_are_deterministic(tree, build_editions, tmp_path):
    build_editions(tree, tmp_path / "one", tmp_path / "cache-one")
    build_editions(tree, tmp_path / "two", tmp_path / "cache-two")
    one, two = snapshot(tmp_path / "one"), snapshot(tmp_path / "two")
    one.pop(".labml-docs-published.json"), two.pop(".labml-docs-published.json")
    assert one == two


def test_editing_a_catalog_renders_only_its_page_in_that_edition(tree, build_editions):
    build_editions(tree)
    site, _ = build_editions(tree)
    assert site.stats["rendered"] == 0 and site.stats["editions"]["zh"]["rendered"] == 0
    po = tree.parent / "locale" / "zh" / "optimizers" / "amsgrad.po"
    po.write_text(po.read_text().replace('msgstr "合成实验"', 'msgstr "人造的实验"'))
    site, out = build_editions(tree)
    assert site.stats["rendered"] == 0 and site.stats["editions"]["zh"]["rendered"] == 1
    assert "<h2>人造的实验</h2>" in (out / "zh" / AMSGRAD).read_text()


def test_a_translation_of_the_same_words_in_another_section_is_used(tree, build_editions):
    po = tree.parent / "locale" / "zh" / "optimizers" / "amsgrad.po"
    po.write_text(po.read_text().replace('msgctxt "optimizers/amsgrad.py#section-3"\n'
                                         'msgid "Initialise the state"',
                                         'msgctxt "optimizers/amsgrad.py#section-99"\n'
                                         'msgid "Initialise the state"'))
    assert "section-99" in po.read_text()
    _, out = build_editions(tree)
    assert "<h3>初始化状态</h3>" in (out / "zh" / AMSGRAD).read_text()


def test_a_broken_catalog_is_a_message_and_its_page_stays_in_english(tree, build_editions):
    po = tree.parent / "locale" / "zh" / "optimizers" / "amsgrad.po"
    po.write_text(po.read_text() + '\nmsgid "unterminated\n')
    site, out = build_editions(tree)
    assert [(Path(d.path).name, d.line > 1) for d in site.errors] == [("amsgrad.po", True)]
    assert '<h2 class="untranslated" lang="en">The fix</h2>' in (out / "zh" / AMSGRAD).read_text()


# ## Catalogs: extract, update, the translator hook

def _catalog(tree: Path):
    return read(tree.parent / "locale" / "zh" / "optimizers" / "amsgrad.po")


def _translate_everything(tree: Path) -> None:
    """Give every message of the AMSGrad catalog a translation that keeps its placeholders."""
    path = tree.parent / "locale" / "zh" / "optimizers" / "amsgrad.po"
    catalog = _catalog(tree)
    for n, message in enumerate(m for m in catalog if m.id):
        message.string = f"译文{n} " + " ".join(re.findall(r"(?<!\{)\{\d+\}", message.id))
    with open(path, "wb") as f:
        write_po(f, catalog)


def test_update_after_an_edit_marks_exactly_that_message_fuzzy(tree, labml_docs):
    shutil.rmtree(tree.parent / "locale")
    done = labml_docs("i18n", "extract", tree, "--lang", "zh")
    assert done.returncode == 0, done.stderr
    _translate_everything(tree)
    before = {(m.context, m.id): m.string for m in _catalog(tree) if m.id}
    source = tree / "optimizers" / "amsgrad.py"
    old = "Adam's state, plus $\\tilde{v}_0 = 0$ for groups that use AMSGrad."
    assert old in source.read_text()
    source.write_text(source.read_text().replace(
        old, "Adam's state, plus $\\tilde{v}_0 = 0$ for the groups that use AMSGrad."))
    done = labml_docs("i18n", "update", tree, "--lang", "zh")
    assert done.returncode == 0, done.stderr
    after = [m for m in _catalog(tree) if m.id]
    fuzzy = [m for m in after if m.fuzzy]
    assert [(m.id, m.previous_id, m.string) for m in fuzzy] == [
        ("Adam's state, plus {0} for the groups that use AMSGrad.",
         ["Adam's state, plus {0} for groups that use AMSGrad."],
         before[section_context("optimizers/amsgrad.py", 3),
                "Adam's state, plus {0} for groups that use AMSGrad."])]
    assert {(m.context, m.id): m.string for m in after if not m.fuzzy} == {
        key: value for key, value in before.items() if "groups that use AMSGrad" not in key[1]}
    text = (tree.parent / "locale" / "zh" / "optimizers" / "amsgrad.po").read_text()
    assert '#| msgid "Adam\'s state, plus {0} for groups that use AMSGrad."' in text
    # Nothing changed since: update leaves every catalog as it is.
    again = labml_docs("i18n", "update", tree, "--lang", "zh")
    assert "updated" not in again.stderr and "created" not in again.stderr
    assert [m.previous_id for m in _catalog(tree) if m.fuzzy] == [
        ["Adam's state, plus {0} for groups that use AMSGrad."]]


def test_a_section_inserted_above_keeps_the_translations_below(tree, labml_docs):
    shutil.rmtree(tree.parent / "locale")
    labml_docs("i18n", "extract", tree, "--lang", "zh")
    _translate_everything(tree)
    before = {m.id: m.string for m in _catalog(tree) if m.id}
    source = tree / "optimizers" / "amsgrad.py"
    text = source.read_text()
    anchor = "class AMSGrad("
    source.write_text(text.replace(anchor, "# A new note above the optimizer\nX = 1\n\n\n" + anchor))
    assert labml_docs("i18n", "update", tree, "--lang", "zh").returncode == 0
    after = [m for m in _catalog(tree) if m.id]
    assert not [m for m in after if m.fuzzy]
    assert {m.id: m.string for m in after if m.string} == before
    moved = [m for m in after if m.id == "Initialise the state"]
    assert moved[0].context != section_context("optimizers/amsgrad.py", 3)


def test_extract_never_replaces_a_catalog(tree, labml_docs):
    po = tree.parent / "locale" / "zh" / "optimizers" / "amsgrad.po"
    po.write_text("# not ours\n")
    done = labml_docs("i18n", "extract", tree, "--lang", "zh")
    assert done.returncode == 0 and "amsgrad.po: kept" in done.stderr
    assert po.read_text() == "# not ours\n"
    assert (po.parent / "adam.po").is_file()


def test_the_translator_command_fills_empty_messages_as_fuzzy(tree, labml_docs, tmp_path,
                                                               build_editions):
    translator = tmp_path / "translator.py"
    translator.write_text("import os, sys\n"
                          "text = sys.stdin.read()\n"
                          "print('[' + os.environ['LABML_DOCS_LANGUAGE'] + '] ' + text)\n")
    done = labml_docs("i18n", "update", tree, "--lang", "zh", "--translator",
                      f"{sys.executable} {translator}")
    assert done.returncode == 0, done.stderr
    messages = [m for m in _catalog(tree) if m.id]
    hand = [m for m in messages if not m.fuzzy]
    machine = [m for m in messages if m.fuzzy]
    assert len(hand) == 18 and len(machine) == len(messages) - 18
    assert all(m.string == f"[zh] {m.id}" for m in machine)
    # A fuzzy translation waits for review: readers get the English.
    _, out = build_editions(tree)
    zh = (out / "zh" / AMSGRAD).read_text()
    assert "[zh]" not in zh and '<h3 class="untranslated" lang="en">' in zh


# ## check

def test_check_counts_and_points_at_broken_translations(tree, labml_docs):
    po = tree.parent / "locale" / "zh" / "optimizers" / "amsgrad.po"
    text = po.read_text()
    text = text.replace('"不使用 AMSGrad 的参数组用 {0}，其余的用 {1}。"',
                        '"不使用 AMSGrad 的参数组用 {0}，其余的用 {7}。"')
    text = text.replace('"投影回可行集：{0}"', '"投影回可行集 $\\\\frac{1}{$"')
    po.write_text(text)
    lines = po.read_text().split("\n")
    invented = next(i for i, line in enumerate(lines, 1) if "{7}" in line)
    katex = next(i for i, line in enumerate(lines, 1) if "投影回可行集" in line)
    done = labml_docs("check", tree, "--lang", "zh")
    assert done.returncode == 1
    err = done.stderr
    assert re.search(rf"amsgrad\.po:{invented}: translation loses placeholder\(s\) \{{1\}}", err)
    assert re.search(rf"amsgrad\.po:{invented}: translation invents placeholder\(s\) \{{7\}}", err)
    assert re.search(rf"amsgrad\.po:{katex}: translation loses placeholder\(s\) \{{0\}}", err)
    assert re.search(rf"amsgrad\.po:{katex}: KaTeX: ", err)
    summary = re.search(r"zh: (\d+) translated, (\d+) fuzzy, (\d+) missing of (\d+) messages", err)
    translated, fuzzy, missing, total = map(int, summary.groups())
    assert (translated, fuzzy) == (18, 0) and missing == total - 18 and total > 150


def test_check_of_the_hand_written_catalog_finds_nothing_wrong(tree, labml_docs):
    done = labml_docs("check", tree, "--lang", "zh")
    assert done.returncode == 0, done.stderr
    assert "zh: 18 translated, 0 fuzzy" in done.stderr and ", 0 problems" in done.stderr


# ## The MkDocs plugin

def test_the_mkdocs_plugin_builds_the_editions_outside_its_navigation(tmp_path):
    from test_mkdocs import build_project, small_project

    root = small_project(tmp_path, settings="languages: [zh]\nlocale_dir: locale\n")
    catalog = root / "locale" / "zh" / "pkg" / "first.po"
    catalog.parent.mkdir(parents=True)
    catalog.write_text('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n\n'
                       'msgctxt "pkg/first.py#section-0"\nmsgid "First module"\n'
                       'msgstr "第一个模块"\n', encoding="utf-8")
    result = build_project(root, "--strict")
    assert result.returncode == 0, result.stderr
    site = root / "site"
    first = (site / "zh" / "pkg" / "first.html").read_text(encoding="utf-8")
    assert "<h1>第一个模块</h1>" in first and '<html lang="zh">' in first
    assert 'href="../../pkg/first.html" hreflang="en"' in first
    assert 'hreflang="zh"' in (site / "pkg" / "first.html").read_text(encoding="utf-8")
    assert (site / "assets" / "languages.js").is_file()
    assert "zh/pkg" not in (site / "index.html").read_text(encoding="utf-8")  # not in the nav


def test_update_leaves_an_unreadable_catalog_as_it_is_and_updates_the_others(tree, labml_docs):
    broken = tree.parent / "locale" / "zh" / "optimizers" / "amsgrad.po"
    broken.write_text('msgid "unterminated\n', encoding="utf-8")
    done = labml_docs("i18n", "update", tree, "--lang", "zh")
    assert done.returncode == 1
    assert re.search(r"amsgrad\.po:\d+: .*\(left as it is\)", done.stderr)
    assert broken.read_text(encoding="utf-8") == 'msgid "unterminated\n'
    assert (broken.parent / "adam.po").is_file()
