"""Every song and hitsound file in the shared corpus decodes, or fails with the one clear AudioError."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile

from engine.audio import AudioError, decode_pcm, decode_with_ffmpeg, load_audio
from tests.conftest import SHARED

AUDIO = SHARED / "corpus" / "audio"
FILES = sorted(AUDIO.iterdir()) if AUDIO.exists() else []


@pytest.fixture(scope="module")
def audio_dir() -> Path:
    if not AUDIO.exists():
        pytest.skip(f"the audio corpus is not at {AUDIO} (set MAID_SHARED_DIR)")
    return AUDIO


def test_corpus_has_all_formats(audio_dir: Path) -> None:
    assert len(FILES) == 16
    assert {path.suffix for path in FILES} == {".mp3", ".ogg", ".wav"}


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_corpus_file_decodes_or_explains(audio_dir: Path, path: Path) -> None:
    data, rate = soundfile.read(path, always_2d=True)  # an independent look at what the file holds
    if len(data) == 0:
        with pytest.raises(AudioError, match="no samples"):
            load_audio(path)
        return
    if not data.any():
        with pytest.raises(AudioError, match="silent"):
            load_audio(path)
        return

    audio = load_audio(path)
    assert audio.dtype == np.float32
    expected_length = len(data) if rate == 16000 else (len(data) - 1) * 16000 // rate + 1
    assert len(audio) == expected_length
    assert np.isfinite(audio).all()
    assert float(np.abs(audio).max()) == 1.0
    # audioop's ratecv is linear interpolation at t = j * rate / 16000: the same as np.interp on floats,
    # up to integer rounding.
    positions = np.arange(expected_length) * rate / 16000
    plain = np.interp(positions, np.arange(len(data)), data.mean(axis=1))
    assert np.corrcoef(audio, plain)[0, 1] > 0.9999


needs_ffmpeg = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg is not installed")


@needs_ffmpeg
@pytest.mark.parametrize("path", [p for p in FILES if p.suffix in (".mp3", ".ogg")], ids=lambda p: p.name)
def test_soundfile_agrees_with_ffmpeg(audio_dir: Path, path: Path) -> None:
    """libsndfile's MP3/Vorbis decode is sample-aligned with ffmpeg's (gapless trimming included)."""
    ours, theirs = decode_pcm(path), decode_with_ffmpeg(path)
    assert ours.sample_width == theirs.sample_width
    assert ours.sample_rate == theirs.sample_rate
    if not theirs.samples.any():
        return  # silent files: lengths differ by Vorbis padding, and they are refused anyway
    assert ours.samples.shape == theirs.samples.shape
    tolerance = 1 if ours.sample_width == 2 else 1 << 12  # 1 LSB of 16 bit; 2e-6 of full scale for 32 bit
    assert int(np.abs(ours.samples - theirs.samples).max()) <= tolerance


@needs_ffmpeg
def test_ffmpeg_path_reproduces_reference_waveforms_bit_exact(golden_dir: Path) -> None:
    """pydub's own chain (ffmpeg 5.1 + audioop arithmetic) gives the golden sha256 for MP3 and OGG."""
    import hashlib
    import json

    from engine.audio import downmix, peak_normalise, ratecv

    version = subprocess.run(["ffmpeg", "-version"], capture_output=True, text=True).stdout.split()[2]
    if not version.startswith("5.1"):
        pytest.skip(f"the fixtures were decoded by ffmpeg 5.1; this is {version}")
    frontend = json.loads((golden_dir / "audio" / "frontend.json").read_text())
    for clip in ("clip.mp3", "clip.ogg"):
        pcm = decode_with_ffmpeg(golden_dir / "audio" / clip)
        waveform = peak_normalise(downmix(ratecv(pcm.samples, pcm.sample_width, pcm.sample_rate, 16000)), Path(clip))
        digest = hashlib.sha256(waveform.tobytes()).hexdigest()
        assert digest == frontend["files"][clip]["loaded_waveform"]["sha256_f32"], clip
