"""
---
title: Lexing faster, token for token
summary: Pygments' own rule tables, each state's rules joined into one regular expression.
---

# Lexing faster, token for token

A Pygments `RegexLexer` lexes by trying the rules of the current state one by one, in order,
at the current position; the first that matches gives the token (or calls a callback) and may
change the state. Each try is a Python-level call, and in Python's root state most tokens
are found only after dozens of failed tries: lexing was 41% of a build of PyTorch's tree.

A regular expression alternation `a|b|c` does the same thing inside the regex engine: at one
position it tries `a`, then `b`, then `c`, and the first alternative that matches wins with
exactly the match it would have made alone (nothing follows it in the pattern). An empty
group after each rule, `(?:a)()|(?:b)()|(?:c)()`, closes last when its rule matched, so
`m.lastindex` says which rule it was. The loop below is Pygments' own
`RegexLexer.get_tokens_unprocessed` with the inner loop over rules done by that pattern.
Rules whose action is a callback (`bygroups`, `using`) are matched again alone, so the
callback gets the very match object it expects.

Most rules cannot start with most characters (a number with a letter, a name with a
bracket), and the regex engine still enters each alternative. So each state also keeps, per
ASCII character, the pattern joined from only the rules that can start with it, found from
the parse tree of each rule; the order of the rules is kept, so the first that matches is
the same. Other characters use all the rules. On PyTorch's tree this lexes about 4-5 times
as fast as Pygments (`benchmarks/lexer_bench.py`).

The tables are read from the installed Pygments at run time, not copied: a new Pygments
version brings its own rules. What this module cannot join safely it leaves to Pygments:

* a lexer that is not a plain `RegexLexer` (its own `get_tokens_unprocessed`, an
  `ExtendedRegexLexer`, a rule that is not a compiled pattern) is lexed by Pygments itself;
* a state with a rule that refers to its own groups (`\\1`, `(?P=name)`, named groups) or is
  written in verbose mode, or whose joined pattern does not compile, tries its rules one by
  one as Pygments does.

The tests compare the token stream with Pygments' on the standard library and on PyTorch.
"""

import functools
import re
import weakref
from collections.abc import Callable, Iterable, Iterator
from operator import itemgetter
from typing import Any, NamedTuple

try:  # Python 3.11 and later
    from re import _compiler, _parser  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover
    import sre_compile as _compiler
    import sre_parse as _parser

from pygments.filter import apply_filters
from pygments.lexer import Lexer, RegexLexer
from pygments.token import Error, Whitespace, _TokenType

from . import pattern_cache

# `(position, token type, text)`, as `get_tokens_unprocessed` yields them.
Lexeme = tuple[int, Any, str]

# A leading group of global flags, `(?i)`: only allowed at the start of a pattern, so it becomes
# a group with the same flags around the rule (`(?i:...)`).
_GLOBAL_FLAGS = re.compile(r"\(\?([aiLmsux]+)\)")
_FLAG_BITS = {"a": re.ASCII, "i": re.IGNORECASE, "L": re.LOCALE, "m": re.MULTILINE,
              "s": re.DOTALL, "u": re.UNICODE, "x": re.VERBOSE}
# What could refer to a group by number or name: such a rule would see other numbers once
# joined. Over-cautious on purpose (an escaped backslash before a digit matches too).
_GROUP_REFERENCE = re.compile(r"\\[1-9]|\(\?P[=<]|\(\?\(|\(\?<(?![=!])")


class _Rule(NamedTuple):
    """One rule of a state, as Pygments processed it: `action` is a token type (`is_type`),
    a callback or None, `new_state` Pygments' transition, `match` the rule's own compiled
    pattern; `first` the ASCII characters a match can start with (None: any, or an empty
    match), `piece` the rule's pattern as an alternative of a joined pattern (None: it cannot
    be joined). A tuple: the lexing loop unpacks it for every token."""
    action: Any
    is_type: bool
    new_state: Any
    match: Callable[..., re.Match[str] | None]
    first: frozenset[str] | None
    piece: str | None


class _Joined(NamedTuple):
    """Rules joined into one pattern; `by_group` maps each rule's marker group to the rule."""
    match: Callable[..., re.Match[str] | None]
    by_group: dict[int, _Rule]


def _piece(pattern: re.Pattern[str], flags: int) -> str | None:
    """The rule's pattern as one alternative among others, or None where that is not safe."""
    text = pattern.pattern
    extra = pattern.flags & ~re.compile("", flags).flags
    lead = _GLOBAL_FLAGS.match(text)
    if lead:
        letters = lead.group(1)
        text = f"(?{letters}:{text[lead.end():]})"
        for letter in letters:
            extra &= ~_FLAG_BITS[letter]
    if (extra or pattern.flags & re.VERBOSE or pattern.groupindex
            or _GROUP_REFERENCE.search(text)):
        return None
    return text


def _join(rules: Iterable[_Rule], flags: int) -> _Joined | None:
    """The rules as one alternation (None if it does not compile as expected).

    Each rule is followed by an empty marker group: it closes after every group of the rule,
    so `m.lastindex` names the rule. (A marker in front would hide the rule's first character
    from the regex engine, which skips an alternative whose first character cannot match.)
    """
    parts = []
    by_group: dict[int, _Rule] = {}
    group = 1
    for rule in rules:
        group += rule.match.__self__.groups  # type: ignore[attr-defined]
        parts.append(f"(?:{rule.piece})()")
        by_group[group] = rule
        group += 1
    try:
        compiled = pattern_cache.compile("|".join(parts) or "(?!)", flags)
    except (re.error, RecursionError, OverflowError):
        return None
    if compiled.groups != group - 1:
        return None
    return _Joined(compiled.match, by_group)


# What a match can start with, read from the parse tree of the rule's pattern: characters
# (`LITERAL`, `IN`, ...) give their own; zero-width items (`^`, `\b`, look-arounds) and
# optional ones let the next item add its characters. Each character class is compiled
# alone with the flags in force and tried on the 128 ASCII characters, so case-insensitive
# rules come out right. Anything else makes the rule a candidate for every character.
_ASCII = [chr(i) for i in range(128)]
_ATOMS = {_parser.LITERAL, _parser.NOT_LITERAL, _parser.IN, _parser.ANY}
_ZERO_WIDTH = {_parser.AT, _parser.ASSERT, _parser.ASSERT_NOT}
_REPEATS = {_parser.MAX_REPEAT, _parser.MIN_REPEAT,
            getattr(_parser, "POSSESSIVE_REPEAT", _parser.MAX_REPEAT)}


class _Unknown(Exception):
    pass


def _first_chars(pattern: re.Pattern[str]) -> frozenset[str] | None:
    """The ASCII characters a match of `pattern` can start with; None when it can match the
    empty string or the pattern holds what this reading does not know."""
    try:
        tree = _parser.parse(pattern.pattern, pattern.flags)
        chars, nullable = _first(tree, tree.state.flags)
    except (_Unknown, re.error, RecursionError, TypeError, ValueError, AttributeError):
        return None
    return None if nullable else frozenset(chars)


def _first(items: Any, flags: int) -> tuple[set[str], bool]:
    """First characters of a sequence, and whether all of it can match nothing."""
    chars: set[str] = set()
    for op, av in items:
        item, nullable = _first_item(op, av, flags)
        chars |= item
        if not nullable:
            return chars, False
    return chars, True


def _first_item(op: Any, av: Any, flags: int) -> tuple[set[str], bool]:
    if op in _ATOMS:
        return _atom_chars(op, av, flags), False
    if op in _ZERO_WIDTH:
        return set(), True
    if op is _parser.SUBPATTERN:
        _, add, remove, sub = av
        return _first(sub, (flags | add) & ~remove)
    if op is _parser.BRANCH:
        chars: set[str] = set()
        nullable = False
        for sub in av[1]:
            more, empty = _first(sub, flags)
            chars |= more
            nullable = nullable or empty
        return chars, nullable
    if op in _REPEATS:
        low, _, sub = av
        chars, nullable = _first(sub, flags)
        return chars, nullable or low == 0
    if op is getattr(_parser, "ATOMIC_GROUP", None):
        return _first(av, flags)
    raise _Unknown(op)


def _atom_chars(op: Any, av: Any, flags: int) -> set[str]:
    state = _parser.State()
    state.flags = flags
    alone = _compiler.compile(_parser.SubPattern(state, [(op, av)]), flags)
    return {c for c in _ASCII if alone.fullmatch(c)}


class _State:
    """A state's rules, joined lazily: `full` all of them, `for_char` those that can start
    with a character. `by_char` is None when they are tried in turn, as Pygments does."""

    def __init__(self, rules: tuple[_Rule, ...], flags: int, cache: dict):
        self.rules = rules
        self.flags = flags
        self._cache = cache
        joinable = all(rule.piece is not None for rule in rules)
        self.by_char: dict[str, _Joined] | None = {} if joinable else None

    def _joined(self, subset: tuple[_Rule, ...]) -> _Joined | None:
        # Shared by the states of a lexer: many include the same rules.
        key = (subset, self.flags)
        if key not in self._cache:
            self._cache[key] = _join(subset, self.flags)
        joined = self._cache[key]
        if joined is None:
            self.by_char = None
        return joined

    def full(self) -> _Joined | None:
        return self._joined(self.rules)

    def for_char(self, char: str) -> _Joined | None:
        if char < "\x80":
            joined = self._joined(tuple(r for r in self.rules
                                        if r.first is None or char in r.first))
        else:
            joined = self.full()
        if joined is not None and self.by_char is not None:
            self.by_char[char] = joined
        return joined


def _read_rule(pattern: re.Pattern[str], flags: int) -> tuple[frozenset[str] | None, str | None]:
    return _first_chars(pattern), _piece(pattern, flags)


class FastRegexLexer:
    """Lexes as `lexer.get_tokens_unprocessed` does, with each state's rules joined."""

    def __init__(self, lexer: RegexLexer):
        self.lexer = lexer
        self.states: dict[str, _State] = {}
        cache: dict = {}
        # Per pattern: what it can start with, and its piece of a joined pattern.
        seen: dict[re.Pattern[str], tuple[frozenset[str] | None, str | None]] = {}
        for name, tokendefs in lexer._tokens.items():
            rules = []
            for match, action, new_state in tokendefs:
                pattern = match.__self__
                if pattern not in seen:
                    seen[pattern] = pattern_cache.fact(
                        ("rule", pattern.pattern, int(pattern.flags), int(lexer.flags)),
                        functools.partial(_read_rule, pattern, lexer.flags))
                rules.append(_Rule(action, type(action) is _TokenType, new_state, match,
                                   *seen[pattern]))
            self.states[name] = _State(tuple(rules), lexer.flags, cache)

    def tokens(self, text: str, stack: Iterable[str] = ("root",)) -> Iterator[Lexeme]:
        """`(position, type, text)` of every token: Pygments' loop, rule for rule."""
        lexer = self.lexer
        states = self.states
        end = len(text)
        pos = 0
        statestack = list(stack)
        state = states[statestack[-1]]
        by_char = state.by_char
        while True:
            m: re.Match[str] | None = None
            if by_char is not None:
                # Only the rules that can start with this character: the first of them
                # that matches is the first of all rules that matches.
                if pos < end:
                    char = text[pos]
                    joined = by_char.get(char) or state.for_char(char)
                else:
                    joined = state.full()
                if joined is None:
                    # The joined pattern did not compile: this state tries its rules in turn.
                    by_char = None
                    continue
                match, by_group = joined
                m = match(text, pos)
                if m is not None:
                    action, is_type, new_state, own, _, _ = by_group[m.lastindex]  # type: ignore[index]
            else:
                for rule in state.rules:
                    m = rule.match(text, pos)
                    if m is not None:
                        action, is_type, new_state, own, _, _ = rule
                        break
            if m is None:
                # No rule matched: Pygments goes back to the root state at a line end and
                # marks any other character an error.
                if pos >= end:
                    break
                if text[pos] == "\n":
                    statestack = ["root"]
                    state = states["root"]
                    by_char = state.by_char
                    yield pos, Whitespace, "\n"
                else:
                    yield pos, Error, text[pos]
                pos += 1
                continue
            if is_type:
                yield pos, action, m.group()
            elif action is not None:
                # A callback reads the groups of the rule's own match.
                yield from action(lexer, own(text, pos))
            pos = m.end()
            if new_state is not None:
                if isinstance(new_state, tuple):
                    for name in new_state:
                        if name == "#pop":
                            if len(statestack) > 1:
                                statestack.pop()
                        elif name == "#push":
                            statestack.append(statestack[-1])
                        else:
                            statestack.append(name)
                elif isinstance(new_state, int):
                    # Pop, but keep at least one state on the stack.
                    if abs(new_state) >= len(statestack):
                        del statestack[1:]
                    else:
                        del statestack[new_state:]
                elif new_state == "#push":
                    statestack.append(statestack[-1])
                else:
                    raise AssertionError(f"wrong state def: {new_state!r}")
                state = states[statestack[-1]]
                by_char = state.by_char


def _plain_regex_lexer(lexer: Lexer) -> bool:
    """A `RegexLexer` that lexes with the stock loop and compiled patterns only."""
    if not isinstance(lexer, RegexLexer):
        return False
    kind = type(lexer)
    if (kind.get_tokens_unprocessed is not RegexLexer.get_tokens_unprocessed
            or kind.get_tokens is not Lexer.get_tokens
            or kind._preprocess_lexer_input is not Lexer._preprocess_lexer_input):
        return False
    tokens = getattr(lexer, "_tokens", None)
    if not isinstance(tokens, dict) or "root" not in tokens:
        return False
    return all(isinstance(getattr(match, "__self__", None), re.Pattern)
               and getattr(match, "__name__", "") == "match"
               and isinstance(match.__self__.pattern, str)
               for rules in tokens.values() for match, _, _ in rules)


# One accelerator per lexer object (None: Pygments lexes it itself).
_FAST: "weakref.WeakKeyDictionary[Lexer, FastRegexLexer | None]" = weakref.WeakKeyDictionary()


def accelerator(lexer: Lexer) -> FastRegexLexer | None:
    try:
        return _FAST[lexer]
    except KeyError:
        fast = FastRegexLexer(lexer) if _plain_regex_lexer(lexer) else None
        _FAST[lexer] = fast
        return fast


def get_tokens(lexer: Lexer, text: str) -> Iterator[tuple[Any, str]]:
    """`(type, text)` pairs, the same as `lexer.get_tokens(text)` gives."""
    fast = accelerator(lexer)
    if fast is None:
        return iter(lexer.get_tokens(text))
    # Pygments' own preparation of the text: BOM, newlines, tabs, `stripnl`, `ensurenl`.
    text = lexer._preprocess_lexer_input(text)
    stream: Iterator[tuple[Any, str]] = map(_TYPE_AND_TEXT, fast.tokens(text))
    if lexer.filters:
        stream = apply_filters(stream, lexer.filters, lexer)
    return stream


_TYPE_AND_TEXT = itemgetter(1, 2)


# ## Paying for the joined patterns only when they pay back
#
# Joining costs regex compiling: about 0.25 s in each process for Python's states, more than
# Pygments takes to lex a file of a few thousand lines. A build that renders one edited page
# (or a worker given a few small files) would pay it for nothing. So each process lexes its
# first `SLOW_START` characters with Pygments, and joins once it has lexed that much: the
# break-even point of the two costs (Pygments lexes about 1 MB/s here, the joined patterns
# 4-5 MB/s). The tokens are the same either way. A build that knows it has much to lex says
# so (`expect`), and its processes join from the start. And once patterns are kept in the
# cache ([`pattern_cache`](pattern_cache.py)), joining costs almost nothing: every process
# joins from its first line.

SLOW_START = 256 * 1024
_lexed_slowly: "weakref.WeakKeyDictionary[Lexer, int]" = weakref.WeakKeyDictionary()


def expect(lexer: Lexer, characters: int) -> None:
    """This process (and those it forks from now on) will lex about `characters` characters
    with `lexer`: past `SLOW_START`, it joins the patterns at once."""
    if characters >= SLOW_START:
        _lexed_slowly[lexer] = max(_lexed_slowly.get(lexer, 0), SLOW_START)


def lex(lexer: Lexer, text: str) -> Iterator[tuple[Any, str]]:
    """`get_tokens(lexer, text)`, by Pygments itself until this process has lexed
    `SLOW_START` characters with `lexer`, unless joined patterns were kept on this machine
    (see [`pattern_cache`](pattern_cache.py)): then they are at hand from the start."""
    done = _lexed_slowly.get(lexer, 0)
    if done < SLOW_START and lexer not in _FAST and not pattern_cache.warm():
        _lexed_slowly[lexer] = done + len(text)
        return iter(lexer.get_tokens(text))
    return get_tokens(lexer, text)


__all__ = ["SLOW_START", "FastRegexLexer", "accelerator", "expect", "get_tokens", "lex"]
