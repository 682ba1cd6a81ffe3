"""The event vocabulary of the published Mapperatorinator checkpoints (v30, v31, v32, v32-mini).

An `Event` is one (type, value) pair of the token stream. The type strings are the ones the
reference serialises in `tokenizer.json`; a `VersionProfile` holds what each published version was
trained with (model.md §4.10), and `event_ranges` rebuilds its id layout by the construction rule of
model.md §4.2, which the checkpoint's own `tokenizer.json` must agree with.

This module holds data only: it never reads files and never maps events to ids (that is
`engine.tokenizer`).
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass
from enum import Enum
from functools import cached_property


class EventType(str, Enum):
    """Event types, valued by the reference's serialised names."""

    TIME_SHIFT = "t"
    SNAPPING = "snap"
    DISTANCE = "dist"
    NEW_COMBO = "new_combo"
    HITSOUND = "hitsound"
    VOLUME = "volume"
    CIRCLE = "circle"
    SPINNER = "spinner"
    SPINNER_END = "spinner_end"
    SLIDER_HEAD = "slider_head"
    BEZIER_ANCHOR = "bezier_anchor"
    PERFECT_ANCHOR = "perfect_anchor"
    CATMULL_ANCHOR = "catmull_anchor"
    RED_ANCHOR = "red_anchor"
    LAST_ANCHOR = "last_anchor"
    SLIDER_END = "slider_end"
    BEAT = "beat"
    MEASURE = "measure"
    TIMING_POINT = "timing_point"
    GAMEMODE = "gamemode"
    STYLE = "style"
    DIFFICULTY = "difficulty"
    MAPPER = "mapper"
    CS = "cs"
    YEAR = "year"
    HITSOUNDED = "hitsounded"
    SONG_LENGTH = "song_length"
    SONG_POSITION = "song_position"
    GLOBAL_SV = "global_sv"
    MANIA_KEYCOUNT = "keycount"
    HOLD_NOTE_RATIO = "hold_note_ratio"
    SCROLL_SPEED_RATIO = "scroll_speed_ratio"
    DESCRIPTOR = "descriptor"
    POS_X = "pos_x"
    POS_Y = "pos_y"
    POS = "pos"
    KIAI = "kiai"
    MANIA_COLUMN = "column"
    HOLD_NOTE = "hold_note"
    HOLD_NOTE_END = "hold_note_end"
    SCROLL_SPEED_CHANGE = "scroll_speed_change"
    SCROLL_SPEED = "scroll_speed"
    DRUMROLL = "drumroll"
    DRUMROLL_END = "drumroll_end"
    DENDEN = "denden"
    DENDEN_END = "denden_end"
    CONTROL = "control"  # pseudo-type for non-event ids (MaiMod); never encoded
    SLIDER_SUSTAIN = "slider_sustain"
    SLIDER_REPEAT_SUSTAIN = "slider_repeat_sustain"
    SPINNER_SUSTAIN = "spinner_sustain"
    HOLD_NOTE_SUSTAIN = "hold_note_sustain"
    DRUMROLL_SUSTAIN = "drumroll_sustain"
    DENDEN_SUSTAIN = "denden_sustain"
    POS_REFINE = "pos_refine"


class ContextType(str, Enum):
    """Context kinds a prompt is built from; each has its own SOS/EOS pair where the model uses them."""

    NONE = "none"
    TIMING = "timing"
    NO_HS = "no_hs"
    GD = "gd"
    MAP = "map"
    KIAI = "kiai"
    SV = "sv"


@dataclass(frozen=True)
class Event:
    """One token's meaning. TIME_SHIFT values are absolute ms in event lists, window steps in tokens."""

    type: EventType
    value: int = 0

    def __str__(self) -> str:
        return f"{self.type.value}:{self.value}"


@dataclass(frozen=True)
class ContextEvents:
    """The full event list of one context, with each event's absolute time in ms.

    Times are sorted except where the reference keeps a file's order (timing and SV contexts of maps
    whose timing lines are out of order); `count_before` works either way.
    """

    type: ContextType
    events: tuple[Event, ...]
    times: tuple[int, ...]

    @cached_property
    def _suffix_min(self) -> tuple[float, ...]:
        out, low = [], math.inf
        for t in reversed(self.times):
            low = min(low, t)
            out.append(low)
        return tuple(reversed(out))

    def count_before(self, time: float) -> int:
        """1 + the last index whose time is below `time` (0 if none): the reference's window bound."""
        return bisect.bisect_left(self._suffix_min, time)


@dataclass(frozen=True)
class EventRange:
    """An inclusive value range of one event type; its ids are consecutive."""

    type: EventType
    min_value: int
    max_value: int

    @property
    def size(self) -> int:
        return self.max_value - self.min_value + 1


# Object-type tokens; each closes a group when types_first is false.
OBJECT_TYPES: tuple[EventType, ...] = (
    EventType.CIRCLE, EventType.SPINNER, EventType.SPINNER_END, EventType.SLIDER_HEAD,
    EventType.BEZIER_ANCHOR, EventType.PERFECT_ANCHOR, EventType.CATMULL_ANCHOR, EventType.RED_ANCHOR,
    EventType.LAST_ANCHOR, EventType.SLIDER_END, EventType.BEAT, EventType.MEASURE,
)
ANCHOR_TYPES: frozenset[EventType] = frozenset({
    EventType.BEZIER_ANCHOR, EventType.PERFECT_ANCHOR, EventType.CATMULL_ANCHOR, EventType.RED_ANCHOR,
})
TIMING_TYPES: frozenset[EventType] = frozenset({EventType.BEAT, EventType.MEASURE, EventType.TIMING_POINT})

# Input-only (prompt) tokens in id order, with their value ranges; None = depends on the checkpoint.
_INPUT_ORDER: tuple[EventType, ...] = (
    EventType.GAMEMODE, EventType.STYLE, EventType.DIFFICULTY, EventType.MAPPER, EventType.CS,
    EventType.YEAR, EventType.HITSOUNDED, EventType.SONG_LENGTH, EventType.SONG_POSITION,
    EventType.DESCRIPTOR, EventType.MANIA_KEYCOUNT, EventType.HOLD_NOTE_RATIO,
    EventType.SCROLL_SPEED_RATIO, EventType.GLOBAL_SV,
)
NUM_DIFFICULTY_CLASSES = 24
NUM_CS_CLASSES = 21
YEAR_RANGE = (2007, 2077)  # 2077 = unknown


@dataclass(frozen=True)
class VersionProfile:
    """What one published version was trained with (model.md §4.10); not stored in checkpoints."""

    name: str
    src_seq_len: int
    tgt_seq_len: int
    vocab_size_out: int  # identifies the version from a tokenizer.json (independent of mappers/descriptors)
    gamemodes: tuple[int, ...]
    context_templates: tuple[tuple[tuple[ContextType, ...], tuple[ContextType, ...]], ...]
    add_out_context_types: bool
    types_first: bool
    add_distances: bool
    position_precision: int
    position_split_axes: bool
    position_refinement: int | None
    add_sv: bool  # per-slider SCROLL_SPEED token and the last_sv special token
    add_timing: bool  # beat/measure groups interleaved into the MAP context
    add_timing_points: bool
    slider_version: int
    sustain_interval_ms: int | None
    class_tokens: frozenset[EventType]  # prompt metadata the model knows
    encoder_conditioning: bool  # difficulty/mapper/song-position go to the encoder (v30, v31)

    @property
    def window_ms(self) -> float:
        """Audio window length L in ms: (src_seq_len − 1)·128 samples at 16 kHz."""
        return (self.src_seq_len - 1) * 128 / 16

    @property
    def max_time_shift(self) -> int:
        return int((self.src_seq_len - 1) * 128 * 1000 / 16000 / 10)

    @property
    def context_types(self) -> tuple[ContextType, ...]:
        """Context types with SOS/EOS ids, in first-seen order (model.md §4.2)."""
        seen: list[ContextType] = []
        for ins, outs in self.context_templates:
            for ctx in ins + (outs if self.add_out_context_types else ()):
                if ctx not in seen:
                    seen.append(ctx)
        return tuple(seen)


_ALL_MODES = (0, 1, 2, 3)
_V32_CLASS_TOKENS = frozenset({
    EventType.GAMEMODE, EventType.DIFFICULTY, EventType.MAPPER, EventType.YEAR, EventType.HITSOUNDED,
    EventType.SONG_LENGTH, EventType.SONG_POSITION, EventType.GLOBAL_SV, EventType.CS, EventType.DESCRIPTOR,
    EventType.MANIA_KEYCOUNT, EventType.HOLD_NOTE_RATIO, EventType.SCROLL_SPEED_RATIO,
})
_V31_CLASS_TOKENS = _V32_CLASS_TOKENS - {
    EventType.DIFFICULTY, EventType.MAPPER, EventType.SONG_LENGTH, EventType.SONG_POSITION,
}
_OUTS = (ContextType.TIMING, ContextType.KIAI, ContextType.MAP, ContextType.SV)

V30 = VersionProfile(
    name="v30", src_seq_len=4096, tgt_seq_len=5120, vocab_size_out=4607, gamemodes=(0,),
    context_templates=(((), (ContextType.MAP,)),), add_out_context_types=False, types_first=False,
    add_distances=True, position_precision=4, position_split_axes=True, position_refinement=None,
    add_sv=False, add_timing=True, add_timing_points=False, slider_version=1, sustain_interval_ms=None,
    class_tokens=frozenset(), encoder_conditioning=True,
)
V31 = VersionProfile(
    name="v31", src_seq_len=4096, tgt_seq_len=8192, vocab_size_out=5650, gamemodes=_ALL_MODES,
    context_templates=(
        ((ContextType.NONE,), _OUTS), ((ContextType.NO_HS,), _OUTS), ((ContextType.GD,), _OUTS),
    ),
    add_out_context_types=True, types_first=True, add_distances=True, position_precision=4,
    position_split_axes=True, position_refinement=None, add_sv=True, add_timing=False,
    add_timing_points=True, slider_version=1, sustain_interval_ms=None,
    class_tokens=_V31_CLASS_TOKENS, encoder_conditioning=True,
)
V32 = VersionProfile(
    name="v32", src_seq_len=2048, tgt_seq_len=2560, vocab_size_out=4097, gamemodes=_ALL_MODES,
    context_templates=(((), (ContextType.TIMING, ContextType.MAP, ContextType.SV)),),
    add_out_context_types=True, types_first=False, add_distances=False, position_precision=32,
    position_split_axes=False, position_refinement=2, add_sv=True, add_timing=False,
    add_timing_points=True, slider_version=2, sustain_interval_ms=8000,
    class_tokens=_V32_CLASS_TOKENS, encoder_conditioning=False,
)
PROFILES: dict[str, VersionProfile] = {"v30": V30, "v31": V31, "v32": V32, "v32-mini": V32}


def _uses_kiai(profile: VersionProfile) -> bool:
    return any(ContextType.KIAI in outs for _, outs in profile.context_templates)


def output_event_ranges(profile: VersionProfile) -> tuple[EventRange, ...]:
    """The ranges the decoder can predict, in id order (model.md §4.2, output list)."""
    ranges = [EventRange(EventType.TIME_SHIFT, 0, profile.max_time_shift), EventRange(EventType.SNAPPING, 0, 16)]
    if profile.add_distances:
        ranges.append(EventRange(EventType.DISTANCE, 0, 640))
    p = profile.position_precision
    if profile.position_split_axes:
        ranges += [EventRange(EventType.POS_X, -256 // p, 768 // p), EventRange(EventType.POS_Y, -256 // p, 640 // p)]
    else:
        x_count, y_count = 768 // p - (-256 // p) + 1, 640 // p - (-256 // p) + 1
        ranges.append(EventRange(EventType.POS, 0, x_count * y_count - 1))
        if profile.position_refinement:
            ranges.append(EventRange(EventType.POS_REFINE, 0, (p // profile.position_refinement) ** 2 - 1))
    modes = set(profile.gamemodes)
    if 3 in modes:
        ranges.append(EventRange(EventType.MANIA_COLUMN, 0, 17))
    if modes & {1, 3} or profile.add_sv:
        ranges.append(EventRange(EventType.SCROLL_SPEED, 0, 1000))
    ranges += [EventRange(EventType.NEW_COMBO, 0, 0), EventRange(EventType.HITSOUND, 0, 72),
               EventRange(EventType.VOLUME, 0, 100)]
    ranges += [EventRange(t, 0, 0) for t in OBJECT_TYPES]
    if profile.add_timing_points:
        ranges.append(EventRange(EventType.TIMING_POINT, 0, 0))
    if _uses_kiai(profile):
        ranges.append(EventRange(EventType.KIAI, 0, 1))
    sustain = profile.sustain_interval_ms is not None
    if sustain:
        ranges += [EventRange(t, 0, 0) for t in
                   (EventType.SLIDER_SUSTAIN, EventType.SLIDER_REPEAT_SUSTAIN, EventType.SPINNER_SUSTAIN)]
    if 3 in modes:
        ranges += [EventRange(t, 0, 0) for t in
                   (EventType.HOLD_NOTE, EventType.HOLD_NOTE_END, EventType.SCROLL_SPEED_CHANGE)]
        if sustain:
            ranges.append(EventRange(EventType.HOLD_NOTE_SUSTAIN, 0, 0))
    if 1 in modes:
        ranges += [EventRange(t, 0, 0) for t in
                   (EventType.DRUMROLL, EventType.DRUMROLL_END, EventType.DENDEN, EventType.DENDEN_END)]
        if sustain:
            ranges += [EventRange(EventType.DRUMROLL_SUSTAIN, 0, 0), EventRange(EventType.DENDEN_SUSTAIN, 0, 0)]
    return tuple(ranges)


def input_event_ranges(profile: VersionProfile, num_mappers: int, num_descriptors: int) -> tuple[EventRange, ...]:
    """The prompt-only ranges, in id order; the top value of each is its "unknown" (model.md §4.2)."""
    bounds = {
        EventType.GAMEMODE: (0, 3),
        EventType.DIFFICULTY: (0, NUM_DIFFICULTY_CLASSES),
        EventType.MAPPER: (0, num_mappers),
        EventType.CS: (0, NUM_CS_CLASSES),
        EventType.YEAR: YEAR_RANGE,
        EventType.HITSOUNDED: (0, 1),
        EventType.SONG_LENGTH: (0, 60),
        EventType.SONG_POSITION: (-1, 101),
        EventType.DESCRIPTOR: (0, num_descriptors),
        EventType.MANIA_KEYCOUNT: (1, 18),
        EventType.HOLD_NOTE_RATIO: (-1, 12),
        EventType.SCROLL_SPEED_RATIO: (-1, 12),
        EventType.GLOBAL_SV: (40, 360),
    }
    return tuple(EventRange(t, *bounds[t]) for t in _INPUT_ORDER if t in profile.class_tokens)
