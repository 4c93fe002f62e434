# One command for each job a reader of README.md has:
#   make site    set up, then build the site with MkDocs into site/
#   make test    set up (with PyTorch and a browser), then run every test
#   make serve   set up, then preview with live reload on http://127.0.0.1:$(PORT)/
#   make bench   the benchmarks (they print figures and ratios)
#   make lint    ruff, mypy, and the generator's own source built as a site with no error
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The CPU build of this machine lies on disk; elsewhere any torch>=2.1 will do (TORCH="torch").
TORCH ?= torch==2.13.0
# The port of `make serve` (`make serve PORT=8001` when 8000 is taken).
PORT ?= 8000
# ProperDocs, the maintained fork of MkDocs, gets a virtualenv of its own: it answers for the
# `mkdocs` modules, so it must not share one with MkDocs.
PROPERDOCS_VENV ?= $(VENV)/properdocs

.PHONY: site test serve bench lint setup setup-test clean

site: setup
	$(BIN)/mkdocs build --strict

serve: setup
	$(BIN)/mkdocs serve --dev-addr 127.0.0.1:$(PORT)

test: setup-test
	PROPERDOCS=$(abspath $(PROPERDOCS_VENV))/bin/properdocs $(BIN)/python -m pytest

lint: setup-test
	$(BIN)/ruff check labml_docs tests benchmarks
	$(BIN)/mypy
	$(BIN)/labml-docs check labml_docs --cache-dir .labml-docs-cache/self

bench: setup-test
	$(BIN)/pip install --disable-pip-version-check -q -e ".[bench]"
	$(BIN)/python benchmarks/math_bench.py
	$(BIN)/python benchmarks/optimizer_step.py
	$(BIN)/python benchmarks/build_bench.py

setup: $(VENV)/.setup node_modules/.package-lock.json

setup-test: setup $(VENV)/.setup-test $(PROPERDOCS_VENV)/.setup
	bash scripts/install-browser.sh

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.setup: $(BIN)/python pyproject.toml
	$(BIN)/pip install --disable-pip-version-check -q -e ".[mkdocs]"
	$(BIN)/python -m compileall -q labml_docs
	touch $@

$(VENV)/.setup-test: $(VENV)/.setup pyproject.toml
	$(BIN)/pip install --disable-pip-version-check -q "$(TORCH)"
	$(BIN)/pip install --disable-pip-version-check -q -e ".[test]"
	touch $@

$(PROPERDOCS_VENV)/.setup: pyproject.toml
	$(PYTHON) -m venv $(PROPERDOCS_VENV)
	$(PROPERDOCS_VENV)/bin/pip install --disable-pip-version-check -q properdocs properdocs-theme-mkdocs -e .
	touch $@

# KaTeX, pinned in package.json and package-lock.json, from the npm registry.
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

clean:
	rm -rf $(VENV) node_modules site labml-docs-site .labml-docs-cache
