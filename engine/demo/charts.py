"""The four demo difficulties, charted to the demo song (see synth.py) and written as stable writes v14.

The charts are hand-composed here as rhythm patterns per bar, following the song's sections and drums;
this script only turns them into .osu text: times on the 150 BPM grid (first beat 500 ms, so every 1/4
tick is a whole millisecond), osu!standard and catch positions by walking the playfield at the distance
the rhythm asks for, slider lengths that end on the grid. Output is CRLF without a BOM, `Key: value` in
[General]/[Editor] and `Key:value` in [Metadata]/[Difficulty], two blank lines after [TimingPoints].

Run ``python -m engine.demo.charts`` to rewrite the .osu files in ``mapset/``; the demo tests check
that the committed files are exactly what this script writes. Importing it has no effects.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from engine.demo import demo_mapset_folder
from engine.demo.synth import BEAT_MS, BREAKDOWN, CHORUS, ENDING, INTRO, OFFSET_MS, VERSE

SLIDER_MULTIPLIER = 1.4
PX_PER_BEAT = 100 * SLIDER_MULTIPLIER  # every green line keeps SV 1
PREVIEW_MS = 19700  # the chorus
STANDARD_SPACING, CATCH_SPACING = 0.85, 0.8  # distance snap: px per beat over 140
BREAK = (16700, 18600)  # 200 ms after the last object before the breakdown; ends before the chorus appears
AUDIO = "audio.ogg"
BACKGROUND = "bg.png"  # background.py draws it

CLAP, FINISH, WHISTLE = 8, 4, 2
CIRCLE, SLIDER, NEW_COMBO, SPINNER, HOLD = 1, 2, 4, 8, 128

# time, beatLength, meter, sampleSet, sampleIndex, volume, uninherited, effects
TIMING_POINTS = [
    "500,400,4,2,0,60,1,0",
    "6900,-100,4,2,0,70,0,0",  # verse
    "16500,-100,4,2,0,50,0,0",  # breakdown
    "19700,-100,4,2,0,80,0,1",  # chorus: kiai
    "32500,-100,4,2,0,70,0,0",  # ending: kiai off
]
COLOURS = ["255,170,60", "90,200,255", "255,110,160", "140,230,120"]


def ms(beat: float) -> int:
    """Milliseconds of an absolute beat position (beat 0 = the first red line)."""
    value = OFFSET_MS + beat * BEAT_MS
    if abs(value - round(value)) > 1e-9:
        raise ValueError(f"beat {beat} is off the 1/4 grid")
    return round(value)


def bar_beat(bar: int, beat: float) -> float:
    return bar * 4 + beat


# ---------------------------------------------------------------------------------------------------------
# Rhythm: (beat in bar, what) per bar. For osu!standard and catch "what" is "c" (circle) or a slider
# "<curve><span beats>x<slides>" such as "L1x1", "P0.5x1", "B1x1", "R1x1" (bezier with a red anchor).

Note = tuple[float, str]

STANDARD_BARS: dict[str, list[Note]] = {
    "intro": [(0, "L1x1"), (2, "c"), (3, "c")],
    "verse_a": [(0, "c"), (1, "c"), (2, "B0.5x1"), (3, "c")],
    "verse_b": [(0, "c"), (1, "L0.5x2"), (2.5, "c"), (3, "c")],
    "chorus_a": [(0, "P0.5x1"), (1, "c"), (1.5, "c"), (2, "B1x1"), (3.5, "c")],
    "chorus_b": [(0, "c"), (0.5, "c"), (1, "L0.5x3"), (3, "c"), (3.5, "c")],
    "chorus_c": [(0, "R1x1"), (1.5, "c"), (2, "c"), (2.5, "P0.5x1"), (3.5, "c")],
    "chorus_end": [(0, "c"), (0.5, "c"), (1, "L0.5x3"), (3, "c")],  # room before the final spinner
}
STANDARD_FORM = (
    ["intro"] * 4
    + ["verse_a", "verse_b"] * 3
    + ["chorus_a", "chorus_b", "chorus_c", "chorus_b"] + ["chorus_a", "chorus_b", "chorus_c", "chorus_end"]
)


@dataclass(frozen=True)
class Placed:
    """A hit object line in the making: its time (ms) and its text."""

    time: int
    text: str


def _rhythm(form: list[str], bars: dict[str, list[Note]]) -> list[tuple[float, str]]:
    """Absolute (beat, what) for a song form that skips the breakdown (bars 10-11) and the ending."""
    playable = [bar for bar in range(20) if bar not in BREAKDOWN]
    notes = [(bar_beat(bar, beat), what) for bar, name in zip(playable, form) for beat, what in bars[name]]
    notes.append((bar_beat(BREAKDOWN[0], 0), "c"))  # the breakdown's downbeat, then the break
    return sorted(notes)


def _parse_slider(what: str) -> tuple[str, float, int]:
    curve, rest = what[0], what[1:]
    span, slides = rest.split("x")
    return curve, float(span), int(slides)


def _hitsound(beat: float) -> int:
    """Soft claps on the snare (beats 1 and 3 of a bar), finishes on the crashes."""
    bar, in_bar = divmod(beat, 4)
    if in_bar == 0 and bar in (4, 12, 16, 20):
        return FINISH
    return CLAP if in_bar in (1, 3) else 0


# ---------------------------------------------------------------------------------------------------------
# Geometry


Point = tuple[float, float]


def _rotate(vector: Point, degrees: float) -> Point:
    a = math.radians(degrees)
    return vector[0] * math.cos(a) - vector[1] * math.sin(a), vector[0] * math.sin(a) + vector[1] * math.cos(a)


def _add(point: Point, vector: Point, scale: float = 1.0) -> tuple[int, int]:
    return round(point[0] + vector[0] * scale), round(point[1] + vector[1] * scale)


def _polyline_length(points: list[Point]) -> float:
    return sum(math.dist(a, b) for a, b in zip(points, points[1:]))


def _bezier_length(control: list[Point], steps: int = 200) -> float:
    samples = []
    for i in range(steps + 1):
        t = i / steps
        points = list(control)
        while len(points) > 1:
            points = [(a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t) for a, b in zip(points, points[1:])]
        samples.append(points[0])
    return _polyline_length(samples)


def slider_shape(curve: str, head: Point, heading: Point, length: float, turn: int) -> list[tuple[int, int]]:
    """Control points (after the head) of a path at least `length` long leaving `head` along `heading`.

    The written length then cuts the path, as the editor does; a path shorter than its length would be
    extended in a straight line, which the margin here rules out.
    """
    target = length + 3
    if curve == "L":
        return [_add(head, heading, target)]
    if curve == "P":  # a third of a circle's turn
        angle = math.radians(70)
        radius = target / angle
        normal = _rotate(heading, 90 * turn)
        centre = (head[0] + normal[0] * radius, head[1] + normal[1] * radius)
        start = (head[0] - centre[0], head[1] - centre[1])
        return [_add(centre, _rotate(start, turn * 35)), _add(centre, _rotate(start, turn * 70))]
    if curve == "R":  # two straight legs meeting at a red anchor
        corner = _add(head, heading, target / 2 + 1)
        return [corner, corner, _add(corner, _rotate(heading, 60 * turn), target / 2 + 1)]
    # "B": one bezier bow; grow it until it is long enough
    scale = target
    while True:
        middle = _add(head, _rotate(heading, 35 * turn), scale * 0.55)
        end = _add(head, heading, scale * 0.9)
        if _bezier_length([head, middle, end]) >= target:
            return [middle, end]
        scale += 2


def _inside(points: list[tuple[int, int]], margin: int) -> bool:
    return all(margin <= x <= 512 - margin and margin <= y <= 384 - margin for x, y in points)


@dataclass
class Walker:
    """Where the cursor is and where it is heading; turns by a fixed sequence so shapes vary but repeat."""

    position: Point
    heading: Point
    turns: tuple[int, ...]
    margin: int
    horizontal: bool = False  # catch: heads stay on y = 192 and move left or right only
    step: int = 0

    def next_turn(self) -> int:
        self.step += 1
        return self.turns[self.step % len(self.turns)]

    def candidates(self) -> list[Point]:
        """The heading after this object's turn, then fallbacks rotated away from the playfield edge."""
        turned = _rotate(self.heading, self.next_turn())
        fallbacks = (0, 180) if self.horizontal else (0, 45, -45, 90, -90, 135, -135, 180)
        return [_rotate(turned, degrees) for degrees in fallbacks]


def _place(walker: Walker, distance: float, curve: str | None, length: float) -> tuple[tuple[int, int], list]:
    """Head position `distance` from the walker, and the slider's control points when `curve` is given."""
    for heading in walker.candidates():
        head = _add(walker.position, heading, distance)
        shape = [] if curve is None else slider_shape(curve, head, heading, length, 1 if walker.step % 2 else -1)
        if _inside([head, *shape], walker.margin):
            walker.heading = heading
            return head, shape
    raise ValueError(f"no room to place an object near {walker.position}")


def _curve_text(curve: str, shape: list[tuple[int, int]]) -> str:
    letter = "B" if curve == "R" else curve
    return letter + "".join(f"|{x}:{y}" for x, y in shape)


def _sliders_and_circles(notes: list[tuple[float, str]], walker: Walker, spacing: float) -> list[Placed]:
    """Object lines for osu!standard or catch (a horizontal walker); `spacing` is the distance snap."""
    placed: list[Placed] = []
    free_from = notes[0][0]
    first_after_break = None
    for index, (beat, what) in enumerate(notes):
        gap = beat - free_from
        distance = min(gap, 1) * PX_PER_BEAT * spacing if index else 0.0  # long gaps: no longer jumps
        bar, in_bar = divmod(beat, 4)
        phrase_start = in_bar == 0 and (bar % 2 == 0 or bar in CHORUS)  # a combo per phrase; per bar in the chorus
        new_combo = index == 0 or phrase_start or beat == first_after_break
        sound = _hitsound(beat)
        if what == "c":
            head, _ = _place(walker, distance, None, 0)
            kind = CIRCLE | (NEW_COMBO if new_combo else 0)
            placed.append(Placed(ms(beat), f"{head[0]},{head[1]},{ms(beat)},{kind},{sound},0:0:0:0:"))
            walker.position = head
            free_from = beat
        else:
            curve, span, slides = _parse_slider(what)
            length = span * PX_PER_BEAT
            head, shape = _place(walker, distance, curve, length)
            kind = SLIDER | (NEW_COMBO if new_combo else 0)
            edges = "|".join(str(s) for s in [sound] + [0] * (slides - 1) + [_hitsound(beat + span * slides)])
            sets = "|".join(["0:0"] * (slides + 1))
            placed.append(Placed(
                ms(beat),
                f"{head[0]},{head[1]},{ms(beat)},{kind},0,{_curve_text(curve, shape)},{slides},{length:g},"
                f"{edges},{sets},0:0:0:0:",
            ))
            end = shape[-1] if slides % 2 else head
            walker.position = (end[0], 192) if walker.horizontal else end
            free_from = beat + span * slides
        if beat == bar_beat(BREAKDOWN[0], 0):
            first_after_break = bar_beat(CHORUS[0], 0)
            walker.position = (walker.position[0], 192) if walker.horizontal else (256, 192)
    return placed


def _spinner(start: float, end: float, hit_sound: int = 0) -> Placed:
    return Placed(ms(start), f"256,192,{ms(start)},{SPINNER | NEW_COMBO},{hit_sound},{ms(end)},0:0:0:0:")


def standard_objects() -> list[Placed]:
    walker = Walker((256, 192), (1.0, 0.0), turns=(50, 30, -40, 70, -60, 20, -90, 40), margin=32)
    objects = _sliders_and_circles(_rhythm(STANDARD_FORM, STANDARD_BARS), walker, spacing=STANDARD_SPACING)
    return objects + [_spinner(bar_beat(ENDING[0], 0), bar_beat(ENDING[0], 4), FINISH)]


def catch_objects() -> list[Placed]:
    """Catch follows the osu!standard rhythm with horizontal moves a walking catcher reaches."""
    walker = Walker((256, 192), (1.0, 0.0), turns=(180, 0, 0, 180, 0, 180, 0), margin=40, horizontal=True)
    objects = _sliders_and_circles(_rhythm(STANDARD_FORM, STANDARD_BARS), walker, spacing=CATCH_SPACING)
    return objects + [_spinner(bar_beat(ENDING[0], 0), bar_beat(ENDING[0], 4))]


# ---------------------------------------------------------------------------------------------------------
# Taiko: one bar = 16 characters, one per 1/4 beat. d don, k kat, D big don, K big kat, . rest.

TAIKO_BARS = {
    "intro_a": "D...k...d...k...",
    "intro_b": "d...k...d...k.k.",
    "verse_a": "d...k...d.d.k...",
    "verse_b": "d...k...d.d.k.k.",
    "chorus_a": "D.k.d.k.d...k.d.",
    "chorus_b": "d.d.k...d.k.k.d.",
}
TAIKO_FORM = {
    **{bar: "intro_a" if bar % 2 == 0 else "intro_b" for bar in INTRO},
    **{bar: "verse_a" if bar % 2 == 0 else "verse_b" for bar in VERSE},
    **{bar: "chorus_a" if bar % 2 == 0 else "chorus_b" for bar in CHORUS},
}
TAIKO_SOUNDS = {"d": 0, "k": CLAP, "D": FINISH, "K": FINISH | CLAP}


def taiko_objects() -> list[Placed]:
    placed = []
    for bar, name in TAIKO_FORM.items():
        for step, hit in enumerate(TAIKO_BARS[name]):
            if hit != ".":
                time = ms(bar_beat(bar, step / 4))
                kind = CIRCLE | (NEW_COMBO if not placed else 0)
                placed.append(Placed(time, f"256,192,{time},{kind},{TAIKO_SOUNDS[hit]},0:0:0:0:"))
    downbeat = ms(bar_beat(BREAKDOWN[0], 0))
    placed.append(Placed(downbeat, f"256,192,{downbeat},{CIRCLE},{FINISH},0:0:0:0:"))
    roll = ms(bar_beat(BREAKDOWN[1], 0))  # a three-beat drumroll building into the chorus
    length = 3 * PX_PER_BEAT
    curve = f"L|{256 + round(length) + 3}:192"
    placed.append(Placed(roll, f"256,192,{roll},{SLIDER},0,{curve},1,{length:g},0|0,0:0|0:0,0:0:0:0:"))
    placed.append(_spinner(bar_beat(ENDING[0], 0), bar_beat(ENDING[0], 3)))  # denden
    return sorted(placed, key=lambda p: p.time)


# ---------------------------------------------------------------------------------------------------------
# mania 4K: one bar = 16 space-separated tokens, one per 1/4 beat. "." rest; digits = notes in those
# columns; "2/8" = a hold in column 2 lasting 8 quarter beats; "|" joins items in one token.

MANIA_BARS = {
    "intro_a": "0 . . . 2 . . . 1 . . . 3 . . .",
    "intro_b": "3 . . . 1 . . . 2 . . . 0 . 1 .",
    "verse_a": "03 . 1 . 2 . 1 . 0 . 3 . 2 . 1 .",
    "verse_b": "0 . 2 . 1 . 3 . 0 . 2 . 13 . . .",
    "breakdown_a": "0/14|3/14 . . . . . . . . . . . . . . .",
    "breakdown_b": "1/6|2/14 . . . . . . . 0/6 . . . . . . .",
    "chorus_a": "03 . 1 . 2 . 13 . 0 . 2 . 1 . 3 .",
    "chorus_b": "12 . 0 . 3 . 0/4 . 2 . 1 . 3 . 2 .",
    "ending": "0/16|3/16 . . . . . . . . . . . . . . .",
}
MANIA_FORM = {
    **{bar: "intro_a" if bar % 2 == 0 else "intro_b" for bar in INTRO},
    **{bar: "verse_a" if bar % 2 == 0 else "verse_b" for bar in VERSE},
    BREAKDOWN[0]: "breakdown_a",
    BREAKDOWN[1]: "breakdown_b",
    **{bar: "chorus_a" if bar % 2 == 0 else "chorus_b" for bar in CHORUS},
    ENDING[0]: "ending",
}
MANIA_KEYS = 4


def mania_objects() -> list[Placed]:
    placed: list[Placed] = []
    busy_until = [-1] * MANIA_KEYS  # a column is free again after its last note or hold end
    for bar, name in MANIA_FORM.items():
        tokens = MANIA_BARS[name].split()
        if len(tokens) != 16:
            raise ValueError(f"mania bar {name!r} has {len(tokens)} steps, not 16")
        for step, token in enumerate(tokens):
            time = ms(bar_beat(bar, step / 4))
            for item in token.split("|") if token != "." else []:
                hold = "/" in item
                columns, quarters = (item.split("/")[0], int(item.split("/")[1])) if hold else (item, 0)
                for column in map(int, columns):
                    if time <= busy_until[column]:
                        raise ValueError(f"mania column {column} is still busy at {time} ms (bar {bar})")
                    x = (column * 2 + 1) * 256 // MANIA_KEYS  # floor((column + 0.5) * 512 / keys)
                    if hold:
                        end = ms(bar_beat(bar, (step + quarters) / 4))
                        placed.append(Placed(time, f"{x},192,{time},{HOLD},0,{end}:0:0:0:0:"))
                        busy_until[column] = end
                    else:
                        placed.append(Placed(time, f"{x},192,{time},{CIRCLE},0,0:0:0:0:"))
                        busy_until[column] = time
    return placed


# ---------------------------------------------------------------------------------------------------------
# Files


@dataclass(frozen=True)
class Chart:
    file_name: str
    mode: int
    version: str
    difficulty: dict[str, str]
    objects: list[Placed]
    has_break: bool
    has_colours: bool
    distance_spacing: float = 1.0


def charts() -> list[Chart]:
    return [
        Chart("maid - Demo Song (maid) [Normal].osu", 0, "Normal",
              {"HPDrainRate": "4", "CircleSize": "4", "OverallDifficulty": "4", "ApproachRate": "6"},
              standard_objects(), has_break=True, has_colours=True, distance_spacing=STANDARD_SPACING),
        Chart("maid - Demo Song (maid) [Futsuu].osu", 1, "Futsuu",
              {"HPDrainRate": "8", "CircleSize": "5", "OverallDifficulty": "4", "ApproachRate": "5"},
              taiko_objects(), has_break=False, has_colours=False),
        Chart("maid - Demo Song (maid) [Salad].osu", 2, "Salad",
              {"HPDrainRate": "4", "CircleSize": "3", "OverallDifficulty": "5", "ApproachRate": "6"},
              catch_objects(), has_break=True, has_colours=True, distance_spacing=CATCH_SPACING),
        Chart("maid - Demo Song (maid) [4K Normal].osu", 3, "4K Normal",
              {"HPDrainRate": "7", "CircleSize": "4", "OverallDifficulty": "6", "ApproachRate": "5"},
              mania_objects(), has_break=False, has_colours=False),
    ]


def render(chart: Chart) -> bytes:
    """The .osu file of a chart, byte for byte as osu!stable lays one out."""
    general = [
        f"AudioFilename: {AUDIO}", "AudioLeadIn: 0", f"PreviewTime: {PREVIEW_MS}", "Countdown: 0",
        "SampleSet: Soft", "StackLeniency: 0.7", f"Mode: {chart.mode}", "LetterboxInBreaks: 0",
    ]
    if chart.mode == 3:
        general.append("SpecialStyle: 0")
    general.append("WidescreenStoryboard: 0")
    editor = [f"Bookmarks: {ms(bar_beat(VERSE[0], 0))},{PREVIEW_MS}", f"DistanceSpacing: {chart.distance_spacing:g}",
              "BeatDivisor: 4", "GridSize: 8", "TimelineZoom: 1"]
    metadata = [
        "Title:Demo Song", "TitleUnicode:Demo Song", "Artist:maid", "ArtistUnicode:maid", "Creator:maid",
        f"Version:{chart.version}", "Source:maid demo mapset",
        "Tags:demo maid synthesized example test 150bpm electronic instrumental", "BeatmapID:0", "BeatmapSetID:-1",
    ]
    difficulty = [f"{key}:{value}" for key, value in chart.difficulty.items()]
    difficulty += [f"SliderMultiplier:{SLIDER_MULTIPLIER:g}", "SliderTickRate:1"]
    events = ["//Background and Video events", f'0,0,"{BACKGROUND}",0,0', "//Break Periods"]
    if chart.has_break:
        events.append(f"2,{BREAK[0]},{BREAK[1]}")
    events += [f"//Storyboard Layer {n} ({name})" for n, name in
               enumerate(["Background", "Fail", "Pass", "Foreground", "Overlay"])]
    events.append("//Storyboard Sound Samples")

    lines = ["osu file format v14", ""]
    for name, body in (("General", general), ("Editor", editor), ("Metadata", metadata),
                       ("Difficulty", difficulty), ("Events", events)):
        lines += [f"[{name}]", *body, ""]
    lines += ["[TimingPoints]", *TIMING_POINTS, "", ""]
    if chart.has_colours:
        lines += ["[Colours]", *(f"Combo{i} : {rgb}" for i, rgb in enumerate(COLOURS, 1)), ""]
    lines += ["[HitObjects]", *(obj.text for obj in chart.objects)]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def write_all(folder: Path) -> list[Path]:
    paths = []
    for chart in charts():
        path = folder / chart.file_name
        path.write_bytes(render(chart))
        paths.append(path)
    return paths


if __name__ == "__main__":
    for written in write_all(demo_mapset_folder()):
        print(written.name)
