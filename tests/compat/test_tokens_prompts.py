"""Window prompts from the fixtures' own event lists: ids, slices, class tokens and v30 model_kwargs.

Each tokens/<version>/<map>.json is tested with the `contexts[]` it records, so the id/prompt side is
checked on its own (tests/compat/test_tokens_events.py checks the event lists built from the .osu).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engine.prompts import class_token_ids, model_kwargs, window_prompt, window_slice, window_token_ids
from engine.tokenizer import Tokenizer
from tests.compat.tokens_cases import CASES, case_id, conditioning_from_fixture, contexts_from_fixture, load_case


@pytest.fixture(scope="module")
def tokenizers(golden_dir: Path) -> dict[str, Tokenizer]:
    return {v: Tokenizer.load(golden_dir / f"tiny-{v}") for v in ("v30", "v32")}


@pytest.mark.parametrize("path", CASES, ids=case_id)
def test_window_prompts_match_reference(path: Path, tokenizers: dict[str, Tokenizer]) -> None:
    case = load_case(path)
    tok = tokenizers[path.parent.name]
    cond = conditioning_from_fixture(case["generation_config"])
    contexts = contexts_from_fixture(case)
    song_length = case["song_length_ms"]

    first = case["contexts"][0]
    assert class_token_ids(tok, cond, song_length) == first["class_ids"]
    assert class_token_ids(tok, cond, song_length, negative=True) == first["negative_class_ids"]
    assert case["windows"], "every case has window 0"
    for window in case["windows"]:
        frame_time = window["frame_time_ms"]
        assert frame_time == case["frame_times_ms"][window["index"]]
        for ctx, expected in zip(contexts, window["per_context"], strict=True):
            start, end = window_slice(ctx, frame_time, tok.profile.window_ms)
            assert [start, end] == expected["event_slice"], ctx.type
            assert window_token_ids(tok, ctx.events[start:end], frame_time) == expected["token_ids"], ctx.type
        prompt = window_prompt(tok, cond, contexts, frame_time, song_length)
        assert prompt == window["prompt_ids"]
        assert [tok.name_of(i) for i in prompt] == window["prompt_tokens"]
        kwargs = model_kwargs(tok, cond, frame_time, song_length)
        assert kwargs.keys() == window["model_kwargs"].keys()
        for key, value in kwargs.items():
            assert np.array_equal(np.asarray(value, dtype=np.float32), np.asarray(window["model_kwargs"][key],
                                                                                 dtype=np.float32)), key
