"""MaiMod against the reference's mai_mod on the tiny v30 model (maimod/*_surprisals.json, *_stdout.txt).

Every row of every context: the event, its time, the relative surprisal (rtol 1e-3; entropy can be tiny)
and the expected event (exact). Then the printed report: the same suggestions, categories, labels, links
and order as the reference's raw output.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from engine.audio import load_audio
from engine.checkpoint import load_model
from engine.maimod import ScoredContext, report_lines, score_beatmap, suggestions
from engine.model import Mapperatorinator
from engine.osu import Beatmap, read_beatmap
from tests.conftest import GOLDEN

torch.set_num_threads(1)
CASES = sorted(GOLDEN.glob("maimod/*_surprisals.json")) if GOLDEN.exists() else []


@pytest.fixture(scope="module")
def scored(golden_dir: Path) -> dict[str, tuple[dict, Beatmap, Mapperatorinator, list[ScoredContext]]]:
    """Each case scored once: {file name: (fixture, beatmap, model, our scores)}."""
    model = load_model(golden_dir / "tiny-v30")
    audio = load_audio(golden_dir / "audio" / "clip_16k_mono.wav")
    out = {}
    for path in CASES:
        case = json.loads(path.read_text())
        beatmap = read_beatmap(golden_dir / "tokens" / "maps" / f"{path.name.removesuffix('_surprisals.json')}.osu")
        difficulty = case["generation_config"]["difficulty"]  # rosu-pp 3.1.0's star rating, an input here
        out[path.name] = (case, beatmap, model, score_beatmap(model, beatmap, audio, difficulty, batch_size=4))
    return out


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_surprisal_rows_match(path: Path, scored: dict) -> None:
    case, _, _, ours = scored[path.name]
    assert [c.type.value for c in ours] == [c["context_type"] for c in case["contexts"]]
    for ctx, expected in zip(ours, case["contexts"], strict=True):
        rows = expected["rows"]
        assert len(rows) == len(ctx.events)
        for index, time, kind, value, surprisal, expected_kind, expected_value in rows:
            event, guess = ctx.events[index], ctx.expected[index]
            assert (ctx.times[index], event.type.value, event.value) == (time, kind, value)
            assert (guess.type.value, guess.value) == (expected_kind, expected_value), index
            assert ctx.surprisal[index] == pytest.approx(surprisal, rel=1e-3, abs=1e-9), index
        assert any(ctx.surprisal)  # something was scored


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_report_matches_the_printed_output(path: Path, scored: dict, golden_dir: Path) -> None:
    case, beatmap, model, ours = scored[path.name]
    printed = (golden_dir / "maimod" / case["stdout_file"]).read_text(encoding="utf-8").splitlines()
    ours_lines = report_lines(suggestions(ours, beatmap, model.checkpoint.tokenizer))
    start = printed.index(ours_lines[0])
    assert ours_lines == printed[start:]
