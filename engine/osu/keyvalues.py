"""Typed views of the key/value sections: [General], [Editor], [Metadata], [Difficulty].

Values are read the way lazer reads them (split at the first `:`, both sides trimmed, exact-case keys, last
line wins, a value that does not parse is skipped and reported) and keep the client's default when absent.
Values are reported as written, not clamped: checks need to see an OD of 11. Unknown keys stay in the
document only. This module must never change a line; edits go through `engine.osu.edits`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from engine.osu.construct import fast_constructor
from engine.osu.errors import Problem
from engine.osu.numbers import parse_float, parse_int

SAMPLE_SETS = {"None": 0, "Normal": 1, "Soft": 2, "Drum": 3}
COUNTDOWNS = {"None": 0, "Normal": 1, "HalfSpeed": 2, "DoubleSpeed": 3}
OVERLAY_POSITIONS = ("NoChange", "Below", "Above")


def _bool(text: str) -> bool:
    return parse_int(text) == 1


def _sample_set(text: str) -> str:
    if text in SAMPLE_SETS:
        return text
    number = parse_int(text)
    names = {number: name for name, number in SAMPLE_SETS.items()}
    if number not in names:
        raise ValueError(f"unknown sample set {text!r}")
    return names[number]


def _countdown(text: str) -> int:
    return COUNTDOWNS[text] if text in COUNTDOWNS else parse_int(text)


def _overlay(text: str) -> str:
    if text not in OVERLAY_POSITIONS:
        raise ValueError(f"unknown overlay position {text!r}")
    return text


def _mode(text: str) -> int:
    mode = parse_int(text)
    if not 0 <= mode <= 3:
        raise ValueError(f"mode {mode} names no ruleset (0 osu!, 1 taiko, 2 catch, 3 mania)")
    return mode


def _ints(text: str) -> tuple[int, ...]:
    """Comma-separated integers; entries that do not parse are dropped, as lazer drops them."""
    values = []
    for part in text.split(","):
        try:
            values.append(parse_int(part))
        except ValueError:
            continue
    return tuple(values)


def _floats(text: str) -> tuple[float, ...]:
    return tuple(parse_float(part) for part in text.split(",") if part.strip())


def _text(text: str) -> str:
    return text


@dataclass(frozen=True, slots=True)
class General:
    """[General]. `countdown` defaults to stable's 1 (lazer's is 0)."""

    audio_filename: str = ""
    audio_lead_in: int = 0
    audio_hash: str = ""
    preview_time: int = -1
    countdown: int = 1
    sample_set: str = "Normal"
    sample_volume: int = 100
    stack_leniency: float = 0.7
    mode: int = 0
    letterbox_in_breaks: bool = False
    story_fire_in_front: bool = True
    use_skin_sprites: bool = False
    always_show_playfield: bool = False
    overlay_position: str = "NoChange"
    skin_preference: str = ""
    epilepsy_warning: bool = False
    countdown_offset: int = 0
    special_style: bool = False
    widescreen_storyboard: bool = False
    samples_match_playback_rate: bool = False
    editor_bookmarks: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class Editor:
    """[Editor]: editor-only settings."""

    bookmarks: tuple[int, ...] = ()
    distance_spacing: float = 1.0
    beat_divisor: int = 4
    grid_size: int = 4
    timeline_zoom: float = 1.0
    velocity_presets: tuple[float, ...] = ()
    current_time: int = 0


@dataclass(frozen=True, slots=True)
class Metadata:
    """[Metadata]. `beatmap_id` defaults to stable's 0 (lazer's is -1)."""

    title: str = ""
    title_unicode: str = ""
    artist: str = ""
    artist_unicode: str = ""
    creator: str = ""
    version: str = ""
    source: str = ""
    tags: str = ""
    beatmap_id: int = 0
    beatmap_set_id: int = -1

    @property
    def tag_list(self) -> tuple[str, ...]:
        return tuple(self.tags.split())


@dataclass(frozen=True, slots=True)
class Difficulty:
    """[Difficulty] as written (not clamped). `approach_rate` is OD when no ApproachRate line exists."""

    hp_drain_rate: float = 5.0
    circle_size: float = 5.0
    overall_difficulty: float = 5.0
    approach_rate: float = 5.0
    slider_multiplier: float = 1.4
    slider_tick_rate: float = 1.0
    has_approach_rate: bool = field(default=False, repr=False)


Reader = Callable[[str], Any]

GENERAL_KEYS: dict[str, tuple[str, Reader]] = {
    "AudioFilename": ("audio_filename", _text),
    "AudioLeadIn": ("audio_lead_in", parse_int),
    "AudioHash": ("audio_hash", _text),
    "PreviewTime": ("preview_time", parse_int),
    "Countdown": ("countdown", _countdown),
    "SampleSet": ("sample_set", _sample_set),
    "SampleVolume": ("sample_volume", parse_int),
    "StackLeniency": ("stack_leniency", parse_float),
    "Mode": ("mode", _mode),
    "LetterboxInBreaks": ("letterbox_in_breaks", _bool),
    "StoryFireInFront": ("story_fire_in_front", _bool),
    "UseSkinSprites": ("use_skin_sprites", _bool),
    "AlwaysShowPlayfield": ("always_show_playfield", _bool),
    "OverlayPosition": ("overlay_position", _overlay),
    "SkinPreference": ("skin_preference", _text),
    "EpilepsyWarning": ("epilepsy_warning", _bool),
    "CountdownOffset": ("countdown_offset", parse_int),
    "SpecialStyle": ("special_style", _bool),
    "WidescreenStoryboard": ("widescreen_storyboard", _bool),
    "SamplesMatchPlaybackRate": ("samples_match_playback_rate", _bool),
    "EditorBookmarks": ("editor_bookmarks", _ints),
}
EDITOR_KEYS: dict[str, tuple[str, Reader]] = {
    "Bookmarks": ("bookmarks", _ints),
    "DistanceSpacing": ("distance_spacing", parse_float),
    "BeatDivisor": ("beat_divisor", parse_int),
    "GridSize": ("grid_size", parse_int),
    "TimelineZoom": ("timeline_zoom", parse_float),
    "VelocityPresets": ("velocity_presets", _floats),
    "CurrentTime": ("current_time", parse_int),
}
METADATA_KEYS: dict[str, tuple[str, Reader]] = {
    "Title": ("title", _text),
    "TitleUnicode": ("title_unicode", _text),
    "Artist": ("artist", _text),
    "ArtistUnicode": ("artist_unicode", _text),
    "Creator": ("creator", _text),
    "Version": ("version", _text),
    "Source": ("source", _text),
    "Tags": ("tags", _text),
    "BeatmapID": ("beatmap_id", parse_int),
    "BeatmapSetID": ("beatmap_set_id", parse_int),
}
DIFFICULTY_KEYS: dict[str, tuple[str, Reader]] = {
    "HPDrainRate": ("hp_drain_rate", parse_float),
    "CircleSize": ("circle_size", parse_float),
    "OverallDifficulty": ("overall_difficulty", parse_float),
    "ApproachRate": ("approach_rate", parse_float),
    "SliderMultiplier": ("slider_multiplier", parse_float),
    "SliderTickRate": ("slider_tick_rate", parse_float),
}
SECTION_KEYS = {"General": GENERAL_KEYS, "Editor": EDITOR_KEYS, "Metadata": METADATA_KEYS,
                "Difficulty": DIFFICULTY_KEYS}


def split_key_value(text: str) -> tuple[str, str] | None:
    """`Key: value` → ('Key', 'value'), both trimmed; None for a line without a colon."""
    key, colon, value = text.partition(":")
    if not colon:
        return None
    return key.strip(), value.strip()


def read_values(section: str, pairs: Iterable[tuple[int, str, str]], problems: list[Problem],
                line_text: Callable[[int], str]) -> dict[str, Any]:
    """Parse (line index, key, raw value) triples of one section into attribute values; last valid line wins."""
    keys = SECTION_KEYS[section]
    values: dict[str, Any] = {}
    for index, key, raw in pairs:
        spec = keys.get(key)
        if spec is None:
            continue
        attribute, reader = spec
        try:
            value = reader(raw)
        except (ValueError, KeyError) as error:
            problems.append(Problem(index + 1, line_text(index), f"[{section}] {key}: {error}; osu! skips it"))
            continue
        values[attribute] = value
        if section == "Difficulty":
            if key == "ApproachRate":
                values["has_approach_rate"] = True
            elif key == "OverallDifficulty" and not values.get("has_approach_rate"):
                values["approach_rate"] = value
    return values


def build(cls: type, values: dict[str, Any]) -> Any:
    """Instantiate one of the dataclasses above from `read_values` output (every name it gives is a field)."""
    return _constructor(cls)(**values)


@cache
def _constructor(cls: type) -> Callable[..., Any]:
    return fast_constructor(cls)
