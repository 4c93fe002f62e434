"""Highlighting: our lexer gives Pygments' token stream, token for token; lines and HTML.

The whole standard library and the whole of torch take minutes to lex twice, so the tests
take a fixed sample of their files (by a hash of the path: the same files on every machine);
`benchmarks/lexer_bench.py` compares every file of a tree.
"""

import importlib.util
import re
import sysconfig
import zlib
from pathlib import Path

import pytest
from pygments.lexer import RegexLexer, bygroups, default, include
from pygments.lexers import PythonConsoleLexer, PythonLexer, get_lexer_by_name
from pygments.token import Comment, Keyword, Name, Punctuation, String, Text

from labml_docs.fast_lexer import _FAST, SLOW_START, accelerator, expect, get_tokens, lex
from labml_docs.highlight import FileHighlighter, format_line, highlight_block, lex_lines

LEXER = PythonLexer(stripnl=False, ensurenl=True)


def pygments_tokens(lexer, text):
    return list(lexer.get_tokens(text))


def assert_same_tokens(text, lexer=LEXER):
    assert list(get_tokens(lexer, text)) == pygments_tokens(lexer, text)


EDGE_CASES = {
    "empty": "",
    "no final newline": "x = 1",
    "only newlines": "\n\n\n",
    "crlf": 'def f(x):\r\n    """Doc\r\n    string."""\r\n    return x\r\n',
    "lone cr": "a = 1\rb = 2\r",
    "bom": "\ufeffimport os\n",
    "tabs": "if x:\n\treturn\t1  # tab\n",
    "f-strings": 'f"{x!r:>{width}} {{literal}} {y=}"\nF\'{a["k"]}\'\nrf"\\d{n}"\nfr\'{x}\\n\'\n',
    "nested f-strings": 'f"{f"{f\'{x}\'}"}"\nf"""{\n  x + f"{y}"\n}"""\n',
    "t-strings": 't"{name}"\nTR"{x}"\n',
    "triple quoted": "'''a\n'b'\n'''\n\"\"\"x\n\"\"\"\nu'''u'''\n",
    "decorators": "@property\n@functools.lru_cache(maxsize=None)\n@ x . y\ndef f(): ...\n",
    "unicode identifiers": "αβγ = 1\nπ_2 = αβγ * 2\nclass Σ: pass\ndef ƒ(ñ): return ñ\n",
    "non-ascii first": "ñ=1;∑=2;'é';\"\u212a\"\n",
    "bytes": "b'\\x00\\n'\nB\"\"\"\\xff\n\"\"\"\nrb'\\d'\nBR\"\\w\"\n",
    "line continuations": "x = 1 + \\\n    2\nif a and \\\n   b:\n    pass\n\\\n",
    "unterminated single": "s = 'abc\nt = 2\n",
    "unterminated triple": 's = """abc\n\nnever closed\n',
    "unterminated f-string": 'f"{x\ny = 3\n',
    "errors": "x = $y ? `z`\n!\n",
    "numbers": "0x_ff 0o17 0b1_0 1_000.5e-3j 1. .5 1e10 07 0_0\n",
    "soft keywords": "match x:\n    case [1, *rest] if rest:\n        pass\nmatch = 1\ncase(2)\n",
    "lazy imports": "lazy import os\nlazy from a import b\nfrom . import (c,\n  d)\n",
    "string formatting": "'%(name)s %5.2f %%' % d\n'{0!r:>10} {a.b[c]}'.format(x)\n",
    "escapes": "'\\N{BULLET} \\u00e9 \\U0001F600 \\x41 \\101 \\q'\n",
    "hashbang": "#!/usr/bin/env python\n# -*- coding: utf-8 -*-\n",
    "async": "async def f():\n    async for x in y:\n        await z\n    async with a as b: ...\n",
    "type hints": "def f(x: list[int] | None = None, *a, **k) -> dict[str, 'T']: ...\n",
    "walrus and ops": "if (n := len(a)) > 10: x @= y; z //= 2; w **= 3; v != u\n",
    "magic names": "__init__ __name__ __all__ self cls Ellipsis NotImplemented ValueError\n",
    "import as": "import torch.nn as nn, numpy as np\nfrom x.y import (a as b, c)\n",
}


@pytest.mark.parametrize("name", sorted(EDGE_CASES))
def test_edge_cases_lex_like_pygments(name):
    assert_same_tokens(EDGE_CASES[name])


def test_every_state_of_the_python_lexer_is_joined():
    fast = accelerator(LEXER)
    assert fast is not None
    assert [name for name, state in fast.states.items() if state.by_char is None] == []


def sample(root: Path, one_in: int) -> list[Path]:
    """About one file in `one_in` under `root`, chosen by a hash of its relative path."""
    skip = {"site-packages", "dist-packages", "__pycache__"}
    return sorted(p for p in root.rglob("*.py")
                  if p.is_file() and not skip.intersection(p.relative_to(root).parts)
                  and zlib.crc32(p.relative_to(root).as_posix().encode()) % one_in == 0)


def read(path: Path) -> str:
    return path.read_bytes().decode("utf-8", "replace")


def assert_tree_lexes_like_pygments(files):
    assert len(files) > 20
    differ = [str(p) for p in files if list(get_tokens(LEXER, read(p))) !=
              pygments_tokens(LEXER, read(p))]
    assert differ == []


def test_standard_library_lexes_like_pygments():
    assert_tree_lexes_like_pygments(sample(Path(sysconfig.get_paths()["stdlib"]), 25))


def test_torch_lexes_like_pygments():
    spec = importlib.util.find_spec("torch")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("torch is not installed")
    assert_tree_lexes_like_pygments(sample(Path(list(spec.submodule_search_locations)[0]), 25))


# Other languages of fenced code blocks go through the same lexer path.
OTHER_LANGUAGES = {
    "bash": 'for f in *.py; do echo "$f" | sed -e \'s/a/b/\' > "${f%.py}.txt"; done\n',
    "json": '{"a": [1, 2.5e3, true, null], "b": {"c": "d\\n"}}\n',
    "yaml": "site_name: x\nnav:\n  - Home: index.md\n  - 'quoted': 1.5\n# comment\n",
    "c": '#include <stdio.h>\nint main(void) { printf("%d\\n", 1 << 3); return 0; }\n',
    "javascript": "const f = (a) => `t ${a}`; /re+gex/g.test(s); // c\n",
    "html": '<div class="a">&amp; <b>x</b><!-- c --></div>\n<script>var x = 1;</script>\n',
    "toml": '[tool.x]\nname = "a"\nlist = [1, 2]\n',
    "diff": "--- a\n+++ b\n@@ -1 +1 @@\n-old\n+new\n",
    "latex": "\\begin{align} x &= \\frac{a}{b} \\\\ y \\end{align} % c\n",
    "markdown": "# Title\n\n* item `code`\n\n```python\nx = 1\n```\n",
    "ini": "[section]\nkey = value ; comment\n",
    "cpp": "template <class T> struct A { T x; }; // c\n",
}


@pytest.mark.parametrize("language", sorted(OTHER_LANGUAGES))
def test_other_languages_lex_like_pygments(language):
    lexer = get_lexer_by_name(language, stripnl=False, ensurenl=True)
    text = OTHER_LANGUAGES[language]
    assert_same_tokens(text + EDGE_CASES["f-strings"] + text.replace("\n", "\r\n"), lexer)


def test_a_lexer_with_its_own_loop_is_left_to_pygments():
    lexer = PythonConsoleLexer()
    assert accelerator(lexer) is None
    text = ">>> x = 1\n>>> print(x)\n1\n"
    assert list(get_tokens(lexer, text)) == pygments_tokens(lexer, text)


class Backreferences(RegexLexer):
    """Rules the accelerator cannot join (a group reference, verbose mode) sit in states
    that are tried rule by rule; the others are joined."""
    tokens = {
        "root": [
            (r"(['\"])(.*?)(\1)", bygroups(Punctuation, String, Punctuation)),
            (r"\s+", Text),
            include("words"),
            (r"\(", Punctuation, "inner"),
            (r".", Text),
        ],
        "words": [
            (r"(?i)\u212a\w*", Keyword),     # the Kelvin sign matches k and K ignoring case
            (r"[a-z]\w*", Name),
        ],
        "inner": [
            (r"""(?x) [0-9]+  # digits""", Name.Constant),
            (r"\)", Punctuation, "#pop"),
            (r"#.*$", Comment),
            default("#pop"),
        ],
    }


def test_states_that_cannot_be_joined_are_tried_rule_by_rule():
    lexer = Backreferences(stripnl=False, ensurenl=True)
    fast = accelerator(lexer)
    assert fast is not None
    assert fast.states["root"].by_char is None and fast.states["inner"].by_char is None
    assert fast.states["words"].by_char is not None
    text = "'a' \"b\" kelvin Kelvin \u212a x (12 # c\n) (x) 'unclosed\n"
    assert_same_tokens(text, lexer)


class Kelvin(RegexLexer):
    tokens = {"root": [(r"(?i)\u212a\w*", Keyword), (r"\w+", Name), (r"\s+", Text)]}


def test_first_characters_follow_the_regex_engine_case_rules():
    # The Kelvin sign ignoring case starts a match at ASCII k and K: the dispatch on the
    # first character must know it.
    lexer = Kelvin(stripnl=False, ensurenl=True)
    assert accelerator(lexer).states["root"].by_char is not None
    tokens = list(get_tokens(lexer, "kilo Kilo \u212a mega\n"))
    assert tokens == pygments_tokens(lexer, "kilo Kilo \u212a mega\n")
    assert tokens[0] == (Keyword, "kilo")


def test_lines_are_the_cut_token_stream():
    text = EDGE_CASES["triple quoted"] + EDGE_CASES["crlf"]
    lines = lex_lines(text)
    expected: list[list] = [[]]
    for ttype, value in LEXER.get_tokens(text):
        for i, part in enumerate(value.split("\n")):
            if i:
                expected.append([])
            if part:
                column = sum(len(t) for _, t, _ in expected[-1])
                expected[-1].append((ttype, part, column))
    assert lines == expected


def test_format_line_escapes_and_links_names():
    (line, *_) = lex_lines("a < b & c > d  # <tag>\n")
    html = format_line(line, 3, {(3, 0): "x.html#a"})
    assert html.startswith('<a class="xref" href="x.html#a"><span class="n">a</span></a>')
    assert "&lt;" in html and "&amp;" in html and "&gt;" in html
    assert '<span class="c1"># &lt;tag&gt;</span>' in html
    assert re.fullmatch(r"(<[^>]+>|[^<>]+)*", html)


def test_file_highlighter_numbers_lines():
    highlighter = FileHighlighter("x = 1\n\ny = 'a'\n")
    html = highlighter.section([(1, "x = 1"), (3, "y = 'a'")])
    assert html.startswith('<div class="highlight"><pre><span class="lineno">1</span>')
    assert '<span class="lineno">3</span><span class="n">y</span>' in html


def test_highlight_block_drops_trailing_blank_lines():
    assert highlight_block("x\n\n\n").endswith('<span class="n">x</span></pre></div>')


def test_a_process_joins_the_patterns_only_once_it_has_lexed_enough():
    """A one-file rebuild does not pay for joining (regex compiling costs more than Pygments
    takes on a small file); the tokens are Pygments' on both sides of the switch."""
    lexer = PythonLexer(stripnl=False, ensurenl=True)  # a lexer of its own: counted from 0
    text = 'def f(x):\n    """A note with $x$."""\n    return x + 1  # a comment\n'
    lexed = 0
    while lexed < SLOW_START:
        assert list(lex(lexer, text)) == pygments_tokens(lexer, text)
        assert lexer not in _FAST  # not set up yet
        lexed += len(text) * 200
        list(lex(lexer, text * 200))
    assert list(lex(lexer, text)) == pygments_tokens(lexer, text)
    assert accelerator(lexer) is not None and lexer in _FAST


def test_a_build_that_expects_much_to_lex_joins_at_once():
    """A cold build of a big tree says how much it will lex: no slow start then; a small
    rebuild does not say it, and keeps it."""
    small, big = (PythonLexer(stripnl=False, ensurenl=True) for _ in range(2))
    text = "x = [i for i in range(3)]  # a comment\n"
    expect(small, SLOW_START - 1)
    expect(big, SLOW_START)
    assert list(lex(small, text)) == pygments_tokens(small, text)
    assert list(lex(big, text)) == pygments_tokens(big, text)
    assert small not in _FAST and big in _FAST
