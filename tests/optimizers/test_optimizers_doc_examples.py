"""
Every fenced ```python example in the notes under `src/` runs.

Notes are module, class and function docstrings, runs of `#` comment lines in
`.py` files, and `.md` files. The examples are read from the raw source (not
from imported objects) and each one is executed on its own, in a fresh
namespace, identified by `file:line` of its opening fence.
"""

import ast
import io
import re
import textwrap
import tokenize
from pathlib import Path

import pytest

import labml_nn

SRC = Path(labml_nn.__file__).resolve().parent.parent

FENCE_OPEN = re.compile(r'^\s*```\s*python\s*$')
FENCE_CLOSE = re.compile(r'^\s*```\s*$')


def fenced_blocks(lines: list[str], first_line: int) -> list[tuple[int, str]]:
    """Python fenced blocks in `lines`; `first_line` is the file line of `lines[0]`"""
    blocks = []
    i = 0
    while i < len(lines):
        if FENCE_OPEN.match(lines[i]):
            start = i
            body = []
            i += 1
            while i < len(lines) and not FENCE_CLOSE.match(lines[i]):
                body.append(lines[i])
                i += 1
            if i == len(lines):
                raise AssertionError(f"unclosed ```python fence at line {first_line + start}")
            blocks.append((first_line + start, textwrap.dedent('\n'.join(body))))
        i += 1
    return blocks


def docstring_blocks(source: str) -> list[tuple[int, str]]:
    blocks = []
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if not isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        if not node.body:
            continue
        first = node.body[0]
        if not (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)):
            continue
        lines = first.value.value.split('\n')
        # The text after the opening quotes is on the line of the string's start
        blocks += fenced_blocks([lines[0]] + textwrap.dedent('\n'.join(lines[1:])).split('\n'),
                                first.value.lineno)
    return blocks


def comment_blocks(source: str) -> list[tuple[int, str]]:
    """Runs of consecutive full-line `#` comments, with the leading `# ` stripped"""
    comment_lines = {}
    line_texts = source.split('\n')
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type != tokenize.COMMENT:
            continue
        row, col = token.start
        # Only comments alone on their line are notes; end-of-line comments stay in the code
        if line_texts[row - 1][:col].strip():
            continue
        text = token.string[1:]
        comment_lines[row] = text[1:] if text.startswith(' ') else text
    blocks = []
    rows = sorted(comment_lines)
    run: list[int] = []
    for row in rows + [None]:
        if run and (row is None or row != run[-1] + 1):
            blocks += fenced_blocks([comment_lines[r] for r in run], run[0])
            run = []
        if row is not None:
            run.append(row)
    return blocks


def collect():
    examples = []
    for path in sorted(SRC.rglob('*')):
        if '__pycache__' in path.parts or not path.is_file():
            continue
        rel = path.relative_to(SRC).as_posix()
        if path.suffix == '.py':
            source = path.read_text(encoding='utf-8')
            found = docstring_blocks(source) + comment_blocks(source)
        elif path.suffix == '.md':
            found = fenced_blocks(path.read_text(encoding='utf-8').split('\n'), 1)
        else:
            continue
        examples += [(f'{rel}:{line}', code) for line, code in sorted(found)]
    return examples


EXAMPLES = collect()


def test_examples_were_found():
    # One per optimizer page at least, and the readme
    assert len(EXAMPLES) >= 8, [name for name, _ in EXAMPLES]


@pytest.mark.parametrize('name, code', EXAMPLES, ids=[name for name, _ in EXAMPLES])
def test_example_runs(name, code):
    exec(compile(code, name, 'exec'), {'__name__': '__doc_example__'})


def test_collector_reads_comment_notes():
    source = "x = 1\n# A note\n# ```python\n# y = 2\n# assert y == 2\n# ```\nz = 3  # ```python\n"
    assert comment_blocks(source) == [(3, 'y = 2\nassert y == 2')]


def test_collector_reads_indented_docstrings():
    source = 'class A:\n    """\n    Text\n\n    ```python\n    a = 1\n    ```\n    """\n'
    assert docstring_blocks(source) == [(5, 'a = 1')]


PAGES = sorted((SRC / 'labml_nn').rglob('*.py'))


@pytest.mark.parametrize('path', PAGES, ids=lambda p: p.relative_to(SRC).as_posix())
def test_module_front_matter(path):
    """Each page opens with `---` YAML front matter with a title and a one- or two-sentence summary"""
    yaml = pytest.importorskip('yaml')
    docstring = ast.get_docstring(ast.parse(path.read_text(encoding='utf-8')), clean=False)
    assert docstring, f"{path} has no module docstring"
    match = re.match(r'\A\s*---[ \t]*\n(.*?\n)---[ \t]*\n\s*# \S', docstring, re.S)
    assert match, "expected front matter followed by a '# Heading'"
    meta = yaml.safe_load(match.group(1))
    assert isinstance(meta, dict) and meta.get('title') and meta.get('summary')
    assert 1 <= len(re.findall(r'[.!?](\s|$)', meta['summary'].strip())) <= 2


def test_readme_links_every_optimizer_page():
    folder = SRC / 'labml_nn' / 'optimizers'
    readme = (folder / 'readme.md').read_text(encoding='utf-8')
    for path in folder.glob('*.py'):
        assert f']({path.name})' in readme, path.name


def test_local_links_point_to_existing_files():
    link = re.compile(r'\]\(([^)#:\s]+\.(?:py|md|png))\)')
    for path in sorted((SRC / 'labml_nn').rglob('*')):
        if path.suffix not in ('.py', '.md'):
            continue
        for target in link.findall(path.read_text(encoding='utf-8')):
            assert (path.parent / target).exists(), f"{path.name} links to missing {target}"
