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
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["write_atomic"]


def write_atomic(path: str | os.PathLike[str], data: bytes) -> None:
    """Write `data` to `path` so that readers see the old file or the whole new one.

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
        os.replace(temporary, target)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise
