"""Slider path geometry as the checkpoints' tokenizer saw it: curve kinds, lengths and positions.

The published models were trained on events built with the `slider` library (OliBomby's fork), so
the anchor types and the slider-end positions here follow that library's geometry, not osu!'s path
approximator:

* `P` with exactly three points (head + 2) and not collinear is a circular arc; any other `P` is a
  bezier (the "P with more than two control points becomes bezier" rule);
* a bezier is split into segments at repeated points (red anchors); each segment is one Bernstein
  polynomial whose length is measured on 50 samples;
* only the last segment is fitted to the pixel length, by evaluating its polynomial past t = 1 when
  the path is too short (no straight extension as in osu!);
* an arc is shortened to the pixel length but never lengthened;
* linear paths are one segment per pair of points; catmull is the cubic Hermite form, one span per
  pair of points, spans weighted equally.

This module never reads files. Binomial coefficients are exact integers here; the reference took them
from scipy, which differs in the last bits for segments of 32 points or more.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import accumulate

import numpy as np

Point = tuple[float, float]

BEZIER, LINEAR, PERFECT, CATMULL = "B", "L", "P", "C"
_LENGTH_SAMPLES = 50
_HERMITE = np.array([[2, -2, 1, 1], [-3, 3, -2, -1], [0, 0, 1, 0], [1, 0, 0, 0]])


def curve_kind(kind: str, points: Sequence[Point]) -> str:
    """The kind a path is evaluated as: `P` falls back to bezier unless it is a proper 3-point arc."""
    kind = kind[:1].upper()
    if kind not in (BEZIER, LINEAR, PERFECT, CATMULL):
        raise ValueError(f"unknown slider curve type {kind!r} (expected B, L, P or C)")
    if kind == PERFECT and (len(points) != 3 or circle_center(*points) is None):
        return BEZIER
    return kind


def circle_center(a: Point, b: Point, c: Point) -> Point | None:
    """Centre of the circle through three points (osu!'s formula); None when they are collinear."""
    pa, pb, pc = (np.array(p, dtype=np.float64) for p in (a, b, c))
    a2, b2, c2 = np.sum(np.square(pb - pc)), np.sum(np.square(pa - pc)), np.sum(np.square(pa - pb))
    if np.isclose([a2, b2, c2], 0).any():
        return None
    s, t, u = a2 * (b2 + c2 - a2), b2 * (a2 + c2 - b2), c2 * (a2 + b2 - c2)
    total = s + t + u
    if np.isclose(total, 0):
        return None
    centre = (s * pa + t * pb + u * pc) / total
    return float(centre[0]), float(centre[1])


@dataclass
class _Bezier:
    """One Bernstein polynomial; `req_length` is the length it is stretched or cut to."""

    points: Sequence[Point]
    req_length: float | None = None
    _coords: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._coords = np.array(self.points, dtype=np.float64).T

    def at(self, t: np.ndarray) -> np.ndarray:
        """(len(t), 2) positions at the raw polynomial parameters t."""
        t = np.asarray(t, dtype=np.float64).reshape(-1, 1)
        n = len(self.points) - 1
        ixs = np.arange(n + 1)
        binomials = np.array([float(math.comb(n, int(i))) for i in ixs])
        weights = binomials * (1 - t) ** (n - ixs) * t ** ixs
        return np.sum(weights[:, np.newaxis] * self._coords, axis=-1)

    @property
    def length(self) -> np.float64:
        samples = self.at(np.linspace(0, 1, _LENGTH_SAMPLES))
        return np.sum(np.sqrt(np.sum(np.square(np.diff(samples, axis=0)), axis=1)))

    def position(self, progress: float) -> Point:
        with np.errstate(divide="ignore", invalid="ignore"):
            xy = self.at(progress * (self.req_length / self.length))
        return float(xy[0, 0]), float(xy[0, 1])


class SliderPath:
    """A slider's path through its control points (head first), fitted to its pixel length."""

    def __init__(self, kind: str, points: Sequence[Point], pixel_length: float) -> None:
        if not points:
            raise ValueError("a slider path needs at least its head point")
        self.points = [(float(x), float(y)) for x, y in points]
        self.pixel_length = pixel_length
        self.kind = curve_kind(kind, self.points)
        self._segments: list[_Bezier] = []
        self._ends: list[float] = []
        if self.kind == BEZIER:
            self._fit([_Bezier(group) for group in split_at_repeats(self.points)])
        elif self.kind == LINEAR:
            self._fit([_Bezier(pair) for pair in zip(self.points, self.points[1:])])
        elif self.kind == PERFECT:
            self._init_arc()

    def _fit(self, segments: list[_Bezier]) -> None:
        """Every segment keeps its own length except the last, which absorbs the difference."""
        if not segments:  # a linear path with a single point
            segments = [_Bezier([self.points[0], self.points[0]])]
        lengths = [segment.length for segment in segments]
        total = sum(lengths)
        for segment, length in zip(segments, lengths):
            segment.req_length = length
        segments[-1].req_length = max(0, lengths[-1] - (total - self.pixel_length))
        self._ends = [float(done / total) for done in accumulate(lengths[:-1])] + [1.0]
        self._segments = segments

    def _init_arc(self) -> None:
        centre = circle_center(*self.points)
        assert centre is not None  # curve_kind guarantees a proper arc
        self._centre = centre
        coords = np.array(self.points) - np.array(centre)
        start, end = np.arctan2(coords[::2, 1], coords[::2, 0])
        if end < start:
            end += 2 * math.pi
        angle = end - start
        a_to_c = coords[2] - coords[0]
        if np.dot(np.array((a_to_c[1], -a_to_c[0])), coords[1] - coords[0]) < 0:
            angle = -(2 * math.pi - angle)
        length = abs(angle * math.sqrt(coords[0][0] ** 2 + coords[0][1] ** 2))
        if length > self.pixel_length:
            angle *= self.pixel_length / length
        self._angle = angle

    def position_at(self, progress: float) -> Point:
        """Position at `progress` ∈ [0, 1] of the path (1 = the slider end)."""
        if self.kind == PERFECT:
            return _rotate(self.points[0], self._centre, self._angle * progress)
        if self.kind == CATMULL:
            return _catmull(self.points, progress)
        if len(self._segments) == 1:
            return self._segments[0].position(progress)
        index = bisect.bisect_left(self._ends, progress)
        before = self._ends[index - 1] if index else 0.0
        return self._segments[index].position((progress - before) / (self._ends[index] - before))

    @property
    def end_position(self) -> Point:
        return self.position_at(1.0)


def split_at_repeats(points: Sequence[Point]) -> list[list[Point]]:
    """Bezier segments: a point equal to the one before it (a red anchor) starts a new segment."""
    groups, start = [], 0
    for n in range(1, len(points)):
        if points[n] == points[n - 1]:
            groups.append(list(points[start:n]))
            start = n
    if points[start:]:
        groups.append(list(points[start:]))
    return groups


def _rotate(point: Point, centre: Point, radians: float) -> Point:
    dx, dy = point[0] - centre[0], point[1] - centre[1]
    return (dx * math.cos(radians) - dy * math.sin(radians) + centre[0],
            dx * math.sin(radians) + dy * math.cos(radians) + centre[1])


def _catmull(points: Sequence[Point], progress: float) -> Point:
    """Cubic Hermite spans with tangents ½(next − previous), each span an equal share of progress."""
    if len(points) == 1:
        return points[0]
    p = np.array(points, dtype=np.float64)
    ahead, behind = np.roll(p, 1, axis=None).reshape(p.shape), np.roll(p, -1, axis=None).reshape(p.shape)
    ahead[0], behind[-1] = ahead[1], behind[-2]
    tangents = 0.5 * (ahead - behind)
    span = math.ceil(progress * (len(p) - 1)) - 1
    s = np.array([progress ** 3, progress ** 2, progress, 1])
    basis = s @ _HERMITE
    xy = [float(basis @ np.array([p[span][k], p[span + 1][k], tangents[span][k], tangents[span + 1][k]]))
          for k in (0, 1)]
    return xy[0], xy[1]


# --- osu!'s path approximation, for writing generated sliders (engine.postprocess) ----------------
# Generated sliders are measured the way osu! (lazer) draws them, as the reference post-processor did:
# adaptive bezier subdivision (tolerance 0.25), circular arcs (tolerance 0.1), catmull with 50 samples
# per span, and lengths summed over the resulting polyline.

_BEZIER_TOLERANCE = 0.25
_ARC_TOLERANCE = 0.1
_CATMULL_DETAIL = 50


def _bezier_subdivide(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """De Casteljau halves of one bezier (left, right)."""
    count = len(points)
    mid = points.copy()
    left, right = np.empty_like(points), np.empty_like(points)
    for i in range(count):
        left[i] = mid[0]
        right[count - i - 1] = mid[count - i - 1]
        for j in range(count - i - 1):
            mid[j] = (mid[j] + mid[j + 1]) / 2
    return left, right


def _bezier_flat_enough(points: np.ndarray) -> bool:
    for i in range(1, len(points) - 1):
        p = points[i - 1] - 2 * points[i] + points[i + 1]
        if np.inner(p, p) > _BEZIER_TOLERANCE * _BEZIER_TOLERANCE * 4:
            return False
    return True


def _bezier_emit(points: np.ndarray, output: list[np.ndarray]) -> None:
    count = len(points)
    left, right = _bezier_subdivide(points)
    joined = np.concatenate([left, right[1:]])
    output.append(points[0].copy())
    for i in range(1, count - 1):
        k = 2 * i
        output.append(0.25 * (joined[k - 1] + 2 * joined[k] + joined[k + 1]))


def approximate_bezier(points: np.ndarray) -> list[np.ndarray]:
    """osu!'s adaptive bezier polyline."""
    if len(points) == 0:
        return []
    output: list[np.ndarray] = []
    stack = [points.copy()]
    while stack:
        parent = stack.pop()
        if _bezier_flat_enough(parent):
            _bezier_emit(parent, output)
            continue
        left, right = _bezier_subdivide(parent)
        stack += [right, left]
    output.append(points[-1].copy())
    return output


def approximate_arc(points: np.ndarray) -> list[np.ndarray]:
    """osu!'s circular arc through three points; [] when they are collinear or coincide."""
    a, b, c = points[0], points[1], points[2]
    a_sq, b_sq, c_sq = np.inner(b - c, b - c), np.inner(a - c, a - c), np.inner(a - b, a - b)
    if np.isclose(a_sq, 0) or np.isclose(b_sq, 0) or np.isclose(c_sq, 0):
        return []
    s, t, u = a_sq * (b_sq + c_sq - a_sq), b_sq * (a_sq + c_sq - b_sq), c_sq * (a_sq + b_sq - c_sq)
    total = s + t + u
    if np.isclose(total, 0):
        return []
    centre = (s * a + t * b + u * c) / total
    d_a, d_c = a - centre, c - centre
    r = np.linalg.norm(d_a)
    start, end = np.arctan2(d_a[1], d_a[0]), np.arctan2(d_c[1], d_c[0])
    while end < start:
        end += 2 * np.pi
    direction, theta = 1, end - start
    ortho = np.array([(c - a)[1], -(c - a)[0]])
    if np.dot(ortho, b - a) < 0:
        direction, theta = -1, 2 * np.pi - theta
    if 2 * r <= _ARC_TOLERANCE:
        count = 2
    else:
        count = int(max(2, np.ceil(theta / (2 * np.arccos(1 - _ARC_TOLERANCE / r)))))
    return [centre + np.array([np.cos(angle), np.sin(angle)]) * r
            for angle in (start + direction * (i / (count - 1)) * theta for i in range(count))]


def _catmull_point(v1: np.ndarray, v2: np.ndarray, v3: np.ndarray, v4: np.ndarray, t: float) -> np.ndarray:
    t2, t3 = t * t, t * t * t
    return np.array([0.5 * (2 * v2[k] + (-v1[k] + v3[k]) * t + (2 * v1[k] - 5 * v2[k] + 4 * v3[k] - v4[k]) * t2
                            + (-v1[k] + 3 * v2[k] - 3 * v3[k] + v4[k]) * t3) for k in (0, 1)])


def approximate_catmull(points: np.ndarray) -> list[np.ndarray]:
    """osu!'s catmull polyline: 50 sample pairs per span."""
    out = []
    n = len(points)
    for i in range(n - 1):
        v1 = points[i - 1] if i > 0 else points[i]
        v2 = points[i]
        v3 = points[i + 1] if i < n - 1 else v2 + v2 - v1
        v4 = points[i + 2] if i < n - 2 else v3 + v3 - v2
        for c in range(_CATMULL_DETAIL):
            out += [_catmull_point(v1, v2, v3, v4, c / _CATMULL_DETAIL),
                    _catmull_point(v1, v2, v3, v4, (c + 1) / _CATMULL_DETAIL)]
    return out


class OsuPath:
    """A slider path as osu! draws it: curve letter B/P/C/L and control points (head first), no length fit."""

    def __init__(self, kind: str, points: np.ndarray) -> None:
        self.kind = kind
        self.points = np.asarray(points, dtype=np.float64)
        self.path: list[np.ndarray] = []
        start = 0
        for i in range(len(self.points)):
            if i == len(self.points) - 1 or (self.points[i] == self.points[i + 1]).all():
                for p in self._segment(self.points[start:i + 1]):
                    if not self.path or (self.path[-1] != p).any():
                        self.path.append(p)
                start = i + 1
        self.cumulative = [0.0]
        for a, b in zip(self.path, self.path[1:]):
            self.cumulative.append(self.cumulative[-1] + np.linalg.norm(b - a))

    def _segment(self, points: np.ndarray) -> list[np.ndarray]:
        if self.kind == LINEAR:
            return [p.copy() for p in points]
        if self.kind == PERFECT and len(self.points) == 3 and len(points) == 3:
            return approximate_arc(points) or approximate_bezier(points)
        if self.kind == CATMULL:
            return approximate_catmull(points)
        return approximate_bezier(points)

    @property
    def length(self) -> float:
        return self.cumulative[-1]

    def position_at(self, progress: float) -> np.ndarray:
        """The point at `progress` (clipped to [0, 1]) of the path's length."""
        d = np.clip(progress, 0, 1) * self.length
        i = _search(self.cumulative, d)
        if not self.path:
            return np.zeros(2)
        if i <= 0:
            return self.path[0]
        if i >= len(self.path):
            return self.path[-1]
        d0, d1 = self.cumulative[i - 1], self.cumulative[i]
        if np.isclose(d0, d1):
            return self.path[i - 1]
        return self.path[i - 1] + (self.path[i] - self.path[i - 1]) * ((d - d0) / (d1 - d0))


def _search(values: Sequence[float], target: float) -> int:
    """The reference's binary search: the index of `target`, else the index where it would go."""
    lower, upper = 0, len(values)
    while lower < upper:
        x = lower + (upper - lower) // 2
        if target == values[x]:
            return x
        if target > values[x]:
            if lower == x:
                break
            lower = x
        else:
            upper = x
    return upper


def position_to_progress(path: OsuPath, position: np.ndarray) -> float:
    """The progress along `path` closest to `position` (100 unit-rate gradient steps from the end)."""
    eps, t = 1e-4, 1.0
    for _ in range(100):
        grad = np.linalg.norm(path.position_at(t) - position) - np.linalg.norm(path.position_at(t - eps) - position)
        t -= grad
        if grad == 0 or t < 0 or t > 1:
            break
    return float(np.clip(t, 0, 1))
