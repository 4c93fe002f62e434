"""The search index of the standalone site: built by Pagefind, deterministic, notes only, kept."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from labml_docs import search
from labml_docs.build import Builder
from labml_docs.config import SiteConfig

SRC = Path(__file__).resolve().parent.parent / "src" / "labml_nn"
pytestmark = pytest.mark.skipif(not search.available(), reason="pagefind[bin] is not installed")


def build(out: Path, cache: Path):
    config = SiteConfig.from_dict({"source_dir": str(SRC), "cache_dir": str(cache)})
    with Builder(config) as builder:
        return builder.build(out)


def files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted((folder / "pagefind").rglob("*")) if p.is_file()}


def fragments(folder: Path) -> list[dict]:
    out = []
    for path in sorted((folder / "pagefind" / "fragment").glob("*.pf_fragment")):
        text = gzip.decompress(path.read_bytes()).decode("utf-8")
        out.append(json.loads(text[text.index("{"):]))
    return out


def test_index_is_built_deterministic_notes_only_and_kept(tmp_path):
    site = build(tmp_path / "a", tmp_path / "cache-a")
    a = files(tmp_path / "a")
    assert "pagefind/pagefind.js" in a and any(k.startswith("pagefind/index/") for k in a)
    assert not any("pagefind-ui" in k for k in a)  # our script, not Pagefind's interface
    assert site.stats["search_indexed"]
    # Same input, same bytes: a second cold build, with a cache of its own.
    build(tmp_path / "b", tmp_path / "cache-b")
    assert files(tmp_path / "b") == a
    # The notes only: no code tokens, no MathML annotation, no `#` links.
    pages = [f for f in fragments(tmp_path / "a") if "kind" not in f["meta"]]
    amsgrad = next(f for f in pages if f["url"].endswith("optimizers/amsgrad.html"))
    assert "regret" in amsgrad["content"]
    text = " ".join(f["content"] for f in pages)
    for token in ("torch.no_grad", "def step", "self.defaults", "application/x-tex", "@torch.no_grad"):
        assert token not in text, token
    assert any(a["id"].startswith("section-") for a in amsgrad["anchors"])
    # Identifiers lead to the section of their definition.
    idents = [f for f in fragments(tmp_path / "a") if f["meta"].get("kind") == "class"]
    cls = next(f for f in idents if f["meta"]["title"] == "AMSGrad")
    assert "optimizers/amsgrad.html#section-" in cls["url"]
    # A no-op rebuild keeps the index: no indexer, the same files.
    again = build(tmp_path / "a", tmp_path / "cache-a")
    assert not again.stats["search_indexed"] and files(tmp_path / "a") == a
