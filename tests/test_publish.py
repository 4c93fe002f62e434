"""Publishing: in place for small changes, staged and swapped otherwise, and what an
interrupted publish leaves; the build record that spares a rebuild a file per page."""

import json
import os
import shutil
import sys
from pathlib import Path

import pytest

import labml_docs.publish as publishing
from labml_docs.build import Builder
from labml_docs.config import SiteConfig
from labml_docs.manifest import PageCache

sys.path.insert(0, str(Path(__file__).parent))
from test_build_incremental import make_tree, module, snapshot  # noqa: E402


@pytest.fixture
def build(math_renderer, tmp_path):
    def run(src: Path, out: Path | None = None, cache: Path | None = None):
        config = SiteConfig.from_dict({"source_dir": src,
                                       "cache_dir": str(cache or tmp_path / "cache")})
        return Builder(config, math=math_renderer).build(out or tmp_path / "site")
    return run


def inodes(folder: Path) -> dict[str, int]:
    return {p.relative_to(folder).as_posix(): p.stat().st_ino
            for p in folder.rglob("*") if p.is_file()}


def moves_stop_after_one(monkeypatch, out: Path, error) -> list:
    """Renames into `out` work once, then raise `error`; returns the targets renamed."""
    real_replace, moves = os.replace, []

    def replace(source, target):
        if str(target).startswith(str(out) + os.sep):
            if moves:
                raise error
            moves.append(target)
        return real_replace(source, target)

    monkeypatch.setattr(publishing.os, "replace", replace)
    return moves


def clean_build(build, src: Path, tmp_path: Path) -> dict[str, bytes]:
    build(src, tmp_path / "clean", tmp_path / "clean-cache")
    return snapshot(tmp_path / "clean")


def test_an_edit_rewrites_only_its_page(build, tmp_path):
    src = make_tree(tmp_path / "src", 6)
    out = tmp_path / "site"
    build(src)
    before = inodes(out)
    (src / "module_2.py").write_text(module(2, extra=" Edited."))
    build(src)
    after = inodes(out)
    assert after.keys() == before.keys()
    assert [name for name in after if after[name] != before[name]] == ["module_2.html"]
    assert b"Edited." in (out / "module_2.html").read_bytes()
    assert snapshot(out) == clean_build(build, src, tmp_path)
    # No staging folder, journal or old site is left beside it.
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".site")) == []


def test_a_new_title_rewrites_the_page_the_home_page_and_nothing_else(build, tmp_path):
    src = make_tree(tmp_path / "src", 6)
    out = tmp_path / "site"
    build(src)
    before = inodes(out)
    (src / "sub" / "module_3.py").write_text(module(3, title="A new title"))
    build(src)
    after = inodes(out)
    assert sorted(n for n in after if after[n] != before[n]) == ["index.html",
                                                                "sub/module_3.html"]
    assert snapshot(out) == clean_build(build, src, tmp_path)


def test_removed_pages_and_their_emptied_folders_go(build, tmp_path):
    src = make_tree(tmp_path / "src", 6)
    (src / "deep" / "er").mkdir(parents=True)
    (src / "deep" / "er" / "only.py").write_text(module(99))
    out = tmp_path / "site"
    build(src)
    assert (out / "deep" / "er" / "only.html").is_file()
    (src / "deep" / "er" / "only.py").unlink()
    (src / "module_4.py").unlink()
    build(src)
    assert not (out / "deep").exists() and not (out / "module_4.html").exists()
    assert snapshot(out) == clean_build(build, src, tmp_path)
    assert sorted(p.relative_to(out) for p in out.rglob("*") if p.is_dir()) == \
        sorted(p.relative_to(tmp_path / "clean") for p in (tmp_path / "clean").rglob("*")
               if p.is_dir())


def test_a_touched_or_foreign_file_makes_the_site_whole_again(build, tmp_path):
    src = make_tree(tmp_path / "src", 4)
    out = tmp_path / "site"
    build(src)
    expected = snapshot(out)
    (out / "module_0.html").write_text("edited by hand")
    (out / "notes.txt").write_text("left by someone")
    build(src)
    assert snapshot(out) == expected


def test_many_changes_are_staged_and_swapped(build, tmp_path, monkeypatch):
    src = make_tree(tmp_path / "src", 6)
    out = tmp_path / "site"
    build(src)
    monkeypatch.setattr(publishing, "IN_PLACE_LIMIT", 2)
    for n in range(6):
        folder = src / "sub" if n % 2 else src
        (folder / f"module_{n}.py").write_text(module(n, extra=" All changed."))
    swapped = []
    real_swap = publishing._swap
    monkeypatch.setattr(publishing, "_swap", lambda *a: (swapped.append(a), real_swap(*a)))
    build(src)
    assert len(swapped) == 1
    assert snapshot(out) == clean_build(build, src, tmp_path)


def test_a_publish_cut_short_during_its_moves_is_finished_by_the_next(build, tmp_path,
                                                                        monkeypatch):
    src = make_tree(tmp_path / "src", 6)
    out = tmp_path / "site"
    build(src)
    old = snapshot(out)
    (src / "module_2.py").write_text(module(2, title="Renamed"))  # the page and the home page
    (src / "module_4.py").unlink()
    # As a kill would stop it, between two renames.
    moves = moves_stop_after_one(monkeypatch, out, KeyboardInterrupt)
    with pytest.raises(KeyboardInterrupt):
        build(src)
    monkeypatch.undo()
    # Every file is whole: each is the old one or the new one.
    torn = snapshot(out)
    assert len(moves) == 1 and torn != old
    assert (tmp_path / ".site.journal").is_file()
    # The next build, changing nothing more, carries out the journal and is right.
    build(src)
    assert snapshot(out) == clean_build(build, src, tmp_path)
    assert not (tmp_path / ".site.journal").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".site.new")] == []


def test_a_publish_cut_short_before_its_journal_leaves_the_old_site(build, tmp_path,
                                                                     monkeypatch):
    src = make_tree(tmp_path / "src", 6)
    out = tmp_path / "site"
    build(src)
    old = snapshot(out)
    (src / "module_2.py").write_text(module(2, extra=" Edited."))

    def dies(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(publishing, "write_atomic", dies)
    with pytest.raises(KeyboardInterrupt):
        build(src)
    assert snapshot(out) == old
    monkeypatch.undo()
    build(src)
    assert snapshot(out) == clean_build(build, src, tmp_path)


def test_a_damaged_journal_or_record_costs_only_a_whole_publish(build, tmp_path):
    src = make_tree(tmp_path / "src", 4)
    out = tmp_path / "site"
    build(src)
    (tmp_path / ".site.journal").write_text("{not json")
    for record in (tmp_path / "cache" / "published").glob("*.json"):
        record.write_text('{"index.html": 3}')
    (src / "module_0.py").write_text(module(0, extra=" Edited."))
    build(src)
    assert snapshot(out) == clean_build(build, src, tmp_path)
    assert not (tmp_path / ".site.journal").exists()


# ## The build record


def _record(cache: Path) -> Path:
    records = list((cache / "pages" / "builds").glob("*.json"))
    assert len(records) == 1
    return records[0]


def test_the_next_build_reads_one_record_not_a_file_per_page(build, tmp_path, monkeypatch):
    src = make_tree(tmp_path / "src", 6)
    build(src)
    record = _record(tmp_path / "cache")
    first, _, body = record.read_bytes().partition(b"\n")
    assert first.startswith(b"labml-docs-record-1 ")
    assert len(json.loads(body)) == len(list(src.rglob("*.py")))
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
        record.write_bytes(data.replace(b"labml-docs-record-1", b"labml-docs-record-0", 1))
    else:
        record.unlink()
    site = build(src)
    assert site.stats["rendered"] == 0  # every entry found in its own file
    assert snapshot(tmp_path / "site") == expected
    if damage != "remove":
        assert "record" in caplog.text
    # And the build wrote a good record again.
    assert _record(tmp_path / "cache").read_bytes().startswith(b"labml-docs-record-1 ")


def test_a_record_keeps_the_lines_of_unchanged_entries(build, tmp_path):
    src = make_tree(tmp_path / "src", 6)
    build(src)
    before = [line.rstrip(b",") for line in _record(tmp_path / "cache").read_bytes().split(b"\n")]
    (src / "module_2.py").write_text(module(2, extra=" Edited."))
    build(src)
    after = [line.rstrip(b",") for line in _record(tmp_path / "cache").read_bytes().split(b"\n")]
    before, after = before[1:], after[1:]  # (the first line holds the checksum)
    changed = set(after) - set(before)
    assert len(after) == len(before) and len(changed) == 1
    assert b'"path":"module_2.py"' in changed.pop()


def test_a_recorded_page_whose_html_is_gone_is_rendered_again(build, tmp_path):
    src = make_tree(tmp_path / "src", 4)
    site = build(src)
    expected = snapshot(tmp_path / "site")
    html_sha = site.files["module_0.html"][1]
    for path in (tmp_path / "cache" / "pages").glob(f"??/{html_sha}.html"):
        path.unlink()
    shutil.rmtree(tmp_path / "site")  # nothing to keep: every page comes from the cache
    build(src)
    assert snapshot(tmp_path / "site") == expected


def test_builds_killed_at_any_moment_of_a_small_change_leave_whole_files(tmp_path):
    """SIGKILL a real build of a two-page change at moments spread over its run (some land in
    its publish): every published file is its old or its new version, and the next build is
    right."""
    import signal
    import time

    from test_build_incremental import cli, cli_ok

    src = make_tree(tmp_path / "src", 12)
    out, cache = tmp_path / "site", tmp_path / "cache"
    cli_ok(src, out, cache)
    versions = {name: {data} for name, data in snapshot(out).items()}
    (src / "module_2.py").write_text(module(2, extra=" First edit."))
    started = time.perf_counter()
    cli_ok(src, out, cache)  # how long such a build takes here
    took = time.perf_counter() - started
    versions = {name: {data} | versions.get(name, set()) for name, data in snapshot(out).items()}
    for attempt in range(12):
        (src / "module_2.py").write_text(module(2, title=f"Title {attempt}"))
        (src / "module_4.py").write_text(module(4, extra=f" Edit {attempt}."))
        cli_ok(src, tmp_path / "clean", tmp_path / f"clean-cache-{attempt}")
        for name, data in snapshot(tmp_path / "clean").items():
            versions.setdefault(name, set()).add(data)
        proc = cli(src, out, cache)
        time.sleep(took * (0.3 + 0.06 * attempt))  # from its start to past its end
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        for name, data in snapshot(out).items():
            assert data in versions[name], f"{name} is torn after {attempt}"
    cli_ok(src, out, cache)
    assert snapshot(out) == snapshot(tmp_path / "clean")
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".site.")] == []


def test_a_move_that_fails_makes_the_publish_whole_instead(build, tmp_path, monkeypatch, caplog):
    src = make_tree(tmp_path / "src", 6)
    out = tmp_path / "site"
    build(src)
    (src / "module_2.py").write_text(module(2, title="Renamed"))
    moves = moves_stop_after_one(monkeypatch, out, PermissionError(13, "Permission denied"))
    build(src)
    monkeypatch.undo()
    assert "in place" in caplog.text and len(moves) == 1
    assert snapshot(out) == clean_build(build, src, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".site")) == []
