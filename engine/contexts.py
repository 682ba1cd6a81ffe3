"""Beatmap → the event lists of each context (timing, map, sv, kiai), as the checkpoints were trained.

Follows the reference tokenizer (`OsuParser`, model.md §4.6–4.7, pipeline.md §2.5) including the
parts that came from the `slider` library it read beatmaps with, because the models learned exactly
these events:

* timing points are looked up in *file order* (the last line at or before a time, else the first),
  and a green line's red line is the last red line above it in the file;
* times are `timedelta`s: an object time is whole ms, spans are `(end − start)/repeats` rounded to
  µs, and an event's ms value is `int(seconds·1000 + 1e-5)` (so negative times land 1 ms late);
* timing lines with fewer than 4 fields have sample set 0, fewer than 6 fields volume 1;
* the median beat length of the SV context counts whole seconds (`timedelta.seconds`).

Two deliberate differences, both where the reference fails: beats of red lines shorter than 6 ms
(osu!'s floor) are spaced 6 ms apart instead of looping for ever, and a slider under a NaN green line
has length 0 in time (as newer versions of the `slider` library do) and a NaN green line scrolls at
1 in the SV context, instead of raising.

Hold notes, which the reference's library could not read, are encoded as model.md §4.7 describes.
This module never writes files and never maps events to ids.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

import numpy as np

from engine.events import ContextEvents, ContextType, Event, EventType, VersionProfile
from engine.osu import Beatmap, Circle, HitObject, HitSample, HoldNote, Slider, Spinner, TimingPoint
from engine.prompts import Conditioning
from engine.sliders import BEZIER, CATMULL, LINEAR, PERFECT, SliderPath
from engine.timing import longest_beat_length
from engine.tokenizer import Tokenizer

PLAYFIELD_CENTRE = (256.0, 192.0)
POSITION_RANGE = (-256, 768, -256, 640)  # x min, x max, y min, y max in osu! pixels
MAX_CONTROL_POINTS = 100  # sliders with more points were left out of training
MIN_BEAT_LENGTH = 6.0  # ms; osu!'s own floor. Gimmick red lines (1e-46 ms) would give endless beats
SCROLL_SPEED_TOLERANCE = 1e-3  # smaller changes of the normalised scroll speed are not events
_ONE_MS = timedelta(milliseconds=1)
_HITSOUND_LOOKAHEAD = timedelta(milliseconds=5)
_ANCHOR_OF_KIND = {LINEAR: EventType.RED_ANCHOR, CATMULL: EventType.CATMULL_ANCHOR,
                   PERFECT: EventType.PERFECT_ANCHOR}


def event_ms(time: timedelta) -> int:
    """A time as the events carry it: int(ms + 1e-5), truncating toward zero."""
    return int(time.total_seconds() * 1000 + 1e-5)


@dataclass(frozen=True)
class _Line:
    """A timing line with the reference's reading of it."""

    offset: timedelta
    beat_length: float
    meter: int
    sample_set: int
    volume: int
    kiai: bool
    red: _Line | None  # None for a red line (or a green line before any red line)


class _Timing:
    """Timing lookups in file order, as the `slider` library does them."""

    def __init__(self, points: Sequence[TimingPoint], source: str | None = None) -> None:
        self.source = source or "beatmap"
        lines: list[_Line] = []
        red: _Line | None = None
        for p in points:
            line = _Line(
                offset=timedelta(milliseconds=p.time), beat_length=p.beat_length, meter=p.meter,
                sample_set=p.sample_set if p.field_count >= 4 else 0,
                volume=min(max(p.volume if p.field_count >= 6 else 1, 0), 100),
                kiai=p.effects != 0, red=None if p.uninherited else red,
            )
            if line.red is None:
                red = line
            lines.append(line)
        self.lines = lines
        # The last line in file order at or before t: sort by offset, keep the running max file index.
        order = sorted(range(len(lines)), key=lambda i: lines[i].offset)
        self._offsets = [lines[i].offset for i in order]
        self._latest = _running_max(order)

    def at(self, time: timedelta) -> _Line:
        if not self.lines:
            raise ValueError(f"{self.source}: [TimingPoints] is empty; add a red line in the editor first")
        k = bisect.bisect_right(self._offsets, time)
        return self.lines[self._latest[k - 1]] if k else self.lines[0]

    def red_at(self, time: timedelta) -> _Line:
        line = self.at(time)
        return line.red or line

    def scroll_speed_at(self, time: timedelta) -> float:
        line = self.at(time)
        if line.red is None or line.beat_length >= 0 or math.isnan(line.beat_length):
            return 1.0
        return float(np.clip(-100 / line.beat_length, 0.01, 10))


def _running_max(values: Sequence[int]) -> list[int]:
    out, best = [], -1
    for v in values:
        best = max(best, v)
        out.append(best)
    return out


def _start(obj: HitObject) -> timedelta:
    """An object's time as the reference read it: whole milliseconds."""
    return timedelta(milliseconds=int(obj.time))


def _end(obj: Spinner | HoldNote) -> timedelta:
    return timedelta(milliseconds=int(obj.end))


def _head(obj: HitObject) -> np.ndarray:
    """An object's position as the reference read it: whole pixels."""
    return np.array((int(obj.x), int(obj.y)))


def _sample(obj_sample: HitSample | None) -> tuple[int, int, int]:
    """(normal set, addition set, volume) of a hitSample field; zeros when absent."""
    if obj_sample is None:
        return 0, 0, 0
    return obj_sample.normal_set, obj_sample.addition_set, obj_sample.volume


class _MapEncoder:
    """Builds the event groups of one beatmap for one version profile (model.md §4.7)."""

    def __init__(self, beatmap: Beatmap, profile: VersionProfile) -> None:
        self.beatmap = beatmap
        self.profile = profile
        self.mode = beatmap.mode
        self.timing = _Timing(beatmap.timing_points, beatmap.path)
        self.events: list[Event] = []
        self.times: list[int] = []
        self.owners: list[int] = []  # per event: the index of the hit object it encodes (-1: none)
        self._owner = -1

    def _emit(self, event: Event, time_ms: int) -> None:
        self.events.append(event)
        self.times.append(time_ms)
        self.owners.append(self._owner)

    # --- one group ------------------------------------------------------------------------------

    def group(self, event_type: EventType, time: timedelta, *, value: int = 0, timed: bool = False,
              snap: bool = True, pos: np.ndarray | None = None, last_pos: np.ndarray | None = None,
              new_combo: bool = False, scroll_speed: float | None = None,
              hitsounds: Sequence[tuple[timedelta, int, tuple[int, int, int]]] = ()) -> np.ndarray | None:
        """One group: [TYPE] T S pos NC SV (HS VOL)… [TYPE]; returns the new last position."""
        time_ms = event_ms(time)
        types_first = self.profile.types_first
        if types_first:
            self._emit(Event(event_type, value), time_ms)
        if timed:
            self._emit(Event(EventType.TIME_SHIFT, time_ms), time_ms)
            if snap:
                self._emit(Event(EventType.SNAPPING, self._snapping(time)), time_ms)
        if pos is not None:
            if self.mode in (0, 2):
                last_pos = self._position(pos, last_pos, time_ms)
            elif self.mode == 3:
                columns = int(self.beatmap.difficulty.circle_size)
                column = int(np.clip(pos[0] / 512 * columns, 0, columns - 1))
                self._emit(Event(EventType.MANIA_COLUMN, column), time_ms)
        if new_combo and self.mode in (0, 2):
            self._emit(Event(EventType.NEW_COMBO), time_ms)
        if scroll_speed is not None:
            self._emit(Event(EventType.SCROLL_SPEED, round(np.clip(scroll_speed, 0.01, 10) * 100)), time_ms)
        for ref_time, hitsound, sample in hitsounds:
            self._hitsound(ref_time, hitsound, sample, time_ms)
        if not types_first:
            self._emit(Event(event_type, value), time_ms)
        return last_pos

    def _snapping(self, time: timedelta) -> int:
        """Smallest divisor 1..16 whose tick lies within 2 ms of the time, else 0."""
        red = self.timing.red_at(time)
        beats = (time - red.offset).total_seconds() * 1000 / red.beat_length
        for divisor in range(1, 17):
            if abs(beats - round(beats * divisor) / divisor) * red.beat_length < 2:
                return divisor
        return 0

    def _position(self, pos: np.ndarray, last_pos: np.ndarray | None, time_ms: int) -> np.ndarray:
        p = self.profile
        if p.add_distances:
            delta = pos - last_pos
            self._emit(Event(EventType.DISTANCE, int(np.clip(np.linalg.norm(delta), 0, 640))), time_ms)
        precision = p.position_precision
        x_min, x_max, y_min, y_max = POSITION_RANGE
        qx = int(np.clip(pos[0] / precision, x_min / precision, x_max / precision))
        qy = int(np.clip(pos[1] / precision, y_min / precision, y_max / precision))
        if p.position_split_axes:
            self._emit(Event(EventType.POS_X, qx), time_ms)
            self._emit(Event(EventType.POS_Y, qy), time_ms)
        else:
            cell = (qx - x_min / precision) + (qy - y_min / precision) * ((x_max - x_min) / precision + 1)
            self._emit(Event(EventType.POS, int(cell)), time_ms)
            if p.position_refinement:
                refine = (pos % precision) // p.position_refinement
                per_row = precision // p.position_refinement
                self._emit(Event(EventType.POS_REFINE, int(refine[0] + refine[1] * per_row)), time_ms)
        return pos

    def _hitsound(self, ref_time: timedelta, hitsound: int, sample: tuple[int, int, int], time_ms: int) -> None:
        line = self.timing.at(ref_time + _HITSOUND_LOOKAHEAD)
        normal, addition, volume = sample
        sample_set = normal if normal != 0 else (line.sample_set if line.sample_set != 0 else 2)
        addition_set = addition if addition != 0 else sample_set
        volume = volume if volume != 0 else line.volume
        sample_set = sample_set if 0 < sample_set < 4 else 1
        addition_set = addition_set if 0 < addition_set < 4 else 1
        value = (hitsound & 14) // 2 + 8 * (sample_set - 1) + 24 * (addition_set - 1)
        self._emit(Event(EventType.HITSOUND, value), time_ms)
        self._emit(Event(EventType.VOLUME, int(np.clip(volume, 0, 100))), time_ms)

    def sustains(self, event_type: EventType, start: timedelta, end: timedelta, pos: np.ndarray | None = None) -> None:
        """Time-only groups every sustain interval after start while before end − 10 ms (v32)."""
        if not self.profile.sustain_interval_ms:
            return
        interval = timedelta(milliseconds=self.profile.sustain_interval_ms)
        time = start + interval
        while time < end - 10 * _ONE_MS:
            self.group(event_type, time, timed=True, snap=False, pos=pos)
            time += interval

    # --- objects --------------------------------------------------------------------------------

    def encode_objects(self) -> None:
        last_pos = np.array(PLAYFIELD_CENTRE)
        for self._owner, obj in enumerate(self.beatmap.hit_objects):
            if isinstance(obj, Circle):
                time = _start(obj)
                last_pos = self.group(
                    EventType.CIRCLE, time, timed=True, pos=_head(obj), last_pos=last_pos, new_combo=obj.new_combo,
                    hitsounds=[(time, obj.hit_sound, _sample(obj.hit_sample))],
                    scroll_speed=self.timing.scroll_speed_at(time) if self.mode == 1 else None)
            elif isinstance(obj, Slider) and self.mode == 1:
                self._drumroll(obj)
            elif isinstance(obj, Slider):
                last_pos = self._slider(obj, last_pos)
            elif isinstance(obj, Spinner) and self.mode == 1:
                self._denden(obj)
            elif isinstance(obj, Spinner):
                self._spinner(obj)
                last_pos = np.array(PLAYFIELD_CENTRE)
            elif isinstance(obj, HoldNote):
                last_pos = self._hold_note(obj)

    def slider_end_time(self, obj: Slider) -> timedelta:
        """head + int(beats · beat length) ms, with the SV of the line in effect (clipped 0.1–10)."""
        line = self.timing.at(_start(obj))
        if line.red is not None:
            velocity, beat_length = np.clip(-100 / line.beat_length, 0.1, 10), line.red.beat_length
        else:
            velocity, beat_length = 1, line.beat_length
        beats = (obj.length or 0.0) * obj.span_count / (self.beatmap.difficulty.slider_multiplier * 100 * velocity)
        if math.isnan(beats):  # a NaN green line; the library the models were trained with then uses 0
            beats = 0.0
        return _start(obj) + timedelta(milliseconds=int(beats * beat_length))

    def _slider(self, obj: Slider, last_pos: np.ndarray) -> np.ndarray:
        start = _start(obj)
        points = [(int(obj.x), int(obj.y))] + [(int(x), int(y)) for x, y in obj.control_points]
        if len(points) >= MAX_CONTROL_POINTS:
            return last_pos
        path = SliderPath(obj.curve_type, points, obj.length or 0.0)
        edge_sounds = obj.edge_sounds or ()
        edge_sets = [(n, a, 0) for n, a in obj.edge_sets or ()]
        repeats = obj.span_count
        end_time = self.slider_end_time(obj)
        span = (end_time - start) / repeats
        version = self.profile.slider_version

        last_pos = self.group(
            EventType.SLIDER_HEAD, start, timed=True, pos=_head(obj), last_pos=last_pos,
            new_combo=obj.new_combo,
            hitsounds=[(start, edge_sounds[0] if edge_sounds else 0, edge_sets[0] if edge_sets else (0, 0, 0))],
            scroll_speed=self.timing.scroll_speed_at(start) if self.profile.add_sv else None)

        for i, anchor_type in _anchors(path.kind, points):
            anchor_time = start + i / (len(points) - 1) * span if version == 1 else start
            last_pos = self.group(anchor_type, anchor_time, pos=np.array(points[i]), last_pos=last_pos)

        if version == 2:
            last_pos = self.group(EventType.LAST_ANCHOR, start, pos=np.array(points[-1]), last_pos=last_pos)
            self.sustains(EventType.SLIDER_SUSTAIN, start, start + span)

        body = [(start + _ONE_MS, obj.hit_sound, _sample(obj.hit_sample))]
        repeats_sounds = [(start + i * span, edge_sounds[i] if len(edge_sounds) > i else 0,
                           edge_sets[i] if len(edge_sets) > i else (0, 0, 0)) for i in range(1, repeats)]
        last_pos = self.group(
            EventType.LAST_ANCHOR, start + span, timed=True,
            pos=np.array(points[-1]) if version == 1 else None, last_pos=last_pos, hitsounds=body + repeats_sounds)
        self.sustains(EventType.SLIDER_REPEAT_SUSTAIN, start + span, end_time)

        return self.group(
            EventType.SLIDER_END, end_time, timed=True, pos=np.array(path.end_position), last_pos=last_pos,
            hitsounds=[(end_time, edge_sounds[-1] if edge_sounds else 0, edge_sets[-1] if edge_sets else (0, 0, 0))])

    def _spinner(self, obj: Spinner) -> None:
        start = _start(obj)
        end = _end(obj)
        self.group(EventType.SPINNER, start, timed=True)
        self.sustains(EventType.SPINNER_SUSTAIN, start, end)
        self.group(EventType.SPINNER_END, end, timed=True, hitsounds=[(end, obj.hit_sound, _sample(obj.hit_sample))])

    def _drumroll(self, obj: Slider) -> None:
        start, end_time = _start(obj), self.slider_end_time(obj)
        self.group(EventType.DRUMROLL, start, timed=True, scroll_speed=self.timing.scroll_speed_at(start),
                   hitsounds=[(start, obj.hit_sound, _sample(obj.hit_sample))])
        self.sustains(EventType.DRUMROLL_SUSTAIN, start, end_time)
        self.group(EventType.DRUMROLL_END, end_time, timed=True)

    def _denden(self, obj: Spinner) -> None:
        start = _start(obj)
        end = _end(obj)
        self.group(EventType.DENDEN, start, timed=True, scroll_speed=self.timing.scroll_speed_at(start),
                   hitsounds=[(start, obj.hit_sound, _sample(obj.hit_sample))])
        self.sustains(EventType.DENDEN_SUSTAIN, start, end)
        self.group(EventType.DENDEN_END, end, timed=True)

    def _hold_note(self, obj: HoldNote) -> np.ndarray:
        start, pos = _start(obj), _head(obj)
        end = _end(obj)
        self.group(EventType.HOLD_NOTE, start, timed=True, pos=pos,
                   hitsounds=[(start, obj.hit_sound, _sample(obj.hit_sample))])
        self.sustains(EventType.HOLD_NOTE_SUSTAIN, start, end, pos=pos)
        self.group(EventType.HOLD_NOTE_END, end, timed=True, pos=pos)
        return pos

    def time_order(self) -> list[int]:
        """Indices of the events so far, stably sorted by time: the order of every context."""
        return sorted(range(len(self.events)), key=self.times.__getitem__)

    def sorted_context(self, context_type: ContextType) -> ContextEvents:
        order = self.time_order()
        return ContextEvents(context_type, tuple(self.events[i] for i in order), tuple(self.times[i] for i in order))


def _anchors(kind: str, points: Sequence[tuple[int, int]]) -> list[tuple[int, EventType]]:
    """(point index, anchor type) of the inner control points; doubled bezier points count once (red)."""
    inner = range(1, len(points) - 1)
    if kind != BEZIER:
        return [(i, _ANCHOR_OF_KIND[kind]) for i in inner]
    anchors = []
    for i in inner:
        if points[i] == points[i + 1]:
            anchors.append((i, EventType.RED_ANCHOR))
        elif points[i] != points[i - 1]:
            anchors.append((i, EventType.BEZIER_ANCHOR))
    return anchors


def _merge(first: ContextEvents, second: ContextEvents) -> ContextEvents:
    """Merge two time-sorted lists; on equal times the first list's events come first."""
    events, times, i, j = [], [], 0, 0
    while i < len(first.events) and j < len(second.events):
        if first.times[i] <= second.times[j]:
            events.append(first.events[i]), times.append(first.times[i])
            i += 1
        else:
            events.append(second.events[j]), times.append(second.times[j])
            j += 1
    events += first.events[i:] + second.events[j:]
    times += first.times[i:] + second.times[j:]
    return ContextEvents(second.type, tuple(events), tuple(times))


_BEAT_EVENTS = {t: Event(t) for t in (EventType.TIMING_POINT, EventType.MEASURE, EventType.BEAT)}


def _last_object_ms(beatmap: Beatmap, encoder: _MapEncoder) -> float | None:
    """End of the last object in file order + 0.999 ms (the timing context's horizon)."""
    if not beatmap.hit_objects:
        return None
    obj = beatmap.hit_objects[-1]
    if isinstance(obj, Slider):
        end = encoder.slider_end_time(obj)
    elif isinstance(obj, (Spinner, HoldNote)):
        end = _end(obj)
    else:
        end = _start(obj)
    return end.total_seconds() * 1000 + 0.999


def timing_context(beatmap: Beatmap, profile: VersionProfile, song_length_ms: float | None = None) -> ContextEvents:
    """Beat groups per red line: TIMING_POINT (or MEASURE) on its first beat, MEASURE every meter beats."""
    encoder = _MapEncoder(beatmap, profile)
    lines = encoder.timing.lines
    if not lines:
        encoder.timing.at(timedelta(0))  # raises the error that names the file
    last_time = _last_object_ms(beatmap, encoder)
    if last_time is None:
        last_time = song_length_ms if song_length_ms is not None else lines[-1].offset.total_seconds() * 1000 + 10
    reds = [line for line in lines if line.beat_length > 0 and round(60000 / line.beat_length) != 0]
    events: list[Event] = []
    times: list[int] = []
    for k, red in enumerate(reds):
        stop = reds[k + 1].offset.total_seconds() * 1000 - 10 if k + 1 < len(reds) else last_time
        start = red.offset.total_seconds() * 1000
        beat_length = max(red.beat_length, MIN_BEAT_LENGTH)
        time, beat = start, 0
        while time <= stop:
            if profile.add_timing_points and beat == 0:
                event_type = EventType.TIMING_POINT
            else:
                event_type = EventType.MEASURE if beat % red.meter == 0 else EventType.BEAT
            time_ms = event_ms(timedelta(milliseconds=time))
            shift, kind = Event(EventType.TIME_SHIFT, time_ms), _BEAT_EVENTS[event_type]
            events += (kind, shift) if profile.types_first else (shift, kind)
            times += (time_ms, time_ms)
            beat += 1
            time = int(start + beat * beat_length)
    return ContextEvents(ContextType.TIMING, tuple(events), tuple(times))


def map_context(beatmap: Beatmap, profile: VersionProfile, song_length_ms: float | None = None) -> ContextEvents:
    """Every hit object as event groups (sorted by time); v30 also interleaves the timing beats."""
    encoder = _MapEncoder(beatmap, profile)
    encoder.encode_objects()
    result = encoder.sorted_context(ContextType.MAP)
    if profile.add_timing:
        result = _merge(timing_context(beatmap, profile, song_length_ms), result)
    return result


def hitsound_owners(beatmap: Beatmap, profile: VersionProfile) -> list[tuple[int, int]]:
    """For each HITSOUND event of `map_context`, in its order: (hit object index, which of that object's
    hitsound events it is: 0 for a circle, head/repeats/tail for a slider). Hitsounding fills exactly these
    slots, so the owners come from the encoder itself rather than being recomputed."""
    encoder = _MapEncoder(beatmap, profile)
    encoder.encode_objects()
    nth: list[int] = []  # per event: how many hitsound events its object emitted before it
    seen: dict[int, int] = {}
    for event, owner in zip(encoder.events, encoder.owners, strict=True):
        nth.append(seen.get(owner, 0))
        if event.type == EventType.HITSOUND:
            seen[owner] = nth[-1] + 1
    return [(encoder.owners[i], nth[i]) for i in encoder.time_order() if encoder.events[i].type == EventType.HITSOUND]


def _whole_seconds_ms(time: timedelta) -> int:
    return int(time.seconds * 1000)


def median_beat_length(beatmap: Beatmap, timing: _Timing) -> float:
    """The beat length that lasts longest up to the last object (osu! stable's rule, whole seconds)."""
    if not beatmap.hit_objects:
        return 0.0
    last = max(_end(o) if isinstance(o, HoldNote) else _start(o) for o in beatmap.hit_objects)
    return longest_beat_length([(_whole_seconds_ms(line.offset), line.beat_length, line.red is None)
                                for line in timing.lines], _whole_seconds_ms(last))


def _scroll_speeds(beatmap: Beatmap, timing: _Timing, normalise: bool) -> list[tuple[_Line, float]]:
    """(line, scroll speed) of the last line at each time; normalised = speed · median beat / beat."""
    lines = timing.lines
    median = median_beat_length(beatmap, timing)
    beat_length, speeds = median, []
    for i, line in enumerate(lines):
        if line.red is None:
            beat_length, speed = line.beat_length, 1.0
        else:
            speed = 1.0 if math.isnan(line.beat_length) else -100 / line.beat_length  # NaN: SV 1, as in osu!
        if i == len(lines) - 1 or lines[i + 1].offset > line.offset:
            speeds.append((line, speed * median / beat_length if normalise else speed))
    return speeds


def sv_context(beatmap: Beatmap, profile: VersionProfile) -> ContextEvents:
    """One SCROLL_SPEED_CHANGE group per change (> 1e-3) of the BPM-normalised scroll speed."""
    encoder = _MapEncoder(beatmap, profile)
    last = None
    for line, speed in _scroll_speeds(beatmap, encoder.timing, normalise=True):
        if last is None or abs(speed - last) > SCROLL_SPEED_TOLERANCE:
            encoder.group(EventType.SCROLL_SPEED_CHANGE, line.offset, timed=True, scroll_speed=speed)
        last = speed
    return ContextEvents(ContextType.SV, tuple(encoder.events), tuple(encoder.times))


def kiai_context(beatmap: Beatmap, profile: VersionProfile) -> ContextEvents:
    """One KIAI group per kiai toggle."""
    encoder = _MapEncoder(beatmap, profile)
    kiai = False
    for line in encoder.timing.lines:
        if line.kiai != kiai:
            encoder.group(EventType.KIAI, line.offset, value=int(line.kiai), timed=True)
            kiai = line.kiai
    return ContextEvents(ContextType.KIAI, tuple(encoder.events), tuple(encoder.times))


def without_hitsounds(ctx: ContextEvents) -> ContextEvents:
    """The NO_HS reference: a map context without its HITSOUND and VOLUME events."""
    kept = [(e, t) for e, t in zip(ctx.events, ctx.times) if e.type not in (EventType.HITSOUND, EventType.VOLUME)]
    return ContextEvents(ContextType.NO_HS, tuple(e for e, _ in kept), tuple(t for _, t in kept))


def as_context(ctx: ContextEvents, context_type: ContextType) -> ContextEvents:
    """The same events as another context type (the GD reference is the reference's map)."""
    return ContextEvents(context_type, ctx.events, ctx.times)


def beatmap_contexts(beatmap: Beatmap, profile: VersionProfile, types: Sequence[ContextType],
                     song_length_ms: float | None = None) -> list[ContextEvents]:
    """The given contexts of a beatmap, in the order asked for."""
    builders = {
        ContextType.TIMING: lambda: timing_context(beatmap, profile, song_length_ms),
        ContextType.MAP: lambda: map_context(beatmap, profile, song_length_ms),
        ContextType.NO_HS: lambda: without_hitsounds(map_context(beatmap, profile, song_length_ms)),
        ContextType.GD: lambda: as_context(map_context(beatmap, profile, song_length_ms), ContextType.GD),
        ContextType.SV: lambda: sv_context(beatmap, profile),
        ContextType.KIAI: lambda: kiai_context(beatmap, profile),
    }
    unknown = [t.value for t in types if t not in builders]
    if unknown:
        raise ValueError(f"cannot build context(s) {unknown} from a beatmap; known: timing, map, no_hs, gd, sv, kiai")
    return [builders[t]() for t in types]


def conditioning_from_beatmap(beatmap: Beatmap, tok: Tokenizer, difficulty: float | None = None) -> Conditioning:
    """What a beatmap says about itself (the reference's generation_config_from_beatmap).

    `difficulty` is the star rating, computed by the caller. Mapper and descriptors come from the
    checkpoint's tables by BeatmapID; descriptor classes without a name are left out.
    """
    mode = beatmap.mode
    objects = beatmap.hit_objects
    beatmap_id = beatmap.metadata.beatmap_id
    names = {idx: name for name, idx in tok.descriptor_idx.items()}
    descriptors = tuple(names[i] for i in tok.beatmap_descriptors.get(beatmap_id, ()) if i in names)
    return Conditioning(
        gamemode=mode,
        difficulty=difficulty,
        mapper_id=tok.beatmap_mapper.get(beatmap_id) if beatmap_id is not None else None,
        hitsounded=any(o.hit_sound != 0 for o in objects),
        circle_size=beatmap.difficulty.circle_size,
        slider_multiplier=beatmap.difficulty.slider_multiplier,
        keycount=int(beatmap.difficulty.circle_size) if mode == 3 else 4,
        hold_note_ratio=_hold_note_ratio(beatmap) if mode == 3 else None,
        scroll_speed_ratio=_scroll_speed_ratio(beatmap) if mode in (1, 3) else None,
        descriptors=descriptors,
    )


def _hold_note_ratio(beatmap: Beatmap) -> float | None:
    objects = beatmap.hit_objects
    return sum(isinstance(o, HoldNote) for o in objects) / len(objects) if objects else None


def _scroll_speed_ratio(beatmap: Beatmap) -> float | None:
    """Scroll speed changes (> 1e-3, from 1; normalised in mania) per change of object time."""
    times = []
    for o in beatmap.hit_objects:
        t = int(o.time)
        if not times or times[-1] != t:
            times.append(t)
    if not times:
        return None
    changes, last = 0, 1.0
    for _, speed in _scroll_speeds(beatmap, _Timing(beatmap.timing_points), normalise=beatmap.mode == 3):
        if abs(speed - last) > SCROLL_SPEED_TOLERANCE:
            changes += 1
        last = speed
    return changes / len(times)
