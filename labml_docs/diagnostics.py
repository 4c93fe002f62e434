"""
# Diagnostics

Every problem found in the input is a `Diagnostic`, printed as `path:line: message` so that
editors and terminals can jump to it. A bad file never stops the build of the others: the
stages collect diagnostics instead of raising.
"""

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Diagnostic:
    path: str
    line: int
    message: str
    # `error` fails `labml-docs check` and `mkdocs build --strict`; `warning` does not.
    level: str = "error"

    def __str__(self) -> str:
        tag = "" if self.level == "error" else f"{self.level}: "
        return f"{self.path}:{self.line}: {tag}{self.message}"

    @property
    def is_error(self) -> bool:
        return self.level == "error"
