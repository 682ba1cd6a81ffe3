"""Concrete fixes as line edits, and applying chosen fixes to a beatmap.

A fix changes single fields of single lines (an object's time, a line's offset, the type bits) by rewriting
only that field's text, so everything else on the line — and every other line — stays byte for byte. A fix
applies only while its line still reads as it did when the finding was made; fixes touching the same line
are applied in order, each onto the fields the previous one left untouched.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from engine.findings import Finding, Fix, LineEdit
from engine.osu.document import Beatmap
from engine.osu.lines import encode_line, terminator, text
from engine.osu.numbers import format_number


class FixConflict(ValueError):
    """A fix's line no longer reads as the finding saw it (the file changed since it was checked)."""


def field_edit(beatmap: Beatmap, line: int, fields: Mapping[int, str]) -> LineEdit:
    """Replace comma-separated fields (0-based positions) of document line `line` (0-based).

    A field given as `5:0` for a hold note's end is written with the rest of its `end:sample` part kept.
    """
    old = beatmap.line_text(line)
    body, comment = old, ""
    if "//" in old and not old.lstrip().startswith("//"):
        cut = old.index("//")
        body, comment = old[:cut], old[cut:]
    parts = body.split(",")
    for position, value in fields.items():
        head, colon, rest = parts[position].partition(":")
        parts[position] = value + (colon + rest if colon and ":" not in value else "")
    return LineEdit(line + 1, old, ",".join(parts) + comment)


def time_fix(beatmap: Beatmap, line: int, field: int, new_time: float, what: str) -> Fix:
    """A fix moving one time field of `line` to `new_time` (written as stable writes numbers)."""
    return Fix(f"Move {what} to {format_number(new_time)} ms.", (field_edit(beatmap, line, {field: format_number(new_time)}),))


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
