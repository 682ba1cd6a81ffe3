"""osu!'s path approximation (engine.sliders.OsuPath) against the sliders of real maps.

The editor writes a slider's pixel length at most as long as its drawn path (it cuts the path there), and
mappers rarely leave much of a path unused. So for almost every corpus slider of each curve kind the
approximated length is at least the written length (within 2 px of rounding) and usually close to it.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pytest

from engine.osu import Slider, read_beatmap
from engine.sliders import OsuPath, position_to_progress
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
