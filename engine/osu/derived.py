"""Values osu! computes from the file rather than reads from it: slider timing, mania columns, combo
numbers and colours, and the beat snap of a time.

Formulas follow lazer's legacy rules (spec §9, §11, §12): the red line in effect at an object's start gives
its beat length (the first red line before it), the last point at or before the start gives its SV (a
green line beats a red line at the same time; a red line resets SV to 1), SV and beat length are clamped as
osu! clamps them. Slider timing needs the slider's pixel length; when the file gives none (absent, 0 or
negative), or when the path ends on a repeated point (osu! then does not extend it to the written length),
the path must be measured — geometry, which lives in engine/sliders.py — so these functions take an optional
`path_length` measure and return None without one instead of guessing. Nothing here edits a document.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from engine.osu.document import Beatmap
from engine.osu.hitobjects import HitObject, HoldNote, Slider, Spinner
from engine.osu.timing import TimingIndex

BASE_SCORING_DISTANCE = 100.0
SLIDER_MULTIPLIER_RANGE = (0.4, 3.6)
SNAP_DIVISORS = (1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 16)
MANIA_KEY_RANGE = (1, 18)
LEGACY_OFFSET_MS = 24


def slider_velocity(beatmap: Beatmap, time: float) -> float:
    """osu!pixels per ms of a slider starting at `time`: 100 · SliderMultiplier · SV / beatLength."""
    low, high = SLIDER_MULTIPLIER_RANGE
    multiplier = min(max(beatmap.difficulty.slider_multiplier, low), high)
    timing = beatmap.timing
    return (BASE_SCORING_DISTANCE * multiplier * timing.slider_velocity_at(time, beatmap.mode)
            / timing.beat_length_at(time))


PathLength = Callable[[Slider], float]


def needs_path_length(slider: Slider) -> bool:
    """Whether the slider's timing depends on its measured path: no pixel length in the file, or a path
    ending on a repeated point (osu! then does not extend the path to the written length)."""
    if slider.pixel_length is None:
        return True
    points = slider.control_points
    last = points[-1] if points else None
    before = points[-2] if len(points) >= 2 else (slider.x, slider.y)
    return last is not None and last == before


def slider_distance(slider: Slider, path_length: PathLength | None = None) -> float | None:
    """osu!pixels the ball travels per span: the written length, or the measured path where it decides
    (see `needs_path_length`); None when it needs the path and no `path_length` measure is given."""
    if not needs_path_length(slider):
        return slider.pixel_length
    if path_length is None:
        return None
    measured = path_length(slider)
    return measured if slider.pixel_length is None else min(measured, slider.pixel_length)


def slider_span_duration(beatmap: Beatmap, slider: Slider, path_length: PathLength | None = None) -> float | None:
    """ms one pass over the slider takes; None when it needs a path measure that was not given."""
    distance = slider_distance(slider, path_length)
    return None if distance is None else distance / slider_velocity(beatmap, slider.time)


def end_time(beatmap: Beatmap, obj: HitObject, path_length: PathLength | None = None) -> float | None:
    """When the object ends: sliders from the timing (start + slides × span), spinners and holds as
    written (never before the start), circles at their time. None for a slider that needs a path measure
    (`needs_path_length`) when no `path_length` function (e.g. from engine/sliders.py) is given."""
    if isinstance(obj, Slider):
        span = slider_span_duration(beatmap, obj, path_length)
        return None if span is None else obj.time + obj.span_count * span
    if isinstance(obj, (Spinner, HoldNote)):
        return obj.end_time
    return obj.time


def audio_offset(beatmap: Beatmap) -> int:
    """ms osu! adds to every time of a v3/v4 file when playing it against the audio (24), else 0. Times in
    the typed views are as written; add this only when lining objects up with the audio."""
    return LEGACY_OFFSET_MS if beatmap.version < 5 else 0


def play_time(beatmap: Beatmap, path_length: PathLength | None = None) -> tuple[float, float]:
    """(first object's start, last object's end) in ms, (0, 0) without objects; a slider whose end needs a
    path measure that is not given counts with its start time."""
    objects = beatmap.hit_objects
    if not objects:
        return 0.0, 0.0
    ends = (end_time(beatmap, obj, path_length) for obj in objects)
    return min(obj.time for obj in objects), max(end if end is not None else obj.time
                                                 for obj, end in zip(objects, ends))


def drain_time(beatmap: Beatmap, path_length: PathLength | None = None) -> float:
    """ms of play between the first and last object minus the breaks (what song select calls drain)."""
    start, end = play_time(beatmap, path_length)
    return max(0.0, end - start - sum(b.end - b.start for b in beatmap.events.breaks))


def mania_key_count(beatmap: Beatmap) -> int:
    """Keys of a mania map: CircleSize rounded half to even (as .NET rounds), clamped to 1–18."""
    low, high = MANIA_KEY_RANGE
    return min(max(round(beatmap.difficulty.circle_size), low), high)


def mania_column(x: float, keys: int) -> int:
    """0-based column of an object at `x` on a `keys`-key map: floor(x · keys / 512), clamped."""
    return min(max(math.floor(x * keys / 512.0), 0), keys - 1)


def mania_x(column: int, keys: int) -> int:
    """The x osu!'s editors write for a column: floor((column + 0.5) · 512 / keys)."""
    return math.floor((column + 0.5) * 512 / keys)


def sorted_objects(objects: Sequence[HitObject]) -> list[HitObject]:
    """Objects by start time, equal times in file order (osu!'s stable sort)."""
    return sorted(objects, key=lambda obj: obj.time)


@dataclass(frozen=True, slots=True)
class Combo:
    """Effective combo information of one object (objects in time order).

    `number` is the number shown on the object (1-based), `new_combo` whether it starts a combo, and
    `colour_offset` lazer's ComboIndexWithOffsets: each new combo adds 1 plus its colour skip; the combo
    colour is `colours[colour_offset % len(colours)]` as lazer indexes them."""

    number: int
    new_combo: bool
    colour_offset: int

    def colour_index(self, colour_count: int) -> int:
        return self.colour_offset % colour_count if colour_count else 0


def combos(beatmap: Beatmap) -> list[tuple[HitObject, Combo]]:
    """Combo numbers and colour offsets in time order, by osu!'s rules (those of ppy's
    `hitobject-combo-offset.osu`): the first object starts combo 1 and its colour skip is ignored; a
    spinner never starts a combo and its new-combo bit and skip are ignored; the object after a spinner and
    the first object after a break start a new combo; a written new-combo bit adds its colour skip.
    Meaningful for osu! and catch (taiko and mania show no combos)."""
    break_ends = sorted(b.end for b in beatmap.events.breaks)
    result: list[tuple[HitObject, Combo]] = []
    number, offset = 0, 0
    previous: HitObject | None = None
    next_break = 0
    for obj in sorted_objects(beatmap.hit_objects):
        after_break = False
        while next_break < len(break_ends) and break_ends[next_break] <= obj.time:
            after_break = previous is not None
            next_break += 1
        if previous is None:
            starts, skip = True, 0
        elif isinstance(obj, Spinner):
            starts, skip = False, 0
        else:
            starts = obj.new_combo or isinstance(previous, Spinner) or after_break
            skip = obj.combo_skip if obj.new_combo else 0
        if starts:
            offset += 1 + skip
            number = 1
        else:
            number += 1
        result.append((obj, Combo(number, starts, offset)))
        previous = obj
    return result


@dataclass(frozen=True, slots=True)
class Snap:
    """Beat snap of a time: `divisor` is the coarsest of 1/1…1/16 the time sits on (None: unsnapped),
    `time` the nearest snapped time over all divisors, `error` = given − nearest (ms)."""

    divisor: int | None
    time: float
    error: float


def beat_snap(timing: TimingIndex, time: float, tolerance: float = 1.0,
              divisors: Sequence[int] = SNAP_DIVISORS) -> Snap:
    """Which divisor `time` is snapped to under the red line in effect (files store whole ms, so a snapped
    time is within 1 ms of the exact tick)."""
    point = timing.uninherited_at(time)
    if point is None:
        return Snap(None, time, 0.0)
    beat = timing.beat_length_at(time)
    best_time, best_error = time, math.inf
    found: int | None = None
    for divisor in divisors:
        step = beat / divisor
        nearest = point.time + round((time - point.time) / step) * step
        error = time - nearest
        if found is None and abs(error) <= tolerance:
            found = divisor
        if abs(error) < abs(best_error):
            best_time, best_error = nearest, error
    return Snap(found, best_time, best_error)
