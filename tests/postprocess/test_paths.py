"""osu!'s path approximation (engine.sliders.OsuPath, osu_polylines) against the sliders of real maps.

The editor writes a slider's pixel length at most as long as its drawn path (it cuts the path there), and
mappers rarely leave much of a path unused. So for almost every corpus slider of each curve kind the
approximated length is at least the written length (within 2 px of rounding) and usually close to it.
The batched approximation draws every path as it would alone, and its beziers are osu!'s adaptive
subdivision written out point by point.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pytest

from engine.osu import Slider, read_beatmap
from engine.sliders import OsuPath, osu_polylines, position_to_progress, split_at_repeats
from tests.conftest import corpus_files


def test_corpus_slider_lengths_fit_their_paths(corpus_dir) -> None:
    spare: dict[str, list[float]] = defaultdict(list)
    for path in corpus_files()[::3]:
        try:
            beatmap = read_beatmap(path)
        except Exception:  # broken corpus files are the osu package's business
            continue
        for obj in beatmap.hit_objects:
            if beatmap.mode == 0 and isinstance(obj, Slider) and obj.length and obj.control_points:
                points = np.array([(obj.x, obj.y), *obj.control_points], dtype=float)
                spare[obj.curve_type[:1]].append(OsuPath(obj.curve_type[:1], points).length - obj.length)
    assert set(spare) >= {"B", "L", "P"}
    for kind, values in spare.items():
        if len(values) < 50:  # catmull sliders are rare (old maps)
            continue
        values_arr = np.array(values)
        assert np.mean(values_arr >= -2) > 0.98, kind
        assert np.median(values_arr) < 20, kind


@pytest.mark.parametrize("kind", ["B", "L", "P", "C"])
def test_progress_of_a_point_on_the_path(kind: str) -> None:
    """The reference's fixed-step descent from the end: exact at the end, within a few % elsewhere."""
    path = OsuPath(kind, np.array([(0.0, 0.0), (100.0, 60.0), (200.0, 0.0)]))
    assert position_to_progress(path, path.position_at(1.0)) == 1.0
    for progress in (0.25, 0.5, 0.9):
        assert position_to_progress(path, path.position_at(progress)) == pytest.approx(progress, abs=0.03)


def corpus_paths(step: int) -> list[list[list[tuple[str, np.ndarray]]]]:
    """The slider paths (segments with their first point) of every `step`-th corpus map, one list per map."""
    maps = []
    for path in corpus_files()[::step]:
        try:
            beatmap = read_beatmap(path)
        except Exception:
            continue
        paths = []
        for obj in beatmap.hit_objects:
            if isinstance(obj, Slider):
                start, segments = (obj.x, obj.y), []
                for segment in obj.segments:
                    segments.append((segment.curve_type, np.array([start, *segment.points], dtype=float)))
                    start = segment.points[-1] if segment.points else start
                paths.append(segments)
        maps.append(paths)
    return maps


def test_a_batch_draws_every_path_as_it_would_alone(corpus_dir) -> None:
    compared = 0
    for paths in corpus_paths(9):
        kinds = [[(kind, points) for _, points in segments] for kind in "BCLP" for segments in paths[:15]]
        for batch in (paths, kinds):
            for together, segments in zip(osu_polylines(batch), batch):
                assert np.array_equal(together, osu_polylines([segments])[0])
                compared += 1
    assert compared > 3000


def lazer_bezier(control: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """osu!'s PathApproximator.ApproximateBezier, one point at a time in plain floats."""
    def halves(points: list[tuple[float, float]]) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
        mid, left, right = list(points), [], []
        for i in range(len(points)):
            left.append(mid[0])
            right.insert(0, mid[len(points) - i - 1])
            mid = [((ax + bx) / 2, (ay + by) / 2) for (ax, ay), (bx, by) in zip(mid, mid[1:])]
        return left, right

    output, stack = [], [control]
    while stack:
        piece = stack.pop()
        bends = [(a[0] - 2 * b[0] + c[0], a[1] - 2 * b[1] + c[1]) for a, b, c in zip(piece, piece[1:], piece[2:])]
        if any(x * x + y * y > 0.25 for x, y in bends):
            left, right = halves(piece)
            stack += [right, left]
            continue
        left, right = halves(piece)
        joined = left + right[1:]
        output.append(piece[0])
        output += [(0.25 * (joined[2 * i - 1][0] + 2 * joined[2 * i][0] + joined[2 * i + 1][0]),
                    0.25 * (joined[2 * i - 1][1] + 2 * joined[2 * i][1] + joined[2 * i + 1][1]))
                   for i in range(1, len(piece) - 1)]
    return output + [control[-1]]


def test_beziers_are_osus_adaptive_subdivision(corpus_dir) -> None:
    compared = 0
    for paths in corpus_paths(4):
        for segments in paths[:40]:
            for kind, points in segments:
                for piece in split_at_repeats([tuple(p) for p in points.tolist()]):
                    if kind[:1] != "B" or len(piece) < 3:
                        continue
                    drawn = osu_polylines([[("B", np.array(piece))]])[0]
                    expected = np.array(lazer_bezier(piece))
                    expected = expected[np.concatenate([[True], (expected[1:] != expected[:-1]).any(axis=1)])]
                    assert drawn.shape == expected.shape and np.allclose(drawn, expected, rtol=0, atol=1e-9)
                    compared += 1
    assert compared > 400
