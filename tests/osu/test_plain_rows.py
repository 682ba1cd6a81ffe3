"""The one-pass reader of plain [HitObjects] lines gives exactly what reading each line on its own gives.

`Beatmap.hit_objects` reads plain lines through `hitobjects.plain_rows` and the others through
`parse_hit_object`; the line-by-line reading (`Beatmap.entries` + `parse_hit_object`) is the reference:
same objects, same line numbers, same skipped lines, on every real file and on the lines that sit at the
edge of the plain pattern.
"""

from __future__ import annotations

import pytest

from engine.osu import Beatmap, HitObject, Slider, parse_beatmap
from engine.osu.hitobjects import parse_hit_object, plain_rows
from tests.osu.corpus import beatmap_of, every_readable_osu


def line_by_line(beatmap: Beatmap) -> tuple[list[HitObject], list[int]]:
    objects, skipped = [], []
    for index, text in beatmap.entries("HitObjects"):
        try:
            objects.append(parse_hit_object(text, index))
        except (ValueError, IndexError):
            skipped.append(index + 1)
    return objects, skipped


def read(beatmap: Beatmap) -> tuple[list[HitObject], list[int]]:
    skipped = [problem.line_number for problem in beatmap.problems if "[HitObjects]" in problem.message]
    return list(beatmap.hit_objects), skipped


def test_every_file_reads_the_same_objects_as_line_by_line() -> None:
    paths = every_readable_osu()
    if not paths:
        pytest.skip("no corpus: ../shared is absent")
    plain = 0
    for path in paths:
        beatmap = beatmap_of(path)
        assert read(beatmap) == line_by_line(beatmap), path.name
        plain += sum(1 for row in plain_rows("\n".join(text for _, text in beatmap.entries("HitObjects"))) if row[0])
    assert plain > 200_000  # the fast path is what reads the corpus


@pytest.mark.parametrize("line", [
    "256,192,1000,1,0",                           # no hitSample field
    "256,192,1000,5,2,",                          # an empty last field
    "256,192,1000,1,0,0:0:0:0:",
    "256,192,1000,1,0,0:0:0:0:  ",                # trailing spaces are trimmed
    "256,192,1000,1,0,0:0:0:0:hit.wav",
    "256,192,1000,1,0,0:0:0:0:hit\u3000",         # a Unicode space osu! trims too
    "256,192,1000,1,0,0:0:0:0: // comment",
    "256,192,1000,1,0 // comment",
    "99999,192,1000,1,0",
    "200000,192,1000,1,0",                        # beyond ±131072: skipped
    "256,192,999999999,1,0",
    "256,192,1000.5,1,0",
    "\u0662\u0665\u0666,192,1000,1,0",            # Arabic-Indic digits: int() reads them, .NET does not
    " 256,192,1000,1,0",
    "256,192,1000,1,0\t",
    "256,192,1000,0,0",                           # no kind: skipped
    "256,192,1000,2,0,B|300:200|400:100,1,140",
    "256,192,1000,2,0,B|300:200|400:100,1,140,2|0,0:0|1:2,0:0:0:0:",
    "256,192,1000,2,0,B|300:200|200000:100,1,140",  # a control point beyond ±131072: skipped
    "256,192,1000,2,0,B|300:200|131072:-131072,1,140",  # six digits, within range
    "256,192,1000,2,0,B|300:200:5|400,1,140",       # a point with three parts
    "256,192,1000,2,0,L|470:125|B|254:321,1,140",
    "256,192,1000,2,0,B|300:200,9001,140",          # too many slides: skipped
    "256,192,1000,8,0,3000",
    "256,192,1000,12,0,3000,0:0:0:0:",
    "64,192,1000,128,0,1500:0:0:0:0:",
    "64,192,1000,128,0,",
])
def test_edge_lines_read_as_line_by_line(line: str) -> None:
    for end in ("\r\n", ""):
        beatmap = parse_beatmap(f"osu file format v14\r\n\r\n[HitObjects]\r\n\r\n{line}{end}".encode())
        assert read(beatmap) == line_by_line(beatmap)


def test_a_plain_slider_keeps_its_points_and_optional_fields() -> None:
    beatmap = parse_beatmap(b"osu file format v14\n[HitObjects]\n256,192,1000,6,0,P|300:-20|400:100,2,140.5,2|0,0:0\n")
    (slider,) = beatmap.hit_objects
    assert isinstance(slider, Slider) and slider.line == 2
    assert slider.segments[0].points == ((300.0, -20.0), (400.0, 100.0))
    assert (slider.curve_type, slider.slides, slider.length, slider.edge_sounds, slider.edge_sets) == \
        ("P", 2, 140.5, (2, 0), ((0, 0),))
    assert slider.hit_sample is None


def test_rows_align_with_lines() -> None:
    rows = plain_rows("1,2,3,1,0\n\n// c\n4,5,6,1,0,0:0:0:0:\n")
    assert [row[0] for row in rows] == ["1", "", "", "4", ""]
    assert rows[3][5] == ",0:0:0:0:"
