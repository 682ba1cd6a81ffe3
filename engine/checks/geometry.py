"""Playfield constants and slider path geometry the checks need (positions along a slider's path).

The path follows lazer's rules (osu-format.md §11.6): Bézier segments split at repeated points ("red
anchors"), linear and (uniform) Catmull-Rom segments, a perfect-circle arc for exactly three non-collinear
points, and the path cut to — or extended in a straight line up to — the written pixel length. Curves are
sampled finely enough for checks (a few px), not bit-exactly as the game draws them (tests/checks compare
them with `engine.sliders.OsuPath`, which is about ten times slower). Nothing here reads files.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, cached_property
from itertools import accumulate

import numpy as np

Point = tuple[float, float]

PLAYFIELD_WIDTH = 512.0
PLAYFIELD_HEIGHT = 384.0
# The 4:3 screen around the playfield, in osu!px (Mapset Verifier / lazer "offscreen" limits).
SCREEN_LEFT, SCREEN_RIGHT, SCREEN_TOP, SCREEN_BOTTOM = -67.0, 579.0, -60.0, 428.0
_BEZIER_STEP_PX = 4.0


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
    pieces: list[np.ndarray] = [np.array([head], dtype=np.float64)]
    anchors: list[Point] = [head]
    for index, (curve_type, points) in enumerate(segments):
        anchors = [_last(pieces)] + list(points) if index else anchors + list(points)
        pieces.append(_segment_points(curve_type[:1], anchors)[1:])
    return _fit_length(np.concatenate(pieces), pixel_length)


def _last(pieces: list[np.ndarray]) -> Point:
    """The last point of the polyline so far (a segment may add no points)."""
    point = next(piece for piece in reversed(pieces) if len(piece))[-1].tolist()
    return point[0], point[1]


def _segment_points(curve_type: str, anchors: list[Point]) -> np.ndarray:
    """(n, 2) points of one segment, starting at its first anchor."""
    if len(anchors) < 2 or curve_type == "L":
        return np.array(anchors, dtype=np.float64)
    if curve_type == "P" and len(anchors) == 3:
        arc = _circular_arc(anchors)
        if arc is not None:
            return np.array(arc, dtype=np.float64)
    if curve_type == "C":
        return np.array(_catmull(anchors), dtype=np.float64)
    pieces: list[np.ndarray] = [np.array(anchors[:1], dtype=np.float64)]
    group: list[Point] = [anchors[0]]
    for point in anchors[1:]:
        if point == group[-1]:
            pieces.append(_bezier(group)[1:])
            group = [point]
        else:
            group.append(point)
    pieces.append(_bezier(group)[1:])
    return np.concatenate(pieces)


@cache
def _bezier_parameters(steps: int) -> tuple[np.ndarray, np.ndarray]:
    """(t, 1 − t) as (steps+1, 1, 1) columns: the same few step counts recur on every slider of a map."""
    t = np.linspace(0.0, 1.0, steps + 1)[:, None, None]
    return t, 1 - t


def _bezier(control: list[Point]) -> np.ndarray:
    if len(control) <= 2:
        return np.array(control, dtype=np.float64)
    rough = sum(math.dist(a, b) for a, b in zip(control, control[1:]))
    steps = max(2, min(2000, int(rough / _BEZIER_STEP_PX)))
    t, rest = _bezier_parameters(steps)
    points = np.array(control, dtype=np.float64)[None]  # (1, n, 2), broadcast to (steps+1, ·, 2) below
    while points.shape[1] > 1:  # de Casteljau, all parameters at once
        points = points[:, :-1] * rest + points[:, 1:] * t
    return points[:, 0]
def _circular_arc(anchors: list[Point]) -> list[Point] | None:
    (ax, ay), (bx, by), (cx, cy) = anchors
    d = 2 * (ax * (by - cy) + bx * (cy - ay) + cx * (ay - by))
    if abs(d) < 1e-3:
        return None
    a2, b2, c2 = ax * ax + ay * ay, bx * bx + by * by, cx * cx + cy * cy
    ox = (a2 * (by - cy) + b2 * (cy - ay) + c2 * (ay - by)) / d
    oy = (a2 * (cx - bx) + b2 * (ax - cx) + c2 * (bx - ax)) / d
    radius = math.dist((ax, ay), (ox, oy))
    start = math.atan2(ay - oy, ax - ox)
    end = math.atan2(cy - oy, cx - ox)
    # Travel from a to c through b: turn direction from the sign of the cross product.
    clockwise = (bx - ax) * (cy - ay) - (by - ay) * (cx - ax) < 0
    while clockwise and end > start:
        end -= 2 * math.pi
    while not clockwise and end < start:
        end += 2 * math.pi
    steps = max(2, int(abs(end - start) * radius / _BEZIER_STEP_PX))
    return [(ox + radius * math.cos(start + (end - start) * i / steps),
             oy + radius * math.sin(start + (end - start) * i / steps)) for i in range(steps + 1)]


def _catmull(anchors: list[Point]) -> list[Point]:
    points: list[Point] = [anchors[0]]
    for i in range(len(anchors) - 1):
        p0 = anchors[i - 1] if i > 0 else anchors[i]
        p1, p2 = anchors[i], anchors[i + 1]
        p3 = anchors[i + 2] if i + 2 < len(anchors) else (2 * p2[0] - p1[0], 2 * p2[1] - p1[1])
        for step in range(1, 51):
            t = step / 50
            points.append(tuple(  # type: ignore[arg-type]
                0.5 * (2 * p1[k] + (-p0[k] + p2[k]) * t + (2 * p0[k] - 5 * p1[k] + 4 * p2[k] - p3[k]) * t * t
                       + (-p0[k] + 3 * p1[k] - 3 * p2[k] + p3[k]) * t ** 3) for k in (0, 1)))
    return points


def _fit_length(polyline: np.ndarray, pixel_length: float | None) -> SliderPath:
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
