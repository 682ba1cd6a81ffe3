"""The one `Finding` type: what rule checks (`engine.checks`) and MaiMod (`engine.maimod`) report.

A finding is plain, frozen data: which check said it, how serious it is, where in which difficulty
(time range and the objects involved), what is wrong and what to do, and optionally a concrete fix as
line edits. It renders the editor's modding timestamp (`00:12:345 (1,2,3) - `, mania
`00:12:345 (12345|0,12400|3) - `) and the `osu://edit/` link, and round-trips through JSON for the
API and `--json`.

This module never reads files and never knows how a finding was computed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, Literal
from urllib.parse import quote

Source = Literal["rules", "maimod"]


class Severity(IntEnum):
    """How much a finding matters; larger is more important (Mapset Verifier's levels).

    ERROR is not about the map: the check itself could not run (it is shown so that a silent check is
    never mistaken for a passed one).
    """

    INFO = 0
    MINOR = 1
    WARNING = 2
    PROBLEM = 3
    ERROR = 4

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class LineEdit:
    """Replace one line of a .osu file: 1-based `line` whose text must still be `old` to apply."""

    line: int
    old: str
    new: str


@dataclass(frozen=True)
class Fix:
    """A concrete correction: line edits that can be applied alone or together with other fixes."""

    description: str
    edits: tuple[LineEdit, ...]


@dataclass(frozen=True)
class Finding:
    """One issue in a map.

    `objects` are indices into the difficulty's hit objects (file order); `selection` holds their
    labels as the editor writes them in a timestamp (combo numbers, or `time|column` in mania).
    `start_ms`/`end_ms` are None for findings about the files or the metadata rather than a moment.
    `line` is the 1-based file line the finding is about, where there is one (a broken line, a timing line).
    `score` is MaiMod's importance (surprisal / 10); rule checks leave it None.
    """

    check: str
    severity: Severity
    category: str
    message: str
    source: Source = "rules"
    file: str | None = None
    difficulty: str | None = None
    start_ms: float | None = None
    end_ms: float | None = None
    objects: tuple[int, ...] = ()
    selection: tuple[str, ...] = ()
    suggestion: str = ""
    fix: Fix | None = None
    score: float | None = None
    line: int | None = None

    @property
    def id(self) -> str:
        """A short stable id (same map, same issue → same id) for `maid fix --finding ID`; the file counts by
        its name only, so a check of the Songs folder gives the same ids as a check of the file."""
        name = (self.file or "").rsplit("/", 1)[-1]
        key = f"{self.check}|{name}|{self.start_ms}|{self.objects}|{self.line}|{self.message}"
        return hashlib.sha1(key.encode("utf-8")).hexdigest()[:10]

    @property
    def timestamp(self) -> str:
        """The editor's modding timestamp, e.g. `00:12:345 (1,2,3) - `; empty when the finding has no time."""
        if self.start_ms is None:
            return ""
        selection = f" ({','.join(self.selection)})" if self.selection else ""
        return f"{format_time(self.start_ms)}{selection} - "

    @property
    def link(self) -> str:
        """`osu://edit/00:12:345%20(1,2,3)`: opens the editor there with the objects selected; empty without a time."""
        if self.start_ms is None:
            return ""
        text = format_time(self.start_ms)
        if self.selection:
            text += f" ({','.join(self.selection)})"
        return "osu://edit/" + quote(text, safe=":(),|")

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict; `from_json` reads it back to an equal finding."""
        return {
            "id": self.id,
            "check": self.check,
            "severity": self.severity.label,
            "category": self.category,
            "message": self.message,
            "source": self.source,
            "file": self.file,
            "difficulty": self.difficulty,
            "start_ms": self.start_ms,
            "end_ms": self.end_ms,
            "objects": list(self.objects),
            "selection": list(self.selection),
            "timestamp": self.timestamp,
            "link": self.link,
            "suggestion": self.suggestion,
            "fix": None if self.fix is None else {
                "description": self.fix.description,
                "edits": [{"line": e.line, "old": e.old, "new": e.new} for e in self.fix.edits],
            },
            "score": self.score,
            "line": self.line,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Finding:
        fix = data.get("fix")
        return cls(
            check=data["check"],
            severity=Severity[data["severity"].upper()],
            category=data["category"],
            message=data["message"],
            source=data.get("source", "rules"),
            file=data.get("file"),
            difficulty=data.get("difficulty"),
            start_ms=data.get("start_ms"),
            end_ms=data.get("end_ms"),
            objects=tuple(data.get("objects", ())),
            selection=tuple(data.get("selection", ())),
            suggestion=data.get("suggestion", ""),
            fix=None if fix is None else Fix(
                fix["description"], tuple(LineEdit(e["line"], e["old"], e["new"]) for e in fix["edits"])
            ),
            score=data.get("score"),
            line=data.get("line"),
        )


def format_time(ms: float) -> str:
    """`mm:ss:mmm` as the editor writes it (minutes may exceed 99; negative times get a leading `-`)."""
    sign = "-" if ms < 0 else ""
    total = int(round(abs(ms)))
    minutes, rest = divmod(total, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{sign}{minutes:02d}:{seconds:02d}:{millis:03d}"


def sort_key(finding: Finding) -> tuple[str, str, float, int]:
    """Order for reports: by file, category, then time (timeless findings first), most severe first."""
    time = float("-inf") if finding.start_ms is None else finding.start_ms
    return (finding.file or "", finding.category, time, -int(finding.severity))
