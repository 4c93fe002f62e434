"""The path of a new user: the commands that README.md and the examples show work as written,
from a fresh shell after the README's set-up, and what they write and print is where a new
user looks for it.

The README's set-up makes a virtualenv in `.venv`; here the programs of `.venv/bin` are the
ones of the Python running the tests, with this checkout first on its path.
"""

import html.parser
import importlib.util
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

REPO = Path(__file__).resolve().parent.parent
BAD_NOTE = '"""\n# T\n\nBad $\\frac{$ and [x](nowhere.py).\n"""\nx = 1\n'


def shown_commands(markdown: Path, languages: tuple[str, ...] = ("bash", "sh")) -> list[str]:
    """The command lines of the shell blocks of `markdown`, without their comments."""
    text = markdown.read_text(encoding="utf-8")
    blocks = re.findall(r"^```(\w+)\n(.*?)^```", text, flags=re.M | re.S)
    lines = [line for language, body in blocks if language in languages
             for line in body.splitlines()]
    commands = [line.split("  #")[0].strip() for line in lines]
    return [c for c in commands if c and not c.startswith("#")]


def as_run_here(command: str) -> list[str]:
    """A command of `.venv/bin` as this test process runs it."""
    words = shlex.split(command)
    program = words[0].removeprefix(".venv/bin/")
    module = {"labml-docs": "labml_docs.cli", "mkdocs": "mkdocs"}[program]
    return [sys.executable, "-m", module, *words[1:]]


def run(args: list[str], cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


# ## README.md

def test_readme_commands_need_no_activated_virtualenv():
    """A fresh shell has no `labml-docs` on its `PATH`: each command is a `make` target, or a
    program of `.venv/bin`, unless the README says to activate the virtualenv."""
    readme = REPO / "README.md"
    commands = shown_commands(readme)
    assert any("labml-docs" in c for c in commands)
    if "source .venv/bin/activate" in readme.read_text(encoding="utf-8"):
        return
    bare = [c for c in commands if not c.startswith(("make ", ".venv/bin/"))]
    assert bare == [], f"README.md shows commands that need `source .venv/bin/activate`: {bare}"


def test_readme_commands_call_programs_of_the_virtualenv():
    """Even with the note on `activate`, the examples run as pasted into a new shell."""
    bare = [c for c in shown_commands(REPO / "README.md") if not c.startswith(("make ", ".venv/bin/"))]
    assert bare == []


def test_readme_build_and_check_work_and_build_does_not_replace_the_mkdocs_site(tmp_path):
    """README's `build`, `check` and `i18n` of `src/labml_nn`, from a copy of the repository's layout:
    they succeed, and the site goes beside the `site/` that `make site` (MkDocs) wrote."""
    shutil.copytree(REPO / "src" / "labml_nn", tmp_path / "src" / "labml_nn",
                    ignore=shutil.ignore_patterns("__pycache__", ".*"))
    mkdocs_site = tmp_path / "site"
    mkdocs_site.mkdir()
    (mkdocs_site / "index.html").write_text("MkDocs' site\n", encoding="utf-8")
    commands = [c for c in shown_commands(REPO / "README.md")
                if c.startswith(".venv/bin/labml-docs ") and " serve " not in c]
    assert {shlex.split(c)[1] for c in commands} == {"build", "check", "i18n"}
    for command in commands:
        done = run(as_run_here(command), cwd=tmp_path)
        assert done.returncode == 0, f"{command}\n{done.stderr}"
    assert (mkdocs_site / "index.html").read_text(encoding="utf-8") == "MkDocs' site\n"
    assert sorted(p.name for p in mkdocs_site.iterdir()) == ["index.html"]
    assert (tmp_path / "labml-docs-site" / "optimizers" / "adam.html").is_file()


def test_build_writes_elsewhere_than_site_by_default(write_tree, labml_docs, tmp_path):
    write_tree({"mod.py": '"""\n# T\n\nA note.\n"""\nx = 1\n'})
    done = labml_docs("build", "src/pkg", "--cache-dir", tmp_path / "c")
    assert done.returncode == 0, done.stderr
    assert not (tmp_path / "site").exists()
    assert (tmp_path / "labml-docs-site" / "mod.html").is_file()


def test_build_of_the_working_folder_writes_beside_the_tree_it_reads(write_tree, labml_docs, tmp_path):
    """`labml-docs build .` in a package: the default folder is in the tree, and is skipped by
    the scan as `site/` was (not refused, and not read as part of the tree the next time)."""
    tree = write_tree({"mod.py": '"""\n# T\n\nA note.\n"""\nx = 1\n'})
    for _ in range(2):
        done = labml_docs("build", ".", "--cache-dir", tmp_path / "c", cwd=tree)
        assert done.returncode == 0, done.stderr
    site = tree / "labml-docs-site"
    assert (site / "mod.html").is_file()
    assert not (site / "labml-docs-site").exists()
    assert not any("labml-docs-site" in p.name for p in site.rglob("*.html"))


@pytest.mark.parametrize("port", ["8000", "8123"])
def test_make_serve_takes_a_port(port):
    make = shutil.which("make")
    if make is None:
        pytest.skip("make is not installed")
    args = [make, "-n", "serve"] + ([f"PORT={port}"] if port != "8000" else [])
    done = subprocess.run(args, cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    serve_line = next(line for line in done.stdout.splitlines() if "mkdocs serve" in line)
    assert f"127.0.0.1:{port}" in serve_line


# ## check names files from the working folder

def test_check_names_files_from_where_it_ran(write_tree, labml_docs, tmp_path):
    """As MkDocs does: `src/pkg/mod.py:4: ...` opens from the folder the command ran in."""
    write_tree({"mod.py": BAD_NOTE})
    done = labml_docs("check", "src/pkg", "--cache-dir", tmp_path / "c")
    assert done.returncode == 1
    problems = [line for line in done.stderr.splitlines() if ": " in line and ":4:" in line]
    assert len(problems) == 2, done.stderr
    for line in problems:
        assert line.startswith("src/pkg/mod.py:4: ")
        assert (tmp_path / line.split(":")[0]).is_file()


def test_check_names_files_of_a_tree_given_as_dot(write_tree, labml_docs, tmp_path):
    tree = write_tree({"mod.py": BAD_NOTE})
    done = labml_docs("check", ".", "--cache-dir", tmp_path / "c", cwd=tree)
    assert done.returncode == 1
    assert [line for line in done.stderr.splitlines() if line.startswith("mod.py:4: ")] != []
    assert "./mod.py" not in done.stderr


def test_build_keeps_the_paths_of_its_publishing_warnings(write_tree, labml_docs, tmp_path):
    """A warning about a file of the output folder names it from the working folder already."""
    note = '"""\n# T\n\nA note.\n"""\nx = 1\n'
    tree = write_tree({"mod.py": note})
    build = ("build", "src/pkg", "--out", "out", "--cache-dir", tmp_path / "c")
    assert labml_docs(*build).returncode == 0
    (tree / "new.py").write_text(note, encoding="utf-8")
    (tmp_path / "out" / "new.html").write_text("mine\n", encoding="utf-8")  # in the way
    done = labml_docs(*build)
    assert done.returncode == 0, done.stderr
    assert "out/new.html:1: warning: not written" in done.stderr
    assert "src/pkg/out" not in done.stderr


# ## Links of the settings

def test_relative_links_of_the_settings_follow_the_depth_of_the_page(write_tree, build_site):
    note = '"""\n# T\n\nA note.\n"""\nx = 1\n'
    tree = write_tree({"__init__.py": note, "top.py": note, "a/__init__.py": note,
                       "a/b/__init__.py": note, "a/b/c.py": note})
    _, out = build_site(tree, footer_links=[
        {"name": "Home", "url": "index.html"},
        {"name": "Guide", "url": "guide/intro.html#start"},
        {"name": "Elsewhere", "url": "https://example.org/x"},
        {"name": "Root", "url": "/about/"},
        {"name": "Mail", "url": "mailto:me@example.org"},
        {"name": "Here", "url": "#top"},
    ], social=[{"name": "Team", "url": "team.html"}, {"name": "GitHub", "url": "https://github.com/x"}],
        favicon="assets/icon.png")
    expected = {"top.html": "", "a/b/c.html": "../../", "a/b/index.html": "../../"}
    for page, root in expected.items():
        text = (out / page).read_text(encoding="utf-8")
        for href in (f"{root}index.html", f"{root}guide/intro.html#start", "https://example.org/x",
                     "/about/", "mailto:me@example.org", "#top", f"{root}team.html",
                     "https://github.com/x"):
            assert f'href="{href}"' in text, (page, href)
        assert f'<link rel="icon" href="{root}assets/icon.png">' in text


def test_from_root_keeps_what_names_its_own_place():
    from labml_docs.urls import from_root

    assert from_root("index.html", "../../") == "../../index.html"
    for kept in ("https://x.org/", "//cdn.example/x", "/x/", "#y", "data:,", "mailto:a@b", ""):
        assert from_root(kept, "../../") == kept


# ## The guide pages load nothing from elsewhere

class _Loads(html.parser.HTMLParser):
    """The scripts and stylesheets a page loads."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag == "script" and values.get("src"):
            self.urls.append(values["src"])
        elif tag == "link" and "stylesheet" in (values.get("rel") or "").split() and values.get("href"):
            self.urls.append(values["href"])


def _remote(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") or url.startswith("//")


def test_the_mkdocs_site_loads_no_script_or_stylesheet_from_another_host(tmp_path):
    site = tmp_path / "site"
    done = run([sys.executable, "-m", "mkdocs", "build", "-f", "mkdocs.yml", "-d", str(site)], cwd=REPO)
    assert done.returncode == 0, done.stderr
    pages = sorted(site.rglob("*.html"))
    assert len(pages) > 5
    remote = {}
    for page in pages:
        parser = _Loads()
        parser.feed(page.read_text(encoding="utf-8"))
        found = [u for u in parser.urls if _remote(u)]
        if found:
            remote[str(page.relative_to(site))] = found
    assert remote == {}


# ## examples/material

def test_material_example_instructions_install_the_plugin_and_build(tmp_path):
    """The README of the example installs labml-docs (the plugin) and mkdocs-material into the
    virtualenv whose `mkdocs` it then runs, and that build works."""
    readme = REPO / "examples" / "material" / "README.md"
    commands = shown_commands(readme)
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    installs_package = any(re.search(r"pip install .*-e \"?\.(\[mkdocs\])?\"?", c) for c in commands) or (
        "make setup" in commands and re.search(r"pip install .*-e \"?\.\[mkdocs\]", makefile))
    assert installs_package, commands
    assert any(c.startswith(".venv/bin/pip install") and "mkdocs-material" in c for c in commands)
    builds = [c for c in commands if c.startswith(".venv/bin/mkdocs build")]
    assert len(builds) == 1
    if importlib.util.find_spec("material") is None:
        pytest.skip("mkdocs-material is not installed")
    args = as_run_here(builds[0])
    args[args.index("-d") + 1] = str(tmp_path / "site")
    done = run(args, cwd=REPO)
    assert done.returncode == 0, done.stderr
    page = (tmp_path / "site" / "optimizers" / "amsgrad.html").read_text(encoding="utf-8")
    # A page of Material (its header) holding our notes and code.
    assert 'class="md-header' in page and 'class="labml-docs' in page
