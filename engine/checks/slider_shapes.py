"""osu! slider shape checks: sliders whose body runs back over itself ("burai") and sliders whose way through
cannot be read from their shape (Mapset Verifier's "Burai slider" and "Ambiguous slider intersection").

Paths are the checks' sampled paths (`engine.checks.geometry`), resampled every 1 osu!px where a shape is
looked at closely. Most sliders turn less than 150° in all and cannot come back over themselves or near
their head: they are ruled out from their control points before any path is built (`turn_bound`), which
keeps a 2,000-object map cheap.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
from scipy.spatial import cKDTree

from engine.checks.context import DifficultyContext, Obj
from engine.checks.geometry import SliderPath
from engine.checks.registry import STANDARD, check
from engine.findings import Finding, Severity
from engine.osu import derived
from engine.osu.hitobjects import Slider

COMPOSE = "Compose"
STD = frozenset({STANDARD})
BURAI_DISTANCE_PX = 3.0
MARGIN_PX = 6  # path between two points before they count as different parts of the body
MAX_POINTS = 2000  # longer paths are looked at in coarser steps
MAX_NEIGHBOURS = 40  # points within 3 px of a point, on average, beyond which a path is thinned
WEIGHED_SCORES = 300  # 0.9 ** 300 ≈ 2e-14: later scores add nothing
MIN_TURN_RAD = math.radians(150)  # a path turning less than this in all cannot come back over itself
BURAI_DEFINITELY, BURAI_POTENTIALLY = 5.0, 2.0
EDGES_PX = 5.0
ANCHOR_PX = 5.0
ANCHOR_AWAY_PX = 60.0


def turn_bound(slider: Slider) -> float | None:
    """An upper bound of the radians a slider's path turns in all, from its control points alone: the turning of
    its control polygon for Bézier and linear paths (a Bézier curve never turns more than its polygon; cutting
    or extending the path in a straight line adds none), the arc's angle for a perfect circle. None for other
    curves (Catmull)."""
    points = [(slider.x, slider.y)]
    for point in slider.control_points:
        if point != points[-1]:
            points.append(point)
    if slider.curve_type == "P" and len(points) == 3:
        (ax, ay), (bx, by), (cx, cy) = points
        (ux, uy), (vx, vy) = (ax - bx, ay - by), (cx - bx, cy - by)
        return 2 * math.pi - 2 * math.atan2(abs(ux * vy - uy * vx), ux * vx + uy * vy)  # inscribed angle at B
    if slider.curve_type not in ("B", "L", "P"):
        return None
    angles = [math.atan2(b[1] - a[1], b[0] - a[0]) for a, b in zip(points, points[1:])]
    return sum(abs((b - a + math.pi) % (2 * math.pi) - math.pi) for a, b in zip(angles, angles[1:]))


def may_turn_back(ctx: DifficultyContext, slider: Slider) -> bool:
    """Whether the slider's path can turn 150° or more in all, which any path coming back near itself must: by its
    control points where they tell (`turn_bound`), else by its path."""
    bound = turn_bound(slider)
    return (bound if bound is not None else total_turn(ctx.path_of(slider))) >= MIN_TURN_RAD


def total_turn(path: SliderPath) -> float:
    """Radians the path's direction turns in all (left and right turns both count)."""
    steps = np.diff(path.points, axis=0)
    steps = steps[np.hypot(steps[:, 0], steps[:, 1]) > 1e-9]
    if len(steps) < 2:
        return 0.0
    angles = np.arctan2(steps[:, 1], steps[:, 0])
    turns = (np.diff(angles) + np.pi) % (2 * np.pi) - np.pi
    return float(np.abs(turns).sum())


def resampled(path: SliderPath) -> tuple[np.ndarray, float]:
    """(n, 2) points every px along the path, or evenly spread over it when it is longer than 2,000 px (gimmick
    sliders of tens of thousands of px), and the step between them."""
    step = max(1.0, path.length / MAX_POINTS)
    at = np.arange(0.0, path.length + 1e-9, step)
    return np.stack([np.interp(at, path.distances, path.points[:, 0]),
                     np.interp(at, path.distances, path.points[:, 1])], axis=1), step


def burai_score(points: np.ndarray, step: float = 1.0) -> float:
    """Mapset Verifier's burai score of a path given as points `step` px apart (1 px as Mapset Verifier): every pair of points under 3 px apart
    with the path having left the first before reaching the second scores by closeness and by how parallel the
    path runs there; scores are summed from the highest down, each next one × 0.9. "Left" is taken as more than
    6 px of path in between (Mapset Verifier walks the path until it is 3 px away); close pairs come from a
    k-d tree, and a path crowding over 40 points within 3 px of each point on average is thinned first, so a
    gimmick slider retracing itself thousands of times costs milliseconds, not seconds (its score stays far
    over the limits)."""
    if len(points) < 4:
        return 0.0
    tree = cKDTree(points)
    crowded = tree.count_neighbors(tree, BURAI_DISTANCE_PX) / (MAX_NEIGHBOURS * len(points))
    if crowded > 1:  # a path retracing itself many times over: look at every k-th point only
        keep = math.ceil(crowded)
        points, step = points[::keep], step * keep
        if len(points) < 4:
            return 0.0
        tree = cKDTree(points)
    pairs = tree.query_pairs(BURAI_DISTANCE_PX, output_type="ndarray")
    pairs = pairs[((pairs[:, 1] - pairs[:, 0]) * step > MARGIN_PX) & (pairs[:, 0] >= 1) & (pairs[:, 1] < len(points) - 1)]
    if not len(pairs):
        return 0.0
    first, second = pairs[:, 0], pairs[:, 1]
    steps = np.diff(points, axis=0)
    directions = np.arctan2(steps[:, 1], steps[:, 0]) % np.pi  # tangent angle of each step
    difference = np.abs(directions[first - 1] - directions[second]) % np.pi
    difference = np.minimum(difference, np.pi - difference)
    distance = np.hypot(*(points[first] - points[second]).T)
    scores = (100 * math.sqrt(10) / 10 ** (2 * distance) / 125) * (1 / ((difference / np.pi * 20) ** 3 + 0.01) / 250)
    top = np.sort(scores)[::-1][:WEIGHED_SCORES]
    return float((top * 0.9 ** np.arange(len(top))).sum())


@check("compose.burai-sliders", "Burai sliders", category=COMPOSE, severity=Severity.WARNING, modes=STD)
def burai_sliders(ctx: DifficultyContext) -> Iterator[Finding]:
    """A Bézier slider whose body runs back along itself (a burai slider): score over 5 "burai", over 2
    "potentially burai" (Warning; Mapset Verifier's score from how close and how parallel the crossing parts
    are). Readable small loops score low; sliders turning under 150° in all are not looked at."""
    for o in ctx.objects:
        if not isinstance(o.raw, Slider) or o.raw.curve_type != "B" or not may_turn_back(ctx, o.raw):
            continue
        path = ctx.path_of(o.raw)
        if total_turn(path) < MIN_TURN_RAD:
            continue
        score = burai_score(*resampled(path))
        if score > BURAI_POTENTIALLY:
            what = "runs back over itself" if score > BURAI_DEFINITELY else "may run back over itself"
            yield ctx.flag(f"The slider {what} (burai score {score:.1f}): players cannot tell which way it goes.",
                           objects=[o], suggestion="Reshape it so that no part of the body runs along another.")


def _max_tick_distance(ctx: DifficultyContext, o: Obj, path: SliderPath) -> float:
    """How far from the head the slider's ticks of its first span lie at most."""
    slider = o.raw
    assert isinstance(slider, Slider)
    rate = ctx.beatmap.difficulty.slider_tick_rate
    step = derived.slider_velocity(ctx.beatmap, slider.time) * ctx.beat_length_at(slider.time) / rate if rate > 0 else 0
    if step <= 0:
        return 0.0
    ticks = np.arange(step, path.length - 1e-6, step)
    if not len(ticks):
        return 0.0
    xs = np.interp(ticks, path.distances, path.points[:, 0]) - o.x
    ys = np.interp(ticks, path.distances, path.points[:, 1]) - o.y
    return float(np.hypot(xs, ys).max())


def _anchors(slider: Slider) -> list[tuple[float, float]]:
    """The points a slider visibly bends at: red anchors of Bézier paths (a point written twice), every node of a
    linear one (the head is not one: a tail on the head is the other rule's)."""
    points = list(slider.control_points)
    if slider.curve_type == "L":
        return points
    return [b for a, b in zip([(slider.x, slider.y), *points], points) if a == b]


@check("compose.ambiguous-sliders", "Ambiguous slider intersection", category=COMPOSE, severity=Severity.WARNING,
       modes=STD)
def ambiguous_sliders(ctx: DifficultyContext) -> Iterator[Finding]:
    """A slider whose path ends within 5 px of its head while a tick lies over 2 radii away (the player cannot
    see which way round to go, and can break); or a head or tail within 5 px of a red anchor (every node of a
    linear slider) more than 60 px, counted along the anchors, from the head or tail (Warning)."""
    for o in ctx.objects:
        if not isinstance(o.raw, Slider):
            continue
        if not may_turn_back(ctx, o.raw):
            continue  # a path that never turns back cannot end on its head or come back to an anchor
        path = ctx.path_of(o.raw)
        tail = path.position_at(path.length)
        if math.dist((o.x, o.y), tail) <= EDGES_PX and _max_tick_distance(ctx, o, path) > 2 * ctx.radius:
            yield ctx.flag("The slider's head and tail almost overlap: which way it goes is a guess.", objects=[o],
                           suggestion="Let the tail show apart from the head.")
        if o.raw.curve_type not in ("B", "L"):
            continue
        anchors = _anchors(o.raw)
        legs = [math.dist(a, b) for a, b in zip(anchors, anchors[1:])]
        total, along = sum(legs), 0.0
        for anchor, leg in zip(anchors, [0.0, *legs]):
            along += leg
            edge = ("head" if along > ANCHOR_AWAY_PX and math.dist((o.x, o.y), anchor) <= ANCHOR_PX else
                    "tail" if total - along > ANCHOR_AWAY_PX and math.dist(anchor, tail) <= ANCHOR_PX else None)
            if edge is not None:
                yield ctx.flag(f"The slider's {edge} lies on one of its red anchors: which way it goes is a guess.",
                               objects=[o], suggestion=f"Move the {edge} or the anchor apart.")
                break
