"""The editor's selection, as osu! puts it on the clipboard: parse modding timestamps and resolve them on
a beatmap to the objects and the time range they cover.

Selecting objects in the editor and pressing Ctrl+C copies `00:12:345 (1,2,3) - ` (combo numbers; in
mania `time|column` items: `00:12:345 (12345|1,12400|2) - `). maid also accepts a bare `00:12:345` and an
`osu://edit/00:12:345%20(1,2)` link (osu-format.md §15.4). The range of a selection runs from the first
selected object's start to the last one's end.

The clipboard itself sits behind the `Clipboard` protocol: `PyperclipClipboard` for the real one,
`MemoryClipboard` for tests and headless use. This module never imports pyperclip at import time (it
needs a display) and never writes anything but the clipboard.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import unquote

from engine.osu import Beatmap, HitObject, Slider, combos, end_time, mania_column, mania_key_count, sorted_objects
from engine.sliders import OsuPath, curve_kind

LINK_PREFIX = "osu://edit/"
TIME_TOLERANCE_MS = 1.0  # timestamps hold whole ms; object times may be fractional
MANIA = 3


class TimestampError(ValueError):
    """Clipboard text that is not a modding timestamp; says what was expected at which character."""

    def __init__(self, text: str, position: int, expected: str) -> None:
        shown = text if len(text) <= 80 else text[:77] + "..."
        found = repr(text[position]) if position < len(text) else "the end of the text"
        super().__init__(
            f"not an osu! timestamp: expected {expected} at character {position + 1} of {shown!r}, found {found}; "
            "select objects in the editor and press Ctrl+C (e.g. 00:12:345 (1,2,3) - )"
        )
        self.text = text
        self.position = position
        self.expected = expected


class SelectionError(ValueError):
    """A well-formed timestamp whose objects are not in the beatmap (another map is open, or it changed)."""


@dataclass(frozen=True)
class Timestamp:
    """A parsed timestamp. `combos` (osu!, taiko, catch) or `notes` ((time, column), mania) hold the
    selection; both are empty for a bare time."""

    time_ms: int
    combos: tuple[int, ...] = ()
    notes: tuple[tuple[int, int], ...] = ()

    @property
    def has_selection(self) -> bool:
        return bool(self.combos or self.notes)


@dataclass(frozen=True)
class SelectionRange:
    """The selected objects (indices into `beatmap.hit_objects`, time order) and the time they cover."""

    start_ms: float
    end_ms: float
    objects: tuple[int, ...]


# ---- parsing -----------------------------------------------------------------------------------


class _Reader:
    def __init__(self, text: str, start: int = 0) -> None:
        self.text, self.pos = text, start

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def fail(self, expected: str) -> TimestampError:
        return TimestampError(self.text, self.pos, expected)

    def digits(self, what: str, count: int | None = None) -> int:
        match = re.compile(r"\d+" if count is None else rf"\d{{{count}}}").match(self.text, self.pos)
        if match is None or (count is not None and self.text[match.end():match.end() + 1].isdigit()):
            raise self.fail(what)
        self.pos = match.end()
        return int(match.group())

    def expect(self, chars: str, what: str) -> str:
        if not self.peek() or self.peek() not in chars:
            raise self.fail(what)
        self.pos += 1
        return self.text[self.pos - 1]

    def spaces(self) -> None:
        while self.peek() == " ":
            self.pos += 1


def parse_timestamp(text: str) -> Timestamp:
    """Read a modding timestamp (`mm:ss:mmm`, optional ` (items)`, optional ` - comment`) or an
    `osu://edit/` link. Raises TimestampError naming the character where the text stops making sense."""
    text = text.strip()
    if text.lower().startswith(LINK_PREFIX):
        text = unquote(text[len(LINK_PREFIX):]).strip()
    r = _Reader(text)
    negative = r.peek() == "-"
    if negative:
        r.pos += 1
    minutes = r.digits("minutes (digits, e.g. 00:12:345)")
    r.expect(":", "':' after the minutes")
    seconds = r.digits("two-digit seconds", 2)
    if seconds > 59:
        r.pos -= 2
        raise r.fail("seconds from 00 to 59")
    r.expect(":.", "':' (or '.') before the milliseconds")
    millis = r.digits("three-digit milliseconds", 3)
    time_ms = (minutes * 60_000 + seconds * 1000 + millis) * (-1 if negative else 1)
    r.spaces()
    combo_numbers: list[int] = []
    notes: list[tuple[int, int]] = []
    if r.peek() == "(":
        r.pos += 1
        while True:
            r.spaces()
            number = r.digits("a combo number or time|column")
            if r.peek() == "|":
                if combo_numbers:
                    raise r.fail("',' or ')' (combo numbers and time|column items do not mix)")
                r.pos += 1
                notes.append((number, r.digits("a column number after '|'")))
            else:
                if notes:
                    raise r.fail("'|' and a column (time|column items do not mix with combo numbers)")
                combo_numbers.append(number)
            r.spaces()
            if r.expect(",)", "',' or ')'") == ")":
                break
        r.spaces()
    if r.pos < len(text) and r.peek() != "-":
        raise r.fail("' (' with the selection, ' - ' or the end of the timestamp")
    return Timestamp(time_ms, tuple(combo_numbers), tuple(notes))


# ---- resolving ---------------------------------------------------------------------------------


def slider_path_length(slider: Slider) -> float:
    """The drawn length of a slider's path (for sliders whose end depends on it)."""
    points = [(slider.x, slider.y), *slider.control_points]
    return OsuPath(curve_kind(slider.curve_type, points), points).length  # type: ignore[arg-type]


def object_end(beatmap: Beatmap, obj: HitObject) -> float:
    end = end_time(beatmap, obj, slider_path_length)
    return obj.time if end is None else end


def resolve_selection(beatmap: Beatmap, stamp: Timestamp) -> SelectionRange:
    """The objects `stamp` selects in `beatmap` and the range from the first one's start to the last one's
    end. A bare time selects nothing (start = end = the time). Raises SelectionError when the listed
    objects are not there."""
    if not stamp.has_selection:
        return SelectionRange(float(stamp.time_ms), float(stamp.time_ms), ())
    index = {id(obj): i for i, obj in enumerate(beatmap.hit_objects)}
    where = f"{beatmap.path or 'the open beatmap'}"
    if stamp.notes:
        if beatmap.mode != MANIA:
            raise SelectionError(f"{where} is not an osu!mania map, but the selection lists mania notes (time|column)")
        keys = mania_key_count(beatmap)
        chosen = []
        ordered = sorted_objects(beatmap.hit_objects)
        for time, column in stamp.notes:
            found = next((o for o in ordered if abs(o.time - time) <= TIME_TOLERANCE_MS and mania_column(o.x, keys) == column
                          and id(o) not in {id(c) for c in chosen}), None)  # fmt: skip
            if found is None:
                raise SelectionError(f"{where}: no note at {time} ms in column {column}; is this the map open in the editor, saved?")
            chosen.append(found)
    else:
        numbered = combos(beatmap)
        at = next((i for i, (o, _) in enumerate(numbered) if o.time >= stamp.time_ms - TIME_TOLERANCE_MS), len(numbered))
        chosen = []
        for number in stamp.combos:
            def fits(k: int) -> bool:  # the first listed object starts at the timestamp's time
                obj, combo = numbered[k]
                return combo.number == number and (bool(chosen) or abs(obj.time - stamp.time_ms) <= TIME_TOLERANCE_MS)

            while at < len(numbered) and not fits(at) and (chosen or numbered[at][0].time <= stamp.time_ms + TIME_TOLERANCE_MS):
                at += 1
            if at >= len(numbered) or not fits(at):
                after = f"after the object at {chosen[-1].time:g} ms" if chosen else f"at {stamp.time_ms} ms"
                raise SelectionError(f"{where}: no object with combo number {number} {after}; "
                                     "is this the map open in the editor, saved?")  # fmt: skip
            chosen.append(numbered[at][0])
            at += 1
    start = min(o.time for o in chosen)
    end = max(object_end(beatmap, o) for o in chosen)
    return SelectionRange(float(start), float(end), tuple(sorted((index[id(o)] for o in chosen), key=lambda i: beatmap.hit_objects[i].time)))


def selection_range(beatmap: Beatmap, text: str) -> SelectionRange:
    """Clipboard text → the selected range on `beatmap` (parse_timestamp, then resolve_selection)."""
    return resolve_selection(beatmap, parse_timestamp(text))


# ---- the clipboard -----------------------------------------------------------------------------


class Clipboard(Protocol):
    def get(self) -> str: ...

    def set(self, text: str) -> None: ...


class ClipboardUnavailable(RuntimeError):
    """No clipboard to read: no display, or no xclip/xsel/wl-clipboard on Linux."""


class MemoryClipboard:
    """A clipboard in memory (tests, headless use)."""

    def __init__(self, text: str = "") -> None:
        self.text = text

    def get(self) -> str:
        return self.text

    def set(self, text: str) -> None:
        self.text = text


class PyperclipClipboard:
    """The system clipboard through pyperclip (xclip/xsel/wl-clipboard on Linux; needs a display)."""

    def get(self) -> str:
        import pyperclip

        try:
            return pyperclip.paste()
        except pyperclip.PyperclipException as exc:
            raise ClipboardUnavailable(f"clipboard unavailable: {exc}") from exc

    def set(self, text: str) -> None:
        import pyperclip

        try:
            pyperclip.copy(text)
        except pyperclip.PyperclipException as exc:
            raise ClipboardUnavailable(f"clipboard unavailable: {exc}") from exc
