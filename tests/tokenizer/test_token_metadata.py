"""Metadata (class) tokens: encodings, unknown forms and clear errors for values a model does not know."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.events import Event, EventType
from engine.tokenizer import Tokenizer, VocabularyError, ratio_class


@pytest.fixture(scope="module")
def v32(golden_dir: Path) -> Tokenizer:
    return Tokenizer.load(golden_dir / "tiny-v32")


@pytest.fixture(scope="module")
def v30(golden_dir: Path) -> Tokenizer:
    return Tokenizer.load(golden_dir / "tiny-v30")


def _event(tok: Tokenizer, token_id: int) -> tuple[str, int]:
    e = tok.decode(token_id)
    return e.type.value, e.value


def test_unknown_forms_are_the_top_values(v32: Tokenizer) -> None:
    assert _event(v32, v32.encode_difficulty(None)) == ("difficulty", 24)
    assert _event(v32, v32.encode_mapper(None)) == ("mapper", v32.num_mapper_classes)
    assert _event(v32, v32.encode_cs(None)) == ("cs", 21)
    assert _event(v32, v32.encode_year(None)) == ("year", 2077)
    assert v32.encode_descriptors([]) == [v32.encode(Event(EventType.DESCRIPTOR, v32.num_descriptor_classes))]
    assert _event(v32, v32.encode_hold_note_ratio(None)) == ("hold_note_ratio", 12)
    assert _event(v32, v32.encode_scroll_speed_ratio(None)) == ("scroll_speed_ratio", 12)


def test_clipped_encodings(v32: Tokenizer) -> None:
    assert _event(v32, v32.encode_difficulty(6.97)) == ("difficulty", 13)
    assert _event(v32, v32.encode_difficulty(40.0)) == ("difficulty", 23)  # never the unknown class
    assert _event(v32, v32.encode_difficulty(-1.0)) == ("difficulty", 0)
    assert _event(v32, v32.encode_cs(4.0)) == ("cs", 8)
    assert _event(v32, v32.encode_cs(11.0)) == ("cs", 20)
    assert _event(v32, v32.encode_song_length(88858.0)) == ("song_length", 8)
    assert _event(v32, v32.encode_song_length(10**9)) == ("song_length", 60)
    assert _event(v32, v32.encode_global_sv(3.59999990463257)) == ("global_sv", 360)
    assert _event(v32, v32.encode_global_sv(0.1)) == ("global_sv", 40)
    assert _event(v32, v32.encode_song_position(0, 88858.0)) == ("song_position", -1)
    assert _event(v32, v32.encode_song_position(88858, 88858.0)) == ("song_position", 101)
    assert _event(v32, v32.encode_song_position(8187, 88858.0)) == ("song_position", 9)
    assert _event(v32, v32.encode_hold_note_ratio(0.0)) == ("hold_note_ratio", -1)
    assert _event(v32, v32.encode_scroll_speed_ratio(1.0)) == ("scroll_speed_ratio", 11)
    assert ratio_class(0.25, 10) == 2 and ratio_class(0.35, 10) == 4  # numpy/Python round half to even


def test_mapper_with_holes(v32: Tokenizer) -> None:
    present = next(iter(v32.mapper_idx.items()))
    assert _event(v32, v32.encode_mapper(present[0])) == ("mapper", present[1])
    removed = next(u for u in v32.beatmap_mapper.values() if u not in v32.mapper_idx)
    assert _event(v32, v32.encode_mapper(removed)) == ("mapper", v32.num_mapper_classes)


def test_descriptors_by_name(v32: Tokenizer) -> None:
    ids = v32.encode_descriptors(["style/clean", "skillset/jumps"])
    assert [_event(v32, i) for i in ids] == [("descriptor", 41), ("descriptor", 19)]
    with pytest.raises(VocabularyError, match="descriptor 'style/cleen' is unknown"):
        v32.encode_descriptors(["style/cleen"])


@pytest.mark.parametrize(("call", "message"), [
    (lambda t: t.encode_year(2100), r"year 2100 is outside .*\(2007\.\.2076\); leave it empty"),
    (lambda t: t.encode_year(2006), r"\(2007\.\.2076\)"),
    (lambda t: t.encode_year(2077), r"\(2007\.\.2076\)"),
    (lambda t: t.encode_keycount(19), r"mania key count 19 is outside .*\(1\.\.18\)"),
    (lambda t: t.encode_gamemode(4), r"gamemode 4 is not 0"),
    (lambda t: t.encode_difficulty(float("nan")), r"difficulty \(star rating\) must be a finite number"),
    (lambda t: t.encode_cs("4"), r"circle size must be a finite number"),
    (lambda t: t.encode_mapper(-5), r"mapper id -5 is not an osu! user id"),
    (lambda t: t.encode_song_position(0, 0), r"song length 0 ms must be positive"),
    (lambda t: t.encode_global_sv(float("inf")), r"slider multiplier must be a finite number"),
])
def test_out_of_range_values_are_clear_errors(v32: Tokenizer, call, message: str) -> None:
    with pytest.raises(VocabularyError, match=message):
        call(v32)


def test_v30_has_no_class_tokens(v30: Tokenizer) -> None:
    with pytest.raises(VocabularyError, match=r"this model \(v30\) has no 'year' token"):
        v30.encode_year(2020)
    with pytest.raises(VocabularyError, match="has no 'gamemode'"):
        v30.encode_gamemode(0)
