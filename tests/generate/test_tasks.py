"""engine.tasks end to end on the tiny checkpoints: every task, every mode, byte-level diffs of edits.

The tiny models are random: what they produce is junk. The tasks must still give a valid document (or
say the model produced no objects) and must never touch what they may not touch.
"""

from __future__ import annotations

import difflib
from pathlib import Path

import numpy as np
import pytest

from engine.audio import SAMPLE_RATE
from engine.decoding import GenerateOptions, OptionsError
from engine.osu import Beatmap, parse_beatmap, read_beatmap
from engine.osu.hitobjects import parse_hit_object
from engine.osu.timing import parse_timing_point
from engine.tasks import (
    NO_OBJECTS,
    generate_map,
    generate_timing,
    guest_difficulty,
    hitsound,
    merge_region,
    remap_region,
    star_rating,
    timing_lines_of,
)
from tests.generate.conftest import DEMO_AUDIO

QUICK = {"seed": 1, "max_new_tokens": 32}
MODES = [("v30", 0), ("v32", 1), ("v32", 2), ("v32", 3)]
MAPS = {0: "kimi_no_bouken.osu", 1: "taiko_adrift_muzukashii.osu", 2: "catch_nanairo_cup.osu",
        3: "mania7k_sayonara_hatsukoi.osu"}  # fmt: skip


def assert_valid(beatmap: Beatmap, mode: int) -> None:
    """Parses, round-trips byte for byte, osu! can rate it, and it has a red line."""
    data = beatmap.to_bytes()
    again = parse_beatmap(data)
    assert again.to_bytes() == data and not again.problems
    assert again.mode == mode
    assert any(p.uninherited and p.beat_length > 0 for p in again.timing_points)
    assert star_rating(again) is not None


def changed_lines(before: bytes, after: bytes) -> list[tuple[str, str]]:
    """(section, line) of every line removed or added between two files."""
    old, new = before.decode("utf-8-sig").splitlines(), after.decode("utf-8-sig").splitlines()
    out = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        for lines, start, end in ((old, i1, i2), (new, j1, j2)):
            for k in range(start, end):
                section = next((ln for ln in reversed(lines[:k]) if ln.startswith("[")), "")
                out.append((section, lines[k]))
    return out


def assert_only_inside(before: bytes, after: bytes, start: float, end: float) -> int:
    """Every changed line is a hit object or a green line with start ≤ time ≤ end; returns how many."""
    changes = changed_lines(before, after)
    for section, line in changes:
        if section == "[HitObjects]":
            assert start <= parse_hit_object(line).time <= end, line
        else:
            assert section == "[TimingPoints]", (section, line)
            point = parse_timing_point(line)
            assert start <= point.time <= end and not point.uninherited, line
    return len(changes)


@pytest.mark.parametrize(("version", "mode"), MODES)
def test_generate_map_gives_a_valid_named_disclosed_difficulty(tiny, demo_audio, version, mode) -> None:
    options = GenerateOptions(gamemode=mode, difficulty=4.5, title="Demo Song", artist="maid", **QUICK)
    result = generate_map(tiny[version], demo_audio[: 20 * SAMPLE_RATE], options, audio_filename="audio.ogg")
    assert_valid(result.beatmap, mode)
    meta = result.beatmap.metadata
    assert result.file_name == f"maid - Demo Song (maid) [{meta.version}].osu" and version in meta.version
    assert "ai-generated" in meta.tags and "seed=1" in meta.tags
    assert result.beatmap.general.audio_filename == "audio.ogg"
    assert result.objects == len(result.beatmap.hit_objects)
    assert (NO_OBJECTS in result.notes) == (result.objects == 0)
    if mode == 3:
        assert result.beatmap.difficulty.circle_size == 4  # the keycount


def test_an_unsupported_mode_is_a_clear_error_before_any_work(tiny, clip) -> None:
    with pytest.raises(OptionsError, match="maps only gamemode 0"):
        generate_map(tiny["v30"], clip, GenerateOptions(gamemode=3))


@pytest.mark.parametrize(("version", "mode"), MODES)
def test_remap_touches_only_the_range(tiny, golden_dir, demo_audio, version, mode) -> None:
    document = read_beatmap(golden_dir / "tokens" / "maps" / MAPS[mode])
    start, end = 2000, 12000
    result = remap_region(tiny[version], document, demo_audio[: 25 * SAMPLE_RATE], start, end,
                          GenerateOptions(**QUICK))  # fmt: skip
    assert_valid(result.beatmap, mode)
    changes = assert_only_inside(document.to_bytes(), result.beatmap.to_bytes(), start, end)
    if result.objects == 0:
        assert NO_OBJECTS in result.notes and result.beatmap.to_bytes() == document.to_bytes()
    else:
        assert changes > 0


def test_merge_region_replaces_objects_and_restores_sv_after_the_range(golden_dir) -> None:
    """The merge step on a real generated map: the reference's post-processed output of real tokens."""
    document = read_beatmap(golden_dir / "tokens" / "maps" / "kimi_no_bouken.osu")
    generated = read_beatmap(golden_dir / "tokens" / "decode" / "v30_kimi_no_bouken_w0.osu")
    start, end = 6000, 14000
    merged, placed = merge_region(document, generated, start, end)
    inside = [o for o in generated.hit_objects if start <= o.time <= end]
    assert placed == len(inside) > 0
    assert_only_inside(document.to_bytes(), merged.to_bytes(), start, end)
    assert [(o.time, o.x, o.y) for o in merged.hit_objects if start <= o.time <= end] == \
        [(o.time, o.x, o.y) for o in inside]  # fmt: skip
    assert [merged.line_text(o.line) for o in merged.hit_objects if not start <= o.time <= end] == \
        [document.line_text(o.line) for o in document.hit_objects if not start <= o.time <= end]  # fmt: skip
    for t in (end, end + 1, end + 5000):  # what plays after the range is what the user had
        before, after = document.timing.point_at(t), merged.timing.point_at(t)
        assert after.slider_velocity() == before.slider_velocity() and after.volume == before.volume
    empty, none = merge_region(document, generated, 100000, 110000)
    assert none == 0 and empty.to_bytes() == document.to_bytes()


def test_remap_needs_a_range_and_a_timed_map(tiny, golden_dir, clip) -> None:
    document = read_beatmap(golden_dir / "tokens" / "maps" / "kimi_no_bouken.osu")
    with pytest.raises(OptionsError, match="--to must come after --from"):
        remap_region(tiny["v30"], document, clip, 5000, 5000, GenerateOptions())


def test_guest_difficulty_follows_the_mapset_and_never_reuses_a_name(tiny) -> None:
    folder = DEMO_AUDIO.parent
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    options = GenerateOptions(gamemode=0, difficulty=3.0, version="Normal", **QUICK)
    result = guest_difficulty(tiny["v30"], folder, options)
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before  # nothing written
    assert result.file_name not in before and result.file_name.endswith("[Normal+].osu")
    assert_valid(result.beatmap, 0)
    reference = read_beatmap(folder / "maid - Demo Song (maid) [Normal].osu")
    assert result.beatmap.metadata.creator == reference.metadata.creator
    assert result.beatmap.general.audio_filename == reference.general.audio_filename
    reds = [(p.time, p.beat_length, p.meter) for p in reference.timing_points if p.uninherited]
    assert [(p.time, p.beat_length, p.meter) for p in result.beatmap.timing_points if p.uninherited] == reds
    assert any("guest-difficulty" in note for note in result.notes)


def test_generate_timing_gives_red_lines_only(tiny, demo_audio) -> None:
    result = generate_timing(tiny["v32"], demo_audio[: 20 * SAMPLE_RATE], GenerateOptions(**QUICK),
                             audio_filename="song.ogg")  # fmt: skip
    assert_valid(result.beatmap, 0)
    assert result.beatmap.hit_objects == () and result.file_name.endswith("[timing].osu")


def test_timing_lines_keep_red_parents(golden_dir) -> None:
    document = read_beatmap(golden_dir / "tokens" / "maps" / "taiko_adrift_muzukashii.osu")
    lines = timing_lines_of(document)
    assert len(lines) == len(document.timing_points)
    assert all(line.red.uninherited for line in lines)
    assert sum(line.uninherited for line in lines) == sum(p.uninherited for p in document.timing_points) == 22


def test_audio_arrays_and_paths_agree(tiny, clip, golden_dir) -> None:
    options = GenerateOptions(gamemode=1, **QUICK)
    from_array = generate_map(tiny["v32"], clip, options, audio_filename="clip_16k_mono.wav")
    from_path = generate_map(tiny["v32"], golden_dir / "audio" / "clip_16k_mono.wav", options)
    assert from_array.beatmap.to_bytes() == from_path.beatmap.to_bytes()
    assert isinstance(clip, np.ndarray) and Path(from_path.beatmap.general.audio_filename).suffix == ".wav"


HITSOUND_FIELDS = {"hit_sound", "hit_sample", "edge_sounds", "edge_sets", "line"}


@pytest.mark.parametrize(("version", "mode"), MODES)
def test_hitsound_changes_only_hitsound_fields_of_objects_in_range(tiny, golden_dir, demo_audio, version,
                                                                   mode) -> None:
    from dataclasses import fields

    document = read_beatmap(golden_dir / "tokens" / "maps" / MAPS[mode])
    start, end = 0, 12000
    result = hitsound(tiny[version], document, demo_audio[: 15 * SAMPLE_RATE], GenerateOptions(seed=4),
                      time_range=(start, end))  # fmt: skip
    assert_valid(result.beatmap, mode)
    before, after = document.to_bytes().splitlines(keepends=True), result.beatmap.to_bytes().splitlines(keepends=True)
    assert len(before) == len(after)  # lines patched in place, none added or removed
    changed = [i for i, (a, b) in enumerate(zip(before, after, strict=True)) if a != b]
    assert len(changed) == result.objects > 0
    old_objects = {o.line: o for o in document.hit_objects}
    new_objects = {o.line: o for o in result.beatmap.hit_objects}
    for i in changed:
        old, new = old_objects[i], new_objects[i]  # only object lines change
        assert start <= old.time <= end
        assert type(old) is type(new)
        for f in fields(old):
            if f.name not in HITSOUND_FIELDS:
                assert getattr(old, f.name) == getattr(new, f.name), f.name
        assert (new.hit_sound & 1) == (old.hit_sound & 1)


def test_hitsound_is_reproducible_by_seed(tiny, golden_dir, clip) -> None:
    document = read_beatmap(golden_dir / "tokens" / "maps" / "catch_nanairo_cup.osu")
    runs = [hitsound(tiny["v32"], document, clip, GenerateOptions(seed=s), time_range=(0, 8000)).beatmap.to_bytes()
            for s in (2, 2, 3)]
    assert runs[0] == runs[1] != runs[2]


def test_guest_difficulty_in_another_mode_uses_that_modes_difficulty(tiny) -> None:
    folder = DEMO_AUDIO.parent
    result = guest_difficulty(tiny["v32"], folder, GenerateOptions(gamemode=3, **QUICK))
    assert_valid(result.beatmap, 3)
    reference = read_beatmap(folder / "maid - Demo Song (maid) [4K Normal].osu")
    assert result.beatmap.difficulty.circle_size == reference.difficulty.circle_size == 4
    assert result.file_name.startswith("maid - Demo Song (maid) [maid ") and result.file_name not in {
        p.name for p in folder.iterdir()}  # fmt: skip
