"""Benchmark of the Python lexer: Pygments' `PythonLexer` against `labml_docs.fast_lexer`.

    python benchmarks/lexer_bench.py                # the installed torch package's .py files
    python benchmarks/lexer_bench.py --tree DIR     # the .py files under DIR
    python benchmarks/lexer_bench.py --stdlib       # the running interpreter's standard library
    python benchmarks/lexer_bench.py --repeat 5
    python benchmarks/lexer_bench.py --all-lexers   # every Pygments lexer on mixed text

Both lexers run on every file in turn, alternating which goes first, `--repeat` times; the
best total of each is printed with the ratio. The token streams are compared file by file:
the script fails (exit status 1) if any differs, and prints the files that do.
Also prints the whole highlighting of every line (`FileHighlighter`: lexing, cutting into
lines, HTML) with our lexer, for scale.

`--all-lexers` instead runs every lexer Pygments has (fenced code blocks may use any) on
text mixing this repository's Python, Markdown, HTML templates, YAML and TOML, and counts
the lexers the accelerator takes, those it leaves to Pygments, and any that differ.
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import sys
import sysconfig
import time
import tokenize
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pygments.lexers import PythonLexer  # noqa: E402

from labml_docs.fast_lexer import accelerator, get_tokens  # noqa: E402
from labml_docs.highlight import FileHighlighter  # noqa: E402


def read_source(path: Path) -> str:
    """A file's text in its declared encoding; undecodable bytes replaced (any text lexes)."""
    data = path.read_bytes()
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError:
        encoding = "utf-8"
    try:
        return data.decode(encoding, "replace")
    except LookupError:
        return data.decode("utf-8", "replace")


def python_files(root: Path) -> list[Path]:
    skip = {"site-packages", "dist-packages", "__pycache__"}
    return sorted(p for p in root.rglob("*.py")
                  if p.is_file() and not skip.intersection(p.relative_to(root).parts))


def default_tree() -> Path:
    spec = importlib.util.find_spec("torch")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("torch is not installed: pass --tree DIR")
    return Path(list(spec.submodule_search_locations)[0])


def tokens_or_error(lex, text: str) -> list | str:
    try:
        return list(lex(text))
    except Exception as error:  # the same failure counts as the same result
        return type(error).__name__


def all_lexers() -> int:
    from pygments.lexers import find_lexer_class_by_name, get_all_lexers

    repo = Path(__file__).resolve().parents[1]
    parts = [read_source(p) for p in (repo / "labml_docs" / "highlight.py", repo / "README.md",
                                      repo / "site_templates" / "page.html",
                                      repo / "mkdocs.yml", repo / "pyproject.toml")
             if p.exists()]
    text = "\n".join(parts)
    text += text.replace("\n", "\r\n")[:2000] + "\t$x @ {} <<EOF 'unterminated \\\n"
    taken = left = 0
    differ = []
    started = time.perf_counter()
    for _name, aliases, _, _ in get_all_lexers():
        if not aliases:
            continue
        try:
            lexer = find_lexer_class_by_name(aliases[0])(stripnl=False, ensurenl=True)
        except Exception:  # a lexer that needs options or packages: not ours to test
            continue
        if accelerator(lexer) is None:
            left += 1
            continue
        taken += 1
        results = [tokens_or_error(lexer.get_tokens, text),
                   tokens_or_error(lambda t, lx=lexer: get_tokens(lx, t), text)]
        if results[0] != results[1]:
            differ.append(aliases[0])
    print(f"{taken} lexers accelerated, {left} left to Pygments, "
          f"{len(differ)} differ {differ} ({time.perf_counter() - started:.0f} s,"
          f" {len(text):,} characters each)")
    return 1 if differ else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tree", type=Path, help="folder of .py files (default: torch)")
    parser.add_argument("--stdlib", action="store_true", help="the standard library")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--all-lexers", action="store_true",
                        help="compare every Pygments lexer on mixed text")
    args = parser.parse_args()
    if args.all_lexers:
        return all_lexers()
    root = (Path(sysconfig.get_paths()["stdlib"]) if args.stdlib
            else args.tree or default_tree())
    files = python_files(root)
    texts = [read_source(p) for p in files]
    lexer = PythonLexer(stripnl=False, ensurenl=True)
    started = time.perf_counter()
    if accelerator(lexer) is None:
        sys.exit("the accelerator does not take this Pygments' PythonLexer")
    setup = time.perf_counter() - started
    print(f"{root}: {len(files)} files, {sum(t.count(chr(10)) for t in texts):,} lines")
    print(f"accelerator set-up: {setup * 1000:.0f} ms")

    # Which files differ, checked once; timing runs only count tokens.
    mismatched = [str(p) for p, text in zip(files, texts)
                  if list(lexer.get_tokens(text)) != list(get_tokens(lexer, text))]

    best = {"pygments": float("inf"), "ours": float("inf")}
    counts = {"pygments": 0, "ours": 0}
    for run in range(args.repeat):
        spent = {"pygments": 0.0, "ours": 0.0}
        count = {"pygments": 0, "ours": 0}
        for i, text in enumerate(texts):
            order = ["pygments", "ours"] if (i + run) % 2 == 0 else ["ours", "pygments"]
            for name in order:
                t0 = time.perf_counter()
                stream = lexer.get_tokens(text) if name == "pygments" else get_tokens(lexer, text)
                n = sum(1 for _ in stream)
                spent[name] += time.perf_counter() - t0
                count[name] += n
        for name in best:
            best[name] = min(best[name], spent[name])
        counts = count
        print(f"run {run + 1}: pygments {spent['pygments']:.2f} s, ours {spent['ours']:.2f} s,"
              f" ratio {spent['pygments'] / spent['ours']:.2f}x")

    t0 = time.perf_counter()
    for text in texts:
        highlighter = FileHighlighter(text)
        highlighter.section([(n, "") for n in range(1, len(highlighter.lines) + 1)])
    whole = time.perf_counter() - t0

    print(f"best of {args.repeat}: pygments {best['pygments']:.2f} s, ours {best['ours']:.2f} s,"
          f" ratio {best['pygments'] / best['ours']:.2f}x")
    print(f"tokens: pygments {counts['pygments']:,}, ours {counts['ours']:,}"
          f" ({'identical counts' if counts['pygments'] == counts['ours'] else 'DIFFERENT'})")
    print(f"token streams identical on {len(files) - len(mismatched)} of {len(files)} files")
    for path in mismatched:
        print(f"  differs: {path}")
    print(f"whole highlighting of every line with our lexer: {whole:.2f} s")
    return 1 if mismatched or counts["pygments"] != counts["ours"] else 0


if __name__ == "__main__":
    sys.exit(main())
