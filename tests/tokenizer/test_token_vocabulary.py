"""The tokenizer tables of the tiny checkpoints against the facts written in the fixtures README (§2)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from engine.events import PROFILES, V31, ContextType, Event, EventType, input_event_ranges, output_event_ranges
from engine.tokenizer import EOS, PAD, SOS, Tokenizer, VocabularyError

VERSIONS = ("v30", "v32")


@pytest.fixture(scope="module", params=VERSIONS)
def tokenizer(request, golden_dir: Path) -> Tokenizer:
    return Tokenizer.load(golden_dir / f"tiny-{request.param}")


def _readme_tables(golden_dir: Path) -> dict[str, dict[str, tuple[int, int, int]]]:
    """`type[min..max]@first_id` entries of README §2, per version (v30 paragraph, v32 paragraph)."""
    text = (golden_dir / "README.md").read_text(encoding="utf-8")
    section = text[text.index("### Tokenizer tables"):text.index("### Format notes")]
    v30, v32 = section[:section.index("v32: offset")], section[section.index("v32: offset"):]
    entry = re.compile(r"(\w+)(?:\[(-?\d+)\.\.(-?\d+)\])?@(\d+)")
    return {
        name: {m[1]: (int(m[2] or 0), int(m[3] or 0), int(m[4])) for m in entry.finditer(part)}
        for name, part in (("v30", v30), ("v32", v32))
    }


def test_tables_match_readme(tokenizer: Tokenizer, golden_dir: Path) -> None:
    expected = _readme_tables(golden_dir)[tokenizer.profile.name]
    assert len(expected) > 15
    for type_name, (lo, hi, first_id) in expected.items():
        event_type = EventType(type_name)
        r = tokenizer.event_range[event_type]
        assert (r.min_value, r.max_value, tokenizer.event_start[event_type]) == (lo, hi, first_id), type_name
        assert tokenizer.encode(Event(event_type, lo)) == first_id
        assert tokenizer.decode(first_id) == Event(event_type, lo)


def test_readme_header_facts(golden_dir: Path) -> None:
    v30 = Tokenizer.load(golden_dir / "tiny-v30")
    v32 = Tokenizer.load(golden_dir / "tiny-v32")
    assert (v30.offset, v30.context_sos, v30.vocab_size_in, v30.vocab_size_out) == (3, {}, 4607, 4607)
    assert v30.input_ranges == ()
    assert v32.offset == 9
    assert v32.context_sos == {ContextType.TIMING: 3, ContextType.MAP: 5, ContextType.SV: 7}
    assert v32.context_eos == {ContextType.TIMING: 4, ContextType.MAP: 6, ContextType.SV: 8}
    assert (v32.vocab_size_out, v32.vocab_size_in) == (4097, 4951)
    assert min(v32.event_start[r.type] for r in v32.input_ranges) == v32.vocab_size_out
    # mapper_idx has holes: 28 of the 51 classes are present
    assert v32.num_mapper_classes == 51 and len(v32.mapper_idx) == 28
    assert max(v32.mapper_idx.values()) < 51
    assert v32.num_descriptor_classes == 146
    assert (PAD, SOS, EOS) == (0, 1, 2)


def test_construction_rule_predicts_checkpoint(tokenizer: Tokenizer) -> None:
    profile = tokenizer.profile
    assert output_event_ranges(profile) == tokenizer.output_ranges
    assert input_event_ranges(profile, tokenizer.num_mapper_classes, tokenizer.num_descriptor_classes) \
        == tokenizer.input_ranges
    assert tuple(tokenizer.context_sos) == profile.context_types
    assert tokenizer.time_shift_ids == range(tokenizer.offset, tokenizer.offset + profile.max_time_shift + 1)


def test_v31_layout_from_spec_sizes() -> None:
    """model.md §4.4: offset 17 (7 context pairs), V_out 5650, V_in 6117 + D."""
    outs = output_event_ranges(V31)
    assert 3 + 2 * len(V31.context_types) == 17
    assert 17 + sum(r.size for r in outs) == 5650
    for d in (0, 40):
        assert 5650 + sum(r.size for r in input_event_ranges(V31, 0, d)) == 6117 + d
    assert PROFILES["v32-mini"] is PROFILES["v32"]


def test_every_id_round_trips(tokenizer: Tokenizer) -> None:
    for token_id in range(tokenizer.offset, tokenizer.vocab_size_in):
        assert tokenizer.encode(tokenizer.decode(token_id)) == token_id


def test_non_events_and_out_of_range(tokenizer: Tokenizer) -> None:
    for special in (PAD, SOS, EOS, *tokenizer.context_sos.values()):
        assert not tokenizer.is_event(special)
        with pytest.raises(VocabularyError, match="not an event"):
            tokenizer.decode(special)
    with pytest.raises(VocabularyError, match="outside"):
        tokenizer.name_of(tokenizer.vocab_size_in)
    with pytest.raises(VocabularyError, match="0..16"):
        tokenizer.encode(Event(EventType.SNAPPING, 17))
    with pytest.raises(VocabularyError, match="has no 'kiai'"):
        tokenizer.encode(Event(EventType.KIAI, 1))


def test_damaged_layout_is_refused(golden_dir: Path) -> None:
    import json

    state = json.loads((golden_dir / "tiny-v32" / "tokenizer.json").read_text())
    state["event_start"]["snap"] += 1
    with pytest.raises(VocabularyError, match="'snap'"):
        Tokenizer.from_state(state, source="x/tokenizer.json")
