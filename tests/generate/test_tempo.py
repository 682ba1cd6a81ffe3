"""The audio-only tempo estimate used when the model gives no beats."""

from __future__ import annotations

import numpy as np
import pytest

from engine.audio import SAMPLE_RATE
from engine.osu import read_beatmap
from engine.tempo import estimate_tempo
from tests.generate.conftest import DEMO_AUDIO


def test_the_fixture_metronome_is_150_bpm_from_half_a_second(clip) -> None:
    beat, offset = estimate_tempo(clip)  # clicks every 0.4 s from 0.5 s (fixtures README §4)
    assert beat == pytest.approx(400, abs=0.5)
    assert (offset - 500) % 400 == pytest.approx(0, abs=8) or (offset - 500) % 400 > 392


def test_the_demo_song_matches_its_own_timing(demo_audio) -> None:
    red = next(p for p in read_beatmap(DEMO_AUDIO.parent / "maid - Demo Song (maid) [Normal].osu").timing_points)
    beat, offset = estimate_tempo(demo_audio)
    assert beat == pytest.approx(red.beat_length, abs=0.5)
    assert min((offset - red.time) % beat, -(offset - red.time) % beat) <= 8


def test_silence_and_tiny_clips_have_no_tempo() -> None:
    assert estimate_tempo(np.zeros(SAMPLE_RATE * 5, dtype=np.float32)) is None
    assert estimate_tempo(np.random.default_rng(0).standard_normal(SAMPLE_RATE // 2).astype(np.float32)) is None
