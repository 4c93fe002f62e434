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

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

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

# --------------------------------------------------------------------------------------------------
# Command tables

GREEK = frozenset(
    ["alpha", "beta", "gamma", "delta", "epsilon", "varepsilon", "zeta", "eta", "theta", "vartheta",
     "iota", "kappa", "varkappa", "lambda", "mu", "nu", "xi", "pi", "varpi", "rho", "varrho",
     "sigma", "varsigma", "tau", "upsilon", "phi", "varphi", "chi", "psi", "omega", "Gamma",
     "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Upsilon", "Phi", "Psi", "Omega", "varGamma",
     "varDelta", "varTheta", "varLambda", "varXi", "varPi", "varSigma", "varUpsilon", "varPhi",
     "varPsi", "varOmega", "digamma", "ell", "hbar", "hslash", "imath", "jmath"]
)

# Decorations that keep a symbol a symbol: accents and math alphabets.
DECORATORS = frozenset(
    ["hat", "widehat", "tilde", "widetilde", "bar", "overline", "dot", "ddot", "dddot", "breve",
     "check", "acute", "grave", "vec", "mathring", "overrightarrow", "overleftarrow", "underline",
     "mathbf", "boldsymbol", "bm", "pmb", "bold", "mathcal", "mathbb", "Bbb", "mathfrak", "frak",
     "mathscr", "mathbfit"]
)

# Commands whose arguments are text or names: every argument is left alone.
# name -> number of braced arguments (a leading `*` and `[...]` are skipped as well).
OPAQUE_ARGS = {
    "text": 1, "textrm": 1, "textsf": 1, "texttt": 1, "textnormal": 1, "textbf": 1, "textit": 1,
    "textup": 1, "textmd": 1, "textsl": 1, "textsc": 1, "emph": 1, "mbox": 1, "hbox": 1,
    "textcircled": 1,
    "operatorname": 1, "operatornamewithlimits": 1, "mathrm": 1, "mathit": 1, "mathsf": 1,
    "mathtt": 1, "mathnormal": 1, "mathsfit": 1,
    "tag": 1, "label": 1, "ref": 1, "eqref": 1, "url": 1, "color": 1, "colorbox": 2,
    "fcolorbox": 3, "hspace": 1, "vspace": 1, "rule": 2, "includegraphics": 1,
    "llap": 1, "rlap": 1, "clap": 1, "raisebox": 2, "vcenter": 0, "char": 0,
}

# Commands with math arguments: braced arguments are coloured inside, bare ones are left alone.
# name -> (number of arguments, takes an optional [...] first)
MATH_ARGS = {
    "frac": (2, False), "dfrac": (2, False), "tfrac": (2, False), "cfrac": (2, False),
    "binom": (2, False), "dbinom": (2, False), "tbinom": (2, False),
    "sqrt": (1, True), "overset": (2, False), "underset": (2, False), "stackrel": (2, False),
    "overbrace": (1, False), "underbrace": (1, False), "boxed": (1, False), "cancel": (1, False),
    "bcancel": (1, False), "xcancel": (1, False), "sout": (1, False),
    "phantom": (1, False), "hphantom": (1, False), "vphantom": (1, False), "smash": (1, True),
    "mathllap": (1, False), "mathrlap": (1, False), "mathclap": (1, False),
    "mathop": (1, False), "mathbin": (1, False), "mathrel": (1, False), "mathord": (1, False),
    "mathopen": (1, False), "mathclose": (1, False), "mathpunct": (1, False),
    "mathinner": (1, False), "substack": (1, False), "displaylimits": (0, False),
    "xrightarrow": (1, True), "xleftarrow": (1, True), "xLeftarrow": (1, True),
    "xRightarrow": (1, True), "xleftrightarrow": (1, True), "xmapsto": (1, True),
    "xlongequal": (1, True), "textcolor": (2, False), "href": (2, False),
    "htmlClass": (2, False), "htmlId": (2, False), "htmlStyle": (2, False), "htmlData": (2, False),
    "underbar": (1, False), "utilde": (1, False), "undergroup": (1, False),
    "overgroup": (1, False), "overleftrightarrow": (1, False), "underleftarrow": (1, False),
    "underrightarrow": (1, False), "underleftrightarrow": (1, False), "not": (1, False),
}
# For these, the first argument is a name or colour (left alone even if braced).
FIRST_ARG_OPAQUE = frozenset(["textcolor", "href", "htmlClass", "htmlId", "htmlStyle", "htmlData"])

# Commands that take the next token as a delimiter.
DELIMITER_SIZERS = frozenset(
    ["left", "right", "middle", "big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr",
     "biggl", "biggr", "Biggl", "Biggr", "bigm", "Bigm", "biggm", "Biggm"]
)

# Old-style declarations that change the font (or style) of the rest of their group.
FONT_SWITCHES = frozenset(["rm", "bf", "it", "sf", "tt", "cal"])
STYLE_SWITCHES = frozenset(
    ["displaystyle", "textstyle", "scriptstyle", "scriptscriptstyle", "tiny", "scriptsize",
     "footnotesize", "small", "normalsize", "large", "Large", "LARGE", "huge", "Huge", "color"]
)

# Formulas using these are left unchanged.
UNSAFE = frozenset(
    ["def", "gdef", "edef", "xdef", "let", "futurelet", "global", "newcommand", "renewcommand",
     "providecommand", "DeclareMathOperator", "verb", "catcode", "kern", "mkern", "mskip", "hskip",
     "hspace*", "mathchoice", "expandafter", "noexpand", "csname", "endcsname", "relax",
     "begingroup", "endgroup", "bgroup", "egroup", "afterassignment", "lowercase", "uppercase",
     "hfill", "hfil", "vrule", "hrule", "dimexpr", "the", "number", "romannumeral", "string"]
)

# Infix commands and separators an application must not span.
BARRIERS = frozenset(
    ["over", "atop", "choose", "above", "brace", "brack", "cr", "newline", "begin", "end", "left",
     "right", "middle", "tag", "label", "nonumber", "notag"]
)

# Environments whose first braced group after `\begin{env}` is a column spec or count.
SPEC_ENVS = frozenset(["array", "darray", "subarray", "alignat", "alignat*", "alignedat", "tabular"])

# Commands known to take no argument (symbols, operators, relations, spacing...).
ZERO_ARG = GREEK | frozenset(
    ["partial", "nabla", "infty", "forall", "exists", "nexists", "neg", "lnot", "emptyset",
     "varnothing", "top", "bot", "angle", "prime", "dagger", "ddagger", "star", "ast", "bullet",
     "circ", "cdot", "cdotp", "times", "div", "pm", "mp", "setminus", "oplus", "ominus", "otimes",
     "oslash", "odot", "wedge", "vee", "land", "lor", "cap", "cup", "sqcap", "sqcup", "uplus",
     "amalg", "diamond", "triangleleft", "triangleright", "bigtriangleup", "bigtriangledown", "wr",
     "sum", "prod", "coprod", "int", "iint", "iiint", "oint", "bigcup", "bigcap", "bigoplus",
     "bigotimes", "bigodot", "biguplus", "bigsqcup", "bigvee", "bigwedge", "lim", "limsup",
     "liminf", "max", "min", "sup", "inf", "arg", "argmax", "argmin", "det", "dim", "ker", "hom",
     "deg", "gcd", "lg", "ln", "log", "exp", "Pr", "sin", "cos", "tan", "cot", "sec", "csc", "sinh",
     "cosh", "tanh", "coth", "arcsin", "arccos", "arctan", "sgn", "limits", "nolimits", "le", "leq",
     "ge", "geq", "ne", "neq", "approx", "sim", "simeq", "cong", "equiv", "propto", "in", "notin",
     "ni", "subset", "subseteq", "supset", "supseteq", "subsetneq", "supsetneq", "ll", "gg", "prec",
     "succ", "preceq", "succeq", "perp", "parallel", "mid", "nmid", "vert", "Vert", "lvert",
     "rvert", "lVert", "rVert", "models", "vdash", "dashv", "doteq", "triangleq", "coloneqq",
     "eqqcolon", "asymp", "bowtie", "leqslant", "geqslant", "lesssim", "gtrsim", "approxeq",
     "backsim", "gets", "to", "rightarrow", "leftarrow", "Rightarrow", "Leftarrow",
     "leftrightarrow", "Leftrightarrow", "longrightarrow", "longleftarrow", "Longrightarrow",
     "Longleftarrow", "longleftrightarrow", "Longleftrightarrow", "iff", "implies", "impliedby",
     "mapsto", "longmapsto", "uparrow", "downarrow", "Uparrow", "Downarrow", "updownarrow",
     "nearrow", "searrow", "swarrow", "nwarrow", "hookrightarrow", "hookleftarrow",
     "rightharpoonup", "rightleftharpoons", "leadsto", "langle", "rangle", "lfloor", "rfloor",
     "lceil", "rceil", "lbrace", "rbrace", "lbrack", "rbrack", "backslash", "quad", "qquad",
     "enspace", "thinspace", "medspace", "thickspace", "negthinspace", "space", "nobreakspace",
     "dots", "ldots", "cdots", "vdots", "ddots", "dotsb", "dotsc", "dotsi", "dotsm", "dotso",
     "checkmark", "surd", "flat", "sharp", "natural", "clubsuit", "diamondsuit", "heartsuit",
     "spadesuit", "aleph", "beth", "gimel", "Re", "Im", "wp", "mho", "complement", "therefore",
     "because", "S", "P", "pounds", "yen", "copyright", "circledR", "nonumber", "notag",
     "displaystyle", "textstyle", "scriptstyle", "scriptscriptstyle"]
)

# Bare superscripts that label a symbol rather than operate on it.
LABEL_SUPS = frozenset(["*", "\\ast", "\\star", "\\prime", "\\dagger", "\\ddagger", "'"])

# --------------------------------------------------------------------------------------------------
# Tokens and groups


@dataclass
class Tok:
    kind: str  # "cw" control word, "cs" control symbol, "char", "ws", "comment"
    text: str
    start: int
    end: int

    @property
    def name(self) -> str:
        return self.text[1:] if self.kind in ("cw", "cs") else self.text


@dataclass
class Group:
    children: list
    start: int  # offset of "{"
    end: int  # offset after "}"


Node = Tok | Group


class Unsafe(Exception):
    """The formula is left exactly as it is."""


_TOKEN = re.compile(
    r"(?P<cw>\\[A-Za-z]+\*?)|(?P<cs>\\.)|(?P<ws>\s+)|(?P<comment>%[^\n]*)|(?P<char>.)", re.S
)


def _tokenize(tex: str) -> list[Tok]:
    toks = []
    for m in _TOKEN.finditer(tex):
        kind = m.lastgroup
        text = m.group()
        if kind == "cw" and text.endswith("*"):
            # `\operatorname*` and friends keep the star; other words leave it as a char.
            if text[1:-1] in ("operatorname", "tag", "hspace"):
                pass
            else:
                toks.append(Tok("cw", text[:-1], m.start(), m.end() - 1))
                toks.append(Tok("char", "*", m.end() - 1, m.end()))
                continue
        toks.append(Tok(kind or "char", text, m.start(), m.end()))
    if tex.endswith("\\"):
        raise Unsafe("trailing backslash")
    return toks


def _parse(toks: list[Tok]) -> list[Node]:
    stack: list[list] = [[]]
    opens: list[Tok] = []
    for t in toks:
        if t.kind == "char" and t.text == "{":
            stack.append([])
            opens.append(t)
        elif t.kind == "char" and t.text == "}":
            if len(stack) == 1:
                raise Unsafe("unbalanced }")
            children = stack.pop()
            o = opens.pop()
            stack[-1].append(Group(children, o.start, t.end))
        else:
            stack[-1].append(t)
    if len(stack) != 1:
        raise Unsafe("unbalanced {")
    return stack[0]


def _canon(nodes: Sequence[Node]) -> str:
    """Source of `nodes` without whitespace or comments (a space is kept after a control word
    that a letter follows)."""
    out: list[str] = []
    prev_cw = False
    for n in nodes:
        if isinstance(n, Group):
            piece, is_cw = "{" + _canon(n.children) + "}", False
        elif n.kind in ("ws", "comment"):
            continue
        else:
            piece, is_cw = n.text, n.kind == "cw"
        if prev_cw and piece[:1].isalpha():
            out.append(" ")
        out.append(piece)
        prev_cw = is_cw
    return "".join(out)


def _arg_canon(node: Node) -> str:
    """Canonical text of a script or decoration argument: `{t}` and `t` are the same."""
    if isinstance(node, Group):
        inner = [c for c in node.children if not (isinstance(c, Tok) and c.kind in ("ws", "comment"))]
        if len(inner) == 1 and isinstance(inner[0], Tok):
            return _canon(inner)
        return "{" + _canon(node.children) + "}"
    return _canon([node])


# --------------------------------------------------------------------------------------------------
# Finding terms


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
            return _arg_canon(nodes[j])
        return "{" + _canon(nodes[j:e]) + "}"

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
                    app_key = key + _canon(nodes[a:app_end])
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
            env = _canon(nodes[j].children)
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
                if name == "htmlClass" and j < len(nodes) and "coloredeq" in _canon([nodes[j]]):
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
        nodes = _parse(_tokenize(tex))
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
