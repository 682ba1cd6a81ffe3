"""Beatmap → events: every context of every tokens/<version>/<map>.json, built from tokens/maps/<map>.osu.

Also the conditioning read from the beatmap (generation_config) and the full window prompts built from
our own events, so the whole .osu → prompt path is exact.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.contexts import beatmap_contexts, conditioning_from_beatmap
from engine.events import ContextType
from engine.osu import read_beatmap
from engine.prompts import window_prompt
from engine.tokenizer import Tokenizer
from tests.compat.tokens_cases import CASES, case_id, conditioning_from_fixture, load_case


@pytest.fixture(scope="module")
def tokenizers(golden_dir: Path) -> dict[str, Tokenizer]:
    return {v: Tokenizer.load(golden_dir / f"tiny-{v}") for v in ("v30", "v32")}


@pytest.mark.parametrize("path", CASES, ids=case_id)
def test_contexts_from_osu_match_reference(path: Path, golden_dir: Path, tokenizers: dict[str, Tokenizer]) -> None:
    case = load_case(path)
    tok = tokenizers[path.parent.name]
    beatmap = read_beatmap(golden_dir / "tokens" / case["source_osu"])
    types = [ContextType(c["context_type"]) for c in case["contexts"]]
    contexts = beatmap_contexts(beatmap, tok.profile, types, case["song_length_ms"])
    for ours, expected in zip(contexts, case["contexts"], strict=True):
        assert ours.type.value == expected["context_type"]
        got = [[e.type.value, e.value, t] for e, t in zip(ours.events, ours.times, strict=True)]
        assert got == expected["events"], expected["context_type"]

    cond = conditioning_from_beatmap(beatmap, tok, difficulty=case["generation_config"]["difficulty"])
    assert cond == conditioning_from_fixture(case["generation_config"])
    for window in case["windows"]:
        prompt = window_prompt(tok, cond, contexts, window["frame_time_ms"], case["song_length_ms"])
        assert prompt == window["prompt_ids"]
