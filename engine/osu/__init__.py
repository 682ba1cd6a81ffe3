"""engine.osu: the lossless .osu document — read any beatmap osu! loads, look at it through typed views,
edit it line by line and write back exactly what did not change.

    from engine.osu import read_beatmap, set_value, end_time
    beatmap = read_beatmap("map.osu")
    beatmap.version, beatmap.mode, beatmap.difficulty.overall_difficulty
    beatmap.timing_points, beatmap.hit_objects, beatmap.events.breaks
    beatmap.to_bytes() == Path("map.osu").read_bytes()          # for an unedited document
    edited = set_value(beatmap, "Difficulty", "OverallDifficulty", "8")   # a new Beatmap; one line differs

Modules: `lines` (physical lines and terminators), `numbers` (.NET-compatible parse/format), `document`
(the Beatmap and its sections), `keyvalues`/`timing`/`hitobjects`/`events`/`colours` (typed views),
`derived` (slider timing, mania columns, combos, snap), `edits` (line-level patches), `errors`.

Only `OsuFormatError` is raised for bad content, and only for files osu! itself cannot load (no non-blank
line, a version that is not an int32, UTF-16/32 text); lines osu! skips are kept verbatim and listed in
`beatmap.problems`. Edits that cannot be written (an object outside the replaced range, one that was not
read from the document) raise it too.

Reading rules, in short: lines are read as lazer reads them (comments, trimming, per-line rejection, the
coordinate limit of ±131072), values are reported as written (not clamped, times not shifted by the v3/v4
+24 ms — see `audio_offset`), absent keys take stable's defaults (Countdown 1, BeatmapID 0), unknown sections
are kept but not read, and nothing is ever sorted: views are in file order, `sorted_objects` sorts as osu!
does.
"""

from engine.osu.colours import Colours
from engine.osu.derived import (
    Combo,
    Snap,
    audio_offset,
    beat_snap,
    combos,
    drain_time,
    end_time,
    mania_column,
    mania_key_count,
    mania_x,
    needs_path_length,
    play_time,
    slider_velocity,
    sorted_objects,
)
from engine.osu.document import Beatmap, Section, parse_beatmap, read_beatmap
from engine.osu.edits import (
    add_hit_objects,
    add_timing_points,
    edit_lines,
    remove_hit_objects,
    remove_timing_points,
    replace_hit_objects,
    replace_timing_points,
    set_value,
    update_hit_objects,
    update_timing_points,
)
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
    "Combo",
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
    "Snap",
    "Spinner",
    "TimingIndex",
    "TimingPoint",
    "Video",
    "add_hit_objects",
    "add_timing_points",
    "audio_offset",
    "beat_snap",
    "combos",
    "drain_time",
    "edit_lines",
    "end_time",
    "mania_column",
    "mania_key_count",
    "mania_x",
    "needs_path_length",
    "parse_beatmap",
    "play_time",
    "read_beatmap",
    "remove_hit_objects",
    "remove_timing_points",
    "replace_hit_objects",
    "replace_timing_points",
    "set_value",
    "slider_velocity",
    "sorted_objects",
    "update_hit_objects",
    "update_timing_points",
]
