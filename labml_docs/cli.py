"""
---
title: The command line
summary: labml-docs build, check and serve.
---

# The command line

```
labml-docs build SRC_DIR [--out OUT_DIR]   # write the site (default: labml-docs-site/)
labml-docs check SRC_DIR                   # report math errors and broken links; exit 1 if any
labml-docs serve SRC_DIR                   # build, serve on localhost, rebuild on change
labml-docs i18n extract SRC_DIR --lang zh  # translation catalogs of the notes (i18n)
labml-docs i18n update SRC_DIR --lang zh   # merge changes of the notes into them
```

`build --lang zh` (or the setting `languages`) adds the `zh` edition in `OUT_DIR/zh/`;
`check --lang zh` reports on its catalogs (see [`i18n`](i18n/__init__.py)).

Settings come from `--config FILE` (YAML; `labml-docs.yml` in the working folder if present),
and flags override single keys. Problems print as `file:line: message`, the file named from the
working folder, as MkDocs and compilers name theirs, so that an editor or a terminal opens it
from where the command ran.
"""

import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from .config import ENGINES

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

# The build, and what `serve` needs, are imported by the commands that use them: a rebuild
# that changes little should not pay for importing them all.

log = logging.getLogger("labml_docs")


def _config(src_dir, config_file, **overrides):
    from .config import SiteConfig

    if config_file is None and Path("labml-docs.yml").is_file():
        config_file = Path("labml-docs.yml")
    try:
        return SiteConfig.load(config_file, source_dir=src_dir, **overrides)
    except (ValueError, OSError) as e:
        raise click.UsageError(str(e)) from None


def _site_options(f):
    options = [
        click.option("--config", "config_file", type=click.Path(exists=True, dir_okay=False,
                                                                 path_type=Path),
                     help="YAML settings file (default: labml-docs.yml if present)."),
        click.option("--site-url", help="Published address, for canonical links and the sitemap."),
        click.option("--site-name", help="Site name for titles and social tags."),
        click.option("--repo-url", help="Address of the source tree online, for source links."),
        click.option("--math-engine", type=click.Choice(ENGINES),
                     help="KaTeX engine (default: auto)."),
        click.option("--sections", type=click.Choice(["labml", "plain"]),
                     help="Cut sections as nn.labml.ai does (labml, the default) or at every "
                          "definition (plain)."),
        click.option("--cache-dir", help="Folder of the persistent caches."),
        click.option("--jobs", "-j", type=int,
                     help="Worker processes for rendering (default: one per core)."),
        click.option("--search/--no-search", default=None,
                     help="A search box over an index of the notes, built with the site "
                          "(default: on)."),
        click.option("--sanitize", is_flag=True, default=None,
                     help="Clean raw HTML out of the notes (for trees you do not trust)."),
        click.option("--locale-dir", help="Folder of the translation catalogs "
                                          "(default: locale/ beside SRC_DIR)."),
    ]
    for option in reversed(options):
        f = option(f)
    return f


#: Where `build` writes when no `--out` is given. Not `site/`: that is where MkDocs writes the
#: same tree's site (`make site`), and the two should not take turns replacing each other.
DEFAULT_OUT = Path("labml-docs-site")


def _report(site, src_dir: Path | None = None, out_dir: Path | None = None,
            quiet: bool = False) -> None:
    """Print the problems of a build, then (unless `quiet`) one line of figures.

    The build names a file by its path in the tree (`optimizers/adam.py`: the page cache keeps
    it so, whichever folder the tree is built from); here it is named from the working folder,
    `src_dir` before it (`src/labml_nn/optimizers/adam.py`). The publishing warnings already
    name files of `out_dir` from there, and an absolute path needs nothing."""
    for diagnostic in site.diagnostics:
        click.echo(_from_working_folder(diagnostic, src_dir, out_dir), err=True)
    if not quiet:
        stats = site.stats
        click.echo(f"{stats['pages']} pages ({stats.get('rendered', stats['pages'])} rendered, "
                   f"{stats.get('cached', 0)} cached), {stats['formulas']} formulas "
                   f"(math cache: {stats.get('math_hits', 0)} hits, "
                   f"{stats.get('math_misses', 0)} misses), "
                   f"{len(site.errors)} errors in {stats['seconds']:.2f} s", err=True)
        for language, edition in stats.get("editions", {}).items():
            click.echo(f"{language} edition: {edition['pages']} pages ({edition['rendered']} "
                       f"rendered, {edition['cached']} cached) in {edition['seconds']:.2f} s",
                       err=True)


def _from_working_folder(diagnostic, src_dir: Path | None, out_dir: Path | None) -> str:
    """`path:line: message`, the path as it opens from the working folder (see `_report`)."""
    from dataclasses import replace

    path = diagnostic.path
    if src_dir is None or os.path.isabs(path) or _inside(path, out_dir):
        return str(diagnostic)
    return str(replace(diagnostic, path=os.path.normpath(os.path.join(src_dir, path))))


def _inside(path: str, folder: Path | None) -> bool:
    if folder is None:
        return False
    folder_path = os.path.normpath(folder)
    return os.path.normpath(path).startswith(os.path.join(folder_path, ""))


class _Progress:
    """A progress bar (rich) on a terminal, for builds that render many pages; else nothing."""

    def __init__(self, enabled: bool):
        self.enabled = enabled and sys.stderr.isatty()
        self.bar: Progress | None = None
        self.tasks: dict[str, TaskID] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.enabled or total < 30:
            return
        if self.bar is None:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

            self.bar = Progress("[progress.description]{task.description}", BarColumn(),
                                MofNCompleteColumn(), TimeElapsedColumn(),
                                console=Console(stderr=True), transient=True)
            self.bar.start()
        if stage not in self.tasks:
            self.tasks[stage] = self.bar.add_task(stage, total=total)
        self.bar.update(self.tasks[stage], completed=done, total=total)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None
            self.tasks = {}


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Say more about what happens.")
@click.version_option(package_name="labml-docs")
def main(verbose):
    """Annotated source tree → side-by-side pages with notes, code and math."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(message)s")


@main.command()
@click.argument("src_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default=DEFAULT_OUT, show_default=True,
              help="Output folder (not site/, where MkDocs writes).")
@click.option("--strict", is_flag=True, help="Exit with 1 if there is any error.")
@click.option("--overwrite", is_flag=True,
              help="Write into a non-empty folder that labml-docs never published into "
                   "(files with the site's names are replaced; nothing is deleted).")
@click.option("--into", "into_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Instead of a site, write pages for a site's theme (Markdown files, for "
                   "Zensical or MkDocs) into this folder of its docs_dir.")
@click.option("--lang", "languages", multiple=True,
              help="Also build the edition in this language into OUT_DIR/LANG (repeatable; "
                   "default: the setting languages).")
@_site_options
def build(src_dir, out_dir, strict, overwrite, config_file, into_dir=None, languages=(),
          **overrides):
    """Build the site of SRC_DIR into OUT_DIR.

    Only files that labml-docs wrote there are ever replaced or deleted."""
    from .build import Builder
    from .math import MathEngineError
    from .publish import FolderRefused, PublishError

    config = _config(src_dir, config_file, languages=list(languages) or None, **overrides)
    progress = _Progress(enabled=True)
    if _AS_PROGRAM:
        # The process ends with the build (`_exit`): the cycle collector, paused through the
        # build, would only walk every object of the site once more (30 ms of a one-page
        # rebuild of PyTorch's tree).
        import gc
        gc.disable()
    try:
        if into_dir is not None:
            from dataclasses import replace

            from .theme import build_into
            config, out_dir = replace(config, layout="theme"), into_dir
            if config.languages:  # a theme's pages are in the theme's one language
                click.echo("warning: --into builds no translated editions; languages is "
                           "ignored", err=True)
        with Builder(config) as builder:
            builder.progress = progress
            if into_dir is not None:
                site = build_into(builder, into_dir, overwrite=overwrite)
            else:
                site = builder.build(out_dir, overwrite=overwrite)
    except FolderRefused as e:
        raise click.UsageError(str(e)) from None
    except (MathEngineError, PublishError, ValueError) as e:
        raise click.ClickException(str(e)) from None
    finally:
        progress.close()
    _report(site, src_dir, out_dir)
    click.echo(f"wrote {out_dir}", err=True)
    _exit(1 if strict and site.errors else 0)


@main.command()
@click.argument("src_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--lang", "languages", multiple=True,
              help="Also report on the catalogs of this language (repeatable; default: the "
                   "setting languages).")
@_site_options
def check(src_dir, config_file, languages=(), **overrides):
    """Report every math error and broken link of SRC_DIR, and the state of each language's
    translation; exit 1 if any error."""
    from .build import Builder
    from .math import MathEngineError

    config = _config(src_dir, config_file, languages=list(languages) or None, **overrides)
    problems = 0
    try:
        with Builder(config) as builder:
            site = builder.render()
            _report(site, src_dir)
            for language in config.languages:
                from .i18n.report import check_language
                report = check_language(config, language, builder.math)
                for diagnostic in report.problems:
                    click.echo(str(diagnostic), err=True)
                click.echo(report.summary(), err=True)
                problems += sum(1 for d in report.problems if d.is_error)
    except MathEngineError as e:
        raise click.ClickException(str(e)) from None
    _exit(1 if site.errors or problems else 0)


@main.group()
def i18n():
    """Translation catalogs of the notes: one gettext catalog per page per language, in
    LOCALE_DIR/LANG/<page>.po (LOCALE_DIR: locale/ beside SRC_DIR unless set)."""


def _catalogs(action: str, src_dir, config_file, languages, translator, overrides) -> None:
    from .i18n import catalog

    config = _config(src_dir, config_file, **overrides)
    languages = list(languages) or list(config.languages)
    if not languages:
        raise click.UsageError("no language: give --lang, or set languages")
    run = catalog.extract if action == "extract" else catalog.update
    failed = False
    try:
        for language in languages:
            done = run(config, language, translator or config.translator)
            for outcome in done:
                if outcome.action == "unreadable":
                    click.echo(f"{outcome.problem} (left as it is)", err=True)
                elif outcome.action != "unchanged":
                    click.echo(f"{outcome.path}: {outcome.action}" + (
                        f" ({outcome.messages} messages, {outcome.fuzzy} fuzzy, "
                        f"{outcome.untranslated} untranslated)" if outcome.action != "kept"
                        else " (it exists: `i18n update` merges into it)"), err=True)
            click.echo(f"{language}: {len(done)} catalogs in "
                       f"{catalog.locale_dir(config) / language}", err=True)
            failed = failed or any(outcome.action == "unreadable" for outcome in done)
    except (catalog.CatalogError, ValueError) as e:
        raise click.ClickException(str(e)) from None
    _exit(1 if failed else 0)


def _catalog_options(f):
    f = click.option("--translator",
                     help="A command that reads an untranslated message on its standard input "
                          "and prints its translation (kept as fuzzy).")(f)
    f = click.option("--lang", "languages", multiple=True,
                     help="Language (repeatable; default: the setting languages).")(f)
    f = click.argument("src_dir", type=click.Path(exists=True, file_okay=False,
                                                  path_type=Path))(f)
    return f


@i18n.command()
@_catalog_options
@_site_options
def extract(src_dir, languages, translator, config_file, **overrides):
    """Write a catalog for each page of SRC_DIR that has none; existing catalogs are kept."""
    _catalogs("extract", src_dir, config_file, languages, translator, overrides)


@i18n.command()
@_catalog_options
@_site_options
def update(src_dir, languages, translator, config_file, **overrides):
    """Merge the notes of SRC_DIR as they are into every catalog: changed messages keep their
    translation, marked fuzzy, with the English they were translated from."""
    _catalogs("update", src_dir, config_file, languages, translator, overrides)


@main.command()
@click.argument("src_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--port", default=8000, show_default=True, help="Port (0: any free one).")
@click.option("--host", default="127.0.0.1", show_default=True)
@_site_options
def serve(src_dir, port, host, config_file, **overrides):
    """Build, serve on HOST:PORT, and rebuild when a source or template changes."""
    from functools import partial

    from .serve import serve as run_server

    run_server(_config(src_dir, config_file, **overrides), host, port,
               partial(_report, src_dir=src_dir))


# ## Ending quickly

_AS_PROGRAM = False


def run() -> None:
    """The `labml-docs` program (`main`, as its own process)."""
    global _AS_PROGRAM
    _AS_PROGRAM = True
    main()


def _exit(code: int) -> None:
    """End a command with `code`. As a program, the process ends here: its output is flushed
    and its exit handlers run, but Python does not free, one by one, the objects of every page
    of the site (30 ms of a 0.3 s one-page rebuild); the system takes the memory back at once.
    Called from Python (`main()`, tests), it raises `SystemExit` as usual."""
    if not _AS_PROGRAM:
        sys.exit(code)
    import atexit
    import os

    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            code = code or 1
    atexit._run_exitfuncs()  # logging's flush among them
    os._exit(code)


if __name__ == "__main__":
    run()
