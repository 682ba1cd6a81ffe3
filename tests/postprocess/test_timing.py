"""engine.timing on real maps: resnapping moves jittered object times back onto their 1/d ticks, and the
timing-line edits behave as the post-processor needs (green lines under their red line, volume carried on)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engine.contexts import map_context
from engine.events import PROFILES, Event, EventType
from engine.osu import read_beatmap
from engine.timing import (
    TimingLine,
    format_number,
    red_line,
    resnap_events,
    set_kiai,
    set_slider_velocity,
    set_volume,
)


def _lines(path: Path) -> list[TimingLine]:
    return [red_line(p.time, p.beat_length, p.meter) for p in read_beatmap(path).timing_points if p.uninherited]


@pytest.mark.parametrize("name", ["kimi_no_bouken", "sendan_life_extra", "std_feeling_alive_insane", "miiro_extra"])
def test_jittered_objects_resnap_to_their_ticks(name: str, golden_dir: Path) -> None:
    path = golden_dir / "tokens" / "maps" / f"{name}.osu"
    events = list(map_context(read_beatmap(path), PROFILES["v32"]).events)
    snapped = [i for i, e in enumerate(events[:-1])
               if e.type == EventType.TIME_SHIFT and events[i + 1].type == EventType.SNAPPING and events[i + 1].value]
    assert len(snapped) > 50
    rng = np.random.default_rng(0)
    jittered = list(events)
    for i in snapped:
        jittered[i] = Event(EventType.TIME_SHIFT, events[i].value + int(rng.integers(-4, 5)))
    back = resnap_events(jittered, _lines(path))
    moved = [abs(back[i].value - events[i].value) for i in snapped]
    assert max(moved) <= 1  # ticks are truncated to whole ms, the map's own times rounded
    assert [e for e in back if e.type != EventType.TIME_SHIFT] == [e for e in events if e.type != EventType.TIME_SHIFT]


def test_edits_make_green_lines_and_carry_volume_and_kiai() -> None:
    lines = [red_line(1000, 500), red_line(9000, 400)]
    lines = set_slider_velocity(lines, 2000, 1.5)
    green = next(line for line in lines if not line.uninherited)
    assert (green.offset, green.parent) == (2000, lines[0]) and -100 / green.beat_length == pytest.approx(1.5)
    assert set_slider_velocity(lines, 2001, 1.5) == lines  # within 2 ms: edits the same line, adds none
    lines = set_volume(lines, 3000, 40)
    assert [line.volume for line in lines] == [100, 100, 40, 40]  # the later red line too
    lines = set_kiai(lines, 2000, True)
    assert [line.kiai for line in lines] == [False, True, True, True]
    assert [line.pack() for line in lines] == ["1000,500,4,2,-1,100,1,0", "2000,-66.66666666656667,4,2,-1,100,0,1",
                                               "3000,-66.66666666656667,4,2,-1,40,0,1", "9000,400,4,2,-1,40,1,1"]


def test_numbers_are_written_like_the_reference() -> None:
    assert [format_number(v) for v in (300.0, -100, 307.6923076923077)] == ["300", "-100", "307.6923076923077"]
