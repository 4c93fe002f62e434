"""Incremental builds: what re-renders when, and resilience (kills, concurrent builds, corruption)."""

import os
import signal
import time
from pathlib import Path

import pytest
from trees import cli, cli_ok, make_tree, module, snapshot

from labml_docs.build import Builder
from labml_docs.config import SiteConfig
from labml_docs.math import MathCache, MathRenderer

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def engine():
    from labml_docs.math import make_engine
    engine = make_engine("katex-node")
    yield engine
    engine.close()


@pytest.fixture
def build(engine, tmp_path):
    """`build(src, **settings) -> site`, a new Builder each time (as a new process would)."""
    def run(src: Path, out: Path | None = None, cache: Path | None = None, **settings):
        cache = cache or tmp_path / "cache"
        config = SiteConfig.from_dict({"source_dir": src, "cache_dir": str(cache), **settings})
        math = MathRenderer(engine, MathCache(cache / "math"))
        builder = Builder(config, math=math)
        site = builder.build(out or tmp_path / "site")
        math.cache.close()
        return site
    return run


def rendered(site) -> int:
    return site.stats["rendered"]


def test_unchanged_tree_renders_nothing_and_reports_the_same_messages(build, tmp_path):
    src = make_tree(tmp_path / "src", 6)
    (src / "bad.py").write_text('"""\nBroken $\\frac{$ and [a link](missing.py)\n"""\nx = 1\n')
    first = build(src)
    first_files = snapshot(tmp_path / "site")
    assert rendered(first) == first.stats["pages"] == 9
    second = build(src)
    assert rendered(second) == 0 and second.stats["cached"] == 9
    assert second.stats["math_misses"] == second.stats["math_hits"] == 0
    assert [str(d) for d in second.diagnostics] == [str(d) for d in first.diagnostics]
    assert any("broken link" in str(d) for d in second.diagnostics)
    assert any("KaTeX" in str(d) for d in second.diagnostics)
    assert snapshot(tmp_path / "site") == first_files
    assert {u: p.html for u, p in second.pages.items()} == {u: p.html for u, p in first.pages.items()}


def test_changing_a_source_renders_only_that_page(build, tmp_path):
    src = make_tree(tmp_path / "src", 6)
    build(src)
    (src / "module_2.py").write_text(module(2, extra=" Now with more notes."))
    site = build(src)
    assert rendered(site) == 1
    assert "Now with more notes." in site.pages["module_2.html"].html


def test_changing_a_title_renders_the_home_page_too(build, tmp_path):
    src = make_tree(tmp_path / "src", 6)
    build(src)
    (src / "module_2.py").write_text(module(2, title="A new title"))
    site = build(src)
    assert rendered(site) == 2
    assert "A new title" in site.pages["index.html"].html


def test_changing_a_template_or_a_setting_renders_everything(build, tmp_path):
    src = make_tree(tmp_path / "src", 4)
    templates = tmp_path / "templates"
    templates.mkdir()
    build(src, templates_dir=str(templates))
    assert rendered(build(src, templates_dir=str(templates))) == 0
    base = (REPO / "site_templates" / "base.html").read_text()
    (templates / "base.html").write_text(base + "<!-- changed -->\n")
    site = build(src, templates_dir=str(templates))
    assert rendered(site) == site.stats["pages"]
    assert "<!-- changed -->" in site.pages["module_0.html"].html
    site = build(src, templates_dir=str(templates), site_name="Another name")
    assert rendered(site) == site.stats["pages"]
    # Settings that change no page change nothing.
    assert rendered(build(src, templates_dir=str(templates), site_name="Another name", jobs=1)) == 0


def test_a_new_file_fixes_a_broken_link_without_rendering_the_linking_page(build, tmp_path):
    src = make_tree(tmp_path / "src", 2)
    (src / "module_0.py").write_text(module(0, link="later.py"))
    site = build(src)
    assert any("broken link: later.py" in str(d) for d in site.diagnostics)
    (src / "later.py").write_text('"""\n# Later\n"""\n')
    site = build(src)
    assert not any("broken link" in str(d) for d in site.diagnostics)
    assert rendered(site) == 2  # later.py, and the home page that lists it
    (src / "later.py").unlink()
    site = build(src)
    assert any("broken link: later.py" in str(d) for d in site.diagnostics)
    assert rendered(site) == 1  # the home page


def test_removing_a_package_page_updates_the_breadcrumbs_of_its_pages(build, tmp_path):
    src = make_tree(tmp_path / "src", 4)
    site = build(src)
    assert 'href="../sub/index.html"' in site.pages["sub/module_1.html"].html
    (src / "sub" / "__init__.py").unlink()
    site = build(src)
    assert 'href="../sub/index.html"' not in site.pages["sub/module_1.html"].html
    # sub/index.html is gone; its pages and the home page render again, the others do not.
    assert rendered(site) == 1 + 2


def test_one_or_two_workers_give_the_same_bytes(build, tmp_path):
    src = make_tree(tmp_path / "src", 40)
    one = build(src, tmp_path / "one", tmp_path / "cache-one", jobs=1)
    two = build(src, tmp_path / "two", tmp_path / "cache-two", jobs=2)
    assert one.stats["jobs"] == 1 and two.stats["jobs"] == 2
    assert rendered(one) == rendered(two) == one.stats["pages"]
    assert snapshot(tmp_path / "one") == snapshot(tmp_path / "two")
    assert [str(d) for d in one.diagnostics] == [str(d) for d in two.diagnostics]


def test_corrupt_cache_and_manifest_are_rebuilt(build, tmp_path):
    src = make_tree(tmp_path / "src", 6)
    build(src, tmp_path / "clean", tmp_path / "clean-cache")
    clean = snapshot(tmp_path / "clean")
    build(src)
    cache = tmp_path / "cache"
    files = [p for p in cache.rglob("*") if p.is_file() and "math" not in p.parts]
    assert any(p.suffix == ".html" for p in files) and (cache / "manifest.json").exists()
    for n, path in enumerate(files):
        data = path.read_bytes()
        if n % 3 == 0:
            path.write_bytes(data[: len(data) // 2])  # truncated
        elif n % 3 == 1:
            path.write_bytes(os.urandom(len(data)))  # garbage of the same length
        else:
            path.write_bytes(b"\x00\xff{not json")
    site = build(src)
    assert snapshot(tmp_path / "site") == clean
    assert {u: p.html for u, p in site.pages.items()} == \
        {u: (tmp_path / "clean" / u).read_text() for u in site.pages}
    assert rendered(build(src)) == 0


def test_corrupt_cached_html_found_late_is_rendered_again(build, tmp_path):
    src = make_tree(tmp_path / "src", 3)
    first = build(src)
    expected = first.pages["module_0.html"].html
    config = SiteConfig.from_dict({"source_dir": src, "cache_dir": str(tmp_path / "cache")})
    with Builder(config) as builder:
        site = builder.render()
        assert rendered(site) == 0
        for path in (tmp_path / "cache" / "pages").rglob("*.html"):
            data = path.read_bytes()
            path.write_bytes(data[:-5] + b"XXXXX")  # same length: only the checksum sees it
        assert site.pages["module_0.html"].html == expected


# ## Several processes


def _processes_naming(path) -> list[int]:
    """The processes whose command line names `path`."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if str(path).encode() in cmdline:
                found.append(int(entry.name))
    return found


@pytest.mark.slow
def test_a_killed_build_leaves_the_old_site_and_the_next_build_is_right(tmp_path):
    src = make_tree(tmp_path / "src", 80)
    out, cache = tmp_path / "site", tmp_path / "cache"
    cli_ok(src, out, cache)
    old = snapshot(out)
    for n in range(80):  # every page changes, with new formulas: a long build
        folder = src / "sub" if n % 2 else src
        (folder / f"module_{n}.py").write_text(module(n + 1000, extra=" Changed."))
    for delay in (0.3, 0.8, 1.5, 2.5):
        proc = cli(src, out, cache)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        # Each page is whole: its old version or its new one. (A kill between the renames of
        # a publish leaves some of each, until the next build finishes its journal.)
        for name, data in snapshot(out).items():
            if name.startswith("module_"):
                assert data == old[name] or b"Changed." in data, f"{name} torn after {delay} s"
    # Nothing of the killed builds lives on: worker processes end with their build.
    deadline = time.time() + 10
    while _processes_naming(src) and time.time() < deadline:
        time.sleep(0.2)
    assert _processes_naming(src) == []
    cli_ok(src, out, cache)
    cli_ok(src, tmp_path / "clean", tmp_path / "clean-cache")
    assert snapshot(out) == snapshot(tmp_path / "clean")
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(".site.")]
    assert leftovers == []


@pytest.mark.slow
def test_two_builds_at_once_into_the_same_site_and_cache(tmp_path):
    src = make_tree(tmp_path / "src", 60)
    out, cache = tmp_path / "site", tmp_path / "cache"
    procs = [cli(src, out, cache), cli(src, out, cache)]
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err.decode()
    cli_ok(src, tmp_path / "clean", tmp_path / "clean-cache")
    assert snapshot(out) == snapshot(tmp_path / "clean")
    # And again, now that both find the cache full.
    procs = [cli(src, out, cache), cli(src, out, cache)]
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err.decode()
    assert snapshot(out) == snapshot(tmp_path / "clean")


# ## Dependencies on definitions, not on files

LINKED = {
    "__init__.py": '"""\n# A package\n"""\n',
    "core.py": '''"""
# Core
"""


def helper(x):
    """Add one."""
    return x + 1


# ## Scaling
#
# Twice as much.

def scale(x):
    return 2 * x


class Thing:
    """A thing."""

    def run(self):
        # Help once.
        return helper(1)
''',
    "uses_helper.py": '"""\n# Uses helper\n"""\nfrom pkg.core import helper\n\n\n'
                      'def f():\n    return helper(2)\n',
    "uses_scale.py": '"""\n# Uses scale\n"""\nfrom pkg.core import scale\n\n\n'
                     'def g():\n    return scale(3)\n',
    "uses_thing.py": '"""\n# Uses the module\n"""\nfrom pkg import core\n\n\n'
                     'def h():\n    return core.Thing().run()\n',
    "alone.py": '"""\n# Alone\n"""\n\n\ndef k():\n    return 4\n',
}


def _linked_tree(root: Path) -> Path:
    src = root / "pkg"
    src.mkdir(parents=True)
    for name, text in LINKED.items():
        (src / name).write_text(text, encoding="utf-8")
    return src


def _links(src: Path) -> dict[str, dict]:
    """Every page's links, from an index of the tree as it is now."""
    from labml_docs.parse import parse_python
    from labml_docs.xref import XrefIndex

    pages = [parse_python(p.read_text("utf-8"), p.relative_to(src).as_posix())
             for p in sorted(src.glob("*.py"))]
    index = XrefIndex.build(pages, "pkg")
    return {page.path[:-3] + ".html": index.links_for(page) for page in pages}


def _edit_renders(build, tmp_path: Path, edit) -> tuple[list[str], set[str]]:
    """Build the tree, `edit(core.py)`, build again: the pages rendered again, and the other
    pages whose links changed; the site is byte for byte that of a cold build of the edited
    tree."""
    src = _linked_tree(tmp_path / "tree")
    build(src)
    before = _links(src)
    core = src / "core.py"
    core.write_text(edit(core.read_text("utf-8")), encoding="utf-8")
    site = build(src)
    after = _links(src)
    build(src, out=tmp_path / "cold", cache=tmp_path / "cold-cache")
    assert snapshot(tmp_path / "site") == snapshot(tmp_path / "cold")
    return site.rendered, {url for url in after if after[url] != before[url]} - {"core.html"}


def test_an_edit_that_changes_no_definition_renders_only_its_page(build, tmp_path):
    rendered_again, changed = _edit_renders(build, tmp_path, lambda text: text.replace(
        "# Help once.", "# Help once, and only once.\n        x = 1").replace(
        '"""Add one."""', '"""Add one: a longer note."""') + "\n# The end.\n")
    assert rendered_again == ["core.html"] and not changed


def test_renaming_a_function_renders_its_page_and_exactly_the_pages_that_link_to_it(
        build, tmp_path):
    rendered_again, changed = _edit_renders(
        build, tmp_path, lambda text: text.replace("def helper(x)", "def helper_renamed(x)"))
    assert changed == {"uses_helper.html"}
    assert rendered_again == ["core.html", "uses_helper.html"]


def test_a_definition_moved_to_another_section_renders_the_pages_whose_hrefs_change(
        build, tmp_path):
    def move(text: str) -> str:
        scale = "def scale(x):\n    return 2 * x\n"
        return text.replace(scale, "").replace("def helper(x)", scale + "\n\ndef helper(x)")

    rendered_again, changed = _edit_renders(build, tmp_path, move)
    # (The cold build it equals has the new hrefs.)
    assert "uses_scale.html" in changed and "alone.html" not in changed
    assert rendered_again == sorted(changed | {"core.html"})


def test_a_definition_added_renders_only_its_page(build, tmp_path):
    rendered_again, changed = _edit_renders(
        build, tmp_path, lambda text: text + "\n\ndef added(y):\n    return y\n")
    assert rendered_again == ["core.html"] and not changed


def test_a_rebuild_that_renders_nothing_imports_nothing_that_renders(tmp_path):
    """A no-op rebuild from the command line imports neither the page builder nor Pygments,
    Markdown, Jinja or YAML: importing them was a fifth of a no-op rebuild of PyTorch."""
    import subprocess
    import sys

    src = make_tree(tmp_path / "src", 6)
    (src / "broken.py").write_text("def f(:\n")  # a page that fails: it keeps no HTML
    args = [str(src), "--out", str(tmp_path / "site"), "--cache-dir", str(tmp_path / "cache"),
            "--no-search"]
    cli_ok(src, tmp_path / "site", tmp_path / "cache", "--no-search")
    script = ("import sys\nfrom labml_docs.cli import main\ntry:\n"
              f"    main(['build', *{args!r}], standalone_mode=False)\n"
              "finally:\n    print(' '.join(sorted(m for m in sys.modules)))\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=str(REPO)), timeout=300)
    assert "(0 rendered" in done.stderr, done.stderr
    imported = set(done.stdout.split())
    assert "labml_docs.build" in imported
    for name in ("jinja2", "markdown", "pygments", "yaml", "labml_docs.page",
                 "labml_docs.workers", "labml_docs.parse", "labml_docs.search"):
        assert name not in imported, name
    # The next edit renders as before.
    (src / "module_2.py").write_text(module(2, extra=" Edited."))
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=str(REPO)), timeout=300)
    assert "(1 rendered" in done.stderr, done.stderr


@pytest.mark.parametrize("damage", [None, "flip", "truncate"])
def test_a_comment_edit_reads_no_other_file_when_what_it_looks_up_is_kept(
        build, tmp_path, monkeypatch, damage):
    """What the edited page looks up in the files it imports was kept by the cold build
    (`xref.summaries.CollectedFiles`): none of them is read or parsed again. A damaged copy is
    only a miss: that file is parsed, and the site is the same."""
    import labml_docs.xref.indexes as indexes

    src = _linked_tree(tmp_path / "tree")
    build(src)
    kept = sorted((tmp_path / "cache" / "xref" / "collected").glob("*/*"))
    assert len(kept) == len(LINKED)
    for path in kept if damage else []:
        data = path.read_bytes()
        path.write_bytes(data[:-5] + bytes([data[-5] ^ 1]) + data[-4:] if damage == "flip"
                         else data[: len(data) // 2])
    read: list[str] = []
    real = indexes.read_page
    monkeypatch.setattr(indexes, "read_page", lambda file, *rest: read.append(file.path)
                        or real(file, *rest))
    uses = src / "uses_helper.py"
    uses.write_text(uses.read_text("utf-8") + "\n# A note.\n", encoding="utf-8")
    site = build(src)
    assert site.rendered == ["uses_helper.html"]
    assert read == ([] if damage is None else ["core.py"])
    build(src, out=tmp_path / "cold", cache=tmp_path / "cold-cache")
    assert snapshot(tmp_path / "site") == snapshot(tmp_path / "cold")


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_cold_build_keeps_the_summary_of_every_file_from_its_own_parse(build, tmp_path, jobs):
    """The next build's index finds every file's summary on disk: it parses none of them."""
    import json

    src = make_tree(tmp_path / "src", 40)
    build(src, jobs=jobs)
    kept = json.loads((tmp_path / "cache" / "xref" / "files.json").read_text("utf-8"))["files"]
    assert len(kept) == len(list(src.rglob("*.py")))
