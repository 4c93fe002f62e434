"""Tests of the math engine: real KaTeX in Node.js (no mocks), the cache, the assets."""

from __future__ import annotations

import json
import multiprocessing
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest

from labml_docs.math import (
    ENGINES,
    PINNED_KATEX_VERSION,
    EngineName,
    Formula,
    KatexNotFoundError,
    MathCache,
    MathEngineError,
    MathOptions,
    MathRenderer,
    MathResult,
    NodeKatexEngine,
    copy_katex_assets,
    engine_name,
    error_mark,
    find_katex_dir,
    katex_assets_dir,
    make_engine,
)
from labml_docs.math.node_engine import RENDER_SERVER

REPO = Path(__file__).resolve().parent.parent

NODE = shutil.which("node")
try:
    KATEX_DIR: Path | None = find_katex_dir()
except KatexNotFoundError:
    KATEX_DIR = None

needs_katex = pytest.mark.skipif(
    NODE is None or KATEX_DIR is None,
    reason="needs Node.js and the npm package katex (run `npm install` in the repository)",
)

MACROS = MathOptions(macros=(("\\RR", "\\mathbb{R}"), ("\\E", "\\mathbb{E}"), ("\\norm", "\\lVert #1 \\rVert")))

FIDELITY = [
    Formula(r"\frac{a+b}{c}", False),
    Formula(r"\dfrac{\partial \mathcal{L}}{\partial \theta}", True),
    Formula(r"\sum_{i=1}^{N} x_i^2", True),
    Formula(r"\sum_{i=1}^{N} x_i^2", False),
    Formula(r"\prod_{t=1}^T p(x_t \mid x_{<t})", True),
    Formula(r"\int_0^\infty e^{-x}\,dx", True),
    Formula(r"\begin{pmatrix} a & b \\ c & d \end{pmatrix}", True),
    Formula(r"W = \begin{bmatrix} w_{11} & w_{12} \\ w_{21} & w_{22} \end{bmatrix}", False),
    Formula(r"\begin{align} m_t &= \beta_1 m_{t-1} + (1 - \beta_1) g_t \\ v_t &= \beta_2 v_{t-1} + (1 - \beta_2) g_t^2 \end{align}", True),
    Formula(r"\begin{aligned} a &= b \\ &= c \end{aligned}", True),
    Formula(r"f(x) = \begin{cases} x & x > 0 \\ 0 & \text{otherwise} \end{cases}", True),
    Formula(r"\hat{m}_t \tilde{x} \bar{y} \vec{v} \dot{a} \ddot{b}", False),
    Formula(r"x \in \mathbb{R}^{d}, \mathcal{N}(0, \sigma^2)", False),
    Formula(r"\text{softmax}(x)_i = \frac{\exp(x_i)}{\sum_j \exp(x_j)}", True),
    Formula(r"\operatorname{Attention}(Q, K, V) = \operatorname{softmax}\Big(\frac{QK^\top}{\sqrt{d_k}}\Big)V", True),
    Formula(r"\RR^{n \times m}, \E_{x \sim p}[f(x)], \norm{w}", False),
    Formula(r"\htmlClass{coloredeq eq1}{\theta_t} \gets \htmlClass{coloredeq eq2}{\theta_{t-1}} - \alpha", False),
    Formula(r"\max_{\theta} \log \sigma(\beta)", False),
    Formula(r"\mathop{\mathbb{E}}_{x} \Big[ \lVert x \rVert_2 \Big] \le \epsilon \quad \forall \epsilon", True),
    Formula(r"\underbrace{a + b}_{c} \overbrace{x}^{y} \xrightarrow{f}", True),
    Formula(r"\gdef\myvar{z} \myvar + 1", False),
    Formula('\\text{a \\& b < c > d "quoted" \'s}', False),
    Formula("x \u2264 y, \u03b1 + \u00e9", False),
    Formula(r"\begin{array}{c|c} 1 & 2 \\ \hline 3 & 4 \end{array}", True),
    Formula(r"\tag{1} E = mc^2", True),
]

# KaTeX run directly in Node with the same options; written independently of render_server.js.
REFERENCE_JS = r"""
const katex = require(process.env.KATEX_REF_DIR);
const input = JSON.parse(require("fs").readFileSync(0, "utf8"));
const out = input.formulas.map(([tex, display]) => {
  try {
    return {html: katex.renderToString(tex, {
      displayMode: display, output: input.output, macros: Object.assign({}, input.macros),
      throwOnError: true, strict: "ignore",
      trust: (ctx) => ctx.command === "\\htmlClass"})};
  } catch (e) { return {error: e.message}; }
});
process.stdout.write(JSON.stringify({version: katex.version, results: out}));
"""


def reference(formulas, options: MathOptions = MACROS) -> dict:
    payload = {
        "formulas": [[f.tex, f.display] for f in formulas],
        "macros": options.macros_dict(),
        "output": options.output,
    }
    env = dict(os.environ, KATEX_REF_DIR=str(KATEX_DIR))
    done = subprocess.run(
        [NODE, "-e", REFERENCE_JS], input=json.dumps(payload), capture_output=True, text=True, env=env, check=True
    )
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def engine():
    if NODE is None or KATEX_DIR is None:
        pytest.skip("needs Node.js and the npm package katex (run `npm install` in the repository)")
    with NodeKatexEngine(MACROS) as eng:
        yield eng


def strip_annotations(html: str) -> str:
    """The HTML without the MathML TeX annotation (which repeats the source as text)."""
    return re.sub(r"<annotation encoding=\"application/x-tex\">.*?</annotation>", "", html, flags=re.S)


# ----------------------------------------------------------------------------------------------
# Fidelity and output


@needs_katex
def test_output_is_byte_identical_to_katex_in_node(engine):
    results = engine.render_many(FIDELITY)
    ref = reference(FIDELITY)
    assert engine.katex_version == ref["version"] == PINNED_KATEX_VERSION
    assert len(results) == len(FIDELITY)
    for formula, ours, theirs in zip(FIDELITY, results, ref["results"]):
        assert ours.error is None, (formula, ours.error)
        assert "html" in theirs, (formula, theirs)
        assert ours.html == theirs["html"], formula.tex


@needs_katex
def test_display_mode_and_macros_change_the_output(engine):
    inline, display = engine.render_many([Formula(r"\sum_i x_i", False), Formula(r"\sum_i x_i", True)])
    assert inline.html != display.html
    assert 'class="katex-display"' in display.html and "katex-display" not in inline.html
    (rr,) = engine.render_many([Formula(r"\RR", False)])
    assert 'mathvariant="double-struck"' in rr.html
    with NodeKatexEngine(MathOptions()) as plain:
        (undefined,) = plain.render_many([Formula(r"\RR", False)])
    assert undefined.error is not None and "Undefined control sequence" in undefined.error


@needs_katex
def test_htmlclass_is_trusted(engine):
    (r,) = engine.render_many([Formula(r"\htmlClass{coloredeq eq1}{\theta_t}", False)])
    assert r.error is None
    assert 'class="enclosing coloredeq eq1"' in r.html


@needs_katex
def test_mathml_is_present(engine):
    for r in engine.render_many(FIDELITY[:5]):
        assert "<math" in r.html
        assert '<annotation encoding="application/x-tex">' in r.html
        assert 'class="katex-html" aria-hidden="true"' in r.html


@needs_katex
def test_html_only_output_option():
    with NodeKatexEngine(MathOptions(output="html")) as eng:
        (r,) = eng.render_many([Formula("x^2", False)])
    assert "<math" not in r.html and "katex-html" in r.html
    assert r.html == reference([Formula("x^2", False)], MathOptions(output="html"))["results"][0]["html"]


@needs_katex
def test_gdef_does_not_leak_between_formulas(engine):
    defined, later = engine.render_many([Formula(r"\gdef\leaky{x}\leaky", False), Formula(r"\leaky", False)])
    assert defined.error is None
    assert later.error is not None and "Undefined control sequence" in later.error


# ----------------------------------------------------------------------------------------------
# Errors and safety


@needs_katex
def test_invalid_formula_gives_message_and_error_mark_and_batch_goes_on(engine):
    batch = [Formula("a+b", False), Formula(r"\frac{1}{", False), Formula(r"x<y & \frac12", True), Formula("c^2", True)]
    ok1, bad, bad2, ok2 = engine.render_many(batch)
    assert ok1.error is None and ok2.error is None
    assert ok1.html == reference([batch[0]])["results"][0]["html"]
    assert ok2.html == reference([batch[3]])["results"][0]["html"]
    assert bad.error is not None and bad.error.startswith("KaTeX parse error:")
    assert bad.error == reference([batch[1]])["results"][0]["error"]
    assert bad.html.startswith('<span class="katex-error" title="KaTeX parse error:')
    assert bad.html.endswith(r">\frac{1}{</span>")
    assert bad.html == error_mark(r"\frac{1}{", bad.error)
    assert bad2.error is not None
    assert "x&lt;y &amp; \\frac12</span>" in bad2.html and "<y" not in bad2.html


def test_error_mark_escapes_everything():
    mark = error_mark('<script>alert("x")</script>&', 'bad "title" <b>')
    assert mark == (
        '<span class="katex-error" title="bad &quot;title&quot; &lt;b&gt;">'
        "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;</span>"
    )


@needs_katex
@pytest.mark.parametrize(
    "tex",
    [
        r"\href{javascript:alert(1)}{x}",
        r"\url{javascript:alert(1)}",
        r"\htmlId{evil}{x}",
        r"\htmlStyle{background:url(javascript:alert(1))}{x}",
        r"\htmlData{foo=javascript:alert(1)}{x}",
        r"\includegraphics{javascript:alert(1)}",
        r"a + \href{https://example.com}{b}",
    ],
)
def test_untrusted_commands_are_refused(engine, tex):
    (r,) = engine.render_many([Formula(tex, False)])
    assert r.error is not None and "refused" in r.error
    visible = strip_annotations(r.html)
    assert "href=" not in visible and "<a " not in visible
    assert "<img" not in visible and "id=\"evil\"" not in visible and "data-foo" not in visible
    # The source is shown as text only: escaped inside the error mark.
    assert r.html == error_mark(tex, r.error)


@needs_katex
def test_untrusted_command_through_a_macro_is_refused():
    with NodeKatexEngine(MathOptions(macros=(("\\link", "\\href{javascript:alert(1)}{#1}"),))) as eng:
        (r,) = eng.render_many([Formula(r"\link{x}", False)])
    assert r.error is not None and "\\href" in r.error
    assert "href=" not in r.html


@needs_katex
def test_script_in_text_is_escaped(engine):
    (r,) = engine.render_many([Formula(r"\text{<script>alert(1)</script>}", False)])
    assert r.error is None
    assert "<script" not in r.html
    assert "&lt;script&gt;" in r.html


KATEX_TAGS = {"span", "math", "semantics", "annotation", "svg", "path", "line"}


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: set[str] = set()
        self.attrs: set[str] = set()

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.attrs.update(name for name, _ in attrs)


@needs_katex
def test_any_text_in_text_stays_text(engine):
    from hypothesis import given, settings
    from hypothesis import strategies as st

    @settings(max_examples=60, deadline=None)
    @given(st.text(alphabet=st.sampled_from(list("<>&\"'/ab =:;{}scriptonload()")), max_size=40))
    def check(text):
        tex = r"\text{" + text + "}"
        (r,) = engine.render_many([Formula(tex, False)])
        parser = _Tags()
        parser.feed(r.html)
        # Only KaTeX's own elements and attributes: nothing from the input became markup.
        assert {t for t in parser.tags if not t.startswith("m")} <= KATEX_TAGS, r.html
        assert parser.attrs <= {"class", "style", "xmlns", "encoding", "aria-hidden", "title", "mathvariant",
                                "width", "height", "viewbox", "preserveaspectratio", "d", "stretchy",
                                "fence", "separator", "lspace", "rspace", "mathcolor", "mathbackground"}, r.html
        if r.error is not None:
            assert r.html == error_mark(tex, r.error)

    check()


# ----------------------------------------------------------------------------------------------
# Process handling


@needs_katex
def test_engine_restarts_after_the_node_process_is_killed():
    with NodeKatexEngine(MACROS) as eng:
        batch = FIDELITY + [Formula(f"k_{{{i}}}", False) for i in range(3 * eng.chunk_size)]
        before = eng.render_many(batch)
        old = eng._proc
        os.kill(old.pid, signal.SIGKILL)
        old.wait(timeout=10)
        after = eng.render_many(batch)
        assert eng.restarts == 1
        assert eng.pid != old.pid
        assert [r.html for r in after] == [r.html for r in before]
        # The dead process was reaped.
        assert old.returncode == -signal.SIGKILL
        proc = eng._proc
    assert proc.poll() is not None  # close() ended the new one as well


@needs_katex
def test_close_leaves_no_process():
    eng = NodeKatexEngine()
    proc = eng._proc
    eng.close()
    assert proc.returncode == 0
    with pytest.raises(ChildProcessError):
        os.waitpid(proc.pid, os.WNOHANG)  # already reaped: no zombie
    with pytest.raises(MathEngineError):
        eng.render_many([Formula("x", False)])


@needs_katex
def test_large_batch_in_several_requests(engine):
    formulas = [Formula(f"x_{{{i}}} + \\frac{{{i}}}{{2}}", i % 2 == 0) for i in range(4500)]
    results = engine.render_many(formulas)
    assert len(results) == 4500 and all(r.error is None for r in results)
    assert f">x_{{{4499}}} + \\frac{{{4499}}}{{2}}</annotation>" in results[-1].html


# ----------------------------------------------------------------------------------------------
# Budgets of a formula


def amplified(n: int) -> str:
    """A few bytes that expand into 900 n symbols: 200 x's take KaTeX half a minute, 2,000 took
    more than ten and 1.15 GB."""
    return (r"\def\a{" + "x" * n + r"}\def\b{\a\a\a\a\a\a\a\a\a\a}\def\c{\b\b\b\b\b\b\b\b\b\b}"
            + r"\c\c\c\c\c\c\c\c\c")


def rendered_alone(formulas: list[Formula], options: MathOptions) -> list[MathResult]:
    with NodeKatexEngine(options) as fresh:
        return fresh.render_many(formulas)


@needs_katex
def test_a_formula_over_its_time_budget_is_cut_off_and_the_batch_goes_on(tmp_path):
    options = MathOptions(timeout=1)
    good = FIDELITY[:5]
    batch = good[:2] + [Formula(amplified(200), False)] + good[2:]
    with NodeKatexEngine(options) as eng:
        eng.chunk_size = 2  # the formulas after the slow one are in this request and the next
        renderer = MathRenderer(eng, MathCache(tmp_path))
        started = time.monotonic()
        results = renderer.render_many(batch)
        assert time.monotonic() - started < 60  # cut off, not the half minute it takes
        slow = results.pop(2)
        assert slow.error == "formula exceeds the time budget of 1 s" and slow.transient
        assert slow.html == error_mark(batch[2].tex, slow.error)
        assert [r.html for r in results] == [r.html for r in rendered_alone(good, options)]
        assert eng.restarts == 1
        # Not cached: the formula may fit on another machine. The others are.
        assert renderer.cache.get_many([renderer.key(batch[2])]) == {}
        assert len(renderer.cache.get_many([renderer.key(f) for f in good])) == len(good)
        assert eng.render_many([Formula("z", False)])[0].error is None


@needs_katex
def test_a_formula_over_the_output_budget_is_refused_before_its_html_is_built(engine):
    batch = [FIDELITY[0], Formula(amplified(2000), False), FIDELITY[1]]
    started = time.monotonic()
    ok1, big, ok2 = engine.render_many(batch)
    assert time.monotonic() - started < 60  # refused after parsing, well under the time budget
    assert big.error == ("formula exceeds the output budget of 2,000,000 characters "
                         "(its parse tree has more than 200,000 nodes)")
    assert not big.transient  # the same formula is refused the same way anywhere: cacheable
    assert big.html == error_mark(batch[1].tex, big.error)
    assert [ok1.html, ok2.html] == [r["html"] for r in reference([batch[0], batch[2]])["results"]]


@needs_katex
def test_html_over_the_output_budget_is_refused():
    # A fraction has a small parse tree and 1,500 characters of HTML.
    (r,) = rendered_alone([Formula(r"\frac{a}{b}", False)], MathOptions(max_output=1000))
    assert re.fullmatch(r"formula exceeds the output budget of 1,000 characters \(its HTML has 1,\d{3}\)",
                        r.error)
    assert not r.transient


@needs_katex
def test_a_formula_that_ends_the_process_is_its_error_and_the_batch_goes_on():
    # A heap too small for what the output budget lets through: KaTeX runs out of memory.
    options = MathOptions(max_output=10**9)
    batch = [FIDELITY[0], Formula(amplified(2000), False), FIDELITY[1]]
    with NodeKatexEngine(options, heap_mb=64) as eng:
        ok1, crashed, ok2 = eng.render_many(batch)
        assert crashed.error == "formula exceeds the memory budget of the KaTeX process (64 MB)"
        assert crashed.transient
        assert ok1.error is None and ok2.error is None
        assert [ok1.html, ok2.html] == [r["html"] for r in reference([batch[0], batch[2]])["results"]]


def test_the_output_budget_is_part_of_the_cache_key_and_the_time_budget_is_not():
    def key(options):
        return MathCache.make_key("katex-node", "0.16.22", options, Formula("x", False))

    assert key(MathOptions(max_output=1000)) != key(MathOptions())
    assert key(MathOptions(timeout=1)) == key(MathOptions())
    assert MathOptions.from_dict({"timeout": 2, "max_output": 30}) == MathOptions(timeout=2.0, max_output=30)
    with pytest.raises(ValueError, match="time budget"):
        MathOptions(timeout=0)


# ----------------------------------------------------------------------------------------------
# Finding KaTeX, engines


@needs_katex
def test_find_katex_dir_accepts_package_node_modules_and_prefix(tmp_path, monkeypatch):
    assert find_katex_dir(KATEX_DIR) == KATEX_DIR
    assert find_katex_dir(KATEX_DIR.parent) == KATEX_DIR  # node_modules
    assert find_katex_dir(KATEX_DIR.parent.parent) == KATEX_DIR  # npm --prefix folder
    monkeypatch.setenv("LABML_DOCS_KATEX_DIR", str(KATEX_DIR.parent.parent))
    assert find_katex_dir() == KATEX_DIR
    monkeypatch.setenv("LABML_DOCS_KATEX_DIR", str(tmp_path))
    with pytest.raises(KatexNotFoundError):
        find_katex_dir()


def test_missing_katex_says_how_to_install(tmp_path):
    with pytest.raises(KatexNotFoundError) as info:
        find_katex_dir(tmp_path)
    message = str(info.value)
    assert "npm install" in message and "katex@0.16.22 --prefix" in message


@needs_katex
def test_make_engine_auto_picks_node_and_logs(caplog):
    caplog.set_level("INFO", logger="labml_docs")
    with make_engine("auto", MACROS) as eng:
        assert eng.name == "katex-node" and eng.katex_version == PINNED_KATEX_VERSION
    assert any("katex-node" in rec.getMessage() for rec in caplog.records)
    with pytest.raises(ValueError):
        make_engine("mathjax")


def test_auto_falls_back_to_markdown_katex_without_katex(tmp_path, monkeypatch, caplog):
    pytest.importorskip("markdown_katex", reason="markdown-katex is not installed")
    monkeypatch.setenv("LABML_DOCS_KATEX_DIR", str(tmp_path))  # holds no katex
    caplog.set_level("INFO", logger="labml_docs")
    with make_engine("auto") as eng:
        assert eng.name == "markdown-katex"
    assert any("falling back to markdown-katex" in rec.getMessage() for rec in caplog.records)


def test_no_engine_at_all_is_a_clear_error(tmp_path, monkeypatch):
    import sys

    monkeypatch.setenv("LABML_DOCS_KATEX_DIR", str(tmp_path))
    monkeypatch.setitem(sys.modules, "markdown_katex", None)  # import fails
    with pytest.raises(MathEngineError) as info:
        make_engine("auto")
    message = str(info.value)
    assert "npm install" in message and "pip install markdown-katex" in message


def test_engine_names_are_written_once():
    from typing import get_args

    import click

    from labml_docs.cli import main

    assert ENGINES == get_args(EngineName) == ("auto", "katex-node", "markdown-katex")
    assert [engine_name(n) for n in ("Auto", "node", "KaTeX", "katex-node", "markdown_katex", "MathJax")] \
        == ["auto", "katex-node", "katex-node", "katex-node", "markdown-katex", "mathjax"]
    for command in ("build", "check", "serve"):
        (flag,) = [p for p in main.commands[command].params if p.name == "math_engine"]
        assert isinstance(flag.type, click.Choice) and tuple(flag.type.choices) == ENGINES
    pytest.importorskip("mkdocs")
    from labml_docs.mkdocs_plugin import LabmlDocsConfig

    assert tuple(LabmlDocsConfig.math_engine.choices) == ENGINES


def test_the_package_ships_the_katex_server():
    tomllib = pytest.importorskip("tomllib")
    setuptools = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))["tool"]["setuptools"]
    assert RENDER_SERVER.is_file() and RENDER_SERVER.parent.name == "math"
    assert "labml_docs.math" in setuptools["packages"]
    assert any(RENDER_SERVER.match(pattern) for pattern in setuptools["package-data"]["labml_docs.math"])


def test_options_from_dict():
    opts = MathOptions.from_dict({"macros": {"RR": r"\mathbb{R}", "\\E": r"\mathbb{E}"}, "output": "html"})
    assert opts == MathOptions(macros=(("\\RR", r"\mathbb{R}"), ("\\E", r"\mathbb{E}")), output="html")
    assert hash(opts) == hash(MathOptions.from_dict({"macros": [["RR", r"\mathbb{R}"], ["E", r"\mathbb{E}"]], "output": "html"}))
    assert MathOptions.from_dict(None) == MathOptions()
    with pytest.raises(ValueError):
        MathOptions.from_dict({"output": "svg"})
    with pytest.raises(ValueError):
        MathOptions.from_dict({"colour": True})


# ----------------------------------------------------------------------------------------------
# Cache


@needs_katex
def test_second_render_renders_nothing(engine, tmp_path):
    batch = FIDELITY + [Formula(r"\frac{1}{", False), FIDELITY[0]]
    first = MathRenderer(engine, MathCache(tmp_path))
    r1 = first.render_many(batch)
    assert first.stats.misses == len(FIDELITY) + 1  # the repeat is rendered once
    assert first.stats.errors == 1
    first.cache.close()

    second = MathRenderer(engine, MathCache(tmp_path))
    r2 = second.render_many(batch)
    assert second.stats.misses == 0 and second.stats.hits == len(batch)
    assert second.stats.errors == 1  # errors are cached, with their message, and reported again
    assert r2 == r1
    assert r2[-2].error and r2[-2].error.startswith("KaTeX parse error")


@needs_katex
def test_cache_key_depends_on_options_and_display(engine, tmp_path):
    cache = MathCache(tmp_path)
    MathRenderer(engine, cache).render_many([Formula("x", False)])
    r = MathRenderer(engine, cache)
    r.render_many([Formula("x", True)])
    assert r.stats.misses == 1
    with NodeKatexEngine(MathOptions(output="html")) as other:
        r2 = MathRenderer(other, cache)
        r2.render_many([Formula("x", False)])
        assert r2.stats.misses == 1
    assert MathCache.make_key("katex-node", "0.16.22", MathOptions(), Formula("x", False)) != MathCache.make_key(
        "katex-node", "0.16.21", MathOptions(), Formula("x", False)
    )


@needs_katex
def test_corrupt_entry_is_rendered_again(engine, tmp_path):
    batch = FIDELITY[:6]
    good = MathRenderer(engine, MathCache(tmp_path)).render_many(batch)
    db = tmp_path / MathCache.FILENAME
    with sqlite3.connect(db) as conn:
        keys = [row[0] for row in conn.execute("SELECT key FROM entries ORDER BY key LIMIT 2")]
        conn.executemany("UPDATE entries SET html = ? WHERE key = ?", [("<b>garbage</b>", k) for k in keys])
        conn.execute("UPDATE entries SET checksum = 'x' WHERE key = (SELECT key FROM entries ORDER BY key DESC LIMIT 1)")
    renderer = MathRenderer(engine, MathCache(tmp_path))
    assert renderer.render_many(batch) == good
    assert renderer.stats.misses == 3
    again = MathRenderer(engine, MathCache(tmp_path))
    assert again.render_many(batch) == good and again.stats.misses == 0


@needs_katex
@pytest.mark.parametrize("garbage", [b"", b"not a database at all" * 100, os.urandom(8192)])
def test_corrupt_database_is_dropped_and_rebuilt(engine, tmp_path, garbage):
    batch = FIDELITY[:6]
    cache = MathCache(tmp_path)
    good = MathRenderer(engine, cache).render_many(batch)
    cache.close()
    db = tmp_path / MathCache.FILENAME
    for extra in ("-wal", "-shm"):
        Path(str(db) + extra).unlink(missing_ok=True)
    db.write_bytes(garbage)
    cache = MathCache(tmp_path)
    renderer = MathRenderer(engine, cache)
    assert renderer.render_many(batch) == good
    assert renderer.stats.misses == len(batch)
    cache.close()
    again = MathRenderer(engine, MathCache(tmp_path))
    assert again.render_many(batch) == good and again.stats.misses == 0


@needs_katex
def test_garbage_over_a_database_page_is_survived(engine, tmp_path):
    batch = [Formula(f"y_{{{i}}}^{{2}} + \\alpha_{{{i}}}", False) for i in range(400)]
    cache = MathCache(tmp_path)
    good = MathRenderer(engine, cache).render_many(batch)
    cache.close()
    db = tmp_path / MathCache.FILENAME
    data = bytearray(db.read_bytes())
    assert len(data) > 3 * 4096
    data[4096 * 2 : 4096 * 2 + 3000] = os.urandom(3000)  # smash a page in the middle
    db.write_bytes(bytes(data))
    renderer = MathRenderer(engine, MathCache(tmp_path))
    assert renderer.render_many(batch) == good


def _render_in_child(args):
    cache_dir, formulas, seed = args
    options = MACROS
    with NodeKatexEngine(options) as eng:
        renderer = MathRenderer(eng, MathCache(cache_dir))
        out = []
        for start in range(0, len(formulas), 25):  # many small transactions interleave
            out += renderer.render_many([Formula(t, d) for t, d in formulas[start : start + 25]])
        renderer.cache.close()
        return [(r.html, r.error) for r in out]


@needs_katex
def test_two_processes_share_one_cache(tmp_path):
    shared = [(f.tex, f.display) for f in FIDELITY]
    mine = [[(f"z_{{{i}}} + {seed}", False) for i in range(150)] for seed in (1, 2)]
    jobs = [(str(tmp_path), shared + mine[0] + shared, 1), (str(tmp_path), mine[1] + shared + mine[0], 2)]
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(2) as pool:
        outputs = pool.map(_render_in_child, jobs)
    for (_, formulas, _), out in zip(jobs, outputs):
        ref = reference([Formula(t, d) for t, d in formulas])["results"]
        assert [html for html, _ in out] == [r["html"] for r in ref]
        assert all(err is None for _, err in out)
    with NodeKatexEngine(MACROS) as eng:
        renderer = MathRenderer(eng, MathCache(tmp_path))
        renderer.render_many([Formula(t, d) for t, d in shared + mine[0] + mine[1]])
        assert renderer.stats.misses == 0


def test_cache_in_unwritable_place_does_not_crash(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    cache = MathCache(blocker / "math")
    key = MathCache.make_key("e", "1", MathOptions(), Formula("x", False))
    cache.put_many([(key, MathResult("<b>x</b>", None))])
    assert cache.get_many([key]) == {}


def test_cache_round_trip_without_node(tmp_path):
    cache = MathCache(tmp_path)
    k1 = MathCache.make_key("e", "1", MathOptions(), Formula("x", False))
    k2 = MathCache.make_key("e", "1", MathOptions(), Formula("y", False))
    cache.put_many([(k1, MathResult("<b>x</b>", None)), (k2, MathResult("<i>err</i>", "KaTeX parse error: y"))])
    assert cache.get_many([k1, k2, "missing"]) == {
        k1: MathResult("<b>x</b>", None),
        k2: MathResult("<i>err</i>", "KaTeX parse error: y"),
    }
    assert len(cache) == 2


# ----------------------------------------------------------------------------------------------
# Assets


@needs_katex
def test_copy_katex_assets_has_css_and_every_font_it_references(tmp_path):
    dest = tmp_path / "site" / "assets" / "katex"
    css_path = copy_katex_assets(dest)
    assert css_path == dest / "katex.min.css"
    css = css_path.read_text("utf-8")
    assert css == (katex_assets_dir() / "katex.min.css").read_text("utf-8")
    urls = re.findall(r"url\((fonts/[^)]+)\)", css)
    woff2 = [u for u in urls if u.endswith(".woff2")]
    assert len(woff2) >= 20
    for url in urls:
        assert (dest / url).is_file(), url
    # A second copy changes nothing and still works.
    mtime = (dest / woff2[0]).stat().st_mtime_ns
    copy_katex_assets(dest)
    assert (dest / woff2[0]).stat().st_mtime_ns == mtime


# ----------------------------------------------------------------------------------------------
# markdown-katex fallback (slow: one process per formula)

@pytest.fixture(scope="module")
def md_engine():
    pytest.importorskip("markdown_katex", reason="markdown-katex is not installed")
    from labml_docs.math import MarkdownKatexEngine

    with MarkdownKatexEngine(MACROS) as eng:
        yield eng


def test_markdown_katex_fallback(md_engine):
    assert md_engine.name == "markdown-katex"
    assert re.fullmatch(r"\d+\.\d+\.\d+", md_engine.katex_version)
    ok, bad, refused, coloured, macro = md_engine.render_many(
        [
            Formula(r"\frac{a}{b}", True),
            Formula(r"\frac{1}{", False),
            Formula(r"\href{javascript:alert(1)}{x}", False),
            Formula(r"\htmlClass{coloredeq eq1}{\theta}", False),
            Formula(r"\RR", False),
        ]
    )
    assert ok.error is None and "katex-display" in ok.html and "<math" in ok.html
    assert bad.error is not None and bad.error.startswith("KaTeX parse error") and bad.html == error_mark(r"\frac{1}{", bad.error)
    assert refused.error is not None and "href=" not in refused.html
    assert coloured.error is None and "coloredeq eq1" in coloured.html
    assert macro.error is None and 'mathvariant="double-struck"' in macro.html
