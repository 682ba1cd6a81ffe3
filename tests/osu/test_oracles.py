"""Our typed views agree with fosu (native, lazer rules) and rosu-pp-py on every corpus file they parse.

Tolerances and known, explained differences (fosu models lazer; we keep what the file says):
- times: fosu adds lazer's +24 ms to v3/v4 files; we store the written time (spec §11.10).
- positions: for files before v128 osu! truncates x/y to integers; v128 keeps fractions, which fosu holds as
  float32 (compared to 1e-3); fosu clamps y to the playfield (y = -14 → 0 in `486c-rosu-game__bebra`) while
  we keep the written value; spinner positions are ignored (lazer moves spinners to the centre).
- new combo: fosu's flag is the effective one (forced after spinners and breaks) except on spinners, where it
  is the written bit, and it forces nothing in taiko/mania; compared on osu!/catch non-spinner objects.
- slider end times: ±1 ms (spec §12). Where the path decides the duration (no length, or a path ending on a
  repeated point, which osu! does not extend) the path length comes from fosu, so the timing formula is
  still checked against the oracle.
"""

from __future__ import annotations

import math
from pathlib import Path

import fosu
import pytest
import rosu_pp_py

from engine.osu import Beatmap, Circle, HitObject, HoldNote, Slider, Spinner, parse_beatmap
from engine.osu.derived import (
    audio_offset,
    combos,
    end_time,
    mania_column,
    mania_key_count,
    needs_path_length,
    sorted_objects,
)
from tests.osu.corpus import beatmap_of, every_readable_osu, readable

KINDS = {fosu.Circle: Circle, fosu.Slider: Slider, fosu.Spinner: Spinner, fosu.HoldNote: HoldNote}
END_TIME_TOLERANCE_MS = 1.0


def _position(beatmap: Beatmap, obj: HitObject) -> tuple[float, float]:
    if beatmap.version >= 128:
        return obj.x, obj.y
    return float(math.trunc(obj.x)), float(math.trunc(obj.y))


@pytest.mark.parametrize("path", every_readable_osu(), ids=lambda p: p.name)
def test_hit_objects_and_timing_agree_with_fosu(path: Path) -> None:
    data = path.read_bytes()
    oracle = fosu.parse(data, client="lazer", calculate_slider_end_times=True, calculate_slider_paths=True)
    beatmap = beatmap_of(path)
    offset = audio_offset(beatmap)
    ours = sorted_objects(beatmap.hit_objects)
    effective = [combo for _, combo in combos(beatmap)]
    assert len(ours) == len(oracle.hit_objects)
    for index, (obj, theirs) in enumerate(zip(ours, oracle.hit_objects)):
        where = f"object {index} (line {obj.line + 1})"
        assert isinstance(obj, KINDS[type(theirs)]), where
        assert obj.time + offset == pytest.approx(theirs.time, abs=1e-6), where
        if beatmap.mode in (0, 2) and not isinstance(obj, Spinner):  # fosu reports spinners' written bit
            assert effective[index].new_combo == theirs.new_combo, where
        if not isinstance(obj, Spinner):
            x, y = _position(beatmap, obj)
            raw_x, raw_y = theirs.raw_position()
            assert x == pytest.approx(raw_x, abs=1e-3), where
            assert min(max(y, 0.0), 384.0) == pytest.approx(min(max(raw_y, 0.0), 384.0), abs=1e-3), where
        measure = (lambda slider, theirs=theirs: theirs.path.distance()) if isinstance(obj, Slider) else None
        end = end_time(beatmap, obj, measure)
        assert end is not None, where
        assert end + offset == pytest.approx(theirs.end_time, abs=END_TIME_TOLERANCE_MS), where
    assert len(beatmap.timing_points) == len(oracle.timing_points)
    for point, theirs in zip(beatmap.timing_points, oracle.timing_points):
        assert point.time + offset == pytest.approx(theirs.time, abs=1e-6)
        assert point.uninherited == theirs.uninherited
        assert (math.isnan(point.beat_length) and math.isnan(theirs.beat_length)) \
            or point.beat_length == theirs.beat_length


@pytest.mark.parametrize("path", every_readable_osu(), ids=lambda p: p.name)
def test_header_views_and_events_agree_with_fosu(path: Path) -> None:
    """Known differences: we report values as written where lazer clamps (SliderTickRate 1337 stays 1337),
    keep every combo colour (lazer keeps 8; fosu also drops keys such as `Combo0`), read `0,0,""` as no
    background, and use stable's defaults for an absent Countdown (1) and BeatmapID (0) where fosu reports
    lazer's."""
    theirs = fosu.parse(path.read_bytes(), client="lazer")
    beatmap = beatmap_of(path)
    offset = audio_offset(beatmap)
    general, metadata, difficulty, events = beatmap.general, beatmap.metadata, beatmap.difficulty, beatmap.events
    assert (metadata.title, metadata.artist, metadata.creator, metadata.version, metadata.tags) == \
        (theirs.title, theirs.artist, theirs.creator, theirs.version, theirs.tags)
    assert general.audio_filename == theirs.audio_filename
    assert general.stack_leniency == pytest.approx(theirs.stack_leniency)
    assert general.preview_time + (offset if general.preview_time != -1 else 0) == (
        theirs.preview_time if theirs.preview_time is not None else -1)
    if beatmap.value("General", "Countdown") is not None:
        assert general.countdown == theirs.countdown
    if beatmap.value("Metadata", "BeatmapID") is not None:
        assert metadata.beatmap_id == theirs.beatmap_id
    ours = [difficulty.hp_drain_rate, difficulty.circle_size, difficulty.overall_difficulty, difficulty.approach_rate,
            difficulty.slider_multiplier, min(max(difficulty.slider_tick_rate, 0.5), 8)]
    assert ours == pytest.approx([theirs.hp, theirs.cs, theirs.od, theirs.ar, theirs.slider_multiplier,
                                  theirs.slider_tick_rate])
    assert (events.background.filename if events.background else None) == (theirs.background or None)
    assert (events.video.filename if events.video else None) == (theirs.video or None)
    assert [(b.start + offset, b.end + offset) for b in events.breaks] == [(b.start, b.end) for b in theirs.breaks]
    combo_keys = [key for _, key, _ in beatmap.key_values("Colours") if key.startswith("Combo")]
    if all(key in {f"Combo{n}" for n in range(1, 9)} for key in combo_keys):  # fosu drops e.g. `Combo0`
        assert list(beatmap.colours.combo[:8]) == [(rgb >> 16 & 255, rgb >> 8 & 255, rgb & 255)  # fosu packs 0xRRGGBB
                                                   for rgb in theirs.combo_colours]
    assert list(beatmap.editor.bookmarks) == list(theirs.bookmark_list)


@pytest.mark.parametrize("path", every_readable_osu(), ids=lambda p: p.name)
def test_counts_mode_and_version_agree_with_rosu(path: Path) -> None:
    data = path.read_bytes()
    theirs = rosu_pp_py.Beatmap(bytes=data)
    beatmap = beatmap_of(path)
    kinds = [type(obj) for obj in beatmap.hit_objects]
    assert (beatmap.version, beatmap.mode) == (theirs.version, int(theirs.mode))
    assert (len(kinds), kinds.count(Circle), kinds.count(Slider), kinds.count(Spinner), kinds.count(HoldNote)) == \
        (theirs.n_objects, theirs.n_circles, theirs.n_sliders, theirs.n_spinners, theirs.n_holds)
    assert len(beatmap.events.breaks) == theirs.n_breaks


def test_most_slider_end_times_need_no_path_measure(corpus_dir: Path) -> None:
    sliders = [obj for path in readable() for obj in beatmap_of(path).hit_objects
               if isinstance(obj, Slider)]
    measured = [slider for slider in sliders if needs_path_length(slider)]
    assert len(sliders) > 50_000 and len(measured) < len(sliders) / 100


def test_mania_columns_are_the_canonical_x_values(corpus_dir: Path) -> None:
    checked = 0
    for path in readable():
        beatmap = beatmap_of(path)
        if beatmap.mode != 3 or beatmap.value("Difficulty", "CircleSize") is None:
            continue
        keys = mania_key_count(beatmap)
        canonical = {math.floor((column + 0.5) * 512 / keys): column for column in range(keys)}
        for obj in beatmap.hit_objects:
            if obj.x in canonical:
                assert mania_column(obj.x, keys) == canonical[obj.x]
                checked += 1
            assert 0 <= mania_column(obj.x, keys) < keys
    assert checked > 100_000


def test_combo_colour_offsets_match_the_expectations_written_in_ppys_test_map(corpus_dir: Path) -> None:
    """ppy's `hitobject-combo-offset.osu` states the expected combo index after each case in a comment."""
    beatmap = parse_beatmap((corpus_dir / "ppy-osu__hitobject-combo-offset__d59b0c10.osu").read_bytes())
    offsets = {obj.line: combo.colour_offset for obj, combo in combos(beatmap)}
    expected = []
    for index in range(len(beatmap.lines)):
        text = beatmap.line_text(index)
        if text.startswith("// Combo index = "):
            last_object = max(line for line in offsets if line < index)
            expected.append((offsets[last_object], int(text.rsplit(" ", 1)[1])))
    assert len(expected) == 6
    assert [ours for ours, _ in expected] == [theirs for _, theirs in expected]
