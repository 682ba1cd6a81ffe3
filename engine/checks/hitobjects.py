"""Hit-object ("Compose") checks: concurrent objects, offscreen and out-of-playfield objects, broken,
invisible, zero-length and too-short sliders, spinners, stacks (also with Hard Rock), drain time, reverse
arrows, combos.

Positions are as written (osu! stacking is not computed); slider bodies are sampled every few osu!px along
their played path (`engine.checks.geometry`). Thresholds are Mapset Verifier's unless a docstring says.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from itertools import islice

from engine.checks.context import DifficultyContext, MapsetContext, Obj
from engine.checks.fixes import Change
from engine.checks.geometry import (
    PLAYFIELD_HEIGHT,
    PLAYFIELD_WIDTH,
    SCREEN_BOTTOM,
    SCREEN_LEFT,
    SCREEN_RIGHT,
    SCREEN_TOP,
    circle_radius,
    preempt_ms,
)
from engine.checks.levels import Level
from engine.checks.registry import CATCH, MANIA, STANDARD, TAIKO, Scope, check
from engine.checks.stacking import stack_heights, stack_offset
from engine.findings import Finding, Severity
from engine.osu.hitobjects import COMBO_SKIP, NEW_COMBO, CurveSegment, Slider
from engine.osu.numbers import format_number

COMPOSE = "Compose"
STD = frozenset({STANDARD})


@check("compose.concurrent-objects", "Concurrent hit objects", category=COMPOSE, severity=Severity.PROBLEM,
       modes=frozenset({STANDARD, TAIKO, CATCH}))
def concurrent_objects(ctx: DifficultyContext) -> Iterator[Finding]:
    """An object starting at or before the previous one ends (Problem), or ≤ 10 ms after it (Problem, not for
    spinners). mania compares per column (`mania.column-overlap`)."""
    for previous, current in zip(ctx.objects, ctx.objects[1:]):
        gap = current.time - previous.end_time
        if gap <= 0:
            yield ctx.flag(f"{current.kind.capitalize()} starts before the {previous.kind} before it ends.",
                           objects=[previous, current], suggestion="Delete or move one of them.")
        elif gap <= 10 and not (previous.is_spinner or current.is_spinner):
            yield ctx.flag(f"{current.kind.capitalize()} starts only {gap:g} ms after the {previous.kind} before "
                           "it ends.", objects=[previous, current], suggestion="Leave a playable gap.")


def body_bounds(ctx: DifficultyContext, o: Obj, exact: bool) -> tuple[float, float, float, float]:
    """(left, top, right, bottom) of what an object covers: its position, or the points of a slider's path (a
    few osu!px apart). Not `exact`: a box around a slider's head as far as its path can reach (`ctx.reach`),
    which holds the path and needs no path built."""
    reach = ctx.reach(o)
    if reach is None or (exact and reach):
        return ctx.path_of(o.raw).bounds  # type: ignore[arg-type]
    return o.x - reach, o.y - reach, o.x + reach, o.y + reach


def _shift_into(bounds: tuple[float, float, float, float], margin: float, box: tuple[float, float, float, float]
                ) -> tuple[float, float]:
    """The smallest (dx, dy) that brings `bounds` (left, top, right, bottom), grown by `margin`, inside `box`."""
    left, top, right, bottom = box
    min_x, min_y, max_x, max_y = bounds
    dx = max(0.0, left + margin - min_x) - max(0.0, max_x + margin - right)
    dy = max(0.0, top + margin - min_y) - max(0.0, max_y + margin - bottom)
    return math.ceil(dx) if dx > 0 else math.floor(dx), math.ceil(dy) if dy > 0 else math.floor(dy)


def _moved(bounds: tuple[float, float, float, float], offset: float) -> tuple[float, float, float, float]:
    left, top, right, bottom = bounds
    return left + offset, top + offset, right + offset, bottom + offset


def move_fix(o: Obj, dx: float, dy: float, why: str) -> Change | None:
    """Move an object (a slider with its whole path) by (dx, dy)."""
    if o.raw.line is None:
        return None
    changes: dict[str, object] = {"x": o.x + dx, "y": o.y + dy}
    if isinstance(o.raw, Slider):
        changes["segments"] = tuple(CurveSegment(s.curve_type, tuple((x + dx, y + dy) for x, y in s.points))
                                    for s in o.raw.segments)
    return Change.of(o.raw, f"Move the {o.kind} by ({dx:+g}, {dy:+g}) {why}.", **changes)


@check("compose.offscreen", "Offscreen hit objects", category=COMPOSE, severity=Severity.PROBLEM, modes=STD)
def offscreen(ctx: DifficultyContext) -> Iterator[Finding]:
    """A circle's border, or any part of a slider body, beyond the 4:3 screen (x −67…579, y −60…428 osu!px;
    Mapset Verifier's and lazer's limits), where osu! draws it: after stacking moved it up and left. The fix
    moves the object (with its path) back onto the screen."""
    screen = (SCREEN_LEFT, SCREEN_TOP, SCREEN_RIGHT, SCREEN_BOTTOM)
    for o, height in zip(ctx.objects, ctx.stack_heights):
        if o.is_spinner:
            continue
        offset = stack_offset(ctx.radius, height)
        # Adding the same offset to every point moves the bounds by it exactly (rounding is monotonic). A box
        # that holds the body and fits on the screen needs no closer look; else the path's own bounds decide.
        dx, dy = _shift_into(_moved(body_bounds(ctx, o, exact=False), offset), ctx.radius, screen)
        if (dx or dy) and o.is_slider:
            dx, dy = _shift_into(_moved(body_bounds(ctx, o, exact=True), offset), ctx.radius, screen)
        if dx or dy:
            part = "slider body" if o.is_slider and (o.x, o.y) != (o.x + dx, o.y + dy) else o.kind
            yield ctx.flag(f"The {part} goes offscreen.", objects=[o], fix=move_fix(o, dx, dy, "onto the screen"),
                           suggestion="Move it back into the playfield.")


@check("compose.out-of-playfield", "Objects outside the playfield", category=COMPOSE, severity=Severity.WARNING,
       modes=frozenset({STANDARD, CATCH, MANIA}))
def out_of_playfield(ctx: DifficultyContext) -> Iterator[Finding]:
    """An object position outside 0–512 × 0–384 (osu!: Minor, the editor cannot place it there; catch: Warning,
    the fruit is clamped to the edge; mania: Warning, x outside 0–512 is clamped into the edge column).
    The fix clamps the position (moving a slider with its path)."""
    for o in ctx.objects:
        if o.is_spinner:
            continue
        x_out = not 0 <= o.x <= PLAYFIELD_WIDTH
        y_out = ctx.mode == STANDARD and not 0 <= o.y <= PLAYFIELD_HEIGHT
        if not (x_out or y_out):
            continue
        dx = min(max(o.x, 0.0), PLAYFIELD_WIDTH) - o.x
        dy = (min(max(o.y, 0.0), PLAYFIELD_HEIGHT) - o.y) if ctx.mode == STANDARD else 0.0
        where = f"({format_number(o.x)}, {format_number(o.y)})" if ctx.mode == STANDARD else f"x = {format_number(o.x)}"
        yield ctx.flag(f"{o.kind.capitalize()} at {where} is outside the playfield.", objects=[o],
                       severity=Severity.MINOR if ctx.mode == STANDARD else Severity.WARNING,
                       fix=move_fix(o, dx, dy, "into the playfield"), suggestion="Move it into the playfield.")


@check("compose.zero-length-objects", "Zero-length sliders, spinners and hold notes", category=COMPOSE,
       severity=Severity.PROBLEM)
def zero_length_objects(ctx: DifficultyContext) -> Iterator[Finding]:
    """A slider, spinner or hold note lasting under 0.5 ms (lazer's check; Problem)."""
    for o in ctx.objects:
        if o.kind != "circle" and o.duration < 0.5:
            yield ctx.flag(f"{o.kind.capitalize()} has no length ({o.duration:g} ms).", objects=[o],
                           suggestion="Give it a length or replace it with a circle.")


@check("compose.invisible-sliders", "Invisible sliders", category=COMPOSE, severity=Severity.PROBLEM,
       modes=frozenset({STANDARD, CATCH}))
def invisible_sliders(ctx: DifficultyContext) -> Iterator[Finding]:
    """A slider with no control points besides its head, all points on the head, or a negative length."""
    for o in ctx.objects:
        if not isinstance(o.raw, Slider):
            continue
        points = o.raw.control_points
        if not points or all(p == (o.x, o.y) for p in points):
            yield ctx.flag("Slider has no path besides its head, so its body is invisible.", objects=[o],
                           suggestion="Give it a path or replace it with a circle.")
        elif o.raw.length is not None and o.raw.length < 0:
            yield ctx.flag(f"Slider has a negative length ({format_number(o.raw.length)}).", objects=[o],
                           suggestion="Redraw the slider in the editor.")


@check("compose.broken-slider-path", "Slider paths osu! reads differently than written", category=COMPOSE,
       severity=Severity.WARNING, modes=frozenset({STANDARD, CATCH}))
def broken_slider_path(ctx: DifficultyContext) -> Iterator[Finding]:
    """A curve letter osu! does not know (read as Catmull; Warning), a perfect-circle curve without exactly 3
    points or with collinear points (drawn as Bézier / a line; Minor), fewer than 1 slide (played as 1;
    Warning)."""
    for o in ctx.objects:
        if not isinstance(o.raw, Slider):
            continue
        letters = {segment.curve_type for segment in o.raw.segments}
        unknown = sorted(letter for letter in letters if letter[:1] not in "BCLP")
        if unknown:
            yield ctx.flag(f"Slider curve type {', '.join(unknown)} is unknown to osu!; it is read as Catmull.",
                           objects=[o], suggestion="Redraw the slider.")
        if o.raw.curve_type == "P" and ctx.beatmap.version < 128:
            points = [(o.x, o.y), *o.raw.control_points]
            if len(points) != 3:
                yield ctx.flag(f"Perfect-circle slider with {len(points)} points is drawn as a Bézier curve.",
                               objects=[o], severity=Severity.MINOR, suggestion="Check its shape in the editor.")
            elif abs((points[1][0] - points[0][0]) * (points[2][1] - points[0][1])
                     - (points[1][1] - points[0][1]) * (points[2][0] - points[0][0])) < 1e-6:
                yield ctx.flag("Perfect-circle slider with collinear points is drawn as a straight line.",
                               objects=[o], severity=Severity.MINOR, suggestion="Make it a linear slider.")
        if o.raw.slides < 1:
            yield ctx.flag(f"Slider has {o.raw.slides} slides; osu! plays it once.", objects=[o],
                           suggestion="Set slides to 1 or more.")


@check("compose.slider-nodes", "Abnormal amount of slider nodes", category=COMPOSE, severity=Severity.WARNING,
       modes=frozenset({STANDARD, CATCH}))
def slider_nodes(ctx: DifficultyContext) -> Iterator[Finding]:
    """More than 10 · √(pixel length) control points: hard to read and edit (Warning)."""
    for o in ctx.objects:
        if isinstance(o.raw, Slider) and o.raw.length and o.raw.length > 0:
            nodes = len(o.raw.control_points)
            if nodes > 10 * math.sqrt(o.raw.length):
                yield ctx.flag(f"Slider has {nodes} nodes for {o.raw.length:g} px.", objects=[o],
                               suggestion="Simplify the slider.")


@check("compose.too-short-sliders", "Too short sliders on Easy", category=COMPOSE, severity=Severity.WARNING,
       modes=STD)
def too_short_sliders(ctx: DifficultyContext) -> Iterator[Finding]:
    """An Easy slider shorter than 125 ms (Mapset Verifier: Warning; lazer rates it Problem — MV chosen)."""
    if ctx.level != Level.EASY:
        return
    for o in ctx.objects:
        if o.is_slider and o.duration / max(1, o.raw.span_count) < 125:  # type: ignore[attr-defined]
            yield ctx.flag(f"Slider span lasts {o.duration:.0f} ms; Easy needs at least 125 ms.", objects=[o],
                           suggestion="Make it longer or use a circle.")


def _od_scaled(od: float, base: float, up: float, down: float) -> float:
    return base + (od - 5) * up if od >= 5 else base - (5 - od) * down


@check("compose.ninja-spinners", "Too short spinners", category=COMPOSE, severity=Severity.PROBLEM, modes=STD)
def ninja_spinners(ctx: DifficultyContext) -> Iterator[Finding]:
    """A spinner shorter than 450 + (OD−5)·17 ms (OD < 5: 450 − (5−OD)·17) cannot be cleared (Problem); shorter
    than 500 + (OD−5)·20 (OD < 5: 500 − (5−OD)·21.8) auto cannot reach the 1000 bonus (Warning)."""
    od = ctx.beatmap.difficulty.overall_difficulty
    problem = _od_scaled(od, 450, 17, 17)
    warning = _od_scaled(od, 500, 20, 21.8)
    for o in ctx.objects:
        if o.is_spinner and o.duration < warning:
            yield ctx.flag(f"Spinner lasts {o.duration:.0f} ms; at OD {od:g} it needs {problem:.0f} ms to be clearable "
                           f"and {warning:.0f} ms for the full bonus.", objects=[o],
                           severity=Severity.PROBLEM if o.duration < problem else Severity.WARNING,
                           suggestion="Make the spinner longer or remove it.")


SPINNER_RULES = {Level.EASY: (1000, 1000), Level.NORMAL: (750, 500), Level.HARD: (500, 250)}


@check("compose.spinner-length-recovery", "Spinner length and recovery on lower difficulties",
       category=COMPOSE, severity=Severity.PROBLEM, modes=STD)
def spinner_length_recovery(ctx: DifficultyContext) -> Iterator[Finding]:
    """Easy/Normal/Hard: a spinner shorter than 1000/750/500 ms, or less than 1000/500/250 ms between its end
    and the next object (Problem; within ×1.2 of the limit Warning)."""
    if ctx.level not in SPINNER_RULES:
        return
    length, recovery = SPINNER_RULES[ctx.level]
    for i, o in enumerate(ctx.objects):
        if not o.is_spinner:
            continue
        if o.duration < length * 1.2:
            yield ctx.flag(f"Spinner lasts {o.duration:.0f} ms; {ctx.level.name.title()} needs {length} ms.",
                           objects=[o], severity=Severity.PROBLEM if o.duration < length else Severity.WARNING,
                           suggestion="Make it longer.")
        following = next((n for n in ctx.objects[i + 1:] if not n.is_spinner), None)
        if following is not None and following.time - o.end_time < recovery * 1.2:
            gap = following.time - o.end_time
            yield ctx.flag(f"Only {gap:.0f} ms to recover after the spinner; {ctx.level.name.title()} needs "
                           f"{recovery} ms.", objects=[o, following],
                           severity=Severity.PROBLEM if gap < recovery else Severity.WARNING,
                           suggestion="Shorten the spinner or move the next object later.")


STACK_GAPS = {Level.EASY: 375, Level.NORMAL: 375, Level.HARD: 188, Level.INSANE: 94}
STACK_DISTANCE = 3  # osu!px: objects closer than this stack in game


@check("compose.stacks", "Perfect stacks too close in time and failed stacks", category=COMPOSE,
       severity=Severity.PROBLEM, modes=STD)
def stacks(ctx: DifficultyContext) -> Iterator[Finding]:
    """Easy–Insane: a circle and the next object on one spot (< 3 osu!px, where osu! stacks them) closer than
    1/1, 1/1, 1/2, 1/4 beat at 160 BPM (375/375/188/94 ms; Problem, Insane Warning); a circle and a later
    object almost but not exactly on its spot (within radius/14) that osu! does not stack — 3 px or more
    apart, or further apart in time than approach time × stack leniency — while both are visible (Problem,
    "failed stack"). Objects exactly on one spot but not stacked are taken as an intended overlap."""
    if ctx.level not in STACK_GAPS:
        return
    limit = STACK_GAPS[ctx.level]
    threshold = ctx.preempt * ctx.beatmap.general.stack_leniency
    playable = [o for o in ctx.objects if not o.is_spinner]
    for i, previous in enumerate(playable):
        if previous.kind != "circle":
            continue
        for j, current in enumerate(islice(playable, i + 1, None)):  # no copy of the rest per object
            gap = current.time - previous.time
            if gap >= ctx.preempt:
                break
            distance = math.dist((previous.x, previous.y), (current.x, current.y))
            if j == 0 and distance < STACK_DISTANCE and gap < limit:
                yield ctx.flag(f"Stacked objects only {gap:.0f} ms apart; {ctx.level.name.title()} needs {limit} ms.",
                               objects=[previous, current],
                               severity=Severity.WARNING if ctx.level == Level.INSANE else Severity.PROBLEM,
                               suggestion="Space them out or leave more time between them.")
            elif 0 < distance < ctx.radius / 14 and (distance >= STACK_DISTANCE or gap > threshold):
                needed = math.ceil(gap / (0.1 * ctx.preempt)) / 10
                why = (f"{distance:.1f} px apart" if distance >= STACK_DISTANCE
                       else f"{gap:.0f} ms apart at stack leniency {ctx.beatmap.general.stack_leniency:g}")
                yield ctx.flag(f"Objects almost on one spot that osu! does not stack ({why}).",
                               objects=[previous, current],
                               suggestion="Stack them exactly" + ("" if distance >= STACK_DISTANCE else
                                                                  f" and raise the stack leniency to {needed:g}")
                                          + ", or move them apart.")


HARD_ROCK_WINDOW_MS = 375  # 1/1 at 160 BPM, the widest of `STACK_GAPS`


def _stacked_at(o: Obj, height: int, radius: float) -> tuple[float, float]:
    """Where osu! draws an object lifted by `height` stack levels at this circle radius."""
    offset = stack_offset(radius, height)
    return o.x + offset, o.y + offset


@check("compose.hard-rock-stacks", "Perfect stacks with Hard Rock", category=COMPOSE, severity=Severity.MINOR,
       modes=STD)
def hard_rock_stacks(ctx: DifficultyContext) -> Iterator[Finding]:
    """Objects under 375 ms apart that osu! stacks apart without mods but not with Hard Rock (AR × 1.4 shortens
    the time within which objects stack; CS × 1.3, both capped at 10): they land exactly on each other, or
    within radius/14 of each other ("failed stack"), only with HR (Minor). Suggests the stack leniency that
    keeps them stacked. Overlaps already there without mods are `compose.stacks`'s business."""
    if not any(ctx.stack_heights):
        return  # nothing stacks without mods, so nothing does with Hard Rock's shorter approach time either
    settings = ctx.beatmap.difficulty
    radius = circle_radius(min(10.0, settings.circle_size * 1.3))
    preempt = preempt_ms(min(10.0, settings.approach_rate * 1.4))
    objects = ctx.objects
    with_hr = [_stacked_at(o, height, radius) for o, height in zip(objects, stack_heights(ctx, preempt))]
    without = [_stacked_at(o, height, ctx.radius) for o, height in zip(objects, ctx.stack_heights)]
    near = radius / 14
    for i, o in enumerate(objects):
        if o.is_spinner:
            continue
        (x, y) = with_hr[i]
        for j in range(i + 1, len(objects)):
            other = objects[j]
            gap = other.time - o.time
            if other.is_spinner or gap >= HARD_ROCK_WINDOW_MS:
                break
            if abs(with_hr[j][0] - x) > near or abs(with_hr[j][1] - y) > near:
                continue  # most pairs: far apart with Hard Rock
            distance = math.dist((x, y), with_hr[j])
            apart = math.dist(without[i], without[j])
            if distance == 0 and apart > 0:
                needed = math.ceil(gap / (0.1 * preempt)) / 10
                yield ctx.flag(f"With Hard Rock these objects {gap:.0f} ms apart lie exactly on each other.",
                               objects=[o, other], suggestion=f"Raise the stack leniency to {needed:g} or more.")
                break
            if 0 < distance <= near and apart > ctx.radius / 14:
                yield ctx.flag(f"With Hard Rock these objects are only {distance:.1f} px apart (a failed stack).",
                               objects=[o, other], suggestion="Stack them exactly, or move them apart.")
                break


SPACING_WINDOW_MS = 4000
SPACING_MAX_GAP_MS = 600
SPACING_MIN_PX = 8


@check("compose.distance-consistency", "Object too close or far from previous", category=COMPOSE,
       severity=Severity.WARNING, modes=STD)
def distance_consistency(ctx: DifficultyContext) -> Iterator[Finding]:
    """Easy/Normal: the distance to the previous object differs by more than 15 % + 10 px from a pair with the
    same time gap (± 10 %) in the previous 4 s (Warning; Mapset Verifier's rule, lazer's 4 s window). Gaps over
    600 ms and distances under 8 px (stacks) are ignored."""
    if ctx.level not in (Level.EASY, Level.NORMAL):
        return
    seen: list[tuple[float, float, float, Obj]] = []  # (time, gap, distance, object)
    playable = [o for o in ctx.objects if not o.is_spinner]
    for previous, current in zip(playable, playable[1:]):
        gap = current.time - previous.end_time
        distance = math.dist(ctx.end_position(previous), (current.x, current.y))
        seen = [entry for entry in seen if current.time - entry[0] <= SPACING_WINDOW_MS]
        if gap > SPACING_MAX_GAP_MS or distance < SPACING_MIN_PX or gap <= 0:
            continue
        for _, other_gap, other_distance, other in reversed(seen):
            if abs(gap - other_gap) <= 0.1 * other_gap:
                if abs(distance - other_distance) > 0.15 * other_distance + 10:
                    yield ctx.flag(f"Spacing of {distance:.0f} px where the same rhythm just before has "
                                   f"{other_distance:.0f} px.", objects=[previous, current],
                                   suggestion="Keep the same spacing for the same rhythm on lower difficulties.")
                break
        seen.append((current.time, gap, distance, current))


@check("compose.close-not-overlapping", "Objects close in time not overlapping on the lowest difficulty",
       category=COMPOSE, severity=Severity.PROBLEM, modes=STD, scope=Scope.MAPSET)
def close_not_overlapping(ctx: MapsetContext) -> Iterator[Finding]:
    """On the set's easiest osu! difficulty when it is an Easy or Normal: an object following a circle within
    125 ms (Problem) or 188 ms (Warning; Mapset Verifier's documentation says 167 ms, its code 188 — code
    chosen) without overlapping it (centres 2 radii or more apart): new players read such objects as
    separate beats."""
    diffs = [d for d in ctx.difficulties if d.mode == STANDARD and d.level is not None]
    if not diffs:
        return
    lowest = min(diffs, key=lambda d: d.level)  # type: ignore[arg-type, return-value]
    if lowest.level not in (Level.EASY, Level.NORMAL):
        return
    for previous, current in zip(lowest.objects, lowest.objects[1:]):
        gap = current.time - previous.time
        if previous.kind != "circle" or current.is_spinner or gap >= 188:
            continue
        if math.dist((previous.x, previous.y), (current.x, current.y)) >= 2 * lowest.radius:
            yield ctx.flag(f"Objects {gap:.0f} ms apart do not overlap.", difficulty=lowest,
                           objects=[previous, current], severity=Severity.PROBLEM if gap < 125 else Severity.WARNING,
                           suggestion="Overlap them, or space them further apart in time.")


@check("compose.drain-time", "Too short drain time", category=COMPOSE, severity=Severity.PROBLEM)
def drain_time(ctx: DifficultyContext) -> Iterator[Finding]:
    """Drain time (first object to last object end, minus breaks) under 30 s (Problem)."""
    if ctx.objects and ctx.drain_time < 30_000:
        yield ctx.flag(f"Drain time is {ctx.drain_time / 1000:.1f} s; a ranked difficulty needs at least 30 s.",
                       suggestion="Map more of the song.")


REVERSE_LIMITS = {Level.EASY: (250, 333), Level.NORMAL: (125, 167)}


@check("compose.short-reverse-sliders", "Multiple reverses on too short sliders", category=COMPOSE,
       severity=Severity.PROBLEM, modes=STD)
def short_reverse_sliders(ctx: DifficultyContext) -> Iterator[Finding]:
    """Easy/Normal: a slider with ≥ 2 reverses lasting under 250/125 ms (Problem) or 333/167 ms (Warning)."""
    if ctx.level not in REVERSE_LIMITS:
        return
    problem, warning = REVERSE_LIMITS[ctx.level]
    for o in ctx.objects:
        if isinstance(o.raw, Slider) and o.raw.span_count >= 3 and o.duration < warning:
            yield ctx.flag(f"Slider with {o.raw.span_count - 1} reverses lasts only {o.duration:.0f} ms.",
                           objects=[o], severity=Severity.PROBLEM if o.duration < problem else Severity.WARNING,
                           suggestion="Use fewer reverses or a longer slider.")


@check("compose.slider-only-sections", "Slider-only sections on lower difficulties", category=COMPOSE,
       severity=Severity.MINOR, modes=STD)
def slider_only_sections(ctx: DifficultyContext) -> Iterator[Finding]:
    """Easy/Normal: more than 6 sliders in a row spanning more than 5 s (Minor)."""
    if ctx.level not in (Level.EASY, Level.NORMAL):
        return
    run: list[Obj] = []
    for o in [*ctx.objects, None]:
        if o is not None and o.is_slider:
            run.append(o)
            continue
        if len(run) > 6 and run[-1].end_time - run[0].time > 5000:
            yield ctx.flag(f"{len(run)} sliders in a row without a circle.", objects=[run[0], run[-1]],
                           suggestion="Mix in circles so the section is easier to read.")
        run = []


@check("compose.obscured-reverses", "Obscured reverse arrows", category=COMPOSE, severity=Severity.WARNING,
       modes=STD)
def obscured_reverses(ctx: DifficultyContext) -> Iterator[Finding]:
    """Easy–Insane: an object visible over a reverse arrow (ending within the approach time before it) and
    within radius/1.75 of it (closer than radius/3 counts as an intended stack)."""
    if ctx.level is None or ctx.level > Level.INSANE:
        return
    near, stacked = ctx.radius / 1.75, ctx.radius / 3
    for i, o in enumerate(ctx.objects):
        if not isinstance(o.raw, Slider) or o.raw.span_count < 2:
            continue
        span = ctx.span_duration(o.raw)
        path = ctx.path_of(o.raw)
        for repeat in range(1, o.raw.span_count):
            arrow_time = o.time + span * repeat
            arrow = path.position_at(path.length if repeat % 2 else 0.0)
            for other in ctx.objects[max(0, i - 8):i + 8]:
                if other is o or not arrow_time - ctx.preempt <= other.time <= arrow_time or other.is_spinner:
                    continue
                distance = math.dist(arrow, (other.x, other.y))
                if stacked <= distance <= near:
                    yield ctx.flag("This object covers the slider's reverse arrow.", objects=[o, other],
                                   time=arrow_time, suggestion="Move it away from the reverse arrow.")


@check("compose.forced-new-combo", "New combo the game forces but the file lacks", category=COMPOSE,
       severity=Severity.MINOR, modes=frozenset({STANDARD, CATCH}))
def forced_new_combo(ctx: DifficultyContext) -> Iterator[Finding]:
    """A spinner, or the first object after a spinner, without the new-combo bit: osu! starts a new combo there
    anyway, so the file disagrees with what players see (Minor). The fix sets the bit."""
    for previous, o in zip(ctx.objects, ctx.objects[1:]):
        if o.raw.new_combo or not (o.is_spinner or previous.is_spinner) or o.raw.line is None:
            continue
        fix = Change.of(o.raw, "Set the new-combo bit.", type=o.raw.type | NEW_COMBO)
        yield ctx.flag(f"{o.kind.capitalize()} is always a new combo but its new-combo bit is not set.",
                       objects=[o], fix=fix, suggestion="Tick 'New combo' on it.")


@check("compose.combo-skip-without-new-combo", "Combo colour skip without a new combo", category=COMPOSE,
       severity=Severity.MINOR, modes=frozenset({STANDARD, CATCH}))
def combo_skip_without_new_combo(ctx: DifficultyContext) -> Iterator[Finding]:
    """Colour-skip bits on an object that does not start a combo do nothing (Minor). The fix clears them."""
    for o in ctx.objects:
        if o.raw.combo_skip and not o.raw.new_combo and o.raw.line is not None:
            fix = Change.of(o.raw, "Clear the colour-skip bits.", type=o.raw.type & ~COMBO_SKIP)
            yield ctx.flag("Colour skip set on an object without a new combo; it does nothing.", objects=[o],
                           fix=fix, suggestion="Set a new combo here or clear the skip.")


