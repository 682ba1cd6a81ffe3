"""[TimingPoints]: the typed timing point, how a line is read and written, and which point is in effect.

Reading follows lazer's legacy decoder: `time,beatLength[,meter,sampleSet,sampleIndex,volume,uninherited,
effects]`, missing trailing fields take their defaults, a 2-field line is an uninherited (red) point, NaN is
allowed only as an inherited beat length. `field_count` remembers how many fields the line had so that a
rewritten line keeps its shape. This module never touches document lines.

Speed: as for hit objects, `plain_point_rows` reads a whole section's plain lines (all eight fields, plain
decimal numbers, no comment: 97% of the corpus's points) in one regex pass and `read_point_rows` builds
their points without the .NET-number checks they cannot need; `parse_timing_point` reads every other line
and is the reference both must agree with (tests/osu/test_plain_rows.py).
"""

from __future__ import annotations

import math
import re
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from engine.osu.construct import fast_constructor
from engine.osu.numbers import format_number, parse_float, parse_int

KIAI = 1
OMIT_FIRST_BARLINE = 8
SV_RANGE_STANDARD = (0.1, 10.0)
SV_RANGE_SCROLLING = (0.01, 10.0)
BEAT_LENGTH_RANGE = (6.0, 60000.0)


@dataclass(frozen=True, slots=True, kw_only=True)
class TimingPoint:
    """One timing line. `uninherited` True is a red line (beat_length = ms per beat); False is a green line
    (beat_length negative: SV = 100 / -beat_length). `line` is the 0-based document line, None for new points."""

    time: float
    beat_length: float
    meter: int = 4
    sample_set: int = 0
    sample_index: int = 0
    volume: int = 100
    uninherited: bool = True
    effects: int = 0
    field_count: int = 8
    line: int | None = None

    @property
    def kiai(self) -> bool:
        return bool(self.effects & KIAI)

    @property
    def omit_first_barline(self) -> bool:
        return bool(self.effects & OMIT_FIRST_BARLINE)

    @property
    def bpm(self) -> float | None:
        """Beats per minute of a red line; None for a green line."""
        return 60000.0 / self.beat_length if self.uninherited and self.beat_length else None

    def slider_velocity(self, mode: int = 0) -> float:
        """SV multiplier of a green line, clamped as osu! clamps it (0.1–10; 0.01–10 in taiko/mania); 1 for a
        red line or a NaN beat length."""
        if self.uninherited or math.isnan(self.beat_length) or self.beat_length >= 0:
            return 1.0
        low, high = SV_RANGE_SCROLLING if mode in (1, 3) else SV_RANGE_STANDARD
        return min(max(100.0 / -self.beat_length, low), high)


def parse_timing_point(text: str, default_sample_set: int = 0, default_volume: int = 100,
                       line: int | None = None) -> TimingPoint:
    """Read one line (comment and terminator already removed); ValueError/IndexError when osu! skips it."""
    split = text.split(",")
    if len(split) < 2:
        raise ValueError("a timing point needs at least time and beat length")
    time = parse_float(split[0])
    beat_length = parse_float(split[1], allow_nan=True)
    count = len(split)
    meter = 4
    if count >= 3:
        if not split[2]:
            raise ValueError("the meter field is empty")
        if split[2][0] != "0":
            meter = parse_int(split[2])
            if meter < 1:
                raise ValueError(f"meter {meter} is not a positive number of beats")
    sample_set = parse_int(split[3]) if count >= 4 else default_sample_set
    sample_index = parse_int(split[4]) if count >= 5 else 0
    volume = parse_int(split[5]) if count >= 6 else default_volume
    if count >= 7 and not split[6]:
        raise ValueError("the uninherited field is empty")
    uninherited = split[6][0] == "1" if count >= 7 else True
    effects = parse_int(split[7]) if count >= 8 else 0
    if uninherited and math.isnan(beat_length):
        raise ValueError("a red (uninherited) line cannot have a NaN beat length")
    return _new_point(time, beat_length, meter, sample_set, sample_index, volume, uninherited, effects, count, line)


_new_point = fast_constructor(TimingPoint)

# Eight fields: two decimals of at most 9 integer digits (so within int32), then the tail: a meter that does
# not start with 0 (one that does is read as 4), three unsigned ints, 0 or 1, an unsigned int.
# `(?m)^(?:PLAIN|[^\r\n]*+)\r?$` matches each line exactly once (see `hitobjects._PLAIN_LINES`).
_PLAIN_LINES = re.compile(rb"^(?:(-?\d{1,9}+(?:\.\d++)?),(-?\d{1,9}+(?:\.\d++)?),"
                          rb"([1-9]\d{0,8}+,\d{1,9}+,\d{1,9}+,\d{1,9}+,[01],\d{1,9}+)|[^\r\n]*+)\r?$", re.MULTILINE)

PlainRow = tuple[bytes, bytes, bytes]
# meter, sample_set, sample_index, volume, uninherited, effects
PointTail = tuple[int, int, int, int, bool, int]


def plain_point_rows(data: bytes) -> list[PlainRow]:
    """One row per line of `data` (lines ending in "\\n" or "\\r\\n"): (time, beat length,
    the six other fields) of a plain line, time == b"" for any other line (read those with
    `parse_timing_point`). Bytes, as `hitobjects.plain_object_rows` reads them."""
    return _PLAIN_LINES.findall(data)


def read_point_rows(rows: list[PlainRow], first_line: int, read_other: Callable[[int], TimingPoint | None],
                    skipped: list[tuple[int, Exception]]) -> list[TimingPoint]:
    """`hitobjects.read_object_rows` for timing points: `parse_timing_point` of each line, plain ones built here
    (a map repeats a few dozen tails: each is read once per call)."""
    points: list[TimingPoint] = []
    tails: dict[bytes, PointTail] = {}
    known_tail = tails.get
    line = first_line - 1
    for time, beat_length, tail_text in rows:
        line += 1
        if time:
            tail = known_tail(tail_text)
            if tail is None:
                meter, sample_set, sample_index, volume, uninherited, effects = map(int, tail_text.split(b","))
                tail = tails[tail_text] = (meter, sample_set, sample_index, volume, uninherited == 1, effects)
            meter, sample_set, sample_index, volume, uninherited, effects = tail
            points.append(_new_point(float(time), float(beat_length), meter, sample_set, sample_index, volume,
                                     uninherited, effects, 8, line))
            continue
        try:
            point = read_other(line)
        except (ValueError, IndexError) as error:
            skipped.append((line, error))
            continue
        if point is not None:
            points.append(point)
    return points


def format_timing_point(point: TimingPoint) -> str:
    """Stable's spelling of a point with its `field_count` fields (8 for a new point)."""
    fields = [format_number(point.time), format_number(point.beat_length), str(point.meter),
              str(point.sample_set), str(point.sample_index), str(point.volume),
              "1" if point.uninherited else "0", str(point.effects)]
    return ",".join(fields[:max(2, min(point.field_count, 8))])


@dataclass(frozen=True, slots=True)
class TimingIndex:
    """Lookups over the points of one beatmap: the red line and the SV in effect at a time."""

    points: tuple[TimingPoint, ...]
    uninherited: tuple[TimingPoint, ...]
    uninherited_times: tuple[float, ...]
    changes: tuple[TimingPoint, ...]
    change_times: tuple[float, ...]

    @classmethod
    def build(cls, points: Sequence[TimingPoint]) -> TimingIndex:
        ordered = sorted(points, key=lambda p: p.time)
        red = tuple(p for p in ordered if p.uninherited)
        # At one time a green line overrides the red line's SV 1 whatever their file order (lazer).
        changes = tuple(sorted(ordered, key=lambda p: (p.time, not p.uninherited)))
        return cls(tuple(points), red, tuple(p.time for p in red), changes, tuple(p.time for p in changes))

    def uninherited_at(self, time: float) -> TimingPoint | None:
        """The red line in effect at `time`; the first red line before it; None when the map has none."""
        if not self.uninherited:
            return None
        index = bisect_right(self.uninherited_times, time) - 1
        return self.uninherited[max(index, 0)]

    def point_at(self, time: float) -> TimingPoint | None:
        """The last point (red or green) at or before `time`, None before the first."""
        index = bisect_right(self.change_times, time) - 1
        return self.changes[index] if index >= 0 else None

    def beat_length_at(self, time: float) -> float:
        """ms per beat in effect, clamped to 6–60000 as lazer does; 1000 (60 BPM) without red lines."""
        point = self.uninherited_at(time)
        if point is None:
            return 1000.0
        return min(max(point.beat_length, BEAT_LENGTH_RANGE[0]), BEAT_LENGTH_RANGE[1])

    def slider_velocity_at(self, time: float, mode: int = 0) -> float:
        """SV multiplier in effect (1 before the first green line and after each red line)."""
        point = self.point_at(time)
        return point.slider_velocity(mode) if point is not None else 1.0
