"""Snapping arithmetic shared by the timing checks (Mapset Verifier's "practical unsnap").

An object is snapped when it lies on a tick of the 1/16, 1/12, 1/9, 1/7 or 1/5 grid of the red line in
effect (these cover 1/1–1/4, 1/6 and 1/8 too), after the editor's truncation of tick times to whole
milliseconds. Unsnaps are signed: positive means the object is late. Pure arithmetic, no beatmap types.
"""

from __future__ import annotations

import math

DIVISORS = (16, 12, 9, 7, 5)
# Divisors the editor offers, coarsest first: `snap_divisor` reports the first one that fits.
EDITOR_DIVISORS = (1, 2, 4, 3, 8, 6, 16, 12, 5, 7, 9)
MS_EPSILON = 2.0


def unsnap(time: float, offset: float, beat_length: float, divisors: tuple[int, ...] = DIVISORS) -> float:
    """Signed distance (ms) from `time` to the nearest placeable tick of any of `divisors`: the tick of each
    1/divisor grid nearest to `time`, cast to whole ms as the editor places it. Written as one loop without
    helper calls: it runs for every object edge of every check run."""
    if not beat_length > 0 or math.isinf(beat_length):
        return 0.0
    best = math.inf
    for divisor in divisors:
        step = beat_length / divisor
        distance = time - math.trunc(offset + round((time - offset) / step) * step)
        if abs(distance) < abs(best):
            best = distance
    return best


def snapped_time(time: float, offset: float, beat_length: float) -> float:
    """The placeable tick nearest to `time` (what a resnap writes)."""
    return time - unsnap(time, offset, beat_length)


def snap_divisor(time: float, offset: float, beat_length: float, tolerance: float = MS_EPSILON) -> int | None:
    """The coarsest editor divisor whose grid holds `time` within `tolerance` ms; None when unsnapped."""
    for divisor in EDITOR_DIVISORS:
        if abs(unsnap(time, offset, beat_length, (divisor,))) < tolerance:
            return divisor
    return None
