"""Super timing: the consensus of shifted passes (synthetic beat passes, and real maps' beats as noisy
passes would report them), the phase-shared pass offsets, and the model path on a tiny model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engine.audio import SAMPLE_RATE, plan_windows
from engine.contexts import timing_context
from engine.decoding import GenerateOptions
from engine.events import PROFILES, TIMING_TYPES, EventType
from engine.generate import WindowProgress
from engine.osu import read_beatmap
from engine.supertiming import PHASES, beat_passes, consensus_beats, pass_offsets
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


@pytest.mark.parametrize("name", ["kimi_no_bouken", "sendan_life_extra", "std_feeling_alive_insane"])
def test_real_maps_beats_as_noisy_passes_give_back_their_red_lines(name: str, golden_dir: Path) -> None:
    """A real map's timing-context beats as 20 passes would report them (each jittered by up to 3 ms, one in
    ten missing): every red line of the map comes back within 3 ms, with its BPM, and no other."""
    beatmap = read_beatmap(golden_dir / "tokens" / "maps" / f"{name}.osu")
    context = timing_context(beatmap, PROFILES["v32"])
    marks = [(int(t), e.type) for e, t in zip(context.events, context.times, strict=True) if e.type in TIMING_TYPES]
    rng = np.random.default_rng(0)
    passes = [[(t + int(rng.integers(-3, 4)), kind) for t, kind in marks if rng.random() > 0.1] for _ in range(20)]
    lines = timing_from_events(consensus_beats(passes, max(t for t, _ in marks) + 2000))
    found = [(line.offset, 60000 / line.beat_length) for line in lines if line.uninherited]
    reds = [p for p in beatmap.timing_points if p.uninherited]
    assert len(found) == len(reds), found  # no made-up tempo changes either
    for point in reds:
        bpm = 60000 / point.beat_length
        assert any(abs(offset - point.time) <= 3 and got == pytest.approx(bpm, abs=0.01) for offset, got in found), (
            point.time, bpm, found)


def test_pass_offsets_fall_on_shared_window_phases() -> None:
    window_ms = PROFILES["v32"].window_ms
    offsets = pass_offsets(20, window_ms, seed=0)
    step = window_ms / PHASES
    assert len(offsets) == 20 and 2 <= len(set(offsets)) <= PHASES  # passes share phases
    assert all(-window_ms / 2 < o <= window_ms / 2 for o in offsets)  # -L/2 is folded onto +L/2
    assert all(o == int(round(o / step) * step) for o in offsets)
    assert pass_offsets(20, window_ms, seed=0) == offsets and pass_offsets(20, window_ms, seed=1) != offsets


def test_each_shifted_window_is_decoded_once_however_many_passes_share_it(tiny, demo_audio) -> None:
    model = tiny["v32"]
    tok = model.checkpoint.tokenizer
    options = GenerateOptions(seed=1, max_new_tokens=16, timer_iterations=20)
    seen: list[WindowProgress] = []
    passes = beat_passes(model, tok, demo_audio, options, progress=seen.append)
    offsets = pass_offsets(20, tok.profile.window_ms, seed=1)
    per_pass = plan_windows(len(demo_audio), tok.profile.src_seq_len, parallel=True).count
    decoded = seen[-1].windows
    assert seen[-1].window == decoded  # every window reported done
    assert len(set(offsets)) * (per_pass - 1) <= decoded <= len(set(offsets)) * (per_pass + 1)
    assert decoded < 20 * (per_pass - 1)  # not 20 passes' worth
    assert len(passes) == 20
    assert all(passes[i] is passes[j] for i in range(20) for j in range(20) if offsets[i] == offsets[j])


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
