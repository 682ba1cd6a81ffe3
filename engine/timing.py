"""Timing for generated maps: timing lines, their edits, red lines from beat events, and resnapping.

A generated map gets its timing from the model's BEAT / MEASURE / TIMING_POINT events
(`timing_from_events`, pipeline.md §4.1) and its green lines from the post-processor's edits
(`add_change`, a port of Mapping Tools' TimingPointsChange, §3.7). Event times are then moved onto that
grid (`resnap`, §3.2). Everything follows the reference implementation closely enough that its golden
outputs are reproduced exactly, including where it compares offsets in seconds with a 2 ms tolerance.

`TimingLine` is deliberately mutable: the algorithms edit lines in place (a red line's BPM is refined
as later beats arrive; a volume change is propagated to every later line). Callers that keep their
own lines pass copies (`copy_lines`). This module never reads or writes files and never runs the model.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import cmp_to_key

from engine.events import TIMING_TYPES, Event, EventType

TIMING_LENIENCY_MS = 20.0  # v30/v32 default (v28/v29: 3 ms)
FUZZINESS_MS = 2.0  # add_change treats lines this close as "on" the change
RESNAP_MARGIN_MS = 20
_BPM_STEPS = (1, 2, 10, 100, 1000)  # BPM rounded to 1, 0.5, 0.1, 0.01, 0.001
_IGNORED_DIVISORS = {1: (), 4: (2,), 6: (2, 3), 8: (4,), 9: (3,), 10: (2, 5), 12: (4, 6), 14: (2, 7),
                     15: (3, 5), 16: (8,)}


@dataclass(eq=False)
class TimingLine:
    """One timing point as the post-processor edits it; `parent` is None for a red (uninherited) line."""

    offset: float  # ms
    beat_length: float  # ms per beat (red) or −100/SV (green)
    meter: int = 4
    sample_set: int = 2
    sample_index: int = -1
    volume: int = 100
    parent: TimingLine | None = field(default=None, repr=False)
    kiai: bool = False

    @property
    def uninherited(self) -> bool:
        return self.parent is None

    @property
    def red(self) -> TimingLine:
        """The red line that governs this one (itself for a red line)."""
        return self if self.parent is None else self.parent

    def pack(self) -> str:
        """The [TimingPoints] line: `offset,beatLength,meter,sampleSet,sampleIndex,volume,uninherited,effects`."""
        return (f"{math.floor(self.offset)},{format_number(self.beat_length)},{self.meter},{self.sample_set},"
                f"{self.sample_index},{self.volume},{int(self.uninherited)},{int(self.kiai)}")

    def same_effect(self, other: TimingLine) -> bool:
        return (self.beat_length == other.beat_length and self.meter == other.meter
                and self.sample_set == other.sample_set and self.sample_index == other.sample_index
                and self.volume == other.volume and self.uninherited == other.uninherited
                and self.kiai == other.kiai)


def format_number(value: float) -> str:
    """Integral values without a fraction (`300`, `-100`), others as Python's shortest repr."""
    value = float(value)
    return str(int(value)) if value.is_integer() else repr(value)


def red_line(offset: float, beat_length: float, meter: int = 4) -> TimingLine:
    """A red line with the post-processor's defaults (soft samples, volume 100)."""
    return TimingLine(offset, beat_length, meter)


def copy_lines(lines: Iterable[TimingLine]) -> list[TimingLine]:
    """Independent copies, with green lines re-parented onto the copied red lines."""
    copies: dict[int, TimingLine] = {}
    out = []
    for line in lines:
        new = replace(line)
        copies[id(line)] = new
        out.append(new)
    for new in out:
        if new.parent is not None and id(new.parent) in copies:
            new.parent = copies[id(new.parent)]
    return out


def _compare(a: TimingLine, b: TimingLine) -> int:
    if a is b:
        return 0
    if a.offset != b.offset:
        return -1 if a.offset < b.offset else 1
    return int(b.uninherited) - int(a.uninherited)  # red lines first at equal offsets


def sort_lines(lines: Iterable[TimingLine]) -> list[TimingLine]:
    """By offset, red lines before green lines at the same offset (stable otherwise)."""
    return sorted(lines, key=cmp_to_key(_compare))


def line_at(time: float, lines: Sequence[TimingLine]) -> TimingLine:
    """The last line (in list order) at or before `time`, else the first line."""
    for line in reversed(lines):
        if line.offset <= time:
            return line
    return lines[0]


def red_line_after(time: float, lines: Sequence[TimingLine]) -> TimingLine | None:
    return next((line for line in lines if line.offset > time and line.uninherited), None)


def _seconds(ms: float) -> float:
    """An offset as `timedelta.total_seconds()` gives it (microsecond resolution)."""
    return round(ms * 1000) / 1_000_000


@dataclass(frozen=True)
class Change:
    """Which fields of `line` a change sets (Mapping Tools' TimingPointsChange flags)."""

    line: TimingLine
    beat_length: bool = False
    meter: bool = False
    sample_set: bool = False
    sample_index: bool = False
    volume: bool = False
    uninherited: bool = False
    kiai: bool = False


def add_change(lines: list[TimingLine], change: Change, all_after: bool = False) -> list[TimingLine]:
    """Apply one change (pipeline.md §3.7): edit the lines within 2 ms, or add a red or green line.

    Returns the new sorted list; the lines themselves are edited in place.
    """
    new = change.line
    prev: TimingLine | None = None
    on: list[TimingLine] = []
    for line in lines:
        if line.offset < new.offset and (prev is None or line.offset >= prev.offset):
            prev = line
        if math.isclose(_seconds(line.offset), _seconds(new.offset), abs_tol=FUZZINESS_MS / 1000):
            on.append(line)
    on_has_red = any(line.uninherited for line in on)
    on_has_green = any(not line.uninherited for line in on)
    if on:
        prev = on[-1]

    adding: TimingLine | None = None
    if change.uninherited and not on_has_red:
        adding = replace(new if prev is None else prev, offset=new.offset, parent=None)
        on.append(adding)
    if not change.uninherited and (not on or (change.beat_length and not on_has_green)):
        if prev is None:
            prev = _red_line_before(lines, new.offset)
        adding = replace(prev, offset=new.offset, parent=prev.red)
        if prev.uninherited:
            adding.beat_length = -100
        on.append(adding)

    for line in on:
        if change.beat_length and change.uninherited == line.uninherited:
            line.beat_length = new.beat_length
        if change.meter and change.uninherited and line.uninherited:
            line.meter = new.meter
        _apply_sound_and_kiai(change, line)

    if adding is not None and (prev is None or not adding.same_effect(prev) or change.uninherited):
        lines.append(adding)

    if all_after:
        for line in lines:
            if line.offset > new.offset:
                _apply_sound_and_kiai(change, line)
    return sort_lines(lines)


def _red_line_before(lines: list[TimingLine], time: float) -> TimingLine:
    """A green line needs a red line at or before it: move the first one back by whole measures, or add one
    (1000 ms, 4/4) when there is none (pipeline.md §3.7)."""
    red = next((line for line in sort_lines(lines) if line.uninherited), None)
    if red is None or red.beat_length <= 0 or not math.isfinite(red.beat_length):
        red = red_line(time, 1000)
        lines.append(red)
        return red
    measure = red.beat_length * max(red.meter, 1)
    red.offset -= math.ceil((red.offset - time) / measure) * measure
    return red


def _apply_sound_and_kiai(change: Change, line: TimingLine) -> None:
    """The fields a change also carries to later lines: sample set and index, volume, kiai."""
    new = change.line
    if change.sample_set:
        line.sample_set = new.sample_set
    if change.sample_index:
        line.sample_index = new.sample_index
    if change.volume:
        line.volume = new.volume
    if change.kiai:
        line.kiai = new.kiai


def set_volume(lines: list[TimingLine], time: float, volume: int) -> list[TimingLine]:
    """Volume (and sample index −1) from `time` on."""
    return add_change(lines, Change(TimingLine(time, -100, volume=volume), volume=True, sample_index=True), True)


def set_slider_velocity(lines: list[TimingLine], time: float, sv: float) -> list[TimingLine]:
    """A green line's SV at `time` (0 is ignored)."""
    if sv == 0:
        return lines
    return add_change(lines, Change(TimingLine(time, -100 / sv + 1e-10), beat_length=True), True)


def set_kiai(lines: list[TimingLine], time: float, kiai: bool) -> list[TimingLine]:
    return add_change(lines, Change(TimingLine(time, -100, kiai=kiai), kiai=True), True)


# --- resnapping (pipeline.md §3.2) ---------------------------------------------------------------


def resnap(time: float, lines: Sequence[TimingLine], divisor: int) -> float:
    """The nearest 1/divisor tick (not a coarser one) of the red lines around `time`."""
    if not lines:
        return time
    cur = line_at(time, lines).red
    cur_t = round(cur.offset)
    before = line_at(cur_t - 1, lines).red
    after = red_line_after(time, lines)
    after_t = round(after.offset) if after is not None else math.inf

    def ticks(line: TimingLine) -> set[int]:
        line_t = round(line.offset)

        def of(d: int) -> set[int]:
            per_tick = line.beat_length / d
            rest = (time - line_t) % per_tick
            return {int(time - rest - per_tick), int(time - rest), int(time - rest + per_tick),
                    int(time - rest + 2 * per_tick)}

        result = of(divisor)
        for coarser in _IGNORED_DIVISORS.get(divisor, (1,)):
            result -= of(coarser)
        return result

    candidates = {t for t in ticks(cur) if cur_t - RESNAP_MARGIN_MS <= t <= after_t + RESNAP_MARGIN_MS}
    candidates |= {t for t in ticks(before) if t <= cur_t + RESNAP_MARGIN_MS}
    if after is not None:
        candidates |= {t for t in ticks(after) if t >= after_t - RESNAP_MARGIN_MS}
    if not candidates:
        return time
    return min(candidates, key=lambda t: abs(t - time))


def resnap_events(events: Sequence[Event], lines: Sequence[TimingLine]) -> list[Event]:
    """Move each TIME_SHIFT followed by SNAPPING d > 0 onto the nearest 1/d tick."""
    lines = sort_lines(lines)
    out = []
    for i, event in enumerate(events):
        if event.type == EventType.TIME_SHIFT and i + 1 < len(events) and events[i + 1].type == EventType.SNAPPING \
                and events[i + 1].value > 0:
            event = Event(EventType.TIME_SHIFT, int(resnap(event.value, lines, events[i + 1].value)))
        out.append(event)
    return out


# --- red lines from beat events (pipeline.md §4.1) ------------------------------------------------


@dataclass
class _Marker:
    time: int
    is_measure: bool
    is_red: bool
    beats: float  # beats since the previous marker (0 for a timing point until estimated)


def _is_snapped(time: float, grid_time: float, leniency: float) -> bool:
    return abs(time - grid_time) <= leniency


def ms_per_beat(duration: float, beats: float, leniency: float) -> float:
    """duration/beats with the BPM rounded to 1, 0.5, 0.1, 0.01 or 0.001 when that stays within leniency."""
    if beats == 0 or duration == 0:
        return 1000
    mpb = duration / beats
    bpm = 60000 / mpb
    if bpm < 1:
        return 1000
    for step in _BPM_STEPS:
        rounded = 60000 / (round(bpm * step) / step)
        if _is_snapped(duration, rounded * beats, leniency):
            return rounded
    return mpb


def _fits(mpb: float, markers: Sequence[_Marker], red: TimingLine, leniency: float) -> bool:
    red_t = round(red.offset)
    beats = 0.0
    for m in markers:
        beats += m.beats
        if not _is_snapped(m.time, red_t + mpb * beats, leniency):
            return False
    return True


def _human_round(mpb: float, markers: Sequence[_Marker], red: TimingLine, leniency: float) -> float:
    if mpb == 0 or mpb > 60000:
        return mpb
    bpm = 60000 / mpb
    for step in _BPM_STEPS:
        rounded = 60000 / (round(bpm * step) / step)
        if _fits(rounded, markers, red, leniency):
            return rounded
    return mpb


def _markers(events: Sequence[Event], types_first: bool) -> list[_Marker]:
    """One marker per beat event next to its TIME_SHIFT (after it when types_first, else before it).

    Like the reference, index −1 wraps to the last event for a beat event at the very start.
    """
    step = 1 if types_first else -1
    markers = []
    for i, event in enumerate(events):
        j = i + step
        if event.type in TIMING_TYPES and j < len(events) and events[j].type == EventType.TIME_SHIFT:
            markers.append(_Marker(int(events[j].value), event.type == EventType.MEASURE,
                                   event.type == EventType.TIMING_POINT,
                                   0 if event.type == EventType.TIMING_POINT else 1))
    markers.sort(key=lambda m: m.time)
    return markers


def timing_from_events(events: Sequence[Event], types_first: bool = False,
                       leniency: float = TIMING_LENIENCY_MS) -> list[TimingLine]:
    """Red lines (BPM, offset, meter) fitted to the beat, measure and timing-point events.

    `events` hold absolute TIME_SHIFTs; other event types are ignored. No beat events → [].
    """
    markers = _markers(events, types_first)
    if not markers:
        return []

    lines: list[TimingLine] = []
    for m in markers:
        if m.is_red:
            lines = add_change(lines, Change(red_line(m.time, 1000), uninherited=True), True)
    if not lines:
        lines = [red_line(markers[0].time, 1000)]

    # Meters: a measure marker that closes a bar of the wrong length fixes or adds a red line.
    counter, last_measure = 0, markers[0].time
    for m in markers:
        if m.is_red:
            counter, last_measure = 0, m.time
            continue
        red = line_at(m.time - 1, lines).red
        red_t = round(red.offset)
        if red_t == m.time:
            continue
        counter += 1
        if not m.is_measure:
            continue
        if red.meter != counter:
            if last_measure <= red_t:
                red.meter = counter
            else:
                lines = add_change(lines, Change(red_line(last_measure, 1000, counter), meter=True,
                                                 uninherited=True), True)
        counter, last_measure = 0, m.time

    # Beat lengths: fit each red line to its markers; split where one BPM cannot hold them.
    counter, last_mpb = 0, 1000.0
    for m in markers:
        time = m.time
        red = line_at(time - 1, lines).red
        red_t = round(red.offset)
        if red_t == time:
            counter = 0
            continue
        inside = [o for o in markers if red_t + 1 <= o.time < time] + [m]
        if m.beats == 0:
            if len(inside) != 1:
                counter = 0
                continue
            estimate = (time - red_t) / last_mpb
            m.beats = min((round(estimate), 1, 1 / 2, 1 / 4, 1 / 8, 1 / 16), key=lambda b: abs(b - estimate))

        def fit(ms: Sequence[_Marker], origin: float) -> float:
            return ms_per_beat(ms[-1].time - origin, sum(o.beats for o in ms), 0)

        mpb = fit(inside, red_t)
        if _fits(mpb, inside, red, leniency):
            mpb = _human_round(mpb, inside, red, leniency)
            red.beat_length = mpb
        elif len(inside) > 1:
            def loss(ms: Sequence[_Marker], origin: float) -> float:
                grid = fit(ms, origin)
                total, beats = 0.0, 0.0
                for o in ms:
                    beats += o.beats
                    total += (o.time - (origin + beats * grid)) ** 2
                return total / len(ms)

            best_loss, best = math.inf, len(inside) - 1
            for i in range(1, len(inside)):
                split = inside[i - 1]
                if not split.is_measure and i != len(inside) - 1:
                    continue
                value = loss(inside[:i], red_t) + loss(inside[i:], split.time)
                if value < best_loss:
                    best_loss, best = value, i
            if best < len(inside) - 1:
                red.beat_length = _human_round(fit(inside[:best], red_t), inside[:best], red, leniency)
            start = inside[best - 1].time
            mpb = ms_per_beat(time - start, sum(o.beats for o in inside[best:]), leniency)
            lines = add_change(lines, Change(red_line(start, mpb), beat_length=True, uninherited=True), True)
            counter = 0
            for i in range(len(inside) - 2, best - 1, -1):
                if inside[i].is_measure:
                    break
                counter += 1

        last_mpb = mpb
        counter += 1
        red = line_at(time, lines).red
        if round(red.offset) == time:
            counter = 0
        if m.is_measure:
            if counter % red.meter != 0:
                lines = add_change(lines, Change(red_line(time, red.beat_length, red.meter), beat_length=True,
                                                 uninherited=True), True)
            counter = 0
    return lines


def median_beat_length(lines: Sequence[TimingLine], last_time: float) -> float:
    """osu! stable's "median" beat length of timing lines: see `longest_beat_length`."""
    return longest_beat_length([(int(_whole_seconds(line.offset) * 1000), line.beat_length, line.uninherited)
                                for line in lines], last_time)


def longest_beat_length(lines: Sequence[tuple[int, float, bool]], last_time: float) -> float:
    """osu! stable's "median" beat length: the one lasting longest up to `last_time`.

    `lines` are (offset in whole seconds as ms, beat length, uninherited) in file order; the tokenizer's
    contexts and the post-processor both need this exact reading, quirks included.
    """
    beat_length, durations = 0.0, {}
    for i in range(len(lines) - 1, -1, -1):
        offset, length, uninherited = lines[i]
        if uninherited:
            beat_length = length
        if beat_length == 0 or offset > last_time or (not uninherited and i > 0):
            continue
        durations[beat_length] = durations.get(beat_length, 0) + int(last_time - (0 if i == 0 else offset))
        last_time = offset
    longest, median = 0, 0.0
    for length, duration in durations.items():
        if duration > longest:
            longest, median = duration, length
    return median


def _whole_seconds(ms: float) -> int:
    """`timedelta.seconds` of an offset: whole seconds, floored (negative offsets wrap as timedelta does)."""
    return math.floor(ms / 1000) % 86400
