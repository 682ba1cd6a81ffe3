"""Edits rewrite only the lines they must, field by field, in the file's own line ends and spelling."""

from __future__ import annotations

import difflib
import math
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.osu import (
    Beatmap,
    Circle,
    HitObject,
    HitSample,
    HoldNote,
    OsuFormatError,
    Slider,
    TimingPoint,
    parse_beatmap,
)
from engine.osu.edits import (
    add_hit_objects,
    add_timing_points,
    remove_hit_objects,
    remove_timing_points,
    replace_hit_objects,
    replace_timing_points,
    set_value,
    update_hit_objects,
    update_timing_points,
)
from engine.osu.hitobjects import CurveSegment
from engine.osu.lines import terminator
from tests.osu.corpus import beatmap_of, readable

CRLF_BOM = "Eddio0141-osu-file-parser__combo_blue__2902a73c.osu"
MANIA = "0e4ef622-remani__Cillia_-_Fairytale_shuniki_Easy__e3ed0a8a.osu"


def changes(old: Beatmap, new: Beatmap) -> tuple[list[bytes], list[bytes]]:
    """(old lines removed or rewritten, new lines added or rewritten)."""
    removed: list[bytes] = []
    added: list[bytes] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old.lines, new.lines, autojunk=False).get_opcodes():
        if tag != "equal":
            removed += old.lines[i1:i2]
            added += new.lines[j1:j2]
    return removed, added


@pytest.fixture
def crlf(corpus_dir: Path) -> Beatmap:
    beatmap = parse_beatmap((corpus_dir / CRLF_BOM).read_bytes(), CRLF_BOM)
    assert beatmap.bom and beatmap.lines[0].endswith(b"\r\n")
    return beatmap


def test_set_existing_value_rewrites_one_line_keeping_crlf_and_bom(crlf: Beatmap) -> None:
    edited = set_value(crlf, "Difficulty", "OverallDifficulty", "8.5")
    removed, added = changes(crlf, edited)
    assert [line.split(b":")[0] for line in removed] == [b"OverallDifficulty"]
    assert added == [b"OverallDifficulty:8.5\r\n"]
    assert edited.to_bytes().startswith(b"\xef\xbb\xbf")
    assert parse_beatmap(edited.to_bytes()).difficulty.overall_difficulty == 8.5


def test_set_value_keeps_the_lines_spelling() -> None:
    beatmap = parse_beatmap(b"osu file format v14\n[General]\nAudioLeadIn  :   0  // lead\n\n[Difficulty]\n")
    edited = set_value(beatmap, "General", "AudioLeadIn", "250")
    assert changes(beatmap, edited)[1] == [b"AudioLeadIn  :   250  // lead\n"]
    assert edited.general.audio_lead_in == 250


def test_set_absent_key_adds_a_line_before_the_sections_trailing_blank_lines(crlf: Beatmap) -> None:
    assert crlf.value("General", "SamplesMatchPlaybackRate") is None
    edited = set_value(crlf, "General", "SamplesMatchPlaybackRate", "1")
    removed, added = changes(crlf, edited)
    assert removed == [] and added == [b"SamplesMatchPlaybackRate: 1\r\n"]
    index = edited.lines.index(added[0])
    assert edited.lines[index + 1] == b"\r\n" and edited.lines[index + 2] == b"[Editor]\r\n"
    assert edited.general.samples_match_playback_rate
    assert set_value(crlf, "General", "EpilepsyWarning", "1").to_bytes() == crlf.to_bytes()


def test_set_value_creates_a_missing_section_where_stable_writes_it() -> None:
    beatmap = parse_beatmap(b"osu file format v14\r\n\r\n[General]\r\nMode: 0\r\n\r\n[Events]\r\n")
    edited = set_value(beatmap, "Difficulty", "ApproachRate", "9")
    assert edited.to_bytes() == (b"osu file format v14\r\n\r\n[General]\r\nMode: 0\r\n\r\n[Difficulty]\r\n"
                                 b"ApproachRate:9\r\n\r\n[Events]\r\n")


def test_update_object_patches_only_the_changed_field(crlf: Beatmap) -> None:
    obj = next(o for o in crlf.hit_objects if isinstance(o, Slider))
    edited = update_hit_objects(crlf, [replace(obj, x=obj.x + 7)])
    removed, added = changes(crlf, edited)
    assert len(removed) == len(added) == 1 and added[0].endswith(b"\r\n")
    old_fields, new_fields = removed[0].split(b","), added[0].split(b",")
    assert [i for i, (a, b) in enumerate(zip(old_fields, new_fields)) if a != b] == [0]
    assert edited.hit_objects[crlf.hit_objects.index(obj)] == replace(obj, x=obj.x + 7)


def test_unchanged_fields_keep_their_spelling_and_comment() -> None:
    beatmap = parse_beatmap(b"osu file format v14\n[TimingPoints]\n+100,333.330000,4,2,0,60,1,0 // red\n"
                            b"[HitObjects]\n64,192,100,1,0,0:0:0:0:\xff.wav\n")
    point = replace(beatmap.timing_points[0], volume=80)
    assert changes(beatmap, update_timing_points(beatmap, [point]))[1] == [b"+100,333.330000,4,2,0,80,1,0 // red\n"]
    circle = replace(beatmap.hit_objects[0], time=150)
    assert changes(beatmap, update_hit_objects(beatmap, [circle]))[1] == [b"64,192,150,1,0,0:0:0:0:\xff.wav\n"]


def test_replace_objects_in_a_range_touches_only_that_range(crlf: Beatmap) -> None:
    inside = [o for o in crlf.hit_objects if 4000 <= o.time < 6000]
    assert len(inside) >= 3
    kept, moved, dropped = inside[0], replace(inside[1], y=inside[1].y + 1), inside[2:]
    new = Circle(x=10, y=20, time=5000, type=5)
    edited = replace_hit_objects(crlf, 4000, 6000, [kept, moved, new])
    removed, added = changes(crlf, edited)
    assert {crlf.lines.index(line) for line in removed} == {inside[1].line} | {o.line for o in dropped}
    assert added.count(b"10,20,5000,5,0,0:0:0:0:\r\n") == 1 and len(added) == 2
    after = [o for o in edited.hit_objects if 4000 <= o.time < 6000]
    assert [(o.time, o.x, o.y) for o in after] == [(o.time, o.x, o.y) for o in sorted([kept, moved, new],
                                                                                      key=lambda o: o.time)]
    outside = [replace(o, line=None) for o in crlf.hit_objects if not 4000 <= o.time < 6000]
    assert [replace(o, line=None) for o in edited.hit_objects if not 4000 <= o.time < 6000] == outside


def test_replace_refuses_objects_outside_the_range(crlf: Beatmap) -> None:
    with pytest.raises(OsuFormatError, match="outside the replaced range"):
        replace_hit_objects(crlf, 0, 1000, [Circle(x=0, y=0, time=2000, type=1)])


def test_add_and_remove_objects_insert_chronologically(crlf: Beatmap) -> None:
    middle = crlf.hit_objects[10]
    slider = Slider(x=5, y=6, time=middle.time, type=2, segments=(CurveSegment("L", ((50.0, 6.0),)),),
                    slides=1, length=45.0)
    edited = add_hit_objects(crlf, [slider])
    removed, added = changes(crlf, edited)
    assert removed == [] and added == [b"5,6,%d,2,0,L|50:6,1,45\r\n" % middle.time]
    assert edited.lines.index(added[0]) == middle.line + 1  # after the existing object at the same time
    assert remove_hit_objects(edited, [o for o in edited.hit_objects if o.x == 5 and o.y == 6]).to_bytes() \
        == crlf.to_bytes()


def test_new_objects_get_the_fields_stable_writes(corpus_dir: Path) -> None:
    mania = parse_beatmap((corpus_dir / MANIA).read_bytes())
    hold = HoldNote(x=64, y=192, time=1000, type=128, end=1500)
    edited = add_hit_objects(mania, [hold])
    assert changes(mania, edited)[1][0].rstrip(b"\r\n") == b"64,192,1000,128,0,1500:0:0:0:0:"
    sample = Slider(x=1, y=2, time=3, type=2, segments=(CurveSegment("L", ((4.0, 5.0),)),), slides=2, length=5.5,
                    hit_sample=HitSample(2, 0, 0, 0, ""))
    line = changes(mania, add_hit_objects(mania, [sample]))[1][0].rstrip(b"\r\n")
    assert line == b"1,2,3,2,0,L|4:5,2,5.5,0|0|0,0:0|0:0|0:0,2:0:0:0:"


def test_timing_point_edits(crlf: Beatmap) -> None:
    first = crlf.timing_points[0]
    green = TimingPoint(time=first.time + 1000, beat_length=-66.6666666666667, uninherited=False, sample_set=2,
                        volume=40)
    edited = add_timing_points(crlf, [green])
    assert changes(crlf, edited) == ([], [b"%d,-66.6666666666667,4,2,0,40,0,0\r\n" % (first.time + 1000)])
    assert edited.timing_points[1].slider_velocity() == pytest.approx(1.5)
    assert remove_timing_points(edited, [edited.timing_points[1]]).to_bytes() == crlf.to_bytes()
    inside = [p for p in crlf.timing_points if 8000 <= p.time < 20000]
    replaced = replace_timing_points(crlf, 8000, 20000, inside[:1])
    removed, added = changes(crlf, replaced)
    assert added == [] and {crlf.lines.index(line) for line in removed} == {p.line for p in inside[1:]}


def test_a_file_without_final_newline_keeps_it_that_way() -> None:
    beatmap = parse_beatmap(b"osu file format v14\r\n[HitObjects]\r\n64,192,100,1,0,0:0:0:0:")
    edited = add_hit_objects(beatmap, [Circle(x=1, y=2, time=200, type=1)])
    assert edited.to_bytes() == \
        b"osu file format v14\r\n[HitObjects]\r\n64,192,100,1,0,0:0:0:0:\r\n1,2,200,1,0,0:0:0:0:"
    assert remove_hit_objects(edited, [edited.hit_objects[1]]).to_bytes() == beatmap.to_bytes()


def test_objects_not_read_from_the_document_cannot_be_updated(crlf: Beatmap) -> None:
    with pytest.raises(OsuFormatError, match="not read from this document"):
        update_hit_objects(crlf, [Circle(x=0, y=0, time=0, type=1)])


SMALL = [path for path in readable() if path.stat().st_size < 60_000]


def _key(obj: HitObject) -> tuple[float, float, float, int]:
    return obj.time, obj.x, obj.y, obj.type


@pytest.mark.skipif(not SMALL, reason="the .osu corpus is not available")
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_replacing_a_random_range_changes_exactly_that_range(data: st.DataObject) -> None:
    beatmap = beatmap_of(data.draw(st.sampled_from(SMALL)))
    times = sorted({obj.time for obj in beatmap.hit_objects}) or [0.0]
    start = data.draw(st.sampled_from(times))
    end = start + data.draw(st.integers(1, 20_000))
    inside = [obj for obj in beatmap.hit_objects if start <= obj.time < end]
    kept = [obj for obj in inside if data.draw(st.booleans())]
    moved = [replace(obj, x=obj.x + 1) for obj in kept if data.draw(st.booleans())]
    kept = [obj for obj in kept if obj.line not in {m.line for m in moved}]
    new = [Circle(x=data.draw(st.integers(0, 512)), y=data.draw(st.integers(0, 384)),
                  time=data.draw(st.integers(int(math.ceil(start)), int(math.ceil(end)) - 1)), type=1)
           for _ in range(data.draw(st.integers(0, 3)))]
    edited = replace_hit_objects(beatmap, start, end, kept + moved + new)
    again = parse_beatmap(edited.to_bytes())
    assert again.to_bytes() == edited.to_bytes()
    assert sorted(_key(o) for o in again.hit_objects if start <= o.time < end) == \
        sorted(_key(o) for o in kept + moved + new)
    assert [_key(o) for o in again.hit_objects if not start <= o.time < end] == \
        [_key(o) for o in beatmap.hit_objects if not start <= o.time < end]
    removed, _ = changes(beatmap, edited)
    allowed = {beatmap.lines[obj.line] for obj in inside}
    # Besides those lines, only the file's end may change: a line gains a terminator when a line is added
    # after a last line without one, or loses it when it becomes the last line of a file that had none.
    ends = {beatmap.lines[-1], edited.lines[-1] + terminator(beatmap.lines[-2] if len(beatmap.lines) > 1 else b"")}
    assert all(line in allowed or line in ends for line in removed)


def test_a_short_timing_line_grows_only_as_far_as_a_changed_value_needs(corpus_dir: Path) -> None:
    beatmap = parse_beatmap((corpus_dir / "Eddio0141-osu-file-parser__v3__9fa1e1ec.osu").read_bytes())
    point = beatmap.timing_points[0]
    assert point.field_count == 2
    assert update_timing_points(beatmap, [replace(point, beat_length=400.5)]).line_text(point.line) == \
        f"{beatmap.line_text(point.line).split(',')[0]},400.5"
    edited = update_timing_points(beatmap, [replace(point, sample_set=2)])
    assert edited.line_text(point.line).split(",")[2:] == ["4", "2"]
    assert edited.timing_points[0].sample_set == 2


def test_untouched_defaults_from_general_do_not_widen_a_line() -> None:
    beatmap = parse_beatmap(b"osu file format v5\n[General]\nSampleSet: Soft\nSampleVolume: 70\n"
                            b"[TimingPoints]\n100,500,4\n")
    point = beatmap.timing_points[0]
    assert (point.sample_set, point.volume) == (2, 70)
    assert update_timing_points(beatmap, [replace(point, meter=3)]).line_text(point.line) == "100,500,3"


@pytest.mark.skipif(not SMALL, reason="the .osu corpus is not available")
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_replacing_random_timing_points_keeps_the_rest(data: st.DataObject) -> None:
    beatmap = beatmap_of(data.draw(st.sampled_from(SMALL)))
    times = sorted({point.time for point in beatmap.timing_points}) or [0.0]
    start = data.draw(st.sampled_from(times))
    end = start + data.draw(st.integers(1, 60_000))
    inside = [point for point in beatmap.timing_points if start <= point.time < end]
    kept = [replace(point, volume=data.draw(st.integers(5, 100))) if data.draw(st.booleans()) else point
            for point in inside if data.draw(st.booleans())]
    new = [TimingPoint(time=data.draw(st.integers(int(math.ceil(start)), int(math.ceil(end)) - 1)),
                       beat_length=-100.0, uninherited=False) for _ in range(data.draw(st.integers(0, 2)))]
    edited = replace_timing_points(beatmap, start, end, kept + new)
    again = parse_beatmap(edited.to_bytes())

    def key(point: TimingPoint) -> tuple[float, str, bool, int]:
        return point.time, repr(point.beat_length), point.uninherited, point.volume  # repr: NaN == NaN

    assert sorted(map(key, (p for p in again.timing_points if start <= p.time < end))) == \
        sorted(map(key, kept + new))
    assert [key(p) for p in again.timing_points if not start <= p.time < end] == \
        [key(p) for p in beatmap.timing_points if not start <= p.time < end]
    assert [replace(o, line=None) for o in again.hit_objects] == [replace(o, line=None) for o in beatmap.hit_objects]


@pytest.mark.parametrize("end", [b"\r", b"\n", b"\r\n"])
def test_new_lines_use_the_files_own_terminator(end: bytes) -> None:
    data = end.join([b"osu file format v14", b"[General]", b"Mode: 0", b"", b"[HitObjects]", b"1,2,100,1,0", b""])
    beatmap = parse_beatmap(data)
    edited = add_hit_objects(set_value(beatmap, "General", "AudioLeadIn", "10"), [Circle(x=5, y=5, time=50, type=1)])
    assert changes(beatmap, edited) == ([], [b"AudioLeadIn: 10" + end, b"5,5,50,1,0,0:0:0:0:" + end])
