"""
---
title: Compiled patterns kept between processes
summary: The fast lexer's joined regular expressions, compiled once on a machine and kept in the cache.
---

# Compiled patterns kept between processes

The [fast lexer](fast_lexer.py) joins the rules of each lexer state into one regular
expression per first character. Compiling them is Python code (`re._parser` and
`re._compiler`): a file of 40 KB needs about a hundred of them, 0.2 s, more than Pygments
takes to lex it. So a one-page rebuild used to lex with Pygments (0.1 s for `optim/adam.py`),
and each worker of a big build compiled its own.

The regex engine itself (`_sre.compile`) takes the compiled program, a list of integers, and
checks it; only the step from pattern to program is slow. So the program of each joined
pattern is kept in the cache, one file per Python (`cache_tag`, and the engine's `MAGIC` and
code size, which change whenever its program format does): a process that finds a pattern
there hands its program to the engine (microseconds), and one that compiles a pattern adds
it to the file (`save`, merged with what other processes added). The engine checks a
program's shape, not that it is the pattern's (measured: it takes a program of three
`SUCCESS`es for any pattern), so the file's name carries the whole `sys.version` with the
engine's numbers, and its checksum guards against damage: a program is read only by the
very Python that wrote it. A kept program is used only if the engine accepts it and it gives
the pattern the flags and groups that were kept; a damaged file is only a miss. The tokens
are the same either way: the tests compare them.
"""

from __future__ import annotations

import hashlib
import marshal
import re
import sys
from array import array
from collections.abc import Callable
from pathlib import Path
from typing import Any

try:  # Python 3.11 and later
    from re import _parser  # type: ignore[attr-defined]
    from re._compiler import _code
except ImportError:  # pragma: no cover
    import sre_parse as _parser
    from sre_compile import _code  # type: ignore[attr-defined]
import _sre

# (pattern, flags) → (the compiled pattern's flags, its program, its number of groups); and the
# `fact`s.
Kept = dict[tuple, Any]

_kept: Kept = {}
_fresh: Kept = {}  # compiled by this process and not saved yet
_file: Path | None = None
_read_some = False  # whether `use` found patterns kept
_FORMAT = 2


def use(folder: Path | None) -> None:
    """Keep patterns in `folder` (`None`: in memory only), and read those kept there."""
    global _file, _read_some
    engine = f"{sys.version}-{_sre.MAGIC}-{_sre.CODESIZE}".encode("utf-8", "replace")
    path = (Path(folder) / f"{sys.implementation.cache_tag}-{hashlib.sha256(engine).hexdigest()[:16]}.bin"
            if folder is not None else None)
    if path == _file:
        return
    _file = path
    _kept.clear()
    _fresh.clear()
    if path is not None:
        _kept.update(_read(path))
    _read_some = bool(_kept)


def fact(key: tuple, make: Callable[[], Any]) -> Any:
    """What `make()` gives, kept under `key` (a tuple of strings and numbers, starting with
    the name of what it is) with the patterns: what the fast lexer reads of each rule's
    pattern (the characters it can start with) costs as much to find as to compile. The value
    must be what `marshal` keeps (None, numbers, strings, tuples, frozensets)."""
    if key in _kept:
        return _kept[key]
    value = _kept[key] = _fresh[key] = make()
    return value


def warm() -> bool:
    """Whether this process found patterns kept: then joining pays from the first line."""
    return _read_some


def compile(text: str, flags: int) -> re.Pattern[str]:
    """`re.compile(text, flags)`, from the kept program if there is one."""
    key = (text, int(flags))
    kept = _kept.get(key)
    if kept is not None:
        pattern = _from_program(text, *kept)
        if pattern is not None:
            return pattern
        del _kept[key]
    try:
        # What `re.compile` does (`re._compiler.compile`), keeping the program on the way.
        tree = _parser.parse(text, flags)
        code = _code(tree, flags)
        groups = tree.state.groups - 1
        if tree.state.groupdict:  # (named groups: not kept; the fast lexer has none)
            raise ValueError("named groups")
        pattern = _sre.compile(text, flags | tree.state.flags, code, groups, {},
                               (None,) * (groups + 1))
    except Exception:  # noqa: BLE001 (an engine of another shape: compiled as usual, not kept)
        return re.compile(text, flags)
    _kept[key] = _fresh[key] = (int(pattern.flags), array("I", code).tobytes(), pattern.groups)
    return pattern


def _from_program(text: str, flags: int, program: bytes, groups: int) -> re.Pattern[str] | None:
    try:
        code = array("I")
        code.frombytes(program)
        pattern = _sre.compile(text, flags, code.tolist(), groups, {}, (None,) * (groups + 1))
    except (TypeError, ValueError, RuntimeError, OverflowError):  # not a program it accepts
        return None
    return pattern if pattern.flags == flags and pattern.groups == groups else None


def save() -> None:
    """Add the patterns this process compiled to the file (with those other processes added
    since it was read). A file that cannot be written costs the compiling next time."""
    if not _fresh or _file is None:
        return
    from .atomic import write_atomic
    merged = _read(_file)
    merged.update(_fresh)
    body = marshal.dumps((_FORMAT, merged))
    try:
        write_atomic(_file, hashlib.sha256(body).digest() + body, cache=True)
    except OSError:
        return
    _fresh.clear()


def _read(path: Path) -> Kept:
    try:
        data = path.read_bytes()
    except OSError:
        return {}
    body = data[32:]
    if hashlib.sha256(body).digest() != data[:32]:
        return {}
    try:
        version, kept = marshal.loads(body)
    except (ValueError, EOFError, TypeError):
        return {}
    return kept if version == _FORMAT and isinstance(kept, dict) else {}


__all__: list[Any] = ["compile", "save", "use", "warm"]
