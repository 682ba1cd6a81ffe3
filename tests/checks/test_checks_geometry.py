"""The checks' slider geometry is osu!'s path approximation (`engine.sliders`) fitted to the written length.

engine/checks/geometry.py draws the sliders of a map in one batch (`draw_paths`) because the checks build
every slider path of every difficulty on each save; a path drawn in the batch is the one `OsuPath` draws alone.
The checks skip building a path where the slider's reach rules it out: the reach holds every point, and
skipping changes no offscreen finding and no stack height on the corpus. The slider shape checks skip sliders
whose control points bound their turning under 150°: the bound holds for every corpus slider.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from engine.checks.context import DifficultyContext, Obj
from engine.checks.geometry import build_path, path_reach
from engine.checks.hitobjects import offscreen
from engine.checks.registry import CHECKS
from engine.checks.slider_shapes import total_turn, turn_bound
from engine.checks.stacking import stack_heights
from engine.osu import Beatmap, OsuFormatError, Slider, read_beatmap
from engine.sliders import OsuPath
from tests.conftest import corpus_files


def corpus_maps(step: int = 1, mode: int | None = None) -> Iterator[tuple[Path, Beatmap]]:
    """Every `step`-th corpus file osu! loads, parsed; only the maps of `mode` when it is given."""
    for path in corpus_files()[::step]:
        try:
            beatmap = read_beatmap(path)
        except OsuFormatError:
            continue
        if mode is None or beatmap.mode == mode:
            yield path, beatmap


def test_paths_are_osus_path_approximation_on_corpus_sliders(corpus_dir: Path) -> None:
    checked = 0
    for path, beatmap in corpus_maps(7):
        context = DifficultyContext(beatmap)
        for slider in [o for o in beatmap.hit_objects if isinstance(o, Slider)][:40]:
            drawn = context.path_of(slider)
            alone = build_path((slider.x, slider.y), [(s.curve_type, s.points) for s in slider.segments],
                               slider.pixel_length)
            assert np.array_equal(drawn.points, alone.points) and np.array_equal(drawn.distances, alone.distances)
            if len(slider.segments) != 1:
                continue  # OsuPath takes one curve type (v128 maps may change it mid-path)
            reference = OsuPath(slider.curve_type, np.array([(slider.x, slider.y), *slider.control_points]))
            unfitted = build_path((slider.x, slider.y), [(slider.curve_type, slider.control_points)], None)
            assert np.array_equal(unfitted.points, reference.path), (path.name, slider.time)
            assert unfitted.length == pytest.approx(reference.length, rel=1e-12, abs=1e-9), (path.name, slider.time)
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


def test_every_path_point_lies_within_the_reach_of_its_head_on_corpus_sliders(corpus_dir: Path) -> None:
    """offscreen and stacking skip building a path when the head is far enough: that needs `path_reach` to
    hold every sampled point (and the bounds checks read) of every corpus slider with a written length."""
    checked = 0
    for path, beatmap in corpus_maps(3):
        for slider in (o for o in beatmap.hit_objects if isinstance(o, Slider)):
            reach = path_reach(slider.pixel_length)
            played = build_path((slider.x, slider.y), [(s.curve_type, s.points) for s in slider.segments],
                                slider.pixel_length)
            left, top, right, bottom = played.bounds
            assert (left, top) == tuple(played.points.min(axis=0)) and (right, bottom) == tuple(played.points.max(axis=0))
            if reach is None:
                continue
            farthest = float(np.hypot(*(played.points - (slider.x, slider.y)).T).max())
            assert farthest <= reach, (path.name, slider.time, farthest, reach)
            checked += 1
    assert checked > 10_000


def test_reach_is_unknown_without_a_written_length() -> None:
    assert path_reach(None) is None and path_reach(0.0) is None and path_reach(-5.0) is None
    assert path_reach(90.0) == 91.0


class _EveryPathBuilt(DifficultyContext):
    """A context that never rules a slider out by its reach: every check builds every path it looks at."""

    def reach(self, o: Obj) -> float | None:
        return None if isinstance(o.raw, Slider) else 0.0


def test_ruling_sliders_out_by_reach_changes_no_finding_on_the_corpus(corpus_dir: Path) -> None:
    compared = 0
    for path, beatmap in corpus_maps(4, mode=0):
        fast, full = DifficultyContext(beatmap), _EveryPathBuilt(beatmap)
        assert stack_heights(fast) == stack_heights(full), path.name
        for context in (fast, full):
            context.check = CHECKS["compose.offscreen"]
        assert list(offscreen(fast)) == list(offscreen(full)), path.name
        compared += 1
    assert compared > 50


def test_control_points_bound_how_far_every_corpus_path_turns(corpus_dir: Path) -> None:
    checked = 0
    for path, beatmap in corpus_maps(mode=0):
        ctx = DifficultyContext(beatmap)
        for o in ctx.objects:
            if isinstance(o.raw, Slider) and (bound := turn_bound(o.raw)) is not None:
                assert total_turn(ctx.path_of(o.raw)) <= bound + 0.05, (path.name, o.time)
                checked += 1
    assert checked > 40_000
