"""Notes: math cut out before Markdown, inline code highlighted, links rewritten."""

import html as html_module
import re

import pytest

from labml_docs.markdown import (
    MISSING_FORMULA,
    DocsRenderer,
    cut_math,
    fill_math,
    page_url,
    placeholder_marks,
    rewrite_link,
)


def formulas(text):
    return [(f.formula.tex, f.formula.display) for f in cut_math(text)[1]]


@pytest.fixture(scope="module")
def renderer():
    return DocsRenderer()


def render(renderer, text, path="pkg/mod.py"):
    """Render with each formula shown as `[tex]`, to see what Markdown left of it."""
    out = renderer.render(text, path)
    return fill_math(out.html, [f"[{f.formula.tex}]" for f in out.formulas], out.marks), out


def test_subscripts_and_stars_in_math_are_not_emphasis(renderer):
    html, _ = render(renderer, r"Moments $v_1, v_2$ and $a * b * c$ here.")
    assert "<em>" not in html
    assert "[v_1, v_2]" in html and "[a * b * c]" in html


def test_double_backslash_survives(renderer):
    html, out = render(renderer, "$$a \\\\ b$$")
    assert out.formulas[0].formula.tex == "a \\\\ b"


def test_display_math_in_the_middle_of_a_paragraph():
    assert formulas("so $$x^2$$ and $y$.") == [("x^2", True), ("y", False)]


def test_bare_align_block_is_display_math():
    text = "Update:\n\n\\begin{align}\nm_t &= \\beta_1 m_{t-1} \\\\\nv_t &= g_t^2\n\\end{align}\n"
    [(tex, display)] = formulas(text)
    assert display and tex.startswith("\\begin{align}") and tex.endswith("\\end{align}")


def test_dollar_amounts_and_escaped_dollars_are_text(renderer):
    assert formulas("costs $5 and $10 today") == []
    html, out = render(renderer, r"a \$ sign and $x$")
    assert "&#36;" in html or "$ sign" in html
    assert [f.formula.tex for f in out.formulas] == ["x"]


def test_inline_math_does_not_span_a_blank_line():
    assert formulas("a $b\n\nc$ d") == []


def test_math_in_code_is_left_alone(renderer):
    text = "Use `x = $y$` here.\n\n```python\nprint('$z$')\n```\n"
    assert formulas(text) == []
    html, _ = render(renderer, text)
    shown = html_module.unescape(re.sub(r"<[^>]+>", "", html))
    assert "x = $y$" in shown and "print('$z$')" in shown


def test_formula_lines_point_into_the_source():
    refs = cut_math("one\ntwo $a$\n\n$$\nb\n$$", first_line=10)[1]
    assert [r.line for r in refs] == [11, 13]


def test_math_inside_a_table_cell_keeps_its_bar(renderer):
    html, _ = render(renderer, "| a | b |\n|---|---|\n| $x|y$ | 2 |\n")
    assert "<td>[x|y]</td>" in html


def test_inline_code_is_highlighted_by_pygments(renderer):
    html, _ = render(renderer, "Call `torch.zeros(3)` now.")
    assert '<code class="highlight"><span class="n">torch</span><span class="o">.</span>' in html


def test_fenced_code_is_highlighted(renderer):
    html, _ = render(renderer, "```python\nimport torch\n```\n")
    assert 'class="highlight"' in html and '<span class="kn">import</span>' in html


def test_markdown_features(renderer):
    html, _ = render(renderer, "# H1\n\n* a\n* b\n\n[l](https://example.org) ![i](fig.png)\n\n"
                               "| a | b |\n|---|---|\n| 1 | 2 |\n")
    for fragment in ["<h1>H1</h1>", "<li>a</li>", 'href="https://example.org"', '<img alt="i" src="fig.png"',
                     "<table>"]:
        assert fragment in html


@pytest.mark.parametrize("path, url", [
    ("optimizers/adam.py", "optimizers/adam.html"),
    ("optimizers/__init__.py", "optimizers/index.html"),
    ("optimizers/readme.md", "optimizers/readme.html"),
    ("__init__.py", "index.html"),
])
def test_page_url(path, url):
    assert page_url(path) == url


@pytest.mark.parametrize("href, new, target", [
    ("adam.py", "adam.html", "optimizers/adam.html"),
    ("adam.py#section-2", "adam.html#section-2", "optimizers/adam.html"),
    ("__init__.py", "index.html", "optimizers/index.html"),
    ("../transformers/mha.py", "../transformers/mha.html", "transformers/mha.html"),
    ("readme.md", "readme.html", "optimizers/readme.html"),
    ("adam.html", "adam.html", "optimizers/adam.html"),
    ("plot.png", "plot.png", "optimizers/plot.png"),
    ("https://arxiv.org/abs/1904.09237", "https://arxiv.org/abs/1904.09237", None),
    ("#section-1", "#section-1", None),
])
def test_rewrite_link(href, new, target):
    assert rewrite_link(href, "optimizers/amsgrad.py") == (new, target)


def test_links_in_notes_are_rewritten_and_located(renderer):
    out = renderer.render("Intro\n\nSee [Adam](adam.py) and\n[base](__init__.py).", "optimizers/amsgrad.py",
                          first_line=5)
    assert 'href="adam.html"' in out.html and 'href="index.html"' in out.html
    assert [(link.target, link.line) for link in out.links] == [("optimizers/adam.html", 7),
                                                       ("optimizers/index.html", 8)]


@pytest.mark.parametrize("text, href", [
    ("Write to <name@example.org>.", None),  # an e-mail autolink: its address is hidden in entities
    ("[x](mailto:a@b.c)", "mailto:a@b.c"),
    ("[y](tel:+1)", "tel:+1"),
    ("[z](ftp://example.org/a.py)", "ftp://example.org/a.py"),
    ("![i](data:image/png;base64,iVBORw0KGgo=)", "data:image/png;base64,iVBORw0KGgo="),
    ("[s](x-custom:adam.py)", "x-custom:adam.py"),
    ("[c](//cdn.example.org/adam.py)", "//cdn.example.org/adam.py"),
])
def test_links_that_are_not_pages_are_neither_checked_nor_rewritten(renderer, text, href):
    out = renderer.render(text, "optimizers/amsgrad.py")
    assert out.links == []
    if href is not None:
        assert f'="{html_module.escape(href)}"' in out.html
    else:
        [address] = re.findall(r'href="([^"]*)"', out.html)
        assert html_module.unescape(address) == "mailto:name@example.org"


def test_math_that_starts_first_keeps_a_backtick():
    # As in Pandoc: whichever of math and code starts first wins (a real source writes S`).
    assert formulas("steps $\\tau_{S`}, \\tau_1$ here") == [("\\tau_{S`}, \\tau_1", False)]


def test_inline_code_that_is_not_python_is_shown_plain(renderer):
    html, _ = render(renderer, "Write `$...$` for inline math.")
    assert '<code class="highlight">$...$</code>' in html
    assert 'class="err"' not in html


# ## Placeholders

# What `cut_math` put in place of the formulas before this fix: text could spell it.
FORGED = "\ue000{}\ue001"


@pytest.mark.parametrize("forged", [
    FORGED.format(7),                    # names no formula: the build crashed
    FORGED.format(0),                    # names the first: it was shown in place of the text
    "`" + FORGED.format(0) + "`",        # the same in a code span
    "`" + FORGED.format(7) + "`",
    "```\n" + FORGED.format(0) + "\n```\n",  # and in fenced code
])
def test_text_cannot_forge_a_placeholder(renderer, forged):
    html, out = render(renderer, f"Text {forged} then $x$ and $y$.\n")
    assert [f.formula.tex for f in out.formulas] == ["x", "y"]
    assert html.count("[x]") == 1 and html.count("[y]") == 1
    assert forged.strip("`\n") in html  # shown as it is written
    assert MISSING_FORMULA not in html


def test_placeholder_marks_are_characters_the_note_does_not_hold():
    assert placeholder_marks("plain $x$") == ("\ue000", "\ue001")
    assert placeholder_marks("\ue001 and \ue002") == ("\ue000", "\ue003")
    text = "".join(chr(c) for c in range(0xE000, 0xF900)) + " $x$"
    opening, closing = placeholder_marks(text)
    assert (opening, closing) == ("\U000f0000", "\U000f0001")
    cut, [ref] = cut_math(text)
    assert cut.endswith(" \U000f00000\U000f0001") and ref.formula.tex == "x"


def test_same_note_same_html(renderer):
    text = "A \ue000 and `\ue0000\ue001` with $a$ and $$b$$.\n"
    first, second = render(renderer, text), render(renderer, text)
    assert first[0] == second[0] and first[1].marks == second[1].marks


def test_a_placeholder_without_a_formula_is_marked_not_a_crash(renderer):
    out = renderer.render("Two: $a$ and $b$.", "pkg/mod.py")
    html = fill_math(out.html, ["A"], out.marks)  # the second one is missing: a bug of ours
    assert "A" in html and 'class="katex-error"' in html and MISSING_FORMULA in html


def test_code_blocks_come_out_as_with_pygments_own_formatter():
    """Code blocks of the notes go through a formatter that makes its CSS table once per
    style: the blocks must be what Pygments' own formatter makes (the settings of a user who
    configures codehilite replace ours, formatter included)."""
    notes = ("Example:\n\n    >>> x = torch.zeros(3)\n    >>> x.sum()\n\nand\n\n"
             "```python\ndef f(a, b=2):\n    return a ** b  # power\n```\n\n"
             "```console\n$ pip install torch\n```\n")
    ours = DocsRenderer().render(notes, "a.py").html
    stock = DocsRenderer(extension_configs={"codehilite": {"css_class": "highlight",
                                                           "guess_lang": False}})
    assert stock.md.treeprocessors["hilite"].config["pygments_formatter"] == "html"
    assert ours == stock.render(notes, "a.py").html
    assert ours.count('<div class="highlight">') == 3 and '<span class="k">def</span>' in ours


def _notes_of_trees() -> list[str]:
    """The notes of our tree, our own source and a part of Python's standard library."""
    import os
    from pathlib import Path

    from labml_docs.parse import parse_python
    repo = Path(__file__).resolve().parent.parent
    stdlib = Path(os.__file__).parent
    files = [*sorted((repo / "src").rglob("*.py")), *sorted((repo / "labml_docs").rglob("*.py")),
             *sorted(stdlib.glob("*.py"))[:120], *sorted((stdlib / "json").glob("*.py"))]
    notes = []
    for path in files:
        try:
            page = parse_python(path.read_text(encoding="utf-8"), path.name)
        except (UnicodeDecodeError, OSError):
            continue
        notes += [section.docs for section in page.sections if section.docs.strip()]
    return notes


def test_plain_prose_comes_out_as_python_markdown_makes_it():
    """`plain_html` writes out notes of plain prose without Python-Markdown: on every note of
    the trees, what it writes is what Python-Markdown makes, and it takes a good share."""
    from labml_docs.markdown import plain_html
    markdown = DocsRenderer()
    markdown.plain = False
    edge = ["A b\n\n\n\nC d.", "a  b", "Line one\nline two", "A\n===", "A\n---\n", "A -- b",
            "A 'quoted' \"word\" (1/2) 50% a+b=c: yes; no? ok!", "Trailing  ", "x\n  y",
            "1. one", "A & b", "a_b", "Notes\n\n    code"]
    notes = _notes_of_trees() + edge
    written = 0
    for note in notes:
        html = plain_html(note)
        if html is not None:
            written += 1
            assert html == markdown.render(note, "a.py").html, note
    assert written > len(notes) // 5
    assert DocsRenderer().render("A b\n\nc d", "a.py").html == "<p>A b</p>\n<p>c d</p>"
    assert plain_html("a_b") is None and plain_html("A\n===") is None
