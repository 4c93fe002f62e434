"""Publishing: only changed files are written, only files this tool wrote are deleted, and an
interrupted publish is finished by the next."""

import os
import shutil
from pathlib import Path

import pytest
from trees import cli, cli_ok, make_tree, module, snapshot

import labml_docs.publish as publishing


def inodes(folder: Path) -> dict[str, int]:
    """The inode of each file of the site (this tool's own bookkeeping left out)."""
    return {p.relative_to(folder).as_posix(): p.stat().st_ino
            for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".labml-docs")}


def moves_stop_after_one(monkeypatch, out: Path, error) -> list:
    """Renames into `out` work once, then raise `error`; returns the targets renamed."""
    real_replace, moves = os.replace, []

    def replace(source, target):
        if str(target).startswith(str(out) + os.sep) and ".labml-docs" not in str(target):
            if moves:
                raise error
            moves.append(target)
        return real_replace(source, target)

    monkeypatch.setattr(publishing.os, "replace", replace)
    return moves


def clean_build(build, src: Path, tmp_path: Path) -> dict[str, bytes]:
    build(src, tmp_path / "clean", tmp_path / "clean-cache")
    return snapshot(tmp_path / "clean")


def leftovers(out: Path) -> list[str]:
    """Journals and staging folders left in the site or beside it."""
    return sorted(p.name for folder in (out, out.parent) for p in folder.iterdir()
                  if p.name.startswith((publishing.STAGING, publishing.JOURNAL, ".site")))


def pages_only(files: dict) -> dict:
    """The files of a site but its search index (see tests/test_search.py)."""
    return {name: v for name, v in files.items() if not name.startswith("pagefind/")}


def test_an_edit_rewrites_only_its_page(build, tmp_path):
    src = make_tree(tmp_path / "src", 6)
    out = tmp_path / "site"
    build(src)
    before = inodes(out)
    (src / "module_2.py").write_text(module(2, extra=" Edited."))
    build(src)
    after = inodes(out)
    # The page, and files of the search index (its shard is indexed again: the notes changed;
    # Pagefind names its files by their content).
    before, after = pages_only(before), pages_only(after)
    assert after.keys() == before.keys()
    assert [name for name in after if after[name] != before[name]] == ["module_2.html"]
    assert b"Edited." in (out / "module_2.html").read_bytes()
    assert snapshot(out) == clean_build(build, src, tmp_path)
    assert leftovers(out) == []


def test_a_new_title_rewrites_the_page_the_home_page_and_nothing_else(build, tmp_path):
    src = make_tree(tmp_path / "src", 6)
    out = tmp_path / "site"
    build(src)
    before = inodes(out)
    (src / "sub" / "module_3.py").write_text(module(3, title="A new title"))
    build(src)
    after = pages_only(inodes(out))
    before = pages_only(before)
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


def test_a_touched_page_is_written_again_and_foreign_files_are_kept(build, tmp_path):
    src = make_tree(tmp_path / "src", 4)
    out = tmp_path / "site"
    build(src)
    (out / "module_0.html").write_text("edited by hand")
    foreign = {"notes.txt": b"left by someone", ".git/HEAD": b"ref: refs/heads/main\n",
               "CNAME": b"example.org\n", ".nojekyll": b"", "sub/mine.html": b"<p>mine</p>"}
    for name, data in foreign.items():
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_bytes(data)
    # A page removed from the tree goes; the foreign file beside it in its folder stays.
    (src / "sub" / "module_1.py").unlink()
    build(src)
    assert snapshot(out) == {**clean_build(build, src, tmp_path), **foreign}


def test_many_changes_are_published_at_once(build, tmp_path):
    src = make_tree(tmp_path / "src", 6)
    out = tmp_path / "site"
    build(src)
    for n in range(6):
        folder = src / "sub" if n % 2 else src
        (folder / f"module_{n}.py").write_text(module(n, extra=" All changed."))
    build(src)
    assert snapshot(out) == clean_build(build, src, tmp_path)
    assert leftovers(out) == []


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
    assert (out / publishing.JOURNAL).is_file()
    # The next build, changing nothing more, carries out the journal and is right.
    build(src)
    assert snapshot(out) == clean_build(build, src, tmp_path)
    assert leftovers(out) == []


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


def test_a_damaged_journal_or_lost_stats_cost_only_rewriting(build, tmp_path):
    src = make_tree(tmp_path / "src", 4)
    out = tmp_path / "site"
    build(src)
    (out / publishing.JOURNAL).write_text("{not json")
    for state in (tmp_path / "cache" / "published").glob("*.json"):
        state.write_text('{"index.html": 3}')
    (src / "module_0.py").write_text(module(0, extra=" Edited."))
    build(src)
    assert snapshot(out) == clean_build(build, src, tmp_path)
    assert leftovers(out) == []
    # Without any cache, the folder's own record still says which files are ours.
    shutil.rmtree(tmp_path / "cache")
    (src / "module_2.py").unlink()
    build(src)
    assert snapshot(out) == clean_build(build, src, tmp_path)


def test_a_move_that_fails_leaves_a_true_record_and_the_next_publish_finishes(
        build, tmp_path, monkeypatch):
    src = make_tree(tmp_path / "src", 6)
    out = tmp_path / "site"
    build(src)
    (src / "module_2.py").write_text(module(2, title="Renamed"))
    moves = moves_stop_after_one(monkeypatch, out, PermissionError(13, "Permission denied"))
    with pytest.raises(publishing.PublishError, match="Permission denied"):
        build(src)
    monkeypatch.undo()
    assert len(moves) == 1
    build(src)
    assert snapshot(out) == clean_build(build, src, tmp_path)
    assert leftovers(out) == []


@pytest.mark.slow
def test_builds_killed_at_any_moment_of_a_small_change_leave_whole_files(tmp_path):
    """SIGKILL a real build of a two-page change at moments spread over its run (some land in
    its publish): every published file is its old or its new version, and the next build is
    right."""
    import signal
    import time


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
    assert leftovers(out) == []


# ## Whose files: the tree, the folder's own, a person's


def test_the_source_tree_is_never_the_output(labml_docs, tmp_path):
    proj = tmp_path / "proj"
    src = make_tree(proj / "src", 2)
    (proj / ".git").mkdir()
    (proj / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (proj / "NOTES.txt").write_text("my notes")
    before = snapshot(proj)
    cache = tmp_path / "cache"
    # The tree itself, a folder holding it, a folder inside it that the scan reads.
    for out in (src, proj, src / "pages", src / "sub"):
        for more in ([], ["--overwrite"]):
            done = labml_docs("build", src, "--out", out, "--cache-dir", cache, *more)
            assert done.returncode == 2, done.stderr
            assert "source folder" in done.stderr and "Traceback" not in done.stderr
            assert snapshot(proj) == before and not (src / "pages").exists()
    # A folder inside the tree that the scan skips is fine.
    done = labml_docs("build", src, "--out", src / "site", "--cache-dir", cache)
    assert done.returncode == 0, done.stderr
    assert (src / "site" / "index.html").is_file()


def test_a_folder_labml_docs_never_published_into_is_refused_unless_asked(labml_docs,
                                                                          tmp_path):
    src = make_tree(tmp_path / "src", 2)
    out, cache = tmp_path / "out", tmp_path / "cache"
    out.mkdir()
    theirs = {"index.html": b"their home page", "CNAME": b"example.org\n",
              ".git/HEAD": b"ref: refs/heads/gh-pages\n"}
    for name, data in theirs.items():
        (out / name).parent.mkdir(exist_ok=True)
        (out / name).write_bytes(data)
    done = labml_docs("build", src, "--out", out, "--cache-dir", cache)
    assert done.returncode == 2 and "never published" in done.stderr
    assert "--overwrite" in done.stderr and "Traceback" not in done.stderr
    assert snapshot(out) == theirs
    # Asked to: the site's files replace theirs, the others stay.
    done = labml_docs("build", src, "--out", out, "--cache-dir", cache, "--overwrite")
    assert done.returncode == 0, done.stderr
    site = snapshot(out)
    assert site["CNAME"] == theirs["CNAME"] and site[".git/HEAD"] == theirs[".git/HEAD"]
    assert b"A tree" in site["index.html"]
    # From now on the folder is known: a person's file in the way of a new page is kept and
    # said; removing the page's source deletes nothing of theirs either.
    (out / "module_9.html").write_text("their page")
    (src / "module_9.py").write_text(module(9))
    done = labml_docs("build", src, "--out", out, "--cache-dir", cache)
    assert done.returncode == 0, done.stderr
    assert "module_9.html:1: warning: not written" in done.stderr
    assert (out / "module_9.html").read_text() == "their page"
    (src / "module_9.py").unlink()
    done = labml_docs("build", src, "--out", out, "--cache-dir", cache)
    assert done.returncode == 0 and (out / "module_9.html").read_text() == "their page"
    assert (out / "CNAME").read_bytes() == theirs["CNAME"]


def test_a_folder_holding_only_dot_files_is_published_into(build, tmp_path):
    src = make_tree(tmp_path / "src", 2)
    out = tmp_path / "site"
    (out / ".git").mkdir(parents=True)
    (out / ".nojekyll").write_text("")
    build(src, out)
    assert (out / "index.html").is_file() and (out / ".git").is_dir()
    assert (out / ".nojekyll").is_file()


def test_published_files_follow_the_umask_and_share_nothing_with_the_cache(build, tmp_path):
    src = make_tree(tmp_path / "src", 4)
    out = tmp_path / "site"
    old = os.umask(0o022)
    try:
        build(src)
    finally:
        os.umask(old)
    mine = [p for p in [out, *out.rglob("*")] if not p.name.startswith(".labml-docs")]
    modes = {p.stat().st_mode & 0o777 for p in mine if p.is_file()}
    assert modes == {0o644}
    assert {p.stat().st_mode & 0o777 for p in mine if p.is_dir()} == {0o755}
    # Nothing done to the cache changes the live site: it holds copies, not links.
    before = snapshot(out)
    cached = [p for p in (tmp_path / "cache").rglob("*") if p.is_file()]
    assert any(p.suffix == ".html" for p in cached)
    for path in cached:
        with open(path, "r+b") as f:
            f.truncate(0)
    assert snapshot(out) == before


# ## A full disk, a read-only folder


@pytest.fixture
def small_disk(tmp_path):
    """A 4 MiB file system of its own (a tmpfs, which needs root)."""
    import subprocess

    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(disk)],
                             capture_output=True)
    if mounted.returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root)")
    yield disk
    subprocess.run(["umount", "-l", str(disk)], check=False)


def fill(disk: Path) -> Path:
    """Fill `disk` up to its last byte; returns the file that takes the space."""
    filler = disk / "filler"
    with open(filler, "wb", buffering=0) as f:
        for size in (65536, 1):
            try:
                while True:
                    f.write(b"\0" * size)
            except OSError:
                pass
    return filler


def test_a_full_disk_says_so_keeps_the_site_and_the_next_build_works(labml_docs, tmp_path,
                                                                      small_disk):
    src = make_tree(tmp_path / "src", 6)
    out, cache = small_disk / "site", small_disk / "cache"
    done = labml_docs("build", src, "--out", out, "--cache-dir", cache)
    assert done.returncode == 0, done.stderr
    before = snapshot(out)
    for n in range(6):
        folder = src / "sub" if n % 2 else src
        (folder / f"module_{n}.py").write_text(module(n, title=f"Full {n}", extra=" Full."))
    filler = fill(small_disk)
    done = labml_docs("build", src, "--out", out, "--cache-dir", cache)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "No space left on device" in done.stderr and "unchanged" in done.stderr
    assert snapshot(out) == before
    assert [p.name for p in out.iterdir() if p.name.startswith(publishing.STAGING)] == []
    filler.unlink()
    done = labml_docs("build", src, "--out", out, "--cache-dir", cache)
    assert done.returncode == 0, done.stderr
    assert snapshot(out) == clean_build(lambda s, o, c: labml_docs(
        "build", s, "--out", o, "--cache-dir", c), src, tmp_path)


def test_a_read_only_folder_says_so_and_the_next_build_works(labml_docs, tmp_path, small_disk):
    import subprocess

    src = make_tree(tmp_path / "src", 4)
    out, cache = small_disk / "site", tmp_path / "cache"
    assert labml_docs("build", src, "--out", out, "--cache-dir", cache).returncode == 0
    before = snapshot(out)
    (src / "module_2.py").write_text(module(2, extra=" Edited."))
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    try:
        done = labml_docs("build", src, "--out", out, "--cache-dir", cache)
        assert done.returncode == 1 and "Traceback" not in done.stderr
        assert "Read-only file system" in done.stderr
        assert snapshot(out) == before
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(small_disk)], check=True)
    done = labml_docs("build", src, "--out", out, "--cache-dir", cache)
    assert done.returncode == 0, done.stderr
    assert b"Edited." in (out / "module_2.html").read_bytes()
