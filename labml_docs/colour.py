r"""Colour the terms of a page's equations consistently.

`colour_formulas(formulas)` takes every LaTeX formula of one page, in page order, and returns them
with their *terms* wrapped in `\htmlClass{coloredeq eqX eq-cN}{...}` so that the same term carries
the same classes in every formula of the page. KaTeX turns the wrapper into
`<span class="enclosing coloredeq eqX eq-cN">`.

Each term has a class of its own, `eqX`: `eqa`, `eqb`, ... `eqz`, `eqba`, `eqbb` (the
term's number written in base 26 with the letters `a`-`z` as digits, as the published pages of
nn.labml.ai name them). The page script highlights every element of a clicked term's class, so
no two terms may share one: clicking `m_t` must not light up `\beta_2`. The colour is a second
class, `eq-c0` to `eq-c11`: a page has more terms than a palette has readable colours, so colours
repeat, identities never. KaTeX must render with `trust` allowing
`\htmlClass` and with `strict` not set to `"error"` (`"ignore"` or `"warn"`).

What is a term
--------------
* **Symbol**: a *base* followed by the scripts that name it rather than operate on it:

  - base: a Latin letter, a Greek letter (`\theta`, `\varepsilon`; also `\ell`, `\hbar`),
    or a decoration of such a symbol (`\hat{v}`, `\bar\alpha`, `\mathbf{x}`,
    `\mathcal{L}`, `\boldsymbol{\theta}`, nested: `\hat{\mathbf{x}}`);
  - scripts that belong to the name: a subscript (`m_t`, `v_{t-1}`), primes (`f'`), and a
    *label* superscript: `*`, `\ast`, `\star`, `\prime`, `\dagger` or a parenthesised
    index `^{(i)}` (`x^*`, `v^{(2)}_m`). Any other superscript (`^2`, `^\top`, `^{-1}`)
    is an operation: it is not part of the term's key (`\sigma_t^2` is the term `\sigma_t`),
    but it stays inside the wrapper so that KaTeX still stacks the scripts exactly as before; terms
    inside it are coloured too.

  A symbol with a subscript, a label superscript, primes, a Greek base or a decoration is always
  coloured. A *plain Latin letter* (`x`, `T`) is coloured only when it occurs in two or more
  formulas of the page. Letters in a run of three or more adjacent letters (`lr` is two, `max` is
  three) are taken to be a word and never coloured.
* **Application**: a symbol immediately followed by a parenthesised argument list at the same group
  level, `f_t(\theta_t)`, `R(T)`. It is coloured only when the same application (compared with
  whitespace removed) occurs in two or more formulas of the page. Its own symbols are coloured too,
  nested inside it; scripts after the closing parenthesis (`D(x)^2`) stay inside the wrapper.

The *key* of a term is its source with whitespace removed and redundant braces around one-token
scripts and decorated arguments dropped (`m_{t}` and `m_t`, `\hat{v}` and `\hat v` are the
same term). Terms are numbered by the first occurrence of each key in page order (outer terms
before the terms inside them); a term's colour is its number modulo `palette_size`.

Safety
------
The rewrite only inserts a wrapper around a whole symbol (with all its scripts) or a balanced
application, so it never moves tokens, and KaTeX's MathML for the formula is unchanged (only
grouping rows are added); `tests/test_colour.py` checks this on the formulas of a real tree.
Nothing is coloured (the text is left exactly as it was):

* inside text and name arguments: `\text`, `\textbf`, `\mbox`, `\operatorname`,
  `\mathrm`, `\mathit`, `\mathsf`, `\mathtt`, `\begin`/`\end` names and array column
  specs, `\tag`, `\label`, `\color`, `\href`/`\url` targets, `\htmlClass` class names;
* in an argument written without braces (`\frac a b`, `x_t`, `\sqrt x`): wrapping it would
  change what the command takes;
* after an old-style font switch (`\rm`, `\bf`, `\it`, `\cal`...) up to the end of its
  group, and in the optional arguments `[...]` of commands (`\sqrt[3]`, `\\[2pt]`);
* after a command this module does not know: its following braced groups and next token are left
  alone, because it may take arguments;
* in a formula that defines macros or uses `\verb`, `\kern`-style dimensions, `\catcode`
  and the like, or whose braces do not balance: the whole formula is returned unchanged;
* in a formula that already holds `coloredeq` wrappers: it is returned unchanged, so colouring
  twice gives the same result as colouring once.

An application is not coloured when its parentheses enclose `&`, `\\`, `\left`/`\right`,
`\begin`/`\end`, infix fractions (`\over`) or style switches, or end in a command that might
take the closing parenthesis as an argument.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from .terms import Term, find_terms, term_key

__all__ = [
    "PALETTE_SIZE",
    "palette_size",
    "colour_formulas",
    "colour_formula",
    "find_terms",
    "term_key",
    "term_class",
    "Term",
]

#: Number of colour classes the stylesheet defines (`eq-c0` .. `eq-c11`).
PALETTE_SIZE = 12
palette_size = PALETTE_SIZE

CLASS_PREFIX = "coloredeq"


def term_class(number: int, palette_size: int = PALETTE_SIZE) -> str:
    """The classes of the term numbered `number` on its page: its own (`eqa`, ... `eqz`,
    `eqba`, ...), then its colour (`eq-c0` .. `eq-c{palette_size - 1}`)."""
    letters = ""
    rest = number
    while True:
        rest, digit = divmod(rest, 26)
        letters = chr(ord("a") + digit) + letters
        if rest == 0:
            break
    return f"{CLASS_PREFIX} eq{letters} eq-c{number % palette_size}"


def _wrap(tex: str, terms: Iterable[tuple[Term, str]]) -> str:
    events: list[tuple[int, int, int, str]] = []
    for term, cls in terms:
        # At one offset: closes before opens; inner closes first; outer opens first.
        events.append((term.end, 0, term.start, "}"))
        events.append((term.start, 1, -term.end, f"\\htmlClass{{{cls}}}{{"))
    events.sort(key=lambda e: (e[0], e[1], -e[2] if e[1] == 0 else e[2]))
    out = []
    pos = 0
    for offset, _, _, text in events:
        out.append(tex[pos:offset])
        out.append(text)
        pos = offset
    out.append(tex[pos:])
    return "".join(out)


def colour_formulas(formulas: Sequence[str], palette_size: int = PALETTE_SIZE) -> list[str]:
    """Wrap the terms of a page's formulas (in page order) in
    `\\htmlClass{coloredeq eqX eq-cN}{...}` so that a term has the same classes in every formula,
    and no other term has its `eqX`. See the module documentation."""
    if palette_size < 1:
        raise ValueError("palette_size must be positive")
    found = [find_terms(f) for f in formulas]
    in_formulas: dict[str, set[int]] = {}
    for idx, terms in enumerate(found):
        for t in terms or ():
            if t.kind != "symbol":
                in_formulas.setdefault(t.key, set()).add(idx)
    numbers: dict[str, int] = {}
    out = []
    for tex, terms in zip(formulas, found):
        if not terms:
            out.append(tex)
            continue
        chosen = [
            t for t in terms if t.kind == "symbol" or len(in_formulas.get(t.key, ())) >= 2
        ]
        chosen.sort(key=lambda t: (t.start, -t.end))
        # Drop exact duplicates of a span (an application equal to its head cannot happen, but be safe).
        seen_spans = set()
        wrapped = []
        for t in chosen:
            if (t.start, t.end) in seen_spans:
                continue
            seen_spans.add((t.start, t.end))
            n = numbers.setdefault(t.key, len(numbers))
            wrapped.append((t, term_class(n, palette_size)))
        out.append(_wrap(tex, wrapped))
    return out


def colour_formula(tex: str, palette_size: int = PALETTE_SIZE) -> str:
    """Colour a single formula (a page with one formula)."""
    return colour_formulas([tex], palette_size)[0]
