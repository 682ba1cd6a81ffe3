"""The one-pass readers of plain [HitObjects] and [TimingPoints] lines give exactly what reading each line on
its own gives, a plain slider's curve, kept as text until read, reads as the eager reading does, and the
[Events] lines skipped before decoding hold no gameplay event.

`Beatmap.hit_objects` reads plain lines through `hitobjects.plain_object_rows` and the others through
`parse_hit_object`; `Beatmap.timing_points` likewise through `timing.plain_point_rows` and
`parse_timing_point`. The line-by-line reading (`Beatmap.entries` + the parse function) is the reference:
same objects, same line numbers, same skipped lines and reasons, on every real file and on the lines that
sit at the edge of the plain patterns. Equality of objects reads every field, so it also compares the segments that a
plain slider builds from its text with the ones `parse_curve` builds at once.
"""

from __future__ import annotations

import copy
import pickle
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.osu import Beatmap, CurveSegment, HitObject, Slider, parse_beatmap, update_hit_objects
from engine.osu.events import NOT_GAMEPLAY_EVENT_STARTS, event_type
from engine.osu.hitobjects import format_fields, parse_hit_object, plain_object_rows
from engine.osu.keyvalues import SAMPLE_SETS
from engine.osu.timing import parse_timing_point, plain_point_rows
from tests.osu.corpus import beatmap_of, every_readable_osu


def objects_line_by_line(beatmap: Beatmap) -> tuple[list[HitObject], list[tuple[int, str]]]:
    objects, skipped = [], []
    for index, text in beatmap.entries("HitObjects"):
        try:
            objects.append(parse_hit_object(text, index))
        except (ValueError, IndexError) as error:
            skipped.append((index + 1, str(error)))
    return objects, skipped


def points_line_by_line(beatmap: Beatmap) -> tuple[list[str], list[tuple[int, str]]]:
    sample_set, volume = SAMPLE_SETS[beatmap.general.sample_set], beatmap.general.sample_volume
    points, skipped = [], []
    for index, text in beatmap.entries("TimingPoints"):
        try:
            points.append(repr(parse_timing_point(text, sample_set, volume, index)))
        except (ValueError, IndexError) as error:
            skipped.append((index + 1, str(error)))
    return points, skipped


def skipped_in(beatmap: Beatmap, section: str) -> list[tuple[int, str]]:
    """(line number, reason) of each line of `section` that osu! skips."""
    prefix = f"[{section}] osu! skips this line: "
    return [(problem.line_number, problem.message.removeprefix(prefix)) for problem in beatmap.problems
            if problem.message.startswith(prefix)]


def objects_read(beatmap: Beatmap) -> tuple[list[HitObject], list[tuple[int, str]]]:
    return list(beatmap.hit_objects), skipped_in(beatmap, "HitObjects")


def points_read(beatmap: Beatmap) -> tuple[list[str], list[tuple[int, str]]]:
    """By repr: a NaN beat length is never equal to itself."""
    return list(map(repr, beatmap.timing_points)), skipped_in(beatmap, "TimingPoints")


def section_bytes(beatmap: Beatmap, name: str) -> bytes:
    return "\n".join(text for _, text in beatmap.entries(name)).encode("utf-8", "surrogateescape")


def test_every_file_reads_the_same_objects_and_points_as_line_by_line() -> None:
    paths = every_readable_osu()
    if not paths:
        pytest.skip("no corpus: ../shared is absent")
    plain_objects = plain_sliders = plain_points = 0
    for path in paths:
        beatmap = parse_beatmap(path.read_bytes(), str(path))  # fresh: no slider's segments read yet
        assert objects_read(beatmap) == objects_line_by_line(beatmap), path.name
        assert points_read(beatmap) == points_line_by_line(beatmap), path.name
        rows = plain_object_rows(section_bytes(beatmap, "HitObjects"))
        plain_objects += sum(1 for row in rows if row[0])
        plain_sliders += sum(1 for row in rows if row[5])
        plain_points += sum(1 for row in plain_point_rows(section_bytes(beatmap, "TimingPoints")) if row[0])
    # the fast paths are what read the corpus
    assert plain_objects > 200_000 and plain_sliders > 40_000 and plain_points > 30_000


@pytest.mark.parametrize("line", [
    "256,192,1000,1,0",                           # no hitSample field
    "256,192,1000,5,2,",                          # an empty last field
    "256,192,1000,1,0,0:0:0:0:",
    "256,192,1000,1,0,0:0:0:0:  ",                # trailing spaces are trimmed
    "256,192,1000,1,0,0:0:0:0:hit.wav",
    "256,192,1000,1,0,0:0:0:0:hit\u3000",         # a Unicode space osu! trims too
    "256,192,1000,1,0,0:0:0:0: // comment",
    "256,192,1000,1,0 // comment",
    "256,192,1000,1,0,0",                         # a hit sample of one part: skipped
    "256,192,1000,1,0,B|300:200",                 # a circle whose sample looks like a curve: skipped
    "256,192,1000,1,0,B|300:200,1,140",
    "256,192,1000,3,0,B|300:200,1,140",           # circle and slider bits: a circle
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
    "256,192,1000,2,0,B|300:200|400:100,1,140,2|0,0:0|1:2,0:0:0:0:hit.wav,more",
    "256,192,1000,2,0,B|300:200|400:100,1,140,x|0,0:0|1:2",  # a bad edge sound reads as 0
    "256,192,1000,2,0,B|300:200|400:100,1",       # no length
    "256,192,1000,2,0,B|300:200|400:100,1,",      # an empty length: skipped
    "256,192,1000,2,0,B|300:200|400:100,,140",    # empty slides: skipped
    "256,192,1000,2,0,B|300:200|400:100",         # no slides: skipped
    "256,192,1000,2,0,B|300:200|400:100x,1,140",  # not a simple curve: skipped
    "256,192,1000,2,0,B|-300:-200|0:0,1,140",
    "256,192,1000,2,0,B|300:200|200000:100,1,140",  # a control point beyond ±131072: skipped
    "256,192,1000,2,0,B|300:200|131072:-131072,1,140",  # six digits, within range
    "256,192,1000,2,0,B|300:200|99999:-99999,1,140",
    "256,192,1000,2,0,B|300:200:5|400,1,140",       # a point with three parts
    "256,192,1000,2,0,B|300:200:5|400:1,1,140",
    "256,192,1000,2,0,L|470:125|B|254:321,1,140",
    "256,192,1000,2,0,X|470:125,1,140",             # an unknown letter: Catmull
    "256,192,1000,2,0,B,1,140",                     # no control point
    "256,192,1000,2,0,B|300:200,9001,140",          # too many slides: skipped
    "256,192,1000,2,0,B|300:200,0009,140",
    "256,192,1000,8,0,3000",
    "256,192,1000,12,0,3000,0:0:0:0:",
    "64,192,1000,128,0,1500:0:0:0:0:",
    "64,192,1000,128,0,1500.5:1:2:0:70:hold.wav",
    "64,192,1000,128,0,1500",                     # no hit sample
    "64,192,1000,128,0,1500:0:0",
    "64,192,1000,128,0,1500:0",                   # a hit sample of one part: skipped
    "64,192,1000,128,0,:0:0:0:0:",                # no end time: skipped
    "64,192,1000,128,0,1e3:0:0:0:0:",
    "64,192,1000,128,0,x:0:0:0:0:",               # skipped
    "64,192,1000,128,0,1500:0:0:0:0:,more",
    "64,192,1000,136,0,1500:0:0:0:0:",            # spinner and hold bits: a spinner
    "64,192,1000,128,0,,1500",
    "64,192,1000,128,0,",
    "64,192,1000,128,0",
])
def test_edge_object_lines_read_as_line_by_line(line: str) -> None:
    for body in [line, *(f"{line}{end}{line}{end}" for end in LINE_ENDS)]:
        beatmap = parse_beatmap(f"osu file format v14\r\n\r\n[HitObjects]\r\n\r\n{body}".encode())
        assert objects_read(beatmap) == objects_line_by_line(beatmap), repr(body)


@pytest.mark.parametrize("line", [
    "0,500,4,2,0,100,1,0",
    "-24.5,333.333333333333,4,2,1,60,1,1",
    "100,-100,4,2,0,100,0,0",
    "100,-133.333333333333,4,1,0,40,0,8",
    "100,500,0,2,0,100,1,0",                      # a meter starting with 0 reads as 4
    "100,500,04,2,0,100,1,0",
    "100,500,-4,2,0,100,1,0",                     # a negative meter: skipped
    "100,500,4,2,0,100,2,0",                      # uninherited other than 0/1: inherited
    "100,NaN,4,2,0,100,0,0",                      # NaN only for an inherited point
    "100,NaN,4,2,0,100,1,0",
    "100,1E-298,4,2,1,40,1,0",
    "100,500",                                    # two fields: a red line with the map's defaults
    "100,500,4,2",
    "100,500,4,2,0,100,1,0,9",                    # a ninth field
    "1000000000,500,4,2,0,100,1,0",
    "99999999999,500,4,2,0,100,1,0",              # beyond int32: skipped
    " 100,500,4,2,0,100,1,0",
    "100,500,4,2,0,100,1,0 // comment",
    "100,500,4,-1,0,100,1,0",
    "100,500,4,2,0,100,,0",                       # an empty uninherited field: skipped
    "1.,500,4,2,0,100,1,0",
    "\u0661\u0660\u0660,500,4,2,0,100,1,0",
])
def test_edge_timing_lines_read_as_line_by_line(line: str) -> None:
    for body in [line, *(f"{line}{end}{line}{end}" for end in LINE_ENDS)]:
        beatmap = parse_beatmap(f"osu file format v14\r\n\r\n[General]\r\nSampleSet: Soft\r\nSampleVolume: 70\r\n"
                                f"\r\n[TimingPoints]\r\n\r\n{body}".encode())
        assert points_read(beatmap) == points_line_by_line(beatmap), repr(body)


# The section's bytes are read as they are (`document.section_rows`): every line end osu! reads, and
# trailing whitespace before one, must give the rows of the lines split one by one.
LINE_ENDS = ("\r\n", "\n", "\r", " \r\n", "\t\n", "  \n", "\x0c\r\n", " \r")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["256,192,1000,1,0,0:0:0:0:", "256,192,1000,2,0,B|300:200,1,140",
                                            "64,192,1000,128,0,1500:0:0:0:0:", "", "// c", "0,500,4,2,0,100,1,0",
                                            "100,-50,4,2,0,100,0,0", "256,192,1000,1,0,0:0:0:0: "]),
                          st.sampled_from(LINE_ENDS + ("\r\r\n", "\n\r"))), max_size=8),
       st.sampled_from(["[HitObjects]", "[TimingPoints]"]))
def test_any_mix_of_line_ends_reads_as_line_by_line(lines: list[tuple[str, str]], header: str) -> None:
    body = "".join(text + end for text, end in lines)
    for tail in ("", "[Colours]\r\n"):
        beatmap = parse_beatmap(f"osu file format v14\r\n{header}\r\n{body}{tail}".encode())
        assert objects_read(beatmap) == objects_line_by_line(beatmap)
        assert points_read(beatmap) == points_line_by_line(beatmap)


def test_the_event_lines_skipped_before_decoding_are_never_gameplay_events() -> None:
    paths = every_readable_osu()
    if not paths:
        pytest.skip("no corpus: ../shared is absent")
    skipped = 0
    for path in paths:
        beatmap = beatmap_of(path)
        every = list(beatmap.entries("Events"))
        kept = set(beatmap.entries("Events", skip=NOT_GAMEPLAY_EVENT_STARTS))
        assert [entry for entry in every if entry not in kept and event_type(entry[1]) in (0, 1, 2)] == [], path.name
        skipped += len(every) - len(kept)
    assert skipped > 10_000


def test_a_plain_slider_keeps_its_points_and_optional_fields() -> None:
    beatmap = parse_beatmap(b"osu file format v14\n[HitObjects]\n256,192,1000,6,0,P|300:-20|400:100,2,140.5,2|0,0:0\n")
    (slider,) = beatmap.hit_objects
    assert isinstance(slider, Slider) and slider.line == 2
    assert slider.segments == (CurveSegment("P", ((300.0, -20.0), (400.0, 100.0))),)
    assert slider.control_points == ((300.0, -20.0), (400.0, 100.0))
    assert (slider.curve_type, slider.slides, slider.length, slider.edge_sounds, slider.edge_sets) == \
        ("P", 2, 140.5, (2, 0), ((0, 0),))
    assert slider.hit_sample is None


def plain_and_eager_sliders() -> tuple[Slider, Slider]:
    text = "256,192,1000,2,0,B|300:200|400:100,1,140,2|0,0:0|1:2,0:0:0:0:"
    (plain,) = parse_beatmap(f"osu file format v14\n[HitObjects]\n{text}\n".encode()).hit_objects
    eager = parse_hit_object(text, 2)
    assert isinstance(plain, Slider) and isinstance(eager, Slider)
    return plain, eager


@pytest.mark.parametrize("use", [
    lambda slider: slider == plain_and_eager_sliders()[1],
    lambda slider: hash(slider) == hash(plain_and_eager_sliders()[1]),
    lambda slider: repr(slider) == repr(plain_and_eager_sliders()[1]),
    lambda slider: format_fields(slider) == format_fields(plain_and_eager_sliders()[1]),
    lambda slider: replace(slider, x=1.0) == replace(plain_and_eager_sliders()[1], x=1.0),
    lambda slider: pickle.loads(pickle.dumps(slider)) == plain_and_eager_sliders()[1],
    lambda slider: copy.copy(slider) == plain_and_eager_sliders()[1],
])
def test_a_plain_sliders_curve_reads_as_the_eager_one_whatever_reads_it_first(use) -> None:
    plain, _ = plain_and_eager_sliders()
    assert use(plain)
    assert plain.segments == (CurveSegment("B", ((300.0, 200.0), (400.0, 100.0))),)


def test_a_plain_slider_is_immutable_and_edits_like_any_other() -> None:
    beatmap = parse_beatmap(b"osu file format v14\n[HitObjects]\n256,192,1000,2,0,B|300:200|400:100,1,140\n")
    (slider,) = beatmap.hit_objects
    with pytest.raises(AttributeError):
        slider.segments = ()  # type: ignore[misc]
    moved = replace(slider, segments=(CurveSegment("L", ((10.0, 20.0),)),))
    edited = update_hit_objects(beatmap, [moved])
    assert edited.lines[2] == b"256,192,1000,2,0,L|10:20,1,140\n"
    assert edited.hit_objects[0].segments == moved.segments


def test_rows_align_with_lines() -> None:
    rows = plain_object_rows(b"1,2,3,1,0\n\n// c\n4,5,6,1,0,0:0:0:0:\n7,8,9,2,0,L|1:-2,1,50\n")
    assert [row[0] for row in rows] == [b"1", b"", b"", b"4", b"7", b""]
    assert rows[3][3:] == (b"1,0,0:0:0:0:", b"", b"", b"")
    assert rows[4][3:] == (b"", b"2,0", b"L|1:-2", b",1,50")
    points = plain_point_rows(b"0,500,4,2,0,100,1,0\n// c\n0,500")
    assert points == [(b"0", b"500", b"4,2,0,100,1,0"), (b"", b"", b""), (b"", b"", b"")]
