"""Window bounds on real contexts, including a timing context whose red lines are out of file order."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.contexts import timing_context
from engine.events import V32, EventType
from engine.osu import read_beatmap
from engine.prompts import window_slice


def _reference_bound(times: tuple[int, ...], limit: float) -> int:
    """The reference's scan: 1 + the last index (from the end) whose time is below the limit."""
    return next((i + 1 for i in range(len(times) - 1, -1, -1) if times[i] < limit), 0)


def test_window_bounds_on_unsorted_timing(corpus_dir: Path) -> None:
    beatmap = read_beatmap(corpus_dir / "Eddio0141-osu-file-parser__aspire3__22f7dc1d.osu")
    ctx = timing_context(beatmap, V32)
    assert list(ctx.times) != sorted(ctx.times), "this map's red lines are out of order"
    for frame_time in range(-2000, max(ctx.times) + 2000, 997):
        start, end = window_slice(ctx, frame_time, V32.window_ms)
        assert (start, end) == (_reference_bound(ctx.times, frame_time),
                                _reference_bound(ctx.times, frame_time + V32.window_ms))


def test_window_bounds_on_sorted_map(golden_dir: Path) -> None:
    beatmap = read_beatmap(golden_dir / "tokens" / "maps" / "kimi_no_bouken.osu")
    ctx = timing_context(beatmap, V32)
    assert list(ctx.times) == sorted(ctx.times)
    start, end = window_slice(ctx, 8187, V32.window_ms)
    inside = [i for i, t in enumerate(ctx.times) if 8187 <= t < 8187 + V32.window_ms]
    assert (start, end) == (inside[0], inside[-1] + 1)
    assert ctx.events[start].type == EventType.TIME_SHIFT


@pytest.mark.parametrize("frame_time", [0, 5000])
def test_empty_window(golden_dir: Path, frame_time: int) -> None:
    beatmap = read_beatmap(golden_dir / "tokens" / "maps" / "mania7k_sayonara_hatsukoi.osu")
    ctx = timing_context(beatmap, V32)
    assert ctx.events == () and window_slice(ctx, frame_time, V32.window_ms) == (0, 0)
