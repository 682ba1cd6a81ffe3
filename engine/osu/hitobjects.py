"""[HitObjects]: typed hit objects, how a line is read, and stable's spelling of a changed object.

`x,y,time,type,hitSound,objectParams…,hitSample`, read as lazer's legacy parser reads it (kind precedence
circle > slider > spinner > hold, slides > 9000 rejected, bad edge sounds read as 0). Values are kept as
written: times are not shifted by the v3/v4 +24 ms offset, coordinates are not truncated, slider lengths
are not clamped. Optional trailing parts are None when the line had no such field, so that a changed
object is written back with the same shape. This module never touches document lines.

Speed: a map has thousands of object lines, and almost all are plain (integer x, y, time, type, hitSound;
ASCII; no comment; a slider curve of one letter and integer points). `plain_object_rows` reads a whole
section's plain lines in one regex pass over its bytes and `read_object_rows` builds their objects without the
.NET-number checks they cannot need; every other line goes through `parse_hit_object`, the reference both
must agree with (tests/osu/test_plain_rows.py). A plain slider keeps its curve's bytes, which the regex has
already checked, and builds `segments` from it the first time they are read (see `_lazy_segments`): most
readers of a map never look at control points, and building the corpus's ~930k point tuples cost more
than the rest of its sliders.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from engine.osu.construct import fast_constructor
from engine.osu.numbers import MAX_COORDINATE_VALUE, format_number, parse_float, parse_int

CIRCLE = 1
SLIDER = 2
NEW_COMBO = 4
SPINNER = 8
COMBO_SKIP = 0b111_0000
HOLD = 128
MAX_SLIDES = 9000
CURVE_TYPES = frozenset("BCLP")

HITSOUND_NORMAL = 1
HITSOUND_WHISTLE = 2
HITSOUND_FINISH = 4
HITSOUND_CLAP = 8

# A curve of one type letter and integer points of up to 5 digits (so within ±131072; almost every slider
# before v128) is checked by one regex and converted by one split; anything else takes the general path.
_SIMPLE_CURVE_PATTERN = r"[BCLP](?:\|-?+[0-9]{1,5}+:-?+[0-9]{1,5}+)++"
_SIMPLE_CURVE = re.compile(_SIMPLE_CURVE_PATTERN)


@dataclass(frozen=True, slots=True)
class HitSample:
    """`normalSet:additionSet:index:volume:filename`; 0 means "from the timing point" for every number."""

    normal_set: int = 0
    addition_set: int = 0
    index: int = 0
    volume: int = 0
    filename: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class HitObject:
    """Fields every object has. `type` keeps all written bits (kind, new combo, combo skip); `line` is the
    0-based document line (None for an object that is not in the document yet). `hit_sample` is None when
    the line has no hitSample field."""

    x: float
    y: float
    time: float
    type: int
    hit_sound: int = 0
    hit_sample: HitSample | None = None
    line: int | None = None

    @property
    def new_combo(self) -> bool:
        """The new-combo bit as written (see `engine.osu.derived.combo_numbers` for the effective one)."""
        return bool(self.type & NEW_COMBO)

    @property
    def combo_skip(self) -> int:
        """Extra combo colours to skip ("colour hax"), bits 4–6 of `type`."""
        return (self.type & COMBO_SKIP) >> 4

    @property
    def end_time(self) -> float:
        """Objects with a length override this; sliders need the timing (`engine.osu.derived.slider_end_time`)."""
        return self.time


@dataclass(frozen=True, slots=True, kw_only=True)
class Circle(HitObject):
    """Hit circle (taiko don/kat, catch fruit, mania note)."""


@dataclass(frozen=True, slots=True)
class CurveSegment:
    """Control points sharing one curve type letter (`B`, `C`, `L`, `P`, or `B<n>` in v128)."""

    curve_type: str
    points: tuple[tuple[float, float], ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Slider(HitObject):
    """Slider. `control_points` exclude the head (x, y), which is the implicit first point. `length` is the
    pixel length as written (None when the field is absent); `slides` is repeats + 1 as written.
    `edge_sounds`/`edge_sets` are None when their field is absent."""

    curve_type: str = "B"
    segments: tuple[CurveSegment, ...] = ()
    slides: int = 1
    length: float | None = None
    edge_sounds: tuple[int, ...] | None = None
    edge_sets: tuple[tuple[int, int], ...] | None = None

    @property
    def control_points(self) -> tuple[tuple[float, float], ...]:
        segments = self.segments
        if len(segments) == 1:
            return segments[0].points
        return tuple(point for segment in segments for point in segment.points)

    @property
    def span_count(self) -> int:
        """Passes over the path; osu! treats slides < 1 as 1."""
        return max(1, self.slides)

    @property
    def pixel_length(self) -> float | None:
        """The length osu! uses, or None when it must be computed from the path (absent, 0 or negative)."""
        return self.length if self.length is not None and self.length > 0 else None


@dataclass(frozen=True, slots=True, kw_only=True)
class Spinner(HitObject):
    """Spinner (taiko swell, catch banana shower). `end_time` as written; duration is max(0, end - time)."""

    end: float

    @property
    def end_time(self) -> float:
        return max(self.time, self.end)


@dataclass(frozen=True, slots=True, kw_only=True)
class HoldNote(HitObject):
    """mania hold note; its end time is the first element of the hitSample field."""

    end: float

    @property
    def end_time(self) -> float:
        return max(self.time, self.end)


@lru_cache(maxsize=4096)
def parse_hit_sample(text: str) -> HitSample:
    """Read `n:a:i:v:file` (fewer parts allowed, as lazer allows; an empty field means defaults)."""
    if not text:
        return HitSample()
    split = text.split(":")
    if len(split) < 2:
        raise ValueError(f"hit sample {text!r} needs at least normalSet:additionSet")
    return HitSample(parse_int(split[0]), parse_int(split[1]),
                     parse_int(split[2]) if len(split) > 2 else 0,
                     parse_int(split[3]) if len(split) > 3 else 0,
                     split[4] if len(split) > 4 else "")


def format_hit_sample(sample: HitSample) -> str:
    return f"{sample.normal_set}:{sample.addition_set}:{sample.index}:{sample.volume}:{sample.filename}"


def _parse_point(token: str) -> tuple[float, float]:
    x, y = token.split(":")[:2]
    return parse_float(x, MAX_COORDINATE_VALUE), parse_float(y, MAX_COORDINATE_VALUE)


_new_segment = fast_constructor(CurveSegment)


def _simple_segments(text: str) -> tuple[CurveSegment, ...]:
    """The one segment of a curve that `_SIMPLE_CURVE` matches (not checked again here)."""
    numbers = map(float, text[2:].replace(":", "|").split("|"))
    return (_new_segment(text[0], tuple(zip(numbers, numbers))),)


def _lazy_segments(slot: Any) -> property:
    """`Slider.segments` over its slot: the slot holds the segments, or, for a slider read by
    `read_object_rows`, its curve's bytes (already matched by `_SIMPLE_CURVE`), which the first read replaces
    by the segments. Every reader (equality, hashing, repr, `replace`, pickling) goes through this property,
    so no one sees the bytes."""
    read, write = slot.__get__, slot.__set__

    def segments(self: Slider) -> tuple[CurveSegment, ...]:
        value = read(self)
        if value.__class__ is bytes:
            value = _simple_segments(value.decode("ascii"))
            write(self, value)
        return value  # type: ignore[no-any-return]

    return property(segments, write, doc="Control points by curve type, the head excluded.")


Slider.segments = _lazy_segments(Slider.__dict__["segments"])  # type: ignore[assignment, method-assign]


def parse_curve(text: str) -> tuple[str, tuple[CurveSegment, ...]]:
    """`B|1:2|3:4` → (stable's curve type: the last known letter, Catmull when none; segments split at every
    type letter as lazer splits them)."""
    if _SIMPLE_CURVE.fullmatch(text):
        return text[0], _simple_segments(text)
    curve_type = "C"
    segments: list[CurveSegment] = []
    current_type: str | None = None
    points: list[tuple[float, float]] = []
    for token in text.split("|"):
        if not token:
            raise ValueError(f"empty token in slider curve {text!r}")
        if token[0].isalpha():
            if current_type is not None or points:
                segments.append(CurveSegment(current_type or "C", tuple(points)))
                points = []
            current_type = token
            if token in CURVE_TYPES:
                curve_type = token
        else:
            points.append(_parse_point(token))
    segments.append(CurveSegment(current_type or "C", tuple(points)))
    return curve_type, tuple(segments)


def format_curve(segments: tuple[CurveSegment, ...]) -> str:
    parts: list[str] = []
    for segment in segments:
        parts.append(segment.curve_type)
        parts.extend(f"{format_number(x)}:{format_number(y)}" for x, y in segment.points)
    return "|".join(parts)


_new_circle = fast_constructor(Circle)
_new_slider = fast_constructor(Slider)
_new_spinner = fast_constructor(Spinner)
_new_hold = fast_constructor(HoldNote)


def parse_hit_object(text: str, line: int | None = None) -> HitObject:
    """Read one line (comment and terminator removed); ValueError/IndexError where osu! skips the line."""
    split = text.split(",")
    if len(split) < 5:
        raise ValueError("a hit object needs at least x,y,time,type,hitSound")
    return _build(parse_float(split[0], MAX_COORDINATE_VALUE), parse_float(split[1], MAX_COORDINATE_VALUE),
                  parse_float(split[2]), parse_int(split[3]), parse_int(split[4]), split[5:], line)


# A line whose five leading numbers are plain digits (x and y below 131072 by their length, the rest
# within int32) and whose other fields are printable ASCII without a `/` (so no comment): what almost
# every object line is; it does not end in a space (a line is read as osu! reads it: without trailing
# whitespace). A circle's line (an odd type: osu! reads a circle whenever bit 0 is set) is captured from its
# type to its end as one text, which a map repeats (so it is read once per map); another kind's as
# "type,hitSound", a sixth field that is a simple curve, and the rest. (Runs are possessive: no match needs
# one shorter, and keeping no backtracking points is a little faster.) `(?m)^(?:PLAIN|[^\r\n]*+)\r?$`
# matches each line of a text whose lines end in "\n" or "\r\n" exactly once (a line holding another `\r`
# not at all), so `findall` over a section's lines yields one row per line, in order; rows of other lines
# have an empty x.
_PLAIN_LINES = re.compile(rb"^(?:(\d{1,5}+),(\d{1,5}+),(\d{1,9}+),(?:(\d{0,8}[13579],\d{1,9}+(?:,[ -.0-~]*+)?)"
                          rb"|(\d{1,9}+,\d{1,9}+)(?:,(" + _SIMPLE_CURVE_PATTERN.encode() + rb"))?((?:,[ -.0-~]*+)?))(?<! )"
                          rb"|[^\r\n]*+)\r?$", re.MULTILINE)

PlainRow = tuple[bytes, bytes, bytes, bytes, bytes, bytes, bytes]


def plain_object_rows(data: bytes) -> list[PlainRow]:
    """One row per line of `data` (lines ending in "\\n" or "\\r\\n"; see `document.section_rows`): (x, y,
    time, circle, head, curve, rest) for a plain line: circle is "type,hitSound[,fields…]" of a circle (odd
    type), else "" and head is "type,hitSound", curve the sixth field when it is a simple curve (else "") and
    rest "," + the fields after it (or ""); x == "" for any other line (blank, comment, spaces, decimals,
    non-ASCII: read those with `parse_hit_object`). One regex pass over a whole section reads the common
    case several times faster than splitting and checking each line. The rows are bytes, read from the
    file's bytes without decoding them: a plain row is ASCII, `float`/`int` read bytes as they read text, and
    matching and slicing bytes costs less than text; only what is kept as text is decoded (once per map for
    the texts a map repeats, and a curve when its points are first read)."""
    return _PLAIN_LINES.findall(data)


def read_object_rows(rows: list[PlainRow], first_line: int, read_other: Callable[[int], HitObject | None],
                     skipped: list[tuple[int, Exception]]) -> list[HitObject]:
    """The objects of a section's `plain_object_rows`, its first row being line `first_line`: the same as
    `parse_hit_object` of each line. Rows of other lines are read by `read_other(line)` (None for a line
    that holds no object); each line osu! skips goes to `skipped` with the reason instead.

    A map repeats a handful of circle texts (type to end), type,hitSound texts and slider tails
    (`,slides,length,edgeSounds,edgeSets,hitSample`: two sliders in three share one), so each is read once
    per call. Circles, sliders with a simple curve and holds with an end time are built here, other rows
    by `_build`."""
    objects: list[HitObject] = []
    circles: dict[bytes, tuple[int, int, HitSample | None]] = {}  # b"type,hitSound[,…]" -> type, hitSound, hitSample
    known_circle = circles.get
    heads: dict[bytes, tuple[int, int]] = {}  # b"type,hitSound" -> both
    known_head = heads.get
    slider_tails: dict[bytes, SliderTail] = {}  # by `rest`
    known_tail = slider_tails.get
    hold_samples: dict[bytes, HitSample | None] = {}  # by the text after the end time
    known_hold_sample = hold_samples.get
    line = first_line - 1
    for x, y, time, circle, head, curve, rest in rows:
        line += 1
        try:
            if circle:
                fields = known_circle(circle)
                if fields is None:
                    fields = circles[circle] = _circle_fields(circle.decode("ascii"))
                kind, hit_sound, sample = fields
                objects.append(_new_circle(float(x), float(y), float(time), kind, hit_sound, sample, line))
                continue
            if not x:
                obj = read_other(line)
                if obj is not None:
                    objects.append(obj)
                continue
            both = known_head(head)
            if both is None:
                kind_text, sound_text = head.split(b",")
                both = heads[head] = (int(kind_text), int(sound_text))
            kind, hit_sound = both
            if curve and rest and kind & SLIDER:
                tail = known_tail(rest)
                if tail is None:
                    tail = slider_tails[rest] = _slider_tail(rest[1:].decode("ascii").split(","))
                sample, slides, length, edge_sounds, edge_sets = tail
                # The segments stay as the curve's bytes until read (`_lazy_segments`).
                objects.append(_new_slider(float(x), float(y), float(time), kind, hit_sound, sample, line,
                                           _CURVE_LETTERS[curve[0]], curve, slides, length, edge_sounds, edge_sets))
            elif not curve and kind & _HOLD_BITS == HOLD and rest[1:2] not in (b"", b","):
                end_text, colon, sample_text = rest[1:].split(b",", 1)[0].partition(b":")
                # digits only: float() reads them as .NET does
                end = float(end_text) if end_text.isdigit() and len(end_text) < 10 else parse_float(end_text.decode())
                sample = known_hold_sample(sample_text, _NOT_SEEN) if colon else None
                if sample is _NOT_SEEN:
                    sample = hold_samples[sample_text] = parse_hit_sample(sample_text.decode("ascii"))
                objects.append(_new_hold(float(x), float(y), float(time), kind, hit_sound, sample, line, end))
            else:
                extra = (b"," + curve + rest if curve else rest).decode("ascii")
                objects.append(_build(float(x), float(y), float(time), kind, hit_sound,
                                      extra[1:].split(",") if extra else [], line))
        except (ValueError, IndexError) as error:
            skipped.append((line, error))
    return objects


_NOT_SEEN = HitSample()
_CURVE_LETTERS = {ord(letter): letter for letter in CURVE_TYPES}
_HOLD_BITS = SLIDER | SPINNER | HOLD  # a hold is read only when no other kind's bit is set (even types here)


def _circle_fields(text: str) -> tuple[int, int, HitSample | None]:
    """Type, hitSound and hitSample of a circle's "type,hitSound[,hitSample[,…]]" (as `_build` reads them)."""
    kind_text, sound_text, *extra = text.split(",", 3)
    return int(kind_text), int(sound_text), parse_hit_sample(extra[0]) if extra else None


def _build(x: float, y: float, time: float, kind: int, hit_sound: int, extra: list[str],
           line: int | None) -> HitObject:
    """The object of the five leading numbers and the fields after them (`extra`), by kind."""
    count = len(extra)
    if kind & CIRCLE:
        sample = parse_hit_sample(extra[0]) if count else None
        return _new_circle(x, y, time, kind, hit_sound, sample, line)
    if kind & SLIDER:
        if count < 2:
            raise ValueError("a slider needs curve and slides fields")
        curve_type, segments = parse_curve(extra[0])
        sample, slides, length, edge_sounds, edge_sets = _slider_tail(extra[1:])
        return _new_slider(x, y, time, kind, hit_sound, sample, line, curve_type, segments, slides, length,
                           edge_sounds, edge_sets)
    if kind & SPINNER:
        end = parse_float(extra[0])
        sample = parse_hit_sample(extra[1]) if count > 1 else None
        return _new_spinner(x, y, time, kind, hit_sound, sample, line, end)
    if kind & HOLD:
        end, sample = time, None
        if count and extra[0]:
            head, colon, rest = extra[0].partition(":")
            end = parse_float(head)
            sample = parse_hit_sample(rest) if colon else None
        return _new_hold(x, y, time, kind, hit_sound, sample, line, end)
    raise ValueError(f"type {kind} names no object kind (1 circle, 2 slider, 8 spinner, 128 hold)")


# hit_sample, slides, length, edge_sounds, edge_sets
SliderTail = tuple[HitSample | None, int, float | None, tuple[int, ...] | None, tuple[tuple[int, int], ...] | None]


def _slider_tail(after_curve: list[str]) -> SliderTail:
    """A slider's fields after its curve: slides, then the optional ones."""
    count = len(after_curve)
    field_slides = after_curve[0]
    slides = (int(field_slides) if field_slides.isdigit() and field_slides.isascii() and len(field_slides) < 5
              else parse_int(field_slides))
    if slides > MAX_SLIDES:
        raise ValueError(f"{slides} slides is more than osu! accepts ({MAX_SLIDES})")
    length = parse_float(after_curve[1], MAX_COORDINATE_VALUE) if count > 1 else None
    edge_sounds = _parse_edge_sounds(after_curve[2]) if count > 2 else None
    edge_sets = _parse_edge_sets(after_curve[3]) if count > 3 else None
    sample = parse_hit_sample(after_curve[4]) if count > 4 else None
    return sample, slides, length, edge_sounds, edge_sets


@lru_cache(maxsize=1024)
def _parse_edge_sounds(text: str) -> tuple[int, ...]:
    sounds = []
    for part in text.split("|") if text else ():
        try:
            sounds.append(parse_int(part))
        except ValueError:
            sounds.append(0)
    return tuple(sounds)


@lru_cache(maxsize=1024)
def _parse_edge_sets(text: str) -> tuple[tuple[int, int], ...]:
    sets = []
    for part in text.split("|") if text else ():
        sample = parse_hit_sample(part)
        sets.append((sample.normal_set, sample.addition_set))
    return tuple(sets)


def format_fields(obj: HitObject) -> list[str]:
    """Stable's spelling of every field the object has (as many as its line had, or the full form)."""
    fields = [format_number(obj.x), format_number(obj.y), format_number(obj.time), str(obj.type), str(obj.hit_sound)]
    sample = format_hit_sample(obj.hit_sample) if obj.hit_sample is not None else None
    if isinstance(obj, Slider):
        fields += [format_curve(obj.segments), str(obj.slides)]
        optional = [
            format_number(obj.length) if obj.length is not None else None,
            "|".join(map(str, obj.edge_sounds)) if obj.edge_sounds is not None else None,
            "|".join(f"{n}:{a}" for n, a in obj.edge_sets) if obj.edge_sets is not None else None,
            sample,
        ]
        while optional and optional[-1] is None:
            optional.pop()
        fields += ["" if part is None else part for part in optional]
    elif isinstance(obj, Spinner):
        fields.append(format_number(obj.end))
        if sample is not None:
            fields.append(sample)
    elif isinstance(obj, HoldNote):
        fields.append(format_number(obj.end) + (":" + sample if sample is not None else ""))
    elif sample is not None:
        fields.append(sample)
    return fields
