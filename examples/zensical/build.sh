#!/usr/bin/env bash
# Builds this Zensical site of src/labml_nn into site/, in two steps:
#
# 1. `labml-docs build --into docs/nn` writes the annotated pages as Markdown files of the theme
#    (front matter and one raw-HTML block each) and their stylesheets, script and KaTeX fonts
#    into docs/nn. Zensical runs no MkDocs plugin: generated files in docs_dir are how it takes
#    pages it did not write. Only files labml-docs wrote there are ever replaced or deleted.
# 2. `zensical build --clean` wraps them, and docs/index.md, in the Material-like theme.
#    `--clean`: Zensical caches pages by their text, so a changed stylesheet or extension of
#    ours would otherwise not show.
#
# Run it from anywhere: it works in its own folder. The repository is $REPO when set, else two
# folders up. The tools are those of the active environment, else those of $REPO/.venv/bin
# (what `make site` installs), so the script works without `source .venv/bin/activate`.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"
REPO="${REPO:-$(cd ../.. && pwd)}"

tool() {
  if command -v "$1" >/dev/null 2>&1; then
    command -v "$1"
  elif [ -x "$REPO/.venv/bin/$1" ]; then
    echo "$REPO/.venv/bin/$1"
  else
    echo "build.sh: $1 is not installed (pip install 'labml-docs[zensical]' in $REPO/.venv)" >&2
    exit 127
  fi
}
labml_docs="$(tool labml-docs)"
zensical="$(tool zensical)"

"$labml_docs" build "$REPO/src/labml_nn" --into docs/nn --cache-dir "$REPO/.labml-docs-cache"
"$zensical" build --clean
