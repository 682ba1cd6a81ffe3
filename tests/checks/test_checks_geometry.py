"""The checks' slider geometry agrees with osu!'s path approximation (`engine.sliders.OsuPath`) on the corpus.

engine/checks/geometry.py samples paths with a vectorised evaluation because the checks build every slider
path of every difficulty on each save; this test keeps it honest against the project's reference port.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from engine.checks.geometry import build_path
from engine.osu import OsuFormatError, Slider, read_beatmap
from engine.sliders import OsuPath
from tests.conftest import corpus_files


def test_paths_match_osu_path_approximation_on_corpus_sliders(corpus_dir: Path) -> None:
    checked = 0
    for path in corpus_files()[::7]:
        try:
            beatmap = read_beatmap(path)
        except OsuFormatError:
            continue
        for slider in [o for o in beatmap.hit_objects if isinstance(o, Slider)][:40]:
            if len(slider.segments) != 1 or not 0 < len(slider.control_points) <= 64:
                continue  # multi-type v128 paths, and stress-test curves of hundreds of points (sampled coarser)
            points = [(slider.x, slider.y), *slider.control_points]
            reference = OsuPath(slider.curve_type, np.array(points))
            ours = build_path((slider.x, slider.y), [(slider.curve_type, slider.control_points)], None)
            tolerance = 0.5 + 0.005 * reference.length  # half a pixel, or 0.5 % on long curvy paths
            assert abs(ours.length - reference.length) < tolerance, (path.name, slider.time)
            assert math.dist(ours.points[-1], tuple(reference.position_at(1.0))) < tolerance, (path.name, slider.time)
            checked += 1
    assert checked > 500


def test_path_is_cut_or_extended_to_the_written_length() -> None:
    straight = build_path((0, 0), [("L", [(100, 0)])], 150)
    assert straight.length == 150 and tuple(straight.points[-1]) == (150, 0)
    cut = build_path((0, 0), [("L", [(100, 0)])], 40)
    assert cut.length == 40 and cut.position_at(40) == (40, 0)
    arc = build_path((0, 0), [("P", [(50, 50), (100, 0)])], None)
    assert abs(arc.length - math.pi * 50) < 1 and abs(min(y for _, y in arc.points) - 0) < 1e-6
    assert abs(max(y for _, y in arc.points) - 50) < 0.5
