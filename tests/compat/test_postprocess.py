"""Token ids → events → timing → resnapped events → .osu text, against the reference (tokens/decode/*.json).

Every step of the reference's post-generation path is compared exactly: the events and times of each
decoded context (`events_final`, `event_times_final`), the red lines derived from the beats
(`timing_points`), the merged and resnapped stream (`merged_events_resnapped`) and the .osu text the
reference's post-processor returned. maid's own output of the same events must parse and round-trip.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.events import TIMING_TYPES, ContextType, Event, EventType
from engine.osu import Slider, parse_beatmap, read_beatmap
from engine.postprocess import (
    PLAYFIELD,
    BeatmapConfig,
    assemble_contexts,
    beatmap_config_from_beatmap,
    columns_to_positions,
    event_times,
    events_to_beatmap,
    events_to_osu_text,
    merge_events,
    rescale_positions,
)
from engine.prompts import events_from_ids
from engine.timing import resnap_events, timing_from_events
from engine.tokenizer import Tokenizer
from tests.conftest import GOLDEN

CASES = sorted(GOLDEN.glob("tokens/decode/*.json")) if GOLDEN.exists() else []


def _pairs(events: list[Event]) -> list[list]:
    return [[e.type.value, e.value] for e in events]


def _load(path: Path, golden_dir: Path) -> tuple[dict, dict, Tokenizer, list[tuple[ContextType, list[Event]]]]:
    case = json.loads(path.read_text())
    source = json.loads((golden_dir / "tokens" / case["source"]).read_text())
    tok = Tokenizer.load(golden_dir / source["tokenizer"])
    window = next(w for w in source["windows"] if w["index"] == case["window_index"])
    decoded = [(ContextType(c["context_type"]), events_from_ids(tok, c["token_ids"], window["frame_time_ms"]))
               for c in window["per_context"]]
    return case, source, tok, decoded


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_each_step_matches_the_reference(path: Path, golden_dir: Path) -> None:
    case, source, tok, decoded = _load(path, golden_dir)
    profile = tok.profile
    config = source["generation_config"]
    final: dict[ContextType, tuple[list[Event], list[int]]] = {}
    for (kind, events), expected in zip(decoded, case["decoded"], strict=True):
        times = event_times(events)
        if kind == ContextType.MAP:
            events, times = rescale_positions(events, times, profile)
            if config["gamemode"] == 3:
                events, times = columns_to_positions(events, times, config["keycount"])
        assert _pairs(events) == expected["events_final"]
        assert times == expected["event_times_final"]
        final[kind] = (events, times)

    beats = final.get(ContextType.TIMING, final[ContextType.MAP])[0]
    timing = timing_from_events([e for e in beats if e.type in TIMING_TYPES or e.type == EventType.TIME_SHIFT])
    # The reference appends the post-processor's first new green line to the caller's list; red lines are ours.
    expected_reds = [(t["offset_ms"], t["ms_per_beat"], t["meter"]) for t in case["timing_points"] if not t["parent"]]
    assert [(line.offset, line.beat_length, line.meter) for line in timing] == expected_reds

    merged: tuple[list[Event], list[int]] = ([], [])
    for kind, pair in final.items():
        if kind != ContextType.TIMING:
            merged = merge_events(merged, pair)
    resnapped = resnap_events(merged[0], timing)
    assert _pairs(resnapped) == case["merged_events_resnapped"]
    assert assemble_contexts(decoded, profile, config["gamemode"], config["keycount"])[0] == resnapped


def _assembled(path: Path, golden_dir: Path) -> tuple[dict, dict, Tokenizer, list[Event], list, BeatmapConfig]:
    """The case's generated events and timing as a caller gets them, and the source map's settings."""
    case, source, tok, decoded = _load(path, golden_dir)
    config = source["generation_config"]
    events, timing = assemble_contexts(decoded, tok.profile, config["gamemode"], config["keycount"])
    beatmap_config = beatmap_config_from_beatmap(read_beatmap(golden_dir / "tokens" / source["source_osu"]))
    return case, source, tok, events, timing, beatmap_config


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_osu_text_matches_the_reference(path: Path, golden_dir: Path) -> None:
    case, _, tok, events, timing, beatmap_config = _assembled(path, golden_dir)
    text = events_to_osu_text(events, timing, beatmap_config, tok.profile, reference_output=True)
    assert text == (golden_dir / "tokens" / "decode" / case["osu_file"]).read_text(encoding="utf-8")
    assert len(timing) == len([t for t in case["timing_points"] if not t["parent"]])  # the caller's list is kept


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_maid_output_loads_and_stays_in_the_playfield(path: Path, golden_dir: Path) -> None:
    case, source, tok, events, timing, beatmap_config = _assembled(path, golden_dir)
    config = source["generation_config"]
    beatmap = events_to_beatmap(events, timing, beatmap_config, tok.profile)
    assert not beatmap.problems
    assert parse_beatmap(beatmap.to_bytes()).to_bytes() == beatmap.to_bytes()
    assert beatmap.mode == config["gamemode"]
    assert "ai-generated" in beatmap.metadata.tags
    reference = parse_beatmap((golden_dir / "tokens" / "decode" / case["osu_file"]).read_bytes())
    assert len(beatmap.hit_objects) == len(reference.hit_objects) > 0
    for obj in beatmap.hit_objects:
        assert 0 <= obj.x <= PLAYFIELD[0] and 0 <= obj.y <= PLAYFIELD[1], obj
        if isinstance(obj, Slider):
            assert obj.length and obj.length > 0
    assert beatmap.timing_points[0].uninherited
