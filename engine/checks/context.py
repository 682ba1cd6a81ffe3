"""What a check sees: one difficulty with the derived values checks share, or a whole mapset.

`DifficultyContext` wraps an `engine.osu` Beatmap and computes once what many checks need: objects sorted by
time with their end times, effective new combos and combo numbers (as the editor numbers them in a
timestamp), mania columns, slider paths on demand, red lines, barline times as osu! places them, the
interpreted difficulty level. Checks report through `flag(...)`, which fills in the running check's id,
category, file and severity. Nothing here reads files other than what it is given, and nothing here mutates
the beatmap.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np

from engine.checks.fixes import Change
from engine.checks.geometry import SliderPath, circle_radius, draw_paths, fit_path, path_reach, preempt_ms
from engine.checks.levels import Level, interpret_level
from engine.checks.registry import MANIA, CheckInfo
from engine.checks.snapping import unsnap
from engine.checks.storyboard_lines import Element, elements, osb_elements, variables
from engine.findings import Finding, Severity
from engine.osu import derived
from engine.osu.document import Beatmap
from engine.osu.hitobjects import HitObject, HoldNote, Slider, Spinner
from engine.osu.timing import BEAT_LENGTH_RANGE, TimingPoint

PRECISION = 1e-7  # osu!framework's Precision.DOUBLE_EPSILON


def bar_length(red: TimingPoint) -> float:
    """ms from one barline of a red line to the next: beat length (clamped as osu! clamps it) × meter."""
    return min(max(red.beat_length, BEAT_LENGTH_RANGE[0]), BEAT_LENGTH_RANGE[1]) * red.meter


def on_whole_ms(time: float) -> float:
    """`time` put on the nearest whole ms (halves away from zero) when within 1e-7 of it, as osu! puts a barline
    whose sum of bar lengths falls a hair off a whole ms."""
    whole = math.copysign(math.floor(abs(time) + 0.5), time)
    return whole if abs(time - whole) <= PRECISION else time


@dataclass(eq=False, slots=True)
class Obj:
    """One hit object as checks see it. `index` is its position in `beatmap.hit_objects` (file order).

    Checks never assign to it. It is not a frozen dataclass because a context builds one per object on every
    save, and a frozen one takes five times as long to build (2.5 µs against 0.5 µs: 5 ms on 2,000 objects).
    """

    index: int
    raw: HitObject
    kind: str
    time: float
    end_time: float
    new_combo: bool = False
    combo: int = 1
    column: int | None = None

    @property
    def x(self) -> float:
        return self.raw.x

    @property
    def y(self) -> float:
        return self.raw.y

    @property
    def duration(self) -> float:
        return self.end_time - self.time

    @property
    def is_slider(self) -> bool:
        return self.kind == "slider"

    @property
    def is_spinner(self) -> bool:
        return self.kind == "spinner"


def object_kind(obj: HitObject) -> str:
    if isinstance(obj, Slider):
        return "slider"
    if isinstance(obj, Spinner):
        return "spinner"
    if isinstance(obj, HoldNote):
        return "hold"
    return "circle"


class DifficultyContext:
    """One difficulty for the checks. `folder_files` are the lower-cased relative paths in the mapset folder
    (None when the map was given without its folder, e.g. from memory)."""

    def __init__(self, beatmap: Beatmap, file: str | None = None, folder_files: frozenset[str] | None = None) -> None:
        self.beatmap = beatmap
        self.file = file if file is not None else (Path(beatmap.path).name if beatmap.path else None)
        self.folder_files = folder_files
        self.check: CheckInfo | None = None
        self._paths: dict[int, SliderPath] = {}
        self._unsnaps: dict[float, float] = {}
        self.changes: dict[Finding, Change] = {}  # fixes proposed by the running check

    # -- basic views --------------------------------------------------------------------------------------

    @property
    def mode(self) -> int:
        return self.beatmap.mode

    @property
    def version(self) -> str:
        return self.beatmap.metadata.version

    @cached_property
    def level(self) -> Level | None:
        return interpret_level(self.version, self.mode)

    @cached_property
    def radius(self) -> float:
        return circle_radius(self.beatmap.difficulty.circle_size)

    @cached_property
    def preempt(self) -> float:
        return preempt_ms(self.beatmap.difficulty.approach_rate)

    @cached_property
    def key_count(self) -> int:
        return derived.mania_key_count(self.beatmap)

    @cached_property
    def timing_points(self) -> list[TimingPoint]:
        """Timing lines sorted by time (file order kept among equal times)."""
        return sorted(self.beatmap.timing_points, key=lambda point: point.time)

    @cached_property
    def red_lines(self) -> list[TimingPoint]:
        return [point for point in self.timing_points if point.uninherited and point.beat_length > 0]

    @cached_property
    def breaks(self) -> list[tuple[float, float]]:
        return sorted((item.start, item.end) for item in self.beatmap.events.breaks)

    @cached_property
    def barlines(self) -> list[float]:
        """Barline times as osu! places them (lazer's BarLineGenerator), the one placement every barline check
        uses: each red line's bars from the line (one bar later when it omits its first barline) up to the next
        red line, the last red line's to one bar past the map's last object, none before 0 or the first object.
        Each bar is the previous bar plus beat length × meter, put on the whole ms when within 1e-7 of it — so
        the 7th bar of 571.428571428571 ms beats from 1000 ms (a hair short of 17000) lies on 17000, and an
        object or line on that ms is on the barline, not 1 ms off. Of red lines at one time the first in the
        file counts (lazer's decoder)."""
        if not self.objects:
            return []
        reds = [red for previous, red in zip([None, *self.red_lines], self.red_lines)
                if previous is None or previous.time != red.time]
        earliest = min(0.0, self.objects[0].time)
        last = 1 + max(o.end_time for o in self.objects)
        times: list[float] = []
        for red, following in zip(reds, [*reds[1:], None]):
            bar = bar_length(red)
            end = following.time if following is not None else last + bar
            t = red.time if red.time > earliest else red.time + math.ceil((earliest - red.time) / bar) * bar
            t += bar if red.omit_first_barline else 0.0
            while end - PRECISION > t:
                t = on_whole_ms(t)
                times.append(t)
                t += bar
        return times

    def red_line_at(self, time: float) -> TimingPoint | None:
        return self.beatmap.timing.uninherited_at(time)

    def beat_length_at(self, time: float) -> float:
        return self.beatmap.timing.beat_length_at(time)

    def unsnap(self, time: float) -> float:
        """Signed ms from `time` to the nearest placeable tick of the red line in effect (0 without one)."""
        if time not in self._unsnaps:
            red = self.red_line_at(time)
            self._unsnaps[time] = 0.0 if red is None else unsnap(time, red.time, red.beat_length)
        return self._unsnaps[time]

    # -- objects ------------------------------------------------------------------------------------------

    @cached_property
    def objects(self) -> list[Obj]:
        """Objects sorted by start time (stable: equal times keep file order), with derived values."""
        index_of = {id(raw): index for index, raw in enumerate(self.beatmap.hit_objects)}
        keys = self.key_count
        objects: list[Obj] = []
        for raw, combo in derived.combos(self.beatmap):
            end = derived.end_time(self.beatmap, raw, self._measured_length)
            column = derived.mania_column(raw.x, keys) if self.mode == MANIA else None
            objects.append(Obj(index_of[id(raw)], raw, object_kind(raw), raw.time, raw.time if end is None else end,
                               combo.new_combo, combo.number, column))
        return objects

    @cached_property
    def object_times(self) -> list[float]:
        return [o.time for o in self.objects]

    def objects_between(self, start: float, end: float) -> list[Obj]:
        """Objects starting in [start, end)."""
        return self.objects[bisect_left(self.object_times, start):bisect_left(self.object_times, end)]

    @cached_property
    def _drawn(self) -> dict[int, np.ndarray]:
        """The polyline osu! draws for each slider of the map (by id), all drawn in one batch on first use."""
        sliders = [o for o in self.beatmap.hit_objects if isinstance(o, Slider)]
        drawn = draw_paths([((s.x, s.y), [(g.curve_type, g.points) for g in s.segments]) for s in sliders])
        return {id(slider): polyline for slider, polyline in zip(sliders, drawn)}

    def _measured_length(self, slider: Slider) -> float:
        return fit_path(self._drawn[id(slider)], None).length

    def span_duration(self, slider: Slider) -> float:
        """ms for one pass over the path."""
        return derived.slider_span_duration(self.beatmap, slider, self._measured_length) or 0.0

    def path_of(self, slider: Slider) -> SliderPath:
        """The slider's played path (cached)."""
        key = id(slider)
        if key not in self._paths:
            self._paths[key] = fit_path(self._drawn[key], slider.pixel_length)
        return self._paths[key]

    def reach(self, o: Obj) -> float | None:
        """How far from its head any part of the object can lie (0 for all but sliders; None: not known without
        the slider's path)."""
        return path_reach(o.raw.pixel_length) if isinstance(o.raw, Slider) else 0.0

    def end_position(self, o: Obj) -> tuple[float, float]:
        """Where an object ends: a slider's tail (its head after an even number of passes)."""
        if not isinstance(o.raw, Slider) or o.raw.span_count % 2 == 0:
            return o.x, o.y
        path = self.path_of(o.raw)
        return path.position_at(path.length)

    @cached_property
    def stack_heights(self) -> list[int]:
        """osu!'s stack height of every object of `objects` (`engine.checks.stacking`), for the checks that need
        it (offscreen, Hard Rock stacks)."""
        from engine.checks.stacking import stack_heights  # stacking reads a context: imported late, no cycle

        return stack_heights(self)

    @cached_property
    def storyboard(self) -> list[Element]:
        """The storyboard elements of this .osu's own [Events] (a difficulty-specific storyboard)."""
        return elements(self.beatmap.entries("Events"), variables(self.beatmap.entries("Variables")))

    @cached_property
    def drain_time(self) -> float:
        """ms from the first object's start to the last object's end, minus breaks."""
        if not self.objects:
            return 0.0
        start = self.objects[0].time
        end = max(o.end_time for o in self.objects)
        return end - start - sum(max(0.0, min(b, end) - max(a, start)) for a, b in self.breaks)

    # -- reporting ----------------------------------------------------------------------------------------

    def selection(self, objects: Sequence[Obj]) -> tuple[str, ...]:
        """How the editor names these objects in a timestamp (§15.4)."""
        ordered = sorted(objects, key=lambda o: o.time)
        if self.mode == MANIA:
            return tuple(f"{round(o.time)}|{o.column}" for o in ordered)
        return tuple(str(o.combo) for o in ordered)

    def flag(self, message: str, *, objects: Sequence[Obj] = (), time: float | None = None,
             end: float | None = None, severity: Severity | None = None, suggestion: str = "",
             fix: Change | None = None, line: int | None = None) -> Finding:
        """A finding of the running check about this difficulty; `fix` is attached by the runner."""
        assert self.check is not None, "flag() is only valid while a check runs"
        if time is None and objects:
            time = min(o.time for o in objects)
        if end is None and objects:
            end = max(o.end_time for o in objects)
        finding = Finding(
            check=self.check.id, severity=self.check.severity if severity is None else severity,
            category=self.check.category, message=message, file=self.file, difficulty=self.version,
            start_ms=time, end_ms=end if end is not None else time,
            objects=tuple(sorted(o.index for o in objects)), selection=self.selection(objects),
            suggestion=suggestion, line=line)
        if fix is not None:
            self.changes[finding] = fix
        return finding


@dataclass
class MapsetContext:
    """The difficulties of one mapset and its folder (None when the difficulties came without one).
    `whole_set` is True when `difficulties` are all the difficulties of the set."""

    difficulties: list[DifficultyContext]
    folder: Path | None = None
    files: list[str] = field(default_factory=list)
    whole_set: bool = False
    check: CheckInfo | None = None

    @cached_property
    def by_mode(self) -> dict[int, list[DifficultyContext]]:
        """The difficulties of each mode, in the set's order (what cross-difficulty checks compare)."""
        groups: dict[int, list[DifficultyContext]] = {}
        for difficulty in self.difficulties:
            groups.setdefault(difficulty.mode, []).append(difficulty)
        return groups

    @cached_property
    def osb_storyboards(self) -> dict[str, list[Element]]:
        """The storyboard elements of each .osb file in the folder, by its name (read once per run)."""
        if self.folder is None:
            return {}
        return {name: osb_elements((self.folder / name).read_text("utf-8", "replace"))
                for name in self.files if name.lower().endswith(".osb")}

    def flag(self, message: str, *, difficulty: DifficultyContext | None = None, objects: Sequence[Obj] = (),
             time: float | None = None, severity: Severity | None = None, suggestion: str = "",
             file: str | None = None, line: int | None = None) -> Finding:
        """A finding of the running check; about one difficulty when `difficulty` is given."""
        assert self.check is not None, "flag() is only valid while a check runs"
        if difficulty is not None:
            difficulty.check = self.check
            return difficulty.flag(message, objects=objects, time=time, severity=severity, suggestion=suggestion,
                                   line=line)
        return Finding(check=self.check.id, severity=self.check.severity if severity is None else severity,
                       category=self.check.category, message=message, file=file, start_ms=time, end_ms=time,
                       suggestion=suggestion, line=line)
