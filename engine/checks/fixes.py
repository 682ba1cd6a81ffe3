"""Concrete fixes as line edits, and applying chosen fixes to a beatmap.

A fix changes fields of single lines (an object's time or position, a line's offset, the type bits): the
engine's edit API (`engine.osu.edits`) patches the changed fields onto the line, so everything else on the
line — and every other line — stays byte for byte, and the fix is kept as line edits (old and new text)
that travel as JSON. A fix applies only while its line still reads as it did when the finding was made;
fixes touching the same line are applied in order, each onto the fields the previous one left untouched.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from engine.findings import Finding, Fix, LineEdit
from engine.osu.document import Beatmap
from engine.osu.edits import update_hit_objects, update_timing_points
from engine.osu.hitobjects import HitObject
from engine.osu.lines import encode_line, terminator, text
from engine.osu.timing import TimingPoint


class FixConflict(ValueError):
    """A fix's line no longer reads as the finding saw it (the file changed since it was checked)."""


def object_fix(beatmap: Beatmap, obj: HitObject, description: str, **changes: Any) -> Fix:
    """A fix changing fields of one hit object (`dataclasses.replace` names), patched onto its line by the
    engine's edit API so that every other field keeps its spelling."""
    edited = update_hit_objects(beatmap, [replace(obj, **changes)])
    return _line_fix(beatmap, edited, obj.line, description)


def point_fix(beatmap: Beatmap, point: TimingPoint, description: str, **changes: Any) -> Fix:
    """A fix changing fields of one timing point, patched onto its line."""
    edited = update_timing_points(beatmap, [replace(point, **changes)])
    return _line_fix(beatmap, edited, point.line, description)


def _line_fix(beatmap: Beatmap, edited: Beatmap, line: int | None, description: str) -> Fix:
    assert line is not None, "only objects and points read from the document can be fixed"
    return Fix(description, (LineEdit(line + 1, beatmap.line_text(line), edited.line_text(line)),))


def apply_fixes(beatmap: Beatmap, findings: Iterable[Finding]) -> Beatmap:
    """A new Beatmap with the fixes of `findings` applied (findings without a fix are ignored).

    Raises FixConflict, changing nothing, when a fix's line no longer reads as expected.
    """
    lines = list(beatmap.lines)
    for finding in findings:
        if finding.fix is None:
            continue
        for edit in finding.fix.edits:
            index = edit.line - 1
            current = text(lines[index]) if 0 <= index < len(lines) else None
            new = edit.new if current == edit.old else _rebase(edit, current)
            if new is None:
                raise FixConflict(f"line {edit.line} changed since it was checked; expected {edit.old!r}, "
                                  f"found {current!r}. Check the file again and retry.")
            lines[index] = encode_line(new, terminator(lines[index]))
    return Beatmap(lines, beatmap.bom, beatmap.path)


def _rebase(edit: LineEdit, current: str | None) -> str | None:
    """Re-apply the fields an edit changes onto a line another fix already changed elsewhere; None if they clash."""
    if current is None:
        return None
    old, new, now = edit.old.split(","), edit.new.split(","), current.split(",")
    if not len(old) == len(new) == len(now):
        return None
    for position, (before, after) in enumerate(zip(old, new)):
        if before != after:
            if now[position] not in (before, after):
                return None
            now[position] = after
    return ",".join(now)
