"""Cross-difficulty consistency: timing, kiai, preview point, hit sounds, snapping, settings, video, barlines,
and the time a set needs for its lowest difficulty.

The first difficulty given (file-name order for a folder) is the reference others are compared with, as
Mapset Verifier compares against a reference difficulty. Checks stay quiet for a single difficulty.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator

from engine.checks.context import PRECISION, DifficultyContext, MapsetContext, Obj
from engine.checks.hitsounds import ADDITIONS, edge_sounds
from engine.checks.levels import Level
from engine.checks.registry import CATCH, MANIA, STANDARD, TAIKO, Scope, check
from engine.checks.snapping import snap_divisor
from engine.checks.timing import edges
from engine.findings import Finding, Severity
from engine.osu.timing import TimingPoint

CONSISTENCY = "Consistency"


def _near(points: list[TimingPoint], time: float, tolerance: float) -> TimingPoint | None:
    return next((p for p in points if abs(p.time - time) < tolerance), None)


@check("mapset.inconsistent-timing", "Inconsistent uninherited lines, meter or BPM", category=CONSISTENCY,
       severity=Severity.PROBLEM, scope=Scope.MAPSET)
def inconsistent_timing(ctx: MapsetContext) -> Iterator[Finding]:
    """A red line missing or extra compared with the reference difficulty, or with another BPM (ms per beat
    differing by > 0.001) or meter at the same offset (Problem); the same line with an offset differing by a
    fraction of a ms (Minor)."""
    if len(ctx.difficulties) < 2:
        return
    reference = ctx.difficulties[0]
    ref_lines = reference.red_lines
    for difficulty in ctx.difficulties[1:]:
        lines = difficulty.red_lines
        for line in ref_lines:
            match = _near(lines, line.time, 1)
            if match is None:
                yield ctx.flag(f"Missing the red line at {line.time:g} ms that [{reference.version}] has.",
                               difficulty=difficulty, time=line.time, suggestion="Copy the timing from the reference.")
                continue
            if abs(match.beat_length - line.beat_length) > 1e-3 or match.meter != line.meter:
                yield ctx.flag(f"The red line at {line.time:g} ms has {60000 / match.beat_length:g} BPM "
                               f"{match.meter}/4 here but {60000 / line.beat_length:g} BPM {line.meter}/4 in "
                               f"[{reference.version}].", difficulty=difficulty, time=line.time,
                               suggestion="Copy the timing from the reference.")
            elif match.time != line.time:
                yield ctx.flag(f"The red line at {match.time:g} ms is at {line.time:g} ms in [{reference.version}].",
                               difficulty=difficulty, time=line.time, severity=Severity.MINOR,
                               suggestion="Use the same offset in every difficulty.")
        for line in lines:
            if _near(ref_lines, line.time, 1) is None:
                yield ctx.flag(f"Red line at {line.time:g} ms that [{reference.version}] does not have.",
                               difficulty=difficulty, time=line.time, suggestion="Copy the timing from the reference.")


def kiai_sections(difficulty: DifficultyContext) -> list[tuple[float, float]]:
    """(start, end) of each kiai section; an open kiai ends at infinity."""
    sections: list[tuple[float, float]] = []
    start: float | None = None
    for point in difficulty.timing_points:
        if point.kiai and start is None:
            start = point.time
        elif not point.kiai and start is not None and point.time > start:
            sections.append((start, point.time))
            start = None
    if start is not None:
        sections.append((start, float("inf")))
    return sections


@check("mapset.inconsistent-kiai", "Kiai inconsistent between difficulties", category=CONSISTENCY,
       severity=Severity.MINOR, scope=Scope.MAPSET)
def inconsistent_kiai(ctx: MapsetContext) -> Iterator[Finding]:
    """Kiai starting or ending at other times (beyond 2 ms) than in the reference difficulty (Minor)."""
    if len(ctx.difficulties) < 2:
        return
    reference = ctx.difficulties[0]
    ref_edges = {edge for section in kiai_sections(reference) for edge in section}
    for difficulty in ctx.difficulties[1:]:
        edges = {edge for section in kiai_sections(difficulty) for edge in section}
        for edge in sorted(edges):
            if edge != float("inf") and not any(abs(edge - other) <= 2 for other in ref_edges):
                yield ctx.flag(f"Kiai toggles at {edge:g} ms here but not in [{reference.version}].",
                               difficulty=difficulty, time=edge, suggestion="Use the same kiai in every difficulty.")
        for edge in sorted(ref_edges):
            if edge != float("inf") and not any(abs(edge - other) <= 2 for other in edges):
                yield ctx.flag(f"[{reference.version}] toggles kiai at {edge:g} ms but this difficulty does not.",
                               difficulty=difficulty, time=edge, suggestion="Use the same kiai in every difficulty.")


@check("mapset.inconsistent-preview", "Inconsistent preview time", category=CONSISTENCY, severity=Severity.PROBLEM,
       scope=Scope.MAPSET)
def inconsistent_preview(ctx: MapsetContext) -> Iterator[Finding]:
    """A preview point differing from the reference difficulty's (Problem)."""
    if len(ctx.difficulties) < 2:
        return
    reference = ctx.difficulties[0]
    expected = reference.beatmap.general.preview_time
    for difficulty in ctx.difficulties[1:]:
        preview = difficulty.beatmap.general.preview_time
        if preview != expected:
            yield ctx.flag(f"Preview point {preview} ms differs from [{reference.version}]'s {expected} ms.",
                           difficulty=difficulty, suggestion="Use the same preview point in every difficulty.")


def _addition_times(difficulty: DifficultyContext) -> dict[int, int]:
    """Rounded time → additions bits of every object edge (hit sounds the player triggers)."""
    found: dict[int, int] = {}
    for o in difficulty.objects:
        if o.is_spinner:
            continue
        for _, time, bits in edge_sounds(o):
            found[round(time)] = found.get(round(time), 0) | (bits & ADDITIONS)
    return found


def _lookup(times: dict[int, int], time: int) -> int | None:
    """The value at `time` or within 2 ms of it."""
    for delta in (0, -1, 1, -2, 2):
        if time + delta in times:
            return times[time + delta]
    return None


ADDITION_NAMES = {2: "whistle", 4: "finish", 8: "clap"}


@check("mapset.inconsistent-hitsounds", "Inconsistent hit sounds between difficulties", category=CONSISTENCY,
       severity=Severity.WARNING, scope=Scope.MAPSET)
def inconsistent_hitsounds(ctx: MapsetContext) -> Iterator[Finding]:
    """osu!/catch: an addition (whistle, finish, clap) other difficulties play at a moment (± 2 ms) where this one
    has an object without it: Warning when more than half of the difficulties with an object there play it,
    else Minor."""
    diffs = [d for d in ctx.difficulties if d.mode in (STANDARD, CATCH)]
    if len(diffs) < 2:
        return
    sounds = [_addition_times(d) for d in diffs]
    for index, difficulty in enumerate(diffs):
        mine = sounds[index]
        others = [s for j, s in enumerate(sounds) if j != index]
        by_object = {round(o.time): o for o in difficulty.objects}
        for time, bits in sorted(mine.items()):
            present = [b for b in (_lookup(other, time) for other in others) if b is not None]
            for bit, name in ADDITION_NAMES.items():
                if bits & bit:
                    continue
                having = sum(1 for b in present if b & bit)
                if having == 0:
                    continue
                severity = Severity.WARNING if having > len(present) / 2 else Severity.MINOR
                o = by_object.get(time)
                yield ctx.flag(f"{having} of {len(present)} other difficulties play a {name} here; this one does not.",
                               difficulty=difficulty, objects=[o] if o is not None else [], time=time,
                               severity=severity, suggestion="Copy the hit sounds between difficulties.")


MATCH_MS = 3


def _snapped_edges(difficulty: DifficultyContext) -> list[tuple[float, int | None, Obj]]:
    """(time, editor divisor or None when unsnapped, object) of every edge a player hits, by time."""
    found = []
    for o in difficulty.objects:
        for _, time in edges(difficulty, o):
            red = difficulty.red_line_at(time)
            found.append((time, None if red is None else snap_divisor(time, red.time, red.beat_length), o))
    return sorted(found, key=lambda edge: edge[0])


def _unmatched(mine: list[tuple[float, int | None, Obj]], other_times: list[float]
               ) -> list[tuple[float, int | None, Obj]]:
    """The edges of `mine` with no edge of the other difficulty within 3 ms."""
    found = []
    for edge in mine:
        k = bisect_left(other_times, edge[0] - MATCH_MS)
        if k >= len(other_times) or other_times[k] > edge[0] + MATCH_MS:
            found.append(edge)
    return found


def _family(divisor: int) -> str:
    return "whole" if divisor == 1 else "triple" if divisor % 3 == 0 else "even" if divisor in (2, 4, 8, 16) else "odd"


def _by_hardness(diffs: list[DifficultyContext]) -> list[DifficultyContext]:
    """Easiest first: by the level the names say when every name says one, then by objects per second of drain."""
    named = all(d.level is not None for d in diffs)
    return sorted(diffs, key=lambda d: (int(d.level) if named else 0,  # type: ignore[arg-type]
                                        len(d.objects) / max(d.drain_time, 1.0)))


@check("mapset.snap-consistency", "Inconsistent snapping between difficulties", category=CONSISTENCY,
       severity=Severity.MINOR, scope=Scope.MAPSET)
def snap_consistency(ctx: MapsetContext) -> Iterator[Finding]:
    """An edge of a lower difficulty with no edge of a harder difficulty of the same mode and timing within 3 ms,
    while the harder one has an unmatched edge on another divisor closer than half a tick of the coarser of the
    two divisors (less 2 ms): both meant the same sound but snapped it differently (Minor; Mapset Verifier's
    snap consistency). A lower difficulty on a coarser divisor of the same family (1/4 where the harder has
    1/16) simplifies the rhythm and is not flagged; 1/3 against 1/4 is. Harder: a higher level by name (when every name says one), else more objects
    per second."""
    for diffs in ctx.by_mode.values():
        if len(diffs) < 2:
            continue
        ordered = _by_hardness(diffs)
        snapped = {id(d): _snapped_edges(d) for d in ordered}
        for i, lower in enumerate(ordered):
            reported: set[float] = set()
            for higher in ordered[i + 1:]:
                mine, theirs = snapped[id(lower)], snapped[id(higher)]
                missing = _unmatched(mine, [edge[0] for edge in theirs])
                others = _unmatched(theirs, [edge[0] for edge in mine])
                other_times = [edge[0] for edge in others]
                for time, divisor, o in missing:
                    if divisor is None or time in reported:
                        continue
                    k = bisect_left(other_times, time)
                    near = [others[j] for j in (k - 1, k) if 0 <= j < len(others)]
                    if not near:
                        continue
                    other_time, other_divisor, _ = min(near, key=lambda edge: abs(edge[0] - time))
                    if other_divisor is None or other_divisor == divisor:
                        continue
                    same_family = _family(divisor) == _family(other_divisor) or 1 in (divisor, other_divisor)
                    if same_family and divisor < other_divisor:
                        continue  # the lower difficulty simplifies the rhythm
                    red, other_red = lower.red_line_at(time), higher.red_line_at(time)
                    if red is None or other_red is None or abs(red.time - other_red.time) >= 1 \
                            or abs(red.beat_length - other_red.beat_length) > 1e-3:
                        continue  # other timing: `mapset.inconsistent-timing` says so
                    if not MATCH_MS < abs(other_time - time) < red.beat_length / (2 * max(2, min(divisor, other_divisor))) - 2:
                        continue
                    reported.add(time)
                    yield ctx.flag(f"1/{divisor} here, where [{higher.version}] has 1/{other_divisor} at "
                                   f"{other_time:.0f} ms and nothing at this time.", difficulty=lower, objects=[o],
                                   time=time, suggestion="Check which sound both difficulties follow here.")


SETTINGS = (  # (attribute of General, label, applies to the difficulty, severity)
    ("audio_lead_in", "Audio lead-in", lambda d: True, Severity.WARNING),
    ("countdown", "Countdown", lambda d: d.mode in (STANDARD, CATCH) and bool(d.objects)
     and d.objects[0].time > 3 * d.beat_length_at(d.objects[0].time), Severity.WARNING),
    ("letterbox_in_breaks", "Letterbox in breaks", lambda d: bool(d.breaks), Severity.WARNING),
    ("epilepsy_warning", "Epilepsy warning", lambda d: True, Severity.WARNING),
    ("skin_preference", "Preferred skin", lambda d: True, Severity.WARNING),
    ("samples_match_playback_rate", "Samples match playback rate", lambda d: True, Severity.WARNING),
)


@check("mapset.inconsistent-settings", "Inconsistent settings", category=CONSISTENCY, severity=Severity.WARNING,
       scope=Scope.MAPSET)
def inconsistent_settings(ctx: MapsetContext) -> Iterator[Finding]:
    """Difficulties of one mode disagreeing on audio lead-in, countdown (when there is time for it), letterbox
    in breaks (when there are breaks), epilepsy warning, preferred skin or sample rate (Warning), or slider tick
    rate (Minor). Compared with the first difficulty of the same mode."""
    for diffs in ctx.by_mode.values():
        reference = diffs[0]
        for difficulty in diffs[1:]:
            for attribute, label, applies, severity in SETTINGS:
                mine = getattr(difficulty.beatmap.general, attribute)
                theirs = getattr(reference.beatmap.general, attribute)
                if mine != theirs and applies(difficulty) and applies(reference):
                    yield ctx.flag(f"{label} is {mine!r} here but {theirs!r} in [{reference.version}].",
                                   difficulty=difficulty, severity=severity,
                                   suggestion="Use the same setting in every difficulty.")
            mine, theirs = difficulty.beatmap.difficulty.slider_tick_rate, reference.beatmap.difficulty.slider_tick_rate
            if mine != theirs and difficulty.mode in (STANDARD, CATCH):
                yield ctx.flag(f"Slider tick rate is {mine:g} here but {theirs:g} in [{reference.version}].",
                               difficulty=difficulty, severity=Severity.MINOR,
                               suggestion="Use the same tick rate unless the difference is intended.")


@check("mapset.inconsistent-video", "Inconsistent video usage", category=CONSISTENCY, severity=Severity.WARNING,
       scope=Scope.MAPSET)
def inconsistent_video(ctx: MapsetContext) -> Iterator[Finding]:
    """Difficulties with different videos or none (Warning; taiko may drop the video), or one video with
    different offsets (Problem)."""
    diffs = [d for d in ctx.difficulties if d.mode != TAIKO]
    videos = {(d.beatmap.events.video.filename.lower() if d.beatmap.events.video else None) for d in diffs}
    if len(videos) > 1:
        yield ctx.flag(f"Difficulties use different videos: {sorted(str(v) for v in videos)}.",
                       suggestion="Use the same video (or none) in every difficulty.")
    offsets = {d.beatmap.events.video.start_time for d in ctx.difficulties if d.beatmap.events.video is not None}
    if len(offsets) > 1:
        yield ctx.flag(f"The video starts at different offsets: {sorted(offsets)} ms.", severity=Severity.PROBLEM,
                       suggestion="Use one video offset in every difficulty.")


def _first_barline(ctx: DifficultyContext, line: TimingPoint) -> float | None:
    """The first barline osu! draws at or after the red line (`DifficultyContext.barlines`), None past the last."""
    bars = ctx.barlines
    index = bisect_left(bars, line.time - PRECISION)
    return bars[index] if index < len(bars) else None


@check("mapset.inconsistent-barlines", "Inconsistent omitted barlines", category=CONSISTENCY,
       severity=Severity.PROBLEM, scope=Scope.MAPSET, modes=frozenset({TAIKO, MANIA}))
def inconsistent_barlines(ctx: MapsetContext) -> Iterator[Finding]:
    """taiko/mania: a red line omitting its first barline in one difficulty but not in the reference (Problem),
    where that changes the barlines osu! draws (`DifficultyContext.barlines`): the first barline at or after the
    line differs. A line a bar of the previous red line lands on — a hair short of it until osu! puts the bar on
    the whole ms, as the 8th bar of 571.428571428571 ms beats from 1000 on 17000 — shows a barline there either
    way, so its setting is not flagged."""
    diffs = [d for d in ctx.difficulties if d.mode in (TAIKO, MANIA)]
    if len(diffs) < 2:
        return
    reference = diffs[0]
    for difficulty in diffs[1:]:
        for line in difficulty.red_lines:
            match = _near(reference.red_lines, line.time, 1)
            if match is None or match.omit_first_barline == line.omit_first_barline:
                continue
            ours, theirs = _first_barline(difficulty, line), _first_barline(reference, match)
            if ours != theirs and (ours is None or theirs is None or abs(ours - theirs) >= 1):
                yield ctx.flag(f"The red line at {line.time:g} ms {'omits' if line.omit_first_barline else 'keeps'} "
                               f"its first barline, unlike [{reference.version}].", difficulty=difficulty,
                               time=line.time, suggestion="Use the same barline setting in every difficulty.")


# Lowest level → minimum set length in ms (osu!, taiko & catch, mania), MV's spread table.
MIN_LENGTH = {
    STANDARD: {Level.HARD: 210_000, Level.INSANE: 255_000, Level.EXPERT: 300_000},
    TAIKO: {Level.HARD: 150_000, Level.INSANE: 195_000, Level.EXPERT: 240_000},
    CATCH: {Level.HARD: 150_000, Level.INSANE: 195_000, Level.EXPERT: 240_000},
    MANIA: {Level.HARD: 120_000, Level.INSANE: 165_000, Level.EXPERT: 210_000},
}


@check("mapset.lowest-difficulty", "Lowest difficulty too difficult for the set's length", category=CONSISTENCY,
       severity=Severity.PROBLEM, scope=Scope.MAPSET)
def lowest_difficulty(ctx: MapsetContext) -> Iterator[Finding]:
    """Per mode: when the easiest difficulty is a Hard / Insane / Expert the set must last at least 3:30 / 4:15 /
    5:00 (osu!), 2:30 / 3:15 / 4:00 (taiko, catch), 2:00 / 2:45 / 3:30 (mania; lazer says 2:30 for Hard — MV
    chosen). Length is the longest play time (first object to last object end) among the mode's
    difficulties. Difficulties whose level the name does not tell are ignored; a lone difficulty is judged only
    when it is known to be the whole set."""
    if not ctx.whole_set and len(ctx.difficulties) < 2:
        return
    by_mode: dict[int, list[DifficultyContext]] = {}
    for difficulty in ctx.difficulties:
        if difficulty.level is not None and difficulty.objects:
            by_mode.setdefault(difficulty.mode, []).append(difficulty)
    for mode, diffs in by_mode.items():
        lowest = min(diffs, key=lambda d: d.level)  # type: ignore[arg-type, return-value]
        needed = MIN_LENGTH[mode].get(min(lowest.level, Level.EXPERT))  # type: ignore[type-var]
        length = max(max(o.end_time for o in d.objects) - d.objects[0].time for d in diffs)
        if needed is not None and length < needed:
            yield ctx.flag(f"The easiest difficulty is {lowest.level.name.title()} but the set lasts only "  # type: ignore[union-attr]
                           f"{length / 60000:.0f}:{length / 1000 % 60:02.0f}; it needs {needed // 60000}:"
                           f"{needed // 1000 % 60:02d}.", difficulty=lowest,
                           suggestion="Add an easier difficulty.")
