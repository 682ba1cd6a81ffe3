"""Timing checks: unsnapped objects and green lines, the first line, redundant and conflicting lines,
line volumes, objects missing a nearby line, objects snapped to the wrong red line, wrong offsets, rare
divisors. Thresholds are Mapset Verifier's (checks.md §2 "Timing") unless a docstring says otherwise.
"""

from __future__ import annotations

import bisect
import statistics
from collections import Counter
from collections.abc import Iterator

from engine.checks.context import DifficultyContext, Obj
from engine.checks.fixes import Change
from engine.checks.registry import CATCH, MANIA, STANDARD, TAIKO, check
from engine.checks.snapping import snap_divisor, snapped_time, unsnap
from engine.findings import Finding, Severity
from engine.osu import derived
from engine.osu.hitobjects import HoldNote, Slider, Spinner
from engine.osu.timing import TimingPoint

TIMING = "Timing"
EDGE_NAMES = {"circle": "Circle", "slider": "Slider head", "spinner": "Spinner", "hold": "Hold note"}


def edges(ctx: DifficultyContext, o: Obj) -> Iterator[tuple[str, float]]:
    """(part name, time) of every edge a player hits: start, slider repeats and end, spinner/hold end."""
    yield EDGE_NAMES[o.kind], o.time
    if isinstance(o.raw, Slider):
        span = ctx.span_duration(o.raw)
        for repeat in range(1, o.raw.span_count):
            yield f"Slider repeat {repeat}", o.time + span * repeat
        yield "Slider tail", o.end_time
    elif o.kind in ("spinner", "hold"):
        yield f"{EDGE_NAMES[o.kind]} end", o.end_time


@check("timing.unsnapped-objects", "Unsnapped hit objects", category=TIMING, severity=Severity.PROBLEM)
def unsnapped_objects(ctx: DifficultyContext) -> Iterator[Finding]:
    """An object edge ≥ 2 ms off every supported divisor (1/16, 1/12, 1/9, 1/7, 1/5) → Problem, ≥ 1 ms → Minor.

    Starts and spinner/hold ends come with a resnap fix. A slider's first unsnapped repeat or tail comes with a
    length change that puts every repeat and the tail on the grid, where one does, moving an unsnapped head onto
    the grid with it (`slider_length_fix`); an unsnapped head comes with that same fix where there is one, so
    that resnapping it does not take repeats and a tail off the grid, else with a plain move where that keeps
    the slider's speed (`slider_head_fix`).
    """
    for o in ctx.objects:
        length_fix: Change | None = None  # slider_length_fix(ctx, o), computed once, on the first unsnapped edge
        length_fix_known = length_fix_offered = False
        for part, time in edges(ctx, o):
            off = ctx.unsnap(time)
            if abs(off) < 1:
                continue
            red = ctx.red_line_at(time)
            fix = None
            field = "time" if time == o.time else "end" if isinstance(o.raw, (Spinner, HoldNote)) else None
            if isinstance(o.raw, Slider) and not length_fix_known:
                length_fix, length_fix_known = slider_length_fix(ctx, o), True
            if isinstance(o.raw, Slider) and field == "time":
                fix = length_fix or slider_head_fix(ctx, o)
            elif field is not None and red is not None and o.raw.line is not None:
                snapped = snapped_time(time, red.time, red.beat_length)
                fix = Change.of(o.raw, f"Move the {part.lower()} to {snapped:g} ms.", **{field: snapped})
            elif field is None and not length_fix_offered:
                fix, length_fix_offered = length_fix, True
            yield ctx.flag(f"{part} is unsnapped by {off:+.2f} ms.", objects=[o], time=time,
                           severity=Severity.PROBLEM if abs(off) >= 2 else Severity.MINOR,
                           suggestion="Resnap it to the nearest tick (Ctrl+Shift+S in the editor).", fix=fix)


def slider_length_fix(ctx: DifficultyContext, o: Obj) -> Change | None:
    """A fix for a slider whose head, repeats or tail are unsnapped: a new pixel length — the span that keeps a
    tail that is on the grid where it is, or else puts the tail, or else the first repeat, on its nearest tick —
    kept only when every repeat and the tail then lie within 1 ms of the grid. An unsnapped head moves onto its
    nearest tick in the same fix (alone when that already snaps the rest), with the green line that sets its
    speed where one must move along (`_head_on_grid`). None where no such fix exists, and for a slider whose
    timing comes from its measured path (no written length, or a path ending on a repeated point)."""
    slider = o.raw
    if not isinstance(slider, Slider) or slider.line is None or derived.needs_path_length(slider):
        return None
    head, line = o.time, None
    velocity = derived.slider_velocity(ctx.beatmap, head)  # px per ms
    if abs(ctx.unsnap(head)) >= 1:
        if (placed := _head_on_grid(ctx, o)) is None:
            return None
        head, line = placed
    moved = {"time": head} if head != o.time else {}
    with_line = "" if line is None else f" and its inherited line at {line.time:g} ms"
    also = () if line is None else (Change.of(line, "", time=head),)
    spans, span = slider.span_count, ctx.span_duration(slider)
    if moved and all(abs(ctx.unsnap(head + span * k)) < 1 for k in range(1, spans + 1)):
        return Change.of(slider, f"Move the slider head{with_line} to {head:g} ms; its repeats and tail then land on "
                                 "the grid.", **moved).together_with(*also)
    kept = [(spans, o.end_time)] if moved and abs(ctx.unsnap(o.end_time)) < 1 else []
    for count, time in (*kept, (spans, o.end_time + head - o.time), (1, head + span)):
        red = ctx.red_line_at(time)
        if red is None:
            continue
        length = round((snapped_time(time, red.time, red.beat_length) - head) / count * velocity, 4)
        if length > 0 and all(abs(ctx.unsnap(head + length / velocity * k)) < 1 for k in range(1, spans + 1)):
            where = f"Move the slider head{with_line} to {head:g} ms and change" if moved else "Change"
            return Change.of(slider, f"{where} the slider's length to {length:g} px so that its repeats and tail "
                                     "land on the grid.", **moved, length=length).together_with(*also)
    return None


def slider_head_fix(ctx: DifficultyContext, o: Obj) -> Change | None:
    """The unsnapped head of a slider moved onto its nearest tick, its repeats and tail moving along, where the
    slider keeps its red line and its speed there (or the green line setting it can move along); None where
    osu! would then time the slider by another line (lazer takes its speed from the line at its start time)."""
    if o.raw.line is None or (placed := _head_on_grid(ctx, o)) is None:
        return None
    head, line = placed
    if line is None:
        return Change.of(o.raw, f"Move the slider head to {head:g} ms.", time=head)
    return Change.of(o.raw, f"Move the slider head and its inherited line at {line.time:g} ms to {head:g} ms.",
                     time=head).together_with(Change.of(line, "", time=head))


def _head_on_grid(ctx: DifficultyContext, o: Obj) -> tuple[float, TimingPoint | None] | None:
    """Where a slider's unsnapped head goes on the grid, with the green line that must move along to keep the
    slider's speed (None when none must); None when the move would change its red line or speed."""
    red = ctx.red_line_at(o.time)
    if red is None:
        return None
    head = snapped_time(o.time, red.time, red.beat_length)
    if ctx.red_line_at(head) is not red:
        return None
    if derived.slider_velocity(ctx.beatmap, head) == derived.slider_velocity(ctx.beatmap, o.time):
        return head, None
    line = _line_moving_with(ctx, o, head)
    return None if line is None else (head, line)


def _line_moving_with(ctx: DifficultyContext, o: Obj, head: float) -> TimingPoint | None:
    """The green line that sets a slider's speed, between the earlier tick its head moves onto and the head, when
    it can move onto that tick too: the only timing line there, with no other object in between."""
    lines = [point for point in ctx.timing_points if head <= point.time <= o.time]
    if len(lines) != 1 or lines[0].uninherited or lines[0].time == head or lines[0].line is None:
        return None
    if any(other is not o and other.time < lines[0].time and other.end_time >= head for other in ctx.objects):
        return None
    return lines[0]


@check("timing.unsnapped-green-lines", "Unsnapped inherited lines", category=TIMING, severity=Severity.MINOR)
def unsnapped_green_lines(ctx: DifficultyContext) -> Iterator[Finding]:
    """A green line ≥ 2 ms off the grid (maid's own check: MV has none). Minor, Warning from 10 ms.

    osu! applies a green line to a note up to 5 ms before it, so a line a few ms early still works; it is
    still hard to see and move in the editor.
    """
    for point in ctx.timing_points:
        if point.uninherited:
            continue
        off = ctx.unsnap(point.time)
        if abs(off) < 2:
            continue
        red = ctx.red_line_at(point.time)
        fix = None
        if red is not None and point.line is not None:
            snapped = snapped_time(point.time, red.time, red.beat_length)
            fix = Change.of(point, f"Move the inherited line to {snapped:g} ms.", time=snapped)
        yield ctx.flag(f"Inherited line is unsnapped by {off:+.2f} ms.", time=point.time, line=_line(point),
                       severity=Severity.WARNING if abs(off) >= 10 else Severity.MINOR,
                       suggestion="Move it onto the tick of the object it is meant for.", fix=fix)


def _line(point: TimingPoint) -> int | None:
    return None if point.line is None else point.line + 1


@check("timing.first-line", "First timing line is inherited, toggles kiai, or is missing", category=TIMING,
       severity=Severity.PROBLEM)
def first_line(ctx: DifficultyContext) -> Iterator[Finding]:
    """No timing lines at all, a first line that is inherited, or a first line with kiai (Problem)."""
    if not ctx.timing_points:
        yield ctx.flag("The difficulty has no timing lines.", suggestion="Time the song (F6 in the editor).")
        return
    first = ctx.timing_points[0]
    if not first.uninherited:
        yield ctx.flag("The first timing line is inherited (green); osu! needs a red line first.",
                       time=first.time, line=_line(first), suggestion="Add a red line at or before it.")
    if first.kiai:
        yield ctx.flag("The first timing line toggles kiai, which osu! does not show from the start.",
                       time=first.time, line=_line(first), suggestion="Start kiai on a later line.")


@check("timing.objects-before-first-line", "Objects before the first red line", category=TIMING,
       severity=Severity.WARNING)
def objects_before_first_line(ctx: DifficultyContext) -> Iterator[Finding]:
    """Objects before the first red line are timed by a line that does not reach them (maid's check)."""
    if not ctx.red_lines or not ctx.objects:
        return
    early = [o for o in ctx.objects if o.time < ctx.red_lines[0].time - 1]
    if early:
        yield ctx.flag(f"{len(early)} object(s) come before the first red line.", objects=early[:8],
                       suggestion="Move the first red line back by whole beats so that it comes before them.")


@check("timing.concurrent-lines", "Concurrent or conflicting timing lines", category=TIMING,
       severity=Severity.PROBLEM)
def concurrent_lines(ctx: DifficultyContext) -> Iterator[Finding]:
    """Two lines of the same kind at the same time (Problem); a red and a green line at the same time whose
    sample settings or kiai disagree (Minor: the green line wins)."""
    by_time: dict[float, list[TimingPoint]] = {}
    for point in ctx.timing_points:
        by_time.setdefault(point.time, []).append(point)
    for time, points in by_time.items():
        red = [p for p in points if p.uninherited]
        green = [p for p in points if not p.uninherited]
        for kind, same in (("uninherited", red), ("inherited", green)):
            if len(same) > 1:
                yield ctx.flag(f"{len(same)} {kind} lines at the same time; only the last one counts.", time=time,
                               line=_line(same[-1]), suggestion="Delete the extra line.")
        if red and green and _settings(red[-1]) != _settings(green[-1]):
            yield ctx.flag("A red and a green line at the same time disagree on sample set, volume or kiai; "
                           "the green line wins.", time=time, line=_line(green[-1]), severity=Severity.MINOR,
                           suggestion="Make both lines say the same.")


def _settings(point: TimingPoint) -> tuple[int, int, int, bool]:
    return point.sample_set, point.sample_index, point.volume, point.kiai


@check("timing.redundant-red-line", "Uninherited lines that change nothing", category=TIMING,
       severity=Severity.PROBLEM)
def redundant_red_line(ctx: DifficultyContext) -> Iterator[Finding]:
    """A red line with the previous red line's BPM and meter, a whole number of measures later: it changes
    nothing (Problem) or only what a green line could change (Problem); with omit-first-barline set it only
    changes barlines (Warning)."""
    previous: TimingPoint | None = None
    for point in ctx.red_lines:
        if previous is not None and _continues(previous, point):
            before = ctx.beatmap.timing.point_at(point.time - 1) or previous
            if point.omit_first_barline and ctx.mode in (TAIKO, MANIA):
                yield ctx.flag("This red line only omits a barline.", time=point.time, line=_line(point),
                               severity=Severity.WARNING, suggestion="Check that omitting the barline is intended.")
            elif _settings(point) == _settings(before) and before.slider_velocity(ctx.mode) == 1.0:
                yield ctx.flag("This red line changes nothing.", time=point.time, line=_line(point),
                               suggestion="Delete it.")
            else:
                yield ctx.flag("This red line only changes what a green line could change.", time=point.time,
                               line=_line(point), suggestion="Replace it with a green line.")
        previous = point


def _continues(previous: TimingPoint, point: TimingPoint) -> bool:
    if abs(previous.beat_length - point.beat_length) > 1e-3 or previous.meter != point.meter:
        return False
    measure = previous.beat_length * previous.meter
    measures = (point.time - previous.time) / measure
    return abs(measures - round(measures)) * measure < 1


@check("timing.redundant-green-line", "Inherited lines that change nothing", category=TIMING,
       severity=Severity.MINOR)
def redundant_green_line(ctx: DifficultyContext) -> Iterator[Finding]:
    """A green line repeating the settings in effect (Minor), or, in osu!/catch, changing only SV where no
    slider starts before the next line (Minor)."""
    points = ctx.timing_points
    starts = [o.time for o in ctx.objects if o.is_slider]
    lines_at = Counter(point.time for point in points)
    for i, point in enumerate(points):
        if point.uninherited or i == 0:
            continue
        before = ctx.beatmap.timing.point_at(point.time - 1)
        if before is None or lines_at[point.time] > 1:
            continue
        same_sv = abs(before.slider_velocity(ctx.mode) - point.slider_velocity(ctx.mode)) < 1e-9
        if _settings(point) == _settings(before) and same_sv:
            yield ctx.flag("This green line changes nothing.", time=point.time, line=_line(point),
                           suggestion="Delete it.")
        elif ctx.mode in (STANDARD, CATCH) and _settings(point) == _settings(before):
            end = next((p.time for p in points[i + 1:] if p.time > point.time), float("inf"))
            first = bisect.bisect_left(starts, point.time - 5)
            if first >= len(starts) or starts[first] >= end:
                yield ctx.flag("This green line only changes slider velocity, but no slider starts before the "
                               "next line.", time=point.time, line=_line(point), suggestion="Delete it.")


@check("timing.line-volume", "Invalid timing line volume", category=TIMING, severity=Severity.PROBLEM)
def line_volume(ctx: DifficultyContext) -> Iterator[Finding]:
    """Timing line volume below 5 % or above 100 % (Problem)."""
    for point in ctx.timing_points:
        if not 5 <= point.volume <= 100:
            yield ctx.flag(f"Timing line volume is {point.volume} %; osu! allows 5–100 %.", time=point.time,
                           line=_line(point), suggestion="Set a volume between 5 and 100 %.")


@check("timing.object-before-line", "Objects unaffected by a nearby line", category=TIMING,
       severity=Severity.WARNING, modes=frozenset({STANDARD, TAIKO, CATCH}))
def object_before_line(ctx: DifficultyContext) -> Iterator[Finding]:
    """A snapped object 0–5 ms before a line that changes its speed (effective BPM change > 1): the line
    was probably meant for it (osu!/catch: slider heads only; taiko: every object)."""
    changes = ctx.timing_points
    times = [p.time for p in changes]
    for o in ctx.objects:
        if ctx.mode != TAIKO and not o.is_slider:
            continue
        index = bisect.bisect_right(times, o.time)
        if index >= len(changes):
            continue
        nxt = changes[index]
        if not 0 < nxt.time - o.time <= 5 or abs(ctx.unsnap(o.time)) > 1:
            continue
        now = ctx.beatmap.timing.slider_velocity_at(o.time, ctx.mode) * 60000 / ctx.beat_length_at(o.time)
        later = ctx.beatmap.timing.slider_velocity_at(nxt.time, ctx.mode) * 60000 / ctx.beat_length_at(nxt.time)
        if abs(now - later) > 1:
            yield ctx.flag(f"Object is {nxt.time - o.time:g} ms before a line that would change its speed.",
                           objects=[o], suggestion="Move the line onto the object if it is meant for it.")


@check("timing.wrong-red-line", "Objects snapped to the wrong red line", category=TIMING,
       severity=Severity.WARNING)
def wrong_red_line(ctx: DifficultyContext) -> Iterator[Finding]:
    """An object within max(50 ms, 1/8 beat) before the next red line, snapped on the current line's grid but
    ≥ 2 ms off the next line's: it was probably placed before the next line was added or moved."""
    reds = ctx.red_lines
    for current, following in zip(reds, reds[1:]):
        window = max(50.0, current.beat_length / 8)
        for o in ctx.objects_between(following.time - window, following.time):
            on_current = abs(unsnap(o.time, current.time, current.beat_length)) < 2
            on_next = abs(unsnap(o.time, following.time, following.beat_length)) < 2
            if on_current and not on_next:
                yield ctx.flag("Object is snapped to the previous red line but not to the next one, "
                               f"{following.time - o.time:g} ms later.", objects=[o],
                               suggestion="Check whether it belongs to the next red line's rhythm.")


@check("timing.offset-drift", "Red line offset looks wrong", category=TIMING, severity=Severity.WARNING)
def offset_drift(ctx: DifficultyContext) -> Iterator[Finding]:
    """At least 8 object starts in a red line's section, ≥ 75 % of them unsnapped by ≥ 2 ms and by nearly the
    same amount (spread ≤ 1.5 ms): the objects were placed on a grid the red line no longer gives, i.e. the
    offset is wrong (maid's check). The fix moves the red line by the common amount."""
    reds = ctx.red_lines
    for i, red in enumerate(reds):
        end = reds[i + 1].time if i + 1 < len(reds) else float("inf")
        offs = [ctx.unsnap(o.time) for o in ctx.objects_between(red.time, end)]
        if len(offs) < 8:
            continue
        shift = statistics.median(offs)
        agreeing = [off for off in offs if abs(off - shift) <= 1.5]
        if abs(shift) < 2 or len(agreeing) < 0.75 * len(offs):
            continue
        fix = None
        if red.line is not None:
            fix = Change.of(red, f"Move the red line to {red.time + round(shift):g} ms.", time=red.time + round(shift))
        yield ctx.flag(f"{len(agreeing)} of {len(offs)} objects in this section are off the grid by about "
                       f"{shift:+.1f} ms: the red line's offset is probably {round(shift):+d} ms off.",
                       time=red.time, line=_line(red), fix=fix,
                       suggestion="Move the red line (and its objects stay where they are), then check the timing.")


RARE_DIVISORS = frozenset({5, 6, 7, 8, 9, 12, 16})


@check("timing.rare-divisor", "Rarely used fine snap divisor", category=TIMING, severity=Severity.WARNING)
def rare_divisor(ctx: DifficultyContext) -> Iterator[Finding]:
    """A divisor of 1/5 or finer used ≤ 3 times or for ≤ 0.5 % of objects (Warning), ≤ 7 times or ≤ 5 %
    (Minor): a handful of 1/6 or 1/8 among 1/4 rhythm is usually a misplaced object."""
    used: dict[int, list[Obj]] = {}
    for o in ctx.objects:
        red = ctx.red_line_at(o.time)
        if red is None:
            continue
        divisor = snap_divisor(o.time, red.time, red.beat_length)
        if divisor is not None:
            used.setdefault(divisor, []).append(o)
    total = sum(len(v) for v in used.values())
    for divisor, objs in sorted(used.items()):
        if divisor not in RARE_DIVISORS:
            continue
        share = len(objs) / total
        if len(objs) <= 3 or share <= 0.005:
            severity = Severity.WARNING
        elif len(objs) <= 7 or share <= 0.05:
            severity = Severity.MINOR
        else:
            continue
        for o in objs:
            yield ctx.flag(f"1/{divisor} snap, used only {len(objs)} time(s) in this difficulty.", objects=[o],
                           severity=severity, suggestion="Check that this rhythm is intended.")

