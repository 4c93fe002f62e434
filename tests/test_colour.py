"""Tests of labml_docs.colour: consistent term classes, and never breaking a formula.

The KaTeX tests render with the pinned KaTeX in node_modules (``npm install``) and are skipped
without node or KaTeX. The corpus test reads the formulas of the annotated tree in ``src/`` and,
when ``LABML_NN_CORPUS`` names a folder (for example an unpacked ``labml-nn`` wheel), of that tree
too.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from labml_docs.colour import (
    PALETTE_SIZE,
    colour_formula,
    colour_formulas,
    find_terms,
    palette_size,
    term_class,
    term_key,
)

ROOT = Path(__file__).resolve().parents[1]
KATEX = ROOT / "node_modules" / "katex"
CSS = ROOT / "site_templates" / "assets" / "labml.css"

# A wrapper: the term's own class, then its colour.
WRAPPER = r"\\htmlClass\{coloredeq (eq[a-z]+) (eq-c\d+)\}\{"
WRAP = re.compile(WRAPPER)


def classes_of(tex: str, term: str) -> set[str]:
    """The own classes of the wrappers directly around ``term`` in ``tex``."""
    return {own for own, _ in re.findall(WRAPPER + re.escape(term) + r"\}", tex)}


def owns(tex: str) -> list[str]:
    return [own for own, _ in WRAP.findall(tex)]


# ------------------------------------------------------------------------------------- unit tests


def test_same_term_same_class_across_formulas():
    out = colour_formulas([r"m_t = \beta_1 m_{t-1}", r"\hat{m}_t = \frac{m_t}{1 - \beta_1^t}", r"m_{t}"])
    assert classes_of(out[0], "m_t") == classes_of(out[1], "m_t")
    assert len(classes_of(out[0], "m_t")) == 1
    # m_{t} and m_t are the same term
    assert classes_of(out[2], "m_{t}") == classes_of(out[0], "m_t")
    # \beta_1 and \beta_1^t are the same symbol (the power is not part of the name)
    assert classes_of(out[0], r"\beta_1") == classes_of(out[1], r"\beta_1^t")


def test_different_terms_different_classes():
    out = colour_formula(r"m_t + v_t + m_{t-1} + \hat{m}_t + \theta_t + \theta + x^* + x'")
    found = owns(out)
    assert len(found) == 8
    assert len(set(found)) == 8


def test_terms_named_by_first_occurrence_colours_modulo_palette():
    out = colour_formulas([r"a_1 + a_2", r"a_3 + a_1"], palette_size=2)
    assert WRAP.findall(out[0]) == [("eqa", "eq-c0"), ("eqb", "eq-c1")]
    # a_3 is term 2: a name of its own, the colour of a_1 (term 0).
    assert WRAP.findall(out[1]) == [("eqc", "eq-c0"), ("eqa", "eq-c0")]
    assert PALETTE_SIZE == palette_size == 12


def test_term_names_are_base_26_letters_as_on_nn_labml_ai():
    names = [term_class(n).split()[1] for n in (0, 1, 25, 26, 27, 51, 52, 26 * 26)]
    assert names == ["eqa", "eqb", "eqz", "eqba", "eqbb", "eqbz", "eqca", "eqbaa"]
    assert term_class(13) == "coloredeq eqn eq-c1"


def test_every_term_of_a_long_page_has_a_class_of_its_own():
    # More terms than colours: colours repeat, names never (clicking a term highlights its name).
    page = [" + ".join(f"x_{{{i}}}" for i in range(k, k + 20)) for k in range(0, 100, 20)]
    out = colour_formulas(page)
    by_term = {}
    for tex in out:
        for own, _colour, term in re.findall(WRAPPER + r"(x_\{\d+\})\}", tex):
            by_term.setdefault(term, set()).add(own)
    assert len(by_term) == 100
    assert all(len(names) == 1 for names in by_term.values())
    assert len({next(iter(names)) for names in by_term.values()}) == 100
    assert {c for tex in out for _, c in WRAP.findall(tex)} == {f"eq-c{i}" for i in range(12)}


def test_amsgrad_terms_do_not_share_a_class():
    """On the AMSGrad page, `m_t` shared its class with `\\beta_2` and `T` (term numbers 12
    apart), and `v_t` with `R_T`: each term now has a name of its own."""
    from labml_docs.markdown import cut_math
    from labml_docs.parse import parse_python

    source = ROOT / "src" / "labml_nn" / "optimizers" / "amsgrad.py"
    page = parse_python(source.read_text(encoding="utf-8"), "optimizers/amsgrad.py")
    formulas = [ref.formula.tex for s in page.sections for ref in cut_math(s.docs)[1]]
    assert len(formulas) > 50
    names: dict[str, set[str]] = {}
    for tex in colour_formulas(formulas):
        for own, _ in WRAP.findall(tex):
            names.setdefault(own, set())
        for key_tex in (r"m_t", r"v_t", r"\beta_2", r"R_T", "T"):
            for own in classes_of(tex, key_tex):
                names[own].add(key_tex)
    shared = {own: terms for own, terms in names.items() if len(terms) > 1}
    assert not shared
    assert all(any(key in terms for terms in names.values())
               for key in (r"m_t", r"v_t", r"\beta_2", r"R_T"))


def test_deterministic():
    page = [r"f_t(\theta_t)", r"R(T) = \sum_{t=1}^T f_t(\theta_t) - f_t(\theta^*)", r"x + y_t"]
    assert colour_formulas(page) == colour_formulas(list(page)) == colour_formulas(page)


def test_idempotent_on_coloured_input():
    page = [r"m_t = \beta_1 m_{t-1}", r"\frac{m_t}{x}", r"x + y"]
    once = colour_formulas(page)
    assert colour_formulas(once) == once
    assert "eq-c0}{\\htmlClass{coloredeq" not in once[0]
    assert WRAP.findall(colour_formula(once[0])) == WRAP.findall(once[0])


def test_nothing_inside_text_like_arguments():
    tex = (r"x_t + \text{for all x_t and } \mathrm{d}x + \operatorname{softmax}(x_t)"
           r" + \textbf{m_t} + \operatorname*{arg\,max}_\theta")
    out = colour_formula(tex)
    for piece in (r"\text{for all x_t and }", r"\mathrm{d}", r"\operatorname{softmax}",
                  r"\textbf{m_t}", r"\operatorname*{arg\,max}_\theta"):
        assert piece in out
    assert out.count("htmlClass") == 2  # the two x_t outside (the plain x occurs once: left alone)
    assert len(classes_of(out, "x_t")) == 1


def test_unsafe_places_are_left_alone():
    cases = [
        r"\frac a b",                      # bare arguments
        r"\sqrt[n]x",                      # optional and bare arguments
        r"\begin{array}{cc} 1 & 2 \end{array}",
        r"\def\foo{x_t} \foo",             # macro definitions: whole formula untouched
        r"\kern1em x_t",                   # dimensions
        r"x^\top",                         # bare superscript stays outside any wrapper... (x alone)
        r"{\rm d} + \tag{x_t}",
        r"\left( x \right)",
    ]
    out = colour_formulas(cases)
    assert out[0] == cases[0]
    assert out[1] == cases[1]
    assert out[2] == cases[2]
    assert out[3] == cases[3]
    assert out[4] == cases[4]
    assert out[6] == cases[6]
    assert "\\left(" in out[7] and "\\right)" in out[7]


def test_applications_coloured_when_repeated():
    out = colour_formulas([r"f_t(\theta_t) + g(x)", r"\sum f_t(\theta_t) + g(y)"])
    for o in out:
        assert r"\htmlClass{coloredeq eqa eq-c0}{\htmlClass{coloredeq eqb eq-c1}{f_t}(" in o
    # g(x) and g(y) differ: not wrapped as applications; the letter g repeats, so it is coloured.
    assert classes_of(out[0], "g") == classes_of(out[1], "g") != set()
    assert "}{g(x)}" not in out[0] and "}{g(y)}" not in out[1]


def test_plain_letters_only_when_repeated_and_words_never():
    out = colour_formulas([r"x + y + lr + max", r"x + z"])
    assert classes_of(out[0], "x") and classes_of(out[1], "x")
    assert classes_of(out[0], "x") == classes_of(out[1], "x")
    assert "{y}" not in out[0] and "{z}" not in out[1]
    assert "max" in out[0] and "{m}" not in out[0]


def test_term_key():
    assert term_key("m_{t}") == term_key("m_t") == "m_t"
    assert term_key(r"\hat{v}_t") == term_key(r"\hat v_{t}")
    assert term_key("x + y") is None
    assert term_key(r"\sigma_t^2") == r"\sigma_t"


def test_unbalanced_or_odd_input_is_returned_unchanged():
    for tex in ["x_t}", "{x_t", "x_t\\", "", "   ", r"\frac{1}{"]:
        assert colour_formula(tex) == tex
    assert find_terms("{x") is None


# ------------------------------------------------------------------------------------- palette


def _lum(hexs: str) -> float:
    def lin(c):
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (int(hexs[i:i + 2], 16) / 255 for i in (1, 3, 5))
    return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)


def _contrast(a: str, b: str) -> float:
    la, lb = sorted((_lum(a), _lum(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def test_css_palette_matches_and_is_readable():
    css = CSS.read_text()
    light_block = css.split("/* scheme: light */", 1)[1].split("/* scheme: dark */", 1)[0]
    dark_block = css.split("/* scheme: dark */", 1)[1].split("@media", 2)[1]
    schemes = {}
    for name, block in (("light", light_block), ("dark", dark_block)):
        vars_ = dict(re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{6})", block))
        schemes[name] = vars_
    backgrounds = [schemes["light"]["bg"], schemes["dark"]["bg"]]
    for name, vars_ in schemes.items():
        eqs = [vars_[f"eq{i}"] for i in range(PALETTE_SIZE)]
        assert f"eq{PALETTE_SIZE}" not in vars_
        for i, colour in enumerate(eqs):
            for bg in backgrounds:
                assert _contrast(colour, bg) >= 3.0, (name, i, colour, bg)
    for i in range(PALETTE_SIZE):
        assert f".coloredeq.eq-c{i} {{ color: var(--eq{i}); }}" in css
        assert f".eq-selected.eq-c{i} {{ color: var(--eq{i}); }}" in css


# ------------------------------------------------------------------------------------- KaTeX

KATEX_JS = r"""
const katex = require(process.argv[1]);
let data = '';
process.stdin.on('data', c => data += c);
process.stdin.on('end', () => {
  const out = JSON.parse(data).map(([tex, display]) => {
    try {
      return [true, katex.renderToString(tex, {displayMode: display, trust: true, strict: 'ignore',
                                                throwOnError: true, output: 'mathml'})];
    } catch (e) { return [false, String(e.message || e)]; }
  });
  process.stdout.write(JSON.stringify(out));
});
"""


def _need_katex():
    if not shutil.which("node"):
        pytest.skip("node is not installed")
    if not (KATEX / "package.json").exists():
        pytest.skip("KaTeX is not installed (npm install)")


def katex_render(items: list[tuple[str, bool]]) -> list[tuple[bool, str]]:
    proc = subprocess.run(
        ["node", "-e", KATEX_JS, str(KATEX)], input=json.dumps(items),
        capture_output=True, text=True, check=True, timeout=600,
    )
    return [tuple(x) for x in json.loads(proc.stdout)]


def _semantics(mathml: str) -> str:
    """MathML without the TeX annotation and grouping rows: wrappers must not change it."""
    mathml = re.sub(r"<annotation.*?</annotation>", "", mathml, flags=re.S)
    return re.sub(r"</?mrow>", "", mathml)


def check_pages(pages: list[list[tuple[str, bool]]]) -> tuple[int, list, list]:
    """Colour each page; return (formulas that rendered, broken, changed meaning)."""
    originals, coloured = [], []
    for page in pages:
        texs = [t for t, _ in page]
        for (t, d), c in zip(page, colour_formulas(texs)):
            originals.append((t, d))
            coloured.append((c, d))
    before = katex_render(originals)
    after = katex_render(coloured)
    tested, broken, changed = 0, [], []
    for (t, _), (c, _), (ok1, m1), (ok2, m2) in zip(originals, coloured, before, after):
        if not ok1:
            continue
        tested += 1
        if not ok2:
            broken.append((t, c, m2))
        elif _semantics(m1) != _semantics(m2):
            changed.append((t, c))
    return tested, broken, changed


FORMULA = re.compile(r"\$\$(.+?)\$\$|\$([^$]+?)\$", re.S)


def formulas_of_tree(root: Path) -> list[list[tuple[str, bool]]]:
    """Every ``$...$`` and ``$$...$$`` of the raw text of the .py and .md files, one list a file."""
    pages = []
    for path in sorted(list(root.rglob("*.py")) + list(root.rglob("*.md"))):
        text = path.read_text(errors="replace")
        page = []
        for m in FORMULA.finditer(text):
            if m.group(1) is not None:
                page.append((m.group(1), True))
            elif "\n\n" not in m.group(2):
                page.append((m.group(2), False))
        if page:
            pages.append(page)
    return pages


TRICKY = [
    r"f_t(\theta_t) = \frac{1}{2}\left(x_t - \hat{x}_t\right)^2",
    r"\begin{align} m_t &= \beta_1 m_{t-1} + (1 - \beta_1) g_t \\ v_t &= \beta_2 v_{t-1} + (1 - \beta_2) g_t^2 \end{align}",
    r"\begin{array}{c|c} x_1 & \mathbf{W}_{ij} \\ \hline a & b \end{array}",
    r"\sum_{i=1}^{N} \text{loss}_i(\theta) + \lambda \Vert \theta \Vert^2_2",
    r"\mathbb{E}_{x \sim p(x)}\Big[\log p_\theta(x)\Big]",
    r"\frac a b + \frac12 + \sqrt[3]{x_t} + \sqrt x",
    r"x'' + f'(x) + g^{\prime}_t + h'^k_i + {x_t}^2 + x^{(i)}_j",
    r"\operatorname*{argmax}_\theta \ell(\theta) \tag{1}",
    r"\color{red} x_t + \textcolor{blue}{y_t} + \htmlClass{foo}{z_t}",
    r"{\rm d}x + {\bf x}_t + \mathrm{Var}(x_t) + \boldsymbol{\mu}_k",
    r"\overbrace{a_1 + a_2}^{\text{two}} \underbrace{b_t}_{n}",
    r"a \over b_t + x_t \choose k",
    r"\left\{ x_t \middle| t \in T \right\} \big( f(x) \big)",
    r"\hat\theta_t \bar x \tilde{\mathbf{z}}_{t-1} \vec{v}^*",
    r"\int_0^1 f(x)\,dx \approx \sum_k w_k f(x_k)",
    r"\\ x_t \\[2pt] y_t",
    r"\underset{x_t}{\arg\min} \stackrel{def}{=} \xrightarrow[x_t]{y_t}",
    r"\mathcal{L}(\theta) = -\frac{1}{N}\sum_{n} y_n \log \hat{y}_n",
    r"x_t \% \# \& \_ \{ \} \$ \, \; \! \quad x_t",
    r"Q(s, a) \leftarrow Q(s, a) + \alpha [r + \gamma \max_{a'} Q(s', a') - Q(s, a)]",
    r"\begin{cases} x_t & \text{if } t > 0 \\ 0 & \text{otherwise} \end{cases}",
    r"\begin{pmatrix} a_{11} & a_{12} \\ a_{21} & a_{22} \end{pmatrix}^{-1}",
    r"h_t = \tanh(W_{hh} h_{t-1} + W_{xh} x_t)",
    r"\not= \not\in x_t \mathop{x}_t \mathbin{y_t}",
    r"\href{https://example.com}{x_t} \url{x} \hspace{1em} x_t",
]


@pytest.mark.slow
def test_tricky_formulas_still_render_with_katex():
    _need_katex()
    pages = [[(t, True) for t in TRICKY], [(t, False) for t in TRICKY]]
    tested, broken, changed = check_pages(pages)
    assert tested >= len(TRICKY)
    assert not broken, broken
    assert not changed, changed


@pytest.mark.slow
def test_corpus_formulas_still_render_with_katex():
    _need_katex()
    trees = [ROOT / "src"]
    if os.environ.get("LABML_NN_CORPUS"):
        trees.append(Path(os.environ["LABML_NN_CORPUS"]))
    pages = [p for tree in trees if tree.is_dir() for p in formulas_of_tree(tree)]
    if not pages:
        pytest.skip("no corpus")
    tested, broken, changed = check_pages(pages)
    print(f"\ncolour corpus: {tested} formulas rendered before colouring, "
          f"{len(broken)} broke, {len(changed)} changed meaning")
    assert tested > 0
    assert not broken, broken[:10]
    assert not changed, changed[:10]


# ------------------------------------------------------------------------------------- property

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

ATOMS = ["x", "y", "t", "T", "m", r"\theta", r"\beta", r"\alpha", "1", "2", "+", "-", "=", ",",
         r"\cdot", r"\sum", r"\log", "(", ")", "[", "]", " ", "'", r"\{", r"\}", r"\,", "&", r"\\",
         r"\infty", r"\foo", r"\rm", r"\left(", r"\right)", r"\over", "|", "*", r"\ast", r"\top"]


def _formula():
    leaf = st.sampled_from(ATOMS)

    def extend(inner):
        group = inner.map(lambda s: "{" + s + "}")
        arg = st.one_of(group, leaf)
        return st.one_of(
            st.lists(inner, min_size=1, max_size=4).map("".join),
            st.tuples(inner, st.sampled_from(["_", "^"]), arg).map("".join),
            st.tuples(st.sampled_from([r"\hat", r"\mathbf", r"\text", r"\mathrm", r"\operatorname",
                                       r"\sqrt", r"\overline", r"\boxed", r"\mathcal"]), arg).map("".join),
            st.tuples(st.sampled_from([r"\frac", r"\binom", r"\overset", r"\textcolor"]), arg, arg).map("".join),
            group,
            inner.map(lambda s: r"\begin{matrix}" + s + r"\end{matrix}"),
        )

    return st.recursive(leaf, extend, max_leaves=14)


@pytest.mark.slow
@settings(max_examples=25, deadline=None)
@given(st.lists(st.lists(_formula(), min_size=1, max_size=6), min_size=4, max_size=8))
def test_property_colouring_never_breaks_a_formula(pages):
    _need_katex()
    wrapped_pages = [[(t, i % 2 == 0) for i, t in enumerate(page)] for page in pages]
    tested, broken, changed = check_pages(wrapped_pages)
    assert not broken, broken
