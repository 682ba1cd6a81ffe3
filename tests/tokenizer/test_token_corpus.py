"""Every corpus beatmap that osu! loads becomes v32 contexts whose events the vocabulary can hold,
or a clear error naming the file; the class tokens of what it says about itself are valid too."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.contexts import beatmap_contexts, conditioning_from_beatmap
from engine.events import ContextType, EventType
from engine.osu import OsuFormatError, read_beatmap
from engine.prompts import class_token_ids
from engine.tokenizer import Tokenizer
from tests.conftest import corpus_files


@pytest.fixture(scope="module")
def v32(golden_dir: Path) -> Tokenizer:
    return Tokenizer.load(golden_dir / "tiny-v32")


@pytest.mark.slow
@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: p.name[:60])
def test_corpus_beatmap_to_tokens(path: Path, v32: Tokenizer) -> None:
    try:
        beatmap = read_beatmap(path)
    except OsuFormatError:
        pytest.skip("osu! cannot load this file either (tests/osu covers the error)")
    if beatmap.mode not in v32.profile.gamemodes:
        pytest.skip(f"mode {beatmap.mode} is not an osu! game mode")
    types = [ContextType.TIMING, ContextType.MAP, ContextType.SV]
    if not beatmap.timing_points:
        with pytest.raises(ValueError, match=rf"{path.name}: \[TimingPoints\] is empty"):
            beatmap_contexts(beatmap, v32.profile, types)
        return
    for ctx in beatmap_contexts(beatmap, v32.profile, types):
        assert len(ctx.events) == len(ctx.times)
        if ctx.type == ContextType.MAP:  # timing and SV keep the file's order of lines, as the reference does
            assert list(ctx.times) == sorted(ctx.times)
        for event in ctx.events:
            if event.type != EventType.TIME_SHIFT:
                v32.encode(event)  # every value is inside the vocabulary
    cond = conditioning_from_beatmap(beatmap, v32)
    assert class_token_ids(v32, cond, 60000.0)[0] == v32.encode_gamemode(beatmap.mode)
