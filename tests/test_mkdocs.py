"""The MkDocs plugin, with the real MkDocs: builds of the repository and of small projects."""

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

pytest.importorskip("mkdocs")

from mkdocs.commands.build import build as mkdocs_build  # noqa: E402
from mkdocs.config import load_config  # noqa: E402

from labml_docs.mkdocs_plugin import search_entries  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
PAGE_NAME = "optimizers/amsgrad.html"


def run_mkdocs(*args, cwd=REPO):
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, "-m", "mkdocs", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def write(root: Path, files: dict) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(content).lstrip("\n"), encoding="utf-8")
    return root


def search_index(site: Path) -> list[dict]:
    return json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))["docs"]


def found(docs: list[dict], word: str) -> set[str]:
    """Locations whose title or text holds `word`, as a search would find them, and their pages
    (a search shows a heading's entry under its page)."""
    word = word.lower()
    hits = {d["location"] for d in docs if word in d["text"].lower() or word in d["title"].lower()}
    return hits | {location.partition("#")[0] for location in hits}


# ---- the repository's own site -------------------------------------------------------------------

@pytest.fixture(scope="module")
def repo_site(tmp_path_factory):
    site = tmp_path_factory.mktemp("repo") / "site"
    started = time.perf_counter()
    result = run_mkdocs("build", "-f", "mkdocs.yml", "-d", str(site))
    print(f"\nmkdocs build of the repository: {time.perf_counter() - started:.2f} s")
    assert result.returncode == 0, result.stderr
    return site


def test_repository_pages(repo_site):
    page = (repo_site / PAGE_NAME).read_text(encoding="utf-8")
    assert 'class="section"' in page
    assert 'class="katex"' in page
    assert (repo_site / "optimizers" / "index.html").is_file()
    # Links of the notes keep working: the generator's layout, whatever use_directory_urls says.
    assert 'href="adam.html"' in page or 'href="adam.html#' in page
    assert (repo_site / "optimizers" / "adam.html").is_file()
    # The theme's own pages are there too, with directory URLs.
    assert (repo_site / "architecture" / "index.html").is_file()


def test_repository_nav(repo_site):
    home = (repo_site / "index.html").read_text(encoding="utf-8")
    assert "Annotated implementations" in home
    for url in ("optimizers/amsgrad.html", "optimizers/adam.html", "optimizers/index.html"):
        assert f'href="{url}"' in home, url
    # The architecture page is one level down: its nav links climb back.
    architecture = (repo_site / "architecture" / "index.html").read_text(encoding="utf-8")
    assert 'href="../optimizers/amsgrad.html"' in architecture


def test_repository_search(repo_site):
    docs = search_index(repo_site)
    locations = {d["location"] for d in docs}
    assert PAGE_NAME in locations
    assert PAGE_NAME + "#the-fix" in locations  # an entry per heading of the notes
    assert PAGE_NAME in found(docs, "AMSGrad")
    assert any(loc.startswith(PAGE_NAME) for loc in found(docs, "regret"))
    # The theme's pages are still indexed by the search plugin itself.
    assert any(loc.startswith("architecture/") for loc in locations)
    # Formulas are indexed as they show, not by their TeX with the colouring wrappers.
    assert not any("htmlClass" in d["text"] for d in docs if ".html" in d["location"])


def test_repository_assets(repo_site):
    assert (repo_site / "assets" / "katex" / "katex.min.css").is_file()
    assert list((repo_site / "assets" / "katex" / "fonts").glob("*.woff2"))
    assert (repo_site / "optimizers" / "amsgrad_experiment.png").is_file()
    sitemap = (repo_site / "sitemap.xml").read_text(encoding="utf-8")
    assert PAGE_NAME in sitemap


# ---- a small project of its own ----------------------------------------------------------------

def small_project(root: Path, extra_files: dict | None = None, settings: str = "") -> Path:
    files = {
        "mkdocs.yml": f"""
            site_name: Tiny
            docs_dir: docs
            plugins:
              - search
              - labml-docs:
                  source_dir: src/tiny
                  cache_dir: .cache
                  nav_section: Code
{textwrap.indent(textwrap.dedent(settings), ' ' * 18)}
            """,
        "docs/index.md": """
            # Tiny

            The [first module](pkg/first.html) and the [guide](guide.md).
            """,
        "docs/guide.md": """
            # Guide

            Read the [readme](pkg/readme.html).
            """,
        "src/tiny/__init__.py": '''
            """
            # Tiny tree

            The [package](pkg/__init__.py).
            """
            ''',
        "src/tiny/pkg/__init__.py": '''
            """
            ---
            title: The package
            ---

            # The package

            See [first](first.py) and [second](second.py).
            """
            ''',
        "src/tiny/pkg/readme.md": """
            # Readme of the package

            Start with [the first module](first.py).
            """,
        "src/tiny/pkg/first.py": '''
            """
            ---
            title: First module
            ---

            # First module

            Uses [the second module](second.py). The zebra formula: $e^{i\\pi} + 1 = 0$.
            """


            def first(x):
                # Doubles $x$: $y = 2x$
                return 2 * x
            ''',
        "src/tiny/pkg/second.py": '''
            """
            # Second module

            Goes back to [the first](first.py#section-1).
            """

            # A quokka lives here
            VALUE = 1
            ''',
    }
    files.update(extra_files or {})
    return write(root, files)


def build_project(root: Path, *args):
    return run_mkdocs("build", "-f", str(root / "mkdocs.yml"), "-d", str(root / "site"), *args,
                      cwd=root)


def test_small_project(tmp_path):
    root = small_project(tmp_path)
    result = build_project(root, "--strict")
    assert result.returncode == 0, result.stderr
    site = root / "site"
    first = (site / "pkg" / "first.html").read_text(encoding="utf-8")
    assert 'class="section"' in first and 'class="katex"' in first
    assert 'href="second.html"' in first
    # The search plugin serves: no search box or Pagefind index of ours (see test_search.py).
    assert "site-search" not in first and not (site / "pagefind").exists()
    second = (site / "pkg" / "second.html").read_text(encoding="utf-8")
    assert 'href="first.html#section-1"' in second
    assert (site / "pkg" / "readme.html").is_file()
    # docs/index.md has the home page; the tree's home page moves beside it.
    assert (site / "tiny.html").is_file()
    home = (site / "index.html").read_text(encoding="utf-8")
    assert 'href="pkg/first.html"' in home  # the link of the Markdown page, and the nav
    assert "Code" in home and "The package" in home
    # Directory URLs for the theme's pages, relative links to ours.
    guide = (site / "guide" / "index.html").read_text(encoding="utf-8")
    assert 'href="../pkg/readme.html"' in guide
    assert 'href="../pkg/second.html"' in guide
    docs = search_index(site)
    assert "pkg/first.html" in found(docs, "zebra")
    assert any(loc.startswith("pkg/second.html#section-") for loc in found(docs, "quokka"))
    assert "pkg/readme.html" in found(docs, "Readme of the package")
    assert any("e^{i\\pi}" in d["text"] for d in docs)


def test_home_page_of_the_tree_without_docs_index(tmp_path):
    root = small_project(tmp_path)
    (root / "docs" / "index.md").unlink()
    (root / "docs" / "guide.md").write_text("# Guide\n\nThe [home](index.html).\n")
    result = build_project(root)
    assert result.returncode == 0, result.stderr
    home = (root / "site" / "index.html").read_text(encoding="utf-8")
    assert "Tiny tree" in home and 'class="section"' in home
    assert not (root / "site" / "tiny.html").exists()


# ---- strict mode ---------------------------------------------------------------------------------

def test_strict_fails_on_broken_link(tmp_path):
    root = small_project(tmp_path, {"src/tiny/pkg/third.py": '''
        """
        # Third

        A [missing page](nowhere.py).
        """
        X = 3
        '''})
    result = build_project(root, "--strict")
    assert result.returncode != 0
    assert "src/tiny/pkg/third.py:4: broken link" in result.stderr, result.stderr
    assert "Aborted" in result.stdout + result.stderr
    relaxed = build_project(root)
    assert relaxed.returncode == 0, relaxed.stderr
    assert "src/tiny/pkg/third.py:4: broken link" in relaxed.stderr
    assert (root / "site" / "pkg" / "third.html").is_file()


def test_strict_fails_on_math_error(tmp_path):
    root = small_project(tmp_path, {"src/tiny/pkg/bad.py": '''
        """
        # Bad formula

        Broken: $\\frac{1}{$
        """
        X = 3
        '''})
    result = build_project(root, "--strict")
    assert result.returncode != 0
    assert "src/tiny/pkg/bad.py:4: KaTeX" in result.stderr, result.stderr
    relaxed = build_project(root)
    assert relaxed.returncode == 0, relaxed.stderr
    assert "src/tiny/pkg/bad.py:4: KaTeX" in relaxed.stderr


# ---- Material -----------------------------------------------------------------------------------

@pytest.mark.skipif(importlib.util.find_spec("material") is None,
                    reason="mkdocs-material is not installed")
def test_material_example(tmp_path):
    site = tmp_path / "site"
    result = run_mkdocs("build", "-f", "examples/material/mkdocs.yml", "-d", str(site))
    assert result.returncode == 0, result.stderr
    page = (site / PAGE_NAME).read_text(encoding="utf-8")
    assert 'class="section"' in page and 'class="katex"' in page
    home = (site / "index.html").read_text(encoding="utf-8")
    assert f'href="{PAGE_NAME}"' in home
    assert "Annotated implementations" in home
    docs = search_index(site)
    assert PAGE_NAME in found(docs, "AMSGrad")
    assert any(loc.startswith(PAGE_NAME) for loc in found(docs, "regret"))
    assert (site / "assets" / "katex" / "katex.min.css").is_file()
    # Material's own assets are still there beside ours.
    assert (site / "assets" / "stylesheets").is_dir()


# ---- mkdocs serve: one plugin object across rebuilds ----------------------------------------------

def test_rebuild_with_the_same_plugin(tmp_path):
    root = small_project(tmp_path)
    config_file = str(root / "mkdocs.yml")
    cwd = os.getcwd()
    os.chdir(root)
    try:
        config = load_config(config_file, site_dir=str(root / "site"))
        plugin = config.plugins["labml-docs"]
        config.plugins.on_startup(command="serve", dirty=False)
        try:
            started = time.perf_counter()
            mkdocs_build(config)
            first_time = time.perf_counter() - started
            builder = plugin.builder
            before = (root / "site" / "pkg" / "second.html").read_text(encoding="utf-8")
            assert "quokka" in before

            source = root / "src" / "tiny" / "pkg" / "second.py"
            source.write_text(source.read_text().replace("quokka", "wombat"))
            # `mkdocs serve` reloads the configuration for each rebuild, and MkDocs hands the
            # same plugin object back because it has `on_startup`.
            config = load_config(config_file, site_dir=str(root / "site"))
            assert config.plugins["labml-docs"] is plugin
            started = time.perf_counter()
            mkdocs_build(config)
            second_time = time.perf_counter() - started
            assert plugin.builder is builder  # the KaTeX process and caches were kept
            after = (root / "site" / "pkg" / "second.html").read_text(encoding="utf-8")
            assert "wombat" in after and "quokka" not in after
            assert "pkg/second.html" in found(search_index(root / "site"), "wombat")
            print(f"\nfirst build {first_time:.2f} s, rebuild after an edit {second_time:.2f} s")
        finally:
            config.plugins.on_shutdown()
        assert plugin.builder is None
    finally:
        os.chdir(cwd)


# ---- search entries ------------------------------------------------------------------------------

def test_search_entries_of_a_page():
    html = """
    <div class="section" id="section-0"><div class="docs doc-strings">
    <div class="section-link"><a href="#section-0">#</a></div>
    <h1 id="the-title">The <em>title</em></h1><p>Words and <span class="katex"><span class="katex-mathml"><math>
    <semantics><mi>v</mi><annotation encoding="application/x-tex">\\htmlClass{coloredeq eq0}{v_t}</annotation>
    </semantics></math></span><span class="katex-html" aria-hidden="true">v<span>t​</span></span></span>.</p>
    <h2>Two</h2><p>More</p>
    </div><div class="code">def f(): pass</div></div>
    <div class="section" id="section-1"><div class="docs"><p>words.</p><h3 id="three">Three</h3></div>
    <div class="code">x</div></div>
    """
    entries = search_entries("a/b.html", "Page", html)
    # One entry per heading: its id (else its section's), its text as shown up to the next
    # heading, across sections; no code, no `#` link, no TeX, no zero-width space.
    assert entries == [
        {"location": "a/b.html", "title": "Page", "text": ""},
        {"location": "a/b.html#the-title", "title": "The title", "text": "Words and vt."},
        {"location": "a/b.html#section-0", "title": "Two", "text": "More words."},
        {"location": "a/b.html#three", "title": "Three", "text": ""},
    ]
    assert [e["text"] for e in search_entries("a/b.html", "Page", html, "titles")] == [""]
    assert len(search_entries("a/b.html", "Page", html, "sections")) == 4


# ---- ProperDocs, the maintained fork of MkDocs ----------------------------------------------------

# On the PATH, named by `make test`, or in the virtualenv that `make setup-test` makes for it
# inside the one running the tests (`.venv/properdocs`).
PROPERDOCS = (shutil.which("properdocs") or os.environ.get("PROPERDOCS")
              or next((str(p) for p in [Path(sys.executable).parent.parent / "properdocs" / "bin" / "properdocs"]
                       if p.is_file()), None))
# ProperDocs' virtualenv has labml-docs installed from some checkout: this one's goes first.
PROPERDOCS_ENV = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))


@pytest.mark.skipif(not PROPERDOCS, reason="properdocs is not installed")
def test_properdocs_builds_the_repository(tmp_path):
    site = tmp_path / "site"
    result = subprocess.run([PROPERDOCS, "build", "-f", "mkdocs.yml", "-d", str(site)],
                            cwd=REPO, env=PROPERDOCS_ENV, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert 'class="katex"' in (site / PAGE_NAME).read_text(encoding="utf-8")
    assert f'href="{PAGE_NAME}"' in (site / "index.html").read_text(encoding="utf-8")
    assert PAGE_NAME in found(search_index(site), "AMSGrad")


@pytest.mark.skipif(not PROPERDOCS, reason="properdocs is not installed")
def test_properdocs_strict(tmp_path):
    root = small_project(tmp_path, {"src/tiny/pkg/third.py": '''
        """
        # Third

        A [missing page](nowhere.py).
        """
        X = 3
        '''})
    result = subprocess.run([PROPERDOCS, "build", "--strict", "-d", str(root / "site")],
                            cwd=root, env=PROPERDOCS_ENV, capture_output=True, text=True, timeout=300)
    assert result.returncode != 0
    assert "src/tiny/pkg/third.py:4: broken link" in result.stderr, result.stderr
