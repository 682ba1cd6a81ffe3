"""Mapset-wide and folder checks on made-up mapsets written to a temporary folder: each check flags the set
with the issue and not the clean set; timing and metadata differences between difficulties are found."""

from __future__ import annotations

import io
from collections.abc import Callable
from functools import cache
from pathlib import Path

import numpy as np
import pytest
import soundfile
from PIL import Image

from engine.checks import check_path
from engine.findings import Finding, Severity
from tests.checks.maps import BREAK, base_map, evenly_spaced, objects, write_mapset

RED = "1000,500,4,2,0,60,1,0"
TIMING = [RED, "17000,-100,4,2,0,60,0,1", "25000,-100,4,2,0,60,0,0"]


def osu_name(version: str) -> str:
    return f"Test Artist - Test Song (maid) [{version}].osu"


@cache
def mp3(seconds: float, compression: float = 0.5) -> bytes:
    """Stereo noise as MP3; compression 0.5 gives about 160 kbps, 0.7 about 115, 0.0 about 320."""
    noise = (np.random.default_rng(0).standard_normal((int(44100 * seconds), 2)) * 0.1).astype("float32")
    buffer = io.BytesIO()
    soundfile.write(buffer, noise, 44100, format="MP3", subtype="MPEG_LAYER_III", compression_level=compression,
                    bitrate_mode="CONSTANT")
    return buffer.getvalue()


@cache
def wav(seconds: float, amplitude: float = 0.5) -> bytes:
    buffer = io.BytesIO()
    tone = (amplitude * np.sin(np.arange(int(44100 * seconds)) / 10)).astype("float32")
    soundfile.write(buffer, tone, 44100, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


@cache
def stereo_wav(seconds: float, delay_s: float = 0.0, right: float = 1.0) -> bytes:
    """A tone after `delay_s` of silence, the right channel scaled by `right`."""
    buffer = io.BytesIO()
    tone = (0.5 * np.sin(np.arange(int(44100 * seconds)) / 10)).astype("float32")
    tone[:int(44100 * delay_s)] = 0
    soundfile.write(buffer, np.stack([tone, tone * right], axis=1), 44100, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


@cache
def jpg(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (40, 80, 120)).save(buffer, "JPEG")
    return buffer.getvalue()


def clean_files() -> dict[str, bytes]:
    return {"audio.mp3": mp3(42), "bg.jpg": jpg(1280, 720), "soft-hitwhistle.wav": stereo_wav(0.2)}


def clean_set() -> dict[str, str]:
    normal = "HPDrainRate:4\nCircleSize:4\nOverallDifficulty:4\nApproachRate:5"
    return {osu_name("Normal"): base_map(version="Normal", difficulty=normal, hit_objects=evenly_spaced()),
            osu_name("Hard"): base_map(version="Hard")}


def run(tmp_path: Path, diffs: dict[str, str], files: dict[str, bytes], check_id: str) -> list[Finding]:
    findings = [f for f in check_path(write_mapset(tmp_path, diffs, files)) if f.check == check_id]
    assert not [f for f in findings if f.severity is Severity.ERROR]
    return findings


Variant = Callable[[dict[str, str], dict[str, bytes]], None]


def change_hard(**kwargs: object) -> Variant:
    def apply(diffs: dict[str, str], files: dict[str, bytes]) -> None:
        diffs[osu_name("Hard")] = base_map(version="Hard", **kwargs)  # type: ignore[arg-type]
    return apply


def set_file(name: str, data: bytes) -> Variant:
    def apply(diffs: dict[str, str], files: dict[str, bytes]) -> None:
        files[name] = data
    return apply


def replace_in_hard(old: str, new: str) -> Variant:
    def apply(diffs: dict[str, str], files: dict[str, bytes]) -> None:
        diffs[osu_name("Hard")] = diffs[osu_name("Hard")].replace(old, new)
    return apply


def retitle(old: str, new: str) -> Variant:
    """Rename a difficulty (file name and Version)."""
    def apply(diffs: dict[str, str], files: dict[str, bytes]) -> None:
        diffs[osu_name(new)] = diffs.pop(osu_name(old)).replace(f"Version:{old}", f"Version:{new}")
    return apply


def rename(old: str, new: str) -> Variant:
    def apply(diffs: dict[str, str], files: dict[str, bytes]) -> None:
        diffs[new] = diffs.pop(old)
    return apply


def silent_hard(diffs: dict[str, str], files: dict[str, bytes]) -> None:
    lines = objects()
    lines[4] = lines[4].replace(",1,2,", ",1,0,")  # the circle at 3000 loses its whistle
    diffs[osu_name("Hard")] = base_map(version="Hard", hit_objects=lines)


def snapped_apart(normal_time: int = 3167, hard_time: int = 3125) -> Variant:
    """[Normal] gets a circle at `normal_time` and [Hard] one at `hard_time` (by default 1/3 and 1/4, 42 ms apart,
    neither matched in the other)."""
    def apply(diffs: dict[str, str], files: dict[str, bytes]) -> None:
        normal = "HPDrainRate:4\nCircleSize:4\nOverallDifficulty:4\nApproachRate:5"
        diffs[osu_name("Normal")] = base_map(version="Normal", difficulty=normal, hit_objects=sorted(
            evenly_spaced() + [f"256,300,{normal_time},1,0,0:0:0:0:"], key=lambda line: int(line.split(",")[2])))
        diffs[osu_name("Hard")] = base_map(version="Hard", hit_objects=sorted(
            objects() + [f"256,300,{hard_time},1,0,0:0:0:0:"], key=lambda line: int(line.split(",")[2])))
    return apply


def finishes(every: int, gap: int = 500) -> Variant:
    """[Hard] plays a finish on every `every`-th of its circles `gap` ms apart, from custom sample index 1, and the
    folder holds soft-hitfinish.wav."""
    def apply(diffs: dict[str, str], files: dict[str, bytes]) -> None:
        lines = [f"{256 + (i % 2) * 60},192,{1000 + i * gap},{5 if i % 8 == 0 else 1},{4 if i % every == 0 else 2},0:0:0:0:"
                 for i in range(40_000 // gap) if not BREAK[0] - 200 < 1000 + i * gap < BREAK[1] + 1000]
        diffs[osu_name("Hard")] = base_map(version="Hard", hit_objects=lines, timing=[
            "1000,500,4,2,1,60,1,0", "17000,-100,4,2,1,60,0,1", "25000,-100,4,2,1,60,0,0"])
        files["soft-hitfinish.wav"] = stereo_wav(0.2)
    return apply


VARIANTS: dict[str, Variant] = {
    "mapset.inconsistent-timing": change_hard(timing=[RED, "9000,400,4,2,0,60,1,0", "17000,-100,4,2,0,60,0,1"]),
    "mapset.snap-consistency": snapped_apart(),
    "hitsounds.frequent-finishes": finishes(every=1),
    "skinning.skin-sets": set_file("hitcircle.png", b"png"),
    "skinning.element-resolution": set_file("cursor.png", jpg(3000, 1000)),
    "mapset.inconsistent-kiai": change_hard(timing=[RED, "19000,-100,4,2,0,60,0,1", "25000,-100,4,2,0,60,0,0"]),
    "mapset.inconsistent-preview": replace_in_hard("PreviewTime: 17000", "PreviewTime: 9000"),
    "mapset.inconsistent-hitsounds": silent_hard,
    "mapset.inconsistent-settings": replace_in_hard("AudioLeadIn: 0", "AudioLeadIn: 2000"),
    "mapset.inconsistent-video": change_hard(events=['0,0,"bg.jpg",0,0', 'Video,0,"video.mp4"',
                                                     f"2,{BREAK[0]},{BREAK[1]}"]),
    "mapset.lowest-difficulty": retitle("Normal", "Insane"),
    "files.zero-byte": set_file("empty.png", b""),
    "files.unused": set_file("notes.txt", b"todo"),
    "files.osu-name": rename(osu_name("Hard"), "hard.osu"),
    "files.audio": replace_in_hard("AudioFilename: audio.mp3", "AudioFilename: other.mp3"),
    "files.audio-format": set_file("audio.mp3", wav(42)),
    "files.audio-bitrate": set_file("audio.mp3", mp3(42, 0.7)),
    "files.unused-audio-end": set_file("audio.mp3", mp3(70)),
    "files.hitsound-format": set_file("soft-hitclap.wav", mp3(0.3)),
    "files.hitsound-length": set_file("soft-hitclap.wav", wav(0.01)),
    "files.delayed-hitsounds": set_file("soft-hitwhistle.wav", stereo_wav(0.2, delay_s=0.01)),
    "files.imbalanced-hitsounds": set_file("soft-hitwhistle.wav", stereo_wav(0.2, right=0.0)),
    "files.background-resolution": set_file("bg.jpg", jpg(3000, 2000)),
    "files.hitsound-difficulty": retitle("Normal", "hitsounds"),
    "files.skipped-lines": replace_in_hard("1000,500,4,2,0,60,1,0", "1000,x,4,2,0,60,1,0\n1000,500,4,2,0,60,1,0"),
}


@pytest.mark.parametrize("check_id", sorted(VARIANTS))
def test_check_flags_the_mapset_with_the_issue_only(tmp_path: Path, check_id: str) -> None:
    assert not run(tmp_path / "clean", clean_set(), clean_files(), check_id), f"{check_id} flags the clean set"
    diffs, files = clean_set(), clean_files()
    VARIANTS[check_id](diffs, files)
    assert run(tmp_path / "bad", diffs, files, check_id), f"{check_id} missed its issue"


def test_clean_mapset_has_no_problems(tmp_path: Path) -> None:
    findings = check_path(write_mapset(tmp_path, clean_set(), clean_files()))
    assert [f for f in findings if f.severity >= Severity.MINOR] == []


def test_timing_difference_names_both_difficulties(tmp_path: Path) -> None:
    diffs, files = clean_set(), clean_files()
    VARIANTS["mapset.inconsistent-timing"](diffs, files)
    findings = run(tmp_path, diffs, files, "mapset.inconsistent-timing")
    # [Hard] comes first in file-name order, so it is the reference the other difficulty is compared with.
    assert [(f.file, f.start_ms, f.message) for f in findings] == [
        (osu_name("Normal"), 9000, "Missing the red line at 9000 ms that [Hard] has.")]


def test_snap_consistency_names_the_lower_difficulty_and_both_snaps(tmp_path: Path) -> None:
    diffs, files = clean_set(), clean_files()
    snapped_apart()(diffs, files)
    [finding] = run(tmp_path / "a", diffs, files, "mapset.snap-consistency")
    assert (finding.file, finding.start_ms) == (osu_name("Normal"), 3167)
    assert finding.message == "1/3 here, where [Hard] has 1/4 at 3125 ms and nothing at this time."
    # 1/2 in the Normal near a 1/16 in the Hard simplifies the rhythm; the other way round does not.
    snapped_apart(normal_time=3250, hard_time=3218)(diffs, files)
    assert not run(tmp_path / "b", diffs, files, "mapset.snap-consistency")
    snapped_apart(normal_time=3218, hard_time=3250)(diffs, files)
    assert run(tmp_path / "c", diffs, files, "mapset.snap-consistency")


@pytest.mark.parametrize("every, gap, expected", [
    (1, 500, "'soft-hitfinish.wav' plays 71 times, once every 0.5 s of drain on average"),  # common, no burst
    (1, 125, "'soft-hitfinish.wav' plays in a dense burst up to here"),
    (16, 500, None),  # once every 8 s
])
def test_frequent_finishes_in_bursts_or_commonly(tmp_path: Path, every: int, gap: int, expected: str | None) -> None:
    diffs, files = clean_set(), clean_files()
    finishes(every, gap)(diffs, files)
    found = run(tmp_path, diffs, files, "hitsounds.frequent-finishes")
    assert [f.message.split(";")[0] for f in found] == ([expected] if expected else [])
    assert all(f.file == osu_name("Hard") for f in found)


HITCIRCLE_SET = ("approachcircle", "followpoint", "hitcircle", "hitcircleoverlay", "sliderendcircle",
                  "sliderendcircleoverlay", "sliderstartcircle", "sliderstartcircleoverlay")


@pytest.mark.parametrize("files, colours, expected", [
    ({f"{name}.png": name.encode() for name in HITCIRCLE_SET}, "SliderBorder : 255,255,255", []),
    ({f"{name}@2x.png": name.encode() for name in HITCIRCLE_SET if name != "followpoint"} | {"followpoint-0@2x.png": b"f"},
     "SliderBorder : 255,255,255", []),  # @2x and animation frames count
    ({f"{name}.png": name.encode() for name in HITCIRCLE_SET}, "", [
        "Hit circles or sliders are skinned but the difficulty sets no SliderBorder colour."] * 2),
    ({f"{name}.png": name.encode() for name in HITCIRCLE_SET}, "SliderBorder : 255,255,255\nSliderTrackOverride : 250,250,240",
     ["The slider body colour (SliderTrackOverride) is too close to the border colour (SliderBorder)."] * 2),
    ({f"{name}.png": name.encode() for name in HITCIRCLE_SET if name != "approachcircle"} | {"hitcircle.jpg": b"j"},
     "SliderBorder : 255,255,255", ["The Hitcircle skin set is only partly skinned; missing: approachcircle."]),
    ({f"{name}.png": name.encode() for name in HITCIRCLE_SET if name != "approachcircle"} | {"approachcircle.jpg": b"j"},
     "SliderBorder : 255,255,255", ["The skin element 'approachcircle.jpg' is not a PNG."]),
    ({"hit100.png": b"same", "hit100k.png": b"same", "hit0.png": b"0", "hit50.png": b"5", "hit300.png": b"3",
      "hit300g.png": b"g", "hit300k.png": b"k"}, "",
     ["'hit100.png' and 'hit100k.png' are the same image; players cannot tell a geki/katu from a plain hit."]),
])
def test_skin_sets(tmp_path: Path, files: dict[str, bytes], colours: str, expected: list[str]) -> None:
    diffs = {name: text.replace("[Colours]\n", f"[Colours]\n{colours}\n") for name, text in clean_set().items()}
    found = run(tmp_path, diffs, clean_files() | files, "skinning.skin-sets")
    assert [f.message for f in found] == expected


def test_mixed_and_new_style_spinners(tmp_path: Path) -> None:
    diffs = clean_set()
    diffs[osu_name("Hard")] = base_map(version="Hard", hit_objects=objects()[:-1] + ["256,192,41000,12,0,43000,0:0:0:0:"])
    new = {f"{name}.png": name.encode() for name in ("spinner-bottom", "spinner-glow", "spinner-middle", "spinner-middle2",
                                                     "spinner-top", "spinner-approachcircle", "spinner-clear", "spinner-spin")}
    found = run(tmp_path / "new", diffs, clean_files() | new, "skinning.skin-sets")
    assert [f.severity.name for f in found] == ["WARNING"] and "new-style spinner" in found[0].message
    found = run(tmp_path / "mixed", diffs, clean_files() | new | {"spinner-circle.png": b"c"}, "skinning.skin-sets")
    assert [f.message.split(";")[0] for f in found] == [
        "Old-style (spinner-circle) and new-style (spinner-bottom) spinner elements are both present"]


@cache
def png(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGBA", (width, height)).save(buffer, "PNG")
    return buffer.getvalue()


CATCHER = {f"fruit-catcher-{state}.png": png(306, 320) for state in ("fail", "idle", "kiai")}


@pytest.mark.parametrize("mode, files, expected", [
    (1, {"taikohitcircle.png": png(8, 8)}, ["The Taiko hit object skin set is only partly skinned; missing: "
                                           "taikobigcircle, taikobigcircleoverlay, taikohitcircleoverlay, "
                                           "sliderscorepoint, taiko-roll-middle, taiko-roll-end."]),  # drumrolls: yes
    (1, {f"{name}.png": png(8, 8) for name in ("taikohitcircle", "taikobigcircle", "taikohitcircleoverlay-0",
                                               "taikobigcircleoverlay", "sliderscorepoint", "taiko-roll-middle",
                                               "taiko-roll-end")}, []),
    (2, CATCHER | {"skin.ini": b"[General]\nVersion: 2.5\n"}, []),
    (2, CATCHER | {"skin.ini": b"[General]\nVersion: 1.0\n"}, ["A custom catcher needs a skin.ini declaring Version: 2 "
                                                                "or higher."]),
    (2, CATCHER | {"skin.ini": b"[General]\nVersion: latest\n", "fruit-catcher-idle@2x.png": png(306, 320)},
     ["'fruit-catcher-idle@2x.png' is 306×320; it must be exactly 612×640 (its size is the hitbox)."]),
    (0, {"taikohitcircle.png": png(8, 8)}, []),  # taiko elements in an osu! set
    (3, {"mania-hit300.png": png(8, 8), "mania-hit300g-0.png": png(8, 8)},
     ["The Mania hitburst skin set is only partly skinned; missing: mania-hit0, mania-hit50, mania-hit100, "
      "mania-hit200."]),
])
def test_taiko_catch_and_mania_skin_sets(tmp_path: Path, mode: int, files: dict[str, bytes], expected: list[str]) -> None:
    diffs = {name: text.replace("Mode: 0", f"Mode: {mode}") for name, text in clean_set().items()}
    assert [f.message for f in run(tmp_path, diffs, clean_files() | files, "skinning.skin-sets")] == expected


def test_skin_elements_of_every_mode_are_not_unused_files(tmp_path: Path) -> None:
    names = ["cursor-smoke@2x.png", "cursortrail.png", "taikobigcircle.png", "taiko-roll-middle.png",
             "fruit-catcher-idle-0.png", "fruit-apple-overlay.png", "comboburst-mania-0.png", "sliderb-nd.png",
             "mania-hit300g-0.png", "spinner-middle2.png"]
    files = clean_files() | {name: png(8, 8) for name in names} | {"cursorx.png": png(8, 8)}
    assert [f.file for f in run(tmp_path, clean_set(), files, "files.unused")] == ["cursorx.png"]


def test_silent_hitsound_must_be_the_44_byte_blank(tmp_path: Path) -> None:
    files = clean_files() | {"soft-hitclap.wav": wav(0.2, amplitude=0.0)}
    [finding] = run(tmp_path / "a", clean_set(), files, "files.hitsound-length")
    assert "silent" in finding.message
    blank = clean_files() | {"soft-hitclap.wav": wav(0.0)[:44]}
    assert not run(tmp_path / "b", clean_set(), blank, "files.hitsound-length")


def test_songs_folder_names_the_mapset_folder(tmp_path: Path) -> None:
    diffs, files = clean_set(), clean_files()
    VARIANTS["files.unused"](diffs, files)
    write_mapset(tmp_path / "123 Test Artist - Test Song", diffs, files)
    findings = [f for f in check_path(tmp_path) if f.check == "files.unused"]
    assert [f.file for f in findings] == ["123 Test Artist - Test Song/notes.txt"]
