"""The page cache: entries keep their format, atomic writes; the record of a tree's last build
(one file read instead of a file per page, and a damaged one costs only reading each entry);
garbage collection (keeps each tree's last build, safe beside a running build, at most once an
interval)."""

import json
import marshal
import os
import shutil
import stat
import time
from pathlib import Path

import pytest
from trees import make_tree, module, snapshot

from labml_docs.atomic import write_atomic
from labml_docs.build import Builder
from labml_docs.config import SiteConfig
from labml_docs.fingerprint import sha256
from labml_docs.page_cache import Dependencies, Entry, PageCache, html_fields

# ## Entries and atomic writes


def _entry(**deps) -> Entry:
    html_sha, html_len = html_fields("<p>page</p>")
    return Entry(key="k" * 64, url="a/b.html", path="a/b.py", title="B", summary="S.",
                 text="The text.", failed=False, html_sha=html_sha, html_len=html_len,
                 formulas=2, diagnostics=[["a/b.py", 3, "broken", "warning"]],
                 links=[["a/c.py", "c.html", 4]], deps=Dependencies(**deps))


def test_an_entry_keeps_the_json_of_its_dependencies(tmp_path):
    cache = PageCache(tmp_path / "pages")
    home = _entry(exists={"a/index.html": True}, files={"a/c.py": "f" * 64, "a/d.py": None},
                  listing="l" * 64)
    plain = _entry(exists={"a/index.html": False})
    for entry in (home, plain):
        cache.put(entry, "<p>page</p>")
        raw = Path(cache.meta_file(entry.key)).read_bytes().split(b"\n")
        header = json.loads(raw[1])
        # The JSON the cache files have always had: a plain object, `listing` only when set.
        expected = {"exists": entry.deps.exists, "files": entry.deps.files}
        if entry.deps.listing is not None:
            expected["listing"] = entry.deps.listing
        assert header["deps"] == expected
        found = cache.get(entry.key)
        assert found is not None and found.deps == entry.deps and found.text == "The text."
        assert found.header() == entry.header()


@pytest.mark.parametrize("deps", [[], {"exists": []}, {"files": "x"}, {"listing": 3},
                                  {"exists": {}, "other": 1}])
def test_an_entry_with_malformed_dependencies_is_a_miss(tmp_path, deps):
    cache = PageCache(tmp_path / "pages")
    entry = _entry()
    cache.put(entry, "<p>page</p>")
    path = Path(cache.meta_file(entry.key))
    header = json.loads(path.read_bytes().split(b"\n")[1])
    header["deps"] = deps
    body = json.dumps(header).encode() + b"\n" + json.dumps(entry.text).encode()
    path.write_bytes(sha256(body).encode() + b"\n" + body)
    assert cache.get(entry.key) is None and cache.corrupt == 1 and not path.exists()


def test_atomic_writes_follow_the_umask_and_leave_nothing_behind(tmp_path):
    target = tmp_path / "new" / "file.json"
    old = os.umask(0o022)
    try:
        write_atomic(target, b"one")
        write_atomic(str(target), b"two")
    finally:
        os.umask(old)
    assert target.read_bytes() == b"two"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert os.listdir(target.parent) == ["file.json"]
    (tmp_path / "dir").mkdir()
    with pytest.raises(OSError):
        write_atomic(tmp_path / "dir", b"a folder is not replaced by a file")
    assert sorted(os.listdir(tmp_path)) == ["dir", "new"]
    assert os.listdir(tmp_path / "dir") == []


# ## The record of a tree's last build


def _record(cache: Path) -> Path:
    records = list((cache / "pages" / "builds").glob("*.rec"))
    assert len(records) == 1
    return records[0]


def test_the_next_build_reads_one_record_not_a_file_per_page(build, tmp_path, monkeypatch):
    src = make_tree(tmp_path / "src", 6)
    build(src)
    record = _record(tmp_path / "cache")
    first, _, body = record.read_bytes().partition(b"\n")
    assert first.startswith(b"labml-docs-record-2 ")
    assert len(marshal.loads(body)) == len(list(src.rglob("*.py")))
    reads = []
    real_get = PageCache.get
    monkeypatch.setattr(PageCache, "get", lambda self, key: (reads.append(key),
                                                            real_get(self, key))[1])
    site = build(src)
    assert site.stats["rendered"] == 0 and reads == []
    # The text of a recorded page (for search indexes) is read from its own entry.
    page = site.pages["module_0.html"]
    assert "update" in page.text and len(reads) == 1


@pytest.mark.parametrize("damage", ["truncate", "flip", "other-format", "remove"])
def test_a_damaged_record_falls_back_to_each_entry(build, tmp_path, damage, caplog):
    src = make_tree(tmp_path / "src", 6)
    build(src)
    expected = snapshot(tmp_path / "site")
    record = _record(tmp_path / "cache")
    data = record.read_bytes()
    if damage == "truncate":
        record.write_bytes(data[: len(data) // 2])
    elif damage == "flip":
        at = len(data) - 40
        record.write_bytes(data[:at] + bytes([data[at] ^ 1]) + data[at + 1:])
    elif damage == "other-format":
        record.write_bytes(data.replace(b"labml-docs-record-2", b"labml-docs-record-0", 1))
    else:
        record.unlink()
    site = build(src)
    assert site.stats["rendered"] == 0  # every entry found in its own file
    assert snapshot(tmp_path / "site") == expected
    if damage != "remove":
        assert "record" in caplog.text
    # And the build wrote a good record again.
    assert _record(tmp_path / "cache").read_bytes().startswith(b"labml-docs-record-2 ")


def _rows(cache: Path) -> list[tuple]:
    return marshal.loads(_record(cache).read_bytes().partition(b"\n")[2])


def test_a_record_keeps_the_rows_of_unchanged_entries_and_is_not_rewritten_by_a_no_op(
        build, tmp_path):
    src = make_tree(tmp_path / "src", 6)
    build(src)
    before = _rows(tmp_path / "cache")
    (src / "module_2.py").write_text(module(2, extra=" Edited."))
    build(src)
    after = _rows(tmp_path / "cache")
    changed = [row for row in after if row not in before]
    assert len(after) == len(before) and len(changed) == 1
    assert changed[0][2] == "module_2.py"
    # A build that changes nothing only touches the record (garbage collection keeps records by
    # their age): its bytes are those of the last build.
    record = _record(tmp_path / "cache")
    data, old = record.read_bytes(), time.time() - 1000
    os.utime(record, (old, old))
    assert build(src).stats["rendered"] == 0
    assert record.read_bytes() == data and record.stat().st_mtime > old + 500


def test_a_recorded_page_whose_html_is_gone_is_rendered_again(build, tmp_path):
    src = make_tree(tmp_path / "src", 4)
    site = build(src)
    expected = snapshot(tmp_path / "site")
    html_sha = site.html_shas["module_0.html"]
    for path in (tmp_path / "cache" / "pages").glob(f"??/{html_sha}.html"):
        path.unlink()
    shutil.rmtree(tmp_path / "site")  # nothing to keep: every page comes from the cache
    build(src)
    assert snapshot(tmp_path / "site") == expected


# ## Garbage collection


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
    for record in (cache / "pages" / "builds").glob("*.rec"):
        record.unlink()
    _age(cache, 2 * 3600)
    removed = PageCache(cache / "pages").collect_garbage()
    pages = [p for p in published if not p.startswith("pagefind/")]  # the search index is no page
    assert removed["entries"] == len(pages) - len(list((tmp_path / "site").rglob("assets/**/*.*"))) - 1
    assert not _cache_files(cache)
    with _builder(tree, cache) as builder:
        site = builder.build(tmp_path / "site")
    assert site.stats["cached"] == 0
    assert snapshot(tmp_path / "site") == published
