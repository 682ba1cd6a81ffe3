"""MaiMod: how surprised the model is by each event of an existing map, turned into modding suggestions.

Scoring follows the reference's `Processor.ai_mod` (pipeline.md §6.2): every context of the map is
tokenised into the overlapping windows of a sequential run, the model predicts each token teacher-forced,
and an event's score is its relative surprisal R = I/H, with I = −log2(p[token] + 1e-10) and
H = −Σ p·log2(p + 1e-10) from the softmax at the position before the token. Each event is scored by the
one window whose "own" slice [frame + 0.5L, frame + 0.6L) holds it (the first window from its start,
the last to its end); events outside every window keep 0. "Expected" is the argmax token decoded with
the window's frame time (+5 ms half step; non-event ids become CONTROL).

Unlike the reference, windows share forward passes on an accelerator (`default_batch_size`), each
window's encoder output is computed once, only the rows that are scored go through the LM head, windows
that own no event are skipped, and the decoder is causal for every version (the reference's uncached v32
forward sees future tokens).

Suggestions (§6.3) keep the reference's filter, categories, labels and texts (`report_lines` prints them
as `mai_mod.py raw_output=true` does); `findings` turns them into `engine.findings.Finding`s, most
important first, with a configurable threshold and count per category.

This module never reads files: callers pass the parsed beatmap and the decoded audio.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from string import Template

import numpy as np
import torch
import torch.nn.functional as F

from engine.audio import plan_windows, song_length_ms, split_windows
from engine.cancel import CancelToken, raise_if_cancelled
from engine.contexts import beatmap_contexts, conditioning_from_beatmap
from engine.decoding import left_pad
from engine.events import ANCHOR_TYPES, TIMING_TYPES, ContextEvents, ContextType, Event, EventType
from engine.findings import Finding, Severity
from engine.model import AudioConditioning, Mapperatorinator
from engine.osu import Beatmap, Spinner
from engine.postprocess import Group, group_events
from engine.prompts import model_kwargs, window_prompt, window_slice
from engine.tokenizer import PAD, SOS, Tokenizer

DEFAULT_THRESHOLD = 20.0  # relative surprisal; the reference's fixed cut
DEFAULT_PER_CATEGORY = 10
CATEGORIES = ("Compose", "Hit Sounds", "Kiai", "Misc", "New Combos", "Rhythm", "Scroll Speeds", "Sliders", "Timing")
_POSITION_TYPES = {EventType.DISTANCE, EventType.POS_X, EventType.POS_Y, EventType.POS}
_SOUND_TYPES = {EventType.HITSOUND, EventType.VOLUME}
HIT_OBJECT_TYPES = frozenset({
    EventType.CIRCLE, EventType.SPINNER, EventType.SPINNER_END, EventType.SLIDER_HEAD, EventType.BEZIER_ANCHOR,
    EventType.PERFECT_ANCHOR, EventType.CATMULL_ANCHOR, EventType.RED_ANCHOR, EventType.LAST_ANCHOR,
    EventType.SLIDER_END, EventType.HOLD_NOTE, EventType.HOLD_NOTE_END, EventType.DRUMROLL, EventType.DRUMROLL_END,
    EventType.DENDEN, EventType.DENDEN_END,
})
_SAMPLE_SETS = ("normal", "soft", "drum")
_TIMING_TEXTS = {
    (EventType.SNAPPING, EventType.BEAT): "Hit object likely not snapped to a beat.",
    (EventType.SNAPPING, EventType.MEASURE): "Hit object likely not snapped to a beat.",
    (EventType.SNAPPING, EventType.TIMING_POINT): "Hit object likely not snapped to a beat.",
    (EventType.BEAT, EventType.SNAPPING): "Unexpected beat.",
    (EventType.BEAT, EventType.MEASURE): "Expected new measure.",
    (EventType.BEAT, EventType.TIMING_POINT): "Expected new timing point.",
    (EventType.MEASURE, EventType.SNAPPING): "Unexpected new measure.",
    (EventType.MEASURE, EventType.BEAT): "Unexpected new measure.",
    (EventType.MEASURE, EventType.TIMING_POINT): "Expected new timing point.",
    (EventType.TIMING_POINT, EventType.SNAPPING): "Unexpected new timing point.",
    (EventType.TIMING_POINT, EventType.BEAT): "Unexpected new timing point.",
    (EventType.TIMING_POINT, EventType.MEASURE): "Unexpected new timing point.",
}
# (actual, expected) → (category, explanation), rule 9 of pipeline.md §6.3.
_PAIR_TEXTS: dict[tuple[EventType, EventType], tuple[str, str]] = {
    (EventType.DISTANCE, EventType.DISTANCE):
        ("Compose", "Expected distance $expected_value to the previous $previous_group instead of $real_value."),
    (EventType.POS_X, EventType.POS_X): ("Compose", "Expected position $expected_value instead of $real_value."),
    (EventType.POS_Y, EventType.POS_Y): ("Compose", "Expected position $expected_value instead of $real_value."),
    (EventType.POS, EventType.POS): ("Compose", "Expected position $expected_value instead of $real_value."),
    (EventType.MANIA_COLUMN, EventType.MANIA_COLUMN):
        ("Compose", "Expected column $expected_value instead of $real_value."),
    (EventType.HITSOUND, EventType.HITSOUND):
        ("Hit Sounds", "Expected hitsound $expected_value instead of $real_value."),
    (EventType.VOLUME, EventType.VOLUME): ("Hit Sounds", "Expected volume $expected_value instead of $real_value."),
    (EventType.HITSOUND, EventType.NEW_COMBO): ("New Combos", "Expected new combo."),
    (EventType.NEW_COMBO, EventType.HITSOUND): ("New Combos", "Unexpected new combo."),
    (EventType.HITSOUND, EventType.LAST_ANCHOR): ("Rhythm", "Expected end of slider repeats."),
    (EventType.HITSOUND, EventType.SLIDER_END): ("Rhythm", "Expected end of slider repeats."),
    (EventType.TIME_SHIFT, EventType.DISTANCE): ("Sliders", "Expected additional anchors."),
    (EventType.DISTANCE, EventType.TIME_SHIFT): ("Sliders", "Expected last anchor."),
    **{pair: ("Timing", text) for pair, text in _TIMING_TEXTS.items()},
}
_LINK = re.compile(r"\[link=[^\]]*\](.*?)\[/link\]")

Progress = Callable[[int, int], None]  # (windows done, windows total)


# --- scoring -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScoredContext:
    """One context of the map with each event's relative surprisal and the model's expected event."""

    type: ContextType
    events: tuple[Event, ...]
    times: tuple[int, ...]
    surprisal: tuple[float, ...]  # R = I/H; 0 where no window scored the event
    expected: tuple[Event, ...]  # the event itself where no window scored it


def output_contexts(tok: Tokenizer) -> tuple[ContextType, ...]:
    """The out-contexts MaiMod scores: the version's first template (v30 MAP with beats; v32 TIMING, MAP, SV)."""
    ins, outs = tok.profile.context_templates[0]
    if ins:
        raise ValueError(f"MaiMod scores v30 and v32 checkpoints; {tok.profile.name} prompts start with an "
                         f"in-context ({', '.join(c.value for c in ins)}) that maid does not build; use v32")
    return outs


def _owned_range(k: int, count: int, frame_time: int, window_ms: float) -> tuple[float, float]:
    start = frame_time if k == 0 else frame_time + 0.5 * window_ms
    end = frame_time + window_ms if k == count - 1 else frame_time + 0.6 * window_ms
    return start, end


@dataclass
class _Window:
    """The prompt of one window and, per context, which prompt positions hold which event indices."""

    index: int
    frame_time: int
    prompt: list[int]
    targets: list[tuple[int, int, int]] = field(default_factory=list)  # (context, event index, prompt position)


def _window(tok: Tokenizer, contexts: Sequence[ContextEvents], prompt: list[int], k: int, frame_time: int,
            owned: tuple[float, float]) -> _Window:
    window = _Window(k, frame_time, prompt)
    pos = prompt.index(SOS) + 1
    for c, ctx in enumerate(contexts):
        if tok.context_sos:
            assert prompt[pos] == tok.context_sos[ctx.type], "context blocks out of order"
            pos += 1
            last = c == len(contexts) - 1
            end = len(prompt) if last else prompt.index(tok.context_eos[ctx.type], pos)
        else:
            end = len(prompt)
        start_event, end_event = window_slice(ctx, frame_time, tok.profile.window_ms)
        first = end_event - (end - pos)  # the length guard keeps the tail of a long block
        assert first >= start_event, "more tokens than events in a context block"
        for j in range(end - pos):
            i = first + j
            if owned[0] <= ctx.times[i] < owned[1]:
                window.targets.append((c, i, pos + j))
        pos = end + (0 if not tok.context_sos or c == len(contexts) - 1 else 1)
    return window


def _decode_expected(tok: Tokenizer, token_id: int, frame_time: int) -> Event:
    if token_id >= tok.vocab_size_out or not tok.is_event(token_id):
        return Event(EventType.CONTROL, token_id)
    event = tok.decode(token_id)
    if event.type == EventType.TIME_SHIFT:
        return Event(EventType.TIME_SHIFT, frame_time + 10 * event.value + (5 if event.value >= 0 else 0))
    return event


def _hidden_logits(model: Mapperatorinator, tokens: torch.Tensor, features: torch.Tensor,
                   rows: torch.Tensor, cols: torch.Tensor) -> torch.Tensor:
    """Teacher-forced logits (N, V_out) at the (row, col) positions only: the LM head runs on N rows.

    Same arithmetic as `Mapperatorinator.logits` without a cache (causal, left padding hidden).
    """
    key_mask = tokens != PAD
    cache = model.new_cache(features, tokens.shape[0], capacity=tokens.shape[1])
    cache.key_mask = torch.cat((cache.key_mask, key_mask), dim=1)
    hidden = model.decoder(model.decoder_embedder(tokens), cache)
    return model.proj_out(hidden[rows, cols])


def relative_surprisal(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """R = I/H per row (0 where H = 0), in bits, from logits (N, V) and the true token ids (N,)."""
    p = F.softmax(logits.float(), dim=-1)
    entropy = -(p * torch.log2(p + 1e-10)).sum(-1)
    surprisal = -torch.log2(p.gather(-1, targets[:, None])[:, 0] + 1e-10)
    return torch.where(entropy > 0, surprisal / entropy, torch.zeros_like(entropy))


def default_batch_size(model: Mapperatorinator) -> int:
    """8 windows per pass on an accelerator; 1 on the CPU, where batching only adds padding and a masked
    attention path (benchmarks/maimod.py measured one window at a time 1.5x faster on 2 CPU cores)."""
    return 1 if model.device.type == "cpu" else 8


@torch.inference_mode()
def score_beatmap(model: Mapperatorinator, beatmap: Beatmap, audio: np.ndarray, difficulty: float | None = None,
                  batch_size: int | None = None, progress: Progress | None = None,
                  cancel: CancelToken | None = None) -> list[ScoredContext]:
    """Relative surprisal of every event of every output context (pipeline.md §6.2).

    `audio`: mono float32 at 16 kHz (engine.audio.load_audio). `difficulty`: the star rating the v30 encoder
    and the v32 prompt are conditioned on (None = unknown). `batch_size` windows go through one forward pass
    (None: `default_batch_size`).
    """
    batch_size = batch_size or default_batch_size(model)
    tok: Tokenizer = model.checkpoint.tokenizer
    profile = tok.profile
    song_length = song_length_ms(audio)
    plan = plan_windows(len(audio), profile.src_seq_len)
    windows = split_windows(audio, plan)
    contexts = beatmap_contexts(beatmap, profile, output_contexts(tok), song_length)
    cond = conditioning_from_beatmap(beatmap, tok, difficulty)
    scores = [np.zeros(len(c.events)) for c in contexts]
    expected: list[list[Event]] = [list(c.events) for c in contexts]

    todo: list[_Window] = []
    for k, frame_time in enumerate(plan.frame_times_ms):
        owned = _owned_range(k, plan.count, frame_time, profile.window_ms)
        if not any(owned[0] <= t < owned[1] for c in contexts for t in c.times):
            continue
        prompt = window_prompt(tok, cond, contexts, frame_time, song_length)
        todo.append(_window(tok, contexts, prompt, k, frame_time, owned))

    for start in range(0, len(todo), batch_size):
        raise_if_cancelled(cancel)
        batch = todo[start:start + batch_size]
        audio_batch = torch.from_numpy(np.stack([windows[w.index] for w in batch])).to(model.device)
        conditioning = None
        if profile.encoder_conditioning:
            conditioning = [AudioConditioning.from_model_kwargs(
                model_kwargs(tok, cond, w.frame_time, song_length))[0] for w in batch]
        features = model.encode_audio(audio_batch, conditioning)
        tokens = left_pad([w.prompt for w in batch]).to(model.device)
        rows, cols, targets = [], [], []
        for b, w in enumerate(batch):
            pad = tokens.shape[1] - len(w.prompt)
            for _, _, pos in w.targets:
                rows.append(b)
                cols.append(pad + pos - 1)
                targets.append(w.prompt[pos])
        if rows:
            index = torch.tensor(rows, device=model.device), torch.tensor(cols, device=model.device)
            logits = _hidden_logits(model, tokens, features, *index)
            values = relative_surprisal(logits, torch.tensor(targets, device=model.device)).cpu().numpy()
            argmax = logits.argmax(-1).cpu().tolist()
            n = 0
            for w in batch:
                for c, i, _ in w.targets:
                    scores[c][i] = float(values[n])
                    expected[c][i] = _decode_expected(tok, argmax[n], w.frame_time)
                    n += 1
        if progress is not None:
            progress(min(start + batch_size, len(todo)), len(todo))

    return [ScoredContext(c.type, c.events, c.times, tuple(float(v) for v in s), tuple(e))
            for c, s, e in zip(contexts, scores, expected)]


# --- suggestions ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Suggestion:
    """One surprising event, worded as the reference words it."""

    context: ContextType
    index: int
    time: int  # the event's time
    group_label: str  # e.g. "Circle", "Perfect Anchor #2", "Slider Body"
    event: Event
    expected: Event
    score: float  # relative surprisal R; the reference shows R/10
    category: str
    explanation: str  # with rich markup, as the reference prints it
    link_time: int | None = None  # start of the hit object the event belongs to
    combo: int | None = None  # its combo number
    object_index: int | None = None  # its index in the file's hit objects

    @property
    def importance(self) -> float:
        return self.score / 10


def type_label(event_type: EventType) -> str:
    return event_type.value.replace("_", " ").title()


def _clock(ms: int) -> str:
    return f"{ms // 60000:02}:{(ms // 1000) % 60:02}:{ms % 1000:03}"


def event_text(event: Event, tok: Tokenizer) -> str:
    """How the reference shows an event's value (pipeline.md §6.2 step 6)."""
    kind, v = event.type, event.value
    p = tok.profile.position_precision
    if kind == EventType.POS_X:
        return f"x:{v * p}"
    if kind == EventType.POS_Y:
        return f"y:{v * p}"
    if kind == EventType.POS:
        x_min, x_count = -256 // p, 768 // p - (-256 // p) + 1
        return f"x:{(v % x_count + x_min) * p + p // 2} y:{(v // x_count + x_min) * p + p // 2}"
    if kind == EventType.DISTANCE:
        return str(v)
    if kind == EventType.MANIA_COLUMN:
        return str(v + 1)
    if kind == EventType.VOLUME:
        return f"{v}%"
    if kind == EventType.SNAPPING:
        return f"1/{v}" if v else "none"
    if kind == EventType.TIME_SHIFT:
        return f"[link=osu://edit/{_clock(v)}]{_clock(v)}[/link]"
    if kind == EventType.SCROLL_SPEED:
        return f"x{v / 100:.2f}"
    if kind == EventType.HITSOUND:
        sounds = [name for bit, name in ((1, "whistle"), (2, "finish"), (4, "clap")) if v % 8 & bit]
        return f"{_SAMPLE_SETS[v // 8 % 3]}:{_SAMPLE_SETS[v // 24 % 3]}-{':'.join(sounds) or 'none'}"
    if kind == EventType.CONTROL:
        return "End of sequence"
    return f"{kind.value}{v}"


class _Labels:
    """Group labels of one context (the reference's get_group_str)."""

    def __init__(self, scored: ScoredContext, types_first: bool) -> None:
        self.events = scored.events
        self.groups, members = group_events(scored.events, types_first, scored.times)
        self.group_of = [0] * len(scored.events)
        for g, indices in enumerate(members):
            for i in indices:
                self.group_of[i] = g

    def label(self, g: int, index: int) -> str:
        if not 0 <= g < len(self.groups):
            return "None"
        group = self.groups[g]
        event = self.events[index]
        if group.type == EventType.LAST_ANCHOR and g == self.group_of[index] and event.type in _SOUND_TYPES:
            repeat = 0
            for j in range(index - 1, -1, -1):
                if self.events[j].type == EventType.TIME_SHIFT:
                    break
                repeat += self.events[j].type == event.type
            return "Slider Body" if repeat == 0 else f"Slider Repeat #{repeat}"
        if group.type in ANCHOR_TYPES:
            number = 2
            for j in range(g - 1, -1, -1):
                if self.groups[j].type == EventType.SLIDER_HEAD:
                    break
                number += self.groups[j].type in ANCHOR_TYPES
            return f"{type_label(group.type)} #{number}"
        return type_label(group.type) if group.type is not None else "None"

    def previous_positioned(self, g: int, index: int) -> str:
        for j in range(g - 1, -1, -1):
            if self.groups[j].x is not None:
                return self.label(j, index)
        return "None"

    def next_group(self, g: int) -> Group | None:
        return self.groups[g + 1] if g + 1 < len(self.groups) else None

    def next_beat(self, g: int) -> Group | None:
        return next((x for x in self.groups[g + 1:] if x.type in TIMING_TYPES), None)


def _keep(event: Event, expected: Event, group: Group, time: int, following: Group | None, score: float,
          threshold: float) -> bool:
    """The reference's filter: surprising enough, and not one of its known false alarms."""
    if score < threshold:
        return False
    if group.type == EventType.SLIDER_END and event.type in _POSITION_TYPES:
        return False  # slider ends are derived from the path
    if event.type == expected.type == EventType.TIME_SHIFT and abs(expected.value - event.value) <= 10:
        return False
    near = following is not None and abs(time - following.time) < 2
    if event.type == EventType.SNAPPING and expected.type in TIMING_TYPES and near:
        return False
    return not (event.type in TIMING_TYPES and expected.type == EventType.SNAPPING and near)


def _categorise(event: Event, expected: Event, group: Group, next_beat: Group | None, add_timing: bool,
                mode: int) -> tuple[str, str]:
    """(category, explanation template): the first matching rule of pipeline.md §6.3 step 5."""
    real, want = event.type, expected.type
    if add_timing and real == want == EventType.TIME_SHIFT and group.type not in TIMING_TYPES \
            and next_beat is not None and abs(expected.value - next_beat.time) <= 10:
        return "Rhythm", "Unexpected hit object."
    if real == EventType.LAST_ANCHOR and want in ANCHOR_TYPES:
        return "Sliders", "Expected additional anchors."
    if real in ANCHOR_TYPES and want == EventType.LAST_ANCHOR:
        return "Sliders", "Expected last anchor."
    if real in ANCHOR_TYPES and want in ANCHOR_TYPES:
        return "Sliders", "Expected a $expected_type instead of a $real_type."
    if real in HIT_OBJECT_TYPES and want in HIT_OBJECT_TYPES:
        return "Rhythm", "Expected a $expected_type instead of a $real_type."
    if real in (EventType.TIME_SHIFT, EventType.SNAPPING) and want == real:
        text = ("Expected object at $expected_value instead of $real_value." if real == EventType.TIME_SHIFT
                else "Expected snapping $expected_value instead of $real_value.")
        if group.type in HIT_OBJECT_TYPES:
            return "Rhythm", text
        if group.type == EventType.SCROLL_SPEED_CHANGE:
            return "Scroll Speeds", text
        return ("Kiai" if group.type == EventType.KIAI else "Timing"), text
    if real == want == EventType.SCROLL_SPEED:
        if mode == 0:
            return "Sliders", "Expected slider velocity $expected_value instead of $real_value."
        return "Scroll Speeds", "Expected scroll speed $expected_value instead of $real_value."
    if want == EventType.CONTROL:
        if real == EventType.KIAI:
            return "Kiai", "Unexpected kiai section start." if event.value == 1 else "Unexpected kiai section end."
        return "Timing", "Expected end of beatmap."
    return _PAIR_TEXTS.get((real, want),
                           ("Misc", "Expected $expected_type $expected_value instead of $real_type $real_value."))


def _owning_object(beatmap: Beatmap, time: int) -> tuple[int, int, int] | None:
    """(start time, combo number, index) of the last object starting at or before time + 1 ms."""
    objects = beatmap.hit_objects
    combo = 0
    for i, obj in enumerate(objects):
        if obj.time - 1 > time and i > 0:
            return int(objects[i - 1].time + 1e-5), combo, i - 1
        combo += 1
        if obj.new_combo or isinstance(obj, Spinner) or (i > 0 and isinstance(objects[i - 1], Spinner)) \
                or (i > 0 and obj.time - objects[i - 1].time > 10_000):
            combo = 1
    if combo > 0:
        return int(objects[-1].time + 1e-5), combo, len(objects) - 1
    return None


def suggestions(scored: Sequence[ScoredContext], beatmap: Beatmap, tok: Tokenizer,
                threshold: float = DEFAULT_THRESHOLD) -> list[Suggestion]:
    """Every event scoring at least `threshold`, minus the reference's false alarms, in time order."""
    profile = tok.profile
    candidates = []
    for ctx in scored:
        labels = _Labels(ctx, profile.types_first)
        candidates += [(ctx, i, labels, labels.group_of[i]) for i in range(len(ctx.events))]
    candidates.sort(key=lambda c: c[0].times[c[1]])  # stable: context order, then event order

    out = []
    for ctx, i, labels, g in candidates:
        event, expected, score, time = ctx.events[i], ctx.expected[i], ctx.surprisal[i], ctx.times[i]
        group = labels.groups[g] if labels.groups else Group()
        if not _keep(event, expected, group, time, labels.next_group(g), score, threshold):
            continue
        category, template = _categorise(event, expected, group, labels.next_beat(g), profile.add_timing,
                                         beatmap.mode)
        group_label = labels.label(g, i)
        explanation = Template(template).safe_substitute(
            expected_value=event_text(expected, tok), real_value=event_text(event, tok),
            expected_type=type_label(expected.type), real_type=type_label(event.type),
            group=group_label, previous_group=labels.previous_positioned(g, i))
        owner = _owning_object(beatmap, time) if group.type in HIT_OBJECT_TYPES else None
        out.append(Suggestion(ctx.type, i, time, group_label, event, expected, score, category, explanation,
                              *(owner or (None, None, None))))
    return out


def _importance_text(importance: float) -> str:
    if importance >= 10000:
        return f"[bold red]({importance:.0f})[/bold red]"
    if importance >= 1000:
        return f" [bold red]({importance:.0f})[/bold red]"
    if importance >= 100:
        return f"  [bold red]({importance:.0f})[/bold red]"
    if importance >= 10:
        return f"   [bold yellow]({importance:.0f})[/bold yellow]"
    if importance >= 1:
        return f"    [bold]({importance:.0f})[/bold]"
    return f"    ({importance:.0f})"


def report_lines(found: Sequence[Suggestion], per_category: int | None = DEFAULT_PER_CATEGORY) -> list[str]:
    """The reference's printed report (raw markup): categories A–Z, the first `per_category` of each by time."""
    lines = [
        "The first value between parentheses represents the importance of the suggestion. Values above "
        "[red]100[/red] are likely issues, whereas values below 10 are likely subjective",
        f"Found {len(found)} suggestions:",
    ]
    for category in sorted({s.category for s in found}):
        lines += ["", f"{category}:"]
        items = [s for s in found if s.category == category][:per_category]
        for s in items:
            link_time = s.link_time if s.link_time is not None else s.time
            url = f"osu://edit/{_clock(link_time)}" + (f"%20({s.combo})" if s.combo is not None else "")
            stamp = f"[link={url}][green]{_clock(s.time)}[/green][/link]"
            lines.append(f" {_importance_text(s.importance)} {stamp} ({s.group_label}) - {s.explanation}")
    return lines


def severity_of(importance: float) -> Severity:
    """Above 100 likely an issue, below 10 likely subjective (the reference's reading of R/10)."""
    if importance >= 100:
        return Severity.PROBLEM
    if importance >= 10:
        return Severity.WARNING
    return Severity.MINOR


def plain(text: str) -> str:
    """Rich link markup removed: `[link=…]00:01:234[/link]` → `00:01:234`."""
    return _LINK.sub(r"\1", text)


def findings(found: Sequence[Suggestion], file: str | None = None, difficulty: str | None = None,
             per_category: int | None = DEFAULT_PER_CATEGORY) -> list[Finding]:
    """Suggestions as findings (source "maimod"): the `per_category` most important of each category,
    most important first. Hit-object findings select their object (`osu://edit/<start> (<combo>)`)."""
    out = []
    for category in sorted({s.category for s in found}):
        ranked = sorted((s for s in found if s.category == category), key=lambda s: -s.score)
        for s in ranked[:per_category]:
            message = plain(s.explanation)
            out.append(Finding(
                check=f"maimod.{category.lower().replace(' ', '-')}",
                severity=severity_of(s.importance),
                category=category,
                message=f"{s.group_label}: {message}",
                source="maimod",
                file=file,
                difficulty=difficulty,
                start_ms=float(s.link_time if s.link_time is not None else s.time),
                end_ms=float(max(s.time, s.link_time if s.link_time is not None else s.time)),
                objects=() if s.object_index is None else (s.object_index,),
                selection=() if s.combo is None else (str(s.combo),),
                suggestion=_advice(message),
                score=round(s.importance, 1),
            ))
    out.sort(key=lambda f: (-(f.score or 0), f.start_ms or 0))
    return out


_ADVICE = {
    "Expected additional anchors.": "Consider giving this slider more anchors.",
    "Expected last anchor.": "Consider ending the slider path here.",
    "Unexpected hit object.": "Consider removing this object: the model expected the next beat instead.",
    "Expected new combo.": "Consider starting a new combo here.",
    "Unexpected new combo.": "Consider removing this new combo.",
    "Expected end of slider repeats.": "Consider fewer slider repeats.",
    "Hit object likely not snapped to a beat.": "Check this object's snapping.",
    "Expected end of beatmap.": "Check whether the map should end here.",
    "Unexpected kiai section start.": "Check where this kiai section starts.",
    "Unexpected kiai section end.": "Check where this kiai section ends.",
}


def _advice(message: str) -> str:
    """The concrete change to consider: the model's most likely alternative, or what to check."""
    if message in _ADVICE:
        return _ADVICE[message]
    if message.startswith("Expected a ") and " instead of " in message:
        return f"Consider a {message[len('Expected a '):message.index(' instead of ')]} here."
    if message.startswith("Expected ") and " instead of " in message:
        return f"Consider {message[len('Expected '):message.index(' instead of ')]} (the model's most likely choice)."
    return "Check the timing here (BPM, offset, meter)."  # the remaining texts are all about beats and measures


# --- one call ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MaiModOptions:
    """Everything a MaiMod run can be told."""

    threshold: float = DEFAULT_THRESHOLD  # minimum relative surprisal R (importance R/10 ≥ 2 by default)
    per_category: int | None = DEFAULT_PER_CATEGORY  # findings kept per category (None = all)
    batch_size: int | None = None  # windows per forward pass; None: default_batch_size(model)
    difficulty: float | None = None  # star rating; None = `star_rating` of the map when it can be computed


def star_rating(data: bytes, mode: int) -> float | None:
    """osu!standard star rating rounded to 2 decimals (the reference's conditioning), when rosu-pp is installed."""
    if mode != 0:
        return None
    try:
        import rosu_pp_py
    except ImportError:
        return None
    try:
        return round(float(rosu_pp_py.Difficulty().calculate(rosu_pp_py.Beatmap(bytes=data)).stars), 2)
    except Exception:  # a map rosu-pp cannot read still gets modded, with an unknown difficulty
        return None


def mai_mod(model: Mapperatorinator, beatmap: Beatmap, audio: np.ndarray, options: MaiModOptions = MaiModOptions(),
            progress: Progress | None = None, cancel: CancelToken | None = None) -> list[Finding]:
    """Score a map against its song and return the suggestions as findings, most important first."""
    difficulty = options.difficulty
    if difficulty is None:
        difficulty = star_rating(beatmap.to_bytes(), beatmap.mode)
    scored = score_beatmap(model, beatmap, audio, difficulty, options.batch_size, progress, cancel)
    found = suggestions(scored, beatmap, model.checkpoint.tokenizer, options.threshold)
    return findings(found, beatmap.path, beatmap.metadata.version, options.per_category)
