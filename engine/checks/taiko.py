"""osu!taiko checks: finisher spacing, smallest snap and spinner readability on lower difficulties, OD/HP,
scroll speed changes on lower difficulties, kiai flashes, barlines too close after a new red line, barlines
hidden by the last note or left behind by a scroll speed change.

Thresholds are Mapset Verifier's (checks.md §4), measured in beats of the red line in effect. The finisher
rules for Inner/Hell Oni (colour-change exceptions) are simplified to a ¼-beat Warning. Barlines lie where osu!
draws them (`DifficultyContext.barlines`: lazer's generator, bars accumulated and put on the whole ms when a hair
off it), which settles the cases Mapset Verifier leaves to be double-checked by hand.
"""

from __future__ import annotations

import bisect
import math
from collections import Counter
from collections.abc import Iterator

from engine.checks.context import PRECISION, DifficultyContext, Obj, bar_length, on_whole_ms
from engine.checks.levels import Level
from engine.checks.registry import TAIKO, check
from engine.findings import Finding, Severity
from engine.osu.hitobjects import HITSOUND_FINISH

MODE = "osu!taiko"
ONLY = frozenset({TAIKO})
TOLERANCE_MS = 2.0


def beats_between(ctx: DifficultyContext, a: Obj, b: Obj) -> float:
    return (b.time - a.end_time) / ctx.beat_length_at(a.time)


FINISHER_GAP = {Level.EASY: 1 / 2, Level.NORMAL: 1 / 3, Level.HARD: 1 / 4, Level.INSANE: 1 / 6}


@check("taiko.finishers", "Unrankable finishers", category=MODE, severity=Severity.PROBLEM, modes=ONLY)
def finishers(ctx: DifficultyContext) -> Iterator[Finding]:
    """A finisher (big note) with a note ≤ ½ / ⅓ / ¼ / ⅙ beat before or after it on Kantan / Futsuu / Muzukashii
    / Oni (Problem; Muzukashii ⅓ beat Warning); on Inner/Hell Oni ≤ ¼ beat (Warning)."""
    if ctx.level is None:
        return
    limit = FINISHER_GAP.get(ctx.level, 1 / 4)
    severity = Severity.PROBLEM if ctx.level in FINISHER_GAP else Severity.WARNING
    notes = [o for o in ctx.objects if o.kind == "circle"]
    for i, o in enumerate(notes):
        if not o.raw.hit_sound & HITSOUND_FINISH:
            continue
        for other in (notes[i - 1] if i else None, notes[i + 1] if i + 1 < len(notes) else None):
            if other is None:
                continue
            gap = abs(beats_between(ctx, *sorted((o, other), key=lambda n: n.time)))
            if gap <= limit + TOLERANCE_MS / ctx.beat_length_at(o.time):
                yield ctx.flag(f"Finisher {gap:.2f} beats from the next note.", objects=[o, other], severity=severity,
                               suggestion="Leave more room around finishers, or make it a normal note.")
            elif ctx.level == Level.HARD and gap <= 1 / 3 + TOLERANCE_MS / ctx.beat_length_at(o.time):
                yield ctx.flag(f"Finisher {gap:.2f} beats from the next note.", objects=[o, other],
                               severity=Severity.WARNING, suggestion="Check that the finisher is readable.")


SMALLEST_SNAP = {Level.EASY: 1 / 2, Level.NORMAL: 1 / 3, Level.HARD: 1 / 6, Level.INSANE: 1 / 6}


@check("taiko.smallest-snap", "Snapping too fine for the difficulty", category=MODE, severity=Severity.WARNING,
       modes=ONLY)
def smallest_snap(ctx: DifficultyContext) -> Iterator[Finding]:
    """Notes closer than ½ beat (Kantan), ⅓ (Futsuu) or ⅙ (Muzukashii, Oni) (Warning)."""
    limit = SMALLEST_SNAP.get(ctx.level) if ctx.level is not None else None
    if limit is None:
        return
    for a, b in zip(ctx.objects, ctx.objects[1:]):
        beat = ctx.beat_length_at(a.time)
        if b.time - a.end_time < limit * beat - TOLERANCE_MS:
            yield ctx.flag(f"Notes {(b.time - a.end_time) / beat:.2f} beats apart; {ctx.level.name.title()} allows "  # type: ignore[union-attr]
                           f"1/{round(1 / limit)} at most.", objects=[a, b], suggestion="Simplify the rhythm.")


@check("taiko.spinner-readability", "Note too close before a spinner", category=MODE, severity=Severity.MINOR,
       modes=ONLY)
def spinner_readability(ctx: DifficultyContext) -> Iterator[Finding]:
    """A note less than ½ beat (Kantan–Muzukashii) or ¼ beat (Oni and up) before a spinner (Minor)."""
    if ctx.level is None:
        return
    limit = 1 / 2 if ctx.level <= Level.HARD else 1 / 4
    for a, b in zip(ctx.objects, ctx.objects[1:]):
        if b.is_spinner and not a.is_spinner and b.time - a.end_time < limit * ctx.beat_length_at(a.time) - TOLERANCE_MS:
            yield ctx.flag("Note right before a spinner is hard to read.", objects=[a, b],
                           suggestion="Leave more room before the spinner.")


PATTERN_LIMITS = {  # level → {beat fraction between notes: most notes in a row}
    Level.EASY: {1: 7, 2: 2}, Level.NORMAL: {2: 7, 3: 2}, Level.HARD: {4: 5, 6: 4}, Level.INSANE: {4: 9, 6: 4, 8: 2}}


@check("taiko.pattern-lengths", "Patterns too long for the difficulty", category=MODE, severity=Severity.WARNING,
       modes=ONLY)
def pattern_lengths(ctx: DifficultyContext) -> Iterator[Finding]:
    """Kantan: at most 7 notes in a row at 1/1 and 2 at 1/2; Futsuu 7 at 1/2 and 2 at 1/3; Muzukashii 5 at 1/4
    and 4 at 1/6; Oni 9 at 1/4, 4 at 1/6 and 2 at 1/8 — more is a Warning, exactly the limit a Minor.
    (Mapset Verifier lowers Futsuu's 1/2 limit to 5 in sets without a Kantan; not done here.)"""
    limits = PATTERN_LIMITS.get(ctx.level) if ctx.level is not None else None
    if limits is None:
        return
    notes = [o for o in ctx.objects if o.kind == "circle"]
    for divisor, limit in limits.items():
        run: list[Obj] = notes[:1]
        for previous, note in [*zip(notes, notes[1:]), (None, None)]:
            if note is not None and previous is not None and abs(
                    note.time - previous.time - ctx.beat_length_at(previous.time) / divisor) <= TOLERANCE_MS:
                run.append(note)
                continue
            if len(run) >= limit and len(run) > 1:
                yield ctx.flag(f"{len(run)} notes in a row at 1/{divisor}; {ctx.level.name.title()} allows {limit}.",  # type: ignore[union-attr]
                               objects=[run[0], run[-1]],
                               severity=Severity.WARNING if len(run) > limit else Severity.MINOR,
                               suggestion="Break the pattern up.")
            run = [note] if note is not None else []


REST = {Level.EASY: (3.0, 36, 44), Level.NORMAL: (2.0, 36, 44), Level.HARD: (1.5, 36, 44), Level.INSANE: (1.0, 20, 32)}


@check("taiko.rest-moments", "Too long without a rest", category=MODE, severity=Severity.WARNING, modes=ONLY)
def rest_moments(ctx: DifficultyContext) -> Iterator[Finding]:
    """A stretch without a rest (a gap of 3 beats on Kantan, 2 on Futsuu, 1½ on Muzukashii, 1 on Oni) longer
    than 36 beats (20 on Oni) → Minor, 44 (32 on Oni) → Warning. (Mapset Verifier also accepts three 1/1
    gaps as a Muzukashii rest; not done here.)"""
    rule = REST.get(ctx.level) if ctx.level is not None else None
    if rule is None or not ctx.objects:
        return
    rest, minor, warning = rule
    start = ctx.objects[0]
    for previous, o in [*zip(ctx.objects, ctx.objects[1:]), (ctx.objects[-1], None)]:
        beat = ctx.beat_length_at(start.time)
        if o is not None and o.time - previous.end_time < rest * beat - TOLERANCE_MS:
            continue
        beats = (previous.end_time - start.time) / beat
        if beats > minor:
            yield ctx.flag(f"{beats:.0f} beats of mapping without a {rest:g}-beat rest.", objects=[start, previous],
                           severity=Severity.WARNING if beats > warning else Severity.MINOR,
                           suggestion="Give the player a break in the pattern.")
        start = o  # type: ignore[assignment]


OD_RECOMMENDED = {Level.EASY: 3.0, Level.NORMAL: 4.0, Level.HARD: 5.0, Level.INSANE: 5.5}
HP_RECOMMENDED = {  # by drain: ≤ 1:00, < 3:45, < 4:45, longer
    Level.EASY: (9, 8, 7, 6), Level.NORMAL: (8, 7, 6, 5), Level.HARD: (7, 6, 5, 4), Level.INSANE: (7, 5.5, 5, 4)}


@check("taiko.od-hp", "OD or HP off the recommendation", category=MODE, severity=Severity.MINOR, modes=ONLY)
def od_hp(ctx: DifficultyContext) -> Iterator[Finding]:
    """Kantan–Oni: OD off 3 / 4 / 5 / 5.5 and HP off the drain-time table (checks.md §4): by more than 0.5 (OD) or
    1 (HP) → Warning, otherwise Minor."""
    if ctx.level not in OD_RECOMMENDED:
        return
    drain = ctx.drain_time
    column = 0 if drain <= 60_000 else 1 if drain < 225_000 else 2 if drain < 285_000 else 3
    for name, value, wanted, slack in (
            ("OD", ctx.beatmap.difficulty.overall_difficulty, OD_RECOMMENDED[ctx.level], 0.5),
            ("HP", ctx.beatmap.difficulty.hp_drain_rate, HP_RECOMMENDED[ctx.level][column], 1.0)):  # type: ignore[index]
        if value != wanted:
            yield ctx.flag(f"{name} {value:g}; {wanted:g} is recommended for this difficulty.",
                           severity=Severity.WARNING if abs(value - wanted) > slack else Severity.MINOR,
                           suggestion=f"Consider {name} {wanted:g}.")


@check("taiko.sv-changes", "Scroll speed changes on lower difficulties", category=MODE, severity=Severity.WARNING,
       modes=ONLY)
def sv_changes(ctx: DifficultyContext) -> Iterator[Finding]:
    """Kantan/Futsuu: a green line whose effective scroll speed (BPM × SV) differs by more than 1 from the
    speed most of the map uses (Warning)."""
    if ctx.level not in (Level.EASY, Level.NORMAL) or not ctx.objects:
        return
    speeds = Counter(round(ctx.beatmap.timing.slider_velocity_at(o.time, TAIKO) * 60000 / ctx.beat_length_at(o.time))
                     for o in ctx.objects)
    main = speeds.most_common(1)[0][0]
    for point in ctx.timing_points:
        if point.uninherited:
            continue
        speed = point.slider_velocity(TAIKO) * 60000 / ctx.beat_length_at(point.time)
        if abs(speed - main) > 1:
            yield ctx.flag(f"Scroll speed changes to {speed:.0f} (the map mostly scrolls at {main}).", time=point.time,
                           line=None if point.line is None else point.line + 1,
                           suggestion="Keep the scroll speed constant on lower difficulties.")


@check("taiko.kiai-flashes", "Kiai flashes", category=MODE, severity=Severity.WARNING, modes=ONLY)
def kiai_flashes(ctx: DifficultyContext) -> Iterator[Finding]:
    """Kiai turned on and off again within ⌈beat/3⌉ ms (Warning) or ⌈beat/2⌉ ms (Minor): a flash."""
    toggles = []
    kiai = False
    for point in ctx.timing_points:
        if point.kiai != kiai:
            toggles.append(point)
            kiai = point.kiai
    for a, b in zip(toggles, toggles[1:]):
        beat = ctx.beat_length_at(a.time)
        gap = b.time - a.time
        if gap <= math.ceil(beat / 2):
            yield ctx.flag(f"Kiai toggles twice within {gap:g} ms.", time=a.time, end=b.time,
                           severity=Severity.WARNING if gap <= math.ceil(beat / 3) else Severity.MINOR,
                           suggestion="Make the kiai section longer or remove it.")


@check("taiko.close-barlines", "Barlines too close after a new red line", category=MODE, severity=Severity.PROBLEM,
       modes=ONLY)
def close_barlines(ctx: DifficultyContext) -> Iterator[Finding]:
    """A red line's barline less than half a beat after the barline before it (Problem) or less than a beat
    (Warning), in beats of the red line that barline belongs to: two barlines show almost together. A red line
    less than 1 ms from a downbeat of the section before it is on that downbeat. Barlines lie where osu! draws
    them (`DifficultyContext.barlines`), so a red line 1 ms after a bar the sum of 666.666666666667 ms beats
    puts a hair past 9000 is 1 ms after 9000 (not 0.999999999996 ms: on it), and the barline before a red line
    is the last one drawn, not the previous red line when that one omits its first barline and ends before
    its second."""
    bars = ctx.barlines
    for red in ctx.red_lines:
        own = bisect.bisect_left(bars, red.time - PRECISION)
        if red.omit_first_barline or own == 0 or own == len(bars) or bars[own] - red.time > PRECISION:
            continue
        previous = bars[own - 1]
        section = ctx.red_line_at(previous)
        assert section is not None  # there are barlines only where there are red lines
        gap = red.time - previous
        if gap < 1 or on_whole_ms(previous + bar_length(section)) - red.time < 1:
            continue
        if gap < section.beat_length:
            yield ctx.flag(f"This red line's barline comes {gap:.0f} ms after the previous barline.", time=red.time,
                           line=None if red.line is None else red.line + 1,
                           severity=Severity.PROBLEM if gap < section.beat_length / 2 else Severity.WARNING,
                           suggestion="Omit the first barline on this red line, or move it.")


@check("taiko.last-note-hiding-barline", "Unsnapped last note hiding its barline", category=MODE,
       severity=Severity.PROBLEM, modes=ONLY)
def last_note_hiding_barline(ctx: DifficultyContext) -> Iterator[Finding]:
    """The map's last object ending 1–2 ms before a barline (`DifficultyContext.barlines`): osu! draws no
    barline after the last object, so that barline disappears (Problem for a note; Minor for a drumroll or
    spinner end). Mapset
    Verifier, working on unrounded bar times, cannot tell a bar a hair short of 17000 ms from one on it and asks
    to double-check such cases by hand; here the bar is on 17000 as in osu!, so a note at 16999 is flagged."""
    if not ctx.objects:
        return
    last = max(ctx.objects, key=lambda o: o.end_time)
    bars = ctx.barlines
    following = bisect.bisect_right(bars, last.end_time)
    offset = last.end_time - bars[following] if following < len(bars) else 0.0
    if -2 < offset <= -1:
        part = "note" if last.kind == "circle" else f"{last.kind} end"
        yield ctx.flag(f"Last {part} in the map is hiding its barline, due to being unsnapped {-offset:g} ms early.",
                       objects=[last], time=last.end_time,
                       severity=Severity.PROBLEM if last.kind == "circle" else Severity.MINOR,
                       suggestion="Snap it onto the barline (Ctrl+Shift+S in the editor).")


BARLINE_SV_MS = 5


@check("taiko.barline-unaffected-by-sv", "Barline just before a scroll speed change", category=MODE,
       severity=Severity.WARNING, modes=ONLY)
def barline_unaffected_by_sv(ctx: DifficultyContext) -> Iterator[Finding]:
    """A green line changing the scroll speed up to 5 ms after a barline (`DifficultyContext.barlines`): the
    barline keeps the old speed and drifts apart from the notes on it (Warning; usually a 1 ms unsnap from
    copying lines). A line on the whole ms osu! puts a barline on is on it, whichever side of that ms the bar's
    unrounded time falls (Mapset Verifier asks to double-check such lines by hand, or flags them 0 ms late), so
    it is not flagged."""
    bars = ctx.barlines
    for point in ctx.timing_points:
        if point.uninherited:
            continue
        before = ctx.beatmap.timing.slider_velocity_at(point.time - 1, TAIKO)
        previous = bisect.bisect_left(bars, point.time) - 1
        if previous < 0 or abs(point.slider_velocity(TAIKO) - before) < 1e-9:
            continue
        offset = point.time - bars[previous]
        if offset <= BARLINE_SV_MS:
            yield ctx.flag(f"Barline is snapped {round(offset, 2):g} ms before a line which would modify its slider "
                           "velocity.", time=bars[previous], line=None if point.line is None else point.line + 1,
                           suggestion="Move the green line onto the barline.")
