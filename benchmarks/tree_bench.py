"""Build benchmark on a real tree (PyTorch's own source, the labml-nn wheel): cold builds, memory,
pycco, and the rebuilds after one edit.

    PYTHONPATH=. python benchmarks/build_bench.py --tree /tmp/torch-tree/torch \\
        [--code main=/work/main --code new=.] [--subset nn,optim,distributions,utils/data,autograd]
        [--edit optim/adam.py] [--repeat 1] [--work DIR] [--no-search] [--quick]

For each checkout of the generator (`--code LABEL=DIR`, the repository itself by default),
interleaved so that the machine's load falls alike on each, it prints:

* the cold build from the command line (`python -m labml_docs.cli build`, empty caches) at
  `-j 1` and `-j 2`, with the memory of the whole process tree while it runs: the sum over the
  build, its workers and Node.js, sampled every 0.5 s (proportional set size, which counts a page
  that forked processes share once; and resident size, which counts it in each);
* a no-op rebuild, a *comment edit* (a comment line appended to `--edit`: no definition
  changes) and a *definition edit* (a function added at its end, and, separately, one of its
  functions renamed), each with the count of pages rendered again;
* pycco (`pycco -p -d OUT files...`, the `bench` extra) on the whole tree (it may crash: the
  crash is reported) and on `--subset` (folders of the tree; pycco and our `-j 1` on the same
  files);
* with `--quick`, only one cold build at `-j 2` and the rebuilds (no-op and comment edit twice
  each; the first comment edit is the first rebuild after the cold build);
* the load average of the machine beside each figure (2 shared cores: figures are noisy; the
  ratios of runs made side by side are what to compare).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

try:
    import psutil
except ImportError:  # the `bench` extra
    psutil = None


@dataclass
class Run:
    """One command, timed, with the memory of its process tree."""
    seconds: float
    ok: bool
    rendered: int | None = None
    pss_mib: float | None = None  # peak of the sum over the process tree
    rss_mib: float | None = None
    processes: int = 0  # most processes seen at once
    load: float = 0.0  # 1-minute load average when it ended
    error: str = ""

    def time(self) -> str:
        return f"{self.seconds:6.2f} s" if self.ok else "failed"


@dataclass
class Sampler:
    """Samples the memory of a process and all its descendants until stopped."""
    pid: int
    interval: float = 0.5
    pss: float = 0.0
    rss: float = 0.0
    processes: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self._run, daemon=True)
        thread.start()
        return thread

    def _run(self) -> None:
        if psutil is None:
            return
        try:
            root = psutil.Process(self.pid)
        except psutil.Error:
            return
        while not self._stop.is_set():
            pss = rss = 0
            try:
                family = [root] + root.children(recursive=True)
            except psutil.Error:
                break
            for process in family:
                try:
                    info = process.memory_full_info()
                    pss += getattr(info, "pss", info.rss)
                    rss += info.rss
                except psutil.Error:
                    pass
            self.pss = max(self.pss, pss / 2 ** 20)
            self.rss = max(self.rss, rss / 2 ** 20)
            self.processes = max(self.processes, len(family))
            self._stop.wait(self.interval)

    def stop(self) -> None:
        self._stop.set()


_RENDERED = re.compile(r"(\d+) pages \((\d+) rendered")


def run(cmd: list[str], code: Path | None = None, cwd: Path | None = None,
        memory: bool = False) -> Run:
    env = dict(os.environ)
    if code is not None:
        env["PYTHONPATH"] = str(code)
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    sampler = Sampler(proc.pid)
    if memory:
        sampler.start()
    stderr = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    proc.wait()
    seconds = time.perf_counter() - started
    sampler.stop()
    found = _RENDERED.search(stderr)
    result = Run(seconds, proc.returncode in (0, 1) and "Traceback" not in stderr,
                 int(found.group(2)) if found else None,
                 sampler.pss or None, sampler.rss or None, sampler.processes,
                 os.getloadavg()[0])
    if not result.ok:
        lines = [line for line in stderr.strip().splitlines() if line.strip()]
        result.error = lines[-1][:200] if lines else f"exit {proc.returncode}"
    return result


#: Extra flags of every build (`--no-search`).
FLAGS: list[str] = []


def build(code: Path, src: Path, out: Path, cache: Path, jobs: int, memory: bool = False) -> Run:
    # (Run from the tree's parent folder: `python -m` puts the working folder first on the
    # path, and it must not be a checkout other than `code`.)
    return run([sys.executable, "-m", "labml_docs.cli", "build", str(src), "--out", str(out),
                "--cache-dir", str(cache), "-j", str(jobs), *FLAGS], code, cwd=src.parent,
               memory=memory)


def pycco(src: Path, out: Path) -> Run:
    # From the tree's parent folder: run from the tree itself, `python -m` would import the
    # tree's own modules over the standard library's (torch has a `random.py`).
    shutil.rmtree(out, ignore_errors=True)
    files = sorted(str(p.relative_to(src.parent)) for p in src.rglob("*.py"))
    return run([sys.executable, "-m", "pycco.main", "-p", "-d", str(out)] + files,
               cwd=src.parent)


def copy_tree(src: Path, dest: Path, folders: list[str] | None = None) -> int:
    """Copy the `.py` and `.md` files of `src` (of `folders` only, if given); their count."""
    shutil.rmtree(dest, ignore_errors=True)
    count = 0
    for path in sorted(src.rglob("*")):
        if path.suffix not in (".py", ".md") or not path.is_file():
            continue
        rel = path.relative_to(src)
        if folders and not any(rel.as_posix().startswith(f.rstrip("/") + "/") for f in folders):
            continue
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
        count += 1
    return count


def lines_of(tree: Path) -> int:
    return sum(p.read_bytes().count(b"\n") for p in tree.rglob("*.py"))


# ## The edits

def comment_edit(file: Path, n: int) -> None:
    """A comment line appended: no definition changes."""
    with open(file, "a", encoding="utf-8") as f:
        f.write(f"\n# benchmark edit {n}: a note that changes no definition\n")


def add_definition(file: Path, n: int) -> None:
    """A module-level function appended: a definition added."""
    with open(file, "a", encoding="utf-8") as f:
        f.write(f"\n\ndef _benchmark_added_{n}():\n    return {n}\n")


_DEF = re.compile(r"^[ \t]*(?:def|class) ([A-Za-z_]\w*)\b", re.M)


def rename_definition(file: Path, tree: Path) -> str | None:
    """Rename the function or class of `file` whose name is written in the fewest other files
    of the tree, but at least one (a definition a few other pages may link to); its old name,
    or `None`."""
    text = file.read_text(encoding="utf-8")
    names = sorted({n for n in _DEF.findall(text)
                    if not n.startswith("__") and not n.startswith("_benchmark")})
    others = [p.read_text(encoding="utf-8", errors="replace") for p in tree.rglob("*.py")
              if p != file]
    uses = {n: sum(1 for t in others if re.search(rf"\b{n}\b", t)) for n in names}
    used = [n for n in names if uses[n]]
    if not used:
        return None
    name = min(used, key=lambda n: (uses[n], n))
    file.write_text(re.sub(rf"^([ \t]*(?:def|class) ){name}\b", rf"\g<1>{name}_renamed", text,
                           count=1, flags=re.M), encoding="utf-8")
    return name


# ## The run

def tree_main(args) -> None:
    source = Path(args.tree).resolve()
    work = Path(args.work or args.keep or f"/tmp/labml-docs-tree-bench-{os.getpid()}")
    work.mkdir(parents=True, exist_ok=True)
    codes = [(label, Path(path).resolve()) for label, _, path in
             (c.partition("=") for c in (args.code or [f"this={Path(__file__).parents[1]}"]))]
    tree = work / "tree"
    files = copy_tree(source, tree)
    subset_folders = [f for f in (args.subset or "").split(",") if f]
    subset = work / "subset"
    subset_files = copy_tree(source, subset, subset_folders) if subset_folders else 0
    edit = tree / (args.edit or _default_edit(tree))
    print(f"tree {source}: {files} files, {lines_of(tree)} lines; "
          f"{os.cpu_count()} cores; load {os.getloadavg()[0]:.2f}; memory sampled "
          f"{'with psutil (sum of PSS / sum of RSS over the process tree)' if psutil else 'NOT (no psutil)'}")
    if subset_files:
        print(f"subset {','.join(subset_folders)}: {subset_files} files, {lines_of(subset)} lines")
    print(f"edited file: {edit.relative_to(tree)}\n", flush=True)
    quick = getattr(args, "quick", False)
    if getattr(args, "no_search", False):
        FLAGS.append("--no-search")
    # Each checkout's bytecode, as an installed package has it (pip compiles at install; with
    # PYTHONDONTWRITEBYTECODE every run would compile the generator again).
    import compileall
    for _, code in codes:
        compileall.compile_dir(str(code / "labml_docs"), quiet=1)

    results: dict[str, dict[str, list[Run]]] = {label: {} for label, _ in codes}

    def note(label: str, what: str, result: Run) -> None:
        results[label].setdefault(what, []).append(result)
        memory = (f"  {result.pss_mib:7.0f} MiB PSS, {result.rss_mib:7.0f} MiB RSS, "
                  f"{result.processes} processes" if result.pss_mib else "")
        rendered = f"  {result.rendered} rendered" if result.rendered is not None else ""
        print(f"{label:>6} {what:<34} {result.time()}{rendered}{memory}  (load {result.load:.2f})"
              + (f"  {result.error}" if result.error else ""), flush=True)

    for r in range(args.repeat):
        for label, code in codes:
            original = {edit: edit.read_bytes()}
            cache, out = work / f"cache-{label}", work / f"site-{label}"
            for jobs in (2,) if quick else (1, 2):
                shutil.rmtree(cache, ignore_errors=True)
                shutil.rmtree(out, ignore_errors=True)
                note(label, f"cold -j {jobs}", build(code, tree, out, cache, jobs,
                                                     memory=not quick))
            for _ in range(2 if quick else 1):
                note(label, "no-op", build(code, tree, out, cache, 2))
            for n in range(2 if quick else 1):
                comment_edit(edit, 10 * r + n)
                note(label, "comment edit", build(code, tree, out, cache, 2))
            add_definition(edit, r)
            note(label, "definition added", build(code, tree, out, cache, 2))
            renamed = rename_definition(edit, tree)
            if renamed:
                note(label, f"definition renamed ({renamed})", build(code, tree, out, cache, 2))
            edit.write_bytes(original[edit])
            note(label, "edits undone", build(code, tree, out, cache, 2))
            note(label, "no-op", build(code, tree, out, cache, 2))
            if subset_files and not quick:
                shutil.rmtree(cache, ignore_errors=True)
                note(label, "subset cold -j 1", build(code, subset, work / "site-subset", cache, 1,
                                                      memory=True))
                if not args.no_pycco:
                    note(label, "pycco on the subset", pycco(subset, work / "pycco-subset"))
        if not args.no_pycco and r == 0 and not quick:
            note(codes[-1][0], "pycco on the whole tree", pycco(tree, work / "pycco"))

    print("\nbest of each (ratios against pycco in the same run):")
    for label, _ in codes:
        best = {what: min((x for x in runs if x.ok), key=lambda x: x.seconds, default=runs[0])
                for what, runs in results[label].items()}
        for what, result in best.items():
            print(f"{label:>6} {what:<34} {result.time()}"
                  + (f"  {result.rendered} rendered" if result.rendered is not None else "")
                  + (f"  peak {result.pss_mib:.0f} MiB (PSS sum)" if result.pss_mib else ""))
        ours, theirs = best.get("subset cold -j 1"), best.get("pycco on the subset")
        if ours and theirs and ours.ok and theirs.ok:
            print(f"{label:>6} subset -j 1 / pycco: {ours.seconds / theirs.seconds:.2f}")
        whole = best.get("pycco on the whole tree")
        one = best.get("cold -j 1")
        if whole and whole.ok and one and one.ok:
            print(f"{label:>6} cold -j 1 / pycco on the whole tree: {one.seconds / whole.seconds:.2f}")
        one, two = best.get("cold -j 1"), best.get("cold -j 2")
        if one and two and one.ok and two.ok:
            print(f"{label:>6} cold -j 1 / -j 2: {one.seconds / two.seconds:.2f}")
    if len(codes) > 1:
        first = codes[0][0]
        for label, _ in codes[1:]:
            for what in results[label]:
                if what in results[first]:
                    a = min(x.seconds for x in results[first][what])
                    b = min(x.seconds for x in results[label][what])
                    print(f"{what:<34} {label}/{first}: {b / a:.2f}")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


def _default_edit(tree: Path) -> str:
    for candidate in ("optim/adam.py", "optimizers/adam.py"):
        if (tree / candidate).is_file():
            return candidate
    return str(max(tree.rglob("*.py"), key=lambda p: p.stat().st_size).relative_to(tree))
