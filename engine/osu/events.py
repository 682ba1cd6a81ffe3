"""The gameplay-relevant part of [Events]: background, video and break periods.

Everything else in [Events] (storyboard sprites, animations, samples, commands, old colour events) is
opaque: it stays in the document byte for byte and is not interpreted here. Lines whose event type is not
a known name or number are storyboard/junk lines too. Reading follows lazer (quotes stripped from file
names, a "video" whose extension is not a video counts as the background, break end >= start).
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.osu.numbers import parse_float, parse_int

EVENT_TYPES = {"Background": 0, "Video": 1, "Break": 2, "Colour": 3, "Sprite": 4, "Sample": 5, "Animation": 6}
VIDEO_EXTENSIONS = (".mp4", ".mov", ".avi", ".flv", ".mpg", ".wmv", ".m4v", ".mkv", ".webm")


@dataclass(frozen=True, slots=True)
class Background:
    filename: str
    x_offset: float = 0.0
    y_offset: float = 0.0
    line: int | None = None


@dataclass(frozen=True, slots=True)
class Video:
    start_time: int
    filename: str
    x_offset: float = 0.0
    y_offset: float = 0.0
    line: int | None = None


@dataclass(frozen=True, slots=True)
class Break:
    start: float
    end: float
    line: int | None = None


@dataclass(frozen=True, slots=True)
class Events:
    """Background (the last background line wins), video and breaks in file order."""

    background: Background | None = None
    video: Video | None = None
    breaks: tuple[Break, ...] = ()


# Starts of [Events] lines that cannot be a background, video or break, whatever follows: storyboard commands
# (a space or `_`), storyboard objects and samples by name, and the type numbers 3-6 (any other text after
# such a start makes the name unknown, which is not an event either). The events view skips these lines
# before decoding them: in a storyboarded map they are almost all of [Events].
NOT_GAMEPLAY_EVENT_STARTS = (b" ", b"_", b"Sprite", b"Animation", b"Sample", b"Colour", b"3", b"4", b"5", b"6")


def event_type(text: str) -> int | None:
    """The type number of an event line, None for storyboard commands (leading space/underscore) and junk."""
    if text[:1] in (" ", "_"):
        return None
    name = text.split(",", 1)[0].strip()
    if name in EVENT_TYPES:
        return EVENT_TYPES[name]
    if name.isascii() and name.isdigit() and len(name) == 1 and int(name) in EVENT_TYPES.values():
        return int(name)
    return None


def clean_filename(text: str) -> str:
    """lazer's CleanFilename: strip quotes, undo a doubled backslash."""
    return text.strip().strip('"').replace("\\\\", "\\")


def _offsets(split: list[str]) -> tuple[float, float]:
    x = parse_float(split[3]) if len(split) > 3 and split[3].strip() else 0.0
    y = parse_float(split[4]) if len(split) > 4 and split[4].strip() else 0.0
    return x, y


def parse_event(text: str, kind: int, line: int | None = None) -> Background | Video | Break | None:
    """Read a Background, Video or Break line; None for other kinds. ValueError/IndexError where osu! skips it."""
    split = text.split(",")
    if kind == 0:
        return Background(clean_filename(split[2]), *_offsets(split), line=line)
    if kind == 1:
        filename = clean_filename(split[2])
        if not filename.lower().endswith(VIDEO_EXTENSIONS):
            return Background(filename, *_offsets(split), line=line)
        return Video(parse_int(split[1]), filename, *_offsets(split), line=line)
    if kind == 2:
        start = parse_float(split[1])
        return Break(start, max(start, parse_float(split[2])), line=line)
    return None
