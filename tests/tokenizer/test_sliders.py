"""Slider path geometry (engine.sliders): curve kinds, fitting to the pixel length, positions."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest

from engine.osu import Slider, read_beatmap
from engine.sliders import BEZIER, CATMULL, LINEAR, PERFECT, SliderPath, circle_center, curve_kind, split_at_repeats


def test_perfect_needs_three_points_off_a_line() -> None:
    assert curve_kind("P", [(0, 0), (50, 50), (100, 0)]) == PERFECT
    assert curve_kind("P", [(0, 0), (50, 50), (100, 0), (150, 50)]) == BEZIER
    assert curve_kind("P", [(0, 0), (100, 0)]) == BEZIER
    assert curve_kind("P", [(0, 0), (50, 0), (100, 0)]) == BEZIER  # collinear
    assert curve_kind("L", [(0, 0), (100, 0)]) == LINEAR
    with pytest.raises(ValueError, match="unknown slider curve type 'X'"):
        curve_kind("X", [(0, 0)])


def test_p_sliders_of_feeling_alive_follow_the_fixture_note(golden_dir: Path) -> None:
    """README §3: of the `P|` sliders, those with two control points are arcs, the rest bezier."""
    note = (golden_dir / "README.md").read_text(encoding="utf-8")
    arcs, beziers = map(int, re.search(r"Only the (\d+) with exactly two control points become PERFECT_ANCHOR; "
                                       r"the slider library turns the other (\d+) into bezier", note).groups())
    beatmap = read_beatmap(golden_dir / "tokens" / "maps" / "std_feeling_alive_insane.osu")
    kinds = [curve_kind(s.curve_type, [(s.x, s.y), *s.control_points])
             for s in beatmap.hit_objects if isinstance(s, Slider)]
    assert {s.curve_type for s in beatmap.hit_objects if isinstance(s, Slider)} == {"P"}
    assert (kinds.count(PERFECT), kinds.count(BEZIER)) == (arcs, beziers)


def test_linear_path_is_fitted_in_its_last_segment() -> None:
    path = SliderPath("L", [(0, 0), (100, 0), (100, 100)], 150)
    assert path.position_at(0.0) == pytest.approx((0, 0))
    assert path.end_position == pytest.approx((100, 50))
    longer = SliderPath("L", [(0, 0), (100, 0)], 150)  # too short a path: the line goes on
    assert longer.end_position == pytest.approx((150, 0))


def test_bezier_splits_at_red_anchors() -> None:
    points = [(0, 0), (50, 0), (50, 0), (50, 50), (100, 50)]
    assert split_at_repeats(points) == [[(0, 0), (50, 0)], [(50, 0), (50, 50), (100, 50)]]
    path = SliderPath("B", points, 50)  # exactly the first segment
    assert path.end_position[0] == pytest.approx(50, abs=1e-6)
    assert path.end_position[1] == pytest.approx(0, abs=1e-6)


def test_arc_is_cut_to_the_pixel_length_but_never_lengthened() -> None:
    points = [(0, 0), (100, 100), (200, 0)]  # half circle of radius 100 around (100, 0)
    assert circle_center(*points) == pytest.approx((100, 0))
    quarter = SliderPath("P", points, 50 * math.pi)
    assert quarter.end_position == pytest.approx((100, 100))
    full = SliderPath("P", points, 1000)
    assert full.end_position == pytest.approx((200, 0))
    for progress in (0.1, 0.5, 0.9):
        x, y = quarter.position_at(progress)
        assert math.hypot(x - 100, y) == pytest.approx(100)


def test_catmull_ends_on_its_last_point() -> None:
    path = SliderPath("C", [(0, 0), (50, 80), (120, 40)], 200)
    assert path.kind == CATMULL
    assert path.end_position == pytest.approx((120, 40))
    assert SliderPath("C", [(10, 10)], 0).end_position == (10, 10)
