"""The search index of the standalone site: Pagefind's, in shards; the notes only, as readers
see them; identifiers at their definitions; deterministic, cold or incremental; kept while
its pages do not change; published (and unpublished) with the pages."""

from __future__ import annotations

import functools
import gzip
import json
import shutil
from pathlib import Path

import pytest
from trees import make_tree, snapshot

from labml_docs import search
from labml_docs.build import Builder
from labml_docs.config import SiteConfig

SRC = Path(__file__).resolve().parent.parent / "src" / "labml_nn"
pytestmark = pytest.mark.skipif(not search.available(), reason="pagefind[bin] is not installed")


@pytest.fixture
def build(math_renderer):
    def run(src: Path, out: Path, cache: Path, **settings):
        config = SiteConfig.from_dict({"source_dir": src, "cache_dir": str(cache), **settings})
        return Builder(config, math=math_renderer).build(out)
    return run


def index_files(site: Path) -> dict[str, bytes]:
    return {k: v for k, v in snapshot(site).items() if k.startswith("pagefind/")}


def fragments(site: Path) -> list[dict]:
    out = []
    for path in sorted((site / "pagefind").rglob("*.pf_fragment")):
        text = gzip.decompress(path.read_bytes()).decode("utf-8")
        out.append(json.loads(text[text.index("{"):]))
    return out


def test_the_notes_as_readers_see_them_and_identifiers_at_their_definitions(build, tmp_path):
    site = build(SRC, tmp_path / "a", tmp_path / "cache-a")
    out = tmp_path / "a"
    files = index_files(out)
    assert {"pagefind/pagefind.js", "pagefind/pagefind-worker.js", "pagefind/wasm.en.pagefind",
            "pagefind/shards.json", "pagefind/pagefind-entry.json"} <= files.keys()
    assert not any("pagefind-ui" in k or "unknown" in k for k in files)  # our own interface
    assert site.stats["search_shards"] == 1 and site.stats["search_indexed"] == 1
    pages = fragments(out)
    assert len(pages) == site.stats["pages"]  # a record a page, identifiers included
    amsgrad = next(f for f in pages if f["url"] == "/optimizers/amsgrad.html")
    assert amsgrad["meta"]["title"] == "AMSGrad optimizer"
    assert amsgrad["meta"]["module"] == "labml_nn.optimizers.amsgrad"
    assert "regret" in amsgrad["content"]
    # A formula is its tokens (`x ∈ [ − 1 , 1 ]`), not its TeX nor KaTeX's glyph spans twice.
    assert "x ∈ [ − 1 , 1 ]" in amsgrad["content"]
    text = " ".join(f["content"] for f in pages)
    for token in ("torch.no_grad", "def step", "self.defaults", "application/x-tex",
                  "htmlClass", "\\beta", "coloredeq", "Link to section"):
        assert token not in text, token
    assert "#" not in amsgrad["content"].split()  # the sections' `#` links
    # Every section with notes is an anchor: a match links to its section.
    ids = [a["id"] for a in amsgrad["anchors"]]
    assert "section-0" in ids and len([i for i in ids if i.startswith("section-")]) > 10
    # Identifiers: words of their page's record, each in an element whose id says what it is
    # and the section of its definition.
    idents = {a["id"].split(":", 2)[2]: a["id"] for f in pages for a in f["anchors"]
              if a["id"].count(":") >= 2}
    kind, section, _ = idents["AMSGrad"].split(":", 2)
    assert kind == "class"
    page = (out / "optimizers/amsgrad.html").read_text()
    at = page.index(f'id="{section}"')
    assert "<span class=\"nc\">AMSGrad</span>" in page[at:page.index('<div class="section"', at + 1)]
    assert idents["Adam.step_param"].startswith("method:")
    assert not any(name.startswith("_") or "._" in name for name in idents)
    assert " AMSGrad.init_state" in amsgrad["content"]


def test_deterministic_kept_and_rebuilt_one_shard_at_a_time(build, tmp_path):
    """A tree of 40 pages has four shards: two cold builds give the same bytes; a no-op keeps
    every shard; an edit indexes one shard again, and gives what a cold build gives."""
    src = make_tree(tmp_path / "tree", 38)
    a = build(src, tmp_path / "a", tmp_path / "cache-a")
    assert a.stats["search_shards"] == 4 and a.stats["search_indexed"] == 4
    build(src, tmp_path / "b", tmp_path / "cache-b")
    assert index_files(tmp_path / "a") == index_files(tmp_path / "b")
    assert json.loads((tmp_path / "a/pagefind/shards.json").read_text()) == \
        {"shards": ["1/", "2/", "3/"]}
    again = build(src, tmp_path / "a", tmp_path / "cache-a")
    assert again.stats["search_indexed"] == 0
    edited = src / "module_4.py"
    edited.write_text(edited.read_text().replace("Scales by", "Doubles and scales by"))
    after = build(src, tmp_path / "a", tmp_path / "cache-a")
    assert after.stats["search_indexed"] == 1
    cold = build(src, tmp_path / "c", tmp_path / "cache-c")
    assert cold.stats["search_indexed"] == 4
    assert index_files(tmp_path / "a") == index_files(tmp_path / "c")
    assert any("Doubles" in f["content"] for f in fragments(tmp_path / "a"))
    # The cache keeps the shards of this version only.
    tree_cache = next((tmp_path / "cache-a" / "search").iterdir())
    shards = [p for p in tree_cache.iterdir() if len(p.name) == 32]
    assert len(shards) == 4


def test_search_off_publishes_no_index_and_removes_the_one_published(build, tmp_path):
    src = make_tree(tmp_path / "tree", 3)
    out = tmp_path / "site"
    build(src, out, tmp_path / "cache")
    assert (out / "pagefind" / "pagefind.js").is_file()
    assert 'class="site-search"' in (out / "module_0.html").read_text()
    (out / "pagefind" / "mine.txt").write_text("a file of the site's owner")
    site = build(src, out, tmp_path / "cache", search=False)
    assert "search_shards" not in site.stats
    assert sorted(p.name for p in (out / "pagefind").rglob("*")) == ["mine.txt"]
    assert 'class="site-search"' not in (out / "module_0.html").read_text()
    assert "search.js" not in (out / "index.html").read_text()


def test_without_a_cache_folder_the_index_is_built_and_nothing_is_left(build, tmp_path, monkeypatch):
    src = make_tree(tmp_path / "tree", 2)
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    monkeypatch.chdir(tmp_path)  # (the math cache of `cache_dir: ""` is `./math`)
    config = SiteConfig.from_dict({"source_dir": src, "cache_dir": ""})
    with Builder(config) as builder:
        builder.page_cache.disabled = True
        builder.build(tmp_path / "site")
    assert (tmp_path / "site" / "pagefind" / "pagefind-entry.json").is_file()
    assert not [p for p in (tmp_path / "tmp").iterdir() if p.name.startswith("labml-docs-search")]


def test_a_failing_indexer_costs_the_index_not_the_pages(build, tmp_path, monkeypatch):
    src = make_tree(tmp_path / "tree", 2)
    monkeypatch.setenv("PAGEFIND_BINARY_PATH", "/bin/false")
    search._binary.cache_clear()
    try:
        site = build(src, tmp_path / "site", tmp_path / "cache")
    finally:
        search._binary.cache_clear()
    assert (tmp_path / "site" / "module_0.html").is_file()
    assert not (tmp_path / "site" / "pagefind").exists()
    assert any("no search index: pagefind" in d.message and d.level == "warning"
               for d in site.diagnostics), site.diagnostics


# ## The parts


def test_formula_text_is_the_mathml_tokens_without_the_annotation():
    katex = ('<span class="katex"><span class="katex-mathml"><math><semantics><mrow><msub><mi>v'
             '</mi><mi>t</mi></msub><mo>&lt;</mo><mn>1</mn></mrow><annotation encoding='
             '"application/x-tex">\\htmlClass{coloredeq}{v_t} &lt; 1</annotation></semantics>'
             '</math></span><span class="katex-html" aria-hidden="true"><span class="base">'
             '<span class="mord">v</span><span class="vlist">\u200b</span></span></span></span>')
    assert search.formula_text(katex) == "v t < 1"
    assert search._plain_math(f"<p>if {katex}, then</p>") == "<p>if  v t &lt; 1 , then</p>"


def test_shards_are_powers_of_two_and_stable():
    assert [search.shard_count(n) for n in (0, 1, 16, 17, 33, 221)] == [1, 1, 1, 2, 4, 16]
    assert search.shard_count(2285) == search.MAX_SHARDS == 64  # PyTorch: shards of 36 pages
    assert search.shard_of("optimizers/adam.html", 16) == search.shard_of("optimizers/adam.html", 16)
    assert len({search.shard_of(f"p{n}.html", 4) for n in range(40)}) == 4


def test_a_page_of_another_template_is_indexed_whole_without_its_code(tmp_path):
    html = ('<html><body><header>Site</header><main><h1>Mine</h1><p>Annotated words</p>'
            '<div class="code"><span class="k">def</span> hidden_token</div></main></body></html>')
    assert search.notes_of(html, "Mine") is None
    page = search.IndexedPage("mine.html", "Mine", "", "sha", lambda: html)
    files = search._index_many([iter([search.page_requests(page)])], search._INDEX)[0]
    fragment = next(v for k, v in files.items() if k.startswith("fragment/"))
    text = gzip.decompress(fragment).decode("utf-8")
    content = json.loads(text[text.index("{"):])["content"]
    assert "Annotated words" in content and "hidden_token" not in content
    assert "Site" not in content


def test_the_cache_folder_holds_only_what_the_last_build_used(build, tmp_path):
    src = make_tree(tmp_path / "tree", 2)
    build(src, tmp_path / "site", tmp_path / "cache")
    for n in range(3):
        page = src / "module_0.py"
        page.write_text(page.read_text() + f"\n# Edit {n}\n")
        site = build(src, tmp_path / "site", tmp_path / "cache")
    tree_cache = next((tmp_path / "cache" / "search").iterdir())
    names = sorted(p.name for p in tree_cache.iterdir())
    # one bundle (one shard), the list of bundles, the engine, and the notes sent to Pagefind
    assert len(names) == 4 and {"notes", "contents.json"} <= set(names)
    assert any(n.startswith("engine-") for n in names)
    notes = list((tree_cache / "notes").iterdir())
    assert len(notes) == 1  # one file a shard, an entry a page
    assert len(json.loads(notes[0].read_bytes().partition(b"\n")[2])) == len(site.pages)
    shutil.rmtree(tmp_path / "cache")
    build(src, tmp_path / "site", tmp_path / "cache")  # rebuilt from nothing
    assert (tmp_path / "site" / "pagefind" / "pagefind.js").is_file()


def test_a_damaged_shard_in_the_cache_is_indexed_again_not_published(build, tmp_path, caplog):
    """A rebuild trusts the cache's list of shards and reads a shard's bundle only to publish
    one of its files: a damaged bundle is found then, and indexed again."""
    src = make_tree(tmp_path / "tree", 2)
    build(src, tmp_path / "site", tmp_path / "cache")
    clean = index_files(tmp_path / "site")
    tree_cache = next((tmp_path / "cache" / "search").iterdir())
    shard = next(p for p in tree_cache.iterdir() if len(p.name) == 32)
    data = bytearray(shard.read_bytes())
    data[-10] ^= 0xFF  # a flipped byte in a fragment
    shard.write_bytes(bytes(data))
    assert build(src, tmp_path / "site", tmp_path / "cache").stats["search_indexed"] == 0
    assert "damaged" not in caplog.text  # (nothing to publish: the bundle was not read)
    (tmp_path / "site" / "pagefind" / "pagefind-entry.json").unlink()  # to be written again
    build(src, tmp_path / "site", tmp_path / "cache")
    assert "is damaged" in caplog.text
    assert index_files(tmp_path / "site") == clean
    assert search._read_bundle(shard) is not None  # kept again, whole


def test_each_language_has_an_index_and_an_engine_of_its_own(build, tmp_path):
    """Pages in another language (a translated edition, `<html lang="de">`) go to an index of
    their language, searched with its stemming; the site publishes that language's engine."""
    src = make_tree(tmp_path / "tree", 2)
    templates = tmp_path / "templates"
    templates.mkdir()
    base = (Path(search.__file__).parent.parent / "site_templates" / "base.html").read_text()
    (templates / "base.html").write_text(base.replace('<html lang="', '<html lang="de" data-x="', 1))
    build(src, tmp_path / "site", tmp_path / "cache", templates_dir=str(templates))
    entry = json.loads((tmp_path / "site" / "pagefind" / "pagefind-entry.json").read_text())
    assert list(entry["languages"]) == ["de"]
    files = index_files(tmp_path / "site")
    assert "pagefind/wasm.de.pagefind" in files and "pagefind/wasm.en.pagefind" not in files
    # The engine of a language comes back even when the cache lost it but kept the shards.
    tree_cache = next((tmp_path / "cache" / "search").iterdir())
    next(p for p in tree_cache.iterdir() if p.name.startswith("engine-")).unlink()
    (tmp_path / "site" / "pagefind" / "wasm.de.pagefind").unlink()
    site = build(src, tmp_path / "site", tmp_path / "cache", templates_dir=str(templates))
    assert site.stats["search_indexed"] == 0
    assert index_files(tmp_path / "site") == files


def test_a_site_in_two_languages_is_indexed_the_same_every_time(build, tmp_path):
    """Pagefind lists the languages of an index in an order of its own each run: the entry
    file is written in one order, so two cold builds give the same bytes."""
    src = make_tree(tmp_path / "tree", 6)
    templates = tmp_path / "templates"
    templates.mkdir()
    base = (Path(search.__file__).parent.parent / "site_templates" / "base.html").read_text()
    two = "{% if page.url.startswith('sub/') %}de{% else %}en{% endif %}"
    (templates / "base.html").write_text(base.replace('<html lang="', f'<html lang="{two}" data-x="', 1))
    for n in range(4):
        build(src, tmp_path / f"site-{n}", tmp_path / f"cache-{n}", templates_dir=str(templates))
    entry = json.loads((tmp_path / "site-0" / "pagefind" / "pagefind-entry.json").read_text())
    assert list(entry["languages"]) == ["de", "en"]
    assert all(index_files(tmp_path / f"site-{n}") == index_files(tmp_path / "site-0")
               for n in range(1, 4))


def test_a_shard_without_pages_is_left_out(tmp_path):
    """The browser cannot open an index of no page: with every page in shard 1, shard 1 is the
    one beside the engine and the site lists no other."""
    k = search.shard_count(17)
    urls = [u for u in (f"p{n}.html" for n in range(200)) if search.shard_of(u, k) == 1][:17]
    pages = [search.IndexedPage(u, u, "", u, functools.partial(
        "<html lang=\"en\"><body><main><p>word {}</p></main></body></html>".format, u))
        for u in urls]
    index = search.build_index(pages, None)
    assert index.shards == 2 and json.loads(index.manifest) == {"shards": []}
    entry = json.loads(index.files["pagefind/pagefind-entry.json"])
    assert entry["languages"]["en"]["page_count"] == 17
    assert not any(name.startswith("pagefind/1/") for name in index.files)


def test_a_no_op_reads_no_bundle_and_an_edit_makes_one_pages_notes(build, tmp_path, monkeypatch):
    """A rebuild trusts the cache's list of shards: a no-op reads that list and nothing else,
    and hands the index to publishing as digests; a one-page edit makes that page's notes, and
    indexes its shard (the other pages' notes come from the cache), reading no bundle."""
    src = make_tree(tmp_path / "tree", 38)
    out, cache = tmp_path / "site", tmp_path / "cache"
    build(src, out, cache)
    reads: list[str] = []
    made: list[str] = []
    indexed: list[int] = []
    read, requests, index = search._read_checked, search.page_requests, search.Cache.index
    monkeypatch.setattr(search, "_read_checked", lambda path: reads.append(path.name) or read(path))
    monkeypatch.setattr(search, "page_requests", lambda page: made.append(page.url) or requests(page))

    def counted(cache, todo, services=1):  # shards indexed after rendering
        indexed.append(len(todo))
        return index(cache, todo, services)
    monkeypatch.setattr(search.Cache, "index", counted)
    site = build(src, out, cache)
    assert reads == ["contents.json"] and not made and not indexed
    assert site.files and not any(isinstance(data, bytes) for data in site.files.values())
    edited = src / "module_4.py"
    edited.write_text(edited.read_text().replace("Scales by", "Doubles and scales by"))
    reads.clear()
    site = build(src, out, cache)
    shard = search.shard_of("module_4.html", 4)
    # (indexed by the feed, as the page was finished: see the tests of `Feed` below)
    assert made == ["module_4.html"] and indexed == [] and site.stats["search_fed"] == 1
    assert site.stats["search_indexed"] == 1 and site.stats["search_pages_indexed"] < 38 / 2
    assert sorted(reads) == [f"4-{shard}.json", "contents.json"]  # the shard's notes
    assert any("Doubles" in f["content"] for f in fragments(out))


def test_only_public_identifiers_and_no_code_from_a_section_without_notes(build, tmp_path):
    """Identifiers are the public top-level classes and functions, and the public methods of
    public classes; a section whose notes are empty (code before any comment) gives nothing,
    not the code that follows it."""
    src = tmp_path / "tree"
    src.mkdir()
    (src / "__init__.py").write_text('"""\n# Home\n"""\n')
    (src / "shapes.py").write_text(
        "import math\n\nsecret_token_a = math.pi\n\n\n"
        "def public(x):\n    \"\"\"A public function with notes.\"\"\"\n"
        "    def nested(y):\n        return y\n    return nested(x)\n\n\n"
        "def _private(x):\n    return x\n\n\n"
        "class Shape:\n    \"\"\"A shape.\"\"\"\n\n    def area(self):\n        return secret_token_b\n\n"
        "    def _hidden(self):\n        return 0\n\n\n"
        "class _Internal:\n    def visible_name(self):\n        return 1\n")
    build(src, tmp_path / "site", tmp_path / "cache")
    page = next(f for f in fragments(tmp_path / "site") if f["url"] == "/shapes.html")
    idents = [a["id"] for a in page["anchors"] if a["id"].count(":") >= 2]
    assert [i.split(":")[0] + " " + i.split(":", 2)[2] for i in idents] == \
        ["function public", "class Shape", "method Shape.area"]
    assert page["meta"]["module"] == "tree.shapes"
    assert "secret_token" not in page["content"] and "math.pi" not in page["content"]
    assert "A public function with notes." in page["content"]


# ## Indexing as the pages are finished (`Feed`)

def test_shards_indexed_as_pages_are_finished_are_those_indexed_after(build, tmp_path, monkeypatch):
    """A cold build indexes each shard as its pages are finished: in worker processes (two
    jobs, 39 pages) and in this one; both give the bytes of the index made after rendering,
    from the pages. A page that failed is in no shard either way."""
    src = make_tree(tmp_path / "tree", 38)
    (src / "broken.py").write_bytes(b"x = '\xff\xfe'\n")  # not UTF-8: the page fails
    sites = {}
    for jobs in (1, 2):
        site = build(src, tmp_path / f"fed{jobs}", tmp_path / f"cache-fed{jobs}", jobs=jobs)
        assert site.stats["jobs"] == jobs
        assert site.stats["search_fed"] == site.stats["search_indexed"] == 4
        sites[jobs] = index_files(tmp_path / f"fed{jobs}")
    monkeypatch.setattr(Builder, "_search_feed", lambda self, plan: None)
    site = build(src, tmp_path / "after", tmp_path / "cache-after")
    assert site.stats["search_fed"] == 0 and site.stats["search_indexed"] == 4
    assert sites[1] == sites[2] == index_files(tmp_path / "after")
    # After rendering, through two Pagefind services side by side: the same bytes.
    monkeypatch.setattr(search, "SHARDS_PER_SERVICE", 1)
    build(src, tmp_path / "two", tmp_path / "cache-two", jobs=2)
    assert index_files(tmp_path / "two") == sites[1]
    assert not any(f["url"] == "/broken.html" for f in fragments(tmp_path / "after"))


def test_an_edit_indexes_its_shard_while_it_renders(build, tmp_path, monkeypatch):
    """An edit: the feed sends the shard's other pages from the cache's notes before the
    edited page is finished, and the shard is what a cold build makes."""
    src = make_tree(tmp_path / "tree", 38)
    build(src, tmp_path / "site", tmp_path / "cache")
    edited = src / "module_4.py"
    edited.write_text(edited.read_text().replace("Scales by", "Doubles and scales by"))
    sent_first: list[str] = []
    start = search.Feed.__init__

    def started(self, *args, **kwargs):
        start(self, *args, **kwargs)
        sent_first.extend(self._keys[n][i].split("\t")[0] for n in self.open
                          for i in range(len(self._keys[n])))
    monkeypatch.setattr(search.Feed, "__init__", started)
    site = build(src, tmp_path / "site", tmp_path / "cache")
    assert site.stats["search_fed"] == site.stats["search_indexed"] == 1
    members = [url for url in sorted(site.pages) if search.shard_of(url, 4)
               == search.shard_of("module_4.html", 4)]
    assert sent_first == members[:members.index("module_4.html")]
    build(src, tmp_path / "cold", tmp_path / "cache-cold")
    assert index_files(tmp_path / "site") == index_files(tmp_path / "cold")


def test_a_feed_that_fails_leaves_its_shards_to_be_indexed_after(build, tmp_path, monkeypatch):
    """Pagefind refuses what the feed sends: its shards are indexed after rendering, as if
    there were no feed, and a warning says why only if the service itself failed."""
    src = make_tree(tmp_path / "tree", 38)
    build(src, tmp_path / "a", tmp_path / "cache-a")
    send = search.Feed._send

    def refused(self, n, key, records):
        send(self, n, key, [{**record, "type": "NoSuchRequest"} for record in records])
    monkeypatch.setattr(search.Feed, "_send", refused)
    site = build(src, tmp_path / "b", tmp_path / "cache-b")
    assert site.stats["search_fed"] == 0 and site.stats["search_indexed"] == 4
    assert index_files(tmp_path / "a") == index_files(tmp_path / "b")


def test_a_silent_indexer_is_stopped_in_bounded_time(tmp_path, monkeypatch):
    """A Pagefind that reads requests and never answers: the build does not wait forever."""
    silent = tmp_path / "pagefind"
    silent.write_text("#!/bin/sh\nexec sleep 600\n")
    silent.chmod(0o755)
    monkeypatch.setattr(search, "_binary", lambda: (str(silent), "silent"))
    monkeypatch.setattr(search, "SILENCE_SECONDS", 1.0)
    with pytest.raises(RuntimeError, match="no answer in 1 s"):
        search._ask(iter([{"type": "NewIndex", "config": {}}]))
