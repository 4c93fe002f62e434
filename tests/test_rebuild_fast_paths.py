"""What makes a one-file rebuild fast, and keeps the page cache small: the lazy cross-reference
index (same answers as the whole-tree one, reading only what a page needs) and the page cache's
garbage collection (safe beside a running build)."""

import os
import random
import sys
import time
from pathlib import Path

import pytest

from labml_docs.build import Builder, scan
from labml_docs.config import SiteConfig
from labml_docs.manifest import PageCache, SourceHashes
from labml_docs.xref import FileSummaries, XrefIndex, _read_page, index_files

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_build_incremental import make_tree, module, snapshot  # noqa: E402
from test_xref import TREE, write_files  # noqa: E402

REPO = Path(__file__).resolve().parent.parent


# ## The lazy cross-reference index

def _trees(tmp_path):
    write_files(tmp_path / "pkg", TREE)
    # Two files of one module name, a syntax error, and a file that is not UTF-8.
    (tmp_path / "pkg" / "models" / "dup.py").write_text("class Twin:\n    pass\n")
    (tmp_path / "pkg" / "models" / "dup").mkdir()
    (tmp_path / "pkg" / "models" / "dup" / "__init__.py").write_text(
        "class Twin:\n    def other(self):\n        pass\n")
    (tmp_path / "pkg" / "broken.py").write_text("def (:\n")
    (tmp_path / "pkg" / "latin.py").write_bytes(b"x = '\xff'\n")
    (tmp_path / "pkg" / "user.py").write_text(
        "from .models.dup import Twin\nfrom .base import Base\n\n\nclass Child(Twin, Base):\n"
        "    def go(self):\n        return self.reset(1), Twin(), super().init_state(2)\n")
    return [tmp_path / "pkg", REPO / "src" / "labml_nn"]


@pytest.mark.parametrize("which", [0, 1])
def test_lazy_index_answers_as_the_whole_tree_index(tmp_path, which):
    source = _trees(tmp_path)[which]
    files = scan(source)
    eager = index_files(files, source_dir=source)
    pages = {f.path: _read_page(f) for f in files if f.kind == "python"}
    pages = {path: page for path, page in pages.items() if page is not None}
    # One lazy index asked about every page in a random order, and a new one for each page.
    lazy = index_files(files, source_dir=source, lazy=True)
    assert lazy.package == eager.package
    order = sorted(pages)
    random.Random(which).shuffle(order)
    for path in order:
        page = pages[path]
        alone = index_files(files, source_dir=source, lazy=True)
        for index in (lazy, alone):
            assert index.links_for(page) == eager.links_for(page), path
            assert index.dependencies(page) == eager.dependencies(page), path
    assert lazy.definitions() == eager.definitions()


def test_lazy_index_reads_only_what_the_page_needs(tmp_path):
    source = _trees(tmp_path)[0]
    files = scan(source)
    cache = tmp_path / "cache"
    hashes = SourceHashes(None).hash_files(files)
    index_files(files, source_dir=source, lazy=True, digests=hashes, cache_dir=cache)
    assert (cache / "xref" / "files.json").is_file()

    summaries = FileSummaries(cache)
    read = []
    original = XrefIndex.lazy

    def counting(paths, package, load):
        return original(paths, package, lambda path: read.append(path) or load(path))

    XrefIndex.lazy = counting
    try:
        index = index_files(files, source_dir=source, lazy=True, digests=hashes, cache_dir=cache)
    finally:
        XrefIndex.lazy = original
    assert summaries.old and index.package == "pkg"
    page = _read_page(next(f for f in files if f.path == "base.py"))
    index.links_for(page)
    # base.py imports nothing of the tree: no other file is read.
    assert read == []
    adam = _read_page(next(f for f in files if f.path == "models/adam.py"))
    assert index.links_for(adam)
    assert "models/adam.py" not in read  # the page given is the page indexed
    assert len(read) < len([f for f in files if f.kind == "python"]) - 1


def test_file_summaries_are_kept_by_content(tmp_path):
    source = _trees(tmp_path)[0]
    files = [f for f in scan(source) if f.kind == "python"]
    hashes = SourceHashes(None).hash_files(files)
    first = FileSummaries(tmp_path / "cache")
    answers = {f.path: first.get(f, hashes[f.path]) for f in files}
    first.save()
    assert answers["broken.py"] is None and answers["latin.py"] is None
    assert first.misses == len(files)
    again = FileSummaries(tmp_path / "cache")
    assert {f.path: again.get(f, hashes[f.path]) for f in files} == answers
    assert again.misses == 0
    # A file changed after it was hashed: answered from its bytes, not remembered.
    target = next(f for f in files if f.path == "base.py")
    target.absolute.write_text("import os\n")
    fresh = FileSummaries(tmp_path / "cache")
    assert fresh.get(target, "0" * 64) == ["os"]
    assert "0" * 64 not in fresh.new


def test_the_whole_tree_index_leaves_the_summaries_for_the_lazy_one(tmp_path):
    source = _trees(tmp_path)[0]
    files = scan(source)
    hashes = SourceHashes(None).hash_files([f for f in files if f.kind != "asset"])
    index_files(files, source_dir=source, digests=hashes, cache_dir=tmp_path / "cache")
    summaries = FileSummaries(tmp_path / "cache")
    python = [f for f in files if f.kind == "python"]
    assert len(summaries.old) == len(python)
    expected = FileSummaries(None)
    for file in python:
        assert summaries.get(file, hashes[file.path]) == expected.get(file, hashes[file.path])
    assert summaries.misses == 0


def test_builder_uses_the_lazy_index_for_a_few_pages(tmp_path, monkeypatch):
    source = tmp_path / "src" / "pkg"
    write_files(source, TREE)
    config = SiteConfig.from_dict({"source_dir": source, "cache_dir": str(tmp_path / "cache"),
                                   "math_engine": "auto"})
    with Builder(config) as builder:
        builder.build(tmp_path / "site")
    first = snapshot(tmp_path / "site")
    # A new process, with a whole-tree index: the same pages.
    with Builder(SiteConfig.from_dict({"source_dir": source, "math_engine": "auto"})) as builder:
        builder.xref_factory = lambda files: index_files(files, source_dir=source)
        builder.build(tmp_path / "eager")
    assert snapshot(tmp_path / "eager") == first


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
