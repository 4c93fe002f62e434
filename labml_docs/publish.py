"""
---
title: Publishing
summary: Writing a rendered site into its folder without losing anything that is already there.
---

# Publishing

A build writes its site into a folder that a web server may be serving, that a person may keep
other files in (a `.git`, a `CNAME`, notes), and that an earlier build filled. Three promises:

* **Nothing this tool did not write is deleted or overwritten.** The folder's *publish record*
  (`.labml-docs-published.json` inside it) lists every file an earlier publish wrote. Only those
  are ever replaced or deleted; any other file is kept. A non-empty folder with no record (this
  tool never published there) is refused, unless the caller says `overwrite`: then files with
  the names of the site's files are replaced, and nothing else is touched.
* **Readers never see a half-written file.** Each new or changed file is written into a staging
  folder inside the site, then renamed into place.
* **An interrupted publish is finished by the next one.** Before the renames, a *journal* lists
  them; the next publish carries out a journal it finds, like a database commit, and writes
  the record that goes with it.

Unchanged files are not touched: the record keeps each file's token (what it is: `page:` and
the sha256 of the HTML, `asset:` with the source's path, size and mtime, `text:` and the
sha256 of a generated file, `bytes:` and the sha256 of a generated binary file, such as the
[search index](search.py)'s) and the `(inode, size, mtime)` it was given. A one-page edit
rewrites that page, and the home page and sitemap if they change; the record in the folder
lists the same files then, and is left as it is. A file a person edited in
place has another stat, so it is written again.

Files are written with the permissions the umask gives (0644 and 0755 with the usual umask),
as MkDocs and Sphinx do, so that a web server running as another user can read them; pages are
copies, never links into a cache, so nothing done to a cache changes the live site.

Publishes into the same folder take turns: each holds a lock (`flock` of the folder) while it
changes it.
"""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import os
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Literal, Protocol

from .atomic import write_atomic
from .diagnostics import Diagnostic
from .fingerprint import sha256

if TYPE_CHECKING:
    from .build import Site

log = logging.getLogger("labml_docs")

#: The names this tool keeps inside the output folder for itself.
RECORD = ".labml-docs-published.json"
JOURNAL = ".labml-docs-journal.json"
STAGING = ".labml-docs-staging-"
RECORD_FORMAT = 2


class PublishError(Exception):
    """The site cannot be published; the folder is as it was (or as a finished journal left it)."""


class FolderRefused(PublishError):
    """The output folder is not one to publish into: nothing was written."""


class Blob(Protocol):
    """A generated binary file known by its digest, read only if it must be written (a file of
    the search index that its cache keeps)."""
    @property
    def sha256(self) -> str: ...

    def read(self) -> bytes: ...


@dataclass
class Output:
    """One file of the site: where it goes, what it is, and what it holds."""
    url: str
    # What the file is, for the record; `None` for a page that failed to build (it keeps the
    # version already published, if there is one).
    token: str | None
    kind: Literal["page", "text", "bytes", "asset"]
    # The page (`RenderedPage`), the text, the bytes, or the asset's source path.
    value: object

    def write(self, target: str) -> None:
        """Write the file at `target`. Raises `OSError` (a source that cannot be read, a full
        disk)."""
        if self.kind == "asset":
            shutil.copyfile(self.value, target)  # type: ignore[arg-type]
            return
        if self.kind == "bytes":
            data = self.value if isinstance(self.value, bytes) else self.value.read()  # type: ignore[attr-defined]
            with open(target, "wb") as f:
                f.write(data)
            return
        text = self.value if isinstance(self.value, str) else self.value.read_html()  # type: ignore[attr-defined]
        with open(target, "wb") as f:
            f.write(text.encode("utf-8", "surrogatepass"))


def outputs(site: Site, katex_dir=None) -> list[Output]:
    """Every file of `site`, in a fixed order."""
    out = []
    for url, page in sorted(site.pages.items()):
        html_sha = site.html_shas.get(url)
        if html_sha is None and page.html is not None:
            html_sha = sha256(page.html)
        out.append(Output(url, f"page:{html_sha}" if html_sha else None, "page", page))
    for url, text in sorted(site.extra.items()):
        out.append(Output(url, "text:" + sha256(text), "text", text))
    for url, data in sorted(site.files.items()):  # the search index
        digest = hashlib.sha256(data).hexdigest() if isinstance(data, bytes) else data.sha256
        out.append(Output(url, "bytes:" + digest, "bytes", data))
    for url, source in sorted(site.assets.items()) + site_asset_files(katex_dir):
        try:
            st = os.stat(source)
            token = f"asset:{source}:{st.st_size}:{st.st_mtime_ns}"
        except OSError:
            token = f"asset:{source}:missing"
        out.append(Output(url, token, "asset", source))
    return out


def publish(site: Site, out_dir: Path, katex_dir=None, overwrite: bool = False,
            cache_dir: Path | None = None) -> list[Diagnostic]:
    """Write `site` into `out_dir`; returns the warnings about files it left alone.

    `cache_dir` keeps the stats that spare rewriting unchanged files. Raises `PublishError`
    when it cannot publish: the folder then holds what it held before."""
    out_dir = Path(out_dir).resolve()
    state = Path(cache_dir) / "published" / (sha256(str(out_dir))[:32] + ".json") \
        if cache_dir is not None else None
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        with locked(out_dir):
            record = recover(out_dir, state)
            if record is None:
                record = _first_record(out_dir, state, overwrite)
            changed, gone, warnings = _plan(out_dir, record.files, outputs(site, katex_dir),
                                            overwrite)
            if changed or gone:
                _write_journal(out_dir, changed, gone)
                _carry_out(record)
            elif not (out_dir / RECORD).exists():
                record.write()
    except OSError as e:
        raise PublishError(_say(out_dir, e)) from None
    return warnings


def _say(out_dir: Path, error: OSError) -> str:
    """One line for a failed publish, naming the cause (a full disk, a read-only folder)."""
    where = error.filename
    reason = error.strerror or str(error)
    if where and os.fspath(where) != str(out_dir):
        reason = f"{where}: {reason}"
    hint = {errno.ENOSPC: "free some space", errno.EDQUOT: "free some space",
            errno.EROFS: "the file system is read-only",
            errno.EACCES: "check the folder's permissions",
            errno.EPERM: "check the folder's permissions"}.get(error.errno or 0)
    return (f"cannot publish into {out_dir}: {reason}"
            + (f" ({hint}); the site there is unchanged" if hint else
               "; the site there is unchanged"))


# ## The record


@dataclass
class Record:
    """What earlier publishes wrote into a folder.

    Which files are ours is kept in the folder itself (`RECORD`: the sorted list of their
    addresses, the same bytes for the same site), so that it survives a deleted cache. What
    each file is and the stat it was given (`{url: [token, inode, size, mtime]}`) differ from
    one machine to the next, so they are kept in the cache (`state`); a file without them is
    simply written again."""
    out_dir: Path
    state: Path | None
    files: dict[str, list]

    UNKNOWN: ClassVar[tuple] = ("", 0, 0, 0)

    @classmethod
    def read(cls, out_dir: Path, state: Path | None) -> Record | None:
        """The folder's record, or `None` when this tool never published there."""
        try:
            data = json.loads((out_dir / RECORD).read_text(encoding="utf-8"))
            if data.get("format") != RECORD_FORMAT:
                raise ValueError(f"format {data.get('format')!r}")
            owned = [url for url in data["files"] if isinstance(url, str)]
        except FileNotFoundError:
            return None
        except (OSError, ValueError, AttributeError, KeyError, TypeError) as e:
            log.warning("%s is unreadable (%s)", out_dir / RECORD, e)
            return None
        stamps: dict = {}
        if state is not None:
            try:
                stamps = json.loads(state.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                pass
        files: dict[str, list] = {}
        for url in owned:
            stamp = stamps.get(url) if isinstance(stamps, dict) else None
            if isinstance(stamp, list) and len(stamp) == 4 and isinstance(stamp[0], str):
                files[url] = stamp
            else:
                files[url] = list(cls.UNKNOWN)
        return cls(out_dir, state, files)

    def write(self) -> None:
        owned = {"format": RECORD_FORMAT, "generator": "labml-docs", "files": sorted(self.files)}
        data = json.dumps(owned, indent=0, ensure_ascii=False).encode("utf-8")
        try:  # the same files (a page edited in place): the record is as it was
            same = (self.out_dir / RECORD).read_bytes() == data
        except OSError:
            same = False
        if not same:
            write_atomic(self.out_dir / RECORD, data)
        if self.state is not None:
            try:
                write_atomic(self.state, json.dumps(self.files, separators=(",", ":"),
                                                    sort_keys=True).encode("utf-8"), cache=True)
            except OSError as e:  # costs only rewriting the files next time
                log.warning("cannot write %s: %s", self.state, e)


def _first_record(out_dir: Path, state: Path | None, overwrite: bool) -> Record:
    """The record of a folder this tool never published into: empty, if the folder is empty
    (dot-files do not count: a `.git` or `.nojekyll` of a fresh site is fine) or the caller
    allows `overwrite`."""
    foreign = sorted(name for name in os.listdir(out_dir) if not name.startswith("."))
    if foreign and not overwrite:
        shown = ", ".join(foreign[:3]) + (", …" if len(foreign) > 3 else "")
        raise FolderRefused(
            f"{out_dir} is not empty ({shown}) and labml-docs never published into it: "
            "choose an empty or new folder, or pass --overwrite to write the site into it "
            "(files with the site's names are replaced; nothing else is deleted)")
    return Record(out_dir, state, {})


def _stamp(path: str) -> list:
    st = os.stat(path)
    return [st.st_ino, st.st_size, st.st_mtime_ns]


# ## The plan


def _plan(out_dir: Path, record: dict, files: list[Output], overwrite: bool):
    """`(outputs to write, recorded urls to delete, warnings)`."""
    root = str(out_dir)
    changed: list[Output] = []
    warnings: list[Diagnostic] = []
    for f in files:
        target = os.path.join(root, f.url)
        old = record.get(f.url)
        if f.token is None:  # a failed page: it keeps its published version, if any
            continue
        if old is not None:
            if old[0] == f.token and _stat_matches(target, old):
                continue
        elif _taken(root, f.url) and not overwrite:
            warnings.append(Diagnostic(
                str(Path(target)), 1, "not written: a file that labml-docs did not write is in "
                "the way (move it, or pass --overwrite)", "warning"))
            continue
        if _blocked(root, f.url):
            warnings.append(Diagnostic(
                str(Path(target)), 1, "not written: a folder, or a file where a folder should "
                "be, is in the way", "warning"))
            continue
        changed.append(f)
    wanted = {f.url for f in files}
    gone = sorted(url for url in record if url not in wanted)
    return changed, gone, warnings


def _stat_matches(target: str, old: list) -> bool:
    try:
        return _stamp(target) == old[1:]
    except OSError:
        return False


def _taken(root: str, url: str) -> bool:
    return os.path.lexists(os.path.join(root, url))


def _blocked(root: str, url: str) -> bool:
    """A folder at the file's place, or a file at one of its folders' places."""
    target = os.path.join(root, url)
    if os.path.isdir(target) and not os.path.islink(target):
        return True
    folder = os.path.dirname(target)
    while folder != root:
        if os.path.lexists(folder) and not os.path.isdir(folder):
            return True
        folder = os.path.dirname(folder)
    return False


# ## Journal and moves


def _write_journal(out_dir: Path, changed: list[Output], gone: list[str]) -> None:
    """Write the changed files into a staging folder, then the journal of their moves."""
    staging = tempfile.mkdtemp(prefix=f"{STAGING}{os.getpid()}-", dir=out_dir)
    try:
        moves = []
        for n, f in enumerate(changed):
            temporary = os.path.join(staging, str(n))
            f.write(temporary)
            moves.append([temporary, f.url, f.token])
        write_atomic(out_dir / JOURNAL, json.dumps(
            {"moves": moves, "delete": gone, "staging": staging}).encode("utf-8"))
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _carry_out(record: Record) -> None:
    """Do what the journal says (again, if a publish died half-way: each step can be repeated),
    write the record, then delete the journal. `record` gets the new files' stats."""
    out_dir, files = record.out_dir, record.files
    journal = out_dir / JOURNAL
    data = json.loads(journal.read_text(encoding="utf-8"))
    moves, gone, staging = data["moves"], data["delete"], data["staging"]
    root = str(out_dir)
    try:
        for temporary, url, token in moves:
            target = os.path.join(root, url)
            if os.path.exists(temporary):
                os.makedirs(os.path.dirname(target), exist_ok=True)
                os.replace(temporary, target)
            if os.path.isfile(target):
                files[url] = [token] + _stamp(target)
        for url in gone:
            _delete(root, url)
            files.pop(url, None)
    finally:
        # What was done is recorded even when a step failed: the record stays true.
        record.write()
    shutil.rmtree(staging, ignore_errors=True)
    journal.unlink(missing_ok=True)


def _delete(root: str, url: str) -> None:
    """Delete a file an earlier publish wrote, and the folders it leaves empty."""
    target = os.path.join(root, url)
    try:
        if not os.path.isdir(target) or os.path.islink(target):
            os.unlink(target)
    except FileNotFoundError:
        pass
    folder = os.path.dirname(target)
    while folder != root:
        try:
            os.rmdir(folder)  # only if empty: a person's files in it keep it
        except OSError:
            break
        folder = os.path.dirname(folder)


def recover(out_dir: Path, state: Path | None = None) -> Record | None:
    """Finish what an interrupted publish left (call with the folder locked) and return the
    folder's record: carry out its journal, delete dead publishes' staging folders."""
    record = Record.read(out_dir, state)
    if (out_dir / JOURNAL).exists():
        try:
            _carry_out(record if record is not None else Record(out_dir, state, {}))
        except (OSError, ValueError, KeyError, TypeError) as e:
            # What could be done is done and recorded; the rest is written again by this
            # publish, as the record says it is not there.
            log.warning("cannot finish the interrupted publish of %s (%s)", out_dir, e)
            (out_dir / JOURNAL).unlink(missing_ok=True)
        record = Record.read(out_dir, state)
    for stale in out_dir.glob(STAGING + "*"):
        pid = stale.name[len(STAGING):].split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(stale, ignore_errors=True)
    return record


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
    from .templates import assets_dir

    here = assets_dir()
    files = [("assets/" + p.relative_to(here).as_posix(), p)
             for p in sorted(here.rglob("*")) if p.is_file()] if here.is_dir() else []
    return files + [("assets/katex/" + name, src) for name, src in katex_asset_files(katex_dir)]


def copy_site_assets(dest: Path, katex_dir=None) -> None:
    """The stylesheets and scripts of `site_templates/assets`, and KaTeX's CSS and fonts."""
    from .math import copy_katex_assets
    from .templates import assets_dir

    shutil.copytree(assets_dir(), dest, dirs_exist_ok=True)
    copy_katex_assets(dest / "katex", katex_dir)
