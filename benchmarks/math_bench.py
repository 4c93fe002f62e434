"""Benchmark of the math engine.

    python benchmarks/math_bench.py                 # formulas of the labml-nn annotated tree
    python benchmarks/math_bench.py --corpus DIR    # formulas of the .py/.md files under DIR
    python benchmarks/math_bench.py --synthetic     # 3,000+ generated formulas (no download)

By default the labml-nn package is fetched with ``pip download --no-deps labml-nn`` into a
temporary folder and unpacked there (never installed); if that fails the synthetic set is used.
Docstrings and comments are read as raw source text, never evaluated.

Prints the time per formula of: our engine cold (new process, empty cache), warm (process
started, empty cache), a cached rebuild (warm cache: misses must be 0), markdown-katex on a small
sample, and KaTeX in Node directly (a loop inside one node run, timed inside node); the ratios;
and the formulas KaTeX rejects, grouped by message.

Goals: cold <= 3x Node's own loop; >= 1000x faster than markdown-katex.
"""

from __future__ import annotations

import argparse
import collections
import glob
import io
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import tokenize
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from labml_docs.math import (  # noqa: E402
    Formula,
    MathCache,
    MathRenderer,
    NodeKatexEngine,
    find_katex_dir,
    find_node,
)

# ------------------------------------------------------------------------------------------------
# Formula extraction (raw text: a docstring's backslashes are kept as written)

_FENCE = re.compile(r"^[ \t]*(```|~~~).*?^[ \t]*\1[ \t]*$", re.S | re.M)
_INLINE_CODE = re.compile(r"(`+)(?!`).+?(?<!`)\1(?!`)", re.S)
_DISPLAY = re.compile(r"(?<!\\)\$\$(.+?)(?<!\\)\$\$", re.S)
_ENV = re.compile(r"\\begin\{(align\*?|aligned|equation\*?|gather\*?)\}.*?\\end\{\1\}", re.S)
_INLINE = re.compile(r"(?<![\\$])\$(?!\$)((?:\\.|[^$\\])+?)(?<!\\)\$(?!\$)", re.S)


def extract_formulas(text: str) -> list[Formula]:
    """``$$...$$`` and ``\\begin{align}...\\end{align}`` (display) and ``$...$`` (inline) of a
    Markdown text, skipping code fences and inline code."""
    text = _FENCE.sub(" ", text)
    text = _INLINE_CODE.sub(lambda m: " " * len(m.group(0)) if "$" in m.group(0) else m.group(0), text)
    found: list[tuple[int, Formula]] = []

    def cut(match: re.Match, tex: str, display: bool) -> str:
        found.append((match.start(), Formula(tex.strip(), display)))
        return " " * (match.end() - match.start())

    text = _DISPLAY.sub(lambda m: cut(m, m.group(1), True), text)
    text = _ENV.sub(lambda m: cut(m, m.group(0), True), text)
    text = _INLINE.sub(lambda m: cut(m, m.group(1), False), text)
    found.sort(key=lambda item: item[0])
    return [f for _, f in found if f.tex]


def _raw_string_body(token: str) -> str | None:
    """The text between the quotes of a string literal, as written (escapes not processed)."""
    m = re.match(r"(?is)^([rbuf]*)('''|\"\"\"|'|\")(.*)\2$", token)
    if not m or "b" in m.group(1).lower():
        return None
    return m.group(3)


def python_docs(source: str) -> list[str]:
    """Docstring-like strings (triple-quoted) and comment blocks of a Python file, as raw text."""
    blocks: list[str] = []
    comment: list[str] = []
    last_line = -2
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return [source]
    for tok in tokens:
        if tok.type == tokenize.COMMENT:
            body = tok.string[1:]
            body = body[1:] if body.startswith(" ") else body
            if tok.start[0] != last_line + 1 and comment:
                blocks.append("\n".join(comment))
                comment = []
            comment.append(body)
            last_line = tok.start[0]
        elif tok.type == tokenize.STRING:
            body = _raw_string_body(tok.string)
            if body is not None and tok.string.lstrip("rRuUfF")[:3] in ('"""', "'''"):
                blocks.append(body)
    if comment:
        blocks.append("\n".join(comment))
    return blocks


def corpus_formulas(root: Path) -> list[tuple[str, Formula]]:
    out: list[tuple[str, Formula]] = []
    for path in sorted(root.rglob("*")):
        if path.suffix not in (".py", ".md") or not path.is_file():
            continue
        text = path.read_text("utf-8", errors="replace")
        blocks = python_docs(text) if path.suffix == ".py" else [text]
        for block in blocks:
            out += [(str(path.relative_to(root)), f) for f in extract_formulas(block)]
    return out


def download_labml_nn(tmp: Path) -> tuple[Path, str]:
    """``pip download --no-deps labml-nn`` into ``tmp`` and unpack it there (never installed);
    returns the ``labml_nn`` folder and the archive's name."""
    dl = tmp / "dl"
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "labml-nn", "-d", str(dl)],
        check=True,
        timeout=300,
    )
    tree = tmp / "tree"
    for archive in dl.iterdir():
        if archive.suffix == ".whl":
            with zipfile.ZipFile(archive) as z:
                z.extractall(tree)
        elif archive.name.endswith((".tar.gz", ".tgz")):
            with tarfile.open(archive) as t:
                t.extractall(tree, filter="data")
    found = [Path(p) for p in glob.glob(str(tree / "**" / "labml_nn"), recursive=True) if Path(p).is_dir()]
    if not found:
        raise RuntimeError("no labml_nn folder in the download")
    return min(found, key=lambda p: len(p.parts)), ", ".join(a.name for a in dl.iterdir())


# ------------------------------------------------------------------------------------------------
# Synthetic formulas

_GREEK = [r"\alpha", r"\beta", r"\gamma", r"\delta", r"\epsilon", r"\theta", r"\lambda", r"\mu", r"\sigma", r"\phi", r"\psi", r"\omega", r"\eta", r"\tau"]
_OPS = ["+", "-", r"\cdot", r"\times", "=", r"\le"]
_LATIN = list("abcdefghkmnpqrstuvwxyzABCDEFGHKLMNPQRSTUVWXYZ")


def synthetic_formulas(n: int = 3200, seed: int = 1) -> list[Formula]:
    rng = random.Random(seed)

    def sym() -> str:
        s = rng.choice(_GREEK + _LATIN)
        r = rng.random()
        if r < 0.3:
            s += f"_{{{rng.choice(['t', 't-1', 'i', 'ij', 'k+1', 'n'])}}}"
        elif r < 0.4:
            s += f"^{{{rng.choice(['2', 'T', '(l)', '-1'])}}}"
        acc = rng.random()
        if acc < 0.15:
            s = rf"\{rng.choice(['hat', 'tilde', 'bar', 'vec', 'dot'])}{{{s}}}"
        elif acc < 0.22:
            s = rf"\{rng.choice(['mathbb', 'mathcal', 'mathbf', 'mathrm'])}{{{rng.choice(_LATIN)}}}"
        return s

    def expr(depth: int = 0) -> str:
        k = rng.randrange(12 if depth < 2 else 3)
        if k == 0:
            return sym()
        if k == 1:
            return f"{sym()} {rng.choice(_OPS)} {expr(depth + 1)}"
        if k == 2:
            return f"{sym()} {sym()}"
        if k == 3:
            return rf"\frac{{{expr(depth + 1)}}}{{{expr(depth + 1)}}}"
        if k == 4:
            return rf"\sum_{{i=1}}^{{N}} {expr(depth + 1)}"
        if k == 5:
            return rf"\sqrt{{{expr(depth + 1)}}}"
        if k == 6:
            return rf"\log \Big( {expr(depth + 1)} \Big)"
        if k == 7:
            return rf"\operatorname{{softmax}}\left({expr(depth + 1)}\right)"
        if k == 8:
            return rf"\mathbb{{E}}_{{x \sim p}} \big[ {expr(depth + 1)} \big]"
        if k == 9:
            return rf"\begin{{pmatrix}} {sym()} & {sym()} \\ {sym()} & {sym()} \end{{pmatrix}}"
        if k == 10:
            return rf"\int_0^1 {expr(depth + 1)} \, dx"
        return rf"\text{{if }} {sym()} \le {sym()}"

    out: list[Formula] = []
    for _ in range(n):
        r = rng.random()
        if r < 0.08:
            rows = " \\\\\n".join(f"{sym()} &= {expr(1)}" for _ in range(rng.randrange(2, 5)))
            out.append(Formula(f"\\begin{{align}}\n{rows}\n\\end{{align}}", True))
        elif r < 0.12:
            out.append(Formula(rf"{sym()} = \begin{{cases}} {expr(1)} & {sym()} > 0 \\ 0 & \text{{otherwise}} \end{{cases}}", True))
        elif r < 0.3:
            out.append(Formula(expr(), True))
        else:
            out.append(Formula(expr(), False))
    return out


# ------------------------------------------------------------------------------------------------
# Timing

NODE_LOOP_JS = r"""
const katex = require(process.argv[1]);
const formulas = JSON.parse(require("fs").readFileSync(process.argv[2], "utf8"));
function loop() {
  const t0 = process.hrtime.bigint();
  let errors = 0;
  for (const [tex, display] of formulas) {
    try {
      katex.renderToString(tex, {displayMode: display, output: "htmlAndMathml", macros: {},
        throwOnError: true, strict: "ignore", trust: (c) => c.command === "\\htmlClass"});
    } catch (e) { errors++; }
  }
  return [Number(process.hrtime.bigint() - t0) / 1e6, errors];
}
const first = loop();
const second = loop();
process.stdout.write(JSON.stringify({first_ms: first[0], second_ms: second[0], errors: first[1]}));
"""


def node_direct(formulas: list[Formula], katex_dir: Path, node: str) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump([[x.tex, x.display] for x in formulas], f)
    try:
        t0 = time.perf_counter()
        out = subprocess.run(
            [node, "-e", NODE_LOOP_JS, str(katex_dir), f.name], capture_output=True, text=True, check=True
        )
        wall = time.perf_counter() - t0
    finally:
        os.unlink(f.name)
    data = json.loads(out.stdout)
    data["wall_ms"] = wall * 1000
    return data


def markdown_katex_sample(sample: list[Formula]) -> float | None:
    """Seconds per formula for markdown-katex with its own cache emptied (a fresh folder)."""
    try:
        from markdown_katex import wrapper

        from labml_docs.math import MarkdownKatexEngine
    except ImportError:
        return None
    old = wrapper.CACHE_DIR
    tmp = Path(tempfile.mkdtemp(prefix="mdkatex-bench-"))
    wrapper.CACHE_DIR = tmp
    try:
        with MarkdownKatexEngine() as eng:
            t0 = time.perf_counter()
            eng.render_many(sample)
            return (time.perf_counter() - t0) / len(sample)
    finally:
        wrapper.CACHE_DIR = old
        shutil.rmtree(tmp, ignore_errors=True)


def us(seconds: float) -> str:
    return f"{seconds * 1e6:10.1f} us"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, help="folder of annotated .py/.md files")
    ap.add_argument("--synthetic", action="store_true", help="use generated formulas (no download)")
    ap.add_argument("--min-formulas", type=int, default=3000, help="repeat the corpus up to this many formulas")
    ap.add_argument("--md-sample", type=int, default=20, help="formulas for markdown-katex (0: skip)")
    ap.add_argument("--show-errors", type=int, default=15, help="rejected formulas to list")
    ap.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    args = ap.parse_args(argv)

    node = find_node()
    if node is None:
        print("node not found: install Node.js", file=sys.stderr)
        return 2
    katex_dir = find_katex_dir()

    tmp = Path(tempfile.mkdtemp(prefix="labml-docs-mathbench-"))
    try:
        located: list[tuple[str, Formula]]
        if args.synthetic:
            source, located = "synthetic", [("synthetic", f) for f in synthetic_formulas()]
        elif args.corpus:
            source, located = str(args.corpus), corpus_formulas(args.corpus)
        else:
            try:
                tree, archive = download_labml_nn(tmp)
                source, located = f"labml-nn ({archive}, pip download)", corpus_formulas(tree)
            except Exception as e:  # noqa: BLE001
                print(f"labml-nn could not be fetched ({e}); using synthetic formulas", file=sys.stderr)
                source, located = "synthetic", [("synthetic", f) for f in synthetic_formulas()]
        corpus = [f for _, f in located]
        if not corpus:
            print("no formulas found", file=sys.stderr)
            return 2
        unique = list(dict.fromkeys(corpus))
        # The benchmark set: the corpus, repeated (with a marker, so repeats are distinct
        # formulas) up to --min-formulas.
        formulas = list(corpus)
        rep = 1
        while len(formulas) < args.min_formulas:
            formulas += [Formula(f"{f.tex}\n% repeat {rep}", f.display) for f in corpus]
            rep += 1
        n = len(formulas)
        print(f"formulas: {len(corpus)} from {source} ({len(unique)} distinct); benchmark set: {n}")

        # Cold: a new process, the whole batch (every formula rendered, as in Node's own loop).
        t0 = time.perf_counter()
        with NodeKatexEngine() as cold_engine:
            t_start = time.perf_counter() - t0
            results = cold_engine.render_many(formulas)
            t_cold = time.perf_counter() - t0
        # Cold build: a new process and an empty cache (repeats rendered once, results stored).
        t0 = time.perf_counter()
        with NodeKatexEngine() as cold_engine:
            cold_renderer = MathRenderer(cold_engine, MathCache(tmp / "cache-cold"))
            cold_renderer.render_many(formulas)
            t_cold_build = time.perf_counter() - t0
            cold_renderer.cache.close()

        # Warm: the process is running (and has rendered something else), the cache is empty.
        with NodeKatexEngine() as engine:
            engine.render_many(synthetic_formulas(300, seed=7))
            t0 = time.perf_counter()
            engine.render_many(formulas)
            t_warm = time.perf_counter() - t0
            cache_dir = tmp / "cache"
            renderer = MathRenderer(engine, MathCache(cache_dir))
            t0 = time.perf_counter()
            renderer.render_many(formulas)
            t_warm_build = time.perf_counter() - t0
            renderer.cache.close()
            # Cached rebuild: a new renderer (empty memory) over the warm on-disk cache.
            rebuild = MathRenderer(engine, MathCache(cache_dir))
            t0 = time.perf_counter()
            rebuild.render_many(formulas)
            t_cached = time.perf_counter() - t0
            rebuild.cache.close()

        direct = node_direct(formulas, katex_dir, node)
        t_node = direct["first_ms"] / 1000
        t_node_warm = direct["second_ms"] / 1000

        t_md = markdown_katex_sample(unique[: args.md_sample]) if args.md_sample else None

        per = {
            "cold": t_cold / n,
            "warm": t_warm / n,
            "cold_build": t_cold_build / n,
            "warm_build": t_warm_build / n,
            "cached": t_cached / n,
            "node_first_loop": t_node / n,
            "node_second_loop": t_node_warm / n,
        }
        distinct = len(set(formulas))
        print(f"\nper formula (n = {n}; {distinct} distinct):")
        print(f"  ours, engine cold (new node process, all n)     {us(per['cold'])}   [process start {t_start * 1000:.0f} ms incl.]")
        print(f"  ours, engine warm (process running, all n)      {us(per['warm'])}")
        print(f"  ours, renderer cold (new process, empty cache)  {us(per['cold_build'])}   [repeats rendered once; SQLite writes incl.]")
        print(f"  ours, renderer warm (empty cache)               {us(per['warm_build'])}")
        print(f"  ours, cached rebuild (warm disk cache)          {us(per['cached'])}   misses = {rebuild.stats.misses}")
        print(f"  node + KaTeX directly, first loop               {us(per['node_first_loop'])}   [timed inside node]")
        print(f"  node + KaTeX directly, second loop              {us(per['node_second_loop'])}")
        if t_md is not None:
            per["markdown_katex"] = t_md
            print(f"  markdown-katex ({min(args.md_sample, len(unique))} formulas, one process each)  {us(t_md)}")
        print("\nratios:")
        ratio_cold = per["cold"] / per["node_first_loop"]
        print(f"  engine cold / node direct      {ratio_cold:8.2f}x   (goal <= 3x)     {'OK' if ratio_cold <= 3 else 'MISSED'}")
        print(f"  engine warm / node direct      {per['warm'] / per['node_first_loop']:8.2f}x")
        if t_md is not None:
            r_md = t_md / per["cold"]
            print(f"  markdown-katex / engine cold   {r_md:8.0f}x   (goal >= 1000x)  {'OK' if r_md >= 1000 else 'MISSED'}")
            print(f"  markdown-katex / engine warm   {t_md / per['warm']:8.0f}x")
        print(f"  cached rebuild misses          {rebuild.stats.misses:8d}    (goal 0)         {'OK' if rebuild.stats.misses == 0 else 'MISSED'}")

        # KaTeX's verdict on the corpus itself.
        errors = [(where, f, r.error) for (where, f), r in zip(located, results) if r.error]
        print(f"\nKaTeX rejects {len(errors)} of {len(corpus)} corpus formulas (node direct counted {direct['errors']} in the benchmark set)")
        kinds = collections.Counter(re.sub(r" at position \d+.*", "", e).split(":", 1)[-1].strip()[:70] for _, _, e in errors)
        for kind, count in kinds.most_common(10):
            print(f"  {count:4d}  {kind}")
        for where, f, e in errors[: args.show_errors]:
            print(f"  - {where}: {'$$' if f.display else '$'}{f.tex[:100]!r}\n      {e[:160]}")
        if args.json:
            args.json.write_text(json.dumps({"n": n, "per_formula_s": per, "errors": len(errors)}, indent=2))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
