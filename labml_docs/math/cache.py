"""
---
title: The math cache
summary: >
  Rendered formulas on disk, in one SQLite database shared by every build, so that a rebuild
  renders nothing it rendered before.
---

# The math cache

A tree of a few hundred pages holds thousands of formulas, and most of them do not change
between builds. Each result is kept on disk under a key made of everything that decides its
HTML: the engine, the KaTeX version, the options (macros, output format, output budget), the
display flag and the source. A result that depends on the moment (`transient`) is never put.

The cache is one SQLite database in WAL mode, so that builds running at once (a preview server
and a command line, worker processes) share it. It is only a cache: a corrupt database is
dropped and built again, a corrupt entry (its checksum does not match) is rendered again, and
a cache that cannot be used at all (a full disk, a folder that cannot be written) is a warning,
never a failed build.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import sqlite3
import threading
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from .contract import Formula, MathResult
from .options import MathOptions

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["CACHE_FORMAT", "MathCache"]

log = logging.getLogger("labml_docs")

#: Bump when the stored form of a result changes (for example the error mark).
CACHE_FORMAT = 1

T = TypeVar("T")

_SQLITE_CORRUPT = 11
_SQLITE_NOTADB = 26


def _is_corruption(error: sqlite3.Error) -> bool:
    code = getattr(error, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (_SQLITE_CORRUPT, _SQLITE_NOTADB)
    text = str(error).lower()
    return "malformed" in text or "not a database" in text or "corrupt" in text


def _disk_full(folder: Path) -> bool:
    try:
        return shutil.disk_usage(folder).free < 64 * 1024
    except OSError:
        return False


class MathCache:
    """Rendered formulas on disk: one SQLite database (WAL) in `directory`.

    Safe for several builds at once. A corrupt database is dropped and rebuilt; a corrupt entry
    (its checksum does not match) is ignored and rendered again. Never raises on a cache problem:
    it logs a warning and behaves as a miss.
    """

    FILENAME = "math.sqlite3"
    SCHEMA = 1

    def __init__(self, directory: str | os.PathLike[str] | None = None) -> None:
        self.directory = Path(directory) if directory is not None else Path.cwd() / ".labml-docs-cache" / "math"
        self.path = self.directory / self.FILENAME
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._pid: int | None = None
        self.disabled = False
        self.resets = 0

    # -- keys --------------------------------------------------------------------------------

    @staticmethod
    def make_key(engine_name: str, katex_version: str, options: MathOptions, formula: Formula) -> str:
        blob = json.dumps(
            [CACHE_FORMAT, engine_name, katex_version, options.cache_key(), bool(formula.display), formula.tex],
            ensure_ascii=False,
        )
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()

    @staticmethod
    def _check(key: str, html: str, error: str | None) -> str:
        h = hashlib.sha256()
        for part in (key, html, "\x01" if error is None else error):
            h.update(part.encode("utf-8", "surrogatepass"))
            h.update(b"\x00")
        return h.hexdigest()[:32]

    # -- connection --------------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        if self._conn is not None and self._pid == os.getpid():
            return self._conn
        self._conn = None  # a connection inherited through fork is not used
        self.directory.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(self.path), timeout=60, isolation_level=None, check_same_thread=False)
        try:
            conn.execute("PRAGMA busy_timeout = 60000")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute(
                "CREATE TABLE IF NOT EXISTS entries (key TEXT PRIMARY KEY, html TEXT NOT NULL, "
                "error TEXT, checksum TEXT NOT NULL) WITHOUT ROWID"
            )
            conn.execute("CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)")
            row = conn.execute("SELECT value FROM meta WHERE name = 'schema'").fetchone()
            if row is None:
                conn.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (str(self.SCHEMA),))
            elif row[0] != str(self.SCHEMA):
                conn.execute("DELETE FROM entries")
                conn.execute("UPDATE meta SET value = ? WHERE name = 'schema'", (str(self.SCHEMA),))
        except BaseException:
            conn.close()
            raise
        self._conn, self._pid = conn, os.getpid()
        return conn

    def _drop_database(self, error: Exception) -> None:
        log.warning("math cache %s is corrupt (%s): dropping it", self.path, error)
        self.resets += 1
        if self._conn is not None:
            try:
                self._conn.close()
            except sqlite3.Error:
                pass
        self._conn = None
        for suffix in ("", "-wal", "-shm", "-journal"):
            try:
                os.unlink(str(self.path) + suffix)
            except FileNotFoundError:
                pass
            except OSError as e:
                log.warning("cannot remove %s%s: %s", self.path, suffix, e)

    def _run(self, what: str, action: Callable[[sqlite3.Connection], T]) -> T | None:
        """Run `action(conn)`; on corruption drop the database and retry once; else give up."""
        if self.disabled:
            return None
        with self._lock:
            for attempt in range(2):
                try:
                    return action(self._connect())
                except sqlite3.Error as e:
                    if _is_corruption(e) and attempt == 0:
                        self._drop_database(e)
                        continue
                    # A full disk shows as "disk I/O error": say the cause, and say it once.
                    full = _disk_full(self.directory)
                    log.warning("math cache %s: %s failed (%s); going on without it", self.path,
                                what, "no space left on device" if full else e)
                    self.disabled = full or self.disabled
                    return None
                except OSError as e:
                    log.warning("math cache %s unusable (%s); going on without it", self.path, e)
                    self.disabled = True
                    return None
        return None

    # -- public ------------------------------------------------------------------------------

    def get_many(self, keys: Sequence[str]) -> dict[str, MathResult]:
        wanted = list(dict.fromkeys(keys))

        def action(conn: sqlite3.Connection) -> dict[str, MathResult]:
            found: dict[str, MathResult] = {}
            bad: list[str] = []
            for start in range(0, len(wanted), 500):
                part = wanted[start : start + 500]
                marks = ",".join("?" * len(part))
                for key, html, error, checksum in conn.execute(
                    f"SELECT key, html, error, checksum FROM entries WHERE key IN ({marks})", part
                ):
                    if (
                        isinstance(html, str)
                        and (error is None or isinstance(error, str))
                        and checksum == self._check(key, html, error)
                    ):
                        found[key] = MathResult(html=html, error=error)
                    else:
                        bad.append(key)
            if bad:
                log.warning("math cache: %d corrupt entr%s dropped", len(bad), "y" if len(bad) == 1 else "ies")
                conn.executemany("DELETE FROM entries WHERE key = ?", [(k,) for k in bad])
            return found

        return self._run("read", action) or {}

    def put_many(self, items: Iterable[tuple[str, MathResult]]) -> None:
        rows = [(k, r.html, r.error, self._check(k, r.html, r.error)) for k, r in items]
        if not rows:
            return

        def action(conn: sqlite3.Connection) -> None:
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.executemany("INSERT OR REPLACE INTO entries VALUES (?, ?, ?, ?)", rows)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

        self._run("write", action)

    def __len__(self) -> int:
        return self._run("count", lambda c: c.execute("SELECT COUNT(*) FROM entries").fetchone()[0]) or 0

    def clear(self) -> None:
        self._run("clear", lambda c: c.execute("DELETE FROM entries"))

    def close(self) -> None:
        with self._lock:
            if self._conn is not None and self._pid == os.getpid():
                try:
                    self._conn.close()
                except sqlite3.Error:
                    pass
            self._conn = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
