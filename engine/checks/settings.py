"""[Difficulty] and [General] settings checks: decimals, ranges, tick rate, slider multiplier, stack leniency,
and the per-level guideline values of each mode (Mapset Verifier's tables, checks.md §3–6)."""

from __future__ import annotations

from collections.abc import Iterator

from engine.checks.context import DifficultyContext
from engine.checks.levels import Level
from engine.checks.registry import CATCH, MANIA, STANDARD, TAIKO, check
from engine.findings import Finding, Severity

SETTINGS = "Settings"
SETTING_KEYS = ("HPDrainRate", "CircleSize", "OverallDifficulty", "ApproachRate")


@check("settings.abnormal-values", "Abnormal difficulty settings", category=SETTINGS, severity=Severity.PROBLEM)
def abnormal_values(ctx: DifficultyContext) -> Iterator[Finding]:
    """HP/CS/OD/AR written with more than one decimal (Problem) or outside 0–10 (Warning). mania's CircleSize
    is its key count and is checked by `mania.key-count`."""
    for key in SETTING_KEYS:
        if key == "CircleSize" and ctx.mode == MANIA:
            continue
        raw = ctx.beatmap.value("Difficulty", key)
        if raw is None:
            continue
        decimals = raw.split(".", 1)[1] if "." in raw else ""
        if len(decimals.rstrip("0")) > 1:
            yield ctx.flag(f"{key} is {raw}; osu! shows one decimal.", suggestion=f"Round {key} to one decimal.")
        try:
            value = float(raw)
        except ValueError:
            continue
        if not 0 <= value <= 10:
            yield ctx.flag(f"{key} is {raw}, outside 0–10.", severity=Severity.WARNING,
                           suggestion=f"Set {key} between 0 and 10.")


COMMON_TICK_RATES = (0.5, 4 / 3, 1.5)


@check("settings.tick-rate", "Slider tick rate not on a common divisor", category=SETTINGS,
       severity=Severity.PROBLEM, modes=frozenset({STANDARD, CATCH}))
def tick_rate(ctx: DifficultyContext) -> Iterator[Finding]:
    """SliderTickRate that is not a whole number, 1/2, 4/3 or 3/2: ticks fall off the beat grid (Problem)."""
    rate = ctx.beatmap.difficulty.slider_tick_rate
    if rate != int(rate) and not any(abs(rate - common) < 0.01 for common in COMMON_TICK_RATES):
        yield ctx.flag(f"Slider tick rate {rate:g} does not align with a common beat divisor.",
                       suggestion="Use 1, 2, 3, 4, 1/2, 4/3 or 3/2.")


@check("settings.slider-multiplier", "Slider multiplier outside osu!'s range", category=SETTINGS,
       severity=Severity.WARNING, modes=frozenset({STANDARD, TAIKO, CATCH}))
def slider_multiplier(ctx: DifficultyContext) -> Iterator[Finding]:
    """SliderMultiplier outside 0.4–3.6 is clamped by lazer, so the two clients play it differently (maid)."""
    value = ctx.beatmap.difficulty.slider_multiplier
    if not 0.4 <= value <= 3.6:
        yield ctx.flag(f"Slider multiplier {value:g} is outside 0.4–3.6; osu!lazer clamps it.",
                       suggestion="Use a multiplier between 0.4 and 3.6 and adjust green lines instead.")


@check("settings.stack-leniency", "Stack leniency outside 0–1", category=SETTINGS, severity=Severity.WARNING,
       modes=frozenset({STANDARD}))
def stack_leniency(ctx: DifficultyContext) -> Iterator[Finding]:
    """StackLeniency outside 0–1: stable clamps it, lazer does not, so stacks differ between clients (maid)."""
    value = ctx.beatmap.general.stack_leniency
    if not 0 <= value <= 1:
        yield ctx.flag(f"Stack leniency {value:g} is outside 0–1.", suggestion="Set it between 0 and 1.")


Range = tuple[float, float]
INF = float("inf")
# Mapset Verifier's "difficulty settings outside guideline" (checks.md §3, §5): level → setting → (low, high).
GUIDELINES: dict[int, dict[Level, dict[str, Range]]] = {
    STANDARD: {
        Level.EASY: {"ApproachRate": (0, 5), "OverallDifficulty": (1, 3), "HPDrainRate": (1, 3), "CircleSize": (0, 4)},
        Level.NORMAL: {"ApproachRate": (4, 6), "OverallDifficulty": (3, 5), "HPDrainRate": (3, 5), "CircleSize": (0, 5)},
        Level.HARD: {"ApproachRate": (6, 8), "OverallDifficulty": (5, 7), "HPDrainRate": (4, 6), "CircleSize": (0, 6)},
        Level.INSANE: {"ApproachRate": (7, 9.3), "OverallDifficulty": (7, 9), "HPDrainRate": (5, 8), "CircleSize": (0, 7)},
        Level.EXPERT: {"ApproachRate": (8, INF), "OverallDifficulty": (8, INF), "HPDrainRate": (5, INF),
                       "CircleSize": (0, 7)},
    },
    CATCH: {
        Level.EASY: {"ApproachRate": (0, 6), "OverallDifficulty": (0, 6), "HPDrainRate": (2, 3), "CircleSize": (0, 2.5)},
        Level.NORMAL: {"ApproachRate": (0, 7), "OverallDifficulty": (0, 7), "HPDrainRate": (3, 4), "CircleSize": (0, 3)},
        Level.HARD: {"ApproachRate": (0, 8), "OverallDifficulty": (0, 8), "HPDrainRate": (4, 5), "CircleSize": (0, 3.5)},
        Level.INSANE: {"ApproachRate": (0, 9), "OverallDifficulty": (0, 9), "HPDrainRate": (5, 6), "CircleSize": (0, 4)},
        Level.EXPERT: {"ApproachRate": (9, INF), "OverallDifficulty": (9, INF), "HPDrainRate": (5, INF),
                       "CircleSize": (4, INF)},
    },
}
ATTRIBUTES = {"ApproachRate": "approach_rate", "OverallDifficulty": "overall_difficulty",
              "HPDrainRate": "hp_drain_rate", "CircleSize": "circle_size"}


@check("settings.guidelines", "Difficulty settings outside the guidelines", category=SETTINGS,
       severity=Severity.MINOR, modes=frozenset({STANDARD, CATCH}))
def guidelines(ctx: DifficultyContext) -> Iterator[Finding]:
    """osu!/catch: AR/OD/HP/CS outside the recommended range of the difficulty's level (Minor)."""
    table = GUIDELINES[ctx.mode].get(ctx.level) if ctx.level is not None else None
    for key, (low, high) in (table or {}).items():
        value = getattr(ctx.beatmap.difficulty, ATTRIBUTES[key])
        if not low <= value <= high:
            span = f"at least {low:g}" if high == INF else f"{low:g}–{high:g}"
            yield ctx.flag(f"{key} {value:g} is outside the {ctx.level.name.title()} guideline ({span}).",  # type: ignore[union-attr]
                           suggestion="Check that the setting fits the difficulty.")
