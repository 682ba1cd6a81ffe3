"""Super timing: the consensus of shifted passes (synthetic beat passes), and the model path on a tiny model."""

from __future__ import annotations

import numpy as np
import pytest

from engine.audio import SAMPLE_RATE
from engine.decoding import GenerateOptions
from engine.events import EventType
from engine.supertiming import consensus_beats
from engine.tasks import generate_timing
from engine.timing import timing_from_events

B, M, R = EventType.BEAT, EventType.MEASURE, EventType.TIMING_POINT


def noisy_passes(offset: int, beat_ms: float, song_ms: int, count: int, seed: int) -> list[list[tuple[int, EventType]]]:
    """Beat passes as a decent model would give them: jittered by a few ms, some beats missed, a
    measure every 4 beats, the first beat a timing point."""
    rng = np.random.default_rng(seed)
    passes = []
    for _ in range(count):
        beats = []
        for i, t in enumerate(np.arange(offset, song_ms, beat_ms)):
            if rng.random() < 0.1:
                continue
            kind = R if i == 0 else (M if i % 4 == 0 else B)
            beats.append((int(t + rng.integers(-3, 4)), kind))
        passes.append(beats)
    return passes


def test_consensus_recovers_bpm_offset_and_meter() -> None:
    events = consensus_beats(noisy_passes(1000, 500.0, 30000, 12, seed=0), 30000)
    lines = timing_from_events(events)
    reds = [line for line in lines if line.uninherited]
    assert reds[0].offset == pytest.approx(1000, abs=5)
    assert all(line.beat_length == pytest.approx(500, abs=1) for line in reds)  # 120 BPM throughout
    assert all(line.meter == 4 for line in reds)
    measures = [e for e in events if e.type == M]
    assert 10 < len(measures) < 16  # ~58 beats in 4/4


def test_no_beats_or_no_intervals_give_nothing_instead_of_crashing() -> None:
    assert consensus_beats([], 10000) == []
    assert consensus_beats([[(500, B)]], 10000) == []  # one beat: no interval to take a BPM from


def test_super_timing_runs_on_the_model_and_falls_back_cleanly(tiny, demo_audio) -> None:
    options = GenerateOptions(seed=1, max_new_tokens=32, super_timing=True, timer_iterations=3)
    result = generate_timing(tiny["v32"], demo_audio[: 20 * SAMPLE_RATE], options, audio_filename="song.ogg")
    reds = [p for p in result.beatmap.timing_points if p.uninherited]
    assert reds and result.beatmap.hit_objects == ()
    if any("no beats" in n for n in result.notes):  # the random model found none: the audio's tempo instead
        assert len(reds) == 1 and 60000 / reds[0].beat_length == pytest.approx(150, abs=0.05)  # the demo song
