"""The demo song: 36.6 s of synthesized music at 150 BPM (first beat at 500 ms) for the demo mapset.

Deterministic numpy synthesis (no samples, no randomness, nothing licensed): kick, snare, metallic hi-hats,
crash, bass, chord pads and a lead arpeggio over Am-F-C-G, in sections the four demo maps follow:

    bars 0-3 intro, 4-9 verse, 10-11 breakdown (pads only; the maps' break), 12-19 chorus (kiai), 20 ending.

Run ``python -m engine.demo.synth`` to rewrite ``mapset/audio.ogg``. Importing it has no effects.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile

from engine.demo import demo_mapset_folder

SAMPLE_RATE = 44100
BPM = 150
OFFSET_MS = 500
BEAT_MS = 60000 / BPM  # 400 ms
BARS = 21
TAIL_SECONDS = 2.5
DURATION_SECONDS = OFFSET_MS / 1000 + BARS * 4 * BEAT_MS / 1000 + TAIL_SECONDS

INTRO, VERSE, BREAKDOWN, CHORUS, ENDING = range(0, 4), range(4, 10), range(10, 12), range(12, 20), range(20, 21)
# Am, F, C, G as MIDI notes (root in octave 2 for the bass; triad in octave 4 for the pads)
PROGRESSION = [(45, (57, 60, 64)), (41, (57, 60, 65)), (48, (55, 60, 64)), (43, (55, 59, 62))]


def beat_time(bar: int, beat: float) -> float:
    """Seconds of a beat position (bar, beat within the bar counted from 0)."""
    return (OFFSET_MS + (bar * 4 + beat) * BEAT_MS) / 1000


def midi_hz(note: float) -> float:
    return 440.0 * 2 ** ((note - 69) / 12)


def hash_noise(n: int, seed: int) -> np.ndarray:
    """White noise in [-1, 1) from an integer hash of the sample index: deterministic on every machine."""
    x = (np.arange(n, dtype=np.uint64) + np.uint64(seed * 7919)) * np.uint64(2654435761) & np.uint64(0xFFFFFFFF)
    x ^= x >> np.uint64(15)
    x = (x * np.uint64(2246822519)) & np.uint64(0xFFFFFFFF)
    x ^= x >> np.uint64(13)
    return x.astype(np.float64) / 2**31 - 1.0


def _t(seconds: float) -> np.ndarray:
    return np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE


def kick() -> np.ndarray:
    t = _t(0.35)
    phase = 2 * np.pi * (50 * t + (150 - 50) * 0.03 * (1 - np.exp(-t / 0.03)))
    return np.sin(phase) * np.exp(-t / 0.12)


def snare() -> np.ndarray:
    t = _t(0.25)
    body = np.sin(2 * np.pi * 190 * t) * np.exp(-t / 0.05)
    rattle = np.diff(hash_noise(len(t) + 1, 1)) * 0.5 * np.exp(-t / 0.07)
    return 0.6 * body + 0.7 * rattle


def hat(length: float = 0.06) -> np.ndarray:
    t = _t(length)
    metal = sum(np.sign(np.sin(2 * np.pi * f * t)) for f in (2050, 3040, 3690, 5220, 5400, 8000))
    metal = np.diff(metal, prepend=0.0) / 6  # crude high-pass: the 808 cymbal idea
    return metal * np.exp(-t / (length / 4))


def crash() -> np.ndarray:
    t = _t(1.8)
    return np.diff(hash_noise(len(t) + 1, 2)) * 0.35 * np.exp(-t / 0.5)


def tone(note: float, seconds: float, harmonics: int, decay: float) -> np.ndarray:
    """A saw-like tone with `harmonics` partials, a 5 ms attack and exponential decay."""
    t = _t(seconds)
    f = midi_hz(note)
    wave = sum(np.sin(2 * np.pi * f * k * t) / k for k in range(1, harmonics + 1) if f * k < 16000)
    envelope = np.minimum(t / 0.005, 1.0) * np.exp(-t / decay)
    fade = np.minimum((seconds - t) / 0.01, 1.0)  # no click at the cut
    return wave * envelope * fade


def _add(track: np.ndarray, sound: np.ndarray, seconds: float, gain: float, pan: float = 0.0) -> None:
    start = int(round(seconds * SAMPLE_RATE))
    end = min(start + len(sound), len(track))
    left, right = gain * np.sqrt((1 - pan) / 2), gain * np.sqrt((1 + pan) / 2)
    track[start:end, 0] += sound[: end - start] * left
    track[start:end, 1] += sound[: end - start] * right


def render() -> np.ndarray:
    """The whole song, (samples, 2) float64 peaking at 0.9."""
    track = np.zeros((int(DURATION_SECONDS * SAMPLE_RATE), 2))
    sounds = {"kick": kick(), "snare": snare(), "hat": hat(), "open_hat": hat(0.2), "crash": crash()}
    eighth, sixteenth = 0.5, 0.25
    for bar in range(BARS):
        bass_root, triad = PROGRESSION[bar % 4]
        drums = bar not in BREAKDOWN
        if drums:
            kicks = [0, 2] if bar in INTRO else [0, 2, 2.5] if bar in VERSE else [0, 1, 2, 3]
            for beat in kicks if bar not in ENDING else [0]:
                _add(track, sounds["kick"], beat_time(bar, beat), 0.9)
        if bar in VERSE or bar in CHORUS:
            for beat in (1, 3):
                _add(track, sounds["snare"], beat_time(bar, beat), 0.8)
        if bar in INTRO or bar in VERSE or bar in CHORUS:
            step = sixteenth if bar in CHORUS else eighth
            for i in range(int(4 / step)):
                accent = 0.28 if (i * step) % 1 == 0.5 else 0.18
                _add(track, sounds["hat"], beat_time(bar, i * step), accent, pan=0.3)
            _add(track, sounds["open_hat"], beat_time(bar, 3.5), 0.15, pan=0.3)
        if bar in (4, 12, 16, 20):
            _add(track, sounds["crash"], beat_time(bar, 0), 0.5, pan=-0.2)
        # bass: eighth notes on the root, octave jump on the off-beats in the chorus
        if bar not in BREAKDOWN:
            for i in range(8 if bar not in ENDING else 1):
                note = bass_root + (12 if bar in CHORUS and i % 2 else 0)
                length = 0.19 if bar not in ENDING else 2.0
                _add(track, tone(note, length, 6, 0.25), beat_time(bar, i * eighth), 0.35)
        # pads: a held triad per bar (longer and softer in the breakdown)
        pad_gain = 0.10 if bar in BREAKDOWN else 0.07
        for note in triad:
            _add(track, tone(note, 1.6 if bar not in ENDING else 2.5, 4, 1.2), beat_time(bar, 0), pad_gain, pan=-0.1)
        # lead: arpeggio of the triad an octave up, 16ths in the chorus, 8ths in the breakdown
        if bar in CHORUS or bar in BREAKDOWN:
            step = sixteenth if bar in CHORUS else eighth
            pattern = [triad[0], triad[1], triad[2], triad[1] + 12]
            for i in range(int(4 / step)):
                _add(track, tone(pattern[i % 4] + 12, step * 0.4, 3, 0.08), beat_time(bar, i * step), 0.12, pan=-0.35)
    return track * (0.9 / np.abs(track).max())


def write(path: Path) -> None:
    """Render the song and write it as Ogg Vorbis, one second per call: libvorbis overflows its stack when
    handed more than ~95 s at once (libsndfile issue 1095), so never write a whole song in one call."""
    track = render()
    with soundfile.SoundFile(path, "w", SAMPLE_RATE, 2, format="OGG", subtype="VORBIS", compression_level=0.6) as file:
        for start in range(0, len(track), SAMPLE_RATE):
            file.write(track[start : start + SAMPLE_RATE])


if __name__ == "__main__":
    write(demo_mapset_folder() / "audio.ogg")
