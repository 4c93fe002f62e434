"""Front matter and the settings file: YAML without aliases, and titles that are text."""

import pytest

from labml_docs.config import SiteConfig
from labml_docs.frontmatter import split_front_matter
from labml_docs.parse import parse_markdown, parse_python


def laughs(levels: int = 9) -> str:
    """A "billion laughs": each line holds nine aliases of the one before (9**9 strings)."""
    names = "abcdefghij"[:levels]
    lines = [f'{names[0]}: &{names[0]} ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for before, name in zip(names, names[1:]):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{before}"] * 9) + "]")
    lines.append(f"title: *{names[-1]}")
    return "\n".join(lines) + "\n"


def test_aliases_are_refused_on_their_line():
    fm = split_front_matter("---\n" + laughs() + "---\n# Laughs\n")
    # The third line of the text (offset 2 from its top) holds the first alias, `*a`.
    assert fm.errors == [(2, "bad front matter: YAML aliases (*a) are not allowed")]
    assert fm.meta == {} and fm.body == "# Laughs\n"


def test_an_anchor_alone_is_harmless():
    fm = split_front_matter("---\ntitle: &t Adam\n---\n")
    assert fm.errors == [] and fm.meta == {"title": "Adam"}


def test_aliases_in_a_docstring_and_in_a_readme_name_their_file_and_line():
    source = '"""\n---\nsummary: &s Short\ntitle: *s\n---\n\n# Adam\n"""\nx = 1\n'
    page = parse_python(source, "adam.py")
    assert [str(d) for d in page.diagnostics] == [
        "adam.py:4: bad front matter: YAML aliases (*s) are not allowed"]
    assert page.title == "Adam" and page.summary == ""
    readme = parse_markdown("---\n" + laughs(3) + "---\n\n# Read me\n", "readme.md")
    assert [str(d) for d in readme.diagnostics] == [
        "readme.md:3: bad front matter: YAML aliases (*a) are not allowed"]
    assert readme.title == "Read me"


def test_title_and_summary_must_be_text():
    source = ('"""\n---\ntitle:\n  - a\n  - b\nsummary: 2024\ndescription: {a: 1}\n'
              'image: [1, 2]\n---\n\n# Heading\n"""\nx = 1\n')
    page = parse_python(source, "mod.py")
    assert [str(d) for d in page.diagnostics] == [
        "mod.py:4: bad front matter: `title` must be text, not a list (quote it)",
        "mod.py:6: bad front matter: `summary` must be text, not a number (quote it)",
        "mod.py:7: bad front matter: `description` must be text, not a mapping (quote it)"]
    # The refused keys are left out; the others stay.
    assert page.title == "Heading" and page.summary == "" and page.meta == {"image": [1, 2]}


def test_empty_and_quoted_values_are_text_enough():
    fm = split_front_matter('---\ntitle: "2024"\nsummary:\n---\n')
    assert fm.errors == [] and fm.meta == {"title": "2024", "summary": None}


def test_deep_nesting_is_a_message_not_a_recursion_error():
    nested = "[" * 49 + "]" * 49
    assert split_front_matter(f"---\ntitle: x\nimage: {nested}\n---\n").errors == []
    fm = split_front_matter("---\ntitle: x\nimage:\n  " + "[" * 1000 + "]" * 1000 + "\n---\n")
    assert fm.errors == [(3, "bad front matter: nested deeper than 50 levels")] and fm.meta == {}


def test_the_settings_file_refuses_aliases(tmp_path):
    settings = tmp_path / "labml-docs.yml"
    settings.write_text("site_name: &n Laughs\nsite_url: *n\n")
    with pytest.raises(ValueError) as raised:
        SiteConfig.load(settings)
    assert str(raised.value) == f"{settings}:2: YAML aliases (*n) are not allowed"
    settings.write_text("site_name: &n Laughs\n")
    assert SiteConfig.load(settings).site_name == "Laughs"


def test_a_billion_laughs_costs_only_its_own_metadata(write_tree, build_site):
    tree = write_tree({
        "laughs.py": '"""\n---\n' + laughs(6) + '---\n\n# Laughs\n"""\nx = 1\n',
        "good.py": "# Good\nx = 1\n"})
    site, out = build_site(tree)
    assert [str(d) for d in site.diagnostics] == [
        "laughs.py:4: bad front matter: YAML aliases (*a) are not allowed"]
    assert "<title>Laughs" in (out / "laughs.html").read_text(encoding="utf-8")
    assert "Good" in (out / "good.html").read_text(encoding="utf-8")


def test_a_settings_file_that_is_not_yaml_is_one_line_naming_it(tmp_path, labml_docs):
    settings = tmp_path / "labml-docs.yml"
    settings.write_text("site_name: ok\nsocial: [unclosed\n")
    (tmp_path / "pkg").mkdir()
    done = labml_docs("check", tmp_path / "pkg", "--config", settings)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert f"{settings}:" in done.stderr
