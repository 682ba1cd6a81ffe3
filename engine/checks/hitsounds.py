"""Hit-sound checks on one difficulty: low volumes, long stretches without hit sounds, storyboarded
samples, sample files that are missing, the same sample stacked in a mania chord.

Volumes and banks come from the object's own sample when it sets one, else from the timing line in effect
5 ms after the sound (osu!'s leniency, osu-format.md §9.1). Thresholds are Mapset Verifier's.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from engine.checks.context import DifficultyContext, Obj
from engine.checks.registry import CATCH, MANIA, STANDARD, TAIKO, check
from engine.checks.storyboard_lines import SAMPLE
from engine.findings import Finding, Severity
from engine.osu.hitobjects import HITSOUND_CLAP, HITSOUND_FINISH, HITSOUND_WHISTLE, Slider
from engine.osu.keyvalues import SAMPLE_SETS

HIT_SOUNDS = "Hit Sounds"
ADDITIONS = HITSOUND_WHISTLE | HITSOUND_FINISH | HITSOUND_CLAP


def volume_at(ctx: DifficultyContext, o: Obj, time: float) -> int:
    """The volume a sound of `o` at `time` plays at (osu! reads volumes below 5 as 5)."""
    sample = o.raw.hit_sample
    if sample is not None and sample.volume > 0:
        return max(5, sample.volume)
    point = ctx.beatmap.timing.point_at(time + 5)
    return max(5, point.volume if point is not None else ctx.beatmap.general.sample_volume)


def normal_bank(ctx: DifficultyContext, o: Obj) -> int:
    """The normal sample bank (1 normal, 2 soft, 3 drum) the object's head plays."""
    sample = o.raw.hit_sample
    if sample is not None and sample.normal_set:
        return sample.normal_set
    point = ctx.beatmap.timing.point_at(o.time + 5)
    return (point.sample_set if point is not None and point.sample_set else None) or \
        SAMPLE_SETS.get(ctx.beatmap.general.sample_set) or 1


def edge_sounds(o: Obj) -> list[tuple[str, float, int]]:
    """(part, time, hitSound bits) for the head, every repeat and the tail of a slider; the head of others."""
    if not isinstance(o.raw, Slider):
        return [("head", o.time, o.raw.hit_sound)]
    spans = o.raw.span_count
    sounds = o.raw.edge_sounds or ()
    span = o.duration / spans
    return [("head" if i == 0 else "tail" if i == spans else "reverse", o.time + span * i,
             sounds[i] if i < len(sounds) else o.raw.hit_sound) for i in range(spans + 1)]


@check("hitsounds.low-volume", "Low volume hit sounding", category=HIT_SOUNDS, severity=Severity.WARNING)
def low_volume(ctx: DifficultyContext) -> Iterator[Finding]:
    """A clickable part (object head, slider reverse) at ≤ 10 % volume (Warning) or a head at ≤ 20 % (Minor); a
    slider tail at ≤ 10 % (Minor). Mapset Verifier's levels; lazer rates a head ≤ 5 % a Problem — MV chosen."""
    for o in ctx.objects:
        if o.is_spinner:
            continue
        for part, time, _ in edge_sounds(o):
            volume = volume_at(ctx, o, time)
            if part == "tail":
                severity = Severity.MINOR if volume <= 10 else None
            elif volume <= 10:
                severity = Severity.WARNING
            elif part == "head" and volume <= 20:
                severity = Severity.MINOR
            else:
                severity = None
            if severity is not None:
                yield ctx.flag(f"The {o.kind} {part} plays at {volume} % volume.", objects=[o], time=time,
                               severity=severity, suggestion="Raise the volume so the click can be heard.")


LONG_PROBLEM = (30_000, 36_000, 8)
LONG_WARNING = (10_000, 12_000, 2)


@check("hitsounds.long-without-hitsounds", "Long periods without hit sounding", category=HIT_SOUNDS,
       severity=Severity.PROBLEM, modes=frozenset({STANDARD, CATCH}))
def long_without_hitsounds(ctx: DifficultyContext) -> Iterator[Finding]:
    """Between two hit-sound changes (an addition, or another normal bank), score = time + 200 ms per object,
    time excluding breaks and spinners: Problem when score > 30 000 and time > 36 s and > 8 objects; Warning
    when > 10 000, > 12 s and > 2 objects. A map with no additions, no sample set changes and no custom samples
    at all is a Problem."""
    playable = [o for o in ctx.objects if not o.is_spinner]
    if not playable:
        return
    # Per object, once: whether any edge plays an addition, and the head's normal bank.
    adds = [any(bits & ADDITIONS for _, _, bits in edge_sounds(o)) for o in playable]
    banks = [normal_bank(ctx, o) for o in playable]
    custom = any(o.raw.hit_sample is not None and o.raw.hit_sample.filename for o in playable)
    if not any(adds) and not custom and len(set(banks)) == 1:
        yield ctx.flag("The difficulty has no hit sounds at all (no additions, no sample set changes).",
                       suggestion="Hit sound the map, or copy the hit sounds from another difficulty.")
        return
    excluded = list(ctx.breaks) + [(o.time, o.end_time) for o in ctx.objects if o.is_spinner]
    last: Obj = playable[0]
    passed = 0
    bank = banks[0]
    for k in range(1, len(playable) + 1):
        o = playable[k] if k < len(playable) else None
        if o is not None and not adds[k] and banks[k] == bank:
            passed += 1
            continue
        end = o.time if o is not None else playable[-1].end_time
        span = end - last.time - sum(max(0.0, min(b, end) - max(a, last.time)) for a, b in excluded)
        score = span + 200 * passed
        for (total, seconds, count), severity in ((LONG_PROBLEM, Severity.PROBLEM), (LONG_WARNING, Severity.WARNING)):
            if score > total and span > seconds and passed > count:
                yield ctx.flag(f"{span / 1000:.0f} s and {passed} objects without a hit sound change.",
                               objects=[last], time=last.time, end=end, severity=severity,
                               suggestion="Add hit sounds here, or a sample set change that follows the music.")
                break
        if o is not None:
            last, passed, bank = o, 0, banks[k]


@check("hitsounds.storyboarded-samples", "Storyboarded hit sounds", category=HIT_SOUNDS, severity=Severity.WARNING,
       modes=frozenset({STANDARD, TAIKO, CATCH}))
def storyboarded_samples(ctx: DifficultyContext) -> Iterator[Finding]:
    """A storyboard Sample event in the difficulty: it plays whether or not the player hits (Warning; mania uses
    them legitimately for keysounding)."""
    for element in ctx.storyboard:
        if element.kind == SAMPLE:
            yield ctx.flag(f"Storyboarded sample {element.path}.", time=element.time, line=element.line,
                           suggestion="Use hit sounds on objects instead.")


@check("hitsounds.missing-samples", "Hit sounds referenced without a file", category=HIT_SOUNDS,
       severity=Severity.PROBLEM)
def missing_samples(ctx: DifficultyContext) -> Iterator[Finding]:
    """An object naming a sample file that is not in the folder (Problem); a custom sample index for which
    the folder has no sample at all, so the skin's default plays (Warning). Runs only with the folder."""
    if ctx.folder_files is None:
        return
    stems = {name.rsplit(".", 1)[0] for name in ctx.folder_files if name.endswith((".wav", ".ogg", ".mp3"))}
    reported: set[int] = set()
    for o in ctx.objects:
        sample = o.raw.hit_sample
        if sample is not None and sample.filename and sample.filename.lower() not in ctx.folder_files:
            yield ctx.flag(f"The sample file '{sample.filename}' is not in the mapset folder.", objects=[o],
                           suggestion="Add the file or remove it from the object.")
        index = sample.index if sample is not None and sample.index else _line_index(ctx, o.time)
        if index >= 1 and index not in reported:
            suffix = "" if index == 1 else str(index)
            pattern = re.compile(rf"(normal|soft|drum)-(hit|slider)[a-z]+{suffix}")
            if not any(pattern.fullmatch(stem) for stem in stems):
                reported.add(index)
                yield ctx.flag(f"Custom sample index {index} is used but the folder has no sample for it; "
                               "the skin's samples play instead.", objects=[o], severity=Severity.WARNING,
                               suggestion="Add the samples or use index 0 (default).")


def _line_index(ctx: DifficultyContext, time: float) -> int:
    point = ctx.beatmap.timing.point_at(time + 5)
    return point.sample_index if point is not None else 0


@check("hitsounds.stacked-samples", "Same sample played several times at once", category=HIT_SOUNDS,
       severity=Severity.WARNING, modes=frozenset({MANIA}))
def stacked_samples(ctx: DifficultyContext) -> Iterator[Finding]:
    """Notes at the same time playing the same custom sample file or the same addition: the sample doubles in
    volume (Warning)."""
    by_time: dict[float, list[Obj]] = {}
    for o in ctx.objects:
        by_time.setdefault(o.time, []).append(o)
    for notes in by_time.values():
        seen: dict[str, Obj] = {}
        for o in notes:
            sample = o.raw.hit_sample
            keys = [sample.filename.lower()] if sample is not None and sample.filename else []
            keys += [f"addition {bit}" for bit in (2, 4, 8) if o.raw.hit_sound & bit]
            for key in keys:
                if key in seen:
                    yield ctx.flag(f"Two notes play the same sample ({key}) at once.", objects=[seen[key], o],
                                   suggestion="Keep the sample on one note of the chord.")
                else:
                    seen[key] = o


BANK_NAMES = {1: "normal", 2: "soft", 3: "drum"}
FINISH_BURST_SCORE = 9  # a use adds 1 (mania ½); the score decays to 0.8× per second
FINISH_COMMON_MS = 3000  # drain time per use at or under which finishes are "common"


def custom_finish(ctx: DifficultyContext, o: Obj, edge: int, time: float) -> str | None:
    """The folder's sample file a finish on this edge of `o` plays (`soft-hitfinish2.wav`), None when it plays the
    skin's own (custom index 0, no such file) or a drum finish."""
    point = ctx.beatmap.timing.point_at(time + 5)
    sample = o.raw.hit_sample
    index = sample.index if sample is not None and sample.index else point.sample_index if point is not None else 0
    edge_sets = o.raw.edge_sets if isinstance(o.raw, Slider) else None
    addition = edge_sets[edge][1] if edge_sets is not None and edge < len(edge_sets) else 0
    bank = addition or (sample.addition_set if sample is not None else 0) or normal_bank(ctx, o)
    if index == 0 or bank not in (1, 2) or ctx.folder_files is None:
        return None
    stem = f"{BANK_NAMES[bank]}-hitfinish{index if index > 1 else ''}"
    return next((f"{stem}.{extension}" for extension in ("wav", "ogg", "mp3") if f"{stem}.{extension}"
                 in ctx.folder_files), None)


@check("hitsounds.frequent-finishes", "Frequent finish hit sounds", category=HIT_SOUNDS, severity=Severity.WARNING,
       modes=frozenset({STANDARD, CATCH, MANIA}))
def frequent_finishes(ctx: DifficultyContext) -> Iterator[Finding]:
    """A custom normal/soft finish sample used in a burst (a score adding 1 per use, ½ in mania, and decaying to
    0.8× per second, reaching 9), or commonly (drain time per use, mania's uses halved, ≤ 3 s): finishes this
    often can be obnoxious (Warning; Mapset Verifier's check). Runs only with the folder."""
    if ctx.folder_files is None:
        return
    step = 0.5 if ctx.mode == MANIA else 1.0
    usage: dict[str, _Usage] = {}
    for o in ctx.objects:
        for edge, (_, time, bits) in enumerate(edge_sounds(o)):
            if not bits & HITSOUND_FINISH or o.is_spinner:
                continue
            name = custom_finish(ctx, o, edge, time)
            if name is None:
                continue
            use = usage.setdefault(name, _Usage(previous=time, busiest=o))
            use.score = (use.score + step) * 0.8 ** ((time - use.previous) / 1000)
            use.previous, use.count = time, use.count + 1
            if use.score > use.best:
                use.best, use.busiest = use.score, o
    for name, use in sorted(usage.items()):
        if use.best >= FINISH_BURST_SCORE:
            yield ctx.flag(f"'{name}' plays in a dense burst up to here; finishes this often can be obnoxious.",
                           objects=[use.busiest], suggestion="Use the finish on fewer, stronger sounds.")
        elif ctx.drain_time / (use.count * step) <= FINISH_COMMON_MS:
            yield ctx.flag(f"'{name}' plays {use.count} times, once every {ctx.drain_time / use.count / 1000:.1f} s "
                           "of drain on average; finishes this often can be obnoxious.",
                           suggestion="Use the finish on fewer, stronger sounds.")


@dataclass
class _Usage:
    """How one finish sample file is used: its burst score, the time of its last use, its uses, and the highest
    score with the object where it was reached."""

    previous: float
    busiest: Obj
    score: float = 0.0
    count: int = 0
    best: float = 0.0
