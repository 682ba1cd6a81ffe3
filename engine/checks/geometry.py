"""Playfield constants and slider path geometry the checks need (positions along a slider's path).

The path follows lazer's rules (osu-format.md §11.6): Bézier segments split at repeated points ("red
anchors"), linear and (uniform) Catmull-Rom segments, a perfect-circle arc for exactly three non-collinear
points, and the path cut to — or extended in a straight line up to — the written pixel length. Curves are
sampled finely enough for checks (a few px), not bit-exactly as the game draws them (tests/checks compare
them with `engine.sliders.OsuPath`, which is about ten times slower). Nothing here reads files.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

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


@dataclass(frozen=True)
class SliderPath:
    """A slider's path as a polyline with cumulative distances; `length` is the length osu! plays."""

    points: tuple[Point, ...]
    distances: tuple[float, ...]

    @property
    def length(self) -> float:
        return self.distances[-1]

    def position_at(self, distance: float) -> Point:
        """The point `distance` px along the path (clamped to its ends)."""
        distance = min(max(distance, 0.0), self.length)
        low, high = 0, len(self.distances) - 1
        while low < high - 1:
            middle = (low + high) // 2
            if self.distances[middle] < distance:
                low = middle
            else:
                high = middle
        start, end = self.points[low], self.points[high]
        span = self.distances[high] - self.distances[low]
        t = 0.0 if span <= 0 else (distance - self.distances[low]) / span
        return start[0] + (end[0] - start[0]) * t, start[1] + (end[1] - start[1]) * t


def build_path(head: Point, segments: Sequence[tuple[str, Sequence[Point]]], pixel_length: float | None) -> SliderPath:
    """The played path of a slider from its head, its (type letter, control points) segments and length."""
    polyline: list[Point] = [head]
    anchors: list[Point] = [head]
    for index, (curve_type, points) in enumerate(segments):
        anchors = [polyline[-1]] + list(points) if index else anchors + list(points)
        polyline.extend(_segment_points(curve_type[:1], anchors)[1:])
    return _fit_length(polyline, pixel_length)


def _segment_points(curve_type: str, anchors: list[Point]) -> list[Point]:
    if len(anchors) < 2:
        return list(anchors)
    if curve_type == "L":
        return list(anchors)
    if curve_type == "P" and len(anchors) == 3:
        arc = _circular_arc(anchors)
        if arc is not None:
            return arc
    if curve_type == "C":
        return _catmull(anchors)
    points: list[Point] = [anchors[0]]
    group: list[Point] = [anchors[0]]
    for point in anchors[1:]:
        if point == group[-1]:
            points.extend(_bezier(group)[1:])
            group = [point]
        else:
            group.append(point)
    points.extend(_bezier(group)[1:])
    return points


def _bezier(control: list[Point]) -> list[Point]:
    if len(control) <= 2:
        return list(control)
    rough = sum(math.dist(a, b) for a, b in zip(control, control[1:]))
    steps = max(2, min(2000, int(rough / _BEZIER_STEP_PX)))
    t = np.linspace(0.0, 1.0, steps + 1)[:, None]  # (steps+1, 1)
    points = np.repeat(np.asarray(control, dtype=np.float64)[None], steps + 1, axis=0)  # (steps+1, n, 2)
    while points.shape[1] > 1:  # de Casteljau, all parameters at once
        points = points[:, :-1] * (1 - t[..., None]) + points[:, 1:] * t[..., None]
    return [tuple(point) for point in points[:, 0].tolist()]


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


def _fit_length(polyline: list[Point], pixel_length: float | None) -> SliderPath:
    distances = [0.0]
    for a, b in zip(polyline, polyline[1:]):
        distances.append(distances[-1] + math.dist(a, b))
    if pixel_length is None or pixel_length <= 0:
        return SliderPath(tuple(polyline), tuple(distances))
    points = list(polyline)
    if distances[-1] > pixel_length:
        keep = next(i for i, d in enumerate(distances) if d >= pixel_length)
        a, b = points[keep - 1], points[keep]
        span = distances[keep] - distances[keep - 1]
        t = 0.0 if span <= 0 else (pixel_length - distances[keep - 1]) / span
        points = points[:keep] + [(a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t)]
        distances = distances[:keep] + [pixel_length]
    elif distances[-1] < pixel_length and len(points) >= 2 and points[-1] != points[-2]:
        a, b = points[-2], points[-1]
        span = math.dist(a, b)
        extra = pixel_length - distances[-1]
        points.append((b[0] + (b[0] - a[0]) / span * extra, b[1] + (b[1] - a[1]) / span * extra))
        distances.append(pixel_length)
    return SliderPath(tuple(points), tuple(distances))
