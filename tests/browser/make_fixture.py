"""Regenerate the hand-made fixture site in ``tests/browser/fixture_site/``.

    python tests/browser/make_fixture.py

The pages follow the page DOM contract of the templates. Their math is real KaTeX output (data,
produced once with the pinned KaTeX from ``node_modules``), coloured by ``labml_docs.colour``;
their code is Pygments output with ``lineno`` spans. The image is drawn here. Nothing third-party
is copied into the fixture: the page scripts and styles come from ``site_templates/assets`` and
the KaTeX stylesheet from ``node_modules`` at test time (see ``conftest.py``).
"""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import zlib
from pathlib import Path

from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from labml_docs.colour import colour_formulas  # noqa: E402

OUT = Path(__file__).resolve().parent / "fixture_site"

# (tex, display) in page order. m_t and \beta_1 are shared between the two display equations.
FORMULAS = [
    (r"\theta_t", False),
    (r"m_t = \beta_1 m_{t-1} + (1 - \beta_1) g_t", True),
    (r"\hat{m}_t = \frac{m_t}{1 - \beta_1^t}", True),
    (r"\theta_t = \theta_{t-1} - \alpha \frac{\hat{m}_t}{\sqrt{\hat{v}_t} + \epsilon}"
     r" \quad \text{for every step } t = 1, 2, \dots, T \text{ of the whole training run}", True),
    (r"\frac{1}{", False),  # invalid: rendered as a katex-error
]

KATEX_JS = r"""
const katex = require(process.argv[1]);
let data = '';
process.stdin.on('data', c => data += c);
process.stdin.on('end', () => {
  const out = JSON.parse(data).map(([tex, display]) => katex.renderToString(tex,
    {displayMode: display, trust: true, strict: 'ignore', throwOnError: false, output: 'htmlAndMathml'}));
  process.stdout.write(JSON.stringify(out));
});
"""

CODE_1 = '''import torch
from torch import nn

from labml_nn.optimizers import GenericAdaptiveOptimizer, WeightDecay'''

CODE_2 = '''class Adam(GenericAdaptiveOptimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-16,
                 weight_decay: WeightDecay = WeightDecay(), defaults=None):
        defaults = {} if defaults is None else defaults
        super().__init__(params, defaults, lr, betas, eps)
        self.weight_decay = weight_decay'''

CODE_3 = '''    def get_mv(self, state, group, grad: torch.Tensor):
        beta1, beta2 = group['betas']
        m, v = state['exp_avg'], state['exp_avg_sq']
        m.mul_(beta1).add_(grad, alpha=1 - beta1)  # a long trailing comment that makes this line wider than a phone screen
        v.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        return m, v'''


def render_math(formulas):
    katex = ROOT / "node_modules" / "katex"
    proc = subprocess.run(
        ["node", "-e", KATEX_JS, str(katex)],
        input=json.dumps(formulas), capture_output=True, text=True, check=True,
    )
    return json.loads(proc.stdout)


def code_html(code: str, first_line: int, xrefs: dict[str, str] | None = None) -> str:
    body = highlight(code, PythonLexer(), HtmlFormatter(nowrap=True))
    lines = body.rstrip("\n").split("\n")
    out = []
    for n, line in enumerate(lines, first_line):
        for name, href in (xrefs or {}).items():
            span = f'<span class="n">{name}</span>'
            line = line.replace(span, f'<a class="xref" href="{href}">{span}</a>')
        out.append(f'<span class="lineno">{n}</span>{line}')
    return '<div class="highlight"><pre>' + "\n".join(out) + "</pre></div>"


def png(width: int, height: int) -> bytes:
    """A small plot: two curves on a grid."""
    import math

    rows = []
    for y in range(height):
        row = bytearray([0])
        for x in range(width):
            r, g, b = 255, 255, 255
            if x % 40 == 0 or y % 30 == 0:
                r, g, b = 225, 228, 232
            c1 = height - 1 - int((height - 20) * (1 - math.exp(-x / 60.0))) - 10
            c2 = height - 1 - int((height - 20) * (0.5 + 0.4 * math.sin(x / 25.0) * math.exp(-x / 150.0))) - 10
            if abs(y - c1) <= 1:
                r, g, b = 11, 92, 173
            elif abs(y - c2) <= 1:
                r, g, b = 187, 54, 54
            row += bytes((r, g, b))
        rows.append(bytes(row))
    raw = zlib.compress(b"".join(rows), 9)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", raw) + chunk(b"IEND", b""))


HEAD = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8"/>
<meta name="viewport" content="width=device-width, initial-scale=1.0"/>
<title>{title}</title>
<link rel="icon" href="data:,"/>
<link rel="stylesheet" href="../assets/labml.css"/>
<link rel="stylesheet" href="../assets/pygments.css"/>
<link rel="stylesheet" href="../assets/katex/katex.min.css"/>
</head>
<body class="labml-docs">
<div id="container">
<div id="background"></div>
<header class="section page-header"><div class="docs"><nav class="breadcrumbs"><a href="../index.html">home</a><a href="index.html">optimizers</a></nav><p class="badges"><a href="../index.html" class="badge">source</a></p></div></header>
"""

FOOT = """<footer class="footer"><a href="../index.html">Home</a><a href="plain.html">Plain page</a></footer>
</div>
<script src="../assets/interactive.js"></script>
</body>
</html>
"""


def section(n: int, docs: str, code: str | None, docstring: bool = True) -> str:
    cls = "docs doc-strings" if docstring else "docs"
    code_part = f'<div class="code">{code}</div>' if code is not None else ""
    return (f'<div class="section" id="section-{n}">\n<div class="{cls}">\n'
            f'<div class="section-link"><a href="#section-{n}">#</a></div>\n{docs}\n</div>\n'
            f'{code_part}\n</div>\n')


def inline(code: str) -> str:
    return '<code class="highlight">' + highlight(code, PythonLexer(), HtmlFormatter(nowrap=True)).strip() + "</code>"


def demo_page(math: list[str]) -> str:
    m = math
    sections = [
        section(0, "<h1>Adam Optimizer (fixture)</h1>\n"
                   f"<p>A hand-made page for the browser tests. The parameters {m[0]} are updated "
                   "with the first moment below.</p>",
                code_html(CODE_1, 9)),
        section(1, "<h2>Adam</h2>\n<p>The first moment, an exponential moving average of the "
                   f"gradients:</p>\n<p>{m[1]}</p>\n<p>Its bias-corrected form:</p>\n<p>{m[2]}</p>\n"
                   f"<ul><li>{inline('params')} are the parameters</li><li>{inline('lr')} is the "
                   "learning rate</li></ul>",
                code_html(CODE_2, 14, {"WeightDecay": "plain.html#section-1"})),
        section(2, f"<p>The update (a long equation that must scroll inside itself on a phone):</p>\n"
                   f"<p>{m[3]}</p>\n<p>A broken formula is shown as an error: {m[4]}</p>\n"
                   '<p><img alt="Loss curves" src="figure.png"/></p>\n'
                   "<table><thead><tr><th>name</th><th>value</th></tr></thead>"
                   "<tbody><tr><td>beta1</td><td>0.9</td></tr><tr><td>beta2</td><td>0.999</td></tr>"
                   "</tbody></table>",
                code_html(CODE_3, 22), docstring=False),
        section(3, "", code_html("        return state", 29), docstring=False),
    ]
    return HEAD.format(title="Adam Optimizer (fixture)") + "".join(sections) + FOOT


def plain_page() -> str:
    sections = [
        section(0, "<h1>A page without code or math</h1>\n<p>Only notes here.</p>", None),
        section(1, "<h2>Weight decay</h2>\n<p>Still no code and no equations.</p>", None),
    ]
    return HEAD.format(title="Plain page (fixture)") + "".join(sections) + FOOT


INDEX = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"/><meta name="viewport" content="width=device-width, initial-scale=1.0"/>
<title>Fixture site</title><link rel="icon" href="data:,"/><link rel="stylesheet" href="assets/labml.css"/></head>
<body class="labml-docs"><div id="container"><div id="background"></div>
<div class="section" id="section-0"><div class="docs"><div class="section-link"><a href="#section-0">#</a></div>
<h1>Fixture site</h1><ul><li><a href="optimizers/demo.html">Adam (demo)</a></li><li><a href="optimizers/plain.html">Plain page</a></li></ul></div></div>
</div><script src="assets/interactive.js"></script></body></html>
"""


def main() -> None:
    texs = [t for t, _ in FORMULAS]
    coloured = colour_formulas(texs)
    math = render_math([[t, d] for t, (_, d) in zip(coloured, FORMULAS)])
    (OUT / "optimizers").mkdir(parents=True, exist_ok=True)
    (OUT / "optimizers" / "demo.html").write_text(demo_page(math))
    (OUT / "optimizers" / "plain.html").write_text(plain_page())
    (OUT / "optimizers" / "index.html").write_text(INDEX.replace('href="assets/', 'href="../assets/')
                                                  .replace('src="assets/', 'src="../assets/')
                                                  .replace('href="optimizers/', 'href="'))
    (OUT / "index.html").write_text(INDEX)
    (OUT / "optimizers" / "figure.png").write_bytes(png(360, 180))
    print("\n".join(coloured))


if __name__ == "__main__":
    main()
