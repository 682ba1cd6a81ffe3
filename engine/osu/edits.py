"""Edits of a lossless document. Each returns a new Beatmap whose bytes differ only in the lines the edit
had to change.

- A changed value, object or timing point is a field-level patch of its own line: fields whose value did not
  change keep their original spelling (`1.40`, `-100.000000000002`, `+5`, spaces), a trailing `// comment` and
  the line terminator are kept.
- New lines use the file's dominant terminator and stable's spelling (`Key: value` in General/Editor,
  `Key:value` in Metadata/Difficulty, `Name : value` in Colours, 15-digit doubles, full v14 object lines) and
  go to their chronological place: after the last line with a time ≤ theirs, else before the first one, else
  at the end of the section before its trailing blank lines. A missing section is created where stable
  would write it.
- A modified object (one that carries the `line` it was read from) stays on its line; removing lines never
  touches their neighbours. A file that ended without a final newline still does.
- `edit_lines` is the edit all the others are made of (replace, remove and insert whole lines by index), for
  callers that already know the lines they change (a fix's line edits, the editor's bookmarks line).

This module never reorders, re-sorts or normalises existing lines.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

from engine.osu.document import SECTION_NAMES, Beatmap, Section
from engine.osu.errors import OsuFormatError
from engine.osu.hitobjects import HitObject, HitSample, Slider, format_fields
from engine.osu.lines import dominant_terminator, encode_line, terminator, text as line_text
from engine.osu.timing import TimingPoint, format_timing_point

KEY_VALUE_SPELLING = {"General": "{key}: {value}", "Editor": "{key}: {value}", "Metadata": "{key}:{value}",
                      "Difficulty": "{key}:{value}", "Colours": "{key} : {value}"}


# -- lines ---------------------------------------------------------------------------------------------------


def edit_lines(beatmap: Beatmap, replaced: dict[int, str] | None = None, removed: Iterable[int] = (),
               inserted: dict[int, list[str]] | None = None) -> Beatmap:
    """The line edit every other edit is made of: `replaced[i]` is line i's new text (it keeps its own
    terminator), lines in `removed` go, and `inserted[i]` lines go before old line i (i == len(lines): at the
    end) with the file's dominant terminator. Indices are 0-based into `beatmap.lines`; no line's neighbours
    change, and a file that ended without a final newline still does.

    Raises OsuFormatError for an index outside the document, a line both replaced and removed, or a text with
    a line break (one entry is one line)."""
    replaced = replaced or {}
    inserted = inserted or {}
    removed = set(removed)
    old = beatmap.lines
    _check_lines(beatmap, replaced, removed, inserted)
    end = dominant_terminator(old)
    lines: list[bytes] = []
    for index in range(len(old) + 1):
        for new_text in inserted.get(index, ()):
            if lines and not terminator(lines[-1]):
                lines[-1] += end
            lines.append(encode_line(new_text, end))
        if index == len(old) or index in removed:
            continue
        if lines and not terminator(lines[-1]):
            lines[-1] += end
        if index in replaced:
            lines.append(encode_line(replaced[index], terminator(old[index])))
        else:
            lines.append(old[index])
    if old and not terminator(old[-1]) and lines and terminator(lines[-1]):
        lines[-1] = lines[-1][:len(lines[-1]) - len(terminator(lines[-1]))]
    return Beatmap(lines, beatmap.bom, beatmap.path)


def _check_lines(beatmap: Beatmap, replaced: dict[int, str], removed: set[int],
                 inserted: dict[int, list[str]]) -> None:
    count = len(beatmap.lines)
    for what, indices, last in (("replace", replaced, count - 1), ("remove", removed, count - 1),
                                ("insert before", inserted, count)):
        outside = sorted(index for index in indices if not 0 <= index <= last)
        if outside:
            raise OsuFormatError(f"cannot {what} line index {outside[0]}: the document has {count} lines "
                                 f"(indices 0–{last}); edit the document the indices were taken from",
                                 beatmap.path)
    both = sorted(removed.intersection(replaced))
    if both:
        raise OsuFormatError(f"line {both[0] + 1} is both replaced and removed; give it to one of them",
                             beatmap.path, both[0] + 1, beatmap.line_text(both[0]))
    texts = [*replaced.items(), *((index, new_text) for index, new_texts in inserted.items() for new_text in new_texts)]
    for index, new_text in texts:
        if "\r" in new_text or "\n" in new_text:
            raise OsuFormatError(f"a new text at line {index + 1} contains a line break ({new_text[:120]!r}); "
                                 "give each line its own entry", beatmap.path, index + 1)


# -- key/value sections --------------------------------------------------------------------------------------


def set_value(beatmap: Beatmap, section: str, key: str, value: str) -> Beatmap:
    """Set `key` in `section` to `value` (text as it should appear). Rewrites the value part of the last line
    with that key; adds a line (and the section) when the key is absent."""
    if "\r" in value or "\n" in value:
        raise OsuFormatError(f"a value cannot contain a line break ({section}.{key})", beatmap.path)
    found = None
    for index, name, _ in beatmap.key_values(section):
        if name == key:
            found = index
    if found is not None:
        text = line_text(beatmap.lines[found])
        colon = text.index(":")
        rest = text[colon + 1:]
        lead = rest[:len(rest) - len(rest.lstrip())]
        body = rest[len(lead):]
        if section != "Metadata" and "//" in body:
            body = body[:body.index("//")]
        tail = rest[len(lead) + len(body.rstrip()):]
        new_text = text[:colon + 1] + lead + value + tail
        return edit_lines(beatmap, replaced={found: new_text})
    spelling = KEY_VALUE_SPELLING.get(section, "{key}:{value}")
    return _insert_lines(beatmap, section, [spelling.format(key=key, value=value)])


# -- hit objects and timing points -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Kind:
    """How one comma-list section's entries are found, spelt, completed (new lines) and widened (a changed
    value in a field the line does not have yet)."""

    section: str
    entries: Callable[[Beatmap], Sequence[HitObject | TimingPoint]]
    fields: Callable[[HitObject | TimingPoint], list[str]]
    complete: Callable[[HitObject | TimingPoint], HitObject | TimingPoint]
    widen: Callable[[HitObject | TimingPoint, HitObject | TimingPoint], HitObject | TimingPoint]


def _complete_object(obj: HitObject) -> HitObject:
    """A new object gets the fields stable v14 always writes."""
    if isinstance(obj, Slider):
        if obj.edge_sounds is None and obj.edge_sets is None and obj.hit_sample is None:
            return obj
        nodes = obj.span_count + 1
        return replace(obj, length=obj.length if obj.length is not None else 0.0,
                       edge_sounds=obj.edge_sounds if obj.edge_sounds is not None else (0,) * nodes,
                       edge_sets=obj.edge_sets if obj.edge_sets is not None else ((0, 0),) * nodes,
                       hit_sample=obj.hit_sample or HitSample())
    return obj if obj.hit_sample is not None else replace(obj, hit_sample=HitSample())


TIMING_OPTIONAL_FIELDS = ("meter", "sample_set", "sample_index", "volume", "uninherited", "effects")  # fields 2–7


def _widen_point(old: TimingPoint, new: TimingPoint) -> TimingPoint:
    """A short line (v3: `time,beatLength`) grows just enough fields to hold a changed value."""
    changed = [index for index, name in enumerate(TIMING_OPTIONAL_FIELDS, start=2)
               if getattr(old, name) != getattr(new, name)]
    if changed and max(changed) >= new.field_count:
        return replace(new, field_count=max(changed) + 1)
    return new


HIT_OBJECTS = _Kind("HitObjects", lambda b: b.hit_objects, format_fields, _complete_object,  # type: ignore[arg-type]
                    lambda old, new: new)
TIMING_POINTS = _Kind("TimingPoints", lambda b: b.timing_points,  # type: ignore[arg-type]
                      lambda p: format_timing_point(p).split(","), lambda p: p, _widen_point)


def replace_hit_objects(beatmap: Beatmap, start: float, end: float, objects: Iterable[HitObject]) -> Beatmap:
    """Replace the objects with start ≤ time < end by `objects` (which must lie in that range). Objects read
    from this document keep their line (patched field by field); others are new lines."""
    return _replace_range(beatmap, HIT_OBJECTS, start, end, list(objects))


def replace_timing_points(beatmap: Beatmap, start: float, end: float, points: Iterable[TimingPoint]) -> Beatmap:
    """Replace the timing points with start ≤ time < end by `points` (which must lie in that range)."""
    return _replace_range(beatmap, TIMING_POINTS, start, end, list(points))


def add_hit_objects(beatmap: Beatmap, objects: Iterable[HitObject]) -> Beatmap:
    """Insert new objects at their chronological place."""
    return _edit(beatmap, HIT_OBJECTS, remove=(), items=[replace(obj, line=None) for obj in objects])


def add_timing_points(beatmap: Beatmap, points: Iterable[TimingPoint]) -> Beatmap:
    """Insert new timing points at their chronological place (after existing points at the same time)."""
    return _edit(beatmap, TIMING_POINTS, remove=(), items=[replace(point, line=None) for point in points])


def remove_hit_objects(beatmap: Beatmap, objects: Iterable[HitObject]) -> Beatmap:
    """Delete the lines of objects read from this document."""
    return _edit(beatmap, HIT_OBJECTS, remove=_lines_of(beatmap, HIT_OBJECTS, objects), items=[])


def remove_timing_points(beatmap: Beatmap, points: Iterable[TimingPoint]) -> Beatmap:
    """Delete the lines of timing points read from this document."""
    return _edit(beatmap, TIMING_POINTS, remove=_lines_of(beatmap, TIMING_POINTS, points), items=[])


def update_hit_objects(beatmap: Beatmap, objects: Iterable[HitObject]) -> Beatmap:
    """Write changed objects (read from this document, then `dataclasses.replace`d) back onto their lines."""
    items = list(objects)
    return _edit(beatmap, HIT_OBJECTS, remove=_lines_of(beatmap, HIT_OBJECTS, items), items=items)


def update_timing_points(beatmap: Beatmap, points: Iterable[TimingPoint]) -> Beatmap:
    """Write changed timing points back onto their lines."""
    items = list(points)
    return _edit(beatmap, TIMING_POINTS, remove=_lines_of(beatmap, TIMING_POINTS, items), items=items)


def _lines_of(beatmap: Beatmap, kind: _Kind, items: Iterable[HitObject | TimingPoint]) -> list[int]:
    known = {entry.line for entry in kind.entries(beatmap)}
    lines = []
    for item in items:
        if item.line is None or item.line not in known:
            raise OsuFormatError(f"{kind.section} entry at {item.time} was not read from this document "
                                 "(it has no line); add it instead", beatmap.path)
        lines.append(item.line)
    return lines


def _replace_range(beatmap: Beatmap, kind: _Kind, start: float, end: float,
                   items: list[HitObject | TimingPoint]) -> Beatmap:
    outside = [item for item in items if not start <= item.time < end]
    if outside:
        raise OsuFormatError(f"{kind.section} entry at {outside[0].time} ms lies outside the replaced range "
                             f"[{start}, {end})", beatmap.path)
    removed = [entry.line for entry in kind.entries(beatmap) if start <= entry.time < end]
    return _edit(beatmap, kind, remove=removed, items=items)


def _code_and_suffix(text: str) -> tuple[str, str]:
    """Split a list-section line into the part osu! reads and what follows it (comment, trailing spaces)."""
    code = text
    if "//" in code:
        code = code[:code.index("//")]
    code = code.rstrip()
    return code, text[len(code):]


def _patch(kind: _Kind, old_text: str, old: HitObject | TimingPoint, item: HitObject | TimingPoint) -> str:
    """Field-level patch of `old`'s line: keep every original field whose value did not change."""
    code, suffix = _code_and_suffix(old_text)
    old_fields = kind.fields(old)
    new_fields = kind.fields(kind.widen(old, item))
    if old_fields == new_fields:
        return old_text
    raw = code.split(",")
    out = [raw[i] if i < len(old_fields) and i < len(raw) and new_fields[i] == old_fields[i] else field
           for i, field in enumerate(new_fields)]
    if len(new_fields) == len(old_fields):
        out += raw[len(old_fields):]
    return ",".join(out) + suffix


def _edit(beatmap: Beatmap, kind: _Kind, remove: Iterable[int], items: list[HitObject | TimingPoint]) -> Beatmap:
    removed = set(remove)
    replaced: dict[int, str] = {}
    new_items = []
    by_line = {entry.line: entry for entry in kind.entries(beatmap)}
    for item in items:
        if item.line is not None and item.line in removed and item.line not in replaced:
            replaced[item.line] = _patch(kind, beatmap.line_text(item.line), by_line[item.line], item)
            removed.discard(item.line)
        else:
            new_items.append(kind.complete(replace(item, line=None)))
    kept = [(entry.time, entry.line) for entry in kind.entries(beatmap)
            if entry.line is not None and entry.line not in removed]
    inserted: dict[int, list[str]] = {}
    for item in sorted(new_items, key=lambda entry: entry.time):
        anchor = _anchor(beatmap, kind.section, kept, item.time)
        inserted.setdefault(anchor, []).append(",".join(kind.fields(item)))
    if new_items and not beatmap.sections_named(kind.section):
        return _insert_lines(edit_lines(beatmap, replaced=replaced, removed=removed), kind.section,
                             [",".join(kind.fields(item)) for item in sorted(new_items, key=lambda e: e.time)])
    return edit_lines(beatmap, replaced=replaced, removed=removed, inserted=inserted)


def _anchor(beatmap: Beatmap, section: str, kept: list[tuple[float, int]], time: float) -> int:
    """Line index before which a new entry at `time` goes."""
    before = [line for entry_time, line in kept if entry_time <= time]
    if before:
        return max(before) + 1
    if kept:
        return min(line for _, line in kept)
    sections = beatmap.sections_named(section)
    return _body_end(beatmap, sections[-1]) if sections else len(beatmap.lines)


def _body_end(beatmap: Beatmap, section: Section) -> int:
    """Index after the section's last non-blank line (new lines go before its trailing blank lines)."""
    end = section.end
    while end > section.start and not beatmap.lines[end - 1].strip():
        end -= 1
    return end


def _insert_lines(beatmap: Beatmap, section: str, texts: list[str]) -> Beatmap:
    """Append lines at the end of the (last) section called `section`, creating the section if needed."""
    sections = beatmap.sections_named(section)
    if sections:
        return edit_lines(beatmap, inserted={_body_end(beatmap, sections[-1]): texts})
    order = SECTION_NAMES.index(section) if section in SECTION_NAMES else len(SECTION_NAMES)
    following = [s for s in beatmap.sections if s.name in SECTION_NAMES[order + 1:] and s.header is not None]
    block = [f"[{section}]", *texts]
    if following:
        return edit_lines(beatmap, inserted={following[0].header: [*block, ""]})  # type: ignore[dict-item]
    needs_gap = bool(beatmap.lines) and bool(beatmap.lines[-1].strip())
    return edit_lines(beatmap, inserted={len(beatmap.lines): ([""] if needs_gap else []) + block})
