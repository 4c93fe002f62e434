"""
---
title: Site settings
summary: The settings of a site, from a YAML file, command-line flags or the MkDocs plugin.
---

# Site settings

One `SiteConfig` holds everything a build needs to know besides the source tree. It is read
from a YAML file (`labml-docs.yml` by default), then flags override single keys. The MkDocs
plugin fills the same object from its own configuration.
"""

from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Literal, get_args, get_origin

# ## The engines a build can ask for
#
# Written here once: the settings (`math_engine`), `--math-engine`, the MkDocs plugin and the
# math package use these; `auto` takes Node.js with KaTeX when both are found, else markdown-katex.

EngineName = Literal["auto", "katex-node", "markdown-katex"]
#: The names of the engines, as settings and flags give them.
ENGINES: tuple[EngineName, ...] = get_args(EngineName)
AUTO, KATEX_NODE, MARKDOWN_KATEX = ENGINES
#: Other spellings a setting may use, and the engine each means.
ENGINE_ALIASES: dict[str, EngineName] = {
    "node": KATEX_NODE,
    "katex": KATEX_NODE,
    "markdown_katex": MARKDOWN_KATEX,
}


def engine_name(name: str) -> str:
    """The engine a setting names: lower case, with an alias resolved. An unknown name comes
    back lower case, for the caller to refuse."""
    name = name.lower()
    return ENGINE_ALIASES.get(name, name)


#: How definitions split the code into sections: as nn.labml.ai does (`labml`), or each
#: definition in a section of its own (`plain`); see [`parse`](parse.py).
SectionRule = Literal["labml", "plain"]

#: What a page is: a whole HTML page of our own (`standalone`), or the part that goes inside a
#: site's theme (`theme`: MkDocs, Material, ProperDocs, Zensical; see [`theme`](theme.py)).
Layout = Literal["standalone", "theme"]


@dataclass
class SiteConfig:
    # The package folder to document, for example `src/labml_nn`.
    source_dir: Path = Path(".")
    site_name: str = "Annotated implementations"
    # The published address, for canonical links, social tags and the sitemap.
    site_url: str = ""
    # Where the source files are browsed online; `{path}` is the file's path in the tree.
    repo_url: str = ""
    source_url: str = ""
    # Social links for the header: `[{name: Twitter, url: ...}]`.
    social: list = field(default_factory=list)
    twitter: str = ""
    image: str = ""
    # The address of the site's icon; without one, pages name an empty icon so that browsers
    # do not ask for /favicon.ico.
    favicon: str = ""
    footer_links: list = field(default_factory=list)
    # Off unless given: analytics send requests to a third party.
    analytics_id: str = ""
    # KaTeX.
    math_engine: EngineName = "auto"
    katex_macros: dict = field(default_factory=dict)
    katex_dir: str = ""
    # Budgets of one formula: a formula over either becomes an error mark with its `file:line`
    # (macros can make a few bytes of TeX expand into gigabytes of HTML, or minutes of work).
    math_timeout: float = 10.0      # seconds of KaTeX for one formula
    math_max_output: int = 2_000_000  # characters of HTML for one formula
    # Markdown extensions added to ours, as Python-Markdown names them.
    markdown_extensions: list = field(default_factory=list)
    markdown_extension_configs: dict = field(default_factory=dict)
    # Templates that override those of `site_templates/`.
    templates_dir: str = ""
    cache_dir: str = ".labml-docs-cache"
    colour_equations: bool = True
    # Where the code is cut into sections: `labml` numbers them as nn.labml.ai does, so that a
    # tree moving from there keeps its anchors (`adam.html#section-7`); `plain` lets every
    # `def` and `class` open a section of its own (see `parse._Splitter`).
    sections: SectionRule = "labml"
    cross_references: bool = True
    # A search box in every standalone page, over an index of the notes that Pagefind builds
    # with the site (see [`search`](search.py)); the MkDocs plugin and `--into` never build
    # one: the theme's own search serves there.
    search: bool = True
    # A whole page of `site_templates/base.html`, or a block for a theme's page
    # (`theme_base.html`): the MkDocs plugin and `build --into` ask for `theme`.
    layout: Layout = "standalone"
    # Worker processes for rendering; 0 means one per core.
    jobs: int = 0
    # Clean the HTML of the notes with nh3 (for trees whose authors are not trusted, such as
    # pull-request previews): scripts, event handlers and `javascript:` links go.
    sanitize: bool = False
    # Publish files that are symbolic links to somewhere outside the source tree (off: they
    # are skipped with a warning, so that `readme.md -> /etc/passwd` publishes nothing).
    follow_external_symlinks: bool = False
    # Translated editions (see [`i18n`](i18n/__init__.py)): the language the notes are written
    # in, the languages of the other editions (each built into `<out>/<language>/`), the folder
    # of their catalogs (`locale/<language>/<page>.po`; default: `locale/` beside the source
    # folder), and a command that translates an empty message given on its standard input
    # (`i18n update --translator`), its results kept as fuzzy.
    language: str = "en"
    languages: list = field(default_factory=list)
    locale_dir: str = ""
    translator: str = ""
    # The edition a build renders: one of `languages`, set by the build for each edition;
    # empty for the edition in `language`, at the top of the site.
    edition: str = ""

    @classmethod
    def load(cls, path: Path | None = None, **overrides) -> "SiteConfig":
        """Read a YAML file (if any), then apply the overrides that are not `None`."""
        values: dict = {}
        if path is not None:
            import yaml  # (only here: a build without a settings file does not import it)

            from .frontmatter import safe_load
            try:
                loaded = safe_load(Path(path).read_text(encoding="utf-8"), str(path)) or {}
            except yaml.YAMLError as e:  # one line, `file:line: problem`, not a traceback
                mark = getattr(e, "problem_mark", None)
                line = f"{mark.line + 1}" if mark is not None else "1"
                raise ValueError(f"{path}:{line}: {getattr(e, 'problem', None) or e}") from None
            if not isinstance(loaded, dict):
                raise ValueError(f"{path}:1: expected a mapping of settings")
            values.update(loaded)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls.from_dict(values, where=str(path) if path else "settings")

    @classmethod
    def from_dict(cls, values: dict, where: str = "settings") -> "SiteConfig":
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"{where}: unknown setting(s): {', '.join(unknown)}")
        # A setting with a few possible values (`sections`) says which, here rather than in
        # the middle of a build.
        for f in fields(cls):
            choices = get_args(f.type) if get_origin(f.type) is Literal else ()
            if choices and f.name in values and values[f.name] not in choices:
                raise ValueError(f"{where}: {f.name}: {values[f.name]!r} is not one of "
                                 f"{', '.join(choices)}")
        config = cls(**values)
        config.source_dir = Path(config.source_dir)
        return config

    def source_link(self, path: str) -> str:
        """The address of a source file online, or `""` when no repository is set."""
        if self.source_url:
            return self.source_url.format(path=path)
        if self.repo_url:
            return self.repo_url.rstrip("/") + "/" + path
        return ""
