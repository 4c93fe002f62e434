"""The section rules of the parser, each on a small source, and a property over many."""

import ast
import textwrap

import pytest
from hypothesis import given, settings, strategies as st

from labml_docs.parse import parse_markdown, parse_python


def parse(src: str, path: str = "pkg/mod.py"):
    return parse_python(textwrap.dedent(src).lstrip("\n"), path)


def numbers(section):
    return [n for n, _ in section.code]


def test_module_docstring_is_first_section_with_the_code_after_it():
    page = parse('''
        """
        # Title

        About the module.
        """

        import torch
        from torch import nn
    ''')
    first = page.sections[0]
    assert first.kind == "docstring"
    assert first.docs == "# Title\n\nAbout the module."
    assert first.code == [(7, "import torch"), (8, "from torch import nn")]


def test_class_docstring_pairs_with_the_class_line_and_body_starts_a_new_section():
    page = parse('''
        import torch


        class Adam(torch.optim.Optimizer):
            """
            ## Adam
            """

            def step(self):
                return 1
    ''')
    kinds = [s.kind for s in page.sections]
    assert kinds == ["code", "docstring", "code"]
    assert page.sections[1].code == [(4, "class Adam(torch.optim.Optimizer):")]
    assert page.sections[1].docs == "## Adam"
    # No comment precedes the body: its section has no notes but is kept.
    assert page.sections[2].docs == ""
    assert numbers(page.sections[2]) == [9, 10]


def test_function_docstring_takes_the_whole_signature_and_decorators():
    page = parse('''
        @torch.no_grad()
        def step(self,
                 closure=None):
            """Take one step."""
            loss = None
            return loss
    ''')
    doc = page.sections[0]
    assert doc.docs == "Take one step."
    assert numbers(doc) == [1, 2, 3]
    assert numbers(page.sections[1]) == [5, 6]


def test_comment_run_is_a_new_section_with_the_code_that_follows():
    page = parse('''
        x = 1
        # First note,
        # on two lines.
        y = 2
        z = 3

        # Second note
        w = 4
    ''')
    assert [s.docs for s in page.sections] == ["", "First note,\non two lines.", "Second note"]
    assert [s.kind for s in page.sections] == ["code", "comment", "comment"]
    assert numbers(page.sections[1]) == [4, 5]
    assert numbers(page.sections[2]) == [8]


def test_comment_run_ends_at_a_docstring():
    page = parse('''
        # Note about f
        def f():
            """Doc of f."""
            return 1
    ''')
    assert page.sections[0].docs == "Note about f"
    assert page.sections[0].code == []
    assert page.sections[1].docs == "Doc of f."
    assert numbers(page.sections[1]) == [2]


def test_end_of_line_comments_stay_in_the_code():
    page = parse('''
        # Note
        x = 1  # one
    ''')
    assert page.sections[0].code == [(2, "x = 1  # one")]


def test_blank_lines_at_edges_are_hidden_inside_are_shown_and_numbers_are_kept():
    page = parse('''
        # Note


        a = 1

        b = 2


        # Next
        c = 3
    ''')
    assert numbers(page.sections[0]) == [4, 5, 6]
    assert page.sections[0].code[1] == (5, "")


def test_comment_keeps_relative_indentation_for_markdown():
    page = parse('''
        # * item
        #   continued
        #
        #     code block
        x = 1
    ''')
    assert page.sections[0].docs == "* item\n  continued\n\n    code block"


def test_docstrings_are_read_from_the_raw_text():
    page = parse('''
        def f():
            """
            $\\alpha + \\frac{1}{2} \\theta$ and \\begin{align} a \\\\ b \\end{align}
            """
    ''')
    # The file holds single backslashes (not a raw string): Python would have made control
    # characters of \\a, \\f, \\t and \\b.
    assert page.sections[0].docs == r"$\alpha + \frac{1}{2} \theta$ and \begin{align} a \\ b \end{align}"


def test_docs_line_points_at_the_first_line_of_notes():
    page = parse('''
        """
        ---
        title: T
        ---

        # Heading
        """
        x = 1
        def f():
            """

            Text of f.
            """
    ''')
    assert page.sections[0].docs_line == 6
    assert page.sections[0].docs.startswith("# Heading")
    assert page.sections[1].docs_line == 12


def test_front_matter_is_hidden_and_feeds_title_and_summary():
    page = parse('''
        """
        ---
        title: AMSGrad Optimizer
        summary: >
          A tutorial of AMSGrad,
          with an experiment.
        ---

        # AMSGrad
        """
    ''')
    assert page.title == "AMSGrad Optimizer"
    assert page.summary == "A tutorial of AMSGrad, with an experiment."
    assert "---" not in page.sections[0].docs
    assert page.sections[0].docs == "# AMSGrad"


def test_title_falls_back_to_first_heading_then_file_name():
    assert parse('"""\n## Heading Two\n"""\n').title == "Heading Two"
    assert parse('"""\n# [Optimizers](__init__.py) in `torch`\n"""\n').title == "Optimizers in torch"
    assert parse("x = 1\n", "pkg/plain.py").title == "plain.py"


def test_bad_front_matter_gives_a_line_and_keeps_the_page():
    page = parse('''
        """
        ---
        title: [unclosed
        ---

        # Still here
        """
        x = 1
    ''')
    assert page.diagnostics and page.diagnostics[0].line in (2, 3, 4)
    assert "front matter" in page.diagnostics[0].message
    assert page.sections[0].docs == "# Still here"


def test_syntax_error_is_reported_with_its_line():
    page = parse("x = 1\ndef f(:\n    pass\n")
    assert [(d.line, d.level) for d in page.diagnostics] == [(2, "error")]
    assert "syntax error" in page.diagnostics[0].message


# Trees too deep for Python to build: a `RecursionError` (Python 3.11 and later: 3.10 builds
# it), and a `MemoryError` ("too complex", every version).
DEEP = "x = 1" + " + 1" * 10_000
UNARY = "x = " + "-" * 100_000 + "1"
# A long statement that is not deep, to mislead a guess by length alone.
WIDE = "table = [" + "1 + 1, " * 5000 + "]"


def python_builds(source: str) -> bool:
    try:
        ast.parse(source)
    except (RecursionError, MemoryError):
        return False
    return True


recursion_error = pytest.mark.skipif(python_builds(DEEP), reason="this Python builds it")


@pytest.mark.parametrize("source, line", [
    pytest.param('"""Deep."""\nimport os\n\n\ndef f():\n    ' + DEEP + "\n    return x\n", 6,
                 marks=recursion_error),
    (WIDE + "\n" + UNARY + "\n", 2),
    pytest.param("if True:\n    " + WIDE + "\n    if " + DEEP[4:] + ":\n        pass\n", 3,
                 marks=recursion_error),
])
def test_an_expression_too_deep_for_python_is_a_syntax_error_on_its_line(source, line):
    page = parse_python(source, "deep.py")
    [problem] = page.diagnostics
    assert (problem.path, problem.line, problem.level) == ("deep.py", line, "error")
    assert problem.message.startswith("syntax error: nested too deeply for Python (")
    assert page.sections == []


def test_a_deep_expression_that_python_can_build_is_parsed():
    page = parse_python("x = 1" + " + 1" * 1500 + "\n", "wide.py")
    assert page.diagnostics == [] and len(page.sections) == 1


def test_empty_file_is_a_warning():
    page = parse("")
    assert page.sections == []
    assert page.diagnostics[0].level == "warning"


def test_shebang_and_encoding_are_not_notes():
    page = parse("#!/usr/bin/env python\n# -*- coding: utf-8 -*-\nx = 1\n")
    assert [s.docs for s in page.sections] == [""]
    assert numbers(page.sections[0]) == [3]


def test_docstring_sharing_a_line_with_code_stays_in_the_code():
    page = parse('def f(): """inline"""\n')
    assert page.sections[0].code == [(1, 'def f(): """inline"""')]


def test_readme_is_one_section_of_notes():
    page = parse_markdown("---\ntitle: Optimizers\n---\n\n# Heading\n\nText $x$.\n", "opt/readme.md")
    assert page.title == "Optimizers"
    assert [(s.kind, s.docs, s.docs_line) for s in page.sections] == [
        ("markdown", "# Heading\n\nText $x$.", 5)]


# ## Property: no line is lost or reordered

_statement = st.sampled_from([
    "x = 1", "y = x + 2  # trailing", "print(x)", "for i in range(3):\n    x += i",
    "if x:\n    pass\nelse:\n    y = 3",
])
_comment = st.lists(st.sampled_from(["# note", "# $a_1, b_2$", "#", "#   indented"]),
                    min_size=1, max_size=3).map("\n".join)
_blank = st.just("")


@st.composite
def _function(draw):
    name = draw(st.sampled_from(["f", "g", "step"]))
    doc = draw(st.sampled_from(['    """One line."""', '    """\n    Many\n\n    lines $x$.\n    """', None]))
    body = draw(st.lists(st.sampled_from(["    return 1", "    # inner\n    a = 2", "", "    b = 3"]),
                         min_size=1, max_size=4))
    lines = [f"def {name}(a,\n      b=1):"] + ([doc] if doc else []) + body + ["    pass"]
    return "\n".join(lines)


@st.composite
def _class(draw):
    doc = draw(st.sampled_from(['    """Class doc."""', None]))
    method = draw(_function()).replace("\n", "\n    ")
    return "\n".join(["class C:"] + ([doc] if doc else []) + ["    " + method])


_source = st.tuples(
    st.sampled_from(['"""\nModule.\n"""', '"""Short."""', "", '"""\n---\ntitle: T\n---\n# H\n"""']),
    st.lists(st.one_of(_statement, _comment, _blank, _function(), _class()), max_size=12),
).map(lambda t: "\n".join([t[0]] + t[1]) + "\n")


@settings(max_examples=300, deadline=None)
@given(_source)
def test_every_line_is_shown_once_or_hidden_in_order(source):
    ast.parse(source)  # the strategy only makes valid Python
    page = parse_python(source, "pkg/gen.py")
    lines = source.split("\n")
    shown = [n for s in page.sections for n, _ in s.code]
    assert shown == sorted(set(shown)), "a line is repeated or out of order"
    for number, text in ((n, t) for s in page.sections for n, t in s.code):
        assert lines[number - 1] == text
    docstring_lines = set()
    tree = ast.parse(source)
    for node in [tree] + [n for n in ast.walk(tree)
                          if isinstance(n, (ast.FunctionDef, ast.ClassDef))]:
        body = node.body
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                and isinstance(body[0].value.value, str):
            docstring_lines.update(range(body[0].lineno, body[0].end_lineno + 1))
    for number, text in enumerate(lines[:-1], start=1):
        if not text.strip():
            continue  # blank lines are shown inside a block, hidden at its edges
        note = text.strip().startswith("#") or number in docstring_lines
        assert (number in shown) != note, f"line {number} {text!r}"


# ## Comments: the fast scanner agrees with `tokenize`

def _tokenize_comments(source: str) -> dict[int, str]:
    import io
    import tokenize
    return {tok.start[0]: tok.string
            for tok in tokenize.generate_tokens(io.StringIO(source).readline)
            if tok.type == tokenize.COMMENT and not tok.line[: tok.start[1]].strip()}


_tricky = st.sampled_from([
    "x = '# not a comment'", 's = """\n# inside\n"""', "t = '''a\n  # inside ' '' \n'''",
    "u = 'it\\'s # no'", 'v = "q\\"# no"', "w = r'\\\\'  # yes", "f = f'{x}#'",
    "y = [\n    # in brackets\n    1,\n]", "z = '''\\'''' # after", "# plain", "    # indented",
    "a = 1  # trailing", "b = '\\\\' # after escaped backslash", 'c = """x"""# tight',
    "d = (\n  'a'  # part\n  'b'\n)", "e = \\\n    2",
])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(_tricky, _statement, _comment), max_size=12).map("\n".join))
def test_comment_scanner_agrees_with_tokenize(source):
    from labml_docs.parse import full_line_comments
    ast.parse(source)
    assert full_line_comments(source) == _tokenize_comments(source)


def test_comment_scanner_agrees_with_tokenize_on_this_repository():
    from pathlib import Path
    from labml_docs.parse import full_line_comments
    root = Path(__file__).resolve().parents[1]
    files = [p for folder in ("labml_docs", "src", "tests", "benchmarks") for p in (root / folder).rglob("*.py")]
    assert len(files) > 20
    for path in files:
        source = path.read_text(encoding="utf-8")
        assert full_line_comments(source) == _tokenize_comments(source), path
