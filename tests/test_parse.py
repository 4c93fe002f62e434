"""The section rules of the parser, each on a small source, and a property over many."""

import ast
import itertools
import textwrap

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


# ## The section rules of nn.labml.ai, one by one
#
# Read off the published site; a page must keep its anchors (`amsgrad.html#section-7`) when its
# tree moves to this generator. `shape` shows a page as `(kind, docs, shown line numbers)`.

def shape(page):
    return [(s.kind, s.docs, numbers(s)) for s in page.sections]


def test_rule_0_a_comment_alone_in_brackets_is_a_comment_line():
    page = parse('''
        total = sum([
            1,
            # the second term
            2,
        ])
    ''')
    assert shape(page) == [("code", "", [1, 2]), ("comment", "the second term", [4, 5])]


def test_rule_0_a_shebang_is_a_blank_line_not_a_note():
    page = parse('''
        #!/usr/bin/env python
        # Note
        x = 1
    ''')
    # The shebang opened no run: the note is the second line alone.
    assert shape(page) == [("comment", "Note", [3])]
    assert page.sections[0].docs_line == 2


def test_rule_0_a_shebang_counts_as_a_line_before_a_definition():
    # The definition splits from the section that holds the shebang, which is then dropped as
    # empty (rule 6): no note, no empty section.
    page = parse('''
        #!/usr/bin/env python
        def f():
            return 1
    ''')
    assert shape(page) == [("code", "", [2, 3])]


def test_rule_1_module_docstring_keeps_the_code_after_it():
    page = parse('''
        """Module doc"""
        import os

        def f():
            pass
    ''')
    assert shape(page) == [("docstring", "Module doc", [2]), ("code", "", [4, 5])]


def test_rule_2_a_blank_line_ends_a_run_so_two_runs_make_two_sections():
    page = parse('''
        # First

        # Second
        x = 1
    ''')
    assert shape(page) == [("comment", "First", []), ("comment", "Second", [4])]


def test_rule_2_a_bare_hash_starts_a_section_with_no_note():
    page = parse('''
        x = 1
        #
        y = 2
    ''')
    assert shape(page) == [("code", "", [1]), ("comment", "", [3])]


def test_rule_3_the_docstring_is_the_note_of_the_section_that_holds_its_def():
    page = parse('''
        x = 1
        def f():
            """F doc"""
            return 1
    ''')
    assert shape(page) == [("code", "", [1]), ("docstring", "F doc", [2]), ("code", "", [4])]


def test_rule_3_a_comment_comes_first_then_the_docstring():
    page = parse('''
        # Note about f
        def f(a,
              b):
            """
            Doc of f, $a + b$.
            """
            return 1
    ''')
    first = page.sections[0]
    assert first.kind == "docstring"
    assert numbers(first) == [2, 3]
    # Markdown reads the blank lines as one; they keep every line of the note on its source
    # line, so that a message about `$a + b$` points at line 5.
    assert first.docs.split("\n\n")[0] == "Note about f"
    assert first.docs.split() == ["Note", "about", "f", "Doc", "of", "f,", "$a", "+", "b$."]
    assert first.docs_line == 1
    assert first.docs.split("\n").index("Doc of f, $a + b$.") == 5 - first.docs_line
    assert shape(page)[1:] == [("code", "", [7])]


def test_rule_3_the_line_after_a_docstring_opens_a_section_with_no_note():
    page = parse('''
        class A:
            """A doc"""
            x = 1
            y = 2
    ''')
    assert shape(page) == [("docstring", "A doc", [1]), ("code", "", [3, 4])]


def test_rule_4_every_def_and_class_at_any_depth_splits():
    page = parse('''
        import torch

        class A:
            def f(self):
                def inner():
                    return 1
                return inner()
    ''')
    assert shape(page) == [("code", "", [1]), ("code", "", [3]), ("code", "", [4]),
                           ("code", "", [5, 6, 7])]


def test_rule_4_a_decorated_definition_splits_at_its_first_decorator():
    page = parse('''
        x = 1
        @first
        @second(
            3)
        def f():
            pass
    ''')
    assert shape(page) == [("code", "", [1]), ("code", "", [2, 3, 4, 5, 6])]


def test_rule_4a_a_def_right_after_a_comment_or_docstring_joins_its_section():
    page = parse('''
        # Note
        def f():
            pass
        class A:
            """A doc"""
            def g(self):
                pass
    ''')
    assert shape(page) == [("comment", "Note", [2, 3]), ("docstring", "A doc", [4]),
                           ("code", "", [6, 7])]


def test_rule_4a_a_blank_line_counts_so_a_comment_then_blank_then_def_is_a_note_alone():
    page = parse('''
        # Note

        def f():
            pass
    ''')
    assert shape(page) == [("comment", "Note", []), ("code", "", [3, 4])]


def test_rule_4b_a_decorated_definition_latches_until_the_next_note():
    page = parse('''
        import x

        @option(Configs.model)
        def a(c):
            return 1

        def b(c):
            return 2

        class C:
            def m(self):
                pass
        # A comment clears the latch
        def d():
            pass

        def e():
            pass
    ''')
    assert shape(page) == [
        ("code", "", [1]),
        # `b`, `C` and `m` stay with `a`: dedents and blank lines do not clear the latch.
        ("code", "", list(range(3, 13))),
        ("comment", "A comment clears the latch", [14, 15]),
        ("code", "", [17, 18]),
    ]


def test_rule_4b_a_docstring_clears_the_latch():
    page = parse('''
        @deco
        def a():
            """A doc"""
            return 1

        def b():
            return 2
    ''')
    assert shape(page) == [("docstring", "A doc", [1, 2]), ("code", "", [4]), ("code", "", [6, 7])]


def test_rule_4b_a_latched_definition_gives_its_docstring_to_the_latched_section():
    page = parse('''
        x = 1
        @deco
        def a():
            pass
        def b():
            """B doc"""
            return 2
    ''')
    assert shape(page) == [("code", "", [1]), ("docstring", "B doc", [2, 3, 4, 5]),
                           ("code", "", [7])]


def test_rule_5_blank_lines_at_the_edges_are_not_shown_those_inside_are():
    page = parse('''
        # Note


        a = 1

        b = 2


    ''')
    assert shape(page) == [("comment", "Note", [4, 5, 6])]


def test_rule_6_a_module_docstring_of_only_front_matter_gives_no_sections():
    page = parse('''
        """
        ---
        title: Only a title
        ---
        """
    ''')
    assert page.title == "Only a title"
    assert page.sections == []


def test_rule_6_a_section_of_only_blank_lines_is_dropped_not_shown_as_one_empty_line():
    # The published generator shows such a section as one empty line, numbered with the next
    # line: a bug we do not copy.
    page = parse('''
        """Module doc"""

        # Note
        x = 1
    ''')
    assert shape(page) == [("docstring", "Module doc", []), ("comment", "Note", [4])]


def test_an_empty_docstring_renumbers_nothing():
    # The published generator numbers the lines after an empty docstring one short: every
    # shown line here keeps its number in the file.
    source = 'def f():\n    """\n    """\n    return 1\n\n\ndef g():\n    return 2\n'
    page = parse_python(source, "pkg/mod.py")
    lines = source.split("\n")
    assert shape(page) == [("docstring", "", [1]), ("code", "", [4]), ("code", "", [7, 8])]
    assert all(lines[n - 1] == text for s in page.sections for n, text in s.code)


# ### The examples of the issue, exactly

def test_example_every_method_beside_its_own_note():
    page = parse('''
        import torch

        class A:
            def f(self):
                return 1

            def g(self):
                return 2
    ''')
    assert [(kind, lines) for kind, _, lines in shape(page)] == [
        ("code", [1]), ("code", [3]), ("code", [4, 5]), ("code", [7, 8])]


def test_example_the_latch():
    page = parse('''
        import x

        @deco
        def a(): pass

        def b(): pass

        class C:
            def m(self): pass
        # note
        def d(): pass
    ''')
    assert shape(page) == [("code", "", [1]), ("code", "", list(range(3, 10))),
                           ("comment", "note", [11])]


def test_example_docstrings_comments_and_an_orphan():
    page = parse('''
        """Module doc"""
        import x

        # helper
        def f():
            """F doc"""
            return 1

        # orphan

        def g():
            return 2
    ''')
    assert [(kind, docs.split(), lines) for kind, docs, lines in shape(page)] == [
        ("docstring", ["Module", "doc"], [2]),
        ("docstring", ["helper", "F", "doc"], [5]),
        ("code", [], [7]),
        ("comment", ["orphan"], []),
        ("code", [], [11, 12]),
    ]
    assert page.sections[1].docs.startswith("helper\n\n")


# ### The plain rule: every definition splits

def test_plain_rule_has_no_latch():
    source = '''
        import x

        @deco
        def a(): pass

        def b(): pass

        class C:
            def m(self): pass
        # note
        def d(): pass
    '''
    page = parse_python(textwrap.dedent(source).lstrip("\n"), "pkg/mod.py", sections="plain")
    assert shape(page) == [("code", "", [1]), ("code", "", [3, 4]), ("code", "", [6]),
                           ("code", "", [8]), ("code", "", [9]), ("comment", "note", [11])]


def test_plain_rule_still_keeps_a_definition_beside_the_note_above_it():
    source = "# Note\ndef f():\n    pass\n"
    page = parse_python(source, "pkg/mod.py", sections="plain")
    assert shape(page) == [("comment", "Note", [2, 3])]


def test_an_unknown_section_rule_is_refused():
    from labml_docs.config import SiteConfig

    with pytest.raises(ValueError, match="sections"):
        parse_python("x = 1\n", "pkg/mod.py", sections="pycco")
    # A settings file says so before the build starts.
    with pytest.raises(ValueError, match="labml-docs.yml: sections: 'pycco' is not one of labml, plain"):
        SiteConfig.from_dict({"sections": "pycco"}, where="labml-docs.yml")
    assert SiteConfig.from_dict({"sections": "plain"}).sections == "plain"


def test_the_sections_setting_reaches_the_pages(write_tree, build_site, labml_docs, tmp_path):
    source = write_tree({"mod.py": '''
        """# Module"""
        import x

        @deco
        def a(): pass

        def b(): pass
    '''})
    # The default is the rule of nn.labml.ai; the command line chooses the plain one.
    build_site(source, tmp_path / "labml")
    done = labml_docs("build", source, "--out", tmp_path / "plain", "--sections", "plain",
                      "--cache-dir", tmp_path / "cache")
    assert done.returncode == 0, done.stderr
    count = {name: (tmp_path / name / "mod.html").read_text(encoding="utf-8")
             .count('<div class="section"') for name in ("labml", "plain")}
    assert count == {"labml": 2, "plain": 3}


@pytest.mark.parametrize("rule, section", [("labml", 1), ("plain", 2)])
def test_links_to_a_definition_follow_the_sections_setting(write_tree, build_site, tmp_path,
                                                           rule, section):
    # `b` stays in the section of the decorated `a` under the rule of nn.labml.ai, and has a
    # section of its own under the plain rule: the links from other pages must say which.
    source = write_tree({
        "__init__.py": "",
        "zz_defs.py": "import x\n\n@deco\ndef a(): pass\n\ndef b(): pass\n",
        "user.py": "from .zz_defs import b\n\nb()\n",
    })
    _, out = build_site(source, sections=rule, jobs=1)
    assert f'href="zz_defs.html#section-{section}"><span class="n">b</span>' in \
        (out / "user.html").read_text(encoding="utf-8")


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


def test_summary_falls_back_to_the_first_paragraph_of_the_opening_note():
    # A readme seldom has front matter; the home page and the description tags list it too.
    readme = parse_markdown("# [Optimizers](__init__.py)\n\nAnnotated [Adam](adam.py) and "
                            "`torch.optim` kin.\nSecond line.\n\n* a list\n", "opt/readme.md")
    assert readme.summary == "Annotated Adam and torch.optim kin. Second line."
    # Headings, lists, code and display math are no summary; a long paragraph ends at a sentence.
    long = parse('"""\n# T\n\n* item\n\n$$x$$\n\n' + "A sentence here. " * 20 + '\n"""\n')
    assert long.summary == ("A sentence here. " * 11).strip()
    # Front matter wins; a page whose first note is a comment has no summary.
    assert parse('"""\n---\nsummary: Given.\n---\n\nText.\n"""\n').summary == "Given."
    assert parse("# A comment\nx = 1\n").summary == ""


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
    "if x:\n    pass\nelse:\n    y = 3", "y = [\n    # in brackets\n    1,\n]",
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
    decorators = draw(st.sampled_from([[], ["@option(C.x)"], ["@a", "@b(\n    1)"]]))
    nested = draw(st.sampled_from([[], ["    def inner():", "        return 2"]]))
    lines = decorators + [f"def {name}(a,\n      b=1):"] + ([doc] if doc else []) + body + nested
    return "\n".join(lines + ["    pass"])


@st.composite
def _class(draw):
    doc = draw(st.sampled_from(['    """Class doc."""', None]))
    method = draw(_function()).replace("\n", "\n    ")
    return "\n".join(["class C:"] + ([doc] if doc else []) + ["    " + method])


_source = st.tuples(
    st.sampled_from(['"""\nModule.\n"""', '"""Short."""', "", '"""\n---\ntitle: T\n---\n# H\n"""',
                     "#!/usr/bin/env python"]),
    st.lists(st.one_of(_statement, _comment, _blank, _function(), _class()), max_size=12),
).map(lambda t: "\n".join([t[0]] + t[1]) + "\n")


@settings(max_examples=300, deadline=None)
@given(_source, st.sampled_from(["labml", "plain"]))
def test_every_line_is_shown_once_or_hidden_in_order(source, rule):
    ast.parse(source)  # the strategy only makes valid Python
    page = parse_python(source, "pkg/gen.py", sections=rule)
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


@settings(max_examples=200, deadline=None)
@given(_source)
def test_the_plain_rule_only_adds_boundaries(source):
    """The latch only keeps definitions together: two code lines that the plain rule puts in
    one section are in one section under the rule of nn.labml.ai too, and the notes say the
    same (a latched definition's docstring joins the note of the section it stays in)."""
    def section_of(page):
        return {n: i for i, s in enumerate(page.sections) for n, text in s.code if text.strip()}

    def words(page):
        return [word for s in page.sections for word in s.docs.split()]

    labml = parse_python(source, "pkg/gen.py", sections="labml")
    plain = parse_python(source, "pkg/gen.py", sections="plain")
    in_labml, in_plain = section_of(labml), section_of(plain)
    assert sorted(in_labml) == sorted(in_plain)
    shown = sorted(in_plain)
    for a, b in itertools.pairwise(shown):
        if in_plain[a] == in_plain[b]:
            assert in_labml[a] == in_labml[b], f"lines {a} and {b}"
    assert words(labml) == words(plain)
    assert len(labml.sections) <= len(plain.sections)


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
