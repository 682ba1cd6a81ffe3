"""osu!mania checks: key count, notes overlapping in a column, too short long notes, column usage, chord
sizes, HP/OD on lower difficulties, non-canonical column positions, unnormalised scroll speed, the custom
hitnormal.

Columns come from x as osu! reads them (`floor(x · keys / 512)`); thresholds are Mapset Verifier's.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Iterator

from engine.checks.context import DifficultyContext, Obj
from engine.checks.fixes import Change
from engine.checks.levels import Level
from engine.checks.registry import MANIA, check
from engine.findings import Finding, Severity
from engine.osu import derived
from engine.osu.keyvalues import SAMPLE_SETS

MODE = "osu!mania"
ONLY = frozenset({MANIA})


@check("mania.key-count", "Unrankable key count", category=MODE, severity=Severity.PROBLEM, modes=ONLY)
def key_count(ctx: DifficultyContext) -> Iterator[Finding]:
    """Fewer than 4 or more than 18 keys (Problem; Mapset Verifier's code — its documentation says 4–10),
    or a CircleSize that is not a whole number of keys (Warning)."""
    size = ctx.beatmap.difficulty.circle_size
    if not 4 <= round(size) <= 18:
        yield ctx.flag(f"{size:g} keys; ranked mania maps use 4 to 18 keys.", suggestion="Change the key count.")
    elif size != int(size):
        yield ctx.flag(f"CircleSize {size:g} is not a whole key count; osu! plays {ctx.key_count} keys.",
                       severity=Severity.WARNING, suggestion=f"Set CircleSize to {ctx.key_count}.")


def by_column(ctx: DifficultyContext) -> dict[int, list[Obj]]:
    columns: dict[int, list[Obj]] = {}
    for o in ctx.objects:
        columns.setdefault(o.column or 0, []).append(o)
    return columns


@check("mania.column-overlap", "Concurrent notes in one column", category=MODE, severity=Severity.PROBLEM,
       modes=ONLY)
def column_overlap(ctx: DifficultyContext) -> Iterator[Finding]:
    """A note starting before the previous note of its column ends, or ≤ 30 ms after it (Problem)."""
    for column, notes in sorted(by_column(ctx).items()):
        for previous, current in zip(notes, notes[1:]):
            gap = current.time - previous.end_time
            if gap <= 30:
                what = "overlaps the note before it" if gap <= 0 else f"comes {gap:g} ms after the note before it"
                yield ctx.flag(f"Note in column {column + 1} {what}.", objects=[previous, current],
                               suggestion="Delete one of them or move it to another column.")


@check("mania.short-long-notes", "Too short long notes", category=MODE, severity=Severity.PROBLEM, modes=ONLY)
def short_long_notes(ctx: DifficultyContext) -> Iterator[Finding]:
    """A hold note shorter than 20 ms (Problem) or 30 ms (Warning)."""
    for o in ctx.objects:
        if o.kind == "hold" and o.duration < 30:
            yield ctx.flag(f"Long note lasts only {o.duration:g} ms.", objects=[o],
                           severity=Severity.PROBLEM if o.duration < 20 else Severity.WARNING,
                           suggestion="Make it longer or use a normal note.")


@check("mania.column-usage", "Unbalanced column usage", category=MODE, severity=Severity.WARNING, modes=ONLY)
def column_usage(ctx: DifficultyContext) -> Iterator[Finding]:
    """A column without any note (Problem), or with ≥ 120 % / ≤ 80 % of the average notes per column (Warning).
    Maps under 100 notes are not judged on balance."""
    counts = Counter(o.column for o in ctx.objects)
    if not ctx.objects:
        return
    average = len(ctx.objects) / ctx.key_count
    for column in range(ctx.key_count):
        count = counts.get(column, 0)
        if count == 0:
            yield ctx.flag(f"Column {column + 1} has no notes.", severity=Severity.PROBLEM,
                           suggestion="Use every column, or lower the key count.")
        elif len(ctx.objects) >= 100 and not 0.8 * average < count < 1.2 * average:
            yield ctx.flag(f"Column {column + 1} has {count} notes, {count / average:.0%} of the average.",
                           suggestion="Spread the notes more evenly over the columns.")


def _chord_limit(level: Level, keys: int) -> int | None:
    return {Level.EASY: 3, Level.NORMAL: 3 if keys <= 6 else 4, Level.HARD: 4 if keys <= 6 else 5,
            Level.INSANE: 7}.get(level)


@check("mania.chord-size", "Chords too big for the difficulty", category=MODE, severity=Severity.WARNING,
       modes=ONLY)
def chord_size(ctx: DifficultyContext) -> Iterator[Finding]:
    """Easy: chords of 3 notes; Normal: 3 (4–6K) / 4 (7K+); Hard: 4 / 5; Insane: 7 (Warning)."""
    limit = _chord_limit(ctx.level, ctx.key_count) if ctx.level is not None else None
    if limit is None:
        return
    chords: dict[float, list[Obj]] = {}
    for o in ctx.objects:
        chords.setdefault(o.time, []).append(o)
    for notes in chords.values():
        if len(notes) >= limit:
            yield ctx.flag(f"{len(notes)}-note chord on a {ctx.level.name.title()} difficulty.", objects=notes,  # type: ignore[union-attr]
                           suggestion="Use smaller chords.")


HP_OD_LIMIT = {Level.EASY: 7.0, Level.NORMAL: 7.5, Level.HARD: 8.0}


@check("mania.hp-od", "HP or OD too high on lower difficulties", category=MODE, severity=Severity.WARNING,
       modes=ONLY)
def hp_od(ctx: DifficultyContext) -> Iterator[Finding]:
    """HP or OD above 7 (Easy), 7.5 (Normal) or 8 (Hard) (Warning)."""
    limit = HP_OD_LIMIT.get(ctx.level) if ctx.level is not None else None
    if limit is None:
        return
    for name, value in (("HP", ctx.beatmap.difficulty.hp_drain_rate), ("OD", ctx.beatmap.difficulty.overall_difficulty)):
        if value > limit:
            yield ctx.flag(f"{name} {value:g} is above {limit:g}, the most a {ctx.level.name.title()} should use.",  # type: ignore[union-attr]
                           suggestion=f"Lower {name}.")


@check("mania.column-position", "Notes off their column's usual x", category=MODE, severity=Severity.INFO,
       modes=ONLY)
def column_position(ctx: DifficultyContext) -> Iterator[Finding]:
    """A note whose x is not the value osu!'s editors write for its column (converter or tool output; it plays
    the same). The fix writes the editor's x, so other tools read the column the same way."""
    keys = ctx.key_count
    for o in ctx.objects:
        canonical = derived.mania_x(o.column or 0, keys)
        if o.x != canonical and o.raw.line is not None:
            fix = Change.of(o.raw, f"Set x to {canonical}.", x=canonical)
            yield ctx.flag(f"Note at x = {o.x:g} is in column {(o.column or 0) + 1}, usually written x = {canonical}.",
                           objects=[o], fix=fix)


@check("mania.unnormalised-sv", "Unnormalised scroll speed with variable BPM", category=MODE,
       severity=Severity.WARNING, modes=ONLY)
def unnormalised_sv(ctx: DifficultyContext) -> Iterator[Finding]:
    """With several BPMs, a red line whose BPM differs from the main BPM (the one lasting longest) and has no
    green line at its time setting SV = main BPM / its BPM (± 0.02): scroll speed jumps with the BPM (Warning)."""
    reds = ctx.red_lines
    if len({round(r.beat_length, 3) for r in reds}) < 2 or not ctx.objects:
        return
    end = max(o.end_time for o in ctx.objects)
    lasting: Counter[float] = Counter()
    for red, following in zip(reds, [*reds[1:], None]):
        lasting[round(red.beat_length, 3)] += max(0.0, (following.time if following else end) - red.time)
    main = lasting.most_common(1)[0][0]
    greens = [p for p in ctx.timing_points if not p.uninherited]
    green_times = [p.time for p in greens]
    for red in reds:
        if abs(red.beat_length - main) < 1e-3 or red.time > end:
            continue
        wanted = red.beat_length / main
        near = greens[bisect_left(green_times, red.time - 1):bisect_right(green_times, red.time + 1)]
        if not any(abs(p.time - red.time) < 1 and abs(p.slider_velocity(MANIA) - wanted) <= 0.02 for p in near):
            yield ctx.flag(f"The red line at {red.time:g} ms ({60000 / red.beat_length:g} BPM) has no green line "
                           f"normalising its scroll speed (SV {wanted:.2f}).", time=red.time,
                           line=None if red.line is None else red.line + 1,
                           suggestion="Add a green line with that SV on the red line, or make the speed change intended.")


BANKS = {1: "normal", 2: "soft", 3: "drum"}
HITNORMAL = re.compile(r"(normal|soft|drum)-hitnormal(\d*)\.(wav|ogg|mp3)")


@check("mania.custom-hitnormal", "Missing custom hitnormal", category=MODE, severity=Severity.PROBLEM, modes=ONLY)
def custom_hitnormal(ctx: DifficultyContext) -> Iterator[Finding]:
    """The ranking criteria want a custom hitnormal under every note: no hitnormal sample in the folder (Warning),
    or timing lines whose sample set and custom index name no hitnormal in the folder, so osu!'s default plays
    there (Problem; index 0 always plays the skin's). Runs only with the folder; one finding per difficulty
    naming the first such line."""
    if ctx.folder_files is None or not ctx.objects:
        return
    present = {(match.group(1), int(match.group(2) or 1)) for name in ctx.folder_files
               if "/" not in name and (match := HITNORMAL.fullmatch(name))}
    if not present:
        yield ctx.flag("The folder has no hitnormal sample, so every note plays osu!'s default.", severity=Severity.WARNING,
                       suggestion="Add a custom hitnormal (e.g. soft-hitnormal.wav) and use it on the timing lines.")
        return
    default_set = SAMPLE_SETS.get(ctx.beatmap.general.sample_set) or 1
    uncovered = [point for point in ctx.timing_points
                 if (BANKS.get(point.sample_set or default_set), point.sample_index) not in present]
    if uncovered:
        first = uncovered[0]
        asked = (_hitnormal(BANKS.get(first.sample_set or default_set, "normal"), first.sample_index)
                 if first.sample_index else "the skin's samples (custom index 0)")
        names = ", ".join(sorted(_hitnormal(bank, index) for bank, index in present))
        yield ctx.flag(f"{len(uncovered)} timing line(s) play no custom hitnormal; the first, at {first.time:g} ms, asks "
                       f"for {asked}.", time=first.time, line=None if first.line is None else first.line + 1,
                       suggestion=f"Give those lines a sample set and custom index whose hitnormal is in the folder "
                                  f"({names}).")


def _hitnormal(bank: str, index: int) -> str:
    return f"{bank}-hitnormal{index if index > 1 else ''}"
