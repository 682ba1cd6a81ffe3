"""Decoding one window: the options, the logit processors and the token loop (pipeline.md §2.6–2.7, §2.9).

`GenerateOptions` holds every user option: the map asked for (mode, difficulty, style, contexts) and every
decoding knob. Each logit rule is a small class with `apply(logits, tokens)`,
built in the reference's order by `build_processors`: classifier-free guidance, monotonic time shifts,
time-shift bias, temperature (conditional for types_first models), lookback bias, then top-k and top-p
(only when sampling). `generate_tokens` runs the loop for a batch of prompts against one encoder output
per window: the prompt is prefilled once into a KV cache and every step feeds one token; with guidance the
positive and negative prompts run as one batch.

Classifier-free guidance: maid's default is the textbook `negative + s·(positive − negative)`. The reference
computes `positive + s·(negative − positive)` (its negative prompt sits in the half that HF treats as
conditional, fixtures README §7.1); `cfg_mode="reference"` reproduces that for parity.

This module never builds prompts, never decodes events and holds no state between calls.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import torch
import torch.nn.functional as F
from torch import Tensor

from engine.cancel import CancelToken, raise_if_cancelled
from engine.events import ContextType, EventType
from engine.model import Mapperatorinator
from engine.prompts import Conditioning
from engine.tokenizer import EOS, PAD, SOS, Tokenizer

MS_PER_TIME_STEP = 10

# Types that close a timed group; in types_first models the time shift follows them (reference TIMED_EVENTS).
TIMED_TYPES: tuple[EventType, ...] = (
    EventType.CIRCLE, EventType.SPINNER, EventType.SPINNER_END, EventType.SLIDER_HEAD, EventType.LAST_ANCHOR,
    EventType.SLIDER_END, EventType.BEAT, EventType.MEASURE, EventType.TIMING_POINT, EventType.KIAI,
    EventType.HOLD_NOTE, EventType.HOLD_NOTE_END, EventType.DRUMROLL, EventType.DRUMROLL_END, EventType.DENDEN,
    EventType.DENDEN_END, EventType.SCROLL_SPEED_CHANGE,
)  # fmt: skip


class OptionsError(ValueError):
    """A generation option the model cannot take; the message names the option and what to do."""


@dataclass(frozen=True)
class GenerateOptions:
    """Everything a user can ask of a generation: the map they want, then how to decode it.

    Mapping options left None are "unknown" tokens, or are filled from a reference beatmap by the task
    (pipeline.md §1.2–1.3). Decoding defaults are the reference's for v29 and later. Values are checked
    here; what depends on the checkpoint (modes, years, descriptor names, contexts) is checked by
    `validate(tokenizer)`.
    """

    # -- the map (conditioning)
    gamemode: int = 0  # 0 osu!, 1 taiko, 2 catch, 3 mania
    difficulty: float | None = None  # star rating
    year: int | None = None
    mapper_id: int | None = None  # osu! user id
    descriptors: tuple[str, ...] = ()  # e.g. ("style/clean",); v32 names
    negative_descriptors: tuple[str, ...] = ()  # the guidance's negative prompt (cfg_scale > 1)
    circle_size: float | None = None  # osu!/catch; None: 4 or the reference's
    slider_multiplier: float | None = None  # None: 1.4 or the reference's
    keycount: int | None = None  # mania; None: 4 or the reference's
    hold_note_ratio: float | None = None  # mania, 0–1
    scroll_speed_ratio: float | None = None  # taiko and mania, 0–1
    hitsounded: bool | None = None  # None: True or the reference's
    in_context: tuple[ContextType, ...] = ()  # what a reference map gives (TIMING: "use my timing")
    output_types: tuple[ContextType, ...] = ()  # contexts to generate; () = what the task needs
    super_timing: bool = False  # multi-pass timing estimate (pipeline.md §4.2) instead of one timing pass
    timer_iterations: int = 20
    lora: str | None = None  # adapter folder or hub id, merged when the model is loaded

    # -- the file ([Metadata], [Difficulty]); None: from the reference map, else maid's defaults
    title: str | None = None
    artist: str | None = None
    creator: str | None = None
    version: str | None = None  # the difficulty name
    hp_drain_rate: float | None = None
    overall_difficulty: float | None = None
    approach_rate: float | None = None
    slider_tick_rate: float | None = None

    # -- decoding
    temperature: float = 0.9
    timing_temperature: float = 0.1  # beat/measure time tokens; types_first models (v31) only
    mania_column_temperature: float = 0.8  # types_first models only
    taiko_hit_temperature: float = 0.8  # types_first models only
    top_p: float = 0.9  # nucleus sampling; 1.0 disables
    top_k: int = 0  # 0 disables
    do_sample: bool = True  # False: greedy
    seed: int | None = None  # used when no torch.Generator is passed
    cfg_scale: float = 1.0  # classifier-free guidance; <= 1 disables (no negative prompt is run)
    cfg_mode: Literal["textbook", "reference"] = "textbook"
    timeshift_bias: float = 0.0  # added to every TIME_SHIFT logit
    lookback: float = 0.5  # fraction of a (non-first) window pre-filled with earlier output
    lookahead: float = 0.4  # fraction of a (non-last) window left to later windows
    max_new_tokens: int | None = None  # per window; None: up to the decoder context

    def __post_init__(self) -> None:
        _check_range("gamemode", self.gamemode, 0, 3, "0 osu!, 1 taiko, 2 catch or 3 mania")
        _check_range("difficulty", self.difficulty, 0, 24, "a star rating such as 5.5")
        _check_range("circle_size", self.circle_size, 0, 10, "0 to 10")
        _check_range("slider_multiplier", self.slider_multiplier, 0.4, 3.6, "0.4 to 3.6")
        _check_range("keycount", self.keycount, 1, 18, "1 to 18 keys")
        _check_range("hold_note_ratio", self.hold_note_ratio, 0, 1, "a fraction from 0 to 1")
        _check_range("scroll_speed_ratio", self.scroll_speed_ratio, 0, 1, "a fraction from 0 to 1")
        for name in ("hp_drain_rate", "overall_difficulty", "approach_rate"):
            _check_range(name, getattr(self, name), 0, 10, "0 to 10")
        _check_range("slider_tick_rate", self.slider_tick_rate, 0.5, 4, "0.5 to 4")
        for name in ("title", "artist", "creator", "version"):
            text = getattr(self, name)
            if text is not None and (not text.strip() or any(c in text for c in "\r\n")):
                raise OptionsError(f"{name} {text!r}: give a non-empty single line")
        _check_range("timer_iterations", self.timer_iterations, 1, 1000, "at least 1")
        _check_range("top_p", self.top_p, 1e-9, 1, "(0, 1]; 1 disables nucleus sampling")
        _check_range("top_k", self.top_k, 0, None, "0 (off) or more")
        _check_range("cfg_scale", self.cfg_scale, 0, None, "1 (off) or more")
        _check_range("lookback", self.lookback, 0, 0.99, "a fraction of the window below 1")
        _check_range("lookahead", self.lookahead, 0, 0.99, "a fraction of the window below 1")
        _check_range("max_new_tokens", self.max_new_tokens, 1, None, "at least 1, or None")
        for name in ("temperature", "timing_temperature", "mania_column_temperature", "taiko_hit_temperature"):
            _check_range(name, getattr(self, name), 1e-9, None, "above 0 (use do_sample=False for greedy)")
        if self.lookback + self.lookahead >= 1:
            raise OptionsError(f"lookback {self.lookback} + lookahead {self.lookahead} must stay below 1 "
                               "(the window must move on); the defaults are 0.5 and 0.4")
        for name in ("in_context", "output_types"):
            bad = [c for c in getattr(self, name) if not isinstance(c, ContextType)]
            if bad:
                raise OptionsError(f"{name}: {bad} are not context types; use {[c.value for c in ContextType]}")

    def validate(self, tokenizer: Tokenizer) -> tuple[str, ...]:
        """Check the options against a checkpoint's vocabulary; returns notes worth showing the user
        (e.g. an unknown mapper becomes the "unknown mapper" token). Raises OptionsError otherwise."""
        profile = tokenizer.profile
        notes: list[str] = []
        if self.gamemode not in profile.gamemodes:
            modes = ", ".join(str(m) for m in profile.gamemodes)
            raise OptionsError(f"gamemode {self.gamemode}: this model ({profile.name}) maps only gamemode {modes}; "
                               "use a v32 checkpoint (--model OliBomby/Mapperatorinator-v32) for taiko, catch, mania")
        if self.year is not None and tokenizer.has(EventType.YEAR):
            low, high = tokenizer.event_range[EventType.YEAR].min_value, tokenizer.event_range[EventType.YEAR].max_value
            if not low <= self.year < high:
                raise OptionsError(f"year {self.year}: this model knows {low} to {high - 1}")
        if self.mapper_id is not None and tokenizer.mapper_class(self.mapper_id) is None:
            notes.append(f"mapper {self.mapper_id} is unknown to this model; the unknown-mapper token is used")
        for name in ("descriptors", "negative_descriptors"):
            for descriptor in getattr(self, name):
                if descriptor not in tokenizer.descriptor_idx:
                    close = difflib.get_close_matches(descriptor, list(tokenizer.descriptor_idx), n=3)
                    hint = f"; did you mean {', '.join(close)}?" if close else ""
                    if not tokenizer.descriptor_idx:
                        hint = f"; this model ({profile.name}) takes no descriptors"
                    raise OptionsError(f"{name}: {descriptor!r} is not a descriptor of this model{hint}")
        if self.negative_descriptors and self.cfg_scale <= 1:
            notes.append("negative descriptors only matter with cfg_scale > 1")
        outputs = {c for _, outs in profile.context_templates for c in outs}
        # TIMING works for every version: the reference's red lines are the grid (pipeline.md §2.5)
        inputs = {c for ins, _ in profile.context_templates for c in ins} | outputs | {ContextType.TIMING}
        for context in self.output_types:
            if context not in outputs:
                raise OptionsError(f"output_types: this model ({profile.name}) cannot generate {context.value}; "
                                   f"it generates {', '.join(sorted(c.value for c in outputs))}")
        for context in self.in_context:
            if context not in inputs and context != ContextType.NONE:
                raise OptionsError(f"in_context: this model ({profile.name}) takes no {context.value} reference; "
                                   f"it takes {', '.join(sorted(c.value for c in inputs))}")
        return tuple(notes)

    def conditioning(self, reference: Conditioning | None = None) -> Conditioning:
        """The class-token values: these options, None filled from a reference map's values, then the defaults
        (pipeline.md §1.2). Year, mapper and descriptors never come from the reference."""
        ref = reference or Conditioning(gamemode=self.gamemode, hitsounded=True, circle_size=4.0)

        def pick(name: str) -> Any:
            mine = getattr(self, name)
            return mine if mine is not None else getattr(ref, name)

        return Conditioning(
            gamemode=self.gamemode, difficulty=pick("difficulty"), mapper_id=self.mapper_id, year=self.year,
            hitsounded=pick("hitsounded"), circle_size=pick("circle_size"),
            slider_multiplier=pick("slider_multiplier"), keycount=pick("keycount"),
            hold_note_ratio=pick("hold_note_ratio"), scroll_speed_ratio=pick("scroll_speed_ratio"),
            descriptors=self.descriptors, negative_descriptors=self.negative_descriptors,
        )


def _check_range(name: str, value: float | None, low: float, high: float | None, valid: str) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
        raise OptionsError(f"{name} must be a number ({valid}), got {value!r}")
    if value < low or (high is not None and value > high):
        raise OptionsError(f"{name} {value} is out of range: {valid}")


class LogitProcessor(Protocol):
    def apply(self, logits: Tensor, tokens: Tensor) -> Tensor:
        """logits (B, V) float32 of the next token; tokens (B, S) so far (prompt with left padding)."""
        ...


@dataclass(frozen=True)
class ClassifierFreeGuidance:
    """Mixes [positive rows; negative rows] (2B, V) into B guided rows."""

    scale: float
    mode: Literal["textbook", "reference"]

    def apply(self, logits: Tensor, tokens: Tensor) -> Tensor:
        positive, negative = logits.split(logits.shape[0] // 2)
        if self.mode == "reference":
            return positive + self.scale * (negative - positive)
        return negative + self.scale * (positive - negative)


@dataclass(frozen=True)
class MonotonicTimeShift:
    """Time shifts never go back within the current context: after the last SOS / context SOS, every
    TIME_SHIFT smaller than the last one is masked."""

    time_shift_ids: range
    start_ids: tuple[int, ...]

    def apply(self, logits: Tensor, tokens: Tensor) -> Tensor:
        ts = self.time_shift_ids
        slots = torch.arange(tokens.shape[1], device=tokens.device)
        is_time = (tokens >= ts.start) & (tokens < ts.stop)
        is_start = torch.isin(tokens, torch.tensor(self.start_ids, device=tokens.device))
        last_time = torch.where(is_time, slots, -1).max(dim=1).values  # (B,)
        last_start = torch.where(is_start, slots, -1).max(dim=1).values
        active = (last_time >= 0) & (last_time > last_start)
        last_id = tokens.gather(1, last_time.clamp(min=0)[:, None])  # (B, 1)
        ids = torch.arange(ts.start, ts.stop, device=tokens.device)[None]
        logits[:, ts.start : ts.stop].masked_fill_(active[:, None] & (ids < last_id), -torch.inf)
        return logits


@dataclass(frozen=True)
class TimeShiftBias:
    time_shift_ids: range
    bias: float

    def apply(self, logits: Tensor, tokens: Tensor) -> Tensor:
        logits[:, self.time_shift_ids.start : self.time_shift_ids.stop] += self.bias
        return logits


@dataclass(frozen=True)
class Temperature:
    temperature: float

    def apply(self, logits: Tensor, tokens: Tensor) -> Tensor:
        return logits / self.temperature


@dataclass(frozen=True)
class ConditionalTemperature:
    """types_first models: the temperature depends on the previous tokens of batch row 0 (a reference quirk).

    Rules in order, first match wins: (temperature, ids, how far back), e.g. the time after a BEAT."""

    temperature: float
    rules: tuple[tuple[float, frozenset[int], int], ...]

    def apply(self, logits: Tensor, tokens: Tensor) -> Tensor:
        row = tokens[0, -max((back for _, _, back in self.rules), default=1) :].tolist()
        for temperature, ids, back in self.rules:
            if len(row) >= back and row[-back] in ids:
                return logits / temperature
        return logits / self.temperature


@dataclass(frozen=True)
class LookbackMask:
    """types_first = false: no event may be placed in the lookback part of the window."""

    lookback_ids: range

    def apply(self, logits: Tensor, tokens: Tensor) -> Tensor:
        logits[:, self.lookback_ids.start : self.lookback_ids.stop] = -torch.inf
        return logits


class LookbackReroute:
    """types_first = true: after a timed type token, the chance of placing the event inside the lookback is
    moved onto TIME_SHIFT 0 (an end-of-window id while trimming), weighted by the previous step's EOS chance."""

    def __init__(self, lookback_ids: range, eos_ids: Sequence[int], timed_ids: Sequence[int]):
        self.lookback_ids = lookback_ids
        self.eos_ids = list(eos_ids)
        self.timed_ids = torch.tensor(list(timed_ids))
        self.last_logits: Tensor | None = None

    def apply(self, logits: Tensor, tokens: Tensor) -> Tensor:
        out = logits
        if self.last_logits is not None and tokens.shape[1]:
            timed = torch.isin(tokens[:, -1], self.timed_ids.to(tokens.device))
            if bool(timed.any()):
                lb = self.lookback_ids
                p_eos = F.softmax(self.last_logits, dim=-1)[:, self.eos_ids].sum(-1)
                p_event = 1 - p_eos
                probs = F.softmax(logits, dim=-1)
                other = torch.ones(logits.shape[1], dtype=torch.bool, device=logits.device)
                other[lb.start : lb.stop] = False
                s = 1 / (probs[:, other].sum(-1) * p_event + p_eos)
                probs[:, lb.start : lb.stop] = 0
                probs[:, other] *= s[:, None]
                probs[:, lb.start] = torch.clip((s - 1) * p_eos / p_event, 0, 1)
                out = torch.where(timed[:, None], probs.log(), logits)
        self.last_logits = logits
        return out


@dataclass(frozen=True)
class TopK:
    k: int

    def apply(self, logits: Tensor, tokens: Tensor) -> Tensor:
        k = min(self.k, logits.shape[-1])
        threshold = torch.topk(logits, k).values[..., -1:]
        return logits.masked_fill(logits < threshold, -torch.inf)


@dataclass(frozen=True)
class TopP:
    """Nucleus filter as HF's TopPLogitsWarper: drop the low tail whose total probability is <= 1 - p."""

    p: float

    def apply(self, logits: Tensor, tokens: Tensor) -> Tensor:
        sorted_logits, order = torch.sort(logits, descending=False)
        cumulative = sorted_logits.softmax(dim=-1).cumsum(dim=-1)
        remove_sorted = cumulative <= 1 - self.p
        remove_sorted[..., -1:] = False
        remove = remove_sorted.scatter(1, order, remove_sorted)
        return logits.masked_fill(remove, -torch.inf)


@dataclass(frozen=True)
class WindowLimits:
    """Which TIME_SHIFT ids end a window and which are masked, from the trim flags of this window."""

    eos_ids: tuple[int, ...]
    lookback_ids: range | None  # TIME_SHIFT ids before the lookback boundary (None: no lookback trimming)


def window_limits(
    tokenizer: Tokenizer,
    options: GenerateOptions,
    window_ms: float,
    context: ContextType | None,
    trim_lookback: bool,
    trim_lookahead: bool,
) -> WindowLimits:
    """EOS, the context's EOS, and while trimming: the lookback TIME_SHIFT values [0, int(lookback·L/10))
    and the top int(lookahead·L/10) values (pipeline.md §2.3.3, §2.7)."""
    ts = tokenizer.time_shift_ids
    eos = [EOS]
    if context is not None and context in tokenizer.context_eos:
        eos.append(tokenizer.context_eos[context])
    lookback = None
    if trim_lookback and options.lookback > 0:
        lookback = range(ts.start, ts.start + int(options.lookback * window_ms / MS_PER_TIME_STEP))
        eos.extend(lookback)
    if trim_lookahead and options.lookahead > 0:
        n = int(options.lookahead * window_ms / MS_PER_TIME_STEP)
        eos.extend(range(ts.stop - n, ts.stop))
    return WindowLimits(tuple(dict.fromkeys(eos)), lookback)


def build_processors(tokenizer: Tokenizer, options: GenerateOptions, limits: WindowLimits) -> list[LogitProcessor]:
    """The reference's processor list, in its order (pipeline.md §2.7)."""
    ts = tokenizer.time_shift_ids
    types_first = tokenizer.profile.types_first
    processors: list[LogitProcessor] = []
    if options.cfg_scale > 1:
        processors.append(ClassifierFreeGuidance(options.cfg_scale, options.cfg_mode))
    processors.append(MonotonicTimeShift(ts, (SOS, *tokenizer.context_sos.values())))
    if options.timeshift_bias:
        processors.append(TimeShiftBias(ts, options.timeshift_bias))
    processors.append(_temperature(tokenizer, options) if types_first else Temperature(options.temperature))
    if limits.lookback_ids is not None:
        if types_first:
            eos_ids = [EOS, *tokenizer.context_eos.values()]
            processors.append(LookbackReroute(limits.lookback_ids, eos_ids, sorted(type_ids(tokenizer, *TIMED_TYPES))))
        else:
            processors.append(LookbackMask(limits.lookback_ids))
    if options.do_sample and options.top_k:
        processors.append(TopK(options.top_k))
    if options.do_sample and options.top_p < 1.0:
        processors.append(TopP(options.top_p))
    return processors


def type_ids(tokenizer: Tokenizer, *types: EventType) -> frozenset[int]:
    """Every id of the given event types that the vocabulary has."""
    starts, ends = tokenizer.event_start, tokenizer.event_end
    return frozenset(i for t in types if tokenizer.has(t) for i in range(starts[t], ends[t]))


def _temperature(tokenizer: Tokenizer, options: GenerateOptions) -> ConditionalTemperature:
    beats = type_ids(tokenizer, EventType.BEAT, EventType.MEASURE, EventType.TIMING_POINT)
    mania_types = type_ids(tokenizer, EventType.CIRCLE, EventType.HOLD_NOTE, EventType.HOLD_NOTE_END)
    mania = tokenizer.has(EventType.HOLD_NOTE_END)  # the column rule only exists for mania-trained models
    candidates = (
        (options.timing_temperature, beats, 1),  # the time token of a beat
        (options.mania_column_temperature, mania_types if mania else frozenset(), 3),  # TYPE, TIME, SNAP, COLUMN
        (options.taiko_hit_temperature, type_ids(tokenizer, EventType.SCROLL_SPEED), 1),  # don/kat after SV
    )
    rules = tuple(rule for rule in candidates if rule[0] != options.temperature and rule[1])
    return ConditionalTemperature(options.temperature, rules)


def left_pad(rows: Sequence[Sequence[int]], width: int | None = None) -> Tensor:
    """(len(rows), width) long tensor, each row right-aligned and padded on the left with PAD."""
    width = max([len(r) for r in rows] + [width or 0])
    out = torch.full((len(rows), width), PAD, dtype=torch.long)
    for i, row in enumerate(rows):
        if row:
            out[i, width - len(row) :] = torch.tensor(list(row), dtype=torch.long)
    return out


def generate_tokens(
    model: Mapperatorinator,
    tokenizer: Tokenizer,
    audio_features: Tensor,
    prompts: Sequence[Sequence[int]],
    options: GenerateOptions,
    *,
    negative_prompts: Sequence[Sequence[int]] | None = None,
    context: ContextType | None = None,
    trim_lookback: bool = False,
    trim_lookahead: bool = False,
    generator: torch.Generator | None = None,
    progress: Callable[[int], None] | None = None,
    cancel: CancelToken | None = None,
) -> list[list[int]]:
    """Continue each prompt against its window's encoder output (B or 1, T, d); returns the new ids per row,
    ending with the id that stopped it (an EOS-set id) unless the length limit came first.

    `context` is the context being generated (its EOS ends the row); `trim_lookback` / `trim_lookahead`
    say whether this window is not the first / not the last. With `options.cfg_scale > 1`,
    `negative_prompts` (one per prompt) run in the same batch.
    """
    device = model.device
    n = len(prompts)
    guided = options.cfg_scale > 1
    if guided and (negative_prompts is None or len(negative_prompts) != n):
        raise ValueError("classifier-free guidance (cfg_scale > 1) needs one negative prompt per prompt")
    rows = list(prompts) + (list(negative_prompts) if guided else [])  # type: ignore[arg-type]
    batch = left_pad(rows).to(device)
    prompt_len = batch.shape[1]
    room = model.dims.n_text_ctx - prompt_len
    if room <= 0:
        raise ValueError(f"prompt of {prompt_len} tokens leaves no room in the {model.dims.n_text_ctx}-token decoder")
    max_new = room if options.max_new_tokens is None else min(options.max_new_tokens, room)
    limits = window_limits(tokenizer, options, model.dims.window_ms, context, trim_lookback, trim_lookahead)
    processors = build_processors(tokenizer, options, limits)
    eos_ids = torch.tensor(limits.eos_ids, device=device)
    if options.do_sample and generator is None and options.seed is not None:
        generator = torch.Generator(device=device).manual_seed(options.seed)

    features = audio_features if audio_features.shape[0] == 1 or not guided else audio_features.repeat(2, 1, 1)
    cache = model.new_cache(features, batch=len(rows), capacity=prompt_len + max_new)
    tokens = torch.full((n, prompt_len + max_new), PAD, dtype=torch.long, device=device)
    tokens[:, :prompt_len] = batch[:n]
    finished = torch.zeros(n, dtype=torch.bool, device=device)
    with torch.inference_mode():
        logits = model.logits(batch, cache=cache, key_mask=batch != PAD)[:, -1]
        for step in range(max_new):
            raise_if_cancelled(cancel)
            length = prompt_len + step
            scores = logits.float()
            for processor in processors:
                scores = processor.apply(scores, tokens[:, :length])
            if options.do_sample:
                next_ids = torch.multinomial(F.softmax(scores, dim=-1), 1, generator=generator)[:, 0]
            else:
                next_ids = scores.argmax(dim=-1)
            next_ids = torch.where(finished, PAD, next_ids)
            tokens[:, length] = next_ids
            finished |= torch.isin(next_ids, eos_ids)
            if progress is not None:
                progress(step + 1)
            if bool(finished.all()) or step + 1 == max_new:
                break
            step_ids = next_ids.repeat(2) if guided else next_ids
            logits = model.logits(step_ids[:, None], cache=cache)[:, -1]
    return [_until_stop(tokens[i, prompt_len : prompt_len + step + 1].tolist(), set(limits.eos_ids)) for i in range(n)]


def _until_stop(ids: list[int], eos: set[int]) -> list[int]:
    for i, token in enumerate(ids):
        if token in eos:
            return ids[: i + 1]
    return ids
