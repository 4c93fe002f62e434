"""`sanitize`: raw HTML of notes that could run a script is removed, and nothing else changes.

Pages are read with `html.parser` into a small tree, so that the checks are about elements
and attributes as a browser would see them, not about how they are spelt.
"""

import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest

from labml_docs.markdown import DocsRenderer, fill_math

REPO = Path(__file__).resolve().parent.parent

# Every way of running a script that a note might try, each with its own mark.
HOSTILE = r'''"""
# Hostile notes

<script>alert("script-tag")</script>

<style>body { display: none }</style>

<iframe src="https://evil.example/frame"></iframe>

<img src="x.png" onerror="alert('img-onerror')">

<p onclick="alert('p-onclick')" style="position: fixed">clickable</p>

<a href="javascript:alert('js-href')">raw js link</a> and [md js link](javascript:alert('md-js'))

<a href="JaVa&#x09;ScRiPt:alert('obfuscated')">obfuscated link</a>

<a href="data:text/html,<script>alert('data-href')</script>">data link</a>

<img src="data:text/html;base64,PHNjcmlwdD4=" alt="data-html">

<svg onload="alert('svg-onload')"><circle r="1"></circle></svg>

<form action="https://evil.example/post"><input name="q" onfocus="alert('input')"></form>

<object data="https://evil.example/x.swf"></object><embed src="https://evil.example/y.swf">

<a href="https://example.org" target="_blank" onmouseover="alert('a-over')">hover</a>

## Attributes from Markdown {: onclick="alert('attr-list')" }
"""

x = 1
'''

# What notes legitimately use; it must come out the same with `sanitize` as without.
GOOD = r'''"""
# Good notes

## Update rule {#update-rule}

The update is $\theta_t = \theta_{t-1} - \alpha \hat{m}_t$, with `torch.tensor([1, 2])` in code.

$$\hat{v}_t = \max(\hat{v}_{t-1}, v_t)$$

![A plot](plot.png "The plot")

<img src="plot.png" alt="raw image" title="Raw" width="120" height="60">

<img src="data:image/png;base64,iVBORw0KGgo=" alt="inline image">

| Optimizer | Steps |
|:----------|------:|
| [Adam](adam.py "Adam's page") | 10 |
| *AMSGrad* | 20 |

See [the paper](https://arxiv.org/abs/1904.09237 "AMSGrad"), [mail](mailto:a@example.org),
[a section](adam.py#section-1) and [home](#update-rule).

<details open><summary>More</summary>
Folded text.
</details>

x<sup>2</sup> and x<sub>i</sub><br>
**strong**, _em_ and <del>gone</del>

> A quote.

---

```python
def f(x):
    return x < 1 and "a" or 'b'
```
"""

import torch
'''

ADAM = '"""\n# Adam\n"""\n\n\ndef adam():\n    pass\n'


@pytest.fixture
def sites(write_tree, build_site, tmp_path):
    """The same tree built without, then with, `sanitize`: `(plain, sanitized)` page text by
    site path."""
    tree = write_tree({"__init__.py": "", "hostile.py": HOSTILE, "good.py": GOOD,
                       "adam.py": ADAM, "plot.png": b"\x89PNG\r\n\x1a\n"})
    built = []
    for sanitize in (False, True):
        site, out = build_site(tree, tmp_path / f"site-{sanitize}", sanitize=sanitize)
        assert not [d for d in site.errors], site.errors
        built.append({name: (out / name).read_text(encoding="utf-8")
                      for name in ("hostile.html", "good.html")})
    return built


# ## A small tree of elements

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
        "source", "track", "wbr"}


@dataclass
class Element:
    tag: str
    attrs: dict
    children: list = field(default_factory=list)  # Elements and strings

    def iter(self):
        yield self
        for child in self.children:
            if isinstance(child, Element):
                yield from child.iter()

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def classes(self) -> set[str]:
        return set((self.attrs.get("class") or "").split())

    def canonical(self):
        """What a browser shows: tag, attributes (style as declarations), children; text
        as the parser decoded it, so `&quot;` and `"` are one."""
        attrs = {name: value or "" for name, value in self.attrs.items()}  # `open` is `open=""`
        if "style" in attrs:
            attrs["style"] = sorted(d.replace(" ", "") for d in attrs["style"].split(";") if d.strip())
        return (self.tag, sorted(attrs.items()),
                [c.canonical() if isinstance(c, Element) else c for c in self.children])


class _TreeBuilder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Element("#root", {})
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):
        element = Element(tag, dict(attrs))
        self.stack[-1].children.append(element)
        if tag not in VOID:
            self.stack.append(element)

    def handle_startendtag(self, tag, attrs):
        self.stack[-1].children.append(Element(tag, dict(attrs)))

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data):
        self.stack[-1].children.append(data)


def parse(html: str) -> Element:
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    return builder.root


def notes(page: str) -> list[Element]:
    """The `div.docs` of each section: what the notes became."""
    return [e for e in parse(page).iter() if e.tag == "div" and "docs" in e.classes()]


def elements(page: str) -> list[Element]:
    return [e for docs in notes(page) for e in docs.iter()]


# ## What goes

SCRIPT_TAGS = {"script", "style", "iframe", "svg", "form", "input", "object", "embed"}


def hostile_leftovers(page: str) -> list[str]:
    """Each way of running a script that is still in the notes of `page`."""
    found = []
    for e in elements(page):
        if e.tag == "input" and e.attrs.get("aria-label") == "Search the notes":
            continue  # the header's search box (its `div.docs` is no note)
        if e.tag in SCRIPT_TAGS:
            found.append(f"<{e.tag}>")
        for name, value in e.attrs.items():
            address = "".join((value or "").split()).lower()
            if name.startswith("on") or name in ("target", "style") and e.tag not in ("th", "td"):
                found.append(f"<{e.tag} {name}>")
            if name in ("href", "src", "action", "data") and (
                    address.startswith(("javascript:", "data:text", "https://evil"))):
                found.append(f"<{e.tag} {name}={value}>")
    text = " ".join(docs.text() for docs in notes(page))
    for mark in ("script-tag", "display: none"):  # the content of script and style goes too
        if mark in text:
            found.append(mark)
    return found


def test_without_sanitize_raw_html_passes_through(sites):
    plain, _ = sites
    left = hostile_leftovers(plain["hostile.html"])
    for expected in ("<script>", "<style>", "<iframe>", "<img onerror>", "<p onclick>",
                     "<a href=javascript:alert('js-href')>", "<svg>", "<form>", "<object>",
                     "<a target>", "<h2 onclick>"):
        assert any(item.startswith(expected) for item in left), (expected, left)


def test_with_sanitize_no_hostile_construct_survives(sites):
    _, sanitized = sites
    page = sanitized["hostile.html"]
    assert hostile_leftovers(page) == []
    # The harmless parts of the hostile notes are still there, as text.
    text = " ".join(docs.text() for docs in notes(page))
    assert "clickable" in text and "raw js link" in text and "hover" in text
    assert "https://example.org" in [e.attrs.get("href") for e in elements(page) if e.tag == "a"]
    # The page's own scripts (the template's) are not the notes': they stay.
    assert '<script src="assets/interactive.js"></script>' in page


# ## What stays

def test_with_sanitize_good_notes_render_exactly_as_without(sites):
    plain, sanitized = sites
    before = [docs.canonical() for docs in notes(plain["good.html"])]
    after = [docs.canonical() for docs in notes(sanitized["good.html"])]
    assert after == before


def test_with_sanitize_the_good_notes_are_all_there(sites):
    _, sanitized = sites
    found = elements(sanitized["good.html"])
    by_tag = {}
    for e in found:
        by_tag.setdefault(e.tag, []).append(e)
    # A KaTeX formula, inline and displayed, rendered by us after the cleaning.
    assert len([e for e in found if "katex" in e.classes()]) == 2
    assert any("katex-display" in e.classes() for e in found)
    assert any(e.tag == "math" for e in found)  # KaTeX's MathML, a tag nh3 would not keep
    # Heading id, table with alignment, links, images, inline code.
    assert [e.attrs.get("id") for e in by_tag["h2"]] == ["update-rule"]
    assert len(by_tag["table"]) == 1 and by_tag["td"][1].attrs.get("style")
    hrefs = {e.attrs.get("href"): e.attrs.get("title") for e in by_tag["a"]}
    assert hrefs["adam.html"] == "Adam's page"
    assert hrefs["https://arxiv.org/abs/1904.09237"] == "AMSGrad"
    assert "mailto:a@example.org" in hrefs and "adam.html#section-1" in hrefs
    assert "#update-rule" in hrefs
    images = {e.attrs["src"]: e.attrs for e in by_tag["img"]}
    assert images["plot.png"]["title"] in ("The plot", "Raw")
    assert any(a.get("width") == "120" and a.get("height") == "60" for a in [
        e.attrs for e in by_tag["img"]])
    assert images["data:image/png;base64,iVBORw0KGgo="]["alt"] == "inline image"
    code = [e for e in by_tag["code"] if "highlight" in e.classes()]
    assert code and code[0].text() == "torch.tensor([1, 2])"
    assert any(e.tag == "span" and e.classes() for e in code[0].iter())  # Pygments' spans
    assert "open" in by_tag["details"][0].attrs and by_tag["summary"][0].text() == "More"
    for tag in ("sup", "sub", "br", "hr", "blockquote", "em", "strong", "del", "pre"):
        assert tag in by_tag, tag


def test_math_placeholders_survive_the_cleaning():
    renderer = DocsRenderer(sanitize=True)
    out = renderer.render("Before $a^2$ <script>alert(1)</script> and $$b$$ after.", "m.py")
    assert [f.formula.tex for f in out.formulas] == ["a^2", "b"]
    assert "\ue0000\ue001" in out.html and "\ue0001\ue001" in out.html
    html = fill_math(out.html, ["<span class='katex' onclick='ours'>A</span>", "<b>B</b>"])
    assert "<script>" not in html
    # What fills the placeholders is ours (KaTeX's), put in after the cleaning: untouched.
    assert "<span class='katex' onclick='ours'>A</span>" in html and "<b>B</b>" in html


# ## Where the setting comes from

def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "labml_docs.cli", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(REPO)})


def test_the_command_line_flag_and_the_settings_file_turn_it_on(write_tree, tmp_path):
    tree = write_tree({"__init__.py": "", "hostile.py": HOSTILE})
    cache = str(tmp_path / "cache")
    settings = tmp_path / "settings.yml"
    settings.write_text("sanitize: true\n", encoding="utf-8")
    runs = {"none": [], "flag": ["--sanitize"], "file": ["--config", str(settings)]}
    for name, more in runs.items():
        out = tmp_path / f"out-{name}"
        result = _cli("build", str(tree), "--out", str(out), "--cache-dir", cache, *more,
                      cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        left = hostile_leftovers((out / "hostile.html").read_text(encoding="utf-8"))
        assert (left == []) == (name != "none"), (name, left)


def test_the_mkdocs_plugin_setting_turns_it_on(write_tree, tmp_path):
    pytest.importorskip("mkdocs")
    from mkdocs.commands.build import build as mkdocs_build
    from mkdocs.config import load_config

    write_tree({"__init__.py": "", "hostile.py": HOSTILE}, root=tmp_path / "src" / "tiny")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "index.md").write_text("# Home\n", encoding="utf-8")
    (tmp_path / "mkdocs.yml").write_text(textwrap.dedent(f"""
        site_name: Sanitized
        plugins:
          - labml-docs:
              source_dir: {tmp_path / "src" / "tiny"}
              cache_dir: {tmp_path / "cache"}
              sanitize: true
        """), encoding="utf-8")
    config = load_config(str(tmp_path / "mkdocs.yml"), site_dir=str(tmp_path / "site"))
    try:
        mkdocs_build(config)
    finally:
        config.plugins.on_shutdown()
    page = (tmp_path / "site" / "hostile.html").read_text(encoding="utf-8")
    assert "clickable" in page
    assert hostile_leftovers(page) == []
