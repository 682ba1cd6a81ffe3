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


def _distance(a: tuple[float, float], b: tuple[float, float]) -> float:
    return math.dist(a, b)


def stack_heights(ctx: DifficultyContext) -> list[int]:
    """Stack height of every object of `ctx.objects` (0 = not stacked)."""
    objects: Sequence[Obj] = ctx.objects
    count = len(objects)
    heights = [0] * count
    if count == 0:
        return heights
    threshold = ctx.preempt * ctx.beatmap.general.stack_leniency
    starts = [(o.x, o.y) for o in objects]
    ends = [ctx.end_position(o) for o in objects]
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
                if other.is_slider and _distance(ends[n], starts[top]) < STACK_DISTANCE:
                    offset = heights[top] - heights[n] + 1
                    for j in range(n + 1, i + 1):
                        if _distance(ends[n], starts[j]) < STACK_DISTANCE:
                            heights[j] -= offset
                    break
                if _distance(starts[n], starts[top]) < STACK_DISTANCE:
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
                if _distance(ends[n], starts[top]) < STACK_DISTANCE:
                    heights[n] = heights[top] + 1
                    top = n
    return heights


def stack_offset(ctx: DifficultyContext, height: int) -> float:
    """How far (osu!px, on both axes) `height` stack levels move an object up and left."""
    return -height * ctx.radius / 10
