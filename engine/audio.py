"""Song audio as the Mapperatorinator checkpoints hear it: decoding, windows and the log-mel spectrogram.

The reference decodes with pydub (ffmpeg + CPython ``audioop``); the model was run on exactly those samples,
so this module reproduces that chain's integer arithmetic rather than using a better resampler:

1. decode to the integers pydub would hold (16-bit for MP3, 32-bit for Ogg and float sources, WAV as stored);
2. ``audioop.ratecv`` linear interpolation to 16 kHz on the interleaved channels (no anti-alias filter);
3. ``audioop.tomono`` / pydub's channel average (floor of L/2 + R/2);
4. int to float32 and whole-file peak normalisation (float32 ``samples / peak``, bit-exact with the fixtures).

Decoding uses soundfile (libsndfile decodes WAV, FLAC, Ogg Vorbis/Opus and MP3 with gapless trimming; see
`_decode_mp3` for the two MP3 traps it avoids); ffmpeg is only a fallback for containers libsndfile cannot
read (m4a, aac, webm). Both give pydub's integers: equal for PCM, within 1 LSB for MP3 (mpg123 vs ffmpeg).

The mel spectrogram equals torchaudio's ``MelSpectrogram`` (HTK, norm None, reflect padding, power 2)
followed by ``log1p``, in plain torch. This module never writes files and holds no state.
"""

from __future__ import annotations

import io
import json
import math
import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile
import torch

SAMPLE_RATE = 16000
HOP_LENGTH = 128
MILLISECONDS_PER_SECOND = 1000

_PYDUB_16_BIT_CODECS = ("mp3", "mp4", "aac", "webm", "ogg")  # pydub forces s16 for these when fltp
# Compressed WAV codecs pydub hands to ffmpeg, whose decoders give 16-bit samples.
_SIXTEEN_BIT_SUBTYPES = ("ULAW", "ALAW", "IMA_ADPCM", "MS_ADPCM", "GSM610", "G721_32", "G723_24", "G723_40")
_READ_BLOCK = 1 << 18  # frames per soundfile read


class AudioError(Exception):
    """A song file that cannot be turned into model input; the message names the file and what to do."""

    def __init__(self, path: Path | str, problem: str, advice: str) -> None:
        self.path = Path(path)
        super().__init__(f"{self.path}: {problem}. {advice}")


@dataclass(frozen=True)
class PcmAudio:
    """Integer samples exactly as pydub would hold them after decoding.

    ``samples`` is (frames, channels) int32; ``sample_width`` is pydub's width in bytes (1, 2 or 4), which
    decides the fixed-point scaling inside ``audioop.ratecv``; ``decoder`` says which library decoded it.
    """

    samples: np.ndarray
    sample_width: int
    sample_rate: int
    decoder: str = "soundfile"


@dataclass(frozen=True)
class MelConfig:
    """The spectrogram settings stored in a checkpoint's config.json."""

    sample_rate: int = SAMPLE_RATE
    n_fft: int = 1024
    hop_length: int = HOP_LENGTH
    n_mels: int = 80
    f_min: float = 20.0
    f_max: float = 8000.0


@dataclass(frozen=True)
class WindowPlan:
    """How a song is cut into model windows (reference ``Preprocessor.segment``).

    ``frame_times_ms`` are the integer window start times that relative time-shift tokens count from.
    """

    samples_per_window: int
    stride: int
    padded_length: int
    frame_times_ms: tuple[int, ...]

    @property
    def count(self) -> int:
        return len(self.frame_times_ms)


# ---------------------------------------------------------------------------------------------------------
# Decoding


def load_audio(path: Path | str, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Decode a song to mono float32 at ``sample_rate``, peak-normalised to [-1, 1], as the reference does."""
    path = Path(path)
    return prepare_samples(decode_pcm(path), path, sample_rate)


def prepare_samples(pcm: PcmAudio, path: Path, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Decoded integers to the model's input: resample, downmix, peak-normalise (``path`` names errors)."""
    resampled = ratecv(pcm.samples, pcm.sample_width, pcm.sample_rate, sample_rate)
    return peak_normalise(downmix(resampled), path)


def decode_pcm(path: Path) -> PcmAudio:
    """Decode ``path`` to the integer samples pydub would produce from it (see module docstring)."""
    if not path.is_file():
        raise AudioError(path, "audio file not found", "Check the beatmap's AudioFilename and that the file exists")
    if path.stat().st_size == 0:
        raise AudioError(path, "audio file is empty (0 bytes)", "Replace it with the song's audio file")
    try:
        pcm = _decode_soundfile(path)
    except (soundfile.LibsndfileError, RuntimeError) as error:
        if shutil.which("ffmpeg") is None:
            raise AudioError(
                path,
                f"not a readable audio file ({error})",
                "Use an MP3, OGG, FLAC or WAV file, or install ffmpeg to read other formats",
            ) from None
        pcm = decode_with_ffmpeg(path)
    if len(pcm.samples) == 0:
        raise AudioError(path, "audio file holds no samples", "Replace it with the song's audio file")
    return pcm


def _decode_soundfile(path: Path) -> PcmAudio:
    with soundfile.SoundFile(path) as file:
        container, subtype, rate = file.format, file.subtype, file.samplerate
        if subtype in ("PCM_S8", "PCM_U8", "PCM_16", "PCM_24", "PCM_32"):
            raw = _read_all(file, "int32", lambda block: block)  # libsndfile left-aligns every width in int32
            return _pcm_from_int32(raw, subtype, container, path.suffix.lower() == ".wav", rate)
        if subtype in _SIXTEEN_BIT_SUBTYPES:
            return PcmAudio(_read_all(file, "float64", lambda block: _float_to_int(block, 16)), 2, rate)
        if not subtype.startswith("MPEG_LAYER_"):
            return PcmAudio(_read_all(file, "float64", lambda block: _float_to_int(block, 32)), 4, rate)
    return _decode_mp3(path)


def _decode_mp3(path: Path) -> PcmAudio:
    """MPEG audio (MP3, MP2) to the s16 samples ffmpeg gives pydub, gapless trimming included.

    libsndfile 1.2 has two traps here. A read that ends inside an MP3 frame can corrupt the samples after it,
    so the whole song is read in one call. And without a Xing/LAME/VBRI header its frame count is only an
    estimate from the first frame's bitrate, and reads stop there (a VBR song can lose most of its length);
    such files are opened through `_LongerFile`, which makes the estimate an upper bound, and decoded once
    to count their frames.
    """
    if _has_length_header(path):
        with soundfile.SoundFile(path) as file:
            floats = file.read(dtype="float32", always_2d=True)
            rate = file.samplerate
    else:
        count = 0
        with _LongerFile(path) as raw, soundfile.SoundFile(raw) as file:
            while block_frames := len(file.read(_READ_BLOCK, dtype="float32")):
                count += block_frames
        with _LongerFile(path) as raw, soundfile.SoundFile(raw) as file:
            floats = file.read(count, dtype="float32", always_2d=True)
            rate = file.samplerate
    samples = np.empty(floats.shape, dtype=np.int32)
    for start in range(0, len(floats), _READ_BLOCK):
        samples[start : start + _READ_BLOCK] = _float_to_int(floats[start : start + _READ_BLOCK], 16)
    return PcmAudio(samples, 2, rate)


def _has_length_header(path: Path) -> bool:
    """Whether the first MPEG frame (after any ID3v2 tag) is a Xing/Info/VBRI header with the frame count."""
    with open(path, "rb") as file:
        head = file.read(10)
        start = 0
        if len(head) == 10 and head[:3] == b"ID3":
            size = (head[6] & 0x7F) << 21 | (head[7] & 0x7F) << 14 | (head[8] & 0x7F) << 7 | (head[9] & 0x7F)
            start = 10 + size + (10 if head[5] & 0x10 else 0)  # + footer
        file.seek(start)
        frame = file.read(200)
    return any(tag in frame for tag in (b"Xing", b"Info", b"VBRI"))


class _LongerFile(io.RawIOBase):
    """A read-only view of a file that claims to be 1024 times longer than it is.

    libsndfile (through mpg123) estimates an MP3's length from the file size when the file has no Xing/LAME
    header, and never reads past its estimate; claiming a larger size turns the estimate into an upper bound.
    Reading runs to the real end and then stops (as at a file's end); only the claimed last 128 bytes, where
    libsndfile looks for an ID3v1 tag, read as the real last 128 bytes.
    """

    _CLAIMED_FACTOR = 1024
    _TAIL = 128

    def __init__(self, path: Path) -> None:
        super().__init__()
        self._file = open(path, "rb")  # noqa: SIM115 - closed in close()
        self._size = os.fstat(self._file.fileno()).st_size
        self._claimed = self._size * self._CLAIMED_FACTOR
        self._position = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._claimed}[whence]
        self._position = max(0, base + offset)
        return self._position

    def tell(self) -> int:
        return self._position

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        tail = min(self._TAIL, self._size)
        if self._position < self._size:
            real, end = self._position, self._size
        elif self._claimed - tail <= self._position < self._claimed:
            real, end = self._size - (self._claimed - self._position), self._size
        else:
            return 0
        self._file.seek(real)
        count = self._file.readinto(memoryview(buffer)[: end - real]) or 0
        self._position += count
        return count

    def close(self) -> None:
        self._file.close()
        super().close()


def _read_all(file: soundfile.SoundFile, dtype: str, to_int32: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """Every frame to the end of the file, converted block by block."""
    blocks = []
    while True:
        block = file.read(_READ_BLOCK, dtype=dtype, always_2d=True)
        if len(block) == 0:
            break
        blocks.append(to_int32(block))
    if not blocks:
        return np.zeros((0, file.channels), dtype=np.int32)
    return np.concatenate(blocks)


def _pcm_from_int32(raw: np.ndarray, subtype: str, container: str, wav_name: bool, rate: int) -> PcmAudio:
    """Integer samples for PCM input; ``raw`` is libsndfile's int32 (value << (32 - bits)).

    pydub reads a file named .wav itself and hands everything else to ffmpeg, which gives it 8-bit PCM as
    unsigned 8 bit (16 bit for FLAC), 16 bit as s16 and 24/32 bit as s32.
    """
    if subtype in ("PCM_S8", "PCM_U8"):
        return PcmAudio(raw >> 16, 2, rate) if container == "FLAC" else PcmAudio(raw >> 24, 1, rate)
    if subtype == "PCM_16":
        return PcmAudio(raw >> 16, 2, rate)
    if subtype == "PCM_24" and wav_name and container in ("WAV", "WAVEX"):
        # pydub widens 24-bit WAV to 32 bits by putting a sign byte *below* the sample: (v << 8) | 0xFF if v < 0.
        return PcmAudio(np.where(raw < 0, raw | 0xFF, raw), 4, rate)
    return PcmAudio(raw, 4, rate)


def _float_to_int(floats: np.ndarray, bits: int) -> np.ndarray:
    """ffmpeg's float -> s16/s32 conversion: lrint(x * 2^(bits-1)) (half to even), clipped to the range."""
    limit = 1 << (bits - 1)
    return np.clip(np.rint(floats * float(limit)), -limit, limit - 1).astype(np.int32)


def decode_with_ffmpeg(path: Path) -> PcmAudio:
    """Decode with ffmpeg to the integer width pydub asks for (the fallback for files libsndfile cannot read).

    pydub requests 16-bit PCM for planar-float mp3/mp4/aac/webm/ogg streams and otherwise the stream's own
    bit depth (32 for float formats such as Vorbis or Opus, 8 as unsigned). With ffmpeg 5.1 this reproduces
    the reference's waveforms bit for bit.
    """
    if shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None:
        raise AudioError(path, "this format needs ffmpeg", "Install ffmpeg, or convert the file to MP3 or OGG")
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "a:0", "-of", "json", "-show_entries",
         "stream=codec_name,sample_fmt,sample_rate,channels", str(path)],
        capture_output=True, text=True, check=False,
    )
    streams = json.loads(probe.stdout or "{}").get("streams", []) if probe.returncode == 0 else []
    if not streams:
        raise AudioError(
            path, "not a readable audio file (neither libsndfile nor ffmpeg found audio in it)",
            "Check that it is the song's audio and re-export it as MP3 or OGG if it is damaged",
        )
    stream = streams[0]
    sample_format = stream.get("sample_fmt", "")
    if sample_format == "fltp" and stream.get("codec_name") in _PYDUB_16_BIT_CODECS:
        bits = 16
    else:
        bits = {"u8": 8, "u8p": 8, "s16": 16, "s16p": 16}.get(sample_format, 32)
    raw_format, dtype, width = {8: ("u8", np.uint8, 1), 16: ("s16le", np.int16, 2), 32: ("s32le", np.int32, 4)}[bits]
    decoded = subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-i", str(path), "-vn", "-f", raw_format,
         "-acodec", f"pcm_{raw_format}", "-"],
        capture_output=True, check=False,
    )
    if decoded.returncode != 0:
        detail = decoded.stderr.decode(errors="replace").strip().splitlines()
        raise AudioError(
            path, f"not a readable audio file (ffmpeg: {detail[-1] if detail else 'failed'})",
            "Check that it is the song's audio and re-export it as MP3 or OGG if it is damaged",
        )
    channels = int(stream["channels"])
    samples = np.frombuffer(decoded.stdout, dtype=dtype)
    samples = samples[: len(samples) - len(samples) % channels].reshape(-1, channels).astype(np.int32)
    if bits == 8:
        samples -= 128  # pydub reads unsigned 8-bit WAV and biases it to signed
    return PcmAudio(samples, width, int(stream["sample_rate"]), decoder="ffmpeg")


# ---------------------------------------------------------------------------------------------------------
# audioop arithmetic


def ratecv(samples: np.ndarray, width: int, in_rate: int, out_rate: int) -> np.ndarray:
    """``audioop.ratecv(data, width, channels, in_rate, out_rate, None)`` on (frames, channels) integers.

    Linear interpolation on 32-bit fixed point: output j uses input k = ceil(j*I/O) and k-1 (sample -1 is 0),
    weighted by d = k*O - j*I, with the division in double precision truncated toward zero, then shifted
    back to ``width`` bytes with an arithmetic shift. I/O are the rates divided by their gcd. k and d repeat
    every O outputs (k grows by I), so each of the O phases is one strided slice of the input.
    Returns int64 (frames, channels).
    """
    if in_rate == out_rate or len(samples) == 0:
        return samples.astype(np.int64)
    divisor = math.gcd(in_rate, out_rate)
    step_in, step_out = in_rate // divisor, out_rate // divisor
    scale = float(1 << (32 - 8 * width))
    count = (len(samples) - 1) * step_out // step_in + 1
    result = np.empty((count, samples.shape[1]), dtype=np.int64)
    for channel in range(samples.shape[1]):
        scaled = np.zeros(len(samples) + 1)  # scaled[i + 1] is input sample i; scaled[0] the zero before it
        np.multiply(samples[:, channel], scale, out=scaled[1:])
        mixed = np.empty(count)
        for phase in range(min(step_out, count)):
            k = -(-(phase * step_in) // step_out)  # ceil(j*I/O) for j = phase
            weight = k * step_out - phase * step_in
            stop = k + ((count - 1 - phase) // step_out) * step_in + 1
            previous, current = scaled[k:stop:step_in], scaled[k + 1 : stop + 1 : step_in]
            mixed[phase::step_out] = previous * weight + current * (step_out - weight)
        mixed /= step_out
        np.trunc(mixed, out=mixed)
        mixed /= scale  # exact: a power of two
        result[:, channel] = np.floor(mixed)
    return result


def downmix(samples: np.ndarray) -> np.ndarray:
    """pydub ``set_channels(1)``: floor(L/2 + R/2) for stereo, sum of per-channel floor(x / n) otherwise."""
    samples = samples.astype(np.int64, copy=False)
    channels = samples.shape[1]
    if channels == 1:
        return samples[:, 0]
    if channels == 2:
        return (samples[:, 0] + samples[:, 1]) >> 1
    return (samples // channels).sum(axis=1)


def peak_normalise(samples: np.ndarray, path: Path) -> np.ndarray:
    """Integer samples to float32 divided by their peak |sample| (float32 division, as the golden waveforms)."""
    floats = samples.astype(np.float32)
    peak = np.max(np.abs(floats))
    if peak == 0:
        raise AudioError(path, "audio is completely silent", "Use the song's real audio file; silence cannot be mapped")
    return floats / peak


def song_length_ms(samples: np.ndarray, sample_rate: int = SAMPLE_RATE) -> float:
    """Length of decoded audio in milliseconds, before any window padding."""
    return len(samples) / sample_rate * MILLISECONDS_PER_SECOND


# ---------------------------------------------------------------------------------------------------------
# Windows


def plan_windows(
    n_samples: int,
    src_seq_len: int,
    *,
    hop_length: int = HOP_LENGTH,
    sample_rate: int = SAMPLE_RATE,
    lookback: float = 0.5,
    lookahead: float = 0.4,
    parallel: bool = False,
) -> WindowPlan:
    """Window layout for ``n_samples`` of audio, with the reference's rounding quirks.

    Window length is (src_seq_len - 1) * hop samples; the stride is int(length * (1 - lookback - lookahead))
    in float64 (0.09999999999999998 for the defaults, so v30's stride is 52415, not 52416), or the window
    length in parallel mode. Audio shorter than a window is padded to one window; otherwise it is padded by
    stride - (n - length) % stride (a whole extra stride when that remainder is 0, as the reference does).
    Start times are i * stride_ms rounded to float32 and truncated to int32.
    """
    length = (src_seq_len - 1) * hop_length
    stride = length if parallel else int(length * (1 - lookback - lookahead))
    if n_samples < length:
        padded = length
    else:
        padded = n_samples + stride - (n_samples - length) % stride
    count = (padded - length) // stride + 1
    stride_ms = stride * MILLISECONDS_PER_SECOND / sample_rate
    times = (np.arange(count, dtype=np.float64) * stride_ms).astype(np.float32).astype(np.int32)
    return WindowPlan(length, stride, padded, tuple(int(t) for t in times))


def split_windows(audio: np.ndarray, plan: WindowPlan) -> np.ndarray:
    """Zero-pad normalised audio to ``plan.padded_length`` and cut it into (count, samples_per_window) float32.

    The windows overlap by 90 %, so this is a read-only strided view of one padded copy of the song (a copy
    per window would take ~180 MB for five minutes); copy a window (``torch.tensor(windows[i])``) to use it.
    """
    padded = np.zeros(plan.padded_length, dtype=np.float32)
    padded[: len(audio)] = audio[: plan.padded_length]
    view = np.lib.stride_tricks.sliding_window_view(padded, plan.samples_per_window)
    return view[:: plan.stride][: plan.count]


# ---------------------------------------------------------------------------------------------------------
# Mel spectrogram


def hann_window(n_fft: int) -> torch.Tensor:
    """Periodic Hann window, as stored under ``spectrogram.transform.spectrogram.window``."""
    return torch.hann_window(n_fft, periodic=True, dtype=torch.float32)


def mel_filterbank(config: MelConfig) -> torch.Tensor:
    """HTK triangular filterbank without area normalisation, (n_fft // 2 + 1, n_mels) float32.

    Same arithmetic as torchaudio's ``melscale_fbanks`` (stored under ``spectrogram.transform.mel_scale.fb``).
    """
    n_freqs = config.n_fft // 2 + 1
    all_freqs = torch.linspace(0, config.sample_rate // 2, n_freqs)
    mel_min = 2595.0 * math.log10(1.0 + config.f_min / 700.0)
    mel_max = 2595.0 * math.log10(1.0 + config.f_max / 700.0)
    mel_points = torch.linspace(mel_min, mel_max, config.n_mels + 2)
    freq_points = 700.0 * (10.0 ** (mel_points / 2595.0) - 1.0)
    spacing = freq_points[1:] - freq_points[:-1]  # (n_mels + 1)
    slopes = freq_points.unsqueeze(0) - all_freqs.unsqueeze(1)  # (n_freqs, n_mels + 2)
    down = (-1.0 * slopes[:, :-2]) / spacing[:-1]
    up = slopes[:, 2:] / spacing[1:]
    return torch.max(torch.zeros(1), torch.min(down, up))


def log_mel_spectrogram(
    audio: torch.Tensor,
    config: MelConfig,
    window: torch.Tensor | None = None,
    filterbank: torch.Tensor | None = None,
) -> torch.Tensor:
    """log1p of the power mel spectrogram: audio (batch, samples) -> (batch, samples // hop + 1, n_mels).

    Always computed in float32. ``window`` and ``filterbank`` default to the computed ones; pass the tensors
    from a checkpoint to use exactly what it stores.
    """
    window = hann_window(config.n_fft) if window is None else window
    filterbank = mel_filterbank(config) if filterbank is None else filterbank
    audio = audio.to(torch.float32)
    spectrum = torch.stft(
        audio,
        n_fft=config.n_fft,
        hop_length=config.hop_length,
        win_length=config.n_fft,
        window=window.to(device=audio.device, dtype=torch.float32),
        center=True,
        pad_mode="reflect",
        normalized=False,
        onesided=True,
        return_complex=True,
    )  # (batch, n_freqs, frames)
    power = spectrum.abs().pow(2.0)
    mel = torch.matmul(power.transpose(-1, -2), filterbank.to(device=audio.device, dtype=torch.float32))
    return torch.log1p(mel)
