"""Concrete fixes as line edits, and applying chosen fixes to a beatmap.

A check proposes a `Change` (fields of one object or timing point: its time, position, type bits — and, where
one fix must move two lines together, the changes made `also`); the runner turns them into `Fix`es with the
engine's edit API (`engine.osu.edits`), which patches the changed fields onto the line, so everything else on
the line — and every other line — stays byte for byte, and the fix is kept as line edits (old and new text)
that travel as JSON. A fix applies only while its line still reads as it did when the finding was made;
fixes touching the same line are applied in order, each onto the fields the previous one left untouched.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from engine.findings import Finding, Fix, LineEdit
from engine.osu.document import Beatmap
from engine.osu.edits import edit_lines, update_hit_objects, update_timing_points
from engine.osu.hitobjects import HitObject
from engine.osu.timing import TimingPoint


class FixConflict(ValueError):
    """A fix's line no longer reads as the finding saw it (the file changed since it was checked)."""


@dataclass(frozen=True)
class Change:
    """A fix a check proposes: set `fields` (`dataclasses.replace` names) of one object or timing point read
    from the document. The runner turns the changes of one check into `Fix`es in one batch."""

    target: HitObject | TimingPoint
    description: str
    fields: tuple[tuple[str, Any], ...]
    also: tuple[Change, ...] = ()  # changes of other lines made in the same fix

    @classmethod
    def of(cls, target: HitObject | TimingPoint, description: str, **fields: Any) -> Change:
        return cls(target, description, tuple(fields.items()))

    def together_with(self, *others: Change) -> Change:
        """This change and `others` (their descriptions unused) as one fix."""
        return replace(self, also=self.also + others)


def attach_fixes(beatmap: Beatmap, pairs: Sequence[tuple[Finding, Change | None]]) -> list[Finding]:
    """The findings with their changes made into line-edit fixes by the engine's edit API: one edit call per
    kind of target (and per extra change of a line already changed), so a check proposing thousands of
    fixes stays linear in the file's size. A change's `also` changes add their line edits to its fix."""
    parts = [(i, part) for i, (_, change) in enumerate(pairs) if change is not None for part in (change, *change.also)]
    edits: dict[int, list[LineEdit]] = {}
    for update, kind in ((update_hit_objects, HitObject), (update_timing_points, TimingPoint)):
        pending = [k for k, (_, part) in enumerate(parts) if isinstance(part.target, kind)]
        while pending:
            batch: dict[int | None, int] = {}
            later: list[int] = []
            for k in pending:
                line = parts[k][1].target.line
                if line in batch:
                    later.append(k)
                else:
                    batch[line] = k
            changes = [parts[k][1] for k in batch.values()]
            edited = update(beatmap, [replace(c.target, **dict(c.fields)) for c in changes])  # type: ignore[arg-type]
            for line, k in batch.items():
                assert line is not None, "only objects and points read from the document can be fixed"
                edits.setdefault(parts[k][0], []).append(
                    LineEdit(line + 1, beatmap.line_text(line), edited.line_text(line)))
            pending = later
    return [replace(finding, fix=Fix(change.description, tuple(sorted(edits[i], key=lambda edit: edit.line))))
            if change is not None and i in edits else finding for i, (finding, change) in enumerate(pairs)]


def apply_fixes(beatmap: Beatmap, findings: Iterable[Finding]) -> Beatmap:
    """A new Beatmap with the fixes of `findings` applied (findings without a fix are ignored).

    Raises FixConflict, changing nothing, when a fix's line no longer reads as expected.
    """
    replaced: dict[int, str] = {}
    for finding in findings:
        if finding.fix is None:
            continue
        for edit in finding.fix.edits:
            index = edit.line - 1
            current = (replaced.get(index, beatmap.line_text(index))
                       if 0 <= index < len(beatmap.lines) else None)
            new = edit.new if current == edit.old else _rebase(edit, current)
            if new is None:
                raise FixConflict(f"line {edit.line} changed since it was checked; expected {edit.old!r}, "
                                  f"found {current!r}. Check the file again and retry.")
            replaced[index] = new
    return edit_lines(beatmap, replaced=replaced)


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
