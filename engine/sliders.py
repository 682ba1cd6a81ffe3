"""Slider path geometry, twice: as the checkpoints' tokenizer saw it (`SliderPath`: curve kinds, lengths and
positions), and as osu! draws it (`osu_polylines`, `OsuPath`: for generated sliders and the rule checks; see
the comment above them).

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


def split_at_repeats(points: Sequence[Point] | np.ndarray) -> list:
    """Bezier segments: a point equal to the one before it (a red anchor) starts a new segment. The segments
    are slices of `points`: lists of its points for a sequence, (n, 2) arrays for an array."""
    rows = points.tolist() if isinstance(points, np.ndarray) else points
    cuts = [0, *(n for n in range(1, len(rows)) if rows[n] == rows[n - 1]), len(rows)]
    pieces = [points[start:end] for start, end in zip(cuts, cuts[1:]) if end > start]
    return pieces if isinstance(points, np.ndarray) else [list(piece) for piece in pieces]


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


# --- osu!'s path approximation: generated sliders (engine.postprocess) and the rule checks ------------
# Paths are approximated the way osu! (lazer) draws them, as the reference post-processor did: adaptive
# bezier subdivision (tolerance 0.25), circular arcs (tolerance 0.1), catmull with 50 samples per span, and
# lengths summed over the resulting polyline. `osu_polylines` draws many paths in one pass: the beziers of all
# of them are subdivided level by level together (grouped by control-point count) and the arcs are computed
# together, which is what makes it fast enough for the checks, which draw every slider of a map on each save
# (drawn one path at a time, the corpus' sliders take about three times as long: numpy's per-call overhead).
# Every number is the one the reference's point-by-point code gives: dot products are BLAS dots
# (`np.vecdot`, as `np.inner` and `np.linalg.norm` are; FMA makes them differ from x*x + y*y in the last
# bit), and arctan2 is taken per value (numpy's array loop differs from its scalar one in the last bit).

_BEZIER_FLAT = 0.25 * 0.25 * 4  # squared second difference above which a bezier is subdivided further
_ARC_TOLERANCE = 0.1
_CATMULL_DETAIL = 50

Segment = tuple[str, Sequence[Point] | np.ndarray]  # curve letter, control points from the segment's first point


def osu_polylines(paths: Sequence[Sequence[Segment]]) -> list[np.ndarray]:
    """The (m, 2) polyline osu! draws for each path. A path is its segments (one for a classic slider; v128
    maps may change the curve type mid-path), each split at repeated points (red anchors); a piece is a
    bezier, a circular arc (a `P` segment of exactly three points; a bezier when they are collinear), a
    catmull spline or straight lines. Consecutive equal points are merged."""
    pieces: list[tuple[int, str, Sequence[Point] | np.ndarray]] = []  # (path index, curve kind, control points)
    for index, segments in enumerate(paths):
        for curve_type, points in segments:
            kind = curve_type[:1]
            arc = kind == PERFECT and len(points) == 3
            for group in split_at_repeats(points):
                if kind in (LINEAR, CATMULL):
                    pieces.append((index, kind, group))
                else:
                    pieces.append((index, PERFECT if arc and len(group) == 3 else BEZIER, group))
    drawn: list[np.ndarray | None] = [None] * len(pieces)
    arcs = [j for j, (_, kind, _) in enumerate(pieces) if kind == PERFECT]
    for j, points in zip(arcs, _arcs([pieces[j][2] for j in arcs])):
        drawn[j] = points
    curves = [j for j, (_, kind, _) in enumerate(pieces) if kind == BEZIER or (kind == PERFECT and drawn[j] is None)]
    for j, points in zip(curves, _beziers([pieces[j][2] for j in curves])):
        drawn[j] = points
    for j, (_, kind, points) in enumerate(pieces):
        if kind == LINEAR:
            drawn[j] = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        elif kind == CATMULL:
            drawn[j] = _catmull_polyline(points)
    return _merge_repeats(drawn, [index for index, _, _ in pieces], len(paths))  # type: ignore[arg-type]


def _merge_repeats(drawn: list[np.ndarray], owners: list[int], count: int) -> list[np.ndarray]:
    """The pieces' points joined into one polyline per path (pieces come in path order), a point equal to the
    one before it in its path left out."""
    if not drawn:
        return [np.empty((0, 2)) for _ in range(count)]
    points = np.concatenate(drawn)
    owner = np.repeat(owners, [len(piece) for piece in drawn])
    keep = np.ones(len(points), dtype=bool)
    keep[1:] = (points[1:] != points[:-1]).any(axis=1) | (owner[1:] != owner[:-1])
    return _pieces(points[keep], np.bincount(owner[keep], minlength=count))


def _pieces(points: np.ndarray, sizes: np.ndarray) -> list[np.ndarray]:
    """`points` cut into consecutive runs of `sizes` rows (views; np.split takes ten times as long)."""
    bounds = [0, *np.cumsum(sizes).tolist()]
    return [points[start:end] for start, end in zip(bounds, bounds[1:])]


def _subdivide(curves: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """De Casteljau halves (left, right) of (k, n, 2) beziers."""
    count = curves.shape[1]
    mid = curves.copy()
    left, right = np.empty_like(curves), np.empty_like(curves)
    for i in range(count):
        left[:, i] = mid[:, 0]
        right[:, count - i - 1] = mid[:, count - i - 1]
        rest = count - i - 1
        mid[:, :rest] = (mid[:, :rest] + mid[:, 1:rest + 1]) / 2
    return left, right


def _beziers(curves: list[Sequence[Point] | np.ndarray]) -> list[np.ndarray]:
    """osu!'s adaptive polyline of each bezier: a piece whose control polygon bends more than the tolerance is
    halved, and each flat piece gives its first point and the smoothed midpoints of its halves; the curve's
    last point ends it. Curves with the same number of points are subdivided together, level by level; a
    piece's key (where its parameter range starts) puts the pieces back in order."""
    drawn: list[np.ndarray] = [np.empty((0, 2))] * len(curves)
    by_count: dict[int, list[int]] = {}
    for index, curve in enumerate(curves):
        by_count.setdefault(len(curve), []).append(index)
    for count, members in by_count.items():
        control = np.array([curves[i] for i in members], dtype=np.float64)  # (k, count, 2)
        pending, owner, key, step = control, np.arange(len(members)), np.zeros(len(members)), 0.5
        flat_pieces, flat_owner, flat_key = [], [], []
        while len(pending):
            bend = pending[:, :-2] - 2 * pending[:, 1:-1] + pending[:, 2:]  # (k, count - 2, 2)
            flat = ~(np.vecdot(bend, bend) > _BEZIER_FLAT).any(axis=1)
            flat_pieces.append(pending[flat])
            flat_owner.append(owner[flat])
            flat_key.append(key[flat])
            left, right = _subdivide(pending[~flat])
            pending = np.concatenate([left, right])
            owner = np.tile(owner[~flat], 2)
            key = np.concatenate([key[~flat], key[~flat] + step])
            step /= 2
        owners, keys = np.concatenate(flat_owner), np.concatenate(flat_key)
        order = np.lexsort((keys, owners))
        pieces, owners = np.concatenate(flat_pieces)[order], owners[order]
        if count > 2:
            left, right = _subdivide(pieces)
            joined = np.concatenate([left, right[:, 1:]], axis=1)
            k = 2 * np.arange(1, count - 1)
            smoothed = 0.25 * (joined[:, k - 1] + 2 * joined[:, k] + joined[:, k + 1])
            points = np.concatenate([pieces[:, :1], smoothed], axis=1)  # (pieces, count - 1, 2)
        else:
            points = pieces[:, :1]
        ends = np.searchsorted(owners, np.arange(1, len(members) + 1)) * points.shape[1]
        points = np.insert(points.reshape(-1, 2), ends, control[:, -1], axis=0)  # each curve's last point
        for index, curve in zip(members, _pieces(points, np.diff(ends, prepend=0) + 1)):
            drawn[index] = curve
    return drawn


def _arcs(triples: list[Sequence[Point] | np.ndarray]) -> list[np.ndarray | None]:
    """osu!'s circular arc through each three points, None where they are collinear or coincide."""
    if not triples:
        return []
    a, b, c = np.array(triples, dtype=np.float64).transpose(1, 0, 2)  # each (k, 2)
    a_sq, b_sq, c_sq = np.vecdot(b - c, b - c), np.vecdot(a - c, a - c), np.vecdot(a - b, a - b)
    s, t, u = a_sq * (b_sq + c_sq - a_sq), b_sq * (a_sq + c_sq - b_sq), c_sq * (a_sq + b_sq - c_sq)
    total = s + t + u
    proper = ~(np.isclose(a_sq, 0) | np.isclose(b_sq, 0) | np.isclose(c_sq, 0) | np.isclose(total, 0))
    with np.errstate(divide="ignore", invalid="ignore"):
        centre = (s[:, None] * a + t[:, None] * b + u[:, None] * c) / total[:, None]
        d_a, d_c = a - centre, c - centre
        r = np.sqrt(np.vecdot(d_a, d_a))
        start = np.array([np.arctan2(y, x) for x, y in d_a])
        end = np.array([np.arctan2(y, x) for x, y in d_c])
        for index in np.flatnonzero(proper):
            while end[index] < start[index]:
                end[index] += 2 * np.pi
        theta = end - start
        ortho = np.stack([(c - a)[:, 1], -(c - a)[:, 0]], axis=1)
        backwards = np.vecdot(ortho, b - a) < 0
        direction = np.where(backwards, -1, 1)
        theta = np.where(backwards, 2 * np.pi - theta, theta)
        wide = np.maximum(2, np.ceil(theta / (2 * np.arccos(1 - _ARC_TOLERANCE / r))))
        counts = np.where(2 * r <= _ARC_TOLERANCE, 2, wide)
    counts = np.where(proper, counts, 0).astype(int)
    arc = np.repeat(np.arange(len(triples)), counts)  # the arc of each point
    step = np.arange(len(arc)) - np.repeat(np.cumsum(counts) - counts, counts)  # i = 0 … count − 1 per arc
    angles = start[arc] + direction[arc] * (step / (counts[arc] - 1)) * theta[arc]
    points = centre[arc] + np.stack([np.cos(angles), np.sin(angles)], axis=1) * r[arc, None]
    drawn = _pieces(points, counts)
    return [arc_points if fine else None for arc_points, fine in zip(drawn, proper)]


def _catmull_polyline(points: Sequence[Point] | np.ndarray) -> np.ndarray:
    """osu!'s catmull polyline: 50 sample pairs per span (each span's samples t = c/50 and (c + 1)/50)."""
    n = len(points)
    if n < 2:
        return np.empty((0, 2))
    points = np.asarray(points, dtype=np.float64)
    v1 = np.concatenate([points[:1], points[:-2]])  # the point before each span's start (itself at the first)
    v2, v3 = points[:-1], points[1:]
    v4 = np.concatenate([points[2:], [v3[-1] + v3[-1] - v2[-1]]])
    v1, v2, v3, v4 = (v[:, None] for v in (v1, v2, v3, v4))  # (spans, 1, 2)
    c = np.arange(_CATMULL_DETAIL)
    t = np.stack([c / _CATMULL_DETAIL, (c + 1) / _CATMULL_DETAIL], axis=1).reshape(1, -1, 1)  # (1, 100, 1)
    t2, t3 = t * t, t * t * t
    curve = 0.5 * (2 * v2 + (-v1 + v3) * t + (2 * v1 - 5 * v2 + 4 * v3 - v4) * t2
                   + (-v1 + 3 * v2 - 3 * v3 + v4) * t3)
    return curve.reshape(-1, 2)


class OsuPath:
    """A slider path as osu! draws it: curve letter B/P/C/L and control points (head first), no length fit."""

    def __init__(self, kind: str, points: np.ndarray) -> None:
        self.kind = kind
        self.points = np.asarray(points, dtype=np.float64)
        self.path = osu_polylines([[(kind, self.points)]])[0]
        legs = np.diff(self.path, axis=0)
        self.cumulative = np.concatenate([[0.0], np.cumsum(np.sqrt(np.vecdot(legs, legs)))])

    @property
    def length(self) -> float:
        return float(self.cumulative[-1])

    def position_at(self, progress: float) -> np.ndarray:
        """The point at `progress` (clipped to [0, 1]) of the path's length."""
        if not len(self.path):
            return np.zeros(2)
        d = np.clip(progress, 0, 1) * self.length
        i = _search(self.cumulative, d)
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
