"""What keeps the page cache small: its garbage collection (safe beside a running build). (The
lazy cross-reference index, which makes a one-file rebuild fast, is tested in `test_xref.py`.)"""

import os
import sys
import time
from pathlib import Path

import pytest

from labml_docs.build import Builder
from labml_docs.config import SiteConfig
from labml_docs.manifest import PageCache

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_build_incremental import make_tree, module, snapshot  # noqa: E402


# ## Garbage collection of the page cache

@pytest.fixture
def tree(tmp_path):
    return make_tree(tmp_path / "src", 4)


def _builder(src, cache):
    return Builder(SiteConfig.from_dict({"source_dir": src, "cache_dir": str(cache),
                                         "math_engine": "auto"}))


def _cache_files(cache: Path) -> set[str]:
    pages = cache / "pages"
    return {p.name for p in pages.glob("??/*") if p.is_file()}


def _age(cache: Path, seconds: float) -> None:
    """Make every file of the page cache `seconds` older."""
    for path in (cache / "pages").glob("??/*"):
        st = path.stat()
        os.utime(path, (st.st_atime - seconds, st.st_mtime - seconds))


def test_collection_removes_what_no_build_uses_once_old(tree, tmp_path):
    cache = tmp_path / "cache"
    with _builder(tree, cache) as builder:
        builder.build(tmp_path / "site")
    (tree / "sub" / "module_1.py").write_text(module(1, extra=" Edited."))
    with _builder(tree, cache) as builder:
        site = builder.build(tmp_path / "site")
    assert site.stats["rendered"] == 1
    before = _cache_files(cache)
    page_cache = PageCache(cache / "pages")
    # Everything is recent: nothing goes, whoever uses it.
    assert not any(page_cache.collect_garbage().values())
    _age(cache, 2 * 3600)
    (cache / "pages" / "ab").mkdir(exist_ok=True)
    (cache / "pages" / "ab" / ".x.json.123.tmp").write_text("left by a killed build")
    stale = cache / "pages" / "ab" / ".x.json.123.tmp"
    os.utime(stale, (time.time() - 7200, time.time() - 7200))
    removed = page_cache.collect_garbage()
    # The old version of module_1's page: its entry and its HTML.
    assert removed["entries"] == 1 and removed["html"] == 1 and removed["temporary"] == 1
    after = _cache_files(cache)
    assert len(before - after) == 2 and not stale.exists()
    # What the last build used is all there: nothing to render, the same site.
    published = snapshot(tmp_path / "site")
    with _builder(tree, cache) as builder:
        again = builder.build(tmp_path / "site")
    assert again.stats["rendered"] == 0
    assert snapshot(tmp_path / "site") == published


def test_collection_keeps_what_a_running_build_just_wrote(tree, tmp_path):
    cache = tmp_path / "cache"
    with _builder(tree, cache) as builder:
        builder.build(tmp_path / "site")
    _age(cache, 2 * 3600)
    # Another build, of another version of a page, writes its entry while this one collects:
    # no record names it yet, but it is new.
    other = tmp_path / "other"
    other.mkdir()
    (other / "module_0.py").write_text(module(0, extra=" Other."))
    with _builder(other, tmp_path / "other-cache") as builder:
        builder.render()
    written = sorted((tmp_path / "other-cache" / "pages").glob("??/*.*"))
    for path in written:
        target = cache / "pages" / path.parent.name / path.name
        target.parent.mkdir(exist_ok=True)
        target.write_bytes(path.read_bytes())
    removed = PageCache(cache / "pages").collect_garbage()
    assert not any(removed.values())
    assert all((cache / "pages" / p.parent.name / p.name).exists() for p in written)


def test_each_tree_keeps_its_last_build(tmp_path):
    cache = tmp_path / "cache"
    one, two = make_tree(tmp_path / "one", 2), make_tree(tmp_path / "two", 3)
    (two / "module_2.py").write_text(module(2, title="Only in two"))
    # (Their home pages differ: one key with two listings would make each render it again.)
    (two / "__init__.py").write_text('"""\n---\ntitle: Two\n---\n\n# Tree two\n"""\n')
    for src in (one, two):
        with _builder(src, cache) as builder:
            builder.build(tmp_path / f"site-{src.name}")
    _age(cache, 2 * 3600)
    assert not any(PageCache(cache / "pages").collect_garbage().values())
    for src in (one, two):
        with _builder(src, cache) as builder:
            assert builder.build(tmp_path / f"site-{src.name}").stats["rendered"] == 0


def test_a_build_collects_at_most_once_an_interval(tree, tmp_path):
    cache = tmp_path / "cache"
    with _builder(tree, cache) as builder:
        builder.build(tmp_path / "site")
    stamp = cache / "pages" / "builds" / "collected"
    assert stamp.is_file()  # the first build collected (nothing)
    (tree / "sub" / "module_1.py").write_text(module(1, extra=" Edited."))
    with _builder(tree, cache) as builder:
        builder.build(tmp_path / "site")
    _age(cache, 2 * 3600)
    count = len(_cache_files(cache))
    page_cache = PageCache(cache / "pages")
    assert page_cache.collect_if_due() is None  # collected less than an hour ago
    assert len(_cache_files(cache)) == count
    old = time.time() - 2 * 3600
    os.utime(stamp, (old, old))
    removed = page_cache.collect_if_due()
    assert removed["entries"] == 1 and removed["html"] == 1
    assert len(_cache_files(cache)) == count - 2
    assert time.time() - stamp.stat().st_mtime < 60


def test_old_entries_without_a_record_go_and_are_rendered_again(tree, tmp_path):
    cache = tmp_path / "cache"
    with _builder(tree, cache) as builder:
        builder.build(tmp_path / "site")
    published = snapshot(tmp_path / "site")
    for record in (cache / "pages" / "builds").glob("*.json"):
        record.unlink()
    _age(cache, 2 * 3600)
    removed = PageCache(cache / "pages").collect_garbage()
    assert removed["entries"] == len(published) - len(list((tmp_path / "site").rglob("assets/**/*.*"))) - 1
    assert not _cache_files(cache)
    with _builder(tree, cache) as builder:
        site = builder.build(tmp_path / "site")
    assert site.stats["cached"] == 0
    assert snapshot(tmp_path / "site") == published
