"""Pages inside a site's theme: the theme document, the Markdown extension, MkDocs with
`layout: theme` (the MkDocs theme, Material), `labml-docs build --into` and a real Zensical."""

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import markdown
import pytest
import yaml
from test_mkdocs import (
    PAGE_NAME,
    PROPERDOCS,
    PROPERDOCS_ENV,
    REPO,
    build_project,
    found,
    run_mkdocs,
    search_index,
    small_project,
)

from labml_docs.theme import BLOCK_END, document_path, plain_title, theme_document

PAGE_DOC = "optimizers/amsgrad.md"

# What each engine's theme draws around a page: its header, its search box, and the menu entry of
# the page marked current (MkDocs' theme, ProperDocs' copy of it, Material, Zensical's).
THEME_MARKS = {
    "mkdocs": ('class="navbar', 'id="mkdocs-search-query"',
               r'<a href="amsgrad\.html" class="dropdown-item active"'),
    "properdocs": ('class="navbar', 'id="properdocs-search-query"',
                   r'<a href="amsgrad\.html" class="dropdown-item active"'),
    "material": ('class="md-header', 'class="md-search__input"',
                 r'<a href="amsgrad\.html" class="md-nav__link md-nav__link--active"'),
    "zensical": ('class="md-header', 'class="md-search',
                 r'<a href="amsgrad\.html" class="md-nav__link md-nav__link--active"'),
}


def assert_theme_page(page: str, theme: str) -> None:
    """The AMSGrad page as a page of `theme`: the theme's header, search box and menu with the
    page marked current, around our block of sections, with notes, math (KaTeX's HTML) and code
    with line numbers; the block reached the page as HTML, not as a paragraph of Markdown."""
    header, search, current = THEME_MARKS[theme]
    assert header in page and search in page, theme
    assert re.search(current, page), f"{theme}: the menu does not mark the page current"
    assert page.count('<div class="labml-docs labml-docs-theme">') == 1
    assert page.count('<div class="section" id="section-') >= 5
    assert page.count('class="katex-html"') >= 10
    shown = re.sub(r"<annotation.*?</annotation>", "", page, flags=re.S)
    assert "\\sqrt{" not in shown and "\\frac{" not in shown  # no formula left as TeX
    assert page.count('class="lineno"') >= 50
    assert "<p><div" not in page and "&lt;div" not in page


def body_of(document: str) -> tuple[dict, str]:
    """The front matter and the Markdown of a theme document."""
    _, front, body = document.split("---\n", 2)
    return yaml.safe_load(front), body


# ---- the theme document -------------------------------------------------------------------------

def test_document_path():
    assert document_path("optimizers/amsgrad.html") == "optimizers/amsgrad.md"
    assert document_path("index.html") == "index.md"


def test_theme_document():
    block = '<div class="labml-docs">\n<div class="section" id="section-0">\n<div class="docs">\n' \
            '<div class="section-link"><a href="#section-0">#</a></div>\n<h1>T</h1></div>\n' \
            '<div class="code"><pre>\tx = 1</pre></div>\n</div>\n</div>\n'
    meta, body = body_of(theme_document("The `Adam` [optimizer](adam.py)", "Sum: a: b", block))
    assert meta == {"title": "The Adam optimizer", "description": "Sum: a: b", "hide": ["toc"]}
    assert "\t" not in body and "&#9;x = 1" in body
    assert '<div class="code" data-search-exclude>' in body
    assert '<div class="section-link" data-search-exclude>' in body
    assert body.rstrip().endswith(BLOCK_END)


def test_plain_title():
    assert plain_title("[AMSGrad](x.py) `optimizer`\u00a0 here") == "AMSGrad optimizer here"


# ---- the Markdown extension: the block goes through other extensions untouched -------------------

BLOCK = ('<div class="labml-docs labml-docs-theme">\n<div class="section" id="section-0">\n'
         '<div class="docs">\n<p>Notes</p>\n</div>\n<div class="code"><pre>\tx = "--8<-- nowhere.md"\n'
         '\n\n    y = {{ x }}\n* not a list</pre></div>\n</div>\n</div>')

EXTENSIONS = ["md_in_html", "toc", "attr_list", "pymdownx.snippets", "pymdownx.arithmatex",
              "pymdownx.superfences", "admonition", "tables"]


@pytest.mark.parametrize("extensions", [[], EXTENSIONS])
def test_extension_keeps_the_block(extensions):
    if extensions and importlib.util.find_spec("pymdownx") is None:
        pytest.skip("pymdown-extensions is not installed")
    _, body = body_of(theme_document("T", "", BLOCK))
    html = markdown.markdown("# Before\n\n" + body + "\nAfter *this*.\n",
                             extensions=["labml_docs.markdown_extension", *extensions])
    expected = body[body.index("<div"):body.index(BLOCK_END) + len(BLOCK_END)]
    assert expected in html
    assert "<em>this</em>" in html and ">Before</h1>" in html


def test_extension_leaves_other_documents_alone():
    text = "# Title\n\n<div class=\"other\">\n\tx\n</div>\n\nA *word*.\n"
    assert markdown.markdown(text, extensions=["labml_docs.markdown_extension"]) == markdown.markdown(text)


def test_extension_renders_math_and_links(tmp_path):
    """`math` and `links` alone, in a plain Python-Markdown: formulas as KaTeX's HTML (code keeps
    its `$`), an invalid one as our error mark, `.py` links into the tree as links to pages."""
    text = ("Inline $x^2$, `$code$`, and \\$5.\n\n$$\\frac{a}{b}$$\n\n```\n$fenced$\n```\n\n"
            "Bad $\\frac{$.\n\n[A](nn/optimizers/adam.py#section-1) [B](elsewhere.py) "
            "[C](https://example.org/x.py) [D](guide.md)\n")
    md = markdown.Markdown(extensions=["labml_docs.markdown_extension", "fenced_code"], extension_configs={
        "labml_docs.markdown_extension": {"math": True, "links": True, "tree_url": "nn",
                                          "cache_dir": str(tmp_path)}})
    html = md.convert(text)
    assert html.count('class="katex"') == 2 and 'class="katex-display"' in html
    assert "<code>$code$</code>" in html and "$fenced$" in html and "&#36;5" in html
    assert 'class="katex-error"' in html
    assert 'href="nn/optimizers/adam.html#section-1"' in html and 'href="elsewhere.py"' in html
    assert 'href="https://example.org/x.py"' in html and 'href="guide.md"' in html
    assert (tmp_path / "math").exists()
    # Off by default: the extension alone leaves math and links as they are.
    assert markdown.markdown(text, extensions=["labml_docs.markdown_extension"]) == markdown.markdown(text)


def test_extension_takes_the_notes_macros(tmp_path):
    """A macro of the site's settings (`katex_macros`) renders on hand-written pages as in notes;
    without it, KaTeX does not know the command."""
    def convert(macros):
        md = markdown.Markdown(extensions=["labml_docs.markdown_extension"], extension_configs={
            "labml_docs.markdown_extension": {"math": True, "cache_dir": str(tmp_path),
                                              "katex_macros": macros}})
        return md.convert("In $\\RR^n$.")
    assert 'class="katex-error"' not in convert({"\\RR": "\\mathbb{R}"})
    assert 'class="katex-error"' in convert({})


def assert_hand_written_math(page: str, link: str) -> None:
    """A hand-written page with its formula rendered by our KaTeX and its `.py` link to the page."""
    assert 'class="katex"' in page
    shown = re.sub(r"<annotation.*?</annotation>", "", page, flags=re.S)
    assert "$" not in re.sub(r"<(code|pre|script)\b.*?</\1>", "", shown, flags=re.S)
    assert f'href="{link}"' in page


# ---- MkDocs with layout: theme ------------------------------------------------------------------

@pytest.fixture(scope="module")
def repo_site(tmp_path_factory):
    """The repository's site: the MkDocs theme with `layout: theme`."""
    site = tmp_path_factory.mktemp("theme-repo") / "site"
    result = run_mkdocs("build", "--strict", "-f", "mkdocs.yml", "-d", str(site))
    assert result.returncode == 0, result.stderr
    return site


def test_pages_inside_the_mkdocs_theme(repo_site):
    page = (repo_site / PAGE_NAME).read_text(encoding="utf-8")
    assert_theme_page(page, "mkdocs")
    # The stylesheets the theme's dark-mode script switches (theme_overrides/mkdocs/main.html).
    assert 'id="hljs-light"' in page and 'id="hljs-dark"' in page
    # The theme's page around our block: its navigation bar, our stylesheets and script.
    assert 'class="navbar' in page and '<div class="labml-docs labml-docs-theme">' in page
    for asset in ("assets/katex/katex.min.css", "assets/labml-theme.css",
                  "assets/interactive.js"):
        assert f'"../{asset}"' in page, asset
        assert (repo_site / asset).is_file()
    assert 'class="katex"' in page and 'href="adam.html#section-1"' in page
    assert "<title>AMSGrad optimizer" in page
    # The current page is marked in the menu, and the previous and next pages are linked.
    assert re.search(r'<a href="amsgrad.html" class="dropdown-item active"', page)
    assert 'rel="prev"' in page and 'rel="next"' in page
    # A guide page's link to an annotated page is checked (--strict) and kept.
    intro = (repo_site / "index.html").read_text(encoding="utf-8")
    assert 'href="optimizers/amsgrad.html"' in intro
    # Its math is rendered by our KaTeX, and its link to a module goes to the module's page.
    assert_hand_written_math(intro, "optimizers/adam.html")
    assert (repo_site / "optimizers" / "adam.html").is_file()


def assert_search_entries(page: str, entries: list[dict], prefix: str = "") -> None:
    """The search entries of the AMSGrad page (`page`, its HTML as built): one per heading of
    the notes, linked to the heading's id; text as a reader sees it (formulas by their glyphs),
    with no code column, no TeX of KaTeX's MathML, no `#` link of a section, no zero-width
    space. "regret" is found under the heading of the function that computes it."""
    block = page[page.index('<div class="labml-docs'):]
    headings = re.findall(r'<h[1-6] id="([^"]+)"', block)
    assert len(headings) >= 8
    located = {e["location"].partition("#")[2]: e for e in entries if "#" in e["location"]}
    assert list(located) == headings, (list(located), headings)
    for entry in entries:
        text = entry["text"]
        # The code column (the notes' own examples stay: they are notes).
        assert "argparse" not in text and "add_argument" not in text, entry
        assert "\\frac" not in text and "\\htmlClass" not in text and "x-tex" not in text, entry
        assert not text.lstrip().startswith("#") and "#" not in entry["title"], entry
        assert "\u200b" not in text + entry["title"], entry
    assert any("β" in e["text"] for e in entries)  # a formula, as it shows
    regret = [e["location"] for e in entries if "regret" in e["text"].lower()]
    assert prefix + PAGE_NAME + "#run-one-optimizer-on-the-synthetic-problem" in regret, regret


def test_search_of_theme_pages(repo_site):
    docs = search_index(repo_site)
    ours = [d for d in docs if d["location"].partition("#")[0] == PAGE_NAME]
    # Our entries (a page, then a heading each), not the search plugin's one text of the page.
    assert ours[0]["location"] == PAGE_NAME
    assert_search_entries((repo_site / PAGE_NAME).read_text(encoding="utf-8"), ours)


def broken_links(site: Path, page: Path) -> list[str]:
    """The relative links of a built page that lead to no file of the site."""
    broken = []
    for href in re.findall(r'(?:href|src)="([^"#?]+)[^"]*"', page.read_text(encoding="utf-8")):
        if re.match(r"[a-z][a-z0-9+.-]*:|/", href):
            continue
        target = (page.parent / href).resolve()
        if target.is_dir():
            target = target / "index.html"
        if not target.is_file() or site.resolve() not in target.parents:
            broken.append(href)
    return broken


@pytest.mark.parametrize("directory_urls", [True, False])
def test_theme_layout_with_directory_urls_and_no_nav(tmp_path, directory_urls):
    """No `nav:` in mkdocs.yml: MkDocs puts our pages in its menu by folder; they move into
    our section, once each. Links between our pages, from a guide page to ours and from ours
    to a guide page all hold, whatever `use_directory_urls` says: our pages keep their
    addresses (`pkg/first.html`), the guide's pages move (`guide/` or `guide.html`)."""
    root = small_project(tmp_path, settings="layout: theme")
    with (root / "mkdocs.yml").open("a", encoding="utf-8") as f:
        f.write(f"use_directory_urls: {str(directory_urls).lower()}\n")
    result = build_project(root, "--strict")
    assert result.returncode == 0, result.stderr
    site = root / "site"
    first = (site / "pkg" / "first.html").read_text(encoding="utf-8")
    assert '<div class="labml-docs labml-docs-theme">' in first and 'class="katex"' in first
    assert 'href="second.html"' in first
    guide_page = site / "guide" / "index.html" if directory_urls else site / "guide.html"
    assert (site / "tiny.html").is_file() and guide_page.is_file()
    guide = guide_page.read_text(encoding="utf-8")
    up = "../" if directory_urls else ""
    assert f'href="{up}pkg/readme.html"' in guide
    assert guide.count(f'href="{up}pkg/first.html"') == 1  # in the menu once
    assert "pkg/first.html" in found(search_index(site), "zebra")
    pages = [p for p in site.rglob("*.html") if "search" not in p.parts and p.name != "404.html"]
    assert len(pages) >= 6
    assert {str(p.relative_to(site)): broken_links(site, p) for p in pages
            if broken_links(site, p)} == {}


@pytest.mark.skipif(importlib.util.find_spec("material") is None,
                    reason="mkdocs-material is not installed")
def test_material_example(tmp_path):
    site = tmp_path / "site"
    result = run_mkdocs("build", "--strict", "-f", "examples/material/mkdocs.yml", "-d", str(site))
    assert result.returncode == 0, result.stderr
    page = (site / PAGE_NAME).read_text(encoding="utf-8")
    assert_theme_page(page, "material")
    assert 'class="md-content"' in page
    # Material adds no title of its own: the notes have one.
    assert page.count("<h1") == 1
    assert_hand_written_math((site / "index.html").read_text(encoding="utf-8"), "optimizers/adam.html")
    assert (site / "optimizers" / "adam.html").is_file()
    ours = [d for d in search_index(site) if d["location"].partition("#")[0] == PAGE_NAME]
    assert_search_entries(page, ours)


# ---- labml-docs build --into, and Zensical -------------------------------------------------------

def run_cli(*args, cwd=REPO):
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, "-m", "labml_docs.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def test_build_into(tmp_path):
    into = tmp_path / "docs" / "nn"
    result = run_cli("build", "src/labml_nn", "--into", str(into), "--cache-dir", str(tmp_path / "cache"))
    assert result.returncode == 0, result.stderr
    meta, body = body_of((into / PAGE_DOC).read_text(encoding="utf-8"))
    assert meta["title"] == "AMSGrad optimizer" and meta["hide"] == ["toc"]
    assert body.lstrip().startswith('<div class="labml-docs') and 'class="katex"' in body
    assert (into / "index.md").is_file() and not (into / "optimizers" / "amsgrad.html").exists()
    assert (into / "assets" / "labml-theme.css").is_file()
    assert list((into / "assets" / "katex" / "fonts").glob("*.woff2"))
    assert (into / "optimizers" / "amsgrad_experiment.png").is_file()
    assert not (into / "sitemap.xml").exists()


ZENSICAL = shutil.which("zensical") or (shutil.which("zensical", path=str(Path(sys.executable).parent)))


@pytest.mark.skipif(not ZENSICAL, reason="zensical is not installed (pip install labml-docs[zensical])")
def test_zensical_example(tmp_path):
    """`examples/zensical/build.sh`, as a user runs it: the pre-build step, then Zensical.
    The tools are those of the environment running the tests (its `bin` first on `PATH`)."""
    example = tmp_path / "zensical"
    shutil.copytree(REPO / "examples" / "zensical", example,
                    ignore=shutil.ignore_patterns("site", ".cache", "nn", ".labml-docs-cache"))
    env = dict(os.environ, REPO=str(REPO),
               PATH=str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""),
               PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    built = subprocess.run(["bash", str(example / "build.sh")], cwd=tmp_path, env=env,
                           capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stdout + built.stderr
    page = (example / "site" / "nn" / PAGE_NAME).read_text(encoding="utf-8")
    assert_theme_page(page, "zensical")
    assert "fonts.googleapis" not in page  # font = false: the site works offline
    assert 'href="adam.html#section-1"' in page and '"../assets/labml-theme.css"' in page
    # The hand-written home page is kept, and its links to the tree hold.
    home = (example / "site" / "index.html").read_text(encoding="utf-8")
    assert 'href="nn/optimizers/amsgrad.html"' in home
    assert_hand_written_math(home, "nn/optimizers/amsgrad.html")
    items = json.loads((example / "site" / "search.json").read_text(encoding="utf-8"))["items"]
    ours = [item for item in items if item["location"].partition("#")[0] == "nn/" + PAGE_NAME]
    # Zensical's own index of the page, made from its HTML (text with the notes' tags).
    assert_search_entries(page, ours, prefix="nn/")


# ---- ProperDocs ---------------------------------------------------------------------------------

@pytest.mark.skipif(not PROPERDOCS, reason="properdocs is not installed (make setup-test)")
def test_properdocs_theme_pages(tmp_path):
    """ProperDocs (the maintained fork of MkDocs 1.x, with its copy of the MkDocs theme) builds
    the repository's site with this checkout's plugin: the same theme pages."""
    site = tmp_path / "site"
    result = subprocess.run([PROPERDOCS, "build", "--strict", "-f", "mkdocs.yml", "-d", str(site)],
                            cwd=REPO, env=PROPERDOCS_ENV, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert_theme_page((site / PAGE_NAME).read_text(encoding="utf-8"), "properdocs")
    assert_hand_written_math((site / "index.html").read_text(encoding="utf-8"), "optimizers/adam.html")
    assert PAGE_NAME in found(search_index(site), "AMSGrad")
