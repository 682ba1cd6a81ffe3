"""Whatever a model emits, post-processing writes a file osu! loads (the reference raised on such streams).

Token ids drawn at random from each checkpoint's output vocabulary stand in for a badly behaved model:
objects without ends, ends without starts, anchors before heads, beats in any order, SV changes before
the first red line. The result must load in engine.osu without a skipped line and start with a red line.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engine.osu import parse_beatmap
from engine.postprocess import PLAYFIELD, BeatmapConfig, assemble_contexts, events_to_beatmap
from engine.prompts import events_from_ids
from engine.tokenizer import Tokenizer


@pytest.mark.parametrize("version", ["v30", "v32"])
def test_random_token_streams_give_loadable_maps(version: str, golden_dir: Path) -> None:
    tok = Tokenizer.load(golden_dir / f"tiny-{version}")
    outputs = tok.profile.context_templates[0][1]
    written = 0
    for seed in range(60):
        rng = np.random.default_rng(seed)
        contexts = [(c, events_from_ids(tok, rng.integers(tok.offset, tok.vocab_size_out, 400).tolist(), 0))
                    for c in outputs]
        mode = int(rng.integers(0, 4)) if version == "v32" else 0
        events, lines = assemble_contexts(contexts, tok.profile, mode, keycount=int(rng.integers(1, 10)))
        beatmap = events_to_beatmap(events, lines or None, BeatmapConfig(mode=mode), tok.profile)
        assert not beatmap.problems, (seed, beatmap.problems[:3])
        assert beatmap.timing_points and beatmap.timing_points[0].uninherited, seed
        assert parse_beatmap(beatmap.to_bytes()).hit_objects == beatmap.hit_objects
        assert all(0 <= o.x <= PLAYFIELD[0] and 0 <= o.y <= PLAYFIELD[1] for o in beatmap.hit_objects)
        written += len(beatmap.hit_objects)
    assert written > 0  # the streams do make objects, not only rejects
