"""A single BPM and offset estimated from the audio alone, for when the model gives no usable beats.

The reference crashes (v31/v32) or invents a 1000 ms red line (v30) when the timing pass produces no beat
events (pipeline.md appendix B.14). maid falls back to this estimate instead: the onset envelope (positive
spectral flux of the log-mel spectrogram, 8 ms frames) is autocorrelated over 60–200 BPM; the strongest
lag (weighted towards 120 BPM, and halved when half of it is nearly as strong: octave errors) is refined
to sub-frame precision, and the offset is the phase whose beat grid collects the most
onset energy. One red line in 4/4, for the mapper to correct; never better than real timing.

This module never runs the model and never reads or writes files.
"""

from __future__ import annotations

import numpy as np
import torch

from engine.audio import HOP_LENGTH, SAMPLE_RATE, MelConfig, log_mel_spectrogram

BPM_RANGE = (60.0, 200.0)
PRIOR_BPM = 120.0
HALF_LAG_SHARE = 0.5  # a half lag this strong means the strongest lag spans two beats
FRAME_MS = HOP_LENGTH / SAMPLE_RATE * 1000  # 8 ms


def onset_envelope(samples: np.ndarray) -> np.ndarray:
    """Positive spectral flux per 8 ms frame, mean-removed."""
    mel = log_mel_spectrogram(torch.from_numpy(np.ascontiguousarray(samples, dtype=np.float32))[None], MelConfig())[0]
    flux = torch.clamp(mel[1:] - mel[:-1], min=0).sum(dim=1).numpy()
    return flux - flux.mean()


def estimate_tempo(samples: np.ndarray) -> tuple[float, float] | None:
    """(beat length in ms, offset in ms of the first beat), or None for audio too short or without onsets."""
    envelope = onset_envelope(samples)
    low, high = (60000 / BPM_RANGE[1] / FRAME_MS, 60000 / BPM_RANGE[0] / FRAME_MS)
    if len(envelope) < 4 * high or not np.any(envelope > 0):
        return None
    spectrum = np.fft.rfft(envelope, n=2 * len(envelope))
    autocorrelation = np.fft.irfft(spectrum * np.conj(spectrum))[: len(envelope)]
    lags = np.arange(int(low), int(high) + 1)
    bpm = 60000 / (lags * FRAME_MS)
    prior = np.exp(-0.5 * np.log2(bpm / PRIOR_BPM) ** 2)  # against octave errors: a lean towards ~120 BPM
    best = int(lags[np.argmax(autocorrelation[lags] * prior)])
    half = int(round(best / 2))
    if half >= low and autocorrelation[half] >= HALF_LAG_SHARE * autocorrelation[best]:
        best = half  # the beat, not every other beat
    # a parabola through the peak and its neighbours places the lag between frames
    a, b, c = autocorrelation[best - 1], autocorrelation[best], autocorrelation[best + 1]
    shift = 0.5 * (a - c) / (a - 2 * b + c) if a - 2 * b + c != 0 else 0.0
    beat_frames = best + float(np.clip(shift, -0.5, 0.5))
    phases = np.arange(int(np.ceil(beat_frames)))
    grid = np.arange(0, len(envelope) - beat_frames, beat_frames)
    scores = [envelope[np.minimum((grid + p).astype(int), len(envelope) - 1)].sum() for p in phases]
    offset_frames = int(phases[int(np.argmax(scores))]) + 1  # flux frame i is the change into frame i + 1
    return beat_frames * FRAME_MS, offset_frames * FRAME_MS
