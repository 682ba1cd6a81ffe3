"""Playfield constants and slider path geometry the checks need (positions along a slider's path).

A path is drawn as osu! draws it (`engine.sliders.osu_polylines`: Bézier segments split at repeated points,
linear and Catmull-Rom segments, a circular arc for exactly three non-collinear points) and then cut to — or
extended in a straight line up to — the written pixel length (osu-format.md §11.6). `draw_paths` draws the
sliders of a whole map in one batch, which is what keeps the checks as fast as the coarse sampler this
module used to keep for itself. Nothing here reads files or draws a curve of its own.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from itertools import accumulate

import numpy as np

from engine.sliders import LINEAR, osu_polylines

Point = tuple[float, float]

PLAYFIELD_WIDTH = 512.0
PLAYFIELD_HEIGHT = 384.0
# The 4:3 screen around the playfield, in osu!px (Mapset Verifier / lazer "offscreen" limits).
SCREEN_LEFT, SCREEN_RIGHT, SCREEN_TOP, SCREEN_BOTTOM = -67.0, 579.0, -60.0, 428.0


def circle_radius(circle_size: float) -> float:
    """Hit-circle radius in osu!px: 54.4 − 4.48 · CS."""
    return 54.4 - 4.48 * circle_size


def preempt_ms(approach_rate: float) -> float:
    """Time an object is visible before it must be hit."""
    if approach_rate < 5:
        return 1200 + 600 * (5 - approach_rate) / 5
    return 1200 - 750 * (approach_rate - 5) / 5


@dataclass(frozen=True, eq=False)
class SliderPath:
    """A slider's path as a polyline with cumulative distances; `length` is the length osu! plays.

    `points` (n, 2) and `distances` (n,) are numpy arrays so that checks needing the whole body (offscreen)
    read its bounds without a Python loop over every sampled point.
    """

    points: np.ndarray  # (n, 2) x, y
    distances: np.ndarray  # (n,) cumulative length at each point

    @property
    def length(self) -> float:
        return float(self.distances[-1])

    @cached_property
    def bounds(self) -> tuple[float, float, float, float]:
        """(min x, min y, max x, max y) of the sampled points."""
        low, high = self.points.min(axis=0).tolist(), self.points.max(axis=0).tolist()
        return low[0], low[1], high[0], high[1]

    def position_at(self, distance: float) -> Point:
        """The point `distance` px along the path (clamped to its ends)."""
        distance = min(max(distance, 0.0), self.length)
        last = len(self.distances) - 1
        high = min(max(1, int(np.searchsorted(self.distances, distance, side="left"))), last)
        low = max(high - 1, 0)
        (x0, y0), (x1, y1) = self.points[low].tolist(), self.points[high].tolist()
        d0, d1 = float(self.distances[low]), float(self.distances[high])
        span = d1 - d0
        t = 0.0 if span <= 0 else (distance - d0) / span
        return x0 + (x1 - x0) * t, y0 + (y1 - y0) * t


def path_reach(pixel_length: float | None) -> float | None:
    """How far from its head any point of a played path can lie: its written length (the path is cut to it,
    or extended up to it), plus 1 px for rounding; None without a written length. Lets checks rule a slider
    out without building its path."""
    return pixel_length + 1.0 if pixel_length is not None and pixel_length > 0 else None


def build_path(head: Point, segments: Sequence[tuple[str, Sequence[Point]]], pixel_length: float | None) -> SliderPath:
    """The played path of a slider from its head, its (type letter, control points) segments and length."""
    return fit_path(draw_paths([(head, segments)])[0], pixel_length)


def draw_paths(sliders: Sequence[tuple[Point, Sequence[tuple[str, Sequence[Point]]]]]) -> list[np.ndarray]:
    """The (n, 2) polylines osu! draws for sliders given by their head and (type letter, control points)
    segments, all in one batch; each segment starts at the last control point before it."""
    paths = []
    for head, segments in sliders:
        start, path = head, []
        for curve_type, points in segments:
            path.append((curve_type, [start, *points]))
            start = points[-1] if points else start
        paths.append(path or [(LINEAR, [head])])
    return osu_polylines(paths)


def fit_path(polyline: np.ndarray, pixel_length: float | None) -> SliderPath:
    """Cut the (n, 2) polyline to `pixel_length`, or extend its last leg in a straight line up to it."""
    coordinates = polyline.tolist()
    # math.dist, not np.hypot: the two differ in the last bit now and then, and lengths decide where paths end.
    distances = [0.0, *accumulate(map(math.dist, coordinates, coordinates[1:]))]
    if pixel_length is None or pixel_length <= 0:
        return SliderPath(polyline, np.array(distances))
    if distances[-1] > pixel_length:
        keep = bisect_left(distances, pixel_length)  # the first point at or beyond the length
        (ax, ay), (bx, by) = coordinates[keep - 1], coordinates[keep]
        span = distances[keep] - distances[keep - 1]
        t = 0.0 if span <= 0 else (pixel_length - distances[keep - 1]) / span
        points = polyline[:keep + 1].copy()
        points[keep] = ax + (bx - ax) * t, ay + (by - ay) * t
        return SliderPath(points, np.array(distances[:keep] + [pixel_length]))
    if distances[-1] < pixel_length and len(coordinates) >= 2 and coordinates[-1] != coordinates[-2]:
        (ax, ay), (bx, by) = coordinates[-2], coordinates[-1]
        span = math.dist((ax, ay), (bx, by))
        extra = pixel_length - distances[-1]
        points = np.vstack([polyline, [(bx + (bx - ax) / span * extra, by + (by - ay) / span * extra)]])
        return SliderPath(points, np.array(distances + [pixel_length]))
    return SliderPath(polyline, np.array(distances))
