"""engine.contexts.hitsound_owners: which object (and which of its nodes) each HITSOUND slot of the map
context belongs to — what hitsounding writes back — on corpus maps of every mode and both token layouts."""

from __future__ import annotations

from collections import defaultdict

import pytest

from engine.contexts import hitsound_owners, map_context
from engine.events import V30, V32, EventType
from engine.osu import OsuFormatError, Slider, Spinner, read_beatmap
from tests.conftest import corpus_files

FILES = corpus_files()[::12]


@pytest.mark.parametrize("profile", [V30, V32], ids=lambda p: p.name)
def test_every_slot_has_one_owner_at_that_objects_time(profile, corpus_dir) -> None:  # corpus_dir: skips without ../shared
    checked = 0
    seen_modes = set()
    for path in FILES:
        try:
            beatmap = read_beatmap(path)
            context = map_context(beatmap, profile)
        except (OsuFormatError, ValueError):
            continue  # files the tokenizer refuses are covered by its own tests
        owners = hitsound_owners(beatmap, profile)
        slots = [i for i, e in enumerate(context.events) if e.type == EventType.HITSOUND]
        assert len(owners) == len(slots), path.name
        nodes: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for slot, (obj, nth) in zip(slots, owners, strict=True):
            nodes[obj].append((nth, context.times[slot]))
        for obj, found in nodes.items():
            found.sort()
            assert [nth for nth, _ in found] == list(range(len(found))), (path.name, obj)
            times = [time for _, time in found]
            assert times == sorted(times), (path.name, obj)  # head, repeats, tail in time order
            head = beatmap.hit_objects[obj]
            sounded_at = head.end if isinstance(head, Spinner) and beatmap.mode != 1 else head.time  # spinner: at its end
            assert abs(times[0] - sounded_at) <= 1, (path.name, obj)
            if isinstance(head, Slider) and beatmap.mode != 1:
                assert len(found) == head.span_count + 2, (path.name, obj)  # head, body, each repeat, tail
        seen_modes.add(beatmap.mode)
        checked += 1
    assert checked >= 20 and seen_modes == {0, 1, 2, 3}
