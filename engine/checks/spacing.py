"""osu! spacing checks: abnormally large spacing for the rhythm (Mapset Verifier's "Abnormal spacing").

A jump is judged against the jumps of the same rhythm before it: the gaps (previous object's end to the next
object's start) within 5 ms of its own, sliders counted apart from circles because players may leave a
slider early. Positions are as written (stacking not applied), like the other spacing checks. The
comparison runs vectorised over the earlier gaps, so a 2,000-object map costs a few ms.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np

from engine.checks.context import DifficultyContext, Obj
from engine.checks.registry import STANDARD, check
from engine.findings import Finding, Severity, format_time

COMPOSE = "Compose"
MAX_GAP_MS = 180  # about 1/2 beat at 160 BPM; slower gaps are rarely a problem
SNAP_LENIENCY_MS = 5
MIN_DISTANCE_PX = 20
MIN_SAMPLES = 3
DECAY_MS = 4000
RATIO_LEVELS = ((15.0, Severity.PROBLEM), (4.0, Severity.WARNING), (2.0, Severity.MINOR))


def _gaps(ctx: DifficultyContext) -> list[tuple[Obj, Obj, float, float]]:
    """(previous, next, gap ms, distance px floored at 20) of consecutive objects up to 180 ms apart, spinners
    left out."""
    found = []
    for previous, following in zip(ctx.objects, ctx.objects[1:]):
        if previous.is_spinner or following.is_spinner:
            continue
        gap = following.time - previous.end_time
        if 0 < gap <= MAX_GAP_MS:
            distance = math.dist(ctx.end_position(previous), (following.x, following.y))
            found.append((previous, following, gap, max(distance, MIN_DISTANCE_PX)))
    return found


@check("compose.abnormal-spacing", "Abnormally large spacing", category=COMPOSE, severity=Severity.WARNING,
       modes=frozenset({STANDARD}))
def abnormal_spacing(ctx: DifficultyContext) -> Iterator[Finding]:
    """A jump (gap ≤ 180 ms, longer than 4 radii) whose distance/time is more than 2× (Minor), 4× (Warning) or
    15× (Problem) what at least 3 earlier gaps of the same rhythm (± 5 ms, from a slider or not alike) give:
    their distances and gaps averaged with weight min(1, 4 s / time since). A slider's jump is shortened by up
    to 3 radii (its follow circle's leniency). Often an object snapped a tick early."""
    gaps = _gaps(ctx)
    if len(gaps) <= MIN_SAMPLES:
        return
    times = np.array([previous.time for previous, _, _, _ in gaps])
    deltas = np.array([gap for _, _, gap, _ in gaps])
    distances = np.array([distance for _, _, _, distance in gaps])
    from_slider = np.array([previous.is_slider for previous, _, _, _ in gaps])
    ratios = distances / deltas
    radius = ctx.radius
    for i, (previous, following, gap, distance) in enumerate(gaps):
        if distance <= 4 * radius or i < MIN_SAMPLES:
            continue
        same = (np.abs(deltas[:i] - gap) <= SNAP_LENIENCY_MS) & (from_slider[:i] == previous.is_slider)
        count = int(same.sum())
        if count < MIN_SAMPLES:
            continue
        since = previous.time - times[:i][same]
        decay = np.minimum(DECAY_MS / np.maximum(since, 1e-9), 1.0)
        if distance / gap < float((ratios[:i][same] * decay).max()):
            continue
        expected = float((distances[:i][same] * decay).sum()) / float((deltas[:i][same] * decay).sum())
        jump = distance - min(3 * radius, distance) if previous.is_slider else distance
        ratio = jump / gap / expected
        severity = next((level for limit, level in RATIO_LEVELS if ratio > limit), None)
        if severity is None:
            continue
        examples = ", ".join(format_time(t) for t in times[:i][same][-3:].tolist())
        yield ctx.flag(f"Space/time ratio is {ratio:.1f} times what the same rhythm has before (e.g. at {examples}).",
                       objects=[previous, following], severity=severity,
                       suggestion="Check the snapping of the second object (often a tick early), or reduce the jump.")
