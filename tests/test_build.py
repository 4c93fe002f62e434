"""End to end: a small tree built into pages, bad inputs, determinism, the CLI."""

import ast
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from labml_docs.build import Builder, publish
from labml_docs.config import SiteConfig
from labml_docs.publish import PublishError

ADAM = '''
"""
---
title: Adam
summary: >
  The Adam optimizer,
  annotated.
---

# Adam

See [AMSGrad](amsgrad.py) and the [base](__init__.py).
"""

import torch


class Adam:
    """
    ## The optimizer

    Moments $m_t, v_t$ and $\\hat{m}_t = \\frac{m_t}{1-\\beta_1^t}$.
    """

    def __init__(self, lr=1e-3):
        # Keep the learning rate $\\alpha$
        self.lr = lr  # as given

        # Display in a paragraph $$\\theta_t = \\theta_{t-1} - \\alpha \\cdot \\hat{m}_t$$ end.
        self.t = 0
'''

AMSGRAD = '''
"""
# AMSGrad

Extends [Adam](adam.py#section-1).
"""
from .adam import Adam


class AMSGrad(Adam):
    pass
'''


@pytest.fixture
def tree(write_tree):
    return write_tree({
        "__init__.py": '"""\n# Optimizers\n\nThe package.\n"""\n',
        "adam.py": ADAM,
        "amsgrad.py": AMSGRAD,
        "readme.md": "# Read me\n\nSee [Adam](adam.py).\n",
        "plot.png": b"\x89PNG\r\n\x1a\n",
    })


def read(out, url):
    return (out / url).read_text(encoding="utf-8")


def test_pages_have_the_reference_structure(tree, build_site):
    site, out = build_site(tree, site_url="https://example.org/nn", repo_url="https://github.com/o/r/blob/main/pkg")
    assert site.errors == []
    html = read(out, "adam.html")
    # Sections numbered from 0, docstring and comment notes, links to themselves.
    assert html.count("<div class=\"section\" id=\"section-") == 5
    assert '<div class="docs doc-strings">' in html and '<div class="docs">' in html
    assert '<div class="section-link"><a href="#section-1"' in html
    # Code with the original line numbers.
    assert re.search(r'<div class="code">\s*<div class="highlight"><pre><span class="lineno">14</span>'
                     r'<span class="kn">import</span>', html)
    assert '<span class="lineno">29</span>' in html
    # End-of-line comments stay in the code.
    assert '<span class="c1"># as given</span>' in html
    # Head: title, description, canonical, social tags, local KaTeX stylesheet.
    assert "<title>Adam" in html
    assert '<meta name="description" content="The Adam optimizer, annotated.">' in html
    assert '<link rel="canonical" href="https://example.org/nn/adam.html">' in html
    assert '<meta property="og:title" content="Adam">' in html
    assert 'href="assets/katex/katex.min.css"' in html
    assert "cdn" not in html.lower()
    # Source link and breadcrumbs.
    assert 'href="https://github.com/o/r/blob/main/pkg/adam.py"' in html
    assert '<a class="parent" href="index.html">home</a>' in html


def test_math_is_rendered_server_side(tree, build_site):
    _, out = build_site(tree)
    html = read(out, "adam.html")
    assert '<span class="katex">' in html and '<math' in html
    assert '<span class="katex-display">' in html
    assert "$" not in re.sub(r"<annotation[^>]*>.*?</annotation>", "", html).split("<pre>")[0]
    # Math was protected from Markdown: no emphasis made of the subscripts.
    assert "<em>" not in html


def test_inline_code_in_notes_is_highlighted(write_tree, build_site):
    tree = write_tree({"mod.py": '"""\nCall `torch.zeros(3)`.\n"""\nx = 1\n'})
    _, out = build_site(tree)
    assert '<code class="highlight"><span class="n">torch</span>' in read(out, "mod.html")


def test_urls_links_home_page_sitemap_and_assets(tree, build_site):
    _, out = build_site(tree, site_url="https://example.org")
    assert (out / "adam.html").is_file() and (out / "amsgrad.html").is_file()
    assert (out / "readme.html").is_file() and (out / "plot.png").is_file()
    assert 'href="amsgrad.html"' in read(out, "adam.html")
    assert 'href="adam.html#section-1"' in read(out, "amsgrad.html")
    home = read(out, "index.html")
    assert "The package." in home
    for url, title in [("adam.html", "Adam"), ("amsgrad.html", "AMSGrad"), ("readme.html", "Read me")]:
        assert f'<a href="{url}">{title}</a>' in home
    assert "The Adam optimizer, annotated." in home
    sitemap = read(out, "sitemap.xml")
    assert "<loc>https://example.org/adam.html</loc>" in sitemap
    css = out / "assets" / "katex" / "katex.min.css"
    assert css.is_file()
    for font in set(re.findall(r"url\((fonts/[^)]+\.woff2)\)", css.read_text())):
        assert (css.parent / font).is_file()


def test_broken_link_is_reported_with_file_and_line(write_tree, build_site):
    tree = write_tree({"mod.py": '"""\n# T\n\nSee [gone](missing.py).\n"""\nx = 1\n'})
    site, _ = build_site(tree)
    assert [str(d) for d in site.errors] == [
        "mod.py:4: broken link: missing.py (no missing.html in the site)"]


def test_links_that_are_not_pages_are_not_reported_as_broken(write_tree, build_site):
    tree = write_tree({
        "mod.py": '"""\n# T\n\nMail <name@example.org>, [x](mailto:a@b.c), [y](tel:+1),\n'
                  '[z](//cdn.example.org/a.js) and [gone](missing.py).\n"""\nx = 1\n',
        "readme.md": "# R\n\nWrite to <team@example.org>.\n"})
    site, out = build_site(tree)
    assert [str(d) for d in site.diagnostics] == [
        "mod.py:5: broken link: missing.py (no missing.html in the site)"]
    assert 'href="mailto:a@b.c"' in read(out, "mod.html")


def test_invalid_latex_is_marked_on_the_page_and_reported(write_tree, build_site):
    tree = write_tree({"mod.py": '"""\n# T\n\nGood $x$, bad $\\frac{1}{$.\n"""\nx = 1\n',
                       "other.py": "# Fine $y$\ny = 2\n"})
    site, out = build_site(tree)
    [error] = site.errors
    assert error.path == "mod.py" and error.line == 4 and error.message.startswith("KaTeX")
    html = read(out, "mod.html")
    assert 'class="katex-error"' in html and "\\frac{1}{" in html
    assert '<span class="katex">' in read(out, "other.html")


@pytest.mark.parametrize("name, content, line, words", [
    ("syntax.py", "x = 1\n\ndef f(:\n    pass\n", 3, "syntax error"),
    ("binary.py", b"x = 1\ny = '\xff\xfe'\n", 2, "not UTF-8"),
    ("frontmatter.py", '"""\n---\ntitle: [a\n---\n# T\n"""\n', 3, "front matter"),
    ("unknown.py", b"#!/usr/bin/env python\n# coding: klingon\nx = 1\n", 2, "unknown encoding"),
    ("ascii.py", b"# coding: ascii\nx = 1\ny = '\xe9'\n", 3, "not ascii: byte 0xe9"),
    ("bom.py", b"\xef\xbb\xbf# coding: latin-1\nx = 1\n", 1, "byte order mark"),
    # A readme is UTF-8 whatever it says: PEP 263 is for Python files.
    ("readme.md", b"# coding: latin-1\n\nCaf\xe9\n", 3, "not UTF-8: byte 0xe9"),
])
def test_bad_input_names_file_and_line_and_the_rest_builds(write_tree, build_site, name, content, line, words):
    tree = write_tree({name: content, "good.py": "# Good\nx = 1\n"})
    site, out = build_site(tree)
    [error] = site.errors
    assert (error.path, error.line) == (name, line) and words in error.message
    assert "Good" in read(out, "good.html")


def test_a_declared_encoding_is_how_the_file_is_read(write_tree, build_site):
    latin = "# -*- coding: latin-1 -*-\n# Caf\xe9 notes\ndef helper():\n    return 'd\xe9j\xe0'\n"
    tree = write_tree({
        "latin.py": latin.encode("latin-1"),
        "bom.py": b"\xef\xbb\xbf# Caf\xc3\xa9 with a mark\nx = 1\n",
        "user.py": "# User\nfrom .latin import helper\n\nhelper()\n"})
    site, out = build_site(tree)
    assert site.diagnostics == []
    html = read(out, "latin.html")
    assert "<p>Café notes</p>" in html and '<span class="s1">déjà</span>' in html
    assert "Café with a mark" in read(out, "bom.html")
    # The cross-reference index reads the imported file the same way.
    assert 'href="latin.html#section-' in read(out, "user.html")


def test_summaries_from_before_declared_encodings_are_not_used(write_tree, build_site, tmp_path):
    import hashlib
    import json

    latin = b"# -*- coding: latin-1 -*-\n# Caf\xe9\ndef helper():\n    return 1\n"
    tree = write_tree({"latin.py": latin, "user.py": "# User\nfrom .latin import helper\n"})
    # What the lazy index of a build before PEP 263 remembered: latin.py is not Python.
    summaries = tmp_path / "cache" / "xref" / "files.json"
    summaries.parent.mkdir(parents=True)
    summaries.write_text(json.dumps({"format": 1, "python": "{}.{}".format(*sys.version_info[:2]),
                                     "files": {hashlib.sha256(latin).hexdigest(): None}}))
    _, out = build_site(tree)
    assert 'href="latin.html#section-' in read(out, "user.html")


# Python 3.11 and later cannot build this tree (a `RecursionError`); 3.10 can.
DEEP = "x = 1" + " + 1" * 10_000


def python_builds(source: str) -> bool:
    try:
        ast.parse(source)
    except (RecursionError, MemoryError):
        return False
    return True


def deep_tree(write_tree, root: Path) -> Path:
    """Files that reach Python's recursion limit, their importers, and enough pages for workers."""
    chain = "".join(f"class A{i}(A{i - 1}):\n    pass\n\n\n" for i in range(1, 400))
    files = {
        # Python itself cannot build the tree of line 2 (10,000 nested additions).
        "deep.py": '"""Deep."""\n' + DEEP + "\n",
        # 400 classes, each the base of the next.
        "chain.py": "class A0:\n    def m(self):\n        return 1\n\n\n" + chain,
        # Markdown blocks nested 400 deep (`md_in_html`).
        "notes.py": '"""\n# Notes\n\n' + '<div markdown="1">\n\n' * 400 + "x" + "\n\n</div>" * 400
                    + '\n"""\nx = 1\n',
        "user.py": "# User\nfrom .deep import x\nfrom .chain import A399\n\n\n"
                   "class B(A399):\n    def n(self):\n        return self.m() + x\n",
    }
    for n in range(31):
        files[f"small_{n:02d}.py"] = f"# Small {n}\nfrom .chain import A0\n\nx = A0\n"
    return write_tree(files, root)


@pytest.mark.skipif(python_builds(DEEP), reason="this Python builds it (3.10)")
def test_files_too_deep_for_python_cost_only_their_own_page(write_tree, build_site, tmp_path):
    tree = deep_tree(write_tree, tmp_path / "src" / "pkg")
    one, out_one = build_site(tree, tmp_path / "one", jobs=1, cache_dir=str(tmp_path / "c1"))
    two, out_two = build_site(tree, tmp_path / "two", jobs=2, cache_dir=str(tmp_path / "c2"))
    assert (one.stats["jobs"], two.stats["jobs"]) == (1, 2)
    for site, out in ((one, out_one), (two, out_two)):
        assert [str(d) for d in site.diagnostics] == [
            "deep.py:2: syntax error: nested too deeply for Python "
            "(maximum recursion depth exceeded during ast construction)",
            "notes.py:2: notes nested too deeply for Markdown"]
        assert not (out / "deep.html").exists() and not (out / "notes.html").exists()
        # The importer of both builds, linked into the chain but not into the file that failed.
        # Every class and method of the chain has a section: A0, A0.m, A1, ... A399.
        user = read(out, "user.html")
        assert '<a class="xref" href="chain.html#section-400"><span class="n">A399</span></a>' in user
        assert '<a class="xref" href="chain.html#section-1"><span class="n">m</span></a>' in user
        assert 'href="deep.html' not in user
        assert 'href="chain.html#section-0"><span class="n">A0</span>' in read(out, "small_30.html")
    assert snapshot(out_one) == snapshot(out_two)


def snapshot(folder: Path) -> dict:
    return {p.relative_to(folder): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_empty_file_is_a_warning_and_still_a_page(write_tree, build_site):
    tree = write_tree({"__init__.py": "", "good.py": "x = 1\n"})
    site, out = build_site(tree)
    assert site.errors == []
    assert [str(d) for d in site.diagnostics] == ["__init__.py:1: warning: empty file"]
    assert (out / "index.html").is_file()


def test_a_failing_page_keeps_its_published_version(write_tree, build_site):
    tree = write_tree({"mod.py": "# Works\nx = 1\n", "other.py": "y = 1\n"})
    _, out = build_site(tree)
    before = read(out, "mod.html")
    (tree / "mod.py").write_text("def f(:\n")
    (tree / "other.py").write_text("# Changed\ny = 2\n")
    site, out = build_site(tree)
    assert site.errors and read(out, "mod.html") == before
    assert "Changed" in read(out, "other.html")


def test_output_is_byte_identical_on_rebuild(tree, build_site, tmp_path):
    _, first = build_site(tree, out_dir=tmp_path / "one")
    _, second = build_site(tree, out_dir=tmp_path / "two", cache_dir=str(tmp_path / "other-cache"))
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(second) for p in second.rglob("*") if p.is_file())
    for path in files:
        assert (first / path).read_bytes() == (second / path).read_bytes(), path


def test_a_build_that_fails_leaves_the_published_site_whole(tree, build_site, math_renderer, tmp_path):
    _, out = build_site(tree)
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    # A new image that disappears between rendering and writing: publishing must fail.
    (tree / "adam.py").write_text("# Changed ![new](new.png)\nx = 2\n")
    (tree / "new.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    config = SiteConfig.from_dict({"source_dir": tree, "cache_dir": str(tmp_path / "cache")})
    site = Builder(config, math=math_renderer).render()
    (tree / "new.png").unlink()
    with pytest.raises(PublishError, match="new.png"):
        publish(site, out)
    after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before
    assert [p.name for p in out.parent.iterdir() if p.name.startswith(".site")] == []


def run_cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "labml_docs.cli", *args], capture_output=True,
                          text=True, cwd=cwd, env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])})


def test_cli_check_reports_and_exits_one(write_tree, tmp_path):
    tree = write_tree({"mod.py": '"""\n# T\n\nBad $\\frac{$ and [x](nowhere.py).\n"""\nx = 1\n'})
    result = run_cli("check", str(tree), "--cache-dir", str(tmp_path / "c"))
    assert result.returncode == 1
    # The file is named from the working folder: here, the tree was given as an absolute path.
    named = f"{tree / 'mod.py'}:"
    lines = [line for line in result.stderr.splitlines() if line.startswith(named)]
    assert len(lines) == 2 and all(line.startswith(f"{named}4: ") for line in lines)
    assert any("KaTeX" in line for line in lines) and any("broken link" in line for line in lines)


def test_cli_check_passes_a_clean_tree_and_build_writes_it(tree, tmp_path):
    assert run_cli("check", str(tree), "--cache-dir", str(tmp_path / "c")).returncode == 0
    result = run_cli("build", str(tree), "--out", str(tmp_path / "out"), "--cache-dir", str(tmp_path / "c"),
                     "--site-name", "Test site")
    assert result.returncode == 0, result.stderr
    assert "Test site" in (tmp_path / "out" / "adam.html").read_text()


def test_settings_file_and_unknown_keys(tmp_path):
    settings = tmp_path / "labml-docs.yml"
    settings.write_text("site_name: From file\nsocial:\n  - {name: Twitter, url: 'https://x.com/a'}\n")
    config = SiteConfig.load(settings, site_url="https://s.org")
    assert config.site_name == "From file" and config.site_url == "https://s.org"
    settings.write_text("colour: red\n")
    with pytest.raises(ValueError, match="unknown setting"):
        SiteConfig.load(settings)


def test_missing_katex_is_said_before_anything_is_rendered(tree, tmp_path):
    empty = tmp_path / "no-katex"
    empty.mkdir()
    settings = tmp_path / "settings.yml"
    settings.write_text(f"katex_dir: {empty}\n")
    result = run_cli("build", str(tree), "--out", str(tmp_path / "out"), "--config", str(settings),
                     "--cache-dir", str(tmp_path / "c"))
    assert result.returncode == 1
    assert "npm install" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


# ## Links only to pages that exist, written as links


def test_a_page_that_never_built_is_not_listed_and_names_are_encoded(write_tree, build_site):
    src = write_tree({
        "__init__.py": '"""\n# Home\n"""\n',
        "bad.py": "def broken(:\n",
        "a b#1?.py": '"""\n# Odd name\n"""\nx = 1\n',
        "linker.py": '"""\n# Linker\n\nSee [the odd one](a%20b%231%3F.py).\n"""\n',
    })
    site, out = build_site(src, site_url="https://example.org/nn")
    assert any(d.path == "bad.py" and d.is_error for d in site.diagnostics)
    home = read(out, "index.html")
    assert "bad.html" not in home and not (out / "bad.html").exists()
    assert 'href="a%20b%231%3F.html"' in home and (out / "a b#1?.html").is_file()
    sitemap = read(out, "sitemap.xml")
    assert "bad.html" not in sitemap
    assert "<loc>https://example.org/nn/a%20b%231%3F.html</loc>" in sitemap
    assert 'href="https://example.org/nn/a%20b%231%3F.html"' in read(out, "a b#1?.html")
    assert 'href="a%20b%231%3F.html"' in read(out, "linker.html")
    assert not [d for d in site.diagnostics if "broken link" in d.message]


def test_without_a_site_url_there_is_no_sitemap(tree, build_site):
    _, out = build_site(tree)
    assert not (out / "sitemap.xml").exists()
    _, out = build_site(tree, site_url="https://example.org")
    assert "<loc>https://example.org/adam.html</loc>" in read(out, "sitemap.xml")


# ## Symbolic links


def test_a_symbolic_link_out_of_the_tree_is_skipped_unless_allowed(tree, build_site, tmp_path):
    secret = tmp_path / "secret.md"
    secret.write_text("# Secret\n\nSECRET-WORDS\n")
    (tmp_path / "outside.py").write_text('"""\n# Outside OUTSIDE-WORDS\n"""\n')
    (tree / "readme.md").unlink()
    (tree / "readme.md").symlink_to(secret)
    (tree / "leak.py").symlink_to(tmp_path / "outside.py")
    (tree / "alias.py").symlink_to(tree / "amsgrad.py")  # inside the tree: a page as usual
    site, out = build_site(tree)
    warnings = {d.path: d.message for d in site.diagnostics if d.level == "warning"}
    assert "outside the source tree" in warnings["readme.md"]
    assert "outside the source tree" in warnings["leak.py"]
    published = b"".join(p.read_bytes() for p in out.rglob("*") if p.is_file())
    assert b"SECRET-WORDS" not in published and b"OUTSIDE-WORDS" not in published
    assert (out / "alias.html").is_file() and not (out / "readme.html").exists()
    site, out = build_site(tree, out_dir=tmp_path / "allowed", follow_external_symlinks=True)
    assert "SECRET-WORDS" in read(out, "readme.html")
    assert not [d for d in site.diagnostics if "outside the source tree" in d.message]

def test_a_cache_inside_the_tree_is_not_part_of_it(write_tree, build_site, tmp_path):
    """`--cache-dir src/cache` (serve's default beside a tree is elsewhere, but people choose):
    what the build keeps there (JSON, a person's note.txt) is never published as an asset, and
    the next build does not read it as the tree changing under it."""
    tree = write_tree({"__init__.py": "", "a.py": '"""\n# A\n"""\nx = 1\n'})
    cache = tree / "cache"
    cache.mkdir()
    (cache / "note.txt").write_text("written by someone\n", encoding="utf-8")
    site, out = build_site(tree, cache_dir=str(cache))
    assert site.errors == [] and list(cache.rglob("*.json"))
    (tree / "b.py").write_text('"""\n# B\n"""\ny = 1\n', encoding="utf-8")
    site, out = build_site(tree, cache_dir=str(cache))
    assert site.errors == [] and (out / "b.html").is_file()
    assert not (out / "cache").exists() and not any("cache/" in url for url in site.assets)


def test_a_formula_on_the_home_page_survives_a_build_with_workers(write_tree, build_site):
    # Enough pages for worker processes: the home page is prepared in a chunk like the others
    # but finished last, by the caller, and must still have its math then.
    files = {"__init__.py": '"""\n# Home\n\nThe home page holds $x^2$.\n"""\n'}
    files.update({f"m{i:02d}.py": f"x{i} = {i}\n" for i in range(31)})
    site, out = build_site(write_tree(files), jobs=2)
    assert site.stats["jobs"] == 2
    assert site.errors == []
    home = read(out, "index.html")
    assert '<span class="katex">' in home and "katex-error" not in home
    assert not re.search("[\ue000-\uf8ff]", home)


def test_a_formula_with_no_rendering_is_reported_with_its_line_not_a_crash(write_tree, tmp_path):
    from labml_docs.page import PageBuilder
    from labml_docs.scan import scan
    from labml_docs.templates import make_environment

    tree = write_tree({"mod.py": '"""\n# T\n\nSee $x$ and $y$.\n"""\nx = 1\n'})
    files = scan(tree)
    builder = PageBuilder(SiteConfig.from_dict({"source_dir": tree}), make_environment(None), files)
    page = builder.prepare(next(f for f in files if f.path == "mod.py"))
    page.math_html = ["<b>x</b>"]  # as if the build lost the second one: a bug of ours
    rendered = builder.finish(page)
    assert "<b>x</b>" in rendered.html and 'class="katex-error"' in rendered.html
    assert [str(d) for d in page.diagnostics] == [
        "mod.py:4: labml-docs bug: this formula was not rendered; please report it"]


def test_a_note_cannot_forge_a_math_placeholder(write_tree, build_site):
    # U+E000 N U+E001 was what a formula became until the math was in place.
    note = "Marks \ue0007\ue001 and `\ue0000\ue001` as text, then $x^2$."
    site, out = build_site(write_tree({"mod.py": f'"""\n{note}\n"""\nx = 1\n'}))
    assert site.errors == []
    html = read(out, "mod.html")
    assert "Marks \ue0007\ue001 and " in html and "\ue0000\ue001</code>" in html
    assert html.count('<span class="katex">') == 1 and "katex-error" not in html


# Expands into 180,000 symbols: half a minute of KaTeX.
AMPLIFIED = (r"\def\a{" + "x" * 200 + r"}\def\b{\a\a\a\a\a\a\a\a\a\a}\def\c{\b\b\b\b\b\b\b\b\b\b}"
             + r"\c\c\c\c\c\c\c\c\c")


def test_a_formula_over_its_time_budget_is_an_error_at_its_line_and_the_rest_renders(
        write_tree, math_renderer, tmp_path):
    from labml_docs.math import Formula

    note = f'"""\n# Budgets\n\nBefore $a^2$.\n\nSlow ${AMPLIFIED}$ here.\n\nAfter $b_1$.\n"""\nx = 1\n'
    tree = write_tree({"mod.py": note, "other.py": "# Fine $y$\ny = 2\n"})
    config = SiteConfig.from_dict({"source_dir": tree, "cache_dir": str(tmp_path / "cache"),
                                   "math_timeout": 1, "colour_equations": False})
    for build in range(2):
        started = time.monotonic()
        with Builder(config) as builder:  # its own engine, made from the settings
            site = builder.build(tmp_path / "site")
        assert time.monotonic() - started < 60  # cut off, not the half minute it takes
        assert [str(d) for d in site.errors] == ["mod.py:6: KaTeX: formula exceeds the time budget of 1 s"]
        # The page is rendered again (the formula may fit next time); the others come from
        # the page cache: mod, other and the home page the first time, mod alone the second.
        assert site.stats["rendered"] == (3 if build == 0 else 1)
    html, other = read(tmp_path / "site", "mod.html"), read(tmp_path / "site", "other.html")
    assert html.count('class="katex-error"') == 1 and AMPLIFIED[:40] in html
    a, b, y = math_renderer.render_many([Formula("a^2", False), Formula("b_1", False), Formula("y", False)])
    assert a.html in html and b.html in html and y.html in other


def test_two_files_that_would_make_one_page_are_said_and_one_is_kept(write_tree, build_site):
    src = write_tree({
        "sub/__init__.py": '"""\n# The package\n"""\n',
        "sub/index.py": '"""\n# A module named index\n"""\n',
        "readme.md": "# Read me\n",
        "readme.py": '"""\n# Not the readme\n"""\n',
    })
    site, out = build_site(src)
    assert "The package" in read(out, "sub/index.html")
    assert "Read me" in read(out, "readme.html")
    warnings = {d.path: d.message for d in site.diagnostics if d.level == "warning"}
    assert "which sub/__init__.py makes" in warnings["sub/index.py"]
    assert "which readme.md makes" in warnings["readme.py"]


def test_home_page_lists_pages_in_the_order_of_the_tree():
    """A package's index, its readme, its modules by file name, then its subpackages."""
    from labml_docs.page import PageBuilder

    urls = ["b.html", "index.html", "opt/noam.html", "opt/index.html", "a.html", "opt/readme.html",
            "opt/adam.html", "opt/sub/index.html", "opt/zeta.html", "opt/sub/x.html", "z/index.html"]
    listing = PageBuilder.listing([{"url": u, "title": u, "summary": ""} for u in urls])
    assert [p["url"] for p in listing] == [
        "a.html", "b.html",
        "opt/index.html", "opt/readme.html", "opt/adam.html", "opt/noam.html", "opt/zeta.html",
        "opt/sub/index.html", "opt/sub/x.html",
        "z/index.html"]
