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

from pathlib import Path

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, select_autoescape


def templates_dir() -> Path:
    """`site_templates/` of the checkout, or the copy installed inside the package."""
    checkout = Path(__file__).resolve().parent.parent / "site_templates"
    if checkout.is_dir():
        return checkout
    return Path(__file__).resolve().parent / "site_templates"


def assets_dir() -> Path:
    return templates_dir() / "assets"


def make_environment(override: str | Path | None = None) -> Environment:
    loaders = [FileSystemLoader(str(override))] if override else []
    loaders.append(FileSystemLoader(str(templates_dir())))
    return Environment(
        loader=ChoiceLoader(loaders),
        autoescape=select_autoescape(["html", "xml"]),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=False,
    )


def template_files(override: str | Path | None = None) -> list[Path]:
    """Every file the pages depend on, for the build's change detection."""
    folders = ([Path(override)] if override else []) + [templates_dir()]
    return sorted(p for folder in folders for p in folder.rglob("*") if p.is_file())
