"""The shipped demo mapset: its song decodes and carries the beat, and each .osu is a sane stable-style v14 file
charted on the song's grid."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile

from engine.audio import load_audio, song_length_ms
from engine.checks.geometry import build_path
from engine.checks.runner import run_checks
from engine.demo import background, charts, demo_mapset_folder, synth
from engine.findings import Severity
from engine.osu import Beatmap, HoldNote, Slider, Spinner, read_beatmap
from engine.osu.derived import beat_snap, end_time, mania_column

FOLDER = demo_mapset_folder()
OSU_FILES = sorted(FOLDER.glob("*.osu"))
STABLE_SECTIONS = ["General", "Editor", "Metadata", "Difficulty", "Events", "TimingPoints", "Colours", "HitObjects"]


@pytest.fixture(scope="module")
def song() -> np.ndarray:
    return load_audio(FOLDER / "audio.ogg")


@pytest.fixture(scope="module")
def beatmaps() -> dict[int, Beatmap]:
    return {beatmap.mode: beatmap for beatmap in map(read_beatmap, OSU_FILES)}


def _end(beatmap: Beatmap, obj) -> float:
    value = end_time(beatmap, obj)
    assert value is not None, f"{obj} needs a measured path"
    return value


def test_folder_holds_the_song_a_background_and_one_difficulty_per_mode(beatmaps: dict[int, Beatmap]) -> None:
    assert (FOLDER / "audio.ogg").stat().st_size < 500_000
    assert sorted(path.name for path in FOLDER.iterdir() if path.suffix != ".osu") == ["audio.ogg", "bg.png"]
    assert len(OSU_FILES) == 4
    assert sorted(beatmaps) == [0, 1, 2, 3]
    for beatmap in beatmaps.values():
        assert beatmap.events.background is not None and beatmap.events.background.filename == "bg.png"


def test_background_is_what_the_script_draws() -> None:
    from PIL import Image

    with Image.open(FOLDER / "bg.png") as image:
        stored = np.asarray(image.convert("RGB"), dtype=np.float64)
    drawn = np.asarray(background.render(), dtype=np.float64)
    assert stored.shape == drawn.shape == (720, 1280, 3)
    assert np.abs(stored - drawn).mean() < 1.0  # font rasterisers may differ by a little


def test_the_rule_checks_find_no_problem_but_the_bitrate() -> None:
    """maid's own checks pass the demo, except ranked audio bitrate: < 500 KB for 36.6 s allows ~110 kbps."""
    findings = run_checks([read_beatmap(path) for path in OSU_FILES], folder=FOLDER)
    problems = {(f.check, f.difficulty, f.message) for f in findings if f.severity >= Severity.PROBLEM}
    assert {check for check, _, _ in problems} <= {"files.audio-bitrate"}, problems


def test_song_is_vorbis_and_covers_every_object(song: np.ndarray, beatmaps: dict[int, Beatmap]) -> None:
    info = soundfile.info(FOLDER / "audio.ogg")
    assert (info.format, info.subtype, info.samplerate, info.channels) == ("OGG", "VORBIS", 44100, 2)
    assert 30_000 <= song_length_ms(song) <= 45_000
    last = max(_end(beatmap, obj) for beatmap in beatmaps.values() for obj in beatmap.hit_objects)
    assert song_length_ms(song) >= last + 1000


def test_song_is_what_synth_renders(song: np.ndarray) -> None:
    rendered = synth.render().mean(axis=1)
    positions = np.arange(len(song)) * synth.SAMPLE_RATE / 16000  # audioop's linear interpolation
    expected = np.interp(positions, np.arange(len(rendered)), rendered)
    assert np.corrcoef(song, expected)[0, 1] > 0.99


def test_song_has_its_kicks_on_the_beat_grid(song: np.ndarray) -> None:
    """Energy right after each chorus beat is far above the energy half-way between beats."""
    energy = np.convolve(song.astype(np.float64) ** 2, np.ones(320) / 320, mode="valid")  # 20 ms windows
    beats = [charts.ms(charts.bar_beat(bar, beat)) for bar in synth.CHORUS for beat in range(4)]
    on = np.array([energy[time * 16] for time in beats])
    off = np.array([energy[(time + 100) * 16] for time in beats])  # the 1/4 after each beat
    assert (on > 2 * off).all()


def test_committed_files_are_what_the_chart_script_writes() -> None:
    for chart in charts.charts():
        assert (FOLDER / chart.file_name).read_bytes() == charts.render(chart), chart.file_name


@pytest.mark.parametrize("path", OSU_FILES, ids=lambda p: p.name)
def test_file_is_stable_style_v14(path: Path) -> None:
    data = path.read_bytes()
    assert data.startswith(b"osu file format v14\r\n")
    assert data.endswith(b"\r\n")
    assert data.count(b"\n") == data.count(b"\r\n")  # CRLF only
    assert not data.startswith(b"\xef\xbb\xbf")
    beatmap = read_beatmap(path)
    assert beatmap.version == 14
    assert beatmap.problems == []
    sections = [line[1:-1] for line in data.decode().splitlines() if line.startswith("[")]
    assert sections == [name for name in STABLE_SECTIONS if name in sections]
    assert {"General", "Editor", "Metadata", "Difficulty", "Events", "TimingPoints", "HitObjects"} <= set(sections)
    assert b"AudioFilename: audio.ogg\r\n" in data and b"Creator:maid\r\n" in data
    assert beatmap.metadata.creator == "maid"
    assert "demo" in beatmap.metadata.source and "demo" in beatmap.metadata.tags
    assert b"\r\n\r\n\r\n[" in data.split(b"[TimingPoints]")[1]  # two blank lines after the timing points


@pytest.mark.parametrize("path", OSU_FILES, ids=lambda p: p.name)
def test_objects_are_sorted_and_snapped_to_the_song(path: Path) -> None:
    beatmap = read_beatmap(path)
    red = [point for point in beatmap.timing_points if point.uninherited]
    assert [(point.time, point.bpm) for point in red] == [(synth.OFFSET_MS, synth.BPM)]
    assert any(point.kiai for point in beatmap.timing_points)
    assert len(beatmap.timing_points) >= 4

    objects = beatmap.hit_objects
    assert 60 <= len(objects) <= 200
    times = [obj.time for obj in objects]
    assert times == sorted(times)
    for obj in objects:
        for time in (obj.time, _end(beatmap, obj)):
            snap = beat_snap(beatmap.timing, time, tolerance=0.0)
            assert snap.divisor in (1, 2, 4), f"{path.name}: {obj} at {time} is not on 1/1, 1/2 or 1/4"
    if beatmap.mode != 3:
        for previous, current in zip(objects, objects[1:]):
            assert _end(beatmap, previous) < current.time, f"{current} overlaps the object before it"


@pytest.mark.parametrize("path", [p for p in OSU_FILES if read_beatmap(p).events.breaks], ids=lambda p: p.name)
def test_breaks_are_where_the_editor_puts_them(path: Path) -> None:
    beatmap = read_beatmap(path)
    preempt = 1200 - 750 * (beatmap.difficulty.approach_rate - 5) / 5
    for brk in beatmap.events.breaks:
        before = max(_end(beatmap, obj) for obj in beatmap.hit_objects if obj.time <= brk.start)
        after = min(obj.time for obj in beatmap.hit_objects if obj.time >= brk.end)
        assert brk.start >= before + 200
        assert brk.end <= after - preempt
        assert brk.end - brk.start >= 650


def test_standard_uses_every_slider_kind_repeats_and_a_spinner(beatmaps: dict[int, Beatmap]) -> None:
    beatmap = beatmaps[0]
    sliders = [obj for obj in beatmap.hit_objects if isinstance(obj, Slider)]
    assert {slider.curve_type for slider in sliders} >= {"B", "L", "P"}
    assert any(slider.slides > 1 for slider in sliders)
    assert any(len(set(s.control_points)) < len(s.control_points) for s in sliders)  # a red anchor
    assert any(isinstance(obj, Spinner) for obj in beatmap.hit_objects)
    for slider in sliders:
        segments = [(segment.curve_type, segment.points) for segment in slider.segments]
        path = build_path((slider.x, slider.y), segments, None)
        assert path.length >= slider.length, f"{slider}: osu! would extend the path"  # no straight extension
        played = build_path((slider.x, slider.y), segments, slider.length)
        assert all(0 <= x <= 512 and 0 <= y <= 384 for x, y in played.points)
    for obj in beatmap.hit_objects:
        assert 0 <= obj.x <= 512 and 0 <= obj.y <= 384


def test_taiko_has_every_kind_of_note(beatmaps: dict[int, Beatmap]) -> None:
    objects = beatmaps[1].hit_objects
    circles = [obj for obj in objects if not isinstance(obj, (Slider, Spinner))]
    kat = [obj for obj in circles if obj.hit_sound & (2 | 8)]
    big = [obj for obj in circles if obj.hit_sound & 4]
    assert kat and big and len(kat) < len(circles)  # dons, kats, finishers
    assert any(isinstance(obj, Slider) for obj in objects)  # drumroll
    assert any(isinstance(obj, Spinner) for obj in objects)  # denden


def test_catch_walks_within_reach(beatmaps: dict[int, Beatmap]) -> None:
    beatmap = beatmaps[2]
    objects = beatmap.hit_objects
    assert any(isinstance(obj, Slider) for obj in objects) and any(isinstance(obj, Spinner) for obj in objects)
    for previous, current in zip(objects, objects[1:]):
        if isinstance(previous, (Slider, Spinner)) or isinstance(current, Spinner):
            continue
        assert abs(current.x - previous.x) <= 0.5 * (current.time - previous.time)  # a walking catcher is 1 px/ms


def test_mania_is_4k_with_notes_and_holds_on_the_columns(beatmaps: dict[int, Beatmap]) -> None:
    beatmap = beatmaps[3]
    assert beatmap.difficulty.circle_size == 4
    holds = [obj for obj in beatmap.hit_objects if isinstance(obj, HoldNote)]
    assert holds and len(holds) < len(beatmap.hit_objects)
    assert {obj.x for obj in beatmap.hit_objects} == {64, 192, 320, 448}
    free_at = {column: -1.0 for column in range(4)}
    for obj in beatmap.hit_objects:
        column = mania_column(obj.x, 4)
        assert obj.time > free_at[column], f"{obj} overlaps the note before it in column {column}"
        free_at[column] = obj.end_time


@pytest.mark.parametrize("path", OSU_FILES, ids=lambda p: p.name)
def test_rosu_pp_reads_it_as_a_normal_level_map(path: Path) -> None:
    """An independent osu! implementation sees the same objects and rates them a Normal-level difficulty."""
    import rosu_pp_py

    theirs = rosu_pp_py.Beatmap(path=str(path))
    ours = read_beatmap(path)
    assert theirs.n_objects == len(ours.hit_objects)
    assert int(theirs.mode) == ours.mode and theirs.bpm == synth.BPM
    stars = rosu_pp_py.Difficulty().calculate(theirs).stars
    assert 1.0 <= stars <= 2.7, stars
