"""Groups the fixtures cannot show (the reference could not read them): mania hold notes and catmull
sliders, checked on corpus maps against model.md §4.7."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.contexts import map_context
from engine.events import V30, V32, EventType
from engine.osu import HoldNote, Slider, read_beatmap

HOLDS = "0e4ef622-remani__Cillia_-_Fairytale_shuniki_Promise__2186ebf9.osu"
CATMULL = "MaxOhn-rosu-pp__70090__b086186f.osu"


def _groups(ctx) -> list[list[tuple[str, int, int]]]:
    """Split a (types-last) context into groups, each ending with its type token."""
    groups, current = [], []
    for event, time in zip(ctx.events, ctx.times):
        current.append((event.type.value, event.value, time))
        if event.type.value not in {"t", "snap", "pos", "pos_refine", "column", "new_combo", "scroll_speed",
                                    "hitsound", "volume", "dist", "pos_x", "pos_y"}:
            groups.append(current)
            current = []
    assert current == []
    return groups


def test_mania_hold_notes(corpus_dir: Path) -> None:
    beatmap = read_beatmap(corpus_dir / HOLDS)
    holds = [o for o in beatmap.hit_objects if isinstance(o, HoldNote)]
    assert beatmap.mode == 3 and len(holds) > 100
    groups = _groups(map_context(beatmap, V32))
    starts = [g for g in groups if g[-1][0] == "hold_note"]
    ends = [g for g in groups if g[-1][0] == "hold_note_end"]
    assert len(starts) == len(ends) == len(holds)
    keys = int(beatmap.difficulty.circle_size)
    assert sorted(g[0][1] for g in ends) == sorted(int(h.end) for h in holds)
    for g in starts:  # T, S, COLUMN, HS, VOL, HOLD_NOTE
        assert [e[0] for e in g] == ["t", "snap", "column", "hitsound", "volume", "hold_note"]
        assert 0 <= g[2][1] < keys
    for g in ends:  # T, S, COLUMN, HOLD_NOTE_END
        assert [e[0] for e in g] == ["t", "snap", "column", "hold_note_end"]
    for g in (g for g in groups if g[-1][0] == "hold_note_sustain"):  # T, COLUMN: every 8 s inside a hold
        assert [e[0] for e in g] == ["t", "column", "hold_note_sustain"]


def test_catmull_sliders(corpus_dir: Path) -> None:
    beatmap = read_beatmap(corpus_dir / CATMULL)
    catmull = [s for s in beatmap.hit_objects if isinstance(s, Slider) and s.curve_type == "C"]
    assert catmull, "the osu! tutorial has catmull sliders"
    ctx = map_context(beatmap, V30)
    anchors = sum(e.type == EventType.CATMULL_ANCHOR for e in ctx.events)
    assert anchors == sum(len(s.control_points) - 1 for s in catmull)  # inner points: all but the last


@pytest.mark.parametrize("profile", [V30, V32], ids=lambda p: p.name)
def test_every_slider_has_head_last_anchor_and_end(corpus_dir: Path, profile) -> None:
    beatmap = read_beatmap(corpus_dir / CATMULL)
    sliders = [s for s in beatmap.hit_objects if isinstance(s, Slider)]
    kinds = [e.type for e in map_context(beatmap, profile).events]
    assert kinds.count(EventType.SLIDER_HEAD) == kinds.count(EventType.SLIDER_END) == len(sliders)
    assert kinds.count(EventType.LAST_ANCHOR) == len(sliders) * profile.slider_version
