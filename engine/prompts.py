"""Window ↔ ids: the decoder prompt of one audio window, and generated ids back to events.

Follows `Processor.get_prompt` / `get_class_vector` / `_decode` of the reference (pipeline.md
§2.3.2–2.3.3, §2.6; model.md §4.8). Event lists come from `engine.contexts` with absolute times; here
they are sliced to the window and turned into ids, TIME_SHIFT relative to the window start. v30 has
no class tokens: its conditioning is `model_kwargs` for the encoder.

This module never reads files or runs the model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from engine.events import ContextEvents, ContextType, Event, EventType
from engine.tokenizer import EOS, SOS, Tokenizer

DEFAULT_DIFFICULTY = 5.0  # the v30 encoder's difficulty when none is known
DEFAULT_SCROLL_SPEED = 100
DEFAULT_KIAI = 0


@dataclass(frozen=True)
class Conditioning:
    """What a generation is conditioned on (the reference's GenerationConfig); None = unknown."""

    gamemode: int = 0
    difficulty: float | None = None  # star rating
    mapper_id: int | None = None  # osu! user id
    year: int | None = None
    hitsounded: bool = True
    circle_size: float | None = None
    slider_multiplier: float = 1.4
    keycount: int = 4
    hold_note_ratio: float | None = None
    scroll_speed_ratio: float | None = None
    descriptors: tuple[str, ...] = ()
    negative_descriptors: tuple[str, ...] = ()


def class_token_ids(tok: Tokenizer, cond: Conditioning, song_length_ms: float, negative: bool = False) -> list[int]:
    """Class tokens in training order, each only if the model has it (pipeline.md §2.6).

    The negative vector swaps in the negative descriptors and keeps the mapper only when descriptors
    or negative descriptors were given (otherwise the guidance would be mapper vs. no mapper).
    """
    mode = cond.gamemode
    ids = [tok.encode_gamemode(mode)] if tok.has(EventType.GAMEMODE) else []
    if tok.has(EventType.DIFFICULTY):
        ids.append(tok.encode_difficulty(cond.difficulty))
    if tok.has(EventType.MAPPER):
        keep_mapper = not negative or bool(cond.descriptors or cond.negative_descriptors)
        ids.append(tok.encode_mapper(cond.mapper_id if keep_mapper else None))
    if tok.has(EventType.YEAR):
        ids.append(tok.encode_year(cond.year))
    if tok.has(EventType.HITSOUNDED):
        ids.append(tok.encode_hitsounded(cond.hitsounded))
    if tok.has(EventType.SONG_LENGTH):
        ids.append(tok.encode_song_length(song_length_ms))
    if mode in (0, 2) and tok.has(EventType.GLOBAL_SV) and tok.profile.add_sv:
        ids.append(tok.encode_global_sv(cond.slider_multiplier))
    if mode in (0, 2) and tok.has(EventType.CS):
        ids.append(tok.encode_cs(cond.circle_size))
    if mode == 3 and tok.has(EventType.MANIA_KEYCOUNT):
        ids += [tok.encode_keycount(cond.keycount), tok.encode_hold_note_ratio(cond.hold_note_ratio)]
    if mode in (1, 3) and tok.has(EventType.SCROLL_SPEED_RATIO):
        ids.append(tok.encode_scroll_speed_ratio(cond.scroll_speed_ratio))
    if tok.has(EventType.DESCRIPTOR):
        ids += tok.encode_descriptors(cond.negative_descriptors if negative else cond.descriptors)
    return ids


def special_token_ids(tok: Tokenizer, contexts: Sequence[ContextEvents], frame_time: int,
                      song_length_ms: float) -> list[int]:
    """The extra special tokens the model was trained with, in the order last_kiai, last_sv, song_position.

    last_kiai is the last KIAI event before the window in the KIAI context (default 0, v31); last_sv
    the last SCROLL_SPEED before the window in the SV context, or in MAP when there is no SV context
    (default 100, v31/v32).
    """
    by_type = {c.type: c for c in contexts}
    ids = []
    if tok.has(EventType.KIAI):
        last = _last_before(by_type.get(ContextType.KIAI), EventType.KIAI, frame_time, DEFAULT_KIAI)
        ids.append(tok.encode(Event(EventType.KIAI, last)))
    if tok.profile.add_sv and tok.context_sos:
        source = by_type.get(ContextType.SV) or by_type.get(ContextType.MAP)
        last = _last_before(source, EventType.SCROLL_SPEED, frame_time, DEFAULT_SCROLL_SPEED)
        ids.append(tok.encode(Event(EventType.SCROLL_SPEED, last)))
    if tok.has(EventType.SONG_POSITION):
        ids.append(tok.encode_song_position(frame_time, song_length_ms))
    return ids


def _last_before(ctx: ContextEvents | None, event_type: EventType, time: int, default: int) -> int:
    """Value of the last event of a type (in list order) whose time is below `time`."""
    if ctx is None:
        return default
    for i in range(ctx.count_before(time) - 1, -1, -1):
        if ctx.events[i].type == event_type and ctx.times[i] < time:
            return ctx.events[i].value
    return default


def window_slice(ctx: ContextEvents, frame_time: int, window_ms: float) -> tuple[int, int]:
    """[start, end) of the window's events: after the last event before frame_time, up to the last
    event before frame_time + window_ms (for time-sorted events: those in [frame_time, +window_ms))."""
    return ctx.count_before(frame_time), ctx.count_before(frame_time + window_ms)


def window_token_ids(tok: Tokenizer, events: Sequence[Event], frame_time: int) -> list[int]:
    """Ids of events inside a window; TIME_SHIFT becomes int((t − frame_time)/10), clipped to its range."""
    shift = tok.event_range[EventType.TIME_SHIFT]
    ids = []
    for e in events:
        if e.type == EventType.TIME_SHIFT:
            steps = int((e.value - frame_time) / 10)
            e = Event(EventType.TIME_SHIFT, min(max(steps, shift.min_value), shift.max_value))
        ids.append(tok.encode(e))
    return ids


def build_prompt(tok: Tokenizer, head_ids: Sequence[int], context_ids: Sequence[tuple[ContextType, list[int]]],
                 max_length: int,
                 in_context_ids: Sequence[tuple[ContextType, Sequence[int], list[int]]] = ()) -> list[int]:
    """In-context blocks (sos, their own head, tokens, eos), head (class + special tokens), SOS, then
    each output context block; the last output block stays open.

    Models without context tokens (v30) get SOS followed by the tokens. While the prompt would reach
    `max_length`, every context's tokens are cut to their last max_length/2, /4, … (10 halvings at most).
    """
    for halvings in range(11):
        def cut(ids: list[int]) -> list[int]:
            return ids[max(len(ids) - (max_length >> halvings), 0):] if halvings else ids

        prompt = [t for ctx, own_head, ids in in_context_ids
                  for t in (tok.context_sos[ctx], *own_head, *cut(ids), tok.context_eos[ctx])]
        prompt += [*head_ids, SOS]
        for i, (ctx, ids) in enumerate(context_ids):
            if tok.context_sos:
                closing = [tok.context_eos[ctx]] if i < len(context_ids) - 1 else []
                prompt += [tok.context_sos[ctx], *cut(ids), *closing]
            else:
                prompt += cut(ids)
        if len(prompt) < max_length:
            return prompt
    raise ValueError(f"prompt is still {len(prompt)} tokens after cutting every context; the limit is {max_length}")


def window_prompt(tok: Tokenizer, cond: Conditioning, contexts: Sequence[ContextEvents], frame_time: int,
                  song_length_ms: float, negative: bool = False,
                  in_contexts: Sequence[ContextEvents] | None = None,
                  reference: Conditioning | None = None) -> list[int]:
    """The decoder prompt of one window: `contexts` are the output contexts so far, the last one open.

    `in_contexts` are reference blocks shown before the class tokens; None means no reference, which
    for v31 is the empty NONE block. NO_HS is a map without its hitsounds; GD (guest difficulty) is
    the reference map itself and opens with the reference's own class tokens (`reference`, from
    `conditioning_from_beatmap`) and its last scroll speed.
    """
    profile = tok.profile
    if in_contexts is None:
        in_contexts = [ContextEvents(ContextType.NONE, (), ())] if ContextType.NONE in tok.context_sos else []

    def window_ids(ctx: ContextEvents) -> list[int]:
        start, end = window_slice(ctx, frame_time, profile.window_ms)
        return window_token_ids(tok, ctx.events[start:end], frame_time)

    in_blocks = []
    for ctx in in_contexts:
        own_head: list[int] = []
        if ctx.type == ContextType.GD:
            if reference is None:
                raise ValueError("a GD (guest difficulty) reference needs its own conditioning: pass `reference`")
            own_head = class_token_ids(tok, reference, song_length_ms)
            if profile.add_sv and tok.context_sos:
                last = _last_before(ctx, EventType.SCROLL_SPEED, frame_time, DEFAULT_SCROLL_SPEED)
                own_head.append(tok.encode(Event(EventType.SCROLL_SPEED, last)))
        in_blocks.append((ctx.type, own_head, window_ids(ctx)))
    head = class_token_ids(tok, cond, song_length_ms, negative) + special_token_ids(tok, contexts, frame_time,
                                                                                   song_length_ms)
    return build_prompt(tok, head, [(ctx.type, window_ids(ctx)) for ctx in contexts], profile.tgt_seq_len,
                        in_blocks)


def model_kwargs(tok: Tokenizer, cond: Conditioning, frame_time: int, song_length_ms: float) -> dict[str, list]:
    """v30/v31 encoder conditioning of one window; empty for models that take it as tokens."""
    profile = tok.profile
    if not profile.encoder_conditioning:
        return {}
    mapper = tok.mapper_class(cond.mapper_id)
    return {
        "difficulty": [DEFAULT_DIFFICULTY if cond.difficulty is None else float(cond.difficulty)],
        "mapper_idx": [-1 if mapper is None else mapper],
        "song_position": [[frame_time / song_length_ms, (frame_time + profile.window_ms) / song_length_ms]],
    }


def events_from_ids(tok: Tokenizer, ids: Sequence[int], frame_time: int) -> list[Event]:
    """Generated ids of one window back to events with absolute times (pipeline.md §2.3.3 step 3).

    TIME_SHIFT v ≥ 0 becomes frame_time + 10·v + 5: encoding truncates, so the half step centres the
    decoded time in its 10 ms bucket. Decoding stops at EOS or a context EOS; PAD, SOS and context
    SOS ids carry no event and are skipped.
    """
    stops = {EOS, *tok.context_eos.values()}
    events = []
    for token_id in ids:
        if token_id in stops:
            break
        if not tok.is_event(token_id):
            continue
        e = tok.decode(token_id)
        if e.type == EventType.TIME_SHIFT:
            e = Event(EventType.TIME_SHIFT, frame_time + 10 * e.value + (5 if e.value >= 0 else 0))
        events.append(e)
    return events
