"""v31 (no checkpoint among the fixtures): its vocabulary from the construction rule, its types-first
groups and its prompt layout as model.md §4.8 writes it."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.contexts import beatmap_contexts, conditioning_from_beatmap
from engine.events import V31, ContextType, EventType, input_event_ranges, output_event_ranges
from engine.osu import read_beatmap
from engine.prompts import window_prompt
from engine.tokenizer import Tokenizer

NUM_DESCRIPTORS = 40  # data-dependent for v31; any count gives the same layout before DESCRIPTOR


@pytest.fixture(scope="module")
def v31() -> Tokenizer:
    """A tokenizer.json state as the reference writes it, built from the v31 profile."""
    ranges = output_event_ranges(V31), input_event_ranges(V31, 0, NUM_DESCRIPTORS)
    contexts = V31.context_types
    offset = 3 + 2 * len(contexts)
    start, starts, ends = offset, {}, {}
    for r in ranges[0] + ranges[1]:
        starts[r.type.value], ends[r.type.value] = start, start + r.size
        start += r.size
    return Tokenizer.from_state({
        "offset": offset,
        "context_sos": {c.value: 3 + 2 * i for i, c in enumerate(contexts)},
        "context_eos": {c.value: 4 + 2 * i for i, c in enumerate(contexts)},
        "event_ranges": [{"type": r.type.value, "min_value": r.min_value, "max_value": r.max_value} for r in ranges[0]],
        "input_event_ranges": [{"type": r.type.value, "min_value": r.min_value, "max_value": r.max_value}
                               for r in ranges[1]],
        "event_start": starts, "event_end": ends,
        "vocab_size_out": offset + sum(r.size for r in ranges[0]), "vocab_size_in": start,
        "num_descriptor_classes": NUM_DESCRIPTORS,
    })


def test_v31_ids_from_spec(v31: Tokenizer) -> None:
    """model.md §4.4: context pairs none 3/4 … gd 15/16, offset 17, KIAI at 5641."""
    assert v31.profile is V31
    assert {c.value: i for c, i in v31.context_sos.items()} == {
        "none": 3, "timing": 5, "kiai": 7, "map": 9, "sv": 11, "no_hs": 13, "gd": 15}
    assert (v31.offset, v31.event_start[EventType.KIAI], v31.event_start[EventType.GAMEMODE]) == (17, 5641, 5650)


def test_v31_prompt_layout(v31: Tokenizer, golden_dir: Path) -> None:
    beatmap = read_beatmap(golden_dir / "tokens" / "maps" / "kimi_no_bouken.osu")
    types = [ContextType.TIMING, ContextType.KIAI, ContextType.MAP]
    contexts = beatmap_contexts(beatmap, V31, types)
    map_events = contexts[2].events
    first_type = next(i for i, e in enumerate(map_events) if e.type != EventType.TIME_SHIFT)
    assert map_events[first_type].type == EventType.CIRCLE  # types first: the type opens the group
    assert map_events[first_type + 1].type == EventType.TIME_SHIFT

    cond = conditioning_from_beatmap(beatmap, v31)
    names = [v31.name_of(i) for i in window_prompt(v31, cond, contexts, 0, 90000.0)]
    kinds = [n.split(":")[0] for n in names]
    sos = kinds.index("SOS")
    assert kinds[:sos] == ["SOS_none", "EOS_none", "gamemode", "year", "hitsounded", "global_sv", "cs",
                           "descriptor", "kiai", "scroll_speed"]
    assert kinds[sos + 1] == "SOS_timing" and "EOS_timing" in kinds and "EOS_kiai" in kinds
    assert kinds.count("SOS_map") == 1 and "EOS_map" not in kinds

    no_hs = beatmap_contexts(beatmap, V31, [ContextType.NO_HS])
    with_ref = [v31.name_of(i) for i in window_prompt(v31, cond, contexts, 0, 90000.0, in_contexts=no_hs)]
    assert with_ref[0] == "SOS_no_hs" and "hitsound" not in {n.split(":")[0] for n in
                                                               with_ref[:with_ref.index("EOS_no_hs")]}


def test_v31_guest_difficulty_block(v31: Tokenizer, golden_dir: Path) -> None:
    """A GD block opens with the reference's own class tokens and last scroll speed (pipeline.md §2.3.2)."""
    reference_map = read_beatmap(golden_dir / "tokens" / "maps" / "miiro_extra.osu")
    target = read_beatmap(golden_dir / "tokens" / "maps" / "miiro_normal.osu")
    gd = beatmap_contexts(reference_map, V31, [ContextType.GD])
    contexts = beatmap_contexts(target, V31, [ContextType.TIMING])
    cond = conditioning_from_beatmap(target, v31)
    with pytest.raises(ValueError, match="pass `reference`"):
        window_prompt(v31, cond, contexts, 0, 90000.0, in_contexts=gd)
    names = [v31.name_of(i) for i in window_prompt(v31, cond, contexts, 0, 90000.0, in_contexts=gd,
                                                    reference=conditioning_from_beatmap(reference_map, v31))]
    kinds = [n.split(":")[0] for n in names]
    assert kinds[:8] == ["SOS_gd", "gamemode", "year", "hitsounded", "global_sv", "cs", "descriptor",
                         "scroll_speed"]
    assert kinds[8] == "slider_head" and kinds[9] == "t"  # the reference's first object, types first
    assert kinds.index("EOS_gd") < kinds.index("SOS") and kinds.count("SOS_none") == 0
