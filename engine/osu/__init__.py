"""engine.osu: the lossless .osu document — read any beatmap osu! loads, look at it through typed views,
edit it line by line and write back exactly what did not change.

    from engine.osu import read_beatmap
    beatmap = read_beatmap("map.osu")
    beatmap.version, beatmap.mode, beatmap.difficulty.overall_difficulty
    beatmap.timing_points, beatmap.hit_objects, beatmap.events.breaks
    beatmap.to_bytes() == Path("map.osu").read_bytes()   # for an unedited document

Only `OsuFormatError` is raised for bad content, and only for files osu! itself cannot load; lines osu! skips
are kept verbatim and listed in `beatmap.problems`.
"""

from engine.osu.colours import Colours
from engine.osu.document import Beatmap, Section, parse_beatmap, read_beatmap
from engine.osu.errors import OsuFormatError, Problem
from engine.osu.events import Background, Break, Events, Video
from engine.osu.hitobjects import (
    Circle,
    CurveSegment,
    HitObject,
    HitSample,
    HoldNote,
    Slider,
    Spinner,
)
from engine.osu.keyvalues import Difficulty, Editor, General, Metadata
from engine.osu.timing import TimingIndex, TimingPoint

__all__ = [
    "Background",
    "Beatmap",
    "Break",
    "Circle",
    "Colours",
    "CurveSegment",
    "Difficulty",
    "Editor",
    "Events",
    "General",
    "HitObject",
    "HitSample",
    "HoldNote",
    "Metadata",
    "OsuFormatError",
    "Problem",
    "Section",
    "Slider",
    "Spinner",
    "TimingIndex",
    "TimingPoint",
    "Video",
    "parse_beatmap",
    "read_beatmap",
]
