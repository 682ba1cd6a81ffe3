"""osu!catch checks: hyperdashes (on lower difficulties, their snap, chains, from droplets and slider repeats,
antiflow after them), edge dashes, spinners, combo length.

Catcher movement follows lazer's CatchBeatmapProcessor (stable-compatible): catcher half-width
`53.375 · (1 − 0.7 · (CS − 5) / 5)`, dash speed 1 px/ms, ¼ frame of grace, integer-truncated times, and
the "excess" carried from a walk in the same direction, over every object a hyperdash can start or end on:
fruits, and the head, droplets (the slider ticks), repeats and tail of juice streams, placed as lazer's
JuiceStream places them. Tiny droplets (never part of a hyperdash) and catch's random banana and droplet
offsets are left out.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from engine.checks.context import DifficultyContext, Obj
from engine.checks.levels import Level
from engine.checks.registry import CATCH, check
from engine.findings import Finding, Severity
from engine.osu import derived
from engine.osu.hitobjects import Slider

MODE = "osu!catch"
ONLY = frozenset({CATCH})
BASE_SIZE = 106.75
DASH_SPEED = 1.0
WALK_SPEED = 0.5
GRACE_MS = 1000 / 60 / 4
MIN_TICK_GAP_MS = 10  # no droplet closer than this to the end of a span
MAX_DROPLETS_PER_SPAN = 1000  # gimmick sliders with absurdly small tick distances are cut there


@dataclass
class Fruit:
    time: float
    x: float
    source: Obj
    edge: str  # "head", "droplet", "repeat", "tail" or "fruit"
    hyper: bool = False
    distance_to_hyper: float = 0.0


def catcher_half_width(ctx: DifficultyContext) -> float:
    return BASE_SIZE * abs(1 - 0.7 * (ctx.beatmap.difficulty.circle_size - 5) / 5) / 2


def fruits(ctx: DifficultyContext) -> list[Fruit]:
    """Every fruit in time order with whether the catcher needs a hyperdash from it to the next."""
    found: list[Fruit] = []
    for o in ctx.objects:
        if o.is_spinner:
            continue
        found += juice_stream(ctx, o) if isinstance(o.raw, Slider) else [Fruit(o.time, o.x, o, "fruit")]
    found.sort(key=lambda f: f.time)
    half_width = catcher_half_width(ctx)
    last_direction, last_excess = 0, half_width
    for current, following in zip(found, found[1:]):
        x1, x2 = min(max(current.x, 0), 512), min(max(following.x, 0), 512)
        direction = 1 if x2 > x1 else -1
        time_to_next = int(following.time) - int(current.time) - GRACE_MS
        distance = abs(x2 - x1) - (last_excess if last_direction == direction else half_width)
        to_hyper = time_to_next * DASH_SPEED - distance
        if to_hyper < 0:
            current.hyper, last_excess = True, half_width
        else:
            current.distance_to_hyper, last_excess = to_hyper, min(max(to_hyper, 0.0), half_width)
        last_direction = direction
    return found


def juice_stream(ctx: DifficultyContext, o: Obj) -> list[Fruit]:
    """A juice stream's head, droplets, repeats and tail in time order. Droplets lie every tick distance (px per
    beat / tick rate) along each span, none within 10 ms of the span's end; on a backward span in reverse."""
    slider = o.raw
    assert isinstance(slider, Slider)
    path = ctx.path_of(slider)
    span = ctx.span_duration(slider)
    length = path.length
    velocity = derived.slider_velocity(ctx.beatmap, o.time)  # px per ms
    rate = ctx.beatmap.difficulty.slider_tick_rate
    tick = velocity * ctx.beat_length_at(o.time) / rate if rate > 0 else 0.0
    ticks: list[float] = []
    while tick > 0 and (distance := tick * (len(ticks) + 1)) < length - velocity * MIN_TICK_GAP_MS \
            and len(ticks) < MAX_DROPLETS_PER_SPAN:
        ticks.append(distance)
    parts = [Fruit(o.time, path.position_at(0.0)[0], o, "head")]
    for i in range(slider.span_count):
        start, backward = o.time + span * i, i % 2 == 1
        for distance in reversed(ticks) if backward else ticks:
            progress = distance / length
            parts.append(Fruit(start + (1 - progress if backward else progress) * span, path.position_at(distance)[0],
                               o, "droplet"))
        edge = "tail" if i == slider.span_count - 1 else "repeat"
        parts.append(Fruit(start + span, path.position_at(0.0 if backward else length)[0], o, edge))
    return parts


def hyperdashes(ctx: DifficultyContext) -> list[tuple[Fruit, Fruit]]:
    found = fruits(ctx)
    return [(a, b) for a, b in zip(found, found[1:]) if a.hyper]


@check("catch.hyperdashes-on-lower-difficulties", "Hyperdashes on Cup and Salad", category=MODE,
       severity=Severity.PROBLEM, modes=ONLY)
def hyperdashes_on_lower(ctx: DifficultyContext) -> Iterator[Finding]:
    """Any hyperdash on a Cup or Salad (Problem)."""
    if ctx.level not in (Level.EASY, Level.NORMAL):
        return
    for a, b in hyperdashes(ctx):
        yield ctx.flag("Hyperdash on a Cup/Salad difficulty.", objects=[a.source, b.source], time=a.time,
                       suggestion="Bring the fruits closer together.")


HYPER_SNAP = {Level.HARD: 125, Level.INSANE: 62}


@check("catch.hyperdash-snap", "Hyperdash snap too fine", category=MODE, severity=Severity.PROBLEM, modes=ONLY)
def hyperdash_snap(ctx: DifficultyContext) -> Iterator[Finding]:
    """A hyperdash to a fruit less than 125 ms (Platter) or 62 ms (Rain) later (Problem)."""
    limit = HYPER_SNAP.get(ctx.level) if ctx.level is not None else None
    if limit is None:
        return
    for a, b in hyperdashes(ctx):
        if b.time - a.time < limit:
            yield ctx.flag(f"Hyperdash over only {b.time - a.time:.0f} ms; the limit is {limit} ms.",
                           objects=[a.source, b.source], time=a.time, suggestion="Use a walk or a dash instead.")


def hyperdash_chains(ctx: DifficultyContext) -> list[list[tuple[Fruit, Fruit]]]:
    """Hyperdashes grouped into chains: each one starting where the one before it lands."""
    chains: list[list[tuple[Fruit, Fruit]]] = []
    for pair in hyperdashes(ctx):
        if chains and chains[-1][-1][1] is pair[0]:
            chains[-1].append(pair)
        else:
            chains.append([pair])
    return chains


# level → (limit for chains of basic-snapped hyperdashes, for higher-snapped ones, gap below which it is higher)
CHAIN_LIMITS = {Level.HARD: (2, 1, 250), Level.INSANE: (4, 1, 125)}
SLIDER_CHAIN_LIMIT = {Level.INSANE: 2}  # Rain: basic-snapped chains that start a hyperdash inside a juice stream
IN_SLIDER = ("head", "droplet", "repeat")  # a hyperdash from the tail is fine (Mapset Verifier)


@check("catch.consecutive-hyperdashes", "Too many consecutive hyperdashes", category=MODE,
       severity=Severity.PROBLEM, modes=ONLY)
def consecutive_hyperdashes(ctx: DifficultyContext) -> Iterator[Finding]:
    """Platter: more than 2 hyperdashes in a row (more than 1 if any is higher-snapped, i.e. under 250 ms);
    Rain: more than 4 (more than 1 under 125 ms), and more than 2 when any of them starts from a juice stream's
    head, droplet or repeat ("within a slider") (Problem; Mapset Verifier's CheckConsecutiveHyperdash)."""
    limits = CHAIN_LIMITS.get(ctx.level) if ctx.level is not None else None
    if limits is None:
        return
    basic, higher, gap = limits
    for chain in hyperdash_chains(ctx):
        if any(b.time - a.time < gap for a, b in chain):
            kind, limit = "higher-snapped hyperdashes were used", higher
        elif ctx.level in SLIDER_CHAIN_LIMIT and any(a.edge in IN_SLIDER for a, _ in chain):
            kind, limit = "basic-snapped hyperdashes were used within a slider", SLIDER_CHAIN_LIMIT[ctx.level]
        else:
            kind, limit = "basic-snapped hyperdashes were used", basic
        if len(chain) > limit:
            yield ctx.flag(f"Too many consecutive {kind} and should be at most {limit}, currently {len(chain)}.",
                           objects=[chain[0][0].source, chain[-1][1].source], time=chain[0][0].time,
                           suggestion="Break the chain with a walk or a dash.")


EDGE_LEVEL = {Level.NORMAL: Severity.PROBLEM, Level.HARD: Severity.PROBLEM, Level.INSANE: Severity.WARNING,
              Level.EXPERT: Severity.MINOR, Level.ULTRA: Severity.MINOR}


@check("catch.edge-dashes", "Edge dashes", category=MODE, severity=Severity.PROBLEM, modes=ONLY)
def edge_dashes(ctx: DifficultyContext) -> Iterator[Finding]:
    """A dash that falls short of a hyperdash by only a few pixels (at most 10 px, less for short gaps: 10 px ·
    min(1, gap / 300 ms)) — players must dash from the plate's edge: Problem on Salad/Platter, Warning on Rain,
    Minor above."""
    severity = EDGE_LEVEL.get(ctx.level) if ctx.level is not None else None
    if severity is None:
        return
    found = fruits(ctx)
    for a, b in zip(found, found[1:]):
        gap = b.time - a.time
        if not a.hyper and abs(b.x - a.x) > 0 and 0 < a.distance_to_hyper <= 10 * min(1.0, gap / 300):
            yield ctx.flag(f"Edge dash: {a.distance_to_hyper:.1f} px short of a hyperdash.", objects=[a.source, b.source],
                           time=a.time, severity=severity, suggestion="Move the fruit a little closer or make it a hyperdash.")


@check("catch.missing-spinner", "No spinner", category=MODE, severity=Severity.MINOR, modes=ONLY)
def missing_spinner(ctx: DifficultyContext) -> Iterator[Finding]:
    """A catch difficulty without any spinner (banana shower) (Minor)."""
    if ctx.objects and not any(o.is_spinner for o in ctx.objects):
        yield ctx.flag("The difficulty has no spinner (banana shower).", suggestion="Consider adding one.")


COMBO_LIMIT = {Level.EASY: 8, Level.NORMAL: 10, Level.HARD: 12, Level.INSANE: 16, Level.EXPERT: 16}


@check("catch.combo-length", "Too long combos", category=MODE, severity=Severity.MINOR, modes=ONLY)
def combo_length(ctx: DifficultyContext) -> Iterator[Finding]:
    """A combo longer than 8 (Cup), 10 (Salad), 12 (Platter) or 16 (Rain, Overdose) objects (Minor); more than
    1.5× that (Warning). Long combos hide the catcher's colour hints."""
    limit = COMBO_LIMIT.get(ctx.level) if ctx.level is not None else None
    if limit is None:
        return
    for o, following in zip(ctx.objects, [*ctx.objects[1:], None]):
        if (following is None or following.new_combo) and o.combo > limit:
            yield ctx.flag(f"Combo of {o.combo} objects; {limit} is the guideline.", objects=[o],
                           severity=Severity.WARNING if o.combo > 1.5 * limit else Severity.MINOR,
                           suggestion="Add new combos.")


SPINNER_GAPS = {  # level → (gap before, gap after) in ms
    Level.EASY: (250, 250), Level.NORMAL: (250, 250), Level.HARD: (125, 250), Level.INSANE: (125, 125),
    Level.EXPERT: (62, 125), Level.ULTRA: (62, 125)}


@check("catch.spinner-gap", "Too short gap around a spinner", category=MODE, severity=Severity.PROBLEM, modes=ONLY)
def spinner_gap(ctx: DifficultyContext) -> Iterator[Finding]:
    """Less than 250/250/125/125/62/62 ms before a spinner or 250/250/250/125/125/125 ms after it on
    Cup/Salad/Platter/Rain/Overdose/Deluge (Problem; Mapset Verifier and lazer agree)."""
    gaps = SPINNER_GAPS.get(ctx.level) if ctx.level is not None else None
    if gaps is None:
        return
    for i, o in enumerate(ctx.objects):
        if not o.is_spinner:
            continue
        before = ctx.objects[i - 1] if i else None
        after = ctx.objects[i + 1] if i + 1 < len(ctx.objects) else None
        if before is not None and o.time - before.end_time < gaps[0]:
            yield ctx.flag(f"Only {o.time - before.end_time:.0f} ms before the spinner; at least {gaps[0]} ms.",
                           objects=[before, o], suggestion="Leave more time before the spinner.")
        if after is not None and after.time - o.end_time < gaps[1]:
            yield ctx.flag(f"Only {after.time - o.end_time:.0f} ms after the spinner; at least {gaps[1]} ms.",
                           objects=[o, after], suggestion="Leave more time after the spinner.")


REPEAT_HYPER = {Level.HARD: Severity.PROBLEM, Level.INSANE: Severity.WARNING}


@check("catch.juice-stream-hyperdash", "Hyperdash from a droplet or slider repeat", category=MODE,
       severity=Severity.PROBLEM, modes=ONLY)
def juice_stream_hyperdash(ctx: DifficultyContext) -> Iterator[Finding]:
    """A hyperdash starting from a juice stream's droplet or repeat: Problem on Platter, Warning on Rain (it is
    hard to tell apart from the droplets around it)."""
    severity = REPEAT_HYPER.get(ctx.level) if ctx.level is not None else None
    if severity is None:
        return
    for a, b in hyperdashes(ctx):
        if a.edge in ("droplet", "repeat"):
            yield ctx.flag(f"Hyperdash from a {a.edge}.", objects=[a.source, b.source], time=a.time,
                           severity=severity, suggestion="Move the hyperdash onto the slider's head or tail.")


HIGHER_SNAP_MS = 250  # Platter: a hyperdash under 250 ms is higher-snapped (`CHAIN_LIMITS`)


@check("catch.antiflow-after-hyperdash", "Higher-snapped hyperdash followed by antiflow", category=MODE,
       severity=Severity.WARNING, modes=ONLY)
def antiflow_after_hyperdash(ctx: DifficultyContext) -> Iterator[Finding]:
    """Platter: a hyperdash under 250 ms followed by a walk back the other way of more than ⌊10 · BPM / 180⌋ px
    (Warning; Mapset Verifier's rule: the catcher lands fast and must turn at once)."""
    if ctx.level != Level.HARD:
        return
    found = fruits(ctx)
    half_width = catcher_half_width(ctx)
    for current, following, after in zip(found, found[1:], found[2:]):
        if not current.hyper or following.hyper or following.time - current.time >= HIGHER_SNAP_MS:
            continue
        first, second = following.x - current.x, after.x - following.x
        walk = abs(second) - half_width <= WALK_SPEED * (after.time - following.time)
        if not walk or first * second >= 0:
            continue
        allowed = int(10 * 60000 / ctx.beat_length_at(after.time) / 180)
        if abs(second) > allowed:
            yield ctx.flag(f"Higher-snapped hyperdash followed by a {abs(second):.0f} px walk back the other way.",
                           objects=[current.source, following.source, after.source], time=current.time,
                           suggestion="Continue the movement after the hyperdash, or use a basic-snapped hyperdash.")


SAME_SNAP_MS = 5


@check("catch.mixed-hyperdash-snaps", "Consecutive basic-snapped hyperdashes of different snaps", category=MODE,
       severity=Severity.WARNING, modes=ONLY)
def mixed_hyperdash_snaps(ctx: DifficultyContext) -> Iterator[Finding]:
    """Rain: hyperdashes in a row, all basic-snapped (125 ms or more), whose gaps differ by more than 5 ms: the
    player cannot settle into one rhythm of jumps (Warning; once per run of such hyperdashes)."""
    if ctx.level != Level.INSANE:
        return
    for chain in hyperdash_chains(ctx):
        run: list[tuple[Fruit, Fruit]] = []
        for pair in [*chain, None]:
            if pair is not None and pair[1].time - pair[0].time >= CHAIN_LIMITS[Level.INSANE][2]:
                run.append(pair)
                continue
            gaps = [b.time - a.time for a, b in run]
            if len(run) >= 2 and max(gaps) - min(gaps) > SAME_SNAP_MS:
                yield ctx.flag(f"{len(run)} basic-snapped hyperdashes in a row on different snaps "
                               f"({', '.join(f'{gap:.0f}' for gap in gaps)} ms).",
                               objects=[run[0][0].source, run[-1][1].source], time=run[0][0].time,
                               suggestion="Keep the hyperdashes of one chain on one snap.")
            run = []
