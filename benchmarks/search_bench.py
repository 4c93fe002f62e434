"""Search benchmark: what the standalone site's search index costs a build, and what it finds.

    PYTHONPATH=. python benchmarks/search_bench.py [TREE] [--repeat 3] [--edit FILE] [-j N]
        [--query "Deep Residual Learning=resnet/index.html" ...] [--no-browser]

    # PyTorch's own source (2,285 files; a cold build takes minutes):
    PYTHONPATH=. python benchmarks/search_bench.py /tmp/torch-tree/torch --edit optim/adam.py \
        -j 2 --repeat 2 --no-browser

TREE is a package folder (default `src/labml_nn`; the labml-nn wheel unpacked, about 220
pages, and PyTorch's source are the ones the goals are about). The tree is copied into a
temporary folder, then built with the CLI in fresh processes (`python -m labml_docs.cli
build`), with search on and off, interleaved, each with a cache of its own:

* cold (empty caches), no-op (nothing changed), one file (a word of a comment in `--edit`
  changed), each `--repeat` times, best and median, the ratio and the difference with search
  off;
* in one process, with the CLI's page cache (so that the pages are not rendered again), the
  search part alone (`search_seconds`: `add_search_index`) of a cold index (its cache emptied),
  a no-op and a one-file edit, each `--repeat` times, with the shards and pages it indexed;
* the index: its files and bytes, its shards;
* in Chromium (unless `--no-browser`), each `--query` typed into the search box of the home
  page: the first results, and where the page after `=` is among the (ten) results shown.

Goals: no-op < 0.5 s and one file < 0.3 s from the CLI (all of the build, not only search);
on PyTorch's tree, the search part: cold at most about 5 s, no-op 30 ms, one file 0.15 s.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
QUERIES = {  # what labml-nn's pages implement, by the paper's name
    "Deep Residual Learning": "resnet/index.html",
    "Distilling the Knowledge in a Neural Network": "distillation/index.html",
    "Denoising Diffusion Probabilistic Models": "diffusion/ddpm/index.html",
}


JOBS: list[str] = []


def cli(src: Path, out: Path, cache: Path, *more: str) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "labml_docs.cli", "build", str(src), "--out", str(out),
                    "--cache-dir", str(cache), *JOBS, *more], check=True, capture_output=True,
                   env={**os.environ, "PYTHONPATH": str(REPO)})
    return time.perf_counter() - started


def edit(path: Path, n: int) -> None:
    """Change a word of the last comment of `path` (no formula: no KaTeX to start)."""
    lines = path.read_text(encoding="utf-8").split("\n")
    last = max(i for i, line in enumerate(lines) if re.match(r"\s*# [A-Za-z]", line))
    lines[last] = re.sub(r"( edit\d+)?$", f" edit{n}", lines[last], count=1)
    path.write_text("\n".join(lines), encoding="utf-8")


def in_process(src: Path, out: Path, cache: Path, jobs: int) -> dict:
    sys.path.insert(0, str(REPO))
    from labml_docs.build import Builder
    from labml_docs.config import SiteConfig

    config = SiteConfig.from_dict({"source_dir": src, "cache_dir": str(cache), "jobs": jobs})
    with Builder(config) as builder:
        return builder.build(out).stats


def figures(times: list[float]) -> str:
    return f"best {min(times):7.3f} s  median {statistics.median(times):7.3f} s"


def browse(site: Path, queries: dict[str, str]) -> None:
    sys.path.insert(0, str(REPO / "tests" / "browser"))
    import conftest  # the tests' Chromium and driver paths
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.action_chains import ActionChains

    served: list[str] = []  # the paths asked for (the index's, by Pagefind's worker too)

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:
            served.append(self.path.split("?")[0])
            super().do_GET()

    handler = functools.partial(Quiet, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    options = webdriver.ChromeOptions()
    options.binary_location = conftest._chromium()
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(conftest.CHROMEDRIVER), options=options)
    try:
        for query, expected in queries.items():
            served.clear()
            driver.get(f"http://127.0.0.1:{httpd.server_address[1]}/index.html")
            ActionChains(driver).send_keys("/").perform()
            started = time.perf_counter()
            ActionChains(driver).send_keys(query).perform()
            hrefs: list[str] = []
            while time.perf_counter() - started < 10 and not hrefs:
                time.sleep(0.05)
                hrefs = driver.execute_script(
                    "return Array.from(document.querySelectorAll('.search-results li[role=option] a'))"
                    ".map(a => a.getAttribute('href'))")
            first = time.perf_counter() - started
            time.sleep(0.5)  # the last keystrokes' search
            fetched = [(site / p.lstrip("/")).stat().st_size for p in served
                       if p.startswith("/pagefind/") and (site / p.lstrip("/")).is_file()]
            hrefs = driver.execute_script(
                "return Array.from(document.querySelectorAll('.search-results li[role=option] a'))"
                ".map(a => a.getAttribute('href'))")
            pages = [h.split("#")[0] for h in hrefs]
            rank = f"result {pages.index(expected) + 1} of {len(pages)}" if expected in pages \
                else f"NOT among the {len(pages)} results"
            print(f"  {query!r}: {expected} is {rank}; first results: {hrefs[:3]}; the first "
                  f"shown {first:.2f} s after typing (a fresh page: the index loaded, then the "
                  f"searches of each keystroke, 120 ms apart); {len(fetched)} index files served, "
                  f"{sum(fetched) / 1024:,.0f} KB")
    finally:
        driver.quit()
        httpd.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("tree", nargs="?", default=str(REPO / "src" / "labml_nn"))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("-j", "--jobs", type=int, default=0, help="the build's --jobs (0: one per core)")
    parser.add_argument("--edit", default="optimizers/amsgrad.py", help="the file to edit, in TREE")
    parser.add_argument("--query", action="append", default=[],
                        help="QUERY=PAGE: a search that should list PAGE (default: three papers)")
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args()
    if args.jobs:
        JOBS.extend(["-j", str(args.jobs)])
    work = Path(tempfile.mkdtemp(prefix="labml-docs-search-bench-"))
    try:
        modes = {"search": (), "no search": ("--no-search",)}
        # A tree of its own for each mode: an edit is seen by the build of its mode only.
        trees = {mode: work / mode.replace(" ", "-") / Path(args.tree).name for mode in modes}
        for src in trees.values():
            shutil.copytree(args.tree, src)
        times: dict[tuple[str, str], list[float]] = {}
        for mode, flags in modes.items():
            times[mode, "cold"] = [cli(trees[mode], work / f"out-{mode}", work / f"cache-{mode}", *flags)]
        n = 0
        for _ in range(args.repeat):
            for mode, flags in modes.items():
                times.setdefault((mode, "no-op"), []).append(
                    cli(trees[mode], work / f"out-{mode}", work / f"cache-{mode}", *flags))
            n += 1
            for mode, flags in modes.items():
                edit(trees[mode] / args.edit, n)
                times.setdefault((mode, "one file"), []).append(
                    cli(trees[mode], work / f"out-{mode}", work / f"cache-{mode}", *flags))
        print(f"tree {args.tree}: CLI, fresh process each")
        for kind in ("cold", "no-op", "one file"):
            on, off = times["search", kind], times["no search", kind]
            print(f"  {kind:8}  search: {figures(on)}   no search: {figures(off)}   "
                  f"ratio {statistics.median(on) / statistics.median(off):.2f}, "
                  f"difference {statistics.median(on) - statistics.median(off):+.2f} s")
        index = work / "out-search" / "pagefind"
        files = [p for p in index.rglob("*") if p.is_file()]
        print(f"  index: {len(files)} files, {sum(p.stat().st_size for p in files):,} bytes "
              f"(fragments {sum(p.stat().st_size for p in files if p.suffix == '.pf_fragment'):,}, "
              f"engine {sum(p.stat().st_size for p in index.glob('*') if p.suffix in ('.js', '.pagefind')):,}), "
              f"{sum(-(-p.stat().st_size // 4096) * 4 for p in files):,} KB in 4 KB blocks")
        print("in one process, the CLI's page cache (search part only):")
        src, cache = trees["search"], work / "cache-search"
        for kind in ("cold", "no-op", "one file"):
            seconds, stats = [], {}
            for _ in range(args.repeat):
                if kind == "cold":
                    shutil.rmtree(cache / "search")
                elif kind == "one file":
                    n += 1
                    edit(src / args.edit, n)
                stats = in_process(src, work / "out-search", cache, args.jobs)
                seconds.append(stats.get("search_seconds", 0))
            print(f"  {kind:8}  search {figures(seconds)}; "
                  f"{stats.get('search_indexed')} of {stats.get('search_shards')} shards indexed "
                  f"({stats.get('search_pages_indexed')} pages); whole render {stats['seconds']:.2f} s, "
                  f"{stats['rendered']} pages rendered")
        if not args.no_browser:
            queries = dict(q.split("=", 1) for q in args.query) or QUERIES
            print("in Chromium:")
            browse(work / "out-search", queries)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
