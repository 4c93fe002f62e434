"""Fault injection: one tree holding every kind of bad input we know of, built by the CLI over
a site published before, with a person's files in the output folder.

The bound: the whole faulty build ends within 120 s on the 2-core machines of CI (a good build
of the same tree takes a few seconds; the hostile formula alone is cut off by its budget)."""

import time

import pytest
from conftest import module, snapshot

BOUND_SECONDS = 120

HOME = '"""\n---\ntitle: Home\n---\n\n# A tree\n\nThe home page has math: $x^2$.\n"""\n'

# Each bad file, with what its message must name: `path:line`.
BAD = {
    # Python's recursion limit in every syntax-tree walk.
    "deep.py": ("x = 1" + " + 1" * 3000 + "\n", "deep.py:1:"),
    # 2,000-character macro bomb: amplifies to minutes and gigabytes unless cut off.
    "bomb.py": ('"""\n# Bomb\n\n$\\def\\a{' + "x" * 2000 + "}\\def\\b{" + "\\a" * 10
                + "}\\def\\c{" + "\\b" * 10 + "}" + "\\c" * 9 + '$\n"""\n', "bomb.py:4:"),
    # Billion laughs in front matter.
    "laughs.py": ('"""\n---\na: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
                  + "".join(f"{c}: &{c} [{','.join(['*' + p] * 9)}]\n"
                            for p, c in zip("abcdefgh", "bcdefghi"))
                  + 'title: *i\n---\n# Laughs\n"""\n', "laughs.py:"),
    "title.py": ('"""\n---\ntitle: [not, a, string]\n---\n# T\n"""\n', "title.py:"),
    "syntax.py": ("def broken(:\n    pass\n", "syntax.py:1:"),
    "binary.py": (b"x = 1\ny = '\xff\xfe'\n", "binary.py:2:"),
}

# Bad input that must not be an error at all.
FINE = {
    # PEP 263: a declared encoding is read as Python reads it.
    "latin.py": ("# -*- coding: latin-1 -*-\n# Caf\xe9 notes\nx = 1\n".encode("latin-1"), "Café"),
    # An e-mail autolink is not a page.
    "mail.py": ('"""\n# Mail\n\nWrite to <someone@example.org>.\n"""\n', "Mail"),
    # Placeholder characters in the text are text.
    "forged.py": ('"""\n# Forged\n\nText \ue0000\ue001 and \ue0007\ue001, then $y$.\n"""\n',
                  "Forged"),
    "odd name#1.py": ('"""\n# Odd name\n"""\nx = 1\n', "Odd name"),
}


@pytest.mark.slow
def test_a_tree_of_every_fault_costs_only_its_own_pages(labml_docs, tmp_path):
    src, out, cache = tmp_path / "src", tmp_path / "site", tmp_path / "cache"
    src.mkdir()
    (src / "__init__.py").write_text(HOME)
    for n in range(32):  # enough pages for the workers
        (src / f"module_{n}.py").write_text(module(n))
    for name in BAD:  # good at first: their pages are published
        (src / name).write_text(f'"""\n# Was {name}\n"""\nx = 1\n')
    done = labml_docs("build", src, "--out", out, "--cache-dir", cache, "-j", "2")
    assert done.returncode == 0, done.stderr
    published = snapshot(out)
    # A person's files in the output folder.
    foreign = {".git/HEAD": b"ref: refs/heads/gh-pages\n", "CNAME": b"example.org\n",
               "notes/todo.txt": b"mine"}
    for name, data in foreign.items():
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_bytes(data)
    # Now every fault at once.
    for name, (content, _) in {**BAD, **FINE}.items():
        path = src / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    (tmp_path / "secret.md").write_text("SECRET-WORDS\n")
    (src / "readme.md").symlink_to(tmp_path / "secret.md")
    (src / "module_3.py").write_text(module(3, extra=" Edited <script>alert(1)</script>."))

    started = time.monotonic()
    done = labml_docs("build", src, "--out", out, "--cache-dir", cache, "-j", "2", "--sanitize",
                      timeout=BOUND_SECONDS + 60)
    took = time.monotonic() - started
    assert took < BOUND_SECONDS, f"the faulty build took {took:.0f} s"
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    for name, (_, where) in BAD.items():
        assert where in done.stderr, f"{name}: {where} not said\n{done.stderr}"
    assert "readme.md:1: warning: skipped" in done.stderr
    assert "broken link" not in done.stderr

    site = snapshot(out)
    # A person's files survive.
    for name, data in foreign.items():
        assert site[name] == data
    # Good pages are built, and fine "faults" are fine.
    assert b"Edited" in site["module_3.html"] and b"<script>" not in site["module_3.html"]
    for name, (_, words) in FINE.items():
        page = name[:-3] + ".html"
        assert words.encode() in site[page], page
    forged = site["forged.html"].decode()
    assert 'Text \ue0000\ue001 and \ue0007\ue001, then <span class="katex">' in forged
    assert b"katex" in site["index.html"] and b"A tree" in site["index.html"]
    # The pages of the files that now fail keep what was published.
    for name in ("syntax.py", "binary.py"):
        page = name[:-3] + ".html"
        assert site[page] == published[page]
    # Nothing from outside the tree is published.
    assert not any(b"SECRET-WORDS" in data for data in site.values())
