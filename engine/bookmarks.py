"""Findings as editor bookmarks: mirror the times of current findings into `[Editor] Bookmarks:` so they show
on the editor timeline after a reload, and take them out again, giving the mapper back exactly their own.

    edited, state = add_bookmarks(beatmap, findings, state)     # state: None the first time
    restored = remove_bookmarks(edited, state)                   # the mapper's bookmarks, as they were

`BookmarkState` is what makes restoring exact: the mapper's own Bookmarks value as written (None: no such
line), whether `[Editor]` existed, and the times maid added. The caller keeps it (the daemon in a JSON sidecar,
never in the .osu) and passes it back. With an unchanged file in between, `remove_bookmarks` returns the
original bytes; when the mapper changed their bookmarks meanwhile, their bookmarks are the file's minus
maid's.

Only the Bookmarks line changes (a new one goes first in `[Editor]`, where stable writes it; a missing
`[Editor]` is created where stable puts it and removed again on restore). This module never touches another
line and never reads or writes files.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from engine.findings import Finding
from engine.osu import Beatmap, edit_lines, set_value

SECTION = "Editor"
KEY = "Bookmarks"


@dataclass(frozen=True)
class BookmarkState:
    """What maid needs to restore the mapper's bookmarks: their value as written (None: the key was absent),
    whether `[Editor]` existed, and the times maid added (not the mapper's own)."""

    original: str | None
    had_editor: bool
    added: tuple[int, ...]

    def to_json(self) -> dict[str, Any]:
        return {"original": self.original, "had_editor": self.had_editor, "added": list(self.added)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BookmarkState:
        return cls(data["original"], bool(data["had_editor"]), tuple(int(t) for t in data["added"]))


def parse_bookmarks(value: str | None) -> list[int]:
    """The bookmark times of a Bookmarks value; entries that are not integers are dropped, as lazer does."""
    times = []
    for entry in (value or "").split(","):
        try:
            times.append(int(entry.strip()))
        except ValueError:
            continue
    return times


def format_bookmarks(times: Iterable[int]) -> str:
    """stable's spelling: sorted, unique, comma-separated integers."""
    return ",".join(str(t) for t in sorted(set(times)))


def finding_times(findings: Iterable[Finding]) -> list[int]:
    """The start times (whole ms) of the findings about a moment of the map."""
    return [round(f.start_ms) for f in findings if f.start_ms is not None]


def mapper_state(beatmap: Beatmap, state: BookmarkState | None) -> BookmarkState:
    """The state for `beatmap` with nothing of maid's added: `state`'s original when the file still holds
    exactly the mapper's bookmarks plus maid's, else the file's bookmarks minus maid's."""
    current = beatmap.value(SECTION, KEY)
    if state is None:
        return BookmarkState(current, bool(beatmap.sections_named(SECTION)), ())
    own = set(parse_bookmarks(current)) - set(state.added)
    if own == set(parse_bookmarks(state.original)):
        return BookmarkState(state.original, state.had_editor, ())
    return BookmarkState(format_bookmarks(own), True, ())


def add_bookmarks(beatmap: Beatmap, findings: Iterable[Finding],
                  state: BookmarkState | None = None) -> tuple[Beatmap, BookmarkState]:
    """`beatmap` with the mapper's bookmarks plus the findings' start times; `state`: the one returned by the
    previous call for this file (None when maid's bookmarks are not in it). Returns the new state."""
    restored = remove_bookmarks(beatmap, state) if state is not None else beatmap
    base = mapper_state(beatmap, state)
    own = set(parse_bookmarks(base.original))
    added = tuple(sorted(set(finding_times(findings)) - own))
    if not added:
        return restored, BookmarkState(base.original, base.had_editor, ())
    new_state = BookmarkState(base.original, base.had_editor, added)
    return _set_bookmarks(restored, format_bookmarks([*own, *added])), new_state


def remove_bookmarks(beatmap: Beatmap, state: BookmarkState) -> Beatmap:
    """`beatmap` with maid's bookmarks taken out: the mapper's value as they wrote it, the line (and an
    `[Editor]` maid created, while it holds nothing else) removed when they had none."""
    base = mapper_state(beatmap, state)
    if base.original is not None:
        return set_value(beatmap, SECTION, KEY, base.original) if beatmap.value(SECTION, KEY) != base.original else beatmap
    lines = [index for index, key, _ in beatmap.key_values(SECTION) if key == KEY]
    if not lines:
        return beatmap
    removed = set(lines)
    sections = beatmap.sections_named(SECTION)
    if not base.had_editor and len(sections) == 1:
        section = sections[0]
        body = set(range(section.start, section.end))
        if all(i in removed or not beatmap.lines[i].strip() for i in body) and section.header is not None:
            removed |= body | {section.header}
            if section.end == len(beatmap.lines) and section.header > 0 and not beatmap.lines[section.header - 1].strip():
                removed.add(section.header - 1)  # created at the end of the file after a blank line
    return edit_lines(beatmap, removed=removed)


def _set_bookmarks(beatmap: Beatmap, value: str) -> Beatmap:
    """Set the Bookmarks value; a new line goes first in `[Editor]`, as stable writes it."""
    sections = beatmap.sections_named(SECTION)
    if beatmap.value(SECTION, KEY) is not None or not sections or sections[0].header is None:
        return set_value(beatmap, SECTION, KEY, value)
    return edit_lines(beatmap, inserted={sections[0].header + 1: [f"{KEY}: {value}"]})
