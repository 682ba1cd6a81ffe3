"""Derived values: timing lookups, SV clamping, beat snap, mania columns, slider timing without a path."""

from __future__ import annotations

import math

import pytest

from engine.osu import (
    Slider,
    audio_offset,
    beat_snap,
    drain_time,
    end_time,
    mania_column,
    mania_x,
    needs_path_length,
    parse_beatmap,
    play_time,
    slider_velocity,
)
from tests.osu.corpus import beatmap_of, readable

TIMED = parse_beatmap(b"osu file format v14\r\n[General]\r\nMode: 0\r\n[Difficulty]\r\nSliderMultiplier:1.4\r\n"
                      b"[TimingPoints]\r\n1000,500,4,2,0,60,1,0\r\n2000,-50,4,2,0,60,0,1\r\n"
                      b"3000,-10000,4,2,0,60,0,0\r\n4000,300,3,2,0,60,1,0\r\n4000,-200,4,2,0,60,0,0\r\n"
                      b"[HitObjects]\r\n64,64,2500,2,0,L|164:64,2,70\r\n64,64,5000,2,0,L|164:64|164:64,1,70\r\n"
                      b"64,64,5000,2,0,B|100:100,1\r\n")


def test_timing_in_effect() -> None:
    timing = TIMED.timing
    assert timing.uninherited_at(0).time == 1000  # before the first red line: the first red line
    assert timing.beat_length_at(3500) == 500 and timing.beat_length_at(4000) == 300
    assert timing.slider_velocity_at(1999) == 1 and timing.slider_velocity_at(2000) == 2
    assert timing.slider_velocity_at(3000) == pytest.approx(0.1)  # -10000 clamps to SV 0.1 in osu!
    assert timing.slider_velocity_at(3000, mode=3) == pytest.approx(0.01)
    assert timing.slider_velocity_at(4000) == pytest.approx(0.5)  # green beats red at the same time
    assert timing.point_at(999) is None


def test_slider_timing_from_the_written_length() -> None:
    slider = TIMED.hit_objects[0]
    assert slider_velocity(TIMED, 2500) == pytest.approx(100 * 1.4 * 2 / 500)
    assert end_time(TIMED, slider) == pytest.approx(2500 + 2 * 70 / (100 * 1.4 * 2 / 500))


def test_sliders_that_need_their_path_measured_return_none_without_a_measure() -> None:
    repeated_end, no_length = TIMED.hit_objects[1], TIMED.hit_objects[2]
    assert isinstance(repeated_end, Slider) and needs_path_length(repeated_end) and needs_path_length(no_length)
    assert end_time(TIMED, repeated_end) is None and end_time(TIMED, no_length) is None
    velocity = slider_velocity(TIMED, 5000)
    assert end_time(TIMED, repeated_end, lambda s: 100.0) == pytest.approx(5000 + 70 / velocity)  # not extended
    assert end_time(TIMED, repeated_end, lambda s: 50.0) == pytest.approx(5000 + 50 / velocity)
    assert end_time(TIMED, no_length, lambda s: 50.0) == pytest.approx(5000 + 50 / velocity)


@pytest.mark.parametrize("offset, divisor", [(0, 1), (250, 2), (167, 3), (125, 4), (100, 5), (83, 6),
                                             (71, 7), (63, 8), (56, 9), (42, 12), (31, 16), (37, None)])
def test_beat_snap_divisors(offset: int, divisor: int | None) -> None:
    snap = beat_snap(TIMED.timing, 1000 + 500 * 3 + offset)
    assert snap.divisor == divisor
    assert abs(snap.error) <= 1 or divisor is None


def test_nearest_snapped_time() -> None:
    snap = beat_snap(TIMED.timing, 1000 + 37)
    assert snap.divisor is None
    assert snap.time == pytest.approx(1000 + 500 / 12)  # 1/12 is nearer than 1/16 (1031.25) or 1/9 (1055.6)
    assert snap.error == pytest.approx(1037 - (1000 + 500 / 12))


def test_most_objects_of_ranked_style_maps_are_snapped(corpus_dir) -> None:  # corpus_dir: skips without ../shared
    snapped = total = 0
    for path in readable():
        if not path.name.startswith("asherlr23-eternity") or beatmap_of(path).version != 14:
            continue
        beatmap = beatmap_of(path)
        for obj in beatmap.hit_objects:
            total += 1
            snapped += beat_snap(beatmap.timing, obj.time).divisor is not None
    assert total > 10_000 and snapped / total > 0.97


@pytest.mark.parametrize("keys", range(1, 19))
def test_mania_x_and_column_invert_each_other(keys: int) -> None:
    assert [mania_column(mania_x(column, keys), keys) for column in range(keys)] == list(range(keys))
    assert mania_column(-5, keys) == 0 and mania_column(600, keys) == keys - 1
    assert [mania_x(column, 7) for column in range(7)] == [36, 109, 182, 256, 329, 402, 475]
    assert math.isclose(mania_x(0, 4), 64)


def test_play_time_drain_time_and_the_legacy_audio_offset() -> None:
    beatmap = parse_beatmap(b"osu file format v4\n[Events]\n2,3000,5000\n[TimingPoints]\n0,500\n"
                            b"[HitObjects]\n64,64,1000,1,0\n256,192,6000,12,0,8000\n64,64,2000,1,0\n")
    assert play_time(beatmap) == (1000, 8000)
    assert drain_time(beatmap) == 7000 - 2000
    assert audio_offset(beatmap) == 24 and audio_offset(TIMED) == 0
    assert play_time(parse_beatmap(b"osu file format v14\n")) == (0, 0)
