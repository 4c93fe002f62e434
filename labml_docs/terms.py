r"""
---
title: Terms of an equation
summary: Which symbols of a formula are terms, and the key that says two terms are the same.
---

# Terms of an equation

A *term* is a symbol with its scripts (`m_t`, `\hat{v}_t`, `\beta_1^t`) or an application
(`f(x)`): what a reader would point at. `find_terms` walks the tree of [`tex`](tex.py) and
returns each term's place in the formula and its *key*, which is the same for the same term
written in another way (`m_{t}` and `m_t`); [`colour`](colour.py) gives the terms of one key
one class.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .tex import (
    BARRIERS,
    DECORATORS,
    DELIMITER_SIZERS,
    FIRST_ARG_OPAQUE,
    FONT_SWITCHES,
    GREEK,
    LABEL_SUPS,
    MATH_ARGS,
    OPAQUE_ARGS,
    SPEC_ENVS,
    STYLE_SWITCHES,
    UNSAFE,
    ZERO_ARG,
    Group,
    Tok,
    Unsafe,
    arg_canon,
    brace_tree,
    canon,
    tokenize_tex,
)


@dataclass
class Term:
    """One occurrence of a term in a formula."""

    start: int  # character offsets in the formula
    end: int
    key: str
    kind: str  # "symbol" (always coloured), "letter" or "application" (coloured when repeated)


@dataclass
class _Walker:
    terms: list[Term] = field(default_factory=list)

    # -- helpers -----------------------------------------------------------------------------------
    @staticmethod
    def _skip_ws(nodes: list, i: int) -> int:
        while i < len(nodes) and isinstance(nodes[i], Tok) and nodes[i].kind in ("ws", "comment"):
            i += 1
        return i

    @staticmethod
    def _is_char(node, text: str) -> bool:
        return isinstance(node, Tok) and node.kind == "char" and node.text == text

    def _skip_optional(self, nodes: list, i: int) -> int:
        """Skip a `[...]` optional argument starting at `i` (after spaces), if any."""
        j = self._skip_ws(nodes, i)
        if j < len(nodes) and self._is_char(nodes[j], "["):
            depth = 0
            k = j
            while k < len(nodes):
                n = nodes[k]
                if self._is_char(n, "["):
                    depth += 1
                elif self._is_char(n, "]"):
                    depth -= 1
                    if depth == 0:
                        return k + 1
                k += 1
            raise Unsafe("unclosed [")
        return i

    def _atom_end(self, nodes: list, i: int) -> int:
        """End index of the atom starting at `i` (a group, a token, or a known command with its
        braced arguments). Raises `Unsafe` when the extent cannot be known."""
        if i >= len(nodes):
            raise Unsafe("missing argument")
        n = nodes[i]
        if isinstance(n, Group):
            return i + 1
        if n.kind == "cw":
            name = n.name
            if name in ZERO_ARG:
                return i + 1
            if name in DECORATORS:
                return self._atom_end(nodes, self._skip_ws(nodes, i + 1))
            if name in OPAQUE_ARGS:
                k = i + 1
                for _ in range(OPAQUE_ARGS[name]):
                    k = self._atom_end(nodes, self._skip_ws(nodes, k))
                return k
            if name in MATH_ARGS:
                count, optional = MATH_ARGS[name]
                k = i + 1
                if optional:
                    k = self._skip_optional(nodes, k)
                for _ in range(count):
                    k = self._atom_end(nodes, self._skip_ws(nodes, k))
                return k
            raise Unsafe("unknown command as an argument")
        if n.kind == "cs" and n.text in ("\\\\",):
            raise Unsafe("line break as an argument")
        if n.kind in ("ws", "comment"):
            raise Unsafe("space as an argument")
        return i + 1

    # -- symbols -----------------------------------------------------------------------------------
    def _simple_symbol(self, nodes: list, i: int) -> int | None:
        """If a simple symbol (letter, Greek letter, decorated simple symbol) starts at `i`,
        return the index after it."""
        if i >= len(nodes):
            return None
        n = nodes[i]
        if isinstance(n, Group):
            inner = [c for c in n.children if not (isinstance(c, Tok) and c.kind in ("ws", "comment"))]
            if not inner:
                return None
            # A braced simple symbol: exactly one simple symbol inside.
            kids = n.children
            k = self._skip_ws(kids, 0)
            e = self._simple_symbol(kids, k)
            if e is None or self._skip_ws(kids, e) != len(kids):
                return None
            return i + 1
        if n.kind == "char" and n.text.isascii() and n.text.isalpha():
            return i + 1
        if n.kind == "cw" and n.name in GREEK:
            return i + 1
        if n.kind == "cw" and n.name in DECORATORS:
            j = self._skip_ws(nodes, i + 1)
            e = self._simple_symbol(nodes, j)
            return e
        return None

    def _script_is_label(self, nodes: list, j: int, end: int) -> bool:
        arg = nodes[j]
        if isinstance(arg, Group):
            inner = [c for c in arg.children if not (isinstance(c, Tok) and c.kind in ("ws", "comment"))]
            if not inner:
                return False
            if all(isinstance(c, Tok) and c.text in LABEL_SUPS for c in inner):
                return True
            return (
                isinstance(inner[0], Tok) and inner[0].text == "("
                and isinstance(inner[-1], Tok) and inner[-1].text == ")"
            )
        return end == j + 1 and isinstance(arg, Tok) and arg.text in LABEL_SUPS

    def _symbol(self, nodes: list, i: int, letter_run: set[int]):
        """Parse a symbol term at `i`: return (end index, kind, key) or None."""
        n = nodes[i]
        if isinstance(n, Group):
            return None
        if n.kind == "char" and i in letter_run:
            return None
        base_end = self._simple_symbol(nodes, i)
        if base_end is None:
            return None
        plain_letter = n.kind == "char"
        key_parts = [self._symbol_key(nodes, i, base_end)]
        end = base_end
        has_sub = has_sup = has_label = has_prime = False
        operations: list[Group] = []  # braced superscripts that operate (walked for terms)
        k = base_end
        while True:
            k2 = self._skip_ws(nodes, k)
            if k2 >= len(nodes):
                break
            t = nodes[k2]
            if self._is_char(t, "_") and not has_sub:
                j = self._skip_ws(nodes, k2 + 1)
                try:
                    e = self._atom_end(nodes, j)
                except Unsafe:
                    return None
                key_parts.append("_" + self._script_key(nodes, j, e))
                has_sub = True
                end = k = e
                continue
            if self._is_char(t, "^") and not has_sup:
                j = self._skip_ws(nodes, k2 + 1)
                try:
                    e = self._atom_end(nodes, j)
                except Unsafe:
                    return None
                if self._script_is_label(nodes, j, e):
                    key_parts.append("^" + self._script_key(nodes, j, e))
                    has_label = True
                elif isinstance(nodes[j], Group):
                    operations.append(nodes[j])
                has_sup = True
                end = k = e
                continue
            if self._is_char(t, "'") and not has_sup and not has_prime:
                e = k2
                while e < len(nodes) and self._is_char(nodes[e], "'"):
                    e += 1
                key_parts.append("'" * (e - k2))
                has_prime = has_label = True
                end = k = e
                continue
            break
        kind = "letter" if plain_letter and not (has_sub or has_label) else "symbol"
        return end, kind, "".join(key_parts), operations

    def _symbol_key(self, nodes: list, i: int, e: int | None) -> str:
        n = nodes[i]
        if isinstance(n, Group):
            kids = n.children
            k = self._skip_ws(kids, 0)
            return self._symbol_key(kids, k, self._simple_symbol(kids, k))
        if n.kind == "cw" and n.name in DECORATORS:
            j = self._skip_ws(nodes, i + 1)
            inner = self._symbol_key(nodes, j, e)
            sep = " " if inner[:1].isalpha() else ""
            return n.text + sep + inner
        return n.text

    def _script_key(self, nodes: list, j: int, e: int) -> str:
        if e == j + 1:
            return arg_canon(nodes[j])
        return "{" + canon(nodes[j:e]) + "}"

    def _scripts_end(self, nodes: list, k: int) -> int | None:
        """Index after the scripts and primes that follow index `k` (`k` if none)."""
        end = k
        seen: set[str] = set()
        while True:
            j = self._skip_ws(nodes, end)
            if j >= len(nodes):
                return end
            t = nodes[j]
            if self._is_char(t, "'") and not seen & {"^", "'"}:
                while j < len(nodes) and self._is_char(nodes[j], "'"):
                    j += 1
                seen.add("'")
                end = j
                continue
            if isinstance(t, Tok) and t.kind == "char" and t.text in "^_" and t.text not in seen:
                try:
                    end = self._atom_end(nodes, self._skip_ws(nodes, j + 1))
                except Unsafe:
                    return None
                seen.add(t.text)
                continue
            return end

    # -- applications ------------------------------------------------------------------------------
    def _application_end(self, nodes: list, i: int) -> int | None:
        """If `(...)` starts at `i` (after spaces) and is safe to wrap with what precedes it,
        return the index after the closing parenthesis."""
        j = self._skip_ws(nodes, i)
        if j >= len(nodes) or not self._is_char(nodes[j], "("):
            return None
        depth = 0
        last_meaningful = None
        k = j
        while k < len(nodes):
            n = nodes[k]
            if isinstance(n, Tok):
                if n.kind == "char" and n.text == "&":
                    return None
                if n.kind == "cs" and n.text == "\\\\":
                    return None
                if n.kind == "cw" and (
                    n.name in BARRIERS or n.name in FONT_SWITCHES or n.name in STYLE_SWITCHES
                ):
                    return None
                if self._is_char(n, "("):
                    depth += 1
                elif self._is_char(n, ")"):
                    depth -= 1
                    if depth == 0:
                        prev = last_meaningful
                        if prev is not None and isinstance(prev, Tok):
                            if prev.kind == "cw" and prev.name not in ZERO_ARG:
                                return None
                            if prev.kind == "char" and prev.text in "^_":
                                return None
                            if prev.kind == "cs" and prev.text in ("\\'", '\\"', "\\^", "\\~", "\\`", "\\=", "\\."):
                                return None
                        return k + 1
            if not (isinstance(n, Tok) and n.kind in ("ws", "comment")):
                last_meaningful = n
            k += 1
        return None

    # -- the walk ----------------------------------------------------------------------------------
    @staticmethod
    def _letter_runs(nodes: list) -> set[int]:
        """Indices of letters in runs of three or more adjacent letters (words)."""
        out: set[int] = set()
        run: list[int] = []

        def flush():
            if len(run) >= 3:
                out.update(run)
            run.clear()

        for idx, n in enumerate(nodes):
            if isinstance(n, Tok) and n.kind == "char" and n.text.isascii() and n.text.isalpha():
                if run and nodes[run[-1]].end != n.start:
                    flush()
                run.append(idx)
            else:
                flush()
        flush()
        return out

    def walk(self, nodes: list) -> None:
        letter_run = self._letter_runs(nodes)
        i = 0
        n_nodes = len(nodes)
        while i < n_nodes:
            n = nodes[i]
            if isinstance(n, Group):
                self.walk(n.children)
                i += 1
                continue
            if n.kind in ("ws", "comment"):
                i += 1
                continue
            if n.kind == "char" and n.text in "^_":
                j = self._skip_ws(nodes, i + 1)
                if j < n_nodes and isinstance(nodes[j], Group):
                    self.walk(nodes[j].children)
                    i = j + 1
                else:
                    try:  # a bare script is left alone
                        i = self._atom_end(nodes, j)
                    except Unsafe:
                        i = self._unknown(nodes, j - 1) if j < n_nodes else n_nodes
                continue
            sym = self._symbol(nodes, i, letter_run)
            if sym is not None:
                end, kind, key, operations = sym
                self.terms.append(Term(n.start, nodes[end - 1].end, key, kind))
                for group in operations:
                    self.walk(group.children)
                app_end = self._application_end(nodes, end)
                if app_end is not None:
                    a = self._skip_ws(nodes, end)
                    app_key = key + canon(nodes[a:app_end])
                    span_end = self._scripts_end(nodes, app_end)
                    if span_end is not None:
                        self.terms.append(
                            Term(n.start, nodes[span_end - 1].end, app_key, "application")
                        )
                # A decorator's braced argument is part of the symbol: skip past the symbol.
                i = end
                continue
            if n.kind == "cw":
                i = self._command(nodes, i)
                continue
            if n.kind == "cs":
                if n.text == "\\\\":
                    i = self._skip_optional(nodes, i + 1)
                    continue
                if n.text in ("\\'", '\\"', "\\^", "\\~", "\\`", "\\=", "\\."):
                    i = self._unknown(nodes, i)
                    continue
                i += 1
                continue
            i += 1

    def _command(self, nodes: list, i: int) -> int:
        n = nodes[i]
        name = n.name
        if name in UNSAFE:
            raise Unsafe(name)
        if name in FONT_SWITCHES:
            return len(nodes)  # the rest of the group is in another font
        if name in ZERO_ARG:
            return i + 1
        if name in ("begin", "end"):
            j = self._skip_ws(nodes, i + 1)
            if j >= len(nodes) or not isinstance(nodes[j], Group):
                raise Unsafe("environment without a name")
            env = canon(nodes[j].children)
            k = j + 1
            if name == "begin":
                k = self._skip_optional(nodes, k)
                if env in SPEC_ENVS:
                    k2 = self._skip_ws(nodes, k)
                    if k2 < len(nodes) and isinstance(nodes[k2], Group):
                        k = k2 + 1
            return k
        if name in DELIMITER_SIZERS:
            j = self._skip_ws(nodes, i + 1)
            return j + 1
        if name in OPAQUE_ARGS:
            k = self._skip_star(nodes, i + 1)
            k = self._skip_optional(nodes, k)
            for _ in range(OPAQUE_ARGS[name]):
                k = self._atom_end(nodes, self._skip_ws(nodes, k))
            return k
        if name in STYLE_SWITCHES:
            return i + 1
        if name in DECORATORS:  # decorating something that is not a simple symbol
            return self._math_args(nodes, i + 1, 1, optional=False)
        if name in MATH_ARGS:
            count, optional = MATH_ARGS[name]
            k = i + 1
            if name in FIRST_ARG_OPAQUE:
                j = self._skip_ws(nodes, k)
                k = self._atom_end(nodes, j)
                if name == "htmlClass" and j < len(nodes) and "coloredeq" in canon([nodes[j]]):
                    return self._atom_end(nodes, self._skip_ws(nodes, k))
                count -= 1
            return self._math_args(nodes, k, count, optional)
        return self._unknown(nodes, i)

    def _skip_star(self, nodes: list, k: int) -> int:
        j = self._skip_ws(nodes, k)
        if j < len(nodes) and self._is_char(nodes[j], "*"):
            return j + 1
        return k

    def _math_args(self, nodes: list, k: int, count: int, optional: bool) -> int:
        if optional:
            k = self._skip_optional(nodes, k)
        for _ in range(count):
            j = self._skip_ws(nodes, k)
            if j < len(nodes) and isinstance(nodes[j], Group):
                self.walk(nodes[j].children)
                k = j + 1
            else:
                k = self._atom_end(nodes, j)
        return k

    def _unknown(self, nodes: list, i: int) -> int:
        """A command we do not know: leave its possible arguments alone."""
        k = self._skip_optional(nodes, i + 1)
        j = self._skip_ws(nodes, k)
        took = False
        while j < len(nodes) and isinstance(nodes[j], Group):
            k = j + 1
            took = True
            j = self._skip_ws(nodes, k)
            k2 = self._skip_optional(nodes, k)
            if k2 != k:
                k = k2
                j = self._skip_ws(nodes, k)
        if not took and j < len(nodes):
            k = j + 1
        return k


def find_terms(tex: str) -> list[Term] | None:
    """All candidate terms of one formula, in source order, or `None` when the formula must be
    left unchanged (already coloured, or outside what this module understands)."""
    if "coloredeq" in tex:
        return None
    try:
        nodes = brace_tree(tokenize_tex(tex))
        walker = _Walker()
        walker.walk(nodes)
    except (Unsafe, RecursionError):
        return None
    return walker.terms


def term_key(tex: str) -> str | None:
    """The key of `tex` read as one term (`"m_{t}"` -> `"m_t"`), or `None` if it is not
    exactly one term."""
    terms = find_terms(tex.strip())
    if not terms:
        return None
    whole = [t for t in terms if t.start == 0 and t.end == len(tex.strip())]
    return whole[0].key if whole else None


