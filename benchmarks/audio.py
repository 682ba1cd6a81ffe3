"""Audio front end speed on a 5-minute 44.1 kHz stereo song, as ratios against CPython's audioop in the same run.

    .venv/bin/python benchmarks/audio.py [--seconds 300] [--repeat 3]

Prints the best of `repeat` runs for: engine.audio.ratecv + downmix (the numpy port) against audioop.ratecv +
audioop.tomono (the reference's arithmetic; skipped on Python 3.13+ where audioop is gone), the whole
load_audio on an Ogg Vorbis file of the same song, and the log-mel spectrogram of every v32 window. One torch
thread, as in the tests.
"""

from __future__ import annotations

import argparse
import tempfile
import warnings
from pathlib import Path

import numpy as np
import soundfile
import torch

from engine.audio import MelConfig, downmix, load_audio, log_mel_spectrogram, plan_windows, ratecv, split_windows
from stopwatch import best_of


def song(seconds: float, rate: int = 44100) -> np.ndarray:
    """Deterministic music-like int16 stereo: chords, a bass line and clicks."""
    t = np.arange(int(seconds * rate)) / rate
    chords = sum(np.sin(2 * np.pi * f * t) for f in (220.0, 277.18, 329.63)) / 3
    bass = np.sin(2 * np.pi * 55 * t * (1 + (t % 1.6 > 0.8)))
    clicks = np.sin(2 * np.pi * 3000 * t) * np.exp(-(t % 0.4) / 0.01)
    left, right = 0.4 * chords + 0.3 * bass + 0.2 * clicks, 0.3 * chords + 0.3 * bass + 0.3 * clicks
    return np.round(np.stack([left, right], axis=1) * 32767 * 0.9).astype(np.int16)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=300.0)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(1)
    pcm = song(args.seconds)
    samples = pcm.astype(np.int64)
    print(f"song: {args.seconds:.0f} s, 44.1 kHz stereo int16; best of {args.repeat}; torch threads 1")

    ours, _ = best_of(args.repeat, lambda: downmix(ratecv(samples, 2, 44100, 16000)))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            import audioop
    except ImportError:
        print(f"resample+downmix  numpy {ours:.3f} s  (audioop unavailable on this Python: no baseline)")
    else:
        data = pcm.tobytes()

        def reference() -> bytes:
            return audioop.tomono(audioop.ratecv(data, 2, 2, 44100, 16000, None)[0], 2, 0.5, 0.5)

        baseline, _ = best_of(args.repeat, reference)
        same = np.frombuffer(reference(), dtype=np.int16).tobytes() == downmix(
            ratecv(samples, 2, 44100, 16000)).astype(np.int16).tobytes()
        print(f"resample+downmix  numpy {ours:.3f} s  audioop {baseline:.3f} s  ratio {ours / baseline:.2f}  "
              f"identical output: {same}")

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "song.ogg"
        with soundfile.SoundFile(path, "w", 44100, 2, format="OGG", subtype="VORBIS") as file:
            for start in range(0, len(pcm), 44100):  # libvorbis crashes on > ~95 s in one write
                file.write(pcm[start : start + 44100])
        loading, _ = best_of(args.repeat, lambda: load_audio(path))
        print(f"load_audio (ogg)  {loading:.3f} s  = {loading / args.seconds * 1000:.1f} ms per song second")
        audio = load_audio(path)

    plan = plan_windows(len(audio), 2048)
    windows = split_windows(audio, plan)
    config = MelConfig(n_mels=128)

    def all_windows() -> None:
        for window in windows:
            log_mel_spectrogram(torch.tensor(window)[None], config)

    mel, _ = best_of(1, all_windows)
    print(f"log-mel, {plan.count} v32 windows  {mel:.3f} s  = {mel / plan.count * 1000:.1f} ms per window")


if __name__ == "__main__":
    main()
