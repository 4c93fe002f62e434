"""
---
title: Publishing
summary: Writing a rendered site into its folder so that no reader and no interrupted build ever sees a half-written one.
---

# Publishing

A build writes its site into a folder that a web server may be serving, that `mkdocs serve`
watches, and that an earlier build filled. Whatever happens (the build is killed, a file of
the new site cannot be read, another build publishes into the same folder at the same time)
the folder holds whole files, and what was published stays until its replacement is ready.

There are two ways to get there, chosen for each publish:

* **in place**, when the folder is exactly what this tool last published there and at most
  `IN_PLACE_LIMIT` files change: the new and changed files are written into a staging folder
  beside the site, a *journal* listing the moves is written, then each file is renamed into
  place and the files the site no longer has are deleted. A one-page edit touches three files
  (the page, the home page, the sitemap), not the thousand others;
* **stage and swap** otherwise: the whole new site is written beside the old one, unchanged
  files hard-linked from it, and the two folders are swapped with two renames.

An interrupted publish is finished or undone by the next one (`recover`, which runs first, with
the folder locked): a journal that was written is carried out to the end, like a database
commit; staging folders of builds that are dead are deleted; a site that a swap had moved aside
is put back. Publishes into the same folder hold a lock (`flock` of its parent) while they
change it, so two builds at once take turns.

## What was published

`CACHE_DIR/published/NAME.json` records, for each file of the folder, a token of what it is
(`page:` and the sha256 of the page's HTML, `asset:` with the source's path, size and mtime,
`text:` and the sha256 of a generated file) and the `(inode, size, mtime)` it was given. A file
whose token is unchanged and whose stat still matches is left alone (in place) or hard-linked
(stage and swap); a person who edits a published file changes its stat, and it is written
again. The record is written last: a record that does not match the folder only costs a stage
and swap.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .manifest import sha256, write_atomic

log = logging.getLogger("labml_docs")

#: More changed files than this and the site is staged whole and swapped in: the moment in
#: which the folder holds some new files and some old ones stays a few renames long.
IN_PLACE_LIMIT = 64


@dataclass
class Output:
    """One file of the site to publish: where it goes, what it is, and how to make it."""
    url: str
    # What the file is, for the record (`None`: unknown, always written).
    token: str | None
    # `page`, `text` or `asset`.
    kind: str
    # The page (`RenderedPage`), the text, or the asset's source path.
    value: object
    # For a page: `(page cache file of its HTML, its sha256, written by this build)`.
    cached: tuple | None = None

    def make(self, target: str, previous: str | None) -> bool:
        """Write the file at `target`; `False` when there is nothing to write (a page that
        failed and was never published). Raises `OSError` when a source is unreadable."""
        if self.kind == "text":
            with open(target, "w", encoding="utf-8") as f:
                f.write(self.value)
            return True
        if self.kind == "asset":
            shutil.copyfile(self.value, target)
            return True
        if self.cached is not None and _link_cached(self.cached, target):
            return True
        html = self.value.html
        if html is None:  # the page failed: it keeps its published version, if any
            if previous is not None and os.path.isfile(previous):
                shutil.copy2(previous, target)
                return True
            return False
        with open(target, "wb") as f:
            f.write(html.encode("utf-8", "surrogatepass"))
        return True


def _link_cached(cached: tuple, target: str) -> bool:
    """Hard-link a page's HTML from the page cache (checked, unless this build wrote it).

    Nothing ever writes into a file of the cache or the site in place, so sharing the file is
    safe; a person editing the published page in place changes its mtime, and the next build
    then finds the cache file's checksum wrong and renders the page again."""
    path, html_sha, trusted = cached
    try:
        if not trusted:
            with open(path, "rb") as f:
                if sha256(f.read()) != html_sha:
                    return False
        os.link(path, target)
    except OSError:
        return False
    return True


def outputs(site, katex_dir=None) -> list[Output]:
    """Every file of `site` (a `build.Site`), in a fixed order."""
    out = []
    for url, page in sorted(site.pages.items()):
        cached = site.files.get(url)
        out.append(Output(url, f"page:{cached[1]}" if cached else None, "page", page, cached))
    for url, text in sorted(site.extra.items()):
        out.append(Output(url, "text:" + sha256(text), "text", text))
    for url, source in sorted(site.assets.items()) + site_asset_files(katex_dir):
        try:
            st = os.stat(source)
            token = f"asset:{source}:{st.st_size}:{st.st_mtime_ns}"
        except OSError:
            token = None
        out.append(Output(url, token, "asset", source))
    return out


def publish(site, out_dir: Path, katex_dir=None) -> None:
    """Write `site` into `out_dir`: in place if few files change, else staged and swapped in.

    A page that failed to build keeps the version already published, if there is one."""
    out_dir = Path(out_dir).resolve()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    record_path = None
    if site.cache_dir is not None:
        record_path = Path(site.cache_dir) / "published" / (sha256(str(out_dir))[:32] + ".json")
    files = outputs(site, katex_dir)
    with locked(out_dir.parent):
        recover(out_dir)
        record = _read_published(record_path)
        plan = _in_place_plan(out_dir, record, files)
        if plan is not None:
            try:
                _publish_in_place(out_dir, record, *plan)
            except OSError as e:
                # (A source that cannot be read fails the stage and swap too, and the site
                # stays as it was.)
                log.warning("cannot publish %s in place (%s): writing it whole", out_dir, e)
                _journal_path(out_dir).unlink(missing_ok=True)
                record = {}
            else:
                _write_published(record_path, record)
                return
    _stage_and_swap(out_dir, record, files, record_path)


def _read_published(path: Path | None) -> dict:
    if path is None:
        return {}
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(record, dict):
        return {}
    return {url: v for url, v in record.items()
            if isinstance(v, list) and len(v) == 4 and isinstance(v[0], str)}


def _write_published(path: Path | None, record: dict) -> None:
    if path is None:
        return
    try:
        write_atomic(path, json.dumps(record, separators=(",", ":"), sort_keys=True).encode())
    except OSError as e:
        log.warning("cannot write %s: %s", path, e)


def _stamp(path: str) -> list:
    st = os.stat(path)
    return [st.st_ino, st.st_size, st.st_mtime_ns]


# ## In place


def _in_place_plan(out_dir: Path, record: dict, files: list[Output]):
    """`(changed outputs, urls to delete)` if the folder is exactly what `record` says and few
    files change; else `None`."""
    if not record or not out_dir.is_dir():
        return None
    root = str(out_dir)
    # Every file of the folder must be one the record knows, untouched since.
    seen = 0
    for folder, dirs, names in os.walk(root):
        prefix = os.path.relpath(folder, root)
        prefix = "" if prefix == "." else prefix.replace(os.sep, "/") + "/"
        for name in names:
            url = prefix + name
            old = record.get(url)
            try:
                if old is None or _stamp(os.path.join(folder, name)) != old[1:]:
                    return None
            except OSError:
                return None
            seen += 1
    if seen != len(record):
        return None
    wanted = {f.url for f in files}
    changed = []
    for f in files:
        old = record.get(f.url)
        if old is not None and (f.token is not None and old[0] == f.token
                                or f.kind == "page" and f.cached is None
                                and f.value.html is None):
            continue  # the same file, or a failed page keeping its published version
        changed.append(f)
    gone = sorted(url for url in record if url not in wanted)
    if len(changed) + len(gone) > IN_PLACE_LIMIT:
        return None
    return changed, gone


def _publish_in_place(out_dir: Path, record: dict, changed: list[Output], gone: list[str]) -> None:
    """Write the changed files into a staging folder, journal the moves, carry them out."""
    staging = _staging_folder(out_dir)
    moves = []
    try:
        for n, f in enumerate(changed):
            temporary = os.path.join(staging, str(n))
            if f.make(temporary, None):
                moves.append([temporary, f.url, f.token])
        write_atomic(_journal_path(out_dir), json.dumps(
            {"moves": moves, "delete": gone, "staging": staging}).encode("utf-8"))
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    try:
        _carry_out(out_dir, record)
    except OSError:  # (the caller writes the whole site; a kill leaves the journal to finish)
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _staging_folder(out_dir: Path) -> str:
    """A new folder beside the site, named for this process (`recover` deletes those of dead
    processes)."""
    return tempfile.mkdtemp(prefix=f".{out_dir.name}.new-{os.getpid()}-", dir=out_dir.parent)


def _journal_path(out_dir: Path) -> Path:
    return out_dir.with_name(f".{out_dir.name}.journal")


def _carry_out(out_dir: Path, record: dict | None = None) -> None:
    """Do what the journal says (again, if a build died half-way: each step can be repeated),
    then delete it. `record` gets the new files' stats."""
    journal = _journal_path(out_dir)
    try:
        data = json.loads(journal.read_text(encoding="utf-8"))
        moves, gone, staging = data["moves"], data["delete"], data["staging"]
    except FileNotFoundError:
        return
    except (OSError, ValueError, KeyError, TypeError) as e:
        log.warning("%s is unreadable (%s): publishing the whole site again", journal, e)
        journal.unlink(missing_ok=True)
        if record is not None:
            record.clear()
        return
    root = str(out_dir)
    for temporary, url, token in moves:
        target = os.path.join(root, url)
        if os.path.exists(temporary):
            os.makedirs(os.path.dirname(target), exist_ok=True)
            os.replace(temporary, target)
        if record is not None:
            if token is not None:
                record[url] = [token] + _stamp(target)
            else:
                record.pop(url, None)
    for url in gone:
        target = os.path.join(root, url)
        try:
            os.unlink(target)
        except FileNotFoundError:
            pass
        # Folders left empty go too: the folder must be what a whole publish would make.
        folder = os.path.dirname(target)
        while folder != root:
            try:
                os.rmdir(folder)
            except OSError:
                break
            folder = os.path.dirname(folder)
        if record is not None:
            record.pop(url, None)
    shutil.rmtree(staging, ignore_errors=True)
    journal.unlink(missing_ok=True)


# ## Stage and swap


def _stage_and_swap(out_dir: Path, record: dict, files: list[Output], record_path) -> None:
    """Write the whole site beside `out_dir` (hard-linking what is unchanged), swap it in."""
    written: dict[str, list] = {}
    staging = _staging_folder(out_dir)
    # Strings, not `Path`s, for the paths made for every file of the site.
    out_root = str(out_dir)
    made: set[str] = set()
    try:
        for f in files:
            target = os.path.join(staging, f.url)
            parent = os.path.dirname(target)
            if parent not in made:
                os.makedirs(parent, exist_ok=True)
                made.add(parent)
            previous = os.path.join(out_root, f.url)
            if _reuse(record, f, previous, target):
                written[f.url] = record[f.url]
            elif f.make(target, previous) and f.token is not None:
                written[f.url] = [f.token] + _stamp(target)
        with locked(out_dir.parent):
            _swap(staging, out_dir)
            _write_published(record_path, written)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _reuse(record: dict, f: Output, previous: str, target: str) -> bool:
    """Hard-link the published file if it is what `f` is and nobody touched it."""
    old = record.get(f.url)
    if f.token is None or old is None or old[0] != f.token:
        return False
    try:
        if _stamp(previous) != old[1:]:
            return False
        os.link(previous, target)
    except OSError:
        return False
    return True


def _swap(staging: str, out_dir: Path) -> None:
    """Replace `out_dir` by `staging`: the old site stays whole until the new one is in place."""
    old = out_dir.with_name(f".{out_dir.name}.old")
    if old.exists():
        shutil.rmtree(old)
    if out_dir.exists():
        os.rename(out_dir, old)
    os.rename(staging, out_dir)
    shutil.rmtree(old, ignore_errors=True)


# ## Recovery and locking


def recover(out_dir: Path) -> None:
    """Finish what an interrupted publish left (call with the folder locked): carry out its
    journal, put back a site a swap had moved aside, delete dead builds' staging folders."""
    try:
        _carry_out(out_dir)
    except OSError as e:  # the record no longer matches: this publish writes the site whole
        log.warning("cannot finish the interrupted publish of %s (%s)", out_dir, e)
        _journal_path(out_dir).unlink(missing_ok=True)
    old = out_dir.with_name(f".{out_dir.name}.old")
    if old.exists() and not out_dir.exists():
        os.rename(old, out_dir)
    # Staging folders of builds that died; a running build's folder names a live process.
    for stale in out_dir.parent.glob(f".{out_dir.name}.new-*"):
        pid = stale.name.split(".new-", 1)[1].split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(stale, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextmanager
def locked(folder: Path):
    """An exclusive lock on `folder` (flock of the folder itself)."""
    try:
        import fcntl
    except ImportError:  # not POSIX
        yield
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


# ## The files of every site


def site_asset_files(katex_dir=None) -> list[tuple[str, Path]]:
    """`(site path, source)` of what `copy_site_assets(site / "assets")` copies."""
    from .math import katex_asset_files
    from .render import assets_dir

    here = assets_dir()
    files = [("assets/" + p.relative_to(here).as_posix(), p)
             for p in sorted(here.rglob("*")) if p.is_file()] if here.is_dir() else []
    return files + [("assets/katex/" + name, src) for name, src in katex_asset_files(katex_dir)]


def copy_site_assets(dest: Path, katex_dir=None) -> None:
    """The stylesheets and scripts of `site_templates/assets`, and KaTeX's CSS and fonts."""
    from .math import copy_katex_assets
    from .render import assets_dir

    shutil.copytree(assets_dir(), dest, dirs_exist_ok=True)
    copy_katex_assets(dest / "katex", katex_dir)
