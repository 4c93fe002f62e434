"""Jump to definition: the index of a small tree written here, and a run over labml-nn; its
two modes (the lazy one answers as the whole-tree one, reading only what a page needs), the
per-file summaries the lazy one keeps, and the index in a build."""

import os
import pickle
import posixpath
import random
import re
import shutil
import textwrap
from pathlib import Path

import pytest
from pygments.token import Name

import labml_docs.xref.indexes as xref_index
from labml_docs.build import Builder
from labml_docs.config import SiteConfig
from labml_docs.fingerprint import SourceHashes
from labml_docs.highlight import FileHighlighter, lex_lines
from labml_docs.parse import parse_python
from labml_docs.scan import scan
from labml_docs.urls import page_url
from labml_docs.xref import (
    FileSummaries,
    LazyIndex,
    XrefIndex,
    index_files,
    infer_package,
    module_name,
    read_page,
)
from labml_docs.xref.exports import make_exports
from labml_docs.xref.package import package_of

REPO = Path(__file__).resolve().parent.parent

TREE = {
    "__init__.py": '''
        """
        # The package
        """
        from .base import Base, helper
        ''',
    "base.py": '''
        """
        # Base
        """
        import torch
        from typing import List

        LIMIT = 10


        def register(f):
            return f


        def helper(x):
            # Add the limit
            return x + LIMIT


        class Base:
            """
            A base class
            """
            scale = 2

            def init_state(self, state):
                # Hidden comment
                return self.reset(state)

            def reset(self, state):
                return helper(state) * self.scale
        ''',
    "models/__init__.py": '''
        """
        # Models
        """
        ''',
    "models/adam.py": '''
        """
        # Adam
        """
        import torch
        from typing import List
        from pkg import Base
        from ..base import helper, LIMIT, register
        import pkg.base as base_mod


        class Adam(Base):
            """
            Adam
            """
            def __init__(self, params):
                super().__init__()
                self.params = params

            def init_state(self, state):
                super().init_state(state)
                return self.step(state)

            def step(self, state):
                # A local name shadows the module's
                helper = 3
                return helper + LIMIT + self.reset(state)

            def use(self):
                return base_mod.helper(len(self.params)) + base_mod.Base.scale


        @register
        def make(params: List) -> Adam:
            LIMIT = 5
            adam = Adam(params)
            return adam, LIMIT, torch.zeros(1), print, helper(1)


        def tail(values, make=None):
            return [make for make in values], make, [Adam for _ in values]
        ''',
    "models/amsgrad.py": '''
        """
        # AMSGrad
        """
        from .adam import Adam
        from pkg.models.adam import make as mk
        from pkg.models import adam


        class AMSGrad(Adam):
            def init_state(self, state):
                return super().init_state(state) + mk(1) + adam.make(2) + self.use()
        ''',
}


def write_files(root: Path, files: dict[str, str]) -> dict:
    pages = {}
    for path, text in files.items():
        text = textwrap.dedent(text).lstrip("\n")
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        pages[path] = parse_python(text, path)
    return pages


@pytest.fixture
def tree(tmp_path):
    pages = write_files(tmp_path / "pkg", TREE)
    return pages, XrefIndex.build(list(pages.values()), "pkg")


def position(page, needle: str, name: str, occurrence: int = 0) -> tuple[int, int]:
    """`(line, column)` of `name` inside the only line containing `needle`."""
    found = [(i, text) for i, text in enumerate(page.source.split("\n"), 1) if needle in text]
    assert len(found) == 1, (needle, found)
    line, text = found[0]
    start = text.index(needle)
    matches = [m.start() for m in re.finditer(r"(?<!\w)" + re.escape(name) + r"(?!\w)", text)
               if m.start() >= start]
    return line, matches[occurrence]


def line_of(page, needle: str) -> int:
    found = [i for i, text in enumerate(page.source.split("\n"), 1) if needle in text]
    assert len(found) == 1, (needle, found)
    return found[0]


def target_section(pages, page_path: str, href: str):
    """The page and section an href of `page_path` points to."""
    url, _, fragment = href.partition("#")
    here = posixpath.dirname(page_url(page_path))
    target_url = posixpath.normpath(posixpath.join(here, url)) if url else page_url(page_path)
    by_url = {page_url(p): page for p, page in pages.items()}
    assert target_url in by_url, href
    match = re.fullmatch(r"section-(\d+)", fragment)
    assert match, href
    page = by_url[target_url]
    index = int(match.group(1))
    assert index < len(page.sections)
    return page, page.sections[index]


def assert_links_to(pages, index, path, pos, def_path, def_needle):
    """The name at `pos` links to the section showing the line `def_needle` is on."""
    page = pages[path]
    links = index.links_for(page)
    assert pos in links, (pos, sorted(links))
    target, section = target_section(pages, path, links[pos])
    assert target.path == def_path
    line = line_of(target, def_needle)
    assert line in [n for n, _ in section.code], (links[pos], line)
    return links[pos]


# ## Module names

def test_module_names():
    assert module_name("optimizers/adam.py", "labml_nn") == ("labml_nn.optimizers.adam", False)
    assert module_name("optimizers/__init__.py", "labml_nn") == ("labml_nn.optimizers", True)
    assert module_name("__init__.py", "labml_nn") == ("labml_nn", True)
    assert module_name("adam.py", "") == ("adam", False)


def test_package_is_inferred_from_absolute_imports(tree):
    pages, _ = tree
    assert XrefIndex.build(list(pages.values())).package == "pkg"
    assert infer_package(["a.py"], []) == ""
    # With no absolute imports of its own modules, the folder's name.
    alone = [pages["base.py"], pages["models/amsgrad.py"]]
    assert XrefIndex.build(alone, source_dir="/x/pkg/").package == "pkg"
    assert XrefIndex.build(alone).package == ""


def test_lookup_and_definitions(tree):
    pages, index = tree
    assert index.lookup("pkg.Base") == index.lookup("pkg.base.Base")
    assert index.lookup("pkg.base.Base").line == line_of(pages["base.py"], "class Base:")
    reset = index.lookup("pkg.models.amsgrad.AMSGrad.reset")
    assert (reset.path, reset.kind) == ("base.py", "method")
    assert index.lookup("pkg.models.adam.torch") is None
    assert index.lookup("torch.zeros") is None
    definitions = index.definitions()
    assert "pkg.models.adam.Adam.step" in definitions
    assert definitions["pkg.base.Base.scale"].kind == "attribute"
    assert definitions["pkg.base.LIMIT"].kind == "variable"
    assert list(definitions) == sorted(definitions)


# ## Links

def test_same_file_function_and_variable(tree):
    pages, index = tree
    base = pages["base.py"]
    href = assert_links_to(pages, index, "base.py", position(base, "return helper(state)", "helper"),
                           "base.py", "def helper(x):")
    assert href.startswith("#section-")
    assert_links_to(pages, index, "base.py", position(base, "return x + LIMIT", "LIMIT"),
                    "base.py", "LIMIT = 10")


def test_same_file_class(tree):
    pages, index = tree
    adam = pages["models/adam.py"]
    assert_links_to(pages, index, "models/adam.py", position(adam, "adam = Adam(params)", "Adam"),
                    "models/adam.py", "class Adam(Base):")
    # In an annotation too, and in a comprehension.
    assert_links_to(pages, index, "models/adam.py", position(adam, "-> Adam:", "Adam"),
                    "models/adam.py", "class Adam(Base):")
    assert_links_to(pages, index, "models/adam.py", position(adam, "[Adam for _", "Adam"),
                    "models/adam.py", "class Adam(Base):")


def test_relative_import_and_its_names(tree):
    pages, index = tree
    adam = pages["models/adam.py"]
    # The names of the import statement itself.
    href = assert_links_to(pages, index, "models/adam.py",
                           position(adam, "from ..base import", "helper"), "base.py", "def helper(x):")
    assert href.startswith("../base.html#section-")
    assert_links_to(pages, index, "models/adam.py", position(adam, "from ..base import", "LIMIT"),
                    "base.py", "LIMIT = 10")
    # And where they are used.
    assert_links_to(pages, index, "models/adam.py", position(adam, "helper(1)", "helper"),
                    "base.py", "def helper(x):")
    assert_links_to(pages, index, "models/adam.py", position(adam, "helper + LIMIT", "LIMIT"),
                    "base.py", "LIMIT = 10")


def test_reexport_through_init(tree):
    pages, index = tree
    adam = pages["models/adam.py"]
    # `from pkg import Base`: `pkg/__init__.py` imports it from `base.py`.
    assert_links_to(pages, index, "models/adam.py", position(adam, "from pkg import Base", "Base"),
                    "base.py", "class Base:")
    # The import in `__init__.py` links too.
    init = pages["__init__.py"]
    href = assert_links_to(pages, index, "__init__.py", position(init, "import Base", "Base"),
                           "base.py", "class Base:")
    assert href.startswith("base.html#section-")


def test_module_alias_attribute(tree):
    pages, index = tree
    adam = pages["models/adam.py"]
    assert_links_to(pages, index, "models/adam.py", position(adam, "base_mod.helper(", "helper"),
                    "base.py", "def helper(x):")
    assert_links_to(pages, index, "models/adam.py", position(adam, "base_mod.Base.scale", "Base"),
                    "base.py", "class Base:")
    assert_links_to(pages, index, "models/adam.py", position(adam, "base_mod.Base.scale", "scale"),
                    "base.py", "scale = 2")
    amsgrad = pages["models/amsgrad.py"]
    # `from pkg.models import adam` is a module; `adam.make` is its function.
    assert_links_to(pages, index, "models/amsgrad.py", position(amsgrad, "adam.make(2)", "make"),
                    "models/adam.py", "def make(params")
    assert_links_to(pages, index, "models/amsgrad.py", position(amsgrad, "+ mk(1)", "mk"),
                    "models/adam.py", "def make(params")
    assert_links_to(pages, index, "models/amsgrad.py", position(amsgrad, "import make as mk", "make"),
                    "models/adam.py", "def make(params")


def test_self_method_same_class_and_base_class(tree):
    pages, index = tree
    base = pages["base.py"]
    assert_links_to(pages, index, "base.py", position(base, "self.reset(state)", "reset"),
                    "base.py", "def reset(self, state):")
    assert_links_to(pages, index, "base.py", position(base, "self.scale", "scale"),
                    "base.py", "scale = 2")
    adam = pages["models/adam.py"]
    assert_links_to(pages, index, "models/adam.py", position(adam, "self.step(state)", "step"),
                    "models/adam.py", "def step(self, state):")
    # Defined in the base class, in another file.
    href = assert_links_to(pages, index, "models/adam.py",
                           position(adam, "self.reset(state)", "reset"),
                           "base.py", "def reset(self, state):")
    assert href.startswith("../base.html#section-")
    # Two levels up, across folders: AMSGrad → Adam → Base... and Adam's own `use`.
    amsgrad = pages["models/amsgrad.py"]
    assert_links_to(pages, index, "models/amsgrad.py", position(amsgrad, "self.use()", "use"),
                    "models/adam.py", "def use(self):")
    # An instance attribute set in `__init__` is not a definition.
    assert position(adam, "len(self.params)", "params") not in index.links_for(adam)


def test_super_method(tree):
    pages, index = tree
    adam = pages["models/adam.py"]
    href = assert_links_to(pages, index, "models/adam.py",
                           position(adam, "super().init_state(state)", "init_state"),
                           "base.py", "def init_state(self, state):")
    assert href.startswith("../base.html#")
    # `Base` has no `__init__`: `object`'s is not linked.
    assert position(adam, "super().__init__()", "__init__") not in index.links_for(adam)
    amsgrad = pages["models/amsgrad.py"]
    assert_links_to(pages, index, "models/amsgrad.py",
                    position(amsgrad, "super().init_state(state)", "init_state"),
                    "models/adam.py", "def init_state(self, state):")


def test_base_classes(tree):
    pages, index = tree
    adam = pages["models/adam.py"]
    href = assert_links_to(pages, index, "models/adam.py", position(adam, "class Adam(Base)", "Base"),
                           "base.py", "class Base:")
    assert href.startswith("../base.html#section-")
    amsgrad = pages["models/amsgrad.py"]
    href = assert_links_to(pages, index, "models/amsgrad.py",
                           position(amsgrad, "class AMSGrad(Adam)", "Adam"),
                           "models/adam.py", "class Adam(Base):")
    assert href.startswith("adam.html#section-")


def test_local_names_shadow_module_names(tree):
    pages, index = tree
    adam = pages["models/adam.py"]
    links = index.links_for(adam)
    # `helper = 3` in `step`, `LIMIT = 5` in `make`, a parameter and a comprehension variable.
    assert position(adam, "return helper + LIMIT", "helper") not in links
    assert position(adam, "return adam, LIMIT", "LIMIT") not in links
    assert position(adam, "[make for make", "make") not in links
    assert position(adam, "], make, [", "make") not in links
    # ... while the module's `LIMIT` is still linked where it is not shadowed.
    assert position(adam, "helper + LIMIT", "LIMIT") in links


def test_builtins_and_third_party_are_not_linked(tree):
    pages, index = tree
    adam = pages["models/adam.py"]
    links = index.links_for(adam)
    for needle, name in [("len(self.params)", "len"), ("torch.zeros(1)", "torch"),
                         ("torch.zeros(1)", "zeros"), ("print, helper", "print"),
                         ("def make(params: List)", "List"), ("from typing import List", "List"),
                         ("super().init_state", "super"), ("super().init_state(state)", "state")]:
        assert position(adam, needle, name) not in links, name


def test_definitions_do_not_link_to_themselves(tree):
    pages, index = tree
    for path, page in pages.items():
        lines = page.source.split("\n")
        for (line, col), href in index.links_for(page).items():
            text = lines[line - 1]
            assert not re.match(r"\s*(def|class)\s", text[:col] or " ") or "(" in text[:col], \
                (path, line, text)
            target_section(pages, path, href)  # a section of a page of the tree
            definition = index.targets(page)[(line, col)]
            assert not (definition.path == path and definition.line == line)
    base = pages["base.py"]
    links = index.links_for(base)
    assert position(base, "def helper", "helper") not in links
    assert position(base, "class Base", "Base") not in links
    assert position(base, "LIMIT = 10", "LIMIT") not in links


def test_positions_are_exact(tree):
    pages, index = tree
    for path, page in pages.items():
        lines = page.source.split("\n")
        targets = index.targets(page)
        assert set(targets) == set(index.links_for(page))
        for (line, col), definition in targets.items():
            name = definition.qualname.rsplit(".", 1)[1]
            text = lines[line - 1][col:]
            # Pygments reads `@name` as one token: the decorator's link starts at `@`.
            text = text.removeprefix("@")
            assert re.match(r"\w+", text), (path, line, col)
            # The alias of `import make as mk` names what it imports.
            assert text.startswith((name, "mk", "adam")), \
                (path, line, col, name, text)


def test_decorator_link_is_at_the_at_sign(tree):
    pages, index = tree
    adam = pages["models/adam.py"]
    line = line_of(adam, "@register")
    assert_links_to(pages, index, "models/adam.py", (line, 0), "base.py", "def register(f):")


def test_non_ascii_columns(tmp_path):
    pages = write_files(tmp_path / "pkg", {
        "a.py": '''
            def f(x):
                return x


            σ = "é"; y = f(σ)
            ''',
    })
    index = XrefIndex.build(list(pages.values()), "pkg")
    page = pages["a.py"]
    text = page.source.split("\n")
    links = index.links_for(page)
    line = line_of(page, "y = f(σ)")
    col = text[line - 1].index("f(σ)")
    assert (line, col) in links
    assert (line, text[line - 1].index("σ)")) in links


def test_href_across_folders(tmp_path):
    pages = write_files(tmp_path / "pkg", {
        "x/y.py": '''
            """
            # Y
            """

            # First section
            A = 1

            # Second section


            def target():
                return A
            ''',
        "z/w.py": '''
            from pkg.x.y import target
            from ..x.y import A


            def use():
                return target() + A
            ''',
    })
    index = XrefIndex.build(list(pages.values()), "pkg")
    w = pages["z/w.py"]
    links = index.links_for(w)
    y = pages["x/y.py"]
    # The blank lines after "Second section" leave that note alone: `target` is section 3.
    assert links[position(w, "return target()", "target")] == "../x/y.html#section-3"
    assert links[position(w, "+ A", "A")] == "../x/y.html#section-1"
    # Parsed sections agree with those numbers.
    assert line_of(y, "def target") in [n for n, _ in y.sections[3].code]
    assert line_of(y, "A = 1") in [n for n, _ in y.sections[1].code]
    assert index.links_for(y)[position(y, "return A", "A")] == "#section-1"


def test_hidden_line_goes_to_the_next_section(tree):
    pages, index = tree
    base = pages["base.py"]
    hidden = line_of(base, "# Hidden comment")
    shown = {n for s in base.sections for n, _ in s.code}
    assert hidden not in shown
    section = index.section_of("base.py", hidden)
    assert min(n for n, _ in base.sections[section].code) > hidden
    # It is the first section after the line.
    assert all(max(n for n, _ in s.code) < hidden
               for s in base.sections[:section] if s.code)


def test_dependencies_and_fingerprint(tmp_path, tree):
    pages, index = tree
    # Where the links land...
    assert index.linked_files(pages["models/adam.py"]) == {"base.py"}
    assert index.linked_files(pages["models/amsgrad.py"]) == {"models/adam.py"}
    assert index.linked_files(pages["base.py"]) == set()
    assert index.linked_files(pages["__init__.py"]) == {"base.py"}
    # ... and what they go through: `from pkg import Base` reads `__init__.py`, `adam.make`
    # reads `models/__init__.py`, and `self.use()` searches AMSGrad's bases, Adam and Base.
    assert index.dependencies(pages["models/adam.py"]) == {"base.py", "__init__.py"}
    assert index.dependencies(pages["models/amsgrad.py"]) == \
        {"models/adam.py", "models/__init__.py", "base.py", "__init__.py"}
    assert index.dependencies(pages["base.py"]) == set()
    assert index.dependencies(pages["__init__.py"]) == {"base.py"}
    for page in pages.values():
        assert index.linked_files(page) <= index.dependencies(page)

    # Same tree, pages in another order: the same links and fingerprints.
    shuffled = list(pages.values())
    random.Random(3).shuffle(shuffled)
    again = XrefIndex.build(shuffled, "pkg")
    for page in pages.values():
        assert again.links_for(page) == index.links_for(page)
        assert again.fingerprint(page) == index.fingerprint(page)
    assert len(index.fingerprint(pages["base.py"])) == 64

    # A new section in front of `reset` in base.py moves its link: adam.py's fingerprint changes,
    # amsgrad.py's (no link into base.py) does not.
    files = dict(TREE)
    files["base.py"] = TREE["base.py"].replace(
        "            def reset(self, state):",
        "            # Reset\n\n            def reset(self, state):")
    changed = write_files(tmp_path / "other", files)
    moved = XrefIndex.build(list(changed.values()), "pkg")
    adam = changed["models/adam.py"]
    assert moved.links_for(adam)[position(adam, "self.reset(state)", "reset")] != \
        index.links_for(pages["models/adam.py"])[
            position(pages["models/adam.py"], "self.reset(state)", "reset")]
    assert moved.links_for(changed["models/adam.py"]) != index.links_for(pages["models/adam.py"])
    assert moved.fingerprint(changed["models/adam.py"]) != index.fingerprint(pages["models/adam.py"])
    assert moved.fingerprint(changed["models/amsgrad.py"]) == \
        index.fingerprint(pages["models/amsgrad.py"])


def test_pages_not_indexed_have_no_links(tree):
    pages, index = tree
    stranger = parse_python("x = 1\nprint(x)\n", "elsewhere.py")
    assert index.links_for(stranger) == {}
    assert index.dependencies(stranger) == set()
    # A page whose text changed since the index was built gets no stale links.
    edited = parse_python("\n" + pages["base.py"].source, "base.py")
    assert index.links_for(edited) == {}


def test_syntax_error_page_is_skipped(tmp_path):
    pages = write_files(tmp_path / "pkg", {
        "a.py": "def f(:\n    pass\n",
        "b.py": "from .a import f\nfrom .c import g\n\n\ndef h():\n    return f(), g()\n",
        "c.py": "def g():\n    return 1\n",
    })
    index = XrefIndex.build(list(pages.values()), "pkg")
    assert index.dependencies(pages["b.py"]) == {"c.py"}


def test_import_cycles_end(tmp_path):
    pages = write_files(tmp_path / "pkg", {
        "a.py": "from .b import x\n\n\ndef f():\n    return x\n",
        "b.py": "from .a import x\n",
        "c.py": "from .c import *\nfrom .d import *\n\nprint(y)\n",
        "d.py": "y = 1\n",
        "e.py": "class A(A):\n    pass\n\n\nclass B(B):\n    def f(self):\n        return self.f()\n",
    })
    index = XrefIndex.build(list(pages.values()), "pkg")
    assert index.links_for(pages["a.py"]) == {}
    c = pages["c.py"]
    assert index.links_for(c) == {position(c, "print(y)", "y"): "d.html#section-0"}
    e = pages["e.py"]
    # No notes, but each class and method has a section: A, B, then B.f.
    assert index.links_for(e) == {position(e, "self.f()", "f"): "#section-2"}


def test_a_long_chain_of_base_classes_is_followed(tmp_path):
    chain = "".join(f"class A{i}(A{i - 1}):\n    pass\n\n\n" for i in range(1, 400))
    pages = write_files(tmp_path / "pkg", {
        "chain.py": "class A0:\n    def m(self):\n        return 1\n\n\n" + chain
                    + "class Z(A399):\n    def n(self):\n        return self.m()\n",
    })
    page = pages["chain.py"]
    for index in (XrefIndex.build([page], "pkg"),
                  XrefIndex.lazy(["chain.py"], "pkg", lambda path: parse_python(page.source, path))):
        links = index.links_for(page)
        # A section for each class and method: A0, A0.m, A1, ... A399.
        assert links[position(page, "self.m()", "m")] == "#section-1"
        assert links[position(page, "class Z(A399)", "A399")] == "#section-400"


def test_bases_named_through_each_other_give_up_before_the_recursion_limit(tmp_path):
    # Each base is an attribute of the class before: its bases are needed to find the attribute.
    chain = "".join(f"class B{i}(B{i - 1}.X):\n    class X:\n        pass\n\n\n"
                    for i in range(1, 400))
    pages = write_files(tmp_path / "pkg", {
        "chain.py": "class B0:\n    class X:\n        pass\n\n\n" + chain,
        "user.py": "from .chain import B399\n\n\nclass C(B399):\n    pass\n",
    })
    index = XrefIndex.build(list(pages.values()), "pkg")
    chain_page, user = pages["chain.py"], pages["user.py"]
    # The first bases are followed, the rest are cut off at `MAX_NESTING`; no RecursionError.
    # A section for each class: B0, B0.X, B1, B1.X, ... B399.
    assert index.links_for(chain_page)[position(chain_page, "class B1(B0.X)", "X")] == \
        "#section-1"
    assert index.links_for(user)[position(user, "class C(B399)", "B399")] == \
        "chain.html#section-798"


def test_a_file_too_deep_to_parse_has_no_definitions(tmp_path):
    source = tmp_path / "pkg"
    write_files(source, {
        "other.py": "def g():\n    return 1\n",
        "user.py": "from .deep import x\nfrom .other import g\n\nprint(x, g())\n",
    })
    # Too deep for Python's parser ("too complex").
    (source / "deep.py").write_text("x = " + "-" * 100_000 + "1\n")
    user = parse_python((source / "user.py").read_text(), "user.py")
    for lazy in (False, True):
        index = index_files(scan(source), "pkg", lazy=lazy)
        assert index.links_for(user) == {position(user, "import g", "g"): "other.html#section-0",
                                         position(user, "print(x, g())", "g"): "other.html#section-0"}
        assert index.dependencies(user) == {"other.py"}


def test_global_and_class_scope(tmp_path):
    pages = write_files(tmp_path / "pkg", {
        "a.py": '''
            x = 1


            def f():
                global x
                x = 2
                return x + 0


            class C:
                x = 3
                y = x

                def m(self):
                    return x * 1
            ''',
    })
    index = XrefIndex.build(list(pages.values()), "pkg")
    page = pages["a.py"]
    links = index.targets(page)
    assert links[position(page, "return x + 0", "x")].qualname == "pkg.a.x"
    assert links[position(page, "y = x", "x")].qualname == "pkg.a.C.x"
    # A method does not see the class body's names: `x` is the module's.
    assert links[position(page, "return x * 1", "x")].qualname == "pkg.a.x"


# ## Rendered

def test_rendered_link_wraps_the_name(tree):
    pages, index = tree
    adam = pages["models/adam.py"]
    links = index.links_for(adam)
    highlighter = FileHighlighter(adam.source, links)
    html = "".join(highlighter.section(s.code) for s in adam.sections if s.code)
    anchors = re.findall(r'<a class="xref" href="([^"]+)"><span class="[^"]*">([^<]+)</span></a>',
                         html)
    assert len(anchors) == len(links)
    assert (links[position(adam, "class Adam(Base)", "Base")], "Base") in anchors
    assert (links[position(adam, "self.reset(state)", "reset")], "reset") in anchors
    assert (links[(line_of(adam, "@register"), 0)], "@register") in anchors
    base_href = assert_links_to(pages, index, "models/adam.py",
                                position(adam, "class Adam(Base)", "Base"), "base.py", "class Base:")
    assert re.search(r'<a class="xref" href="' + re.escape(base_href) +
                     r'"><span class="n">Base</span></a><span class="p">\)</span>', html)
    # Every link is on a name token of the highlighter.
    tokens = lex_lines(adam.source)
    starts = {(i, c) for i, line in enumerate(tokens, 1) for t, _, c in line if t in Name}
    assert set(links) <= starts


# ## labml-nn

def _corpus() -> Path | None:
    for candidate in [os.environ.get("LABML_NN_TREE"), "/tmp/lnn/unpacked/labml_nn",
                      "/tmp/lnn/labml_nn"]:
        if candidate and Path(candidate, "__init__.py").is_file():
            return Path(candidate)
    return None


@pytest.mark.skipif(_corpus() is None, reason="no unpacked labml-nn tree")
def test_labml_nn_corpus():
    root = _corpus()
    pages = {}
    for file in sorted(root.rglob("*.py")):
        path = file.relative_to(root).as_posix()
        pages[path] = parse_python(file.read_text(encoding="utf-8"), path)
    index = XrefIndex.build(list(pages.values()), root.name)
    links = {path: index.links_for(page) for path, page in pages.items()}
    # The lazy index, asked about the pages in another order, gives the same links.
    lazy = XrefIndex.lazy(list(pages), root.name, pages.get)
    assert index.package == "labml_nn"
    total = sum(len(found) for found in links.values())
    assert total > 1000
    by_url = {page_url(p): page for p, page in pages.items()}
    for path, page in pages.items():
        tokens = lex_lines(page.source)
        starts = {(i, c) for i, line in enumerate(tokens, 1) for t, _, c in line if t in Name}
        here = posixpath.dirname(page_url(path))
        targets = index.targets(page)
        for position_, href in links[path].items():
            assert position_ in starts, (path, position_)
            url, _, fragment = href.partition("#")
            target = posixpath.normpath(posixpath.join(here, url)) if url else page_url(path)
            assert target in by_url, (path, href)
            number = int(fragment.removeprefix("section-"))
            sections = by_url[target].sections
            assert 0 <= number < len(sections), (path, href)
            definition = targets[position_]
            shown = [n for n, _ in sections[number].code]
            assert definition.line in shown or min(shown) > definition.line, (path, href)
    for path in sorted(pages, reverse=True):
        page = pages[path]
        assert lazy.fingerprint(page) == index.fingerprint(page), path
        assert lazy.dependencies(page) == index.dependencies(page), path


# ## Two modes: the whole tree at once, or lazily

def _trees(tmp_path):
    write_files(tmp_path / "pkg", TREE)
    # Two files of one module name, a syntax error, and a file that is not UTF-8.
    (tmp_path / "pkg" / "models" / "dup.py").write_text("class Twin:\n    pass\n")
    (tmp_path / "pkg" / "models" / "dup").mkdir()
    (tmp_path / "pkg" / "models" / "dup" / "__init__.py").write_text(
        "class Twin:\n    def other(self):\n        pass\n")
    (tmp_path / "pkg" / "broken.py").write_text("def (:\n")
    (tmp_path / "pkg" / "latin.py").write_bytes(b"x = '\xff'\n")
    (tmp_path / "pkg" / "user.py").write_text(
        "from .models.dup import Twin\nfrom .base import Base\n\n\nclass Child(Twin, Base):\n"
        "    def go(self):\n        return self.reset(1), Twin(), super().init_state(2)\n")
    return [tmp_path / "pkg", REPO / "src" / "labml_nn"]


def files_read(monkeypatch) -> list[str]:
    """The paths of the files the index reads from now on (`read_page`), in order."""
    read: list[str] = []
    monkeypatch.setattr(xref_index, "read_page",
                        lambda file, *rest: read.append(file.path) or read_page(file, *rest))
    return read


def rendered(source: Path, cache: Path, jobs: int = 1) -> dict[str, str | None]:
    """The HTML of each page of `source`, rendered (no search) with the cache `cache`."""
    config = SiteConfig(source_dir=str(source), cache_dir=str(cache), jobs=jobs, search=False)
    with Builder(config) as builder:
        site = builder.render()
    return {url: page.html for url, page in site.pages.items()}


@pytest.mark.parametrize("which", [0, 1])
def test_lazy_index_answers_as_the_whole_tree_index(tmp_path, which):
    source = _trees(tmp_path)[which]
    files = scan(source)
    eager = index_files(files, source_dir=source)
    pages = {f.path: read_page(f) for f in files if f.kind == "python"}
    pages = {path: page for path, page in pages.items() if page is not None}
    # One lazy index asked about every page in a random order, and a new one for each page.
    lazy = index_files(files, source_dir=source, lazy=True)
    assert isinstance(lazy, LazyIndex) and lazy.package == eager.package
    order = sorted(pages)
    random.Random(which).shuffle(order)
    for path in order:
        page = pages[path]
        alone = index_files(files, source_dir=source, lazy=True)
        for index in (lazy, alone):
            assert index.links_for(page) == eager.links_for(page), path
            assert index.dependencies(page) == eager.dependencies(page), path
    assert lazy.definitions() == eager.definitions()


def test_lazy_index_answers_whatever_the_order_of_the_pages():
    pages = {"a.py": "X = 1\nif X:\n    class A:\n        def f(self):\n"
                     "            return self.g()\n\n        def g(self):\n            return 1\n"
                     "else:\n    class A:\n        pass\n",
             "b.py": "from .a import A\n\n\nclass B(A):\n    def h(self):\n"
                     "        return super().g()\n"}

    def links(order):
        index = XrefIndex.lazy(list(pages), "pkg", lambda path: parse_python(pages[path], path))
        return {path: index.links_for(parse_python(pages[path], path)) for path in order}

    assert links(["a.py", "b.py"]) == links(["b.py", "a.py"])


def test_lazy_index_reads_only_what_the_page_needs(tmp_path, monkeypatch):
    source = _trees(tmp_path)[0]
    files = scan(source)
    cache = tmp_path / "cache"
    hashes = SourceHashes(None).hash_files(files)
    index_files(files, source_dir=source, lazy=True, digests=hashes, cache_dir=cache)
    assert (cache / "xref" / "files.json").is_file()

    summaries = FileSummaries(cache)
    read = files_read(monkeypatch)
    index = index_files(files, source_dir=source, lazy=True, digests=hashes, cache_dir=cache)
    assert summaries.old and index.package == "pkg"
    page = read_page(next(f for f in files if f.path == "base.py"))
    index.links_for(page)
    # base.py imports nothing of the tree: no other file is read.
    assert read == []
    adam = read_page(next(f for f in files if f.path == "models/adam.py"))
    assert index.links_for(adam)
    assert "models/adam.py" not in read  # the page given is the page indexed
    assert read and len(read) < len([f for f in files if f.kind == "python"]) - 1


@pytest.mark.parametrize("which", [0, 1])
def test_exports_answer_as_the_files_and_spare_reading_them(tmp_path, monkeypatch, which):
    """A lazy index given the exports workers made while preparing (`use_exports`) gives
    every page the links, dependencies and fact records of the index that reads the files,
    and reads no file but the page's own."""
    source = _trees(tmp_path)[which]
    files = scan(source)
    reference = index_files(files, source_dir=source, lazy=True)
    pages = {f.path: read_page(f) for f in files if f.kind == "python"}
    pages = {path: page for path, page in pages.items() if page is not None}
    exports = {path: blob for path, page in pages.items()
               if (blob := make_exports(read_page(next(f for f in files if f.path == path)),
                                        reference.package)) is not None}
    assert exports
    expected = {path: (reference.links_for(page), reference.dependencies(page),
                       reference.fact_record(page)) for path, page in pages.items()}
    assert any(links for links, _, _ in expected.values())
    read = files_read(monkeypatch)
    for path in sorted(pages):
        index = index_files(files, source_dir=source, lazy=True)
        index.use_exports(exports)
        page = read_page(next(f for f in files if f.path == path))
        answers = (index.links_for(page), index.dependencies(page), index.fact_record(page))
        assert answers == expected[path], path
    assert read == []


def test_exports_of_another_package_are_not_used(tmp_path, monkeypatch):
    source = _trees(tmp_path)[0]
    files = scan(source)
    wrong = {f.path: make_exports(read_page(f), "other") for f in files
             if f.kind == "python" and read_page(f) is not None}
    read = files_read(monkeypatch)
    index = index_files(files, source_dir=source, lazy=True)
    index.use_exports({p: blob for p, blob in wrong.items() if blob is not None})
    adam = read_page(next(f for f in files if f.path == "models/adam.py"))
    assert index.links_for(adam)
    assert read  # the files themselves, read under the index's own package "pkg"
    assert all(d.qualname.startswith("pkg.") for d in index.targets(adam).values())


def test_a_build_in_one_process_parses_each_file_once(tmp_path, monkeypatch):
    """Without workers, the index reads the pages the build has just parsed (and their
    syntax trees), not the files again."""
    import labml_docs.parse as parse
    source = _trees(tmp_path)[0]
    parsed = []
    real = parse.parse_syntax
    monkeypatch.setattr(parse, "parse_syntax",
                        lambda text, path: parsed.append(path) or real(text, path))
    monkeypatch.setattr("labml_docs.xref.collect.parse_syntax", parse.parse_syntax)
    config = SiteConfig(source_dir=str(source), cache_dir=str(tmp_path / "cache"), jobs=1,
                        search=False)
    with Builder(config) as builder:
        site = builder.render()
    assert site.stats["rendered"] > 5
    python = [f.path for f in scan(source) if f.kind == "python"]
    parsing = [p for p in python if p not in ("broken.py", "latin.py")]
    assert sorted(p for p in parsed if p in parsing) == sorted(parsing)


def test_index_pickles_unless_lazy(tree):
    pages, index = tree
    copy = pickle.loads(pickle.dumps(index))
    for page in pages.values():
        assert copy.links_for(page) == index.links_for(page)
        assert copy.dependencies(page) == index.dependencies(page)
        assert copy.fingerprint(page) == index.fingerprint(page)
    assert copy.definitions() == index.definitions()
    with pytest.raises(RuntimeError):
        copy.lookup("pkg.base.Base")
    # A lazy index is sent to workers by forking.
    lazy = XrefIndex.lazy(list(pages), "pkg", pages.get)
    with pytest.raises(TypeError):
        pickle.dumps(lazy)


def test_index_files_of_a_scan(tmp_path):
    write_files(tmp_path / "pkg", TREE)
    (tmp_path / "pkg" / "readme.md").write_text("# Read me\n", encoding="utf-8")
    (tmp_path / "pkg" / "bad.py").write_bytes(b"x = '\xff'\n")
    files = scan(tmp_path / "pkg")
    index = index_files(files, source_dir=tmp_path / "pkg")
    assert index.package == "pkg"
    pages = {f.path: parse_python(f.absolute.read_text(encoding="utf-8"), f.path)
             for f in files if f.path in TREE}
    built = XrefIndex.build(list(pages.values()), "pkg")
    for page in pages.values():
        assert index.links_for(page) == built.links_for(page)


# ## What the lazy index keeps of every file

def test_file_summaries_are_kept_by_content(tmp_path):
    source = _trees(tmp_path)[0]
    files = [f for f in scan(source) if f.kind == "python"]
    hashes = SourceHashes(None).hash_files(files)
    first = FileSummaries(tmp_path / "cache")
    answers = {f.path: first.get(f, hashes[f.path]) for f in files}
    first.save()
    assert answers["broken.py"] is None and answers["latin.py"] is None
    assert answers["models/adam.py"] == ["pkg", "pkg.base", "torch", "typing"]
    assert first.misses == len(files)
    again = FileSummaries(tmp_path / "cache")
    assert {f.path: again.get(f, hashes[f.path]) for f in files} == answers
    assert again.misses == 0
    # A file changed after it was hashed: answered from its bytes, not remembered.
    target = next(f for f in files if f.path == "base.py")
    target.absolute.write_text("import os\n")
    fresh = FileSummaries(tmp_path / "cache")
    assert fresh.get(target, "0" * 64) == ["os"]
    assert "0" * 64 not in fresh.new


def test_the_whole_tree_index_leaves_the_summaries_for_the_lazy_one(tmp_path):
    source = _trees(tmp_path)[0]
    files = scan(source)
    hashes = SourceHashes(None).hash_files([f for f in files if f.kind != "asset"])
    index_files(files, source_dir=source, digests=hashes, cache_dir=tmp_path / "cache")
    summaries = FileSummaries(tmp_path / "cache")
    python = [f for f in files if f.kind == "python"]
    assert len(summaries.old) == len(python)
    expected = FileSummaries(None)
    for file in python:
        assert summaries.get(file, hashes[file.path]) == expected.get(file, hashes[file.path])
    assert summaries.misses == 0


def test_an_edit_that_keeps_every_summary_keeps_the_tree_without_asking_every_file(
        tmp_path, monkeypatch):
    source = _trees(tmp_path)[0]
    files = scan(source)
    cache = tmp_path / "cache"

    def lazy(expect_votes: bool) -> str:
        hashes = SourceHashes(None).hash_files(files)
        votes = []
        monkeypatch.setattr(xref_index, "package_of",  # (a vote over the files, not the
                            lambda *args: votes.append(args[0]) or package_of(*args))  # name)
        index = index_files(files, source_dir=source, lazy=True, digests=hashes, cache_dir=cache)
        assert any(votes) == expect_votes
        return index.package

    assert lazy(expect_votes=True) == "pkg"
    adam = source / "models" / "adam.py"
    adam.write_text(adam.read_text(encoding="utf-8") + "\n# a note\n", encoding="utf-8")
    assert lazy(expect_votes=False) == "pkg"  # its imports are the same: so is the vote
    fresh = index_files(files, source_dir=source, lazy=True,
                        digests=SourceHashes(None).hash_files(files))
    assert fresh.package == "pkg"
    # A changed import changes the summary: the tree is decided again.
    adam.write_text(adam.read_text(encoding="utf-8") + "import json\n", encoding="utf-8")
    assert lazy(expect_votes=True) == "pkg"


# ## In a build

def test_builder_uses_the_lazy_index_for_a_few_pages(tmp_path):
    source = tmp_path / "src" / "pkg"
    write_files(source, TREE)
    config = SiteConfig.from_dict({"source_dir": source, "cache_dir": str(tmp_path / "cache"),
                                   "math_engine": "auto"})
    with Builder(config) as builder:
        builder.build(tmp_path / "site")
    # A new process, with a whole-tree index: the same pages.
    with Builder(SiteConfig.from_dict({"source_dir": source, "math_engine": "auto"})) as builder:
        builder.xref_factory = lambda files, lazy, known=None: index_files(files, source_dir=source)
        builder.build(tmp_path / "eager")

    def pages(site):
        return {p.relative_to(site).as_posix(): p.read_bytes() for p in site.rglob("*.html")}

    assert pages(tmp_path / "eager") == pages(tmp_path / "site")
    assert 'class="xref"' in (tmp_path / "site" / "models" / "adam.html").read_text("utf-8")


def test_builder_renders_the_links_and_tracks_dependencies(tmp_path, build_site):
    """The wiring: `Builder.xref_factory`, the page cache and its recorded dependencies."""
    source = tmp_path / "src" / "pkg"
    write_files(source, TREE)
    config = SiteConfig.from_dict({"source_dir": source, "cache_dir": str(tmp_path / "cache"),
                                   "math_engine": "auto"})
    with Builder(config) as builder:
        builder.xref_factory = lambda files, lazy, known=None: index_files(
            files, source_dir=config.source_dir)
        builder.build(tmp_path / "site")
        html = (tmp_path / "site" / "models" / "adam.html").read_text(encoding="utf-8")
        pages = {p: parse_python(textwrap.dedent(t).lstrip("\n"), p) for p, t in TREE.items()}
        index = XrefIndex.build(list(pages.values()), "pkg")
        href = index.links_for(pages["models/adam.py"])[
            position(pages["models/adam.py"], "class Adam(Base)", "Base")]
        assert f'<a class="xref" href="{href}"><span class="n">Base</span></a>' in html
        section = href.partition("#")[2]
        assert f'id="{section}"' in (tmp_path / "site" / "base.html").read_text(encoding="utf-8")

        # A new section in base.py in front of `reset`: the pages whose links go into base.py
        # are rendered again, with the new section number; the others come from the cache.
        files = dict(TREE)
        files["base.py"] = TREE["base.py"].replace(
            "            def reset(self, state):",
        "            # Reset\n\n            def reset(self, state):")
        write_files(source, {"base.py": files["base.py"]})
        site = builder.build(tmp_path / "site")
        changed = {p: parse_python(textwrap.dedent(t).lstrip("\n"), p) for p, t in files.items()}
        moved = XrefIndex.build(list(changed.values()), "pkg")
        adam = changed["models/adam.py"]
        new_href = moved.links_for(adam)[position(adam, "self.reset(state)", "reset")]
        old_href = index.links_for(pages["models/adam.py"])[
            position(pages["models/adam.py"], "self.reset(state)", "reset")]
        assert new_href != old_href
        html = site.pages["models/adam.html"].html
        assert f'href="{new_href}"' in html and f'href="{old_href}"' not in html
        assert site.stats["cached"] >= 1 and site.stats["rendered"] < len(TREE) + 1


def test_published_page_follows_its_dependencies(tmp_path):
    source = tmp_path / "src" / "pkg"
    write_files(source, TREE)
    config = SiteConfig.from_dict({"source_dir": source, "cache_dir": str(tmp_path / "cache"),
                                   "math_engine": "auto"})
    with Builder(config) as builder:
        builder.xref_factory = lambda files, lazy, known=None: index_files(
            files, source_dir=config.source_dir)
        builder.build(tmp_path / "site")
        write_files(source, {"base.py": TREE["base.py"].replace(
            "            def reset(self, state):",
            "            # Reset\n            def reset(self, state):")})
        site = builder.build(tmp_path / "site")
    published = (tmp_path / "site" / "models" / "adam.html").read_text(encoding="utf-8")
    assert published == site.pages["models/adam.html"].html


def test_local_names_are_not_looked_up(monkeypatch):
    """A function's parameters and local variables can never link: they are not looked up
    (most names of a module are such), and the names around them still are."""
    from labml_docs.xref.resolve import Resolver
    text = ("LIMIT = 3\n\n\ndef helper(x):\n    return x\n\n\n"
            "class A:\n    def f(self, total):\n        count = total + LIMIT\n"
            "        return helper(count), self.f, [i for i in range(count)]\n")
    looked = []
    real = Resolver.lookup
    monkeypatch.setattr(Resolver, "lookup",
                        lambda self, scope, name: looked.append(name) or real(self, scope, name))
    page = parse_python(text, "m.py")
    index = XrefIndex.build([page], "pkg")
    linked = {text.split("\n")[line - 1][col:].split("(")[0].split(" ")[0].split(",")[0]
              for line, col in index.links_for(page)}
    assert {"LIMIT", "helper"} <= linked
    assert "LIMIT" in looked and "helper" in looked
    assert not {"x", "total", "count", "i"} & set(looked)


@pytest.mark.parametrize("folder", ["labml_nn", "checkout"])
def test_a_build_too_big_to_keep_its_syntax_trees_gives_the_same_pages(tmp_path, monkeypatch,
                                                                      folder):
    """Past `KEEP_TREES` bytes of source, a build without workers drops each page's syntax
    tree once prepared (its exports made, as workers do) and parses it again to finish it:
    the same pages, and the files are not read again for the look-ups of other pages. Also
    when the tree's folder is not named as its package (`checkout/`): the exports are made
    under the package its imports name (a sample of them), and used."""
    import labml_docs.workers as workers
    source = tmp_path / folder
    shutil.copytree(REPO / "src" / "labml_nn", source)
    kept = rendered(source, tmp_path / "cache-kept")
    monkeypatch.setattr(workers, "KEEP_TREES", 0)
    read = files_read(monkeypatch)
    assert rendered(source, tmp_path / "cache-dropped") == kept
    assert any("xref" in (html or "") for html in kept.values()) and read == []


def test_a_page_forgotten_once_finished_is_answered_again_the_same(tmp_path):
    """The index drops what only a finished page asked for (`forget`); asked again, it gives
    the same answers, and the pages that look into it still find its definitions."""
    source = _trees(tmp_path)[0]
    files = scan(source)
    pages = {f.path: read_page(f) for f in files if f.kind == "python"}
    pages = {path: page for path, page in pages.items() if page is not None}
    reference = index_files(files, source_dir=source, lazy=True)
    expected = {path: (reference.links_for(page), reference.dependencies(page),
                       reference.fact_record(page)) for path, page in pages.items()}
    index = index_files(files, source_dir=source, lazy=True)
    for path in sorted(pages):  # each page finished, then forgotten, in turn
        page = pages[path]
        assert (index.links_for(page), index.dependencies(page),
                index.fact_record(page)) == expected[path], path
        index.forget(page)
        assert path not in index._targets and path not in index._links
    for path in sorted(pages):  # and asked again
        page = read_page(next(f for f in files if f.path == path))
        assert (index.links_for(page), index.dependencies(page),
                index.fact_record(page)) == expected[path], path


def test_the_first_rebuild_after_a_cold_build_reads_the_exports_kept(tmp_path, monkeypatch):
    """A cold build keeps each page's exports in the cache as it makes them (workers do, and
    so does one process past `KEEP_TREES`): every file of the tree is kept, not only those
    some index happened to parse, and the first edit after it reads no file but the edited
    one, and renders the pages a cold build of the edited tree renders."""
    import labml_docs.workers as workers
    source = tmp_path / "labml_nn"
    shutil.copytree(REPO / "src" / "labml_nn", source)
    monkeypatch.setattr(workers, "KEEP_TREES", 0)  # (one process packs its pages as workers do)
    for jobs in (1, 2):
        rendered(source, tmp_path / f"cache{jobs}", jobs)
        kept = [p for p in (tmp_path / f"cache{jobs}" / "xref" / "collected").rglob("*")
                if p.is_file()]
        assert len(kept) == len(list(source.rglob("*.py"))), jobs
    edited = source / "optimizers" / "adam.py"
    edited.write_text(edited.read_text() + "\n# One more comment.\n")
    read = files_read(monkeypatch)
    again = rendered(source, tmp_path / "cache2", 2)
    assert set(read) == {"optimizers/adam.py"}  # only the edited file (for its importers' facts)
    monkeypatch.undo()
    assert again == rendered(source, tmp_path / "cold", 2)
