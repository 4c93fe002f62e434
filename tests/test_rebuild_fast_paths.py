"""What makes a one-file rebuild fast: the lazy cross-reference index (same answers as the
whole-tree one, reading only what a page needs). (The page cache's garbage collection is tested
in `test_page_cache.py`.)"""

import random
from pathlib import Path

import pytest
from conftest import snapshot
from test_xref import TREE, write_files

from labml_docs.build import Builder
from labml_docs.scan import scan
from labml_docs.config import SiteConfig
from labml_docs.fingerprint import SourceHashes
from labml_docs.xref import FileSummaries, XrefIndex, _read_page, index_files

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
        builder.xref_factory = lambda files, lazy: index_files(files, source_dir=source)
        builder.build(tmp_path / "eager")
    assert snapshot(tmp_path / "eager") == first
