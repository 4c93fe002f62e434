r"""
---
title: TeX as the colourer reads it
summary: The commands a formula may hold, and a formula as tokens and brace groups.
---

# TeX as the colourer reads it

[`terms`](terms.py) finds the terms of a formula in the tree this module makes: the formula's
*tokens* (control words, control symbols, spaces, comments, characters) nested in *groups* by
their braces. The tables say what each command is to the colourer: a letter (`\alpha`), a
decorator of the symbol after it (`\hat`), an argument that is text or a name and is never
coloured (`\text`, `\htmlClass`), a command that makes the whole formula unsafe to touch
(`\def`, `\verb`), or a barrier a term cannot cross (`\over`, `\\`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

# ## Command tables

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


def tokenize_tex(tex: str) -> list[Tok]:
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


def brace_tree(toks: list[Tok]) -> list[Node]:
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


def canon(nodes: Sequence[Node]) -> str:
    """Source of `nodes` without whitespace or comments (a space is kept after a control word
    that a letter follows)."""
    out: list[str] = []
    prev_cw = False
    for n in nodes:
        if isinstance(n, Group):
            piece, is_cw = "{" + canon(n.children) + "}", False
        elif n.kind in ("ws", "comment"):
            continue
        else:
            piece, is_cw = n.text, n.kind == "cw"
        if prev_cw and piece[:1].isalpha():
            out.append(" ")
        out.append(piece)
        prev_cw = is_cw
    return "".join(out)


def arg_canon(node: Node) -> str:
    """Canonical text of a script or decoration argument: `{t}` and `t` are the same."""
    if isinstance(node, Group):
        inner = [c for c in node.children if not (isinstance(c, Tok) and c.kind in ("ws", "comment"))]
        if len(inner) == 1 and isinstance(inner[0], Tok):
            return canon(inner)
        return "{" + canon(node.children) + "}"
    return canon([node])


# --------------------------------------------------------------------------------------------------
# Finding terms


