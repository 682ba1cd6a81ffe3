"""MaiMod on the demo mapset (a real song with four modes) with the tiny checkpoints.

The song is 36.6 s long: several overlapping windows for both versions, so batching, window ownership
and the v32 SV context are exercised; the findings honour their threshold and per-category count.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
import torch

from engine.audio import load_audio, plan_windows
from engine.cancel import Cancelled
from engine.checkpoint import load_model
from engine.events import ContextType, EventType
from engine.findings import Severity
from engine.maimod import CATEGORIES, MaiModOptions, findings, mai_mod, score_beatmap, suggestions
from engine.model import Mapperatorinator
from engine.osu import read_beatmap

torch.set_num_threads(1)
DEMO = Path(__file__).resolve().parents[2] / "engine" / "demo" / "mapset"


@pytest.fixture(scope="module")
def song() -> np.ndarray:
    return load_audio(DEMO / "audio.ogg")


@pytest.fixture(scope="module")
def v32(golden_dir: Path) -> Mapperatorinator:
    return load_model(golden_dir / "tiny-v32")


@pytest.fixture(scope="module")
def v30(golden_dir: Path) -> Mapperatorinator:
    return load_model(golden_dir / "tiny-v30")


@pytest.mark.parametrize("difficulty", ["Futsuu", "4K Normal", "Salad"])
def test_batched_windows_score_like_one_window_at_a_time(difficulty: str, v32: Mapperatorinator,
                                                         song: np.ndarray) -> None:
    beatmap = read_beatmap(DEMO / f"maid - Demo Song (maid) [{difficulty}].osu")
    assert plan_windows(len(song), 2048).count > 5
    one = score_beatmap(v32, beatmap, song, batch_size=1)
    many = score_beatmap(v32, beatmap, song, batch_size=6)
    assert [c.type for c in many] == [ContextType.TIMING, ContextType.MAP, ContextType.SV]
    for a, b in zip(one, many, strict=True):
        assert a.events == b.events and a.expected == b.expected
        np.testing.assert_allclose(a.surprisal, b.surprisal, rtol=1e-4, atol=1e-6)
    # Every event inside the song is scored by exactly one window (none keeps the unscored 0).
    for ctx in many:
        inside = [s for s, t in zip(ctx.surprisal, ctx.times) if 0 <= t < len(song) / 16]
        assert inside and all(s > 0 for s in inside)
    assert any(e.type == EventType.SCROLL_SPEED_CHANGE for e in many[2].events)  # the SV context is scored too


def test_findings_follow_threshold_and_count(v30: Mapperatorinator, song: np.ndarray) -> None:
    beatmap = read_beatmap(DEMO / "maid - Demo Song (maid) [Normal].osu")
    scored = score_beatmap(v30, beatmap, song, difficulty=3.0, batch_size=4)
    tok = v30.checkpoint.tokenizer
    found = suggestions(scored, beatmap, tok, threshold=5.0)
    assert found and all(s.score >= 5.0 for s in found)
    assert [s.time for s in found] == sorted(s.time for s in found)
    assert {s.category for s in found} <= set(CATEGORIES)
    assert len(suggestions(scored, beatmap, tok, threshold=50.0)) < len(found)

    top = findings(found, str(beatmap.path), "Normal", per_category=2)
    for category in {s.category for s in found}:
        in_category = [f for f in top if f.category == category]
        best = sorted((s.score / 10 for s in found if s.category == category), reverse=True)[:2]
        assert [f.score for f in in_category] == pytest.approx(best, abs=0.051)
    assert [f.score for f in top] == sorted((f.score for f in top), reverse=True)
    for f in top:
        assert f.source == "maimod" and f.suggestion and f.link.startswith("osu://edit/")
        assert f.severity == (Severity.PROBLEM if f.score >= 100 else Severity.WARNING if f.score >= 10
                              else Severity.MINOR)
        if f.objects:  # hit-object findings select their object in the editor
            obj = beatmap.hit_objects[f.objects[0]]
            assert f.start_ms == int(obj.time) and f.selection and "%20(" in f.link
    assert len(findings(found, per_category=None)) == len(found)


def test_one_call_entry_reports_findings(v30: Mapperatorinator, song: np.ndarray) -> None:
    beatmap = read_beatmap(DEMO / "maid - Demo Song (maid) [Normal].osu")
    progress: list[tuple[int, int]] = []
    result = mai_mod(v30, beatmap, song, MaiModOptions(threshold=5.0, per_category=3, difficulty=3.0),
                     progress=lambda done, total: progress.append((done, total)))
    assert result and progress and progress[-1][0] == progress[-1][1]
    assert all(f.file == str(beatmap.path) and f.difficulty == "Normal" for f in result)
    cancelled = threading.Event()
    cancelled.set()
    with pytest.raises(Cancelled):
        mai_mod(v30, beatmap, song, cancel=cancelled)
