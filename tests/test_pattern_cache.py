"""The fast lexer's joined patterns, kept between processes: the same tokens from a kept
program, and a damaged or foreign file costs only the compiling."""

import hashlib
import inspect
import marshal
import re

import pytest
from pygments.lexers import PythonLexer

from labml_docs import pattern_cache
from labml_docs.fast_lexer import FastRegexLexer, get_tokens, lex

TEXT = inspect.getsource(re) + inspect.getsource(inspect)


def pygments_tokens(lexer, text):
    return list(lexer.get_tokens(text))


@pytest.fixture
def folder(tmp_path):
    """A folder to keep patterns in; the module's state is put back afterwards."""
    yield tmp_path / "patterns"
    pattern_cache.use(None)


def fresh_process(folder):
    """What a new process sees: nothing in memory, then the folder read."""
    pattern_cache.use(None)
    pattern_cache._kept.clear()
    pattern_cache.use(folder)


def test_a_kept_program_gives_the_same_tokens_without_compiling(folder, monkeypatch):
    pattern_cache.use(folder)
    lexer = PythonLexer(stripnl=False, ensurenl=True)
    assert list(get_tokens(lexer, TEXT)) == pygments_tokens(lexer, TEXT)
    pattern_cache.save()
    assert list(folder.iterdir())

    fresh_process(folder)
    assert pattern_cache.warm()

    def no_compiling(*args, **kwargs):
        raise AssertionError("compiled, though kept")
    monkeypatch.setattr(pattern_cache.re, "compile", no_compiling)
    lexer = PythonLexer(stripnl=False, ensurenl=True)
    assert list(get_tokens(lexer, TEXT)) == pygments_tokens(lexer, TEXT)


def test_a_warm_process_joins_from_the_first_line(folder):
    """A one-page rebuild lexes with the joined patterns when they are kept (no slow start)."""
    pattern_cache.use(folder)
    lexer = PythonLexer(stripnl=False, ensurenl=True)
    list(get_tokens(lexer, TEXT))
    pattern_cache.save()
    fresh_process(folder)
    small = PythonLexer(stripnl=False, ensurenl=True)
    text = "x = [i for i in range(3)]  # a comment\n"
    assert list(lex(small, text)) == pygments_tokens(small, text)
    from labml_docs.fast_lexer import _FAST
    assert small in _FAST


def test_a_damaged_file_is_only_a_miss(folder):
    pattern_cache.use(folder)
    lexer = PythonLexer(stripnl=False, ensurenl=True)
    list(get_tokens(lexer, TEXT))
    pattern_cache.save()
    (path,) = folder.iterdir()
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    fresh_process(folder)
    assert not pattern_cache.warm()
    lexer = PythonLexer(stripnl=False, ensurenl=True)
    assert list(get_tokens(lexer, TEXT)) == pygments_tokens(lexer, TEXT)


def test_a_program_the_engine_refuses_is_compiled_again(folder):
    """A file with a right checksum but a program the engine refuses. (A program of another
    engine is not read at all: the file's name says which Python wrote it.)"""
    text, flags = r"(?:ab+)()|(?:c)()", 0
    right = re.compile(text, flags)
    pattern_cache.use(folder)
    body = marshal.dumps((pattern_cache._FORMAT, {
        (text, flags): (int(right.flags), b"\xff\xff\x00\x00" * 3, right.groups)}))
    folder.mkdir(parents=True)
    (folder / pattern_cache._file.name).write_bytes(hashlib.sha256(body).digest() + body)
    fresh_process(folder)
    assert pattern_cache.warm()
    made = pattern_cache.compile(text, flags)
    assert made.pattern == text and made.match("abbb").lastindex == 1
    assert made.match("c").lastindex == 2


def test_what_the_lexer_reads_of_its_rules_is_kept_too(folder):
    pattern_cache.use(folder)
    first = FastRegexLexer(PythonLexer())
    pattern_cache.save()
    fresh_process(folder)
    again = FastRegexLexer(PythonLexer())
    assert {name: [(r.first, r.piece) for r in state.rules] for name, state in first.states.items()} \
        == {name: [(r.first, r.piece) for r in state.rules] for name, state in again.states.items()}
