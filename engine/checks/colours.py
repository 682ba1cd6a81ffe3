"""[Colours] checks (osu! and catch, where combo colours are seen): default colours without a skin, too dark
or too bright colours, more colours than osu! uses. Brightness is HSP luminosity, as in Mapset Verifier."""

from __future__ import annotations

import math
from collections.abc import Iterator

from engine.checks.context import DifficultyContext
from engine.checks.registry import CATCH, STANDARD, check
from engine.findings import Finding, Severity

COLOURS = "Colours"
SEEN = frozenset({STANDARD, CATCH})
MAX_COMBO_COLOURS = 8


def luminosity(colour: tuple[int, int, int]) -> float:
    """HSP perceived brightness, 0–255."""
    r, g, b = colour
    return math.sqrt(0.299 * r * r + 0.587 * g * g + 0.114 * b * b)


@check("colours.default-without-skin", "Default combo colours without a preferred skin", category=COLOURS,
       severity=Severity.PROBLEM, modes=SEEN)
def default_without_skin(ctx: DifficultyContext) -> Iterator[Finding]:
    """No combo colours and no SkinPreference: players see whatever their skin has (Problem)."""
    if not ctx.beatmap.colours.combo and not ctx.beatmap.general.skin_preference:
        yield ctx.flag("The difficulty has no combo colours and no preferred skin.",
                       suggestion="Set combo colours (Song Setup → Colours) or a preferred skin.")


@check("colours.luminosity", "Too dark or too bright combo colours", category=COLOURS, severity=Severity.PROBLEM,
       modes=SEEN)
def colour_luminosity(ctx: DifficultyContext) -> Iterator[Finding]:
    """A combo colour or the slider border with luminosity < 30 (Problem) or < 43 (Warning); a combo colour
    > 250 while the map has kiai, where it flashes white (Warning)."""
    has_kiai = any(point.kiai for point in ctx.timing_points)
    named = [(f"Combo colour {i + 1}", colour) for i, colour in enumerate(ctx.beatmap.colours.combo)]
    named += [(key, colour) for key, colour in ctx.beatmap.colours.custom if key == "SliderBorder"]
    for name, colour in named:
        value = luminosity(colour)
        if value < 43:
            yield ctx.flag(f"{name} {colour} is too dark (luminosity {value:.0f}).",
                           severity=Severity.PROBLEM if value < 30 else Severity.WARNING,
                           suggestion="Use a brighter colour so it stays visible on dark backgrounds.")
        elif value > 250 and has_kiai and name.startswith("Combo"):
            yield ctx.flag(f"{name} {colour} is so bright that kiai flashes hide it (luminosity {value:.0f}).",
                           severity=Severity.WARNING, suggestion="Use a slightly darker colour.")


@check("colours.too-many", "More combo colours than osu! uses", category=COLOURS, severity=Severity.WARNING,
       modes=SEEN)
def too_many(ctx: DifficultyContext) -> Iterator[Finding]:
    """More than 8 combo colours: osu! uses only the first 8 in file order (Warning)."""
    count = len(ctx.beatmap.colours.combo)
    if count > MAX_COMBO_COLOURS:
        yield ctx.flag(f"{count} combo colours; osu! uses only the first {MAX_COMBO_COLOURS}.",
                       suggestion="Remove the extra colours.")
