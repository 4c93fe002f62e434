"""
---
title: Atomic writes
summary: A file is replaced whole or not at all; every cache and record of labml-docs is written this way.
---

# Atomic writes

Builds run beside each other (two terminals, `serve` and a CI job) and can be killed at any
moment. A reader must therefore see a file's old bytes or all of its new ones, never half of
them: the new bytes go to a temporary file in the same folder, which is then renamed over the
old one (a rename within a file system is atomic on POSIX and on Windows).

The temporary file is named `.NAME.RANDOM.tmp`: a leading dot keeps it out of scans of a tree,
and garbage collection of the page cache knows the pattern and deletes one that a killed build
left behind. It is created with mode `0666` less the umask, as `open()` would: `mkstemp` would
make it `0600`, and a KaTeX font copied into a site must be readable by the web server.

A file of a cache (`cache=True`) is deleted before the new one is renamed into its place. On
ext4, renaming over an existing file makes the system write the new file out at once (its
`auto_da_alloc` guard for programs that do not `fsync`): about 4 ms a file, much more on a
busy disk, and a one-page rebuild writes half a dozen such files. A reader of a cache that
comes between the two steps finds no file, which is only a miss; and a cache file left empty
by a crash fails its checksum or its parse, which is a miss too. What a reader must never see
missing (a published page, the publish record) is renamed over the old file.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["write_atomic"]


def write_atomic(path: str | os.PathLike[str], data: bytes, cache: bool = False) -> None:
    """Write `data` to `path` so that readers see the old file or the whole new one (or, of a
    `cache` file, no file for a moment).

    Makes the folder if need be; raises `OSError` (a full disk, a read-only folder) with no
    temporary file left behind."""
    target = os.fspath(path)
    folder, name = os.path.split(target)
    Path(folder or ".").mkdir(parents=True, exist_ok=True)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        temporary = os.path.join(folder, f".{name}.{os.urandom(6).hex()}.tmp")
        try:
            fd = os.open(temporary, flags, 0o666)
            break
        except FileExistsError:  # (one chance in 2**48)
            continue
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        if cache:
            try:
                os.unlink(target)
            except FileNotFoundError:
                pass
        os.replace(temporary, target)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise
