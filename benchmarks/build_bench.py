"""Build benchmark: a large synthetic annotated tree, built cold, unchanged and after one edit.

    PYTHONPATH=. python benchmarks/build_bench.py [--files 1000] [--formulas 20] [--keep DIR]
                                                  [--no-pycco] [--no-memory] [--repeat 3]

The tree imitates labml_nn: packages whose `__init__.py` opens with a docstring holding YAML
front matter, a readme per package, modules with a front-matter docstring, classes and
methods with docstrings, runs of `#` comments with inline `$...$` and display `$$...$$` math,
and links between files. About `--formulas` formulas per file (20 by default: 20,000 for 1,000
files), most of them distinct, as in real notes.

It prints, in one table:

* our build run as the CLI runs it, in a fresh process (`python -m labml_docs.cli build`):
  cold (empty caches), no-op (nothing changed), one file (the words of one comment edited), one
  file with a new formula (a comment with a formula KaTeX has not seen: Node.js must start),
  the last three three times after each cold build, best and median, beside a fixed workload
  that shows how much the machine itself varies; and the same in one process
  (`Builder.render()`, what `mkdocs serve` pays);
* the peak memory (ru_maxrss of the build process, from `wait4`) of cold builds of the first
  250, 500 and 1,000 files: it should grow at most linearly;
* pycco (`pycco -p -d OUT files...`) on the same tree, which renders no math, and the ratios.

With `--tree PATH`, a real tree instead: see [`tree_bench`](tree_bench.py).

Goals: cold ≤ pycco, no-op < 0.5 s, one file < 0.3 s (an edit that adds no formula; one that
adds a formula also pays for starting Node.js, about 0.1 s, and is reported on its own).
"""

from __future__ import annotations

import argparse
import compileall
import importlib.util
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

GREEK = ["\\alpha", "\\beta", "\\gamma", "\\delta", "\\epsilon", "\\theta", "\\lambda", "\\mu",
         "\\sigma", "\\tau", "\\phi", "\\omega", "\\eta", "\\rho"]
LATIN = list("xyzwhkqvbWUVKQ")
WORDS = ["the", "model", "layer", "attention", "gradient", "update", "weight", "learning", "rate", "step", "input", "output", "token", "embedding", "head", "query", "key", "value", "residual", "normalisation", "batch", "sequence", "loss", "parameter", "moment", "estimate", "bias", "correction", "decay", "scale", "projection"]


def formula(rng: random.Random) -> str:
    a, b = rng.choice(LATIN), rng.choice(GREEK)
    i, t = rng.choice("ijkl"), rng.choice("tsn")
    kinds = [
        f"{a}_{{{i},{t}}} = {b} {a}_{{{i},{t}-1}} + (1 - {b}) g_{{{t}}}^{{{rng.randint(1, 3)}}}",
        f"\\frac{{\\partial \\mathcal{{L}}}}{{\\partial {a}_{{{i}}}}} = \\sum_{{{t}=1}}^{{{rng.randint(2, 64)}}} {b}_{t} {a}_{{{i}{t}}}",
        f"\\hat{{{a}}}_{t} = \\frac{{{a}_{t}}}{{1 - {b}^{t}}}",
        f"\\mathop{{softmax}}\\Big(\\frac{{Q K^\\top}}{{\\sqrt{{d_{{{rng.randint(8, 512)}}}}}}}\\Big)V",
        f"{b}_{{{t}+1}} \\leftarrow {b}_{t} - \\eta \\frac{{\\hat{{m}}_{t}}}{{\\sqrt{{\\hat{{v}}_{t}}} + \\epsilon}}",
        f"\\Vert {a} \\Vert_{rng.randint(1, 4)} \\le {rng.randint(2, 99)} {b}",
        f"\\mathbb{{E}}_{{{a} \\sim p}}\\big[\\log q({a}_{{{i}}})\\big]",
    ]
    return rng.choice(kinds)


def sentence(rng: random.Random, math: list[str] | None = None) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(6, 14))]
    if math:
        words.insert(rng.randint(0, len(words)), f"${math.pop()}$")
    text = " ".join(words)
    return text[0].upper() + text[1:] + "."


def make_module(rng: random.Random, path: str, others: list[str], formulas: int) -> str:
    """One annotated module with about `formulas` formulas."""
    pool = [formula(rng) for _ in range(formulas)]
    inline = pool[: formulas * 2 // 3]
    display = pool[formulas * 2 // 3:]
    depth = path.count("/")
    out = ['"""', "---", f"title: {path.rsplit('/', 1)[-1][:-3].replace('_', ' ').title()}",
           f"summary: {sentence(rng)}", "---", "", f"# {path}", "",
           sentence(rng, inline) + " " + sentence(rng, inline), ""]
    if others:
        target = rng.choice(others)
        out.append(f"See [the related module]({'../' * depth}{target}) for details.")
        out.append("")
    if display:
        out += ["$$", display.pop(), "$$", ""]
    out += ['"""', "", "import math", "from typing import Optional", "", "import torch",
            "from torch import nn", ""]
    n = 0
    while inline or display:
        n += 1
        out += ["", f"class Block{n}(nn.Module):", '    """',
                f"    ## Block {n}", "", "    " + sentence(rng, inline), "", '    """', "",
                "    def __init__(self, d_model: int, heads: int = 8, dropout: float = 0.1):",
                "        super().__init__()"]
        for k in range(rng.randint(2, 5)):
            out += [f"        # {sentence(rng, inline)}",
                    f"        self.linear_{k} = nn.Linear(d_model, d_model * {k + 1})"]
        out += ["", "    def forward(self, x: torch.Tensor, mask: Optional[torch.Tensor] = None):",
                '        """', "        * `x` is the input of shape `[batch, seq, d_model]`",
                f"        * `mask` {sentence(rng)}", '        """']
        for k in range(rng.randint(3, 6)):
            out.append(f"        # {sentence(rng, inline)}")
            if display and rng.random() < 0.5:
                out += ["        #", "        # $$", f"        # {display.pop()}", "        # $$"]
            out += [f"        h_{k} = self.linear_{k % 2}(x) * math.sqrt({k + 1})",
                    f"        x = torch.relu(h_{k}) + x"]
            for _ in range(rng.randint(1, 4)):
                out.append(f"        x = x.view(x.shape[0], -1, {rng.randint(2, 64)}).mean(-1)")
        out += ["        return x", ""]
    out += ["", "def _test():", '    """Try it."""', "    x = torch.zeros(2, 3)",
            "    print(Block1(3)(x))", "", "", 'if __name__ == "__main__":', "    _test()", ""]
    return "\n".join(out)


def make_tree(root: Path, files: int, formulas: int = 20, seed: int = 0) -> list[Path]:
    """`files` annotated files under `root` (about 20 to a package, plus a readme each)."""
    rng = random.Random(seed)
    per_package = 20
    paths = []
    for n in range(files):
        package, module = divmod(n, per_package)
        name = "__init__.py" if module == 0 else f"module_{module:02d}.py"
        paths.append(f"pkg_{package:03d}/{name}")
    root.mkdir(parents=True, exist_ok=True)
    (root / "__init__.py").write_text('"""\n---\ntitle: Synthetic\nsummary: A benchmark tree.\n'
                                      '---\n\n# Synthetic annotated tree\n"""\n')
    written = [root / "__init__.py"]
    for path in paths:
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        others = [p for p in rng.sample(paths, 3) if p != path]
        target.write_text(make_module(rng, path, others, formulas), encoding="utf-8")
        written.append(target)
        if path.endswith("__init__.py"):
            readme = target.parent / "readme.md"
            readme.write_text(f"# {target.parent.name}\n\n{sentence(rng, [formula(rng)])}\n\n"
                              f"[Code](__init__.py)\n", encoding="utf-8")
            written.append(readme)
    return written


# ## Running


def run(cmd: list[str], cwd: Path | None = None) -> tuple[float, int]:
    """Seconds and peak RSS (MiB) of a command run in a fresh process."""
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    stderr = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{stderr.decode(errors='replace')[-2000:]}")
    return seconds, usage.ru_maxrss // 1024


def cli_build(src: Path, out: Path, cache: Path, config: Path) -> tuple[float, int]:
    return run([sys.executable, "-m", "labml_docs.cli", "build", str(src), "--out", str(out),
                "--cache-dir", str(cache), "--config", str(config)])


def edit_one(src: Path, n: int, formula: bool = False) -> None:
    """Add a comment line to one module (not its code): words only, or with a formula that no
    build has seen."""
    target = src / "pkg_001" / "module_03.py"
    text = target.read_text(encoding="utf-8")
    i = text.index("        # ")
    note = (f"$a_{{{n}}} + b_{{{time.time_ns() % 10 ** 12}}}$ changed" if formula
            else "words changed")
    target.write_text(text[:i] + f"        # Edited {n}: {note}.\n" + text[i:],
                      encoding="utf-8")


#: No-op and one-file rebuilds after each cold build.
QUICK_RUNS = 3
#: A fixed piece of work, timed beside the one-file rebuilds: how much the machine alone varies
#: (on a shared virtual machine, the same work can take half as long again from one run to
#: the next).
REFERENCE = "sum(i * i for i in range(1_500_000))"


def best(values: list[float]) -> str:
    return f"{min(values):.2f} s" + (f" (median {statistics.median(values):.2f})"
                                     if len(values) > 1 else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--formulas", type=int, default=20, help="per file")
    parser.add_argument("--repeat", type=int, default=None, help="3; 1 with --tree")
    parser.add_argument("--keep", type=Path, help="build in this folder and keep it")
    parser.add_argument("--no-pycco", action="store_true")
    parser.add_argument("--no-memory", action="store_true")
    parser.add_argument("--jobs", type=int, default=0)
    real = parser.add_argument_group("a real tree instead (see benchmarks/tree_bench.py)")
    real.add_argument("--tree", help="build this tree (copied: it is edited)")
    real.add_argument("--code", action="append", metavar="LABEL=DIR",
                      help="a checkout of labml-docs to measure (repeat to compare)")
    real.add_argument("--subset", help="folders of the tree, comma-separated: pycco and -j 1 on them")
    real.add_argument("--edit", help="the file to edit (default: optim/adam.py or optimizers/adam.py)")
    real.add_argument("--work", help="folder to work in")
    real.add_argument("--no-search", action="store_true",
                      help="build without the search index (--no-search on every build)")
    real.add_argument("--quick", action="store_true",
                      help="only the edits: one cold build at -j 2 to start from (no -j 1, "
                           "no memory, no subset, no pycco), then the rebuilds, each twice")
    args = parser.parse_args()
    if args.tree:
        sys.path.insert(0, str(REPO / "benchmarks"))
        from tree_bench import tree_main
        args.repeat = args.repeat or 1
        tree_main(args)
        return
    args.repeat = args.repeat or 3

    # The generator's bytecode, as an installed package has it (pip compiles at install; an
    # editable install, or PYTHONDONTWRITEBYTECODE, would leave every run compiling it again).
    compileall.compile_dir(str(REPO / "labml_docs"), quiet=1)
    work = args.keep or Path(tempfile.mkdtemp(prefix="labml-docs-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    src = work / "tree"
    shutil.rmtree(src, ignore_errors=True)
    made = make_tree(src, args.files, args.formulas)
    pages = [p for p in made if p.suffix == ".py"]
    config = work / "labml-docs.yml"
    config.write_text(f"jobs: {args.jobs}\n")
    lines = sum(p.read_text().count("\n") for p in made)
    print(f"tree: {len(made)} files ({len(pages)} .py), {lines} lines, in {src}; "
          f"{os.cpu_count()} cores; load {os.getloadavg()[0]:.1f}")
    rows: list[tuple[str, str]] = []

    # CLI, fresh processes.
    colds, noops, ones, ones_math, references = [], [], [], [], []
    cold_rss = 0
    for r in range(args.repeat):
        cache, out = work / f"cache-{r}", work / "site"
        shutil.rmtree(cache, ignore_errors=True)
        shutil.rmtree(out, ignore_errors=True)
        seconds, cold_rss = cli_build(src, out, cache, config)
        colds.append(seconds)
        # The quick runs, several times each: they are short enough for noise to matter.
        for k in range(QUICK_RUNS):
            noops.append(cli_build(src, out, cache, config)[0])
            edit_one(src, 10 * r + k)
            ones.append(cli_build(src, out, cache, config)[0])
            references.append(run([sys.executable, "-c", REFERENCE])[0])
            edit_one(src, 500 + 10 * r + k, formula=True)
            ones_math.append(cli_build(src, out, cache, config)[0])
        shutil.rmtree(cache, ignore_errors=True)
    formulas = count_formulas(src)
    rows += [("labml-docs cold build (CLI, empty caches)", best(colds)),
             ("labml-docs no-op rebuild (CLI)", best(noops)),
             ("labml-docs one-file rebuild (CLI)", best(ones)),
             ("labml-docs one-file rebuild, new formula (CLI)", best(ones_math)),
             ("the machine's noise: a fixed workload (fresh Python)",
              best(references) + f", median/best {statistics.median(references) / min(references):.2f}")]

    # Memory at 250, 500, 1000 files, before anything runs in this process: a child forked
    # from a large parent would count the parent's pages as its own.
    if not args.no_memory:
        for size in sorted({max(1, args.files // 4), max(1, args.files // 2), args.files}):
            if size == args.files:
                rows.append((f"peak RSS, cold build, {size} files", f"{cold_rss} MiB"))
                continue
            part = work / f"tree-{size}"
            shutil.rmtree(part, ignore_errors=True)
            make_tree(part, size, args.formulas)
            c = work / f"cache-mem-{size}"
            shutil.rmtree(c, ignore_errors=True)
            _, rss = cli_build(part, work / f"site-{size}", c, config)
            shutil.rmtree(c, ignore_errors=True)
            rows.append((f"peak RSS, cold build, {size} files", f"{rss} MiB"))

    # In process, as `mkdocs serve` runs it.
    sys.path.insert(0, str(REPO))
    from labml_docs.build import Builder
    from labml_docs.config import SiteConfig

    cache = work / "cache-inproc"
    shutil.rmtree(cache, ignore_errors=True)
    cfg = SiteConfig(source_dir=src, cache_dir=str(cache), jobs=args.jobs)
    with Builder(cfg) as builder:
        t = time.perf_counter()
        site = builder.render()
        cold_in = time.perf_counter() - t
        stats = site.stats
        noop_in, one_in, one_math_in = [], [], []
        for r in range(args.repeat):
            t = time.perf_counter()
            s = builder.render()
            noop_in.append(time.perf_counter() - t)
            assert s.stats["rendered"] == 0, s.stats
            edit_one(src, 100 + r)
            t = time.perf_counter()
            s = builder.render()
            one_in.append(time.perf_counter() - t)
            assert s.stats["rendered"] == 1, s.stats
            edit_one(src, 150 + r, formula=True)
            t = time.perf_counter()
            s = builder.render()
            one_math_in.append(time.perf_counter() - t)
            assert s.stats["rendered"] == 1 and s.stats["math_misses"] >= 1, s.stats
    shutil.rmtree(cache, ignore_errors=True)
    rows += [("labml-docs cold render (in process)", f"{cold_in:.2f} s"),
             ("labml-docs no-op render (in process)", best(noop_in)),
             ("labml-docs one-file render (in process)", best(one_in)),
             ("labml-docs one-file render, new formula (in process)", best(one_math_in))]

    # pycco.
    pycco = None
    if args.no_pycco:
        pass
    elif importlib.util.find_spec("pycco") is None:
        rows.append(("pycco", "not installed (pip install pycco)"))
    else:
        times = []
        for _ in range(args.repeat):
            out = work / "pycco"
            shutil.rmtree(out, ignore_errors=True)
            files = [str(p.relative_to(src)) for p in sorted(src.rglob("*.py"))]
            times.append(run([sys.executable, "-m", "pycco.main", "-p", "-d", str(out)]
                             + files, cwd=src)[0])
        pycco = min(times)
        rows.append(("pycco (no math)", best(times)))

    rows.append(("formulas in the tree / rendered cold", f"{formulas} / {stats['math_misses']} "
                 f"new to KaTeX ({stats['math_hits']} repeats)"))
    if pycco:
        rows.append(("cold build / pycco", f"{min(colds) / pycco:.2f}"))
    rows.append(("goal: cold ≤ pycco, no-op < 0.5 s, one file < 0.3 s",
                 "met" if (pycco is None or min(colds) <= pycco) and min(noops) < 0.5
                 and min(ones) < 0.3 else "NOT met"))
    rows.append(("one file with a new formula < 0.3 s (Node.js starts)",
                 "met" if min(ones_math) < 0.3 else "NOT met"))
    width = max(len(a) for a, _ in rows)
    print()
    for a, b in rows:
        print(f"{a:<{width}}  {b}")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


def count_formulas(src: Path) -> int:
    sys.path.insert(0, str(REPO))
    from labml_docs.markdown import cut_math
    from labml_docs.parse import parse_markdown, parse_python

    total = 0
    for path in src.rglob("*"):
        if path.suffix == ".py" or path.name == "readme.md":
            parse = parse_python if path.suffix == ".py" else parse_markdown
            page = parse(path.read_text(encoding="utf-8"), str(path))
            total += sum(len(cut_math(s.docs)[1]) for s in page.sections)
    return total


if __name__ == "__main__":
    main()
