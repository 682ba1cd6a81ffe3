"""osu!'s stacking of hit objects (osu! mode): how many stack levels each object is lifted by.

This is lazer's `OsuBeatmapProcessor.applyStacking` for v6+ maps (stable's current algorithm): objects closer
than 3 osu!px within approach time × stack leniency of each other stack, each level moving the object up
and left by radius/10. Files before v6 used an older algorithm; the same one is used for them here (an
approximation). Only positions come out of it; nothing here changes the beatmap.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from engine.checks.context import DifficultyContext, Obj

STACK_DISTANCE = 3.0


def stack_heights(ctx: DifficultyContext, preempt: float | None = None) -> list[int]:
    """Stack height of every object of `ctx.objects` (0 = not stacked), with the map's approach time or with
    `preempt` (ms; e.g. Hard Rock's)."""
    objects: Sequence[Obj] = ctx.objects
    count = len(objects)
    heights = [0] * count
    if count == 0:
        return heights
    threshold = (ctx.preempt if preempt is None else preempt) * ctx.beatmap.general.stack_leniency
    starts = [(o.x, o.y) for o in objects]
    ends: dict[int, tuple[float, float]] = {}

    def ends_near(n: int, point: tuple[float, float]) -> bool:
        """Whether object n ends closer than STACK_DISTANCE to `point`; a slider's path is built only when its
        head is near enough for its end to be (most sliders are ruled out by their length alone)."""
        reach = ctx.reach(objects[n])
        if reach is not None and math.dist(starts[n], point) >= reach + STACK_DISTANCE:
            return False
        if n not in ends:
            ends[n] = ctx.end_position(objects[n])
        return math.dist(ends[n], point) < STACK_DISTANCE

    for i in range(count - 1, 0, -1):
        if heights[i] != 0 or objects[i].is_spinner:
            continue
        top = i
        n = i
        if objects[i].kind == "circle":
            while n > 0:
                n -= 1
                other = objects[n]
                if other.is_spinner:
                    continue
                if objects[top].time - other.end_time > threshold:
                    break
                if other.is_slider and ends_near(n, starts[top]):
                    offset = heights[top] - heights[n] + 1
                    for j in range(n + 1, i + 1):
                        if ends_near(n, starts[j]):
                            heights[j] -= offset
                    break
                if math.dist(starts[n], starts[top]) < STACK_DISTANCE:
                    heights[n] = heights[top] + 1
                    top = n
        elif objects[i].is_slider:
            while n > 0:
                n -= 1
                other = objects[n]
                if other.is_spinner:
                    continue
                if objects[top].time - other.time > threshold:
                    break
                if ends_near(n, starts[top]):
                    heights[n] = heights[top] + 1
                    top = n
    return heights


def stack_offset(radius: float, height: int) -> float:
    """How far (osu!px, on both axes) `height` stack levels move an object of this circle radius up and left."""
    return -height * radius / 10
