"""The one error type of engine/osu and the warnings a document carries.

`OsuFormatError` is raised only for input osu! itself cannot load (empty file, a header whose version is
not an integer, UTF-16 text). Lines osu! would skip are never errors: they stay in the document as opaque
lines and are listed as `Problem`s. Nothing here may print, log or exit.
"""

from __future__ import annotations

from dataclasses import dataclass


class OsuFormatError(ValueError):
    """A .osu file osu! could not load, or an edit that cannot be expressed in the format.

    `path` is the file (or None for in-memory data), `line_number` is 1-based (None when the problem is
    the whole file), `line_text` is the offending line without its terminator.
    """

    def __init__(self, message: str, path: str | None = None, line_number: int | None = None,
                 line_text: str | None = None) -> None:
        self.message = message
        self.path = path
        self.line_number = line_number
        self.line_text = line_text
        super().__init__(self._describe())

    def _describe(self) -> str:
        where = self.path or "<data>"
        if self.line_number is not None:
            where += f":{self.line_number}"
        text = f"{where}: {self.message}"
        if self.line_text is not None:
            text += f" (line: {self.line_text[:120]!r})"
        return text


@dataclass(frozen=True, slots=True)
class Problem:
    """A line osu! skips or reads only partly; kept verbatim in the document. `line_number` is 1-based."""

    line_number: int
    line_text: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line_number}: {self.message} ({self.line_text[:80]!r})"
