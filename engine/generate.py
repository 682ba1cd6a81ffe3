"""Windowed generation over a whole song: every pass (timing, map, sv) over every window (pipeline.md §2.3).

The song is cut into windows of the model's length with a 10 % stride (engine.audio.plan_windows, with the
reference's stride quirk). For each output context in the version's order (v30: map with beats inside;
v32: timing, then map, then sv) a pass walks the windows. A window's prompt holds what is already known of
every context inside it, earlier output included, so the model continues its own lookback; it may only add
events from 50 % of the window on (not in the first window) and stops at the first time in the last 40 %
(not in the last window). New times never go back (the monotonic rule, and a clamp after decoding).

Passes run interleaved: pass i works on window k as soon as pass i−1 has finished every window that can
still add events inside window k (`_lag`). The prompts are exactly those of running each pass over the
whole song first, but each window's audio is encoded once and shared by all passes while it is in use,
so encoder memory stays bounded by a few windows instead of the whole song.

Junk (a random model) never raises here: tokens that are no events are skipped, times are clamped to be
monotonic and events outside a requested region are dropped (`within`); what is left may be empty.

This module never reads or writes files and never builds hit objects (engine.postprocess does).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

from engine.audio import SAMPLE_RATE, plan_windows, split_windows
from engine.cancel import CancelToken, raise_if_cancelled
from engine.decoding import MS_PER_TIME_STEP, GenerateOptions, TopP, generate_tokens
from engine.events import ContextEvents, ContextType, Event, EventType
from engine.model import AudioConditioning, Mapperatorinator
from engine.postprocess import event_times, group_events
from engine.prompts import Conditioning, events_from_ids, model_kwargs, window_prompt
from engine.tokenizer import EOS, Tokenizer

REGION_MARGIN_MS = 10  # generated events this far outside a requested region are kept, then dropped (§2.8)

@dataclass(frozen=True)
class WindowProgress:
    """One finished window of one pass."""

    context: ContextType  # the pass: timing, map, sv
    pass_index: int  # 0-based, of `passes`
    passes: int
    window: int  # 1-based, of `windows`
    windows: int
    new_tokens: int
    tokens_per_second: float  # this window's


@dataclass
class GenerationStats:
    windows: int = 0  # window decodes over all passes
    encoder_runs: int = 0
    new_tokens: int = 0
    decode_seconds: float = 0.0
    wall_seconds: float = 0.0

    @property
    def tokens_per_second(self) -> float:
        return self.new_tokens / self.decode_seconds if self.decode_seconds else 0.0


@dataclass(frozen=True)
class Generation:
    """The generated events of each pass (absolute times), and how the run went."""

    contexts: dict[ContextType, ContextEvents]
    song_length_ms: float
    stats: GenerationStats = field(default_factory=GenerationStats)

    def events(self, context: ContextType) -> list[Event]:
        found = self.contexts.get(context)
        return list(found.events) if found is not None else []


ProgressCallback = Callable[[WindowProgress], None]


def output_order(tokenizer: Tokenizer, wanted: Sequence[ContextType], gamemode: int) -> list[ContextType]:
    """The version's output contexts up to the last wanted one, in template order (pipeline.md §2.4):
    asking v32 for MAP also runs its TIMING pass first. SV (mania scroll speeds) exists only in mania."""
    outs = [c for c in tokenizer.profile.context_templates[0][1] if c != ContextType.SV or gamemode == 3]
    last = max((outs.index(c) for c in wanted if c in outs), default=-1)
    if last < 0:
        raise ValueError(f"this model ({tokenizer.profile.name}) generates {[c.value for c in outs]}, "
                         f"not {[c.value for c in wanted]}")
    return outs[: last + 1]


def region_windows(frame_times: Sequence[int], window_ms: float, region: tuple[float, float] | None) -> list[int]:
    """Indices of the windows a region needs (pipeline.md §2.3.1): from the first starting after
    start − 0.6·L to the last starting before end − 0.5·L, at least one."""
    indices = list(range(len(frame_times)))
    if region is None:
        return indices
    start, end = region
    first = next((i for i in indices if frame_times[i] > start - 0.6 * window_ms), indices[-1])
    kept = [i for i in indices[first:] if frame_times[i] < end - 0.5 * window_ms]
    return kept or [first]


def monotonic_times(events: Sequence[Event], types_first: bool, start_ms: float, end_ms: float) -> list[int]:
    """Event times as post-processing reads them (engine.postprocess.event_times: a group's TIME_SHIFT,
    anchors interpolated, `end_ms` where no time follows), never below `start_ms` and never decreasing."""
    times = event_times(events, end_ms, types_first)
    floor = start_ms
    for i, t in enumerate(times):
        floor = max(floor, t)
        times[i] = int(floor)
    return times


def _lag(window_ms: float, stride_ms: float, lookback: float) -> int:
    """Windows of pass i−1 that must be done before pass i may run window k: a later window only adds
    events from lookback·L into itself (minus one 10 ms step), so window k's span is final once window
    k + lag − 1 is done."""
    return max(1, math.ceil(((1 - lookback) * window_ms + MS_PER_TIME_STEP) / stride_ms))


def _window_seed(seed: int, context: ContextType, window: int) -> int:
    return (seed * 1_000_003 + list(ContextType).index(context) * 10_007 + window) % 2**63


def _accepted_ids(tokenizer: Tokenizer, ids: list[int], window_ms: float, options: GenerateOptions,
                  trim_lookback: bool, trim_lookahead: bool) -> list[int]:
    """Strip the id that ended the window (§2.3.3 steps 1–2): trailing EOS ids, and a final time shift
    inside the lookahead or lookback (with its type token before it in types_first models)."""
    stops = {EOS, *tokenizer.context_eos.values()}
    while ids and ids[-1] in stops:
        ids = ids[:-1]
    ts = tokenizer.time_shift_ids
    if ids and ids[-1] in ts:
        step = ids[-1] - ts.start
        in_lookahead = trim_lookahead and step >= int((1 - options.lookahead) * window_ms / MS_PER_TIME_STEP)
        in_lookback = trim_lookback and step < int(options.lookback * window_ms / MS_PER_TIME_STEP)
        if in_lookahead or in_lookback:
            ids = ids[: -2 if tokenizer.profile.types_first else -1]
    return ids


def _window_events(tokenizer: Tokenizer, ids: Sequence[int], frame_time: int, floor_ms: float) -> list[Event]:
    """Decode one window's new ids; TIME_SHIFT values become absolute and never go below `floor_ms`."""
    out = []
    for e in events_from_ids(tokenizer, ids, frame_time):
        if e.type == EventType.TIME_SHIFT:
            floor_ms = max(floor_ms, e.value)
            e = Event(EventType.TIME_SHIFT, int(floor_ms))
        out.append(e)
    return out


@dataclass
class _Context:
    """A context while it is generated: the prefilled events, then the new ones."""

    type: ContextType
    events: list[Event]
    times: list[int]
    prefilled: int  # events before this index came from the caller

    def snapshot(self) -> ContextEvents:
        return ContextEvents(self.type, tuple(self.events), tuple(self.times))


def generate_contexts(
    model: Mapperatorinator,
    tokenizer: Tokenizer,
    audio: np.ndarray,
    options: GenerateOptions,
    *,
    conditioning: Conditioning,
    outputs: Sequence[ContextType],
    finished: Mapping[ContextType, ContextEvents] | None = None,
    prefill: Mapping[ContextType, ContextEvents] | None = None,
    in_contexts: Sequence[ContextEvents] | None = None,
    reference: Conditioning | None = None,
    region: tuple[float, float] | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> Generation:
    """Run every pass of `outputs` (template order, e.g. `output_order(...)`) over the song.

    audio: mono float32 at 16 kHz, peak-normalised (engine.audio.load_audio).
    finished: contexts known in full (e.g. TIMING from the user's map); they are prompt context, not passes.
    prefill: generated contexts' known beginning (a remap: the map before the region), continued by the model.
    in_contexts: reference blocks shown before the class tokens of every window (v31's NO_HS or GD, from the
    user's map; `reference` is that map's own conditioning, which GD needs); None: the version's "no reference".
    region: (start_ms, end_ms): only the windows it needs run, and only events inside it (±10 ms) come back.
    The times that come back are those the later windows saw (a sequential run of each pass gives the same).
    Cancellation is checked between windows (and between tokens); progress is reported per window.
    """
    started = time.perf_counter()
    finished = dict(finished or {})
    prefill = dict(prefill or {})
    profile = tokenizer.profile
    window_ms = profile.window_ms
    song_length = len(audio) / SAMPLE_RATE * 1000
    plan = plan_windows(len(audio), profile.src_seq_len, lookback=options.lookback, lookahead=options.lookahead)
    windows = split_windows(audio, plan)
    kept = region_windows(plan.frame_times_ms, window_ms, region)
    stride_ms = plan.stride / SAMPLE_RATE * 1000
    lag = _lag(window_ms, stride_ms, options.lookback)

    state: dict[ContextType, _Context] = {}
    for c in outputs:
        given = finished.get(c) or prefill.get(c)
        events, times = (list(given.events), list(given.times)) if given else ([], [])
        state[c] = _Context(c, events, times, len(events))
    passes = [c for c in outputs if c not in finished]
    stats = GenerationStats()
    seed = options.seed if options.seed is not None else int(torch.randint(0, 2**31, ()).item())
    generator = torch.Generator(device=model.device)
    features: dict[int, torch.Tensor] = {}
    done = [0] * len(passes)  # windows finished per pass (positions in `kept`)
    n = len(kept)

    def encoded(position: int) -> torch.Tensor:
        if position not in features:
            k = kept[position]
            features[position] = encode_window(model, tokenizer, windows[k], conditioning, plan.frame_times_ms[k],
                                               song_length)  # fmt: skip
            stats.encoder_runs += 1
        return features[position]

    while passes and done[-1] < n:
        raise_if_cancelled(cancel)
        # the latest pass that may run keeps the fewest windows encoded
        p = next(i for i in range(len(passes) - 1, -1, -1)
                 if done[i] < n and (i == 0 or done[i - 1] == n or done[i - 1] >= done[i] + lag))
        position = done[p]
        context = passes[p]
        k = kept[position]
        frame_time = plan.frame_times_ms[k]
        trim_lookback = position != 0 and options.lookback > 0
        trim_lookahead = position != n - 1
        contexts = [state[c].snapshot() for c in outputs[: outputs.index(context) + 1]]
        prompt = window_prompt(tokenizer, conditioning, contexts, frame_time, song_length, in_contexts=in_contexts,
                               reference=reference)
        negative = None
        if options.cfg_scale > 1:
            negative = [window_prompt(tokenizer, conditioning, contexts, frame_time, song_length, negative=True,
                                      in_contexts=in_contexts, reference=reference)]
        generator.manual_seed(_window_seed(seed, context, k))  # the same draws whatever order windows run in
        tic = time.perf_counter()
        (ids,) = generate_tokens(
            model, tokenizer, encoded(position), [prompt], options, negative_prompts=negative, context=context,
            trim_lookback=trim_lookback, trim_lookahead=trim_lookahead, generator=generator, cancel=cancel,
        )  # fmt: skip
        seconds = time.perf_counter() - tic
        accepted = _accepted_ids(tokenizer, ids, window_ms, options, trim_lookback, trim_lookahead)
        lookback_end = frame_time + options.lookback * window_ms if trim_lookback else None
        _extend(state[context], tokenizer, accepted, frame_time, lookback_end,
                frame_time + (1 - options.lookahead) * window_ms, trim_lookahead)
        done[p] += 1
        stats.windows += 1
        stats.new_tokens += len(ids)
        stats.decode_seconds += seconds
        for old in [w for w in features if all(d > w for d in done)]:
            del features[old]
        if progress is not None:
            progress(WindowProgress(context, p, len(passes), position + 1, n, len(ids),
                                    len(ids) / seconds if seconds else 0.0))
    result = {}
    for c in passes:
        ctx = state[c]
        generated = ContextEvents(c, tuple(ctx.events[ctx.prefilled :]), tuple(ctx.times[ctx.prefilled :]))
        result[c] = within(generated, *region, profile.types_first) if region is not None else generated
    stats.wall_seconds = time.perf_counter() - started
    return Generation(result, song_length, stats)


def encode_window(model: Mapperatorinator, tokenizer: Tokenizer, samples: np.ndarray, conditioning: Conditioning,
                  frame_time: int, song_length_ms: float) -> torch.Tensor:
    """One window's encoder output (1, T, d), with v30/v31's per-window conditioning."""
    cond = None
    if tokenizer.profile.encoder_conditioning:
        cond = AudioConditioning.from_model_kwargs(model_kwargs(tokenizer, conditioning, frame_time, song_length_ms))
    with torch.inference_mode():
        return model.encode_audio(torch.from_numpy(np.array(samples))[None], cond)


def fill_slots(model: Mapperatorinator, features: torch.Tensor, prompt: Sequence[int], continuation: Sequence[int],
               slots: Sequence[tuple[int, range]], options: GenerateOptions, generator: torch.Generator) -> list[int]:
    """Teacher-force `continuation` after `prompt` and let the model choose the ids at `slots` (index into
    the continuation, allowed ids): each is sampled (or argmax'd) among its allowed ids after temperature
    and top-p, then fed back. One prefill plus one cached call per slot."""
    ids = list(continuation)
    capacity = len(prompt) + len(ids)
    cache = model.new_cache(features, batch=1, capacity=capacity)
    fed = 0
    pending = list(prompt)
    with torch.inference_mode():
        for index, allowed in slots:
            pending += ids[fed:index]
            logits = model.logits(torch.tensor([pending], device=model.device), cache=cache)[0, -1].float()
            scores = torch.full_like(logits, -torch.inf)
            scores[allowed.start : allowed.stop] = logits[allowed.start : allowed.stop] / options.temperature
            if options.do_sample:
                scores = TopP(options.top_p).apply(scores[None], torch.empty(1, 0))[0] if options.top_p < 1 else scores
                choice = int(torch.multinomial(scores.softmax(-1), 1, generator=generator))
            else:
                choice = int(scores.argmax())
            ids[index] = choice
            pending, fed = [choice], index + 1
    return ids


def _extend(ctx: _Context, tokenizer: Tokenizer, ids: Sequence[int], frame_time: int, lookback_end: float | None,
            interpolation_end: float, trim_lookahead: bool) -> None:
    """Append one window's events (§2.3.3 steps 3–5): times monotonic after what the context holds and, while
    trimming, not inside the lookback (groups without a time shift would otherwise land there) and with
    trailing events past (1 − lookahead) of the window removed (a later window redoes them)."""
    floor = ctx.times[-1] if ctx.times else -math.inf
    new = _window_events(tokenizer, ids, frame_time, floor)
    if not new:
        return
    start = max(ctx.times[-1] if ctx.times else frame_time, lookback_end or frame_time)
    times = monotonic_times(new, tokenizer.profile.types_first, start, interpolation_end)
    if trim_lookahead:
        while times and times[-1] > interpolation_end:
            times.pop()
            new.pop()
    ctx.events.extend(new)
    ctx.times.extend(times)


def within(context: ContextEvents, start_ms: float, end_ms: float, types_first: bool = False) -> ContextEvents:
    """Whole groups whose time lies in [start − 10, end + 10] (a group is never cut in half)."""
    start, end = start_ms - REGION_MARGIN_MS, end_ms + REGION_MARGIN_MS
    _, members = group_events(context.events, types_first)
    keep = sorted(i for group in members if group and start <= context.times[group[0]] <= end for i in group)
    return ContextEvents(context.type, tuple(context.events[i] for i in keep), tuple(context.times[i] for i in keep))
