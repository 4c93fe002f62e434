"""
---
title: Templates
summary: The Jinja environment over site_templates/, and where the templates are found.
---

# Templates

Pages are written by [Jinja](https://jinja.palletsprojects.com/) templates from
`site_templates/`: `base.html` (the head, the header, the footer), `page.html` (the sections)
and `index.html` (the home page: the root package's notes and the list of every page).
A site may put templates of its own in a folder that is searched first.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .urls import from_root, href

# Jinja is imported when an environment is made: a build that renders no page (it only checks
# the templates' bytes, `template_files`) does not import it.
if TYPE_CHECKING:
    from jinja2 import Environment


def templates_dir() -> Path:
    """`site_templates/` of the checkout, or the copy installed inside the package."""
    checkout = Path(__file__).resolve().parent.parent / "site_templates"
    if checkout.is_dir():
        return checkout
    return Path(__file__).resolve().parent / "site_templates"


def assets_dir() -> Path:
    return templates_dir() / "assets"


def make_environment(override: str | Path | None = None,
                     cache_dir: str | Path | None = None) -> Environment:
    """The templates' environment; with `cache_dir`, compiled templates are kept there for
    the next process (compiling them is a tenth of rendering one page)."""
    from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, select_autoescape

    loaders = [FileSystemLoader(str(override))] if override else []
    loaders.append(FileSystemLoader(str(templates_dir())))
    env = Environment(
        loader=ChoiceLoader(loaders),
        autoescape=select_autoescape(["html", "xml"]),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=False,
        bytecode_cache=_compiled_templates(cache_dir) if cache_dir else None,
    )
    env.filters["href"] = href  # `{{ entry.url | href }}`: site paths made into links
    # `{{ link.url | from_root(root) }}`: links of the settings, made relative to the page
    env.filters["from_root"] = from_root
    return env


def _compiled_templates(directory: str | Path):
    """Jinja's cache of compiled templates (checked against each template's source, written
    atomically), where a damaged file is only a miss."""
    from jinja2 import FileSystemBytecodeCache

    class CompiledTemplates(FileSystemBytecodeCache):
        def load_bytecode(self, bucket) -> None:
            try:
                super().load_bytecode(bucket)
            except Exception:  # noqa: BLE001 - unpickling a damaged file raises anything
                bucket.reset()

        def dump_bytecode(self, bucket) -> None:
            try:
                super().dump_bytecode(bucket)
            except OSError:
                pass  # a cache that cannot be written only costs compiling again

    directory = Path(directory)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError:
        pass
    return CompiledTemplates(str(directory))


def template_files(override: str | Path | None = None) -> list[Path]:
    """Every file the pages depend on, for the build's change detection."""
    folders = ([Path(override)] if override else []) + [templates_dir()]
    return sorted(p for folder in folders for p in folder.rglob("*") if p.is_file())
