"""Token ids of a checkpoint: events ↔ ids and the prompt's metadata tokens, read from its tokenizer.json.

The checkpoint's `tokenizer.json` is authoritative for every id (model.md §4.9); the version profile
(`engine.events`) is only used to say which published version it is. Bad values raise
`VocabularyError` naming the field, the allowed range and what to do; nothing here clips silently
except where the reference clips (difficulty, cs, song length, global SV, ratios).

This module never reads beatmaps or builds prompts (that is `engine.contexts` / `engine.prompts`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from engine.events import PROFILES, ContextType, Event, EventRange, EventType, VersionProfile

PAD = 0
SOS = 1
EOS = 2


class VocabularyError(ValueError):
    """A value or id that the checkpoint's vocabulary cannot represent."""


@dataclass(frozen=True)
class Tokenizer:
    """The id layout and conditioning tables of one checkpoint."""

    offset: int
    context_sos: dict[ContextType, int]
    context_eos: dict[ContextType, int]
    output_ranges: tuple[EventRange, ...]
    input_ranges: tuple[EventRange, ...]
    event_start: dict[EventType, int]
    event_end: dict[EventType, int]  # exclusive
    vocab_size_out: int
    vocab_size_in: int
    num_mapper_classes: int
    mapper_idx: dict[int, int]  # user id → mapper class; removed users are absent
    beatmap_mapper: dict[int, int]  # beatmap id → user id
    num_descriptor_classes: int
    descriptor_idx: dict[str, int]  # tag name → descriptor class
    beatmap_descriptors: dict[int, tuple[int, ...]]  # beatmap id → descriptor classes
    source: str = "<tokenizer>"

    @classmethod
    def load(cls, path: str | Path) -> Tokenizer:
        """Read `tokenizer.json` (a file, or the checkpoint folder holding it)."""
        path = Path(path)
        if path.is_dir():
            path = path / "tokenizer.json"
        try:
            state = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise VocabularyError(f"{path}: cannot read tokenizer.json ({exc}); re-download the checkpoint") from exc
        return cls.from_state(state, source=str(path))

    @classmethod
    def from_state(cls, state: dict, source: str = "<tokenizer>") -> Tokenizer:
        """Build from the `Tokenizer.state_dict` object (integer keys are JSON strings)."""
        try:
            def ranges(key: str) -> tuple[EventRange, ...]:
                return tuple(EventRange(EventType(r["type"]), int(r["min_value"]), int(r["max_value"]))
                             for r in state.get(key, []))

            tok = cls(
                offset=int(state.get("offset", 3)),
                context_sos={ContextType(k): int(v) for k, v in state.get("context_sos", {}).items()},
                context_eos={ContextType(k): int(v) for k, v in state.get("context_eos", {}).items()},
                output_ranges=ranges("event_ranges"),
                input_ranges=ranges("input_event_ranges"),
                event_start={EventType(k): int(v) for k, v in state["event_start"].items()},
                event_end={EventType(k): int(v) for k, v in state["event_end"].items()},
                vocab_size_out=int(state["vocab_size_out"]),
                vocab_size_in=int(state["vocab_size_in"]),
                num_mapper_classes=int(state.get("num_mapper_classes", 0)),
                mapper_idx={int(k): int(v) for k, v in state.get("mapper_idx", {}).items()},
                beatmap_mapper={int(k): int(v) for k, v in state.get("beatmap_mapper", {}).items()},
                num_descriptor_classes=int(state.get("num_descriptor_classes", 0)),
                descriptor_idx={str(k): int(v) for k, v in state.get("descriptor_idx", {}).items()},
                beatmap_descriptors={int(k): tuple(int(i) for i in v)
                                     for k, v in state.get("beatmap_descriptors", {}).items()},
                source=source,
            )
        except (KeyError, ValueError, TypeError) as exc:
            raise VocabularyError(f"{source}: not a Mapperatorinator tokenizer.json ({exc!r})") from exc
        tok._check_layout()
        return tok

    def _check_layout(self) -> None:
        """The stored starts must follow from the range order (model.md §4.1)."""
        next_id = self.offset
        for r in self.output_ranges + self.input_ranges:
            if self.event_start.get(r.type) != next_id or self.event_end.get(r.type) != next_id + r.size:
                raise VocabularyError(f"{self.source}: event_start/event_end of {r.type.value!r} disagree "
                                      f"with the order of event_ranges; the file is damaged")
            next_id += r.size
            if r in self.output_ranges and next_id > self.vocab_size_out:
                raise VocabularyError(f"{self.source}: output range {r.type.value!r} exceeds vocab_size_out")
        if next_id != self.vocab_size_in:
            raise VocabularyError(f"{self.source}: ranges end at {next_id}, vocab_size_in is {self.vocab_size_in}")

    # --- layout -------------------------------------------------------------------------------

    @property
    def profile(self) -> VersionProfile:
        """The published version this vocabulary belongs to (found by its output vocabulary size)."""
        for profile in PROFILES.values():
            if profile.vocab_size_out == self.vocab_size_out:
                return profile
        raise VocabularyError(f"{self.source}: vocab_size_out {self.vocab_size_out} is no supported version "
                              f"(v30 4607, v31 5650, v32 4097)")

    @cached_property
    def event_range(self) -> dict[EventType, EventRange]:
        return {r.type: r for r in self.output_ranges + self.input_ranges}

    @cached_property
    def _events_by_id(self) -> tuple[Event, ...]:
        return tuple(Event(r.type, v) for r in self.output_ranges + self.input_ranges
                     for v in range(r.min_value, r.max_value + 1))

    @property
    def time_shift_ids(self) -> range:
        """Ids of TIME_SHIFT values min..max, in order."""
        return range(self.event_start[EventType.TIME_SHIFT], self.event_end[EventType.TIME_SHIFT])

    def has(self, event_type: EventType) -> bool:
        return event_type in self.event_start

    # --- events ↔ ids -------------------------------------------------------------------------

    def encode(self, event: Event) -> int:
        """Id of an event; a type the model lacks or a value outside its range is an error."""
        r = self.event_range.get(event.type)
        if r is None:
            raise VocabularyError(f"this model ({self.profile.name}) has no {event.type.value!r} tokens")
        if not r.min_value <= event.value <= r.max_value:
            raise VocabularyError(f"{event.type.value} value {event.value} is outside {r.min_value}..{r.max_value}"
                                  f" for this model ({self.profile.name})")
        return self.event_start[event.type] + event.value - r.min_value

    def is_event(self, token_id: int) -> bool:
        return self.offset <= token_id < self.vocab_size_in

    def decode(self, token_id: int) -> Event:
        """The event an id stands for; PAD/SOS/EOS and context delimiters are not events."""
        if not self.is_event(token_id):
            raise VocabularyError(f"id {token_id} is {self.name_of(token_id)}, not an event "
                                  f"(events are {self.offset}..{self.vocab_size_in - 1})")
        return self._events_by_id[token_id - self.offset]

    def name_of(self, token_id: int) -> str:
        """Readable name of any id, as the reference prints it (`t:45`, `SOS`, `SOS_timing`)."""
        if self.is_event(token_id):
            return str(self.decode(token_id))
        specials = {PAD: "PAD", SOS: "SOS", EOS: "EOS"}
        specials.update({v: f"SOS_{k.value}" for k, v in self.context_sos.items()})
        specials.update({v: f"EOS_{k.value}" for k, v in self.context_eos.items()})
        if token_id in specials:
            return specials[token_id]
        raise VocabularyError(f"id {token_id} is outside this vocabulary (0..{self.vocab_size_in - 1})")

    # --- metadata tokens (model.md §4.8) ------------------------------------------------------

    def _unknown(self, event_type: EventType) -> int:
        return self.encode(Event(event_type, self._range(event_type).max_value))

    def _range(self, event_type: EventType) -> EventRange:
        r = self.event_range.get(event_type)
        if r is None:
            raise VocabularyError(f"this model ({self.profile.name}) has no {event_type.value!r} token")
        return r

    def encode_gamemode(self, gamemode: int) -> int:
        if gamemode not in (0, 1, 2, 3):
            raise VocabularyError(f"gamemode {gamemode!r} is not 0 (osu!), 1 (taiko), 2 (catch) or 3 (mania)")
        return self.encode(Event(EventType.GAMEMODE, gamemode))

    def encode_difficulty(self, stars: float | None) -> int:
        """Star rating → int(2·stars) clipped to 0..23; None → unknown."""
        return self._encode_half_steps(EventType.DIFFICULTY, "difficulty (star rating)", stars)

    def _encode_half_steps(self, event_type: EventType, field: str, value: float | None) -> int:
        """int(2·value) clipped below the unknown class; None → unknown (difficulty, circle size)."""
        if value is None:
            return self._unknown(event_type)
        _check_finite(field, value)
        top = self._range(event_type).max_value - 1
        return self.encode(Event(event_type, min(max(int(value * 2), 0), top)))

    def mapper_class(self, user_id: int | None) -> int | None:
        """The mapper class of an osu! user id; None when the model does not know (or removed) that user."""
        if user_id is not None and (isinstance(user_id, bool) or not isinstance(user_id, int) or user_id < 0):
            raise VocabularyError(f"mapper id {user_id!r} is not an osu! user id (a non-negative integer)")
        return None if user_id is None else self.mapper_idx.get(user_id)

    def encode_mapper(self, user_id: int | None) -> int:
        idx = self.mapper_class(user_id)
        return self._unknown(EventType.MAPPER) if idx is None else self.encode(Event(EventType.MAPPER, idx))

    def encode_year(self, year: int | None) -> int:
        """A year the model was trained on; None → unknown. The reference does not clip years."""
        if year is None:
            return self._unknown(EventType.YEAR)
        return self._encode_exact(EventType.YEAR, "year", year, unknown_is_top=True)

    def _encode_exact(self, event_type: EventType, field: str, value: int, unknown_is_top: bool) -> int:
        """An integer taken as is; outside the known values is an error naming them."""
        r = self._range(event_type)
        top = r.max_value - 1 if unknown_is_top else r.max_value
        if isinstance(value, bool) or not isinstance(value, int) or not r.min_value <= value <= top:
            hint = "; leave it empty for unknown" if unknown_is_top else ""
            raise VocabularyError(f"{field} {value!r} is outside the values this model ({self.profile.name}) "
                                  f"knows ({r.min_value}..{top}){hint}")
        return self.encode(Event(event_type, value))

    def encode_hitsounded(self, hitsounded: bool) -> int:
        return self.encode(Event(EventType.HITSOUNDED, int(bool(hitsounded))))

    def encode_song_length(self, song_length_ms: float) -> int:
        """10 s buckets, clipped to 0..60."""
        _check_finite("song length (ms)", song_length_ms)
        return self.encode(Event(EventType.SONG_LENGTH, int(min(max(song_length_ms // 10000, 0), 60))))

    def encode_song_position(self, frame_time_ms: float, song_length_ms: float) -> int:
        """Window start as a fraction of the song: −1 at or before 0, 101 at or after the end."""
        _check_finite("song length (ms)", song_length_ms)
        if song_length_ms <= 0:
            raise VocabularyError(f"song length {song_length_ms} ms must be positive")
        return self.encode(Event(EventType.SONG_POSITION, ratio_class(frame_time_ms / song_length_ms, 100)))

    def encode_global_sv(self, slider_multiplier: float) -> int:
        _check_finite("slider multiplier", slider_multiplier)
        return self.encode(Event(EventType.GLOBAL_SV, round(min(max(slider_multiplier, 0.4), 3.6) * 100)))

    def encode_cs(self, circle_size: float | None) -> int:
        """int(2·cs) clipped to 0..20; None → unknown."""
        return self._encode_half_steps(EventType.CS, "circle size", circle_size)

    def encode_keycount(self, keycount: int) -> int:
        return self._encode_exact(EventType.MANIA_KEYCOUNT, "mania key count", keycount, unknown_is_top=False)

    def encode_hold_note_ratio(self, ratio: float | None) -> int:
        return self._encode_ratio(EventType.HOLD_NOTE_RATIO, ratio)

    def encode_scroll_speed_ratio(self, ratio: float | None) -> int:
        return self._encode_ratio(EventType.SCROLL_SPEED_RATIO, ratio)

    def _encode_ratio(self, event_type: EventType, ratio: float | None) -> int:
        if ratio is None:
            return self._unknown(event_type)
        _check_finite(event_type.value, ratio)
        return self.encode(Event(event_type, ratio_class(ratio, 10)))

    def descriptor_class(self, name: str) -> int:
        idx = self.descriptor_idx.get(name)
        if idx is None:
            raise VocabularyError(f"descriptor {name!r} is unknown to this model ({self.profile.name}); "
                                  f"known ones look like {sorted(self.descriptor_idx)[:3]}")
        return idx

    def encode_descriptors(self, names: Iterable[str]) -> list[int]:
        """One token per descriptor name; none → the single unknown descriptor."""
        ids = [self.encode(Event(EventType.DESCRIPTOR, self.descriptor_class(n))) for n in names]
        return ids or [self._unknown(EventType.DESCRIPTOR)]


def ratio_class(ratio: float, resolution: int) -> int:
    """r ≤ 0 → −1; r ≥ 1 → resolution+1; else round(resolution·r) (half to even) clipped to 0..resolution."""
    if ratio <= 0:
        return -1
    if ratio >= 1:
        return resolution + 1
    return min(max(round(ratio * resolution), 0), resolution)


def _check_finite(field: str, value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise VocabularyError(f"{field} must be a finite number, got {value!r}")
