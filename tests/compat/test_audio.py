"""engine.audio against the reference front end: golden waveforms, window layout and mel frames."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from engine.audio import (
    MelConfig,
    decode_pcm,
    downmix,
    hann_window,
    load_audio,
    log_mel_spectrogram,
    mel_filterbank,
    plan_windows,
    ratecv,
    song_length_ms,
    split_windows,
)

torch.set_num_threads(1)

MODELS = {"v30": (4096, 80), "v32": (2048, 128)}  # src_seq_len, n_mels
CLIPS = ["clip_16k_mono.wav", "clip_22k05_stereo.wav", "clip.mp3", "clip.ogg"]


@pytest.fixture(scope="module")
def frontend(golden_dir: Path) -> dict:
    return json.loads((golden_dir / "audio" / "frontend.json").read_text())


@pytest.mark.parametrize(
    ("clip", "golden"),
    [
        ("clip_16k_mono.wav", "waveform_clip_16k_mono_wav.npy"),
        ("clip_22k05_stereo.wav", "waveform_clip_22k05_stereo_wav.npy"),
    ],
)
def test_wav_waveforms_are_bit_exact(golden_dir: Path, clip: str, golden: str) -> None:
    loaded = load_audio(golden_dir / "audio" / clip)
    expected = np.load(golden_dir / "audio" / golden)
    assert loaded.dtype == np.float32
    assert loaded.shape == expected.shape
    np.testing.assert_array_equal(loaded, expected)


@pytest.mark.parametrize("clip", ["clip.mp3", "clip.ogg"])
def test_compressed_waveforms_match_reference_stats(golden_dir: Path, frontend: dict, clip: str) -> None:
    stats = frontend["files"][clip]["loaded_waveform"]
    loaded = load_audio(golden_dir / "audio" / clip)
    assert list(loaded.shape) == stats["shape"]  # MP3 encoder delay trimmed: length exact
    assert float(loaded.max()) == stats["max"] == 1.0
    assert abs(float(loaded.std(dtype=np.float64)) - stats["std"]) <= 0.01 * stats["std"]
    assert abs(float(np.abs(loaded.astype(np.float64)).sum()) - stats["abs_sum"]) <= 0.01 * stats["abs_sum"]


@pytest.mark.parametrize("clip", CLIPS)
@pytest.mark.parametrize("version", sorted(MODELS))
def test_window_layout_matches_reference(golden_dir: Path, frontend: dict, clip: str, version: str) -> None:
    expected = frontend["files"][clip]["windows"][version]
    audio = load_audio(golden_dir / "audio" / clip)
    plan = plan_windows(len(audio), MODELS[version][0])
    assert song_length_ms(audio) == expected["song_length_ms"]
    assert plan.samples_per_window == expected["samples_per_window"]
    assert plan.stride == expected["stride_samples"]
    assert plan.count == expected["n_windows"]
    assert list(plan.frame_times_ms) == expected["frame_times_ms"]

    windows = split_windows(audio, plan)
    assert list(windows.shape) == expected["window0_samples"]["shape"]
    np.testing.assert_array_equal(windows[0, : len(audio)], audio)  # padding comes after normalisation
    assert not windows[0, len(audio) :].any()
    assert float(windows[0].std(dtype=np.float64)) == pytest.approx(expected["window0_samples"]["std"], rel=1e-2)


def _token_fixtures(golden_dir: Path) -> list[Path]:
    return sorted((golden_dir / "tokens").glob("v3*/*.json"))


def test_frame_times_of_long_songs_match_token_fixtures(golden_dir: Path) -> None:
    """Window counts and truncated float32 start times for real song lengths (up to ~4 minutes)."""
    fixtures = _token_fixtures(golden_dir)
    assert len(fixtures) >= 40
    multi_window = 0
    for path in fixtures:
        data = json.loads(path.read_text())
        n_samples = round(data["song_length_ms"] * 16)
        plan = plan_windows(n_samples, MODELS[path.parent.name][0])
        assert list(plan.frame_times_ms) == data["frame_times_ms"], path.name
        multi_window += plan.count > 1
    assert multi_window >= 20


def test_stride_quirk_and_parallel_mode() -> None:
    assert plan_windows(10, 4096).stride == 52415  # int(524160 * 0.09999999999999998)
    assert plan_windows(10, 2048).stride == 26201
    assert plan_windows(10, 1024).stride == 13094
    assert plan_windows(10, 2048).frame_times_ms == (0,)
    parallel = plan_windows(262016 * 3 + 5, 2048, parallel=True)
    assert parallel.stride == 262016
    assert parallel.frame_times_ms == (0, 16376, 32752, 49128)
    v32 = plan_windows(262016 + 26201 * 3 + 1, 2048)
    assert v32.frame_times_ms == (0, 1637, 3275, 4912, 6550)
    # The reference pads by stride - (n - S) % stride: a whole extra stride when the remainder is 0.
    assert plan_windows(262016 + 26201 * 3, 2048).count == 5
    assert plan_windows(262016, 2048).count == 2
    assert plan_windows(262015, 2048).count == 1  # shorter than a window: padded to one window


@pytest.mark.parametrize("version", sorted(MODELS))
def test_split_windows_of_a_long_song(version: str) -> None:
    audio = np.linspace(-1, 1, 16000 * 95, dtype=np.float32)  # 95 s, not a whole number of strides
    plan = plan_windows(len(audio), MODELS[version][0])
    windows = split_windows(audio, plan)
    assert windows.shape == (plan.count, plan.samples_per_window)
    assert plan.count == (plan.padded_length - plan.samples_per_window) // plan.stride + 1
    assert (plan.padded_length - plan.samples_per_window) % plan.stride == 0
    for index in (0, 1, plan.count // 2, plan.count - 1):
        start = index * plan.stride
        inside = audio[start : start + plan.samples_per_window]
        np.testing.assert_array_equal(windows[index, : len(inside)], inside)
    assert windows[-1, -1] == 0 and plan.padded_length - len(audio) <= plan.stride
    assert len(plan.frame_times_ms) == plan.count


@pytest.mark.parametrize("version", sorted(MODELS))
def test_computed_window_and_filterbank_equal_the_checkpoint(golden_dir: Path, version: str) -> None:
    state = load_file(golden_dir / f"tiny-{version}" / "model.safetensors")
    config = json.loads((golden_dir / f"tiny-{version}" / "config.json").read_text())
    mel = MelConfig(
        sample_rate=config["sample_rate"],
        n_fft=config["n_fft"],
        hop_length=config["hop_length"],
        n_mels=config["n_mels"],
        f_min=config["f_min"],
        f_max=config["f_max"],
    )
    assert torch.equal(hann_window(mel.n_fft), state["spectrogram.transform.spectrogram.window"])
    assert torch.equal(mel_filterbank(mel), state["spectrogram.transform.mel_scale.fb"])


@pytest.mark.parametrize("source", ["computed", "checkpoint"])
@pytest.mark.parametrize("version", sorted(MODELS))
def test_mel_window0_within_tolerance(golden_dir: Path, version: str, source: str) -> None:
    seq_len, n_mels = MODELS[version]
    audio = load_audio(golden_dir / "audio" / "clip_16k_mono.wav")
    windows = split_windows(audio, plan_windows(len(audio), seq_len))
    window = filterbank = None
    if source == "checkpoint":
        state = load_file(golden_dir / f"tiny-{version}" / "model.safetensors")
        window = state["spectrogram.transform.spectrogram.window"]
        filterbank = state["spectrogram.transform.mel_scale.fb"]

    mel = log_mel_spectrogram(torch.from_numpy(windows[:1].copy()), MelConfig(n_mels=n_mels), window, filterbank)

    expected = np.load(golden_dir / "audio" / f"mel_window0_{version}.npy")
    assert mel.dtype == torch.float32
    assert tuple(mel.shape) == expected.shape == (1, seq_len, n_mels)
    difference = np.abs(mel.numpy() - expected)
    assert (difference <= 1e-4 + 1e-4 * np.abs(expected)).all(), float(difference.max())
    np.testing.assert_array_equal(mel.numpy() == 0, expected == 0)  # digital silence stays exactly 0


@pytest.mark.parametrize("channels", [3, 6])
def test_downmix_of_more_channels_sums_floored_shares(channels: int) -> None:
    """pydub's set_channels(1) beyond stereo: converted[i] += sample // channels, channel by channel."""
    frames = np.random.default_rng(channels).integers(-32768, 32767, size=(500, channels), endpoint=True)
    expected = [sum(int(value) // channels for value in frame) for frame in frames]
    assert downmix(frames).tolist() == expected


def test_mel_is_batched_and_independent_per_row() -> None:
    t = torch.arange(2 * 8192, dtype=torch.float32).reshape(2, 8192)
    audio = torch.sin(t * 0.05) * (1 + t / 16384)
    config = MelConfig(n_mels=80)
    both = log_mel_spectrogram(audio, config)
    assert both.shape == (2, 8192 // 128 + 1, 80)
    torch.testing.assert_close(both[1:], log_mel_spectrogram(audio[1:], config), rtol=1e-6, atol=1e-6)


try:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import audioop
except ImportError:  # removed in Python 3.13
    audioop = None
needs_audioop = pytest.mark.skipif(audioop is None, reason="audioop was removed in Python 3.13; parity needs it")


@needs_audioop
@pytest.mark.parametrize("width", [1, 2, 4])
@pytest.mark.parametrize("channels", [1, 2])
@pytest.mark.parametrize("in_rate", [44100, 48000, 22050, 32000, 11025, 16000, 8000, 44056, 96000])
def test_ratecv_equals_audioop(width: int, channels: int, in_rate: int) -> None:
    rng = np.random.default_rng(in_rate * 10 + width * 3 + channels)
    dtype = {1: np.int8, 2: np.int16, 4: np.int32}[width]
    info = np.iinfo(dtype)
    frames = rng.integers(info.min, info.max, size=(4999, channels), endpoint=True).astype(dtype)
    frames[:7] = info.max  # extremes exercise the fixed-point edges
    frames[7:14] = info.min
    expected, _ = audioop.ratecv(frames.tobytes(), width, channels, in_rate, 16000, None)
    ours = ratecv(frames.astype(np.int64), width, in_rate, 16000)
    assert ours.astype(dtype).tobytes() == expected


@needs_audioop
@pytest.mark.parametrize("width", [1, 2, 4])
def test_downmix_equals_audioop_tomono(width: int) -> None:
    dtype = {1: np.int8, 2: np.int16, 4: np.int32}[width]
    info = np.iinfo(dtype)
    frames = np.random.default_rng(width).integers(info.min, info.max, size=(3001, 2), endpoint=True).astype(dtype)
    expected = audioop.tomono(frames.tobytes(), width, 0.5, 0.5)
    assert downmix(frames.astype(np.int64)).astype(dtype).tobytes() == expected


@needs_audioop
def test_reference_chain_with_audioop_on_stereo_wav(golden_dir: Path) -> None:
    pcm = decode_pcm(golden_dir / "audio" / "clip_22k05_stereo.wav")
    data = pcm.samples.astype(np.int16).tobytes()
    resampled, _ = audioop.ratecv(data, 2, 2, pcm.sample_rate, 16000, None)
    mono = np.frombuffer(audioop.tomono(resampled, 2, 0.5, 0.5), dtype=np.int16)
    ours = downmix(ratecv(pcm.samples, 2, pcm.sample_rate, 16000))
    np.testing.assert_array_equal(ours, mono)
