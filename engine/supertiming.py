"""Super timing: red lines from many shifted, non-overlapping timing passes (pipeline.md §4.2).

Each iteration shifts the song by a random offset (so window seams fall elsewhere), decodes every window
greedily, and adds the beat, measure and timing-point times to 1 ms histograms. Peaks of the smoothed
histograms are beat candidates; a local BPM per peak comes from the beat intervals around it; beats are
walked out from the most prominent peaks; then measures are placed by phase evidence. The resulting beat
events go through `engine.timing.timing_from_events` like any generated timing.

Unlike the reference, the offsets are drawn on `PHASES` window positions: greedy decoding makes a pass a
function of its offset, so each distinct shifted window is encoded and decoded once, however many of the
`timer_iterations` passes share its phase (each pass still counts in the histograms), and the windows of
all phases are decoded together in batches of `BATCH_ROWS`. Decoding stops at the timing context's end
(appendix B.2), empty measure or interval lists do not crash (B.6), the measure-evidence skip looks at
the beats strictly between, and a beat walk stops at any near peak it cannot snap to (§4.2 stops only at
peaks with a defined BPM, which makes up tempo changes on real maps' beats). This module never reads or
writes files.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from itertools import islice

import numpy as np
import torch

from engine.audio import SAMPLE_RATE, plan_windows, split_windows
from engine.cancel import CancelToken, raise_if_cancelled
from engine.decoding import GenerateOptions, generate_tokens
from engine.events import ContextEvents, ContextType, Event, EventType
from engine.generate import ProgressCallback, WindowProgress, encode_window, output_order
from engine.model import Mapperatorinator
from engine.prompts import events_from_ids, window_prompt
from engine.timing import TimingLine, timing_from_events
from engine.tokenizer import Tokenizer

SIGMA_MS = 10
TPB_WINDOW_MS = 200  # beat intervals within this distance of a peak give its BPM
TPB_BINS = (20, 100)  # interval bins in 10 ms steps: 60–300 BPM
FOLD = 1.5
SNAP_LOSS, STOP_LOSS = 60, 300
SEAM_MS = 200
CLASSIFY_MS = 10
BEAT_TYPES = (EventType.BEAT, EventType.MEASURE, EventType.TIMING_POINT)
PHASES = 8  # window positions the pass offsets are drawn on: at most this many distinct decodes per window
BATCH_ROWS = 16  # windows decoded together (pipeline.md's max_batch_size default)


def super_timing(model: Mapperatorinator, tokenizer: Tokenizer, samples: np.ndarray, options: GenerateOptions,
                 threshold: float = 0.1, progress: ProgressCallback | None = None,
                 cancel: CancelToken | None = None) -> list[TimingLine]:
    """Red lines for the song; [] when the model gives no beats at all."""
    passes = beat_passes(model, tokenizer, samples, options, progress, cancel)
    song_ms = int(len(samples) / SAMPLE_RATE * 1000)
    events = consensus_beats(passes, song_ms, threshold)
    if tokenizer.profile.types_first:  # the type comes before its time shift
        events = [e for pair in zip(events[1::2], events[::2], strict=True) for e in pair]
    return timing_from_events(events, tokenizer.profile.types_first)


def pass_offsets(iterations: int, window_ms: float, seed: int | None) -> list[int]:
    """Each pass's shift in ms: drawn in ±L/2 as the reference draws it, then moved to the nearest of
    `PHASES` evenly spaced window positions. −L/2 is folded onto +L/2 (the same seams, and the song's
    first half window is kept instead of dropped)."""
    rng = np.random.default_rng(seed)
    half = int(window_ms // 2)
    step = window_ms / PHASES
    phases = [round(int(offset) / step) for offset in rng.integers(-half, half + 1, size=iterations)]
    return [int((PHASES // 2 if k == -(PHASES // 2) else k) * step) for k in phases]


def beat_passes(model: Mapperatorinator, tokenizer: Tokenizer, samples: np.ndarray, options: GenerateOptions,
                progress: ProgressCallback | None = None,
                cancel: CancelToken | None = None) -> list[list[tuple[int, EventType]]]:
    """(time, BEAT/MEASURE/TIMING_POINT) of each iteration, in song time, in decoding order; passes on the
    same phase share one decoded list."""
    profile = tokenizer.profile
    context = ContextType.TIMING if ContextType.TIMING in profile.context_types else ContextType.MAP
    offsets = pass_offsets(options.timer_iterations, profile.window_ms, options.seed)
    greedy = GenerateOptions(do_sample=False, max_new_tokens=options.max_new_tokens, cfg_scale=1.0)
    conditioning = options.conditioning()
    song_ms = len(samples) / SAMPLE_RATE * 1000
    empty = [ContextEvents(c, (), ()) for c in output_order(tokenizer, [context], options.gamemode)]
    distinct = sorted(set(offsets))
    total = sum(plan_windows(max(len(samples) + _shift(o), 0), profile.src_seq_len, parallel=True).count
                for o in distinct)  # fmt: skip
    jobs = _shifted_windows(samples, distinct, profile.src_seq_len)
    marks: dict[int, list[tuple[int, EventType]]] = {offset: [] for offset in offsets}
    done = 0
    while batch := list(islice(jobs, BATCH_ROWS)):
        raise_if_cancelled(cancel)
        prompts = [window_prompt(tokenizer, conditioning, empty, frame, song_ms) for _, frame, _ in batch]
        features = torch.cat([encode_window(model, tokenizer, window, conditioning, frame, song_ms)
                              for _, frame, window in batch])  # fmt: skip
        rows = generate_tokens(model, tokenizer, features, prompts, greedy, context=context, cancel=cancel)
        for (offset, frame, _), ids in zip(batch, rows, strict=True):
            time = None
            for event in events_from_ids(tokenizer, ids, frame):
                if event.type == EventType.TIME_SHIFT:
                    time = event.value - offset
                elif event.type in BEAT_TYPES and time is not None and 0 <= time < song_ms:
                    marks[offset].append((time, event.type))
        done += len(batch)
        if progress is not None:
            progress(WindowProgress(context, 0, 1, done, total, sum(len(r) for r in rows), 0.0))
    return [marks[offset] for offset in offsets]


def _shift(offset_ms: int) -> int:
    return offset_ms * SAMPLE_RATE // 1000


def _shifted_windows(samples: np.ndarray, offsets: Sequence[int],
                     src_seq_len: int) -> Iterator[tuple[int, int, np.ndarray]]:
    """(offset ms, frame time in the shifted song, window samples) of each offset's non-overlapping windows:
    a positive offset prepends that much silence, a negative one drops the song's first |offset| ms. Made one
    offset at a time, so only the shifted copies that a batch still reads are held."""
    for offset in offsets:
        shift = _shift(offset)
        shifted = np.concatenate([np.zeros(shift, np.float32), samples]) if shift >= 0 else samples[-shift:]
        plan = plan_windows(len(shifted), src_seq_len, parallel=True)
        yield from zip([offset] * plan.count, plan.frame_times_ms, split_windows(shifted, plan), strict=True)


def _smooth(histogram: np.ndarray, iterations: int) -> np.ndarray:
    radius = 4 * SIGMA_MS
    x = np.arange(-radius, radius + 1)
    kernel = np.exp(-0.5 * (x / SIGMA_MS) ** 2)
    kernel /= kernel.sum()
    padded = np.pad(histogram, radius, mode="symmetric")
    return np.convolve(padded, kernel, mode="valid") / iterations * 50


def consensus_beats(passes: Sequence[Sequence[tuple[int, EventType]]], song_ms: int,
                    threshold: float = 0.1) -> list[Event]:
    """Beat events (TIME_SHIFT then type) agreed on by the passes; [] when there are none."""
    from scipy.signal import find_peaks

    size = max(song_ms, 1)
    hist = {t: np.zeros(size) for t in BEAT_TYPES}
    tpbs: list[tuple[int, int]] = []
    measures: list[int] = []
    for beats in passes:
        count, previous = 0, None
        for time, kind in beats:
            hist[kind][min(time, size - 1)] += 1
            if kind == EventType.MEASURE:
                if count:
                    measures.append(count)
                count = 1
            elif kind == EventType.TIMING_POINT:
                count = 1
            else:
                count += 1
            if previous is not None and time != previous[0]:
                steps = (time - previous[0]) // 10
                ends_on_red = kind == EventType.TIMING_POINT and previous[1] != EventType.TIMING_POINT
                if TPB_BINS[0] < steps < TPB_BINS[1] and not ends_on_red:
                    tpbs.append((previous[0], steps))
            previous = (time, kind)
    if not tpbs:
        return []
    iterations = max(len(passes), 1)
    beat, measure, red = (_smooth(hist[t], iterations) for t in BEAT_TYPES)
    signal = beat + measure + 2 * red
    peaks, props = find_peaks(signal, distance=50, prominence=0.1, rel_height=1, width=2, wlen=50)
    if len(peaks) == 0:
        return []
    prominence = props["prominences"]
    bpms = _local_bpms(peaks, tpbs, threshold)
    times = _walk(peaks, prominence, bpms, song_ms)
    return _classify(times, beat, measure, red, measures)


def _local_bpms(peaks: np.ndarray, tpbs: list[tuple[int, int]], threshold: float) -> list[float]:
    starts = np.array([t for t, _ in tpbs])
    values = np.array([v for _, v in tpbs])
    median = 60000 / (10 * float(np.median(values)))
    bpms: list[float] = []
    for peak in peaks:
        near = values[np.abs(starts - peak) <= TPB_WINDOW_MS]
        counts = np.bincount(near, minlength=TPB_BINS[1])[TPB_BINS[0]:TPB_BINS[1]] if len(near) else np.zeros(1)
        if len(near) and counts.max() > threshold * counts.sum():
            bpm = 60000 / (10 * (TPB_BINS[0] + int(counts.argmax())))
            bpm /= math.ceil(bpm / (FOLD * median))
            bpm *= math.ceil((median / FOLD) / bpm)
            bpms.append(bpm)
        else:
            bpms.append(math.nan)
    for i, bpm in enumerate(bpms):  # fill from the nearest defined neighbour (ties go left), else the median
        if math.isnan(bpm):
            defined = [j for j, b in enumerate(bpms) if not math.isnan(b)]
            bpms[i] = bpms[min(defined, key=lambda j: (abs(j - i), j))] if defined else median
    return bpms


def _walk(peaks: np.ndarray, prominence: np.ndarray, bpms: list[float], song_ms: int) -> list[int]:
    """Beats walked forward and back from the most prominent unprocessed peak, snapping to peaks."""
    todo = sorted(range(len(peaks)), key=lambda i: -prominence[i])
    done: list[tuple[float, float]] = []
    beats: list[int] = []
    while todo:
        start = todo.pop(0)
        walked = [int(peaks[start])]
        for direction in (1, -1):
            time, period = float(peaks[start]), 60000 / bpms[start]
            while True:
                time += direction * period
                if not 0 <= time < song_ms or any(a <= time <= b for a, b in done):
                    break
                losses = np.abs(peaks - time) / prominence
                nearest = int(losses.argmin())
                if losses[nearest] < SNAP_LOSS:
                    time, period = float(peaks[nearest]), 60000 / bpms[nearest]
                elif losses[nearest] < STOP_LOSS:
                    break
                walked.append(int(time))
        region = (min(walked) - SEAM_MS, max(walked) + SEAM_MS)
        done.append(region)
        beats += walked
        todo = [i for i in todo if not region[0] <= peaks[i] <= region[1]]
    return sorted(set(beats))


def _classify(times: list[int], beat: np.ndarray, measure: np.ndarray, red: np.ndarray,
              measure_lengths: list[int]) -> list[Event]:
    def mass(h: np.ndarray, t: int) -> float:
        return float(h[max(t - CLASSIFY_MS, 0) : t + CLASSIFY_MS + 1].sum())

    kinds = []
    for t in times:
        b, m, r = mass(beat, t), mass(measure, t), mass(red, t)
        kinds.append(EventType.TIMING_POINT if r > b and r > m and b + m + r > 1 else EventType.BEAT)
    signature = int(np.median(measure_lengths)) if measure_lengths else 4
    signature = max(signature, 1)
    cooldown = 0
    for i, t in enumerate(times):
        if cooldown > 0:
            cooldown -= 1
            continue
        if kinds[i] == EventType.TIMING_POINT:
            continue
        if cooldown < 0:
            cooldown += 1
            if cooldown == 0:
                kinds[i], cooldown = EventType.MEASURE, signature - 1
            continue
        scores = []
        for k in range(signature):
            evidence = []
            for j in range(-3, 4):
                index = i + j * signature + k
                if not 0 <= index < len(times):
                    continue
                between = kinds[min(i, index) + 1 : max(i, index)]
                if EventType.TIMING_POINT in between:
                    continue
                evidence.append(mass(measure, times[index]) + mass(red, times[index]))
            scores.append(np.mean(evidence) if evidence else 0.0)
        best = int(np.argmax(scores))
        if best == 0:
            kinds[i], cooldown = EventType.MEASURE, signature - 1
        else:
            cooldown = -best
    events: list[Event] = []
    for t, kind in zip(times, kinds, strict=True):
        events += [Event(EventType.TIME_SHIFT, t), Event(kind)]
    return events
