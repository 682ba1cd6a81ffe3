"""Bad song files give one clear AudioError that names the file; odd-but-valid PCM decodes as pydub would."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile

from engine.audio import AudioError, decode_pcm, decode_with_ffmpeg, load_audio

needs_ffmpeg = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg is not installed")


def _tone(seconds: float = 0.5, rate: int = 44100) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return np.stack([0.5 * np.sin(2 * np.pi * 440 * t), 0.25 * np.sin(2 * np.pi * 660 * t)], axis=1)


def _assert_audio_error(path: Path, words: str) -> AudioError:
    with pytest.raises(AudioError) as raised:
        load_audio(path)
    message = str(raised.value)
    assert str(path) in message
    assert words in message
    assert raised.value.path == path
    return raised.value


def test_missing_file(tmp_path: Path) -> None:
    _assert_audio_error(tmp_path / "audio.mp3", "not found")


def test_directory_is_not_a_file(tmp_path: Path) -> None:
    _assert_audio_error(tmp_path, "not found")


def test_zero_byte_file(tmp_path: Path) -> None:
    path = tmp_path / "audio.mp3"
    path.write_bytes(b"")
    _assert_audio_error(path, "empty (0 bytes)")


def test_wav_without_samples(tmp_path: Path) -> None:
    path = tmp_path / "blank.wav"
    soundfile.write(path, np.zeros((0, 2)), 44100, subtype="PCM_16")
    assert path.stat().st_size > 0
    _assert_audio_error(path, "no samples")


@pytest.mark.parametrize(("name", "subtype"), [("silence.wav", "PCM_16"), ("silence.ogg", "VORBIS")])
def test_digital_silence(tmp_path: Path, name: str, subtype: str) -> None:
    path = tmp_path / name
    soundfile.write(path, np.zeros((22050, 2)), 44100, subtype=subtype)
    _assert_audio_error(path, "silent")


@pytest.mark.parametrize("name", ["noise.mp3", "notes.ogg", "song.wav", "song.flac"])
def test_undecodable_bytes(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_text("this is not audio\r\n" * 40)
    _assert_audio_error(path, "not a readable audio file")


def test_truncated_ogg_header(tmp_path: Path, golden_dir: Path) -> None:
    path = tmp_path / "cut.ogg"
    path.write_bytes((golden_dir / "audio" / "clip.ogg").read_bytes()[:3000])
    _assert_audio_error(path, "not a readable audio file")


def test_truncated_mp3_keeps_the_decodable_part(tmp_path: Path, golden_dir: Path) -> None:
    whole = load_audio(golden_dir / "audio" / "clip.mp3")
    path = tmp_path / "cut.mp3"
    path.write_bytes((golden_dir / "audio" / "clip.mp3").read_bytes()[:20000])
    part = load_audio(path)
    assert 0 < len(part) < len(whole) // 5
    assert np.corrcoef(part[:8000], whole[:8000] / np.abs(whole[: len(part)]).max())[0, 1] > 0.999


def test_24_bit_wav_keeps_pydubs_sign_byte(tmp_path: Path) -> None:
    """pydub widens 24-bit WAV to 32 bits with the sign byte in the low byte: (v << 8) | 0xFF when v < 0."""
    values = np.array([[0], [1], [-1], [8388607], [-8388608], [-2], [123456]], dtype=np.int64)
    path = tmp_path / "deep.wav"
    soundfile.write(path, (values << 8).astype(np.int32), 48000, subtype="PCM_24")
    pcm = decode_pcm(path)
    assert pcm.sample_width == 4
    expected = (values << 8) | np.where(values < 0, 0xFF, 0)
    np.testing.assert_array_equal(pcm.samples, expected)

    renamed = path.rename(tmp_path / "deep.audio")  # not named .wav: pydub asks ffmpeg, which gives plain s32
    np.testing.assert_array_equal(decode_pcm(renamed).samples, values << 8)


def test_8_bit_wav_is_signed_width_1(tmp_path: Path) -> None:
    path = tmp_path / "old.wav"
    soundfile.write(path, np.array([[-128], [-1], [0], [1], [127]], dtype=np.int16) << 8, 22050, subtype="PCM_U8")
    pcm = decode_pcm(path)
    assert pcm.sample_width == 1
    np.testing.assert_array_equal(pcm.samples[:, 0], [-128, -1, 0, 1, 127])


def test_lossless_formats_give_identical_waveforms(tmp_path: Path) -> None:
    tone = np.round(_tone() * 32767).astype(np.int16)  # integers, so both files hold the same samples
    for name in ("a.wav", "a.flac"):
        soundfile.write(tmp_path / name, tone, 44100, subtype="PCM_16")
    wav, flac = load_audio(tmp_path / "a.wav"), load_audio(tmp_path / "a.flac")
    assert len(wav) == (len(tone) - 1) * 160 // 441 + 1  # audioop's output length at 16 kHz
    np.testing.assert_array_equal(wav, flac)
    assert float(np.abs(wav).max()) == 1.0


def test_float_wav_goes_through_32_bit_integers(tmp_path: Path) -> None:
    path = tmp_path / "float.wav"
    soundfile.write(path, _tone(), 44100, subtype="FLOAT")
    pcm = decode_pcm(path)
    assert pcm.sample_width == 4
    assert int(np.abs(pcm.samples[:, 0]).max()) == pytest.approx(0.5 * 2**31, rel=1e-3)


@needs_ffmpeg
def test_m4a_decodes_through_ffmpeg(tmp_path: Path) -> None:
    import subprocess

    wav, m4a = tmp_path / "song.wav", tmp_path / "song.m4a"
    soundfile.write(wav, _tone(1.0), 44100, subtype="PCM_16")
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", str(wav), "-c:a", "aac", str(m4a)], check=True)
    with pytest.raises(soundfile.LibsndfileError):
        soundfile.info(m4a)  # really the fallback path
    decoded, reference = decode_pcm(m4a), decode_pcm(wav)
    assert (decoded.sample_width, decoded.sample_rate) == (2, 44100)  # pydub asks ffmpeg for s16 for AAC
    assert (decoded.decoder, reference.decoder) == ("ffmpeg", "soundfile")
    assert decoded.samples.shape[1] == 2
    assert abs(len(decoded.samples) - len(reference.samples)) <= 2048  # AAC priming/padding
    middle = slice(11025, 33075)
    rms = np.sqrt(np.mean(decoded.samples[middle].astype(np.float64) ** 2, axis=0))
    expected_rms = np.sqrt(np.mean(reference.samples[middle].astype(np.float64) ** 2, axis=0))
    np.testing.assert_allclose(rms, expected_rms, rtol=0.05)
    assert float(np.abs(load_audio(m4a)).max()) == 1.0


@needs_ffmpeg
@pytest.mark.parametrize(
    ("container", "subtype", "channels", "rate"),  # IMA ADPCM: the two decoders round differently (< 32 LSB)
    [("WAV", "PCM_U8", 2, 44100), ("WAV", "PCM_16", 2, 44100), ("WAV", "PCM_24", 2, 48000),
     ("WAV", "PCM_32", 2, 44100), ("WAV", "FLOAT", 2, 44100), ("FLAC", "PCM_S8", 2, 44100),
     ("FLAC", "PCM_16", 2, 44100), ("FLAC", "PCM_24", 1, 96000), ("AIFF", "PCM_16", 2, 44100),
     ("WAV", "ULAW", 2, 44100), ("WAV", "ALAW", 2, 44100), ("WAV", "MS_ADPCM", 2, 44100),
     ("WAV", "IMA_ADPCM", 1, 22050), ("WAV", "GSM610", 1, 8000)],
)
def test_soundfile_gives_the_integers_ffmpeg_gives_pydub(tmp_path: Path, container: str, subtype: str,
                                                          channels: int, rate: int) -> None:
    """For files pydub hands to ffmpeg (anything not named .wav), both decoders agree to the last bit
    (except IMA ADPCM, whose two decoders round differently)."""
    path = tmp_path / "song.audio"
    soundfile.write(path, _tone(0.3, rate)[:, :channels] * 1.2, rate, format=container, subtype=subtype)  # clips
    ours, theirs = decode_pcm(path), decode_with_ffmpeg(path)
    assert (ours.sample_width, ours.sample_rate) == (theirs.sample_width, theirs.sample_rate)
    assert ours.samples.shape == theirs.samples.shape
    tolerance = 32 if subtype == "IMA_ADPCM" else 0
    assert int(np.abs(ours.samples.astype(np.int64) - theirs.samples).max()) <= tolerance


def _mp3_without_length_header(tmp_path: Path) -> tuple[Path, Path]:
    """A VBR MP3 (loud first second, then 11 s of a quiet tone) written by libsndfile, and the same file with
    its first frame (the Xing/LAME header that holds the exact length) cut off."""
    t = np.arange(44100 * 12) / 44100
    loud = 0.5 * np.sin(2 * np.pi * 440 * t) + 0.3 * np.sin(2 * np.pi * 3000 * t * t)
    signal = np.where(t < 1, loud, 0.02 * np.sin(2 * np.pi * 220 * t))
    original = tmp_path / "tagged.mp3"
    with soundfile.SoundFile(original, "w", 44100, 1, format="MP3", subtype="MPEG_LAYER_III",
                             bitrate_mode="VARIABLE", compression_level=0.3) as file:
        for start in range(0, len(signal), 44100):
            file.write(signal[start : start + 44100])
    data = original.read_bytes()
    assert data[:2] == b"\xff\xfb" and b"Xing" in data[:64]  # MPEG-1 layer III, no ID3v2 tag, Xing header
    bitrate = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320][data[2] >> 4] * 1000
    header_frame = 144 * bitrate // 44100 + (data[2] >> 1 & 1)
    stripped = tmp_path / "headerless.mp3"
    stripped.write_bytes(data[header_frame:])
    return original, stripped


def test_mp3_without_length_header_is_decoded_to_its_end(tmp_path: Path) -> None:
    original, stripped = _mp3_without_length_header(tmp_path)
    tagged = decode_pcm(original)
    assert len(tagged.samples) == 44100 * 12  # the LAME header's gapless trimming
    assert soundfile.info(stripped).frames < 44100 * 6  # libsndfile's estimate: under half the song
    headerless = decode_pcm(stripped)
    # No header, no gapless trimming: the encoder delay and padding stay in (less than two frames).
    assert 0 <= len(headerless.samples) - len(tagged.samples) < 2 * 1152
    quiet = slice(44100 * 3, 44100 * 11)
    extra = len(headerless.samples) - len(tagged.samples)
    delays = [offset for offset in range(extra + 1)
              if np.abs(headerless.samples[offset:][quiet].astype(np.int64) - tagged.samples[quiet]).max() <= 2]
    assert delays and 529 <= delays[0] <= 1152 + 529  # the same tone, shifted by the encoder/decoder delay


@needs_ffmpeg
def test_headerless_vbr_mp3_matches_ffmpeg(tmp_path: Path) -> None:
    """Same length as ffmpeg, samples within 1 LSB: no read boundary inside a frame corrupts the decode."""
    for path in _mp3_without_length_header(tmp_path):
        ours, theirs = decode_pcm(path), decode_with_ffmpeg(path)
        assert ours.samples.shape == theirs.samples.shape
        assert int(np.abs(ours.samples.astype(np.int64) - theirs.samples).max()) <= 1
