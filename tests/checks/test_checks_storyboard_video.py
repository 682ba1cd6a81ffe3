"""Storyboard and video checks on made-up mapsets in a temporary folder: each flags the set with the issue and
not the clean set. Videos are made with ffmpeg; those tests skip with the reason when it is not installed."""

from __future__ import annotations

import io
import shutil
import subprocess
from functools import cache
from pathlib import Path

import pytest
from PIL import Image

from engine.checks import check_path
from engine.checks.storyboard_lines import osb_elements
from engine.findings import Severity
from tests.checks.maps import write_mapset
from tests.checks.test_checks_mapset_files import clean_files, clean_set, osu_name, run

needs_ffmpeg = pytest.mark.skipif(shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None,
                                  reason="ffmpeg/ffprobe not installed (scripts/setup installs them)")


@cache
def video(width: int, height: int, audio: bool, folder: Path) -> bytes:
    """A one-second MPEG-4 test picture, with a sine audio track when `audio`."""
    out = folder / f"video_{width}x{height}_{audio}.mp4"
    inputs = ["-f", "lavfi", "-i", f"testsrc=size={width}x{height}:rate=1"]
    inputs += ["-f", "lavfi", "-i", "sine=duration=1", "-c:a", "aac"] if audio else []
    subprocess.run(["ffmpeg", "-v", "error", "-y", *inputs, "-t", "1", "-c:v", "mpeg4", str(out)], check=True)
    return out.read_bytes()


def with_video(data: bytes) -> tuple[dict[str, str], dict[str, bytes]]:
    """The clean set with a video in both difficulties, and its files with `data` as the video."""
    diffs = clean_set() | {name: text.replace('0,0,"bg.jpg",0,0', '0,0,"bg.jpg",0,0\nVideo,0,"video.mp4"')
                           for name, text in clean_set().items()}
    return diffs, clean_files() | {"video.mp4": data}


@cache
def png(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("1", (width, height)).save(buffer, "PNG")
    return buffer.getvalue()


SPRITE = 'Sprite,Foreground,Centre,"sb/star.png",320,240\n _F,0,1000,2000,1,0'
OSB = "[Variables]\n$dir=sb\n\n[Events]\n//Storyboard Layer 0 (Background)\n" + SPRITE.replace("sb/", "$dir/") + "\n"


def storyboarded(events: dict[str, str], files: dict[str, bytes], hard_widescreen: bool = True
                 ) -> tuple[dict[str, str], dict[str, bytes]]:
    """The clean set with storyboard lines added to the [Events] of some difficulties (version → lines), files
    added, and [Hard]'s widescreen support switched off unless `hard_widescreen`."""
    diffs = clean_set()
    for version, lines in events.items():
        name = osu_name(version)
        diffs[name] = diffs[name].replace('0,0,"bg.jpg",0,0', '0,0,"bg.jpg",0,0\n' + lines)
    if not hard_widescreen:
        diffs[osu_name("Hard")] = diffs[osu_name("Hard")].replace("WidescreenStoryboard: 1", "WidescreenStoryboard: 0")
    return diffs, clean_files() | files


# check id → (set with the issue, the same set without it), each as (difficulties, files)
VARIANTS = {
    "storyboard.missing-files": (storyboarded({"Hard": SPRITE}, {}),
                                 storyboarded({"Hard": SPRITE}, {"sb/star.png": png(64, 64)})),
    "storyboard.sprite-resolution": (storyboarded({}, {"x.osb": OSB.encode(), "sb/star.png": png(5000, 3500)}),
                                     storyboarded({}, {"x.osb": OSB.encode(), "sb/star.png": png(1920, 1080)})),
    "storyboard.osb-samples": (storyboarded({}, {"x.osb": (OSB + 'Sample,1000,0,"sb/hit.wav",100\n').encode(),
                                                 "sb/star.png": png(64, 64), "sb/hit.wav": b"RIFF"}),
                               storyboarded({}, {"x.osb": OSB.encode(), "sb/star.png": png(64, 64)})),
    "storyboard.inconsistent-settings": (
        storyboarded({"Normal": SPRITE, "Hard": SPRITE}, {"sb/star.png": png(64, 64)}, hard_widescreen=False),
        storyboarded({"Normal": SPRITE, "Hard": SPRITE}, {"sb/star.png": png(64, 64)})),
}


@pytest.mark.parametrize("check_id", sorted(VARIANTS))
def test_check_flags_the_mapset_with_the_issue_only(tmp_path: Path, check_id: str) -> None:
    bad, clean = VARIANTS[check_id]
    assert run(tmp_path / "bad", *bad, check_id), f"{check_id} missed its issue"
    assert not run(tmp_path / "clean", *clean, check_id), f"{check_id} flags the clean set"
    assert not [f for f in check_path(write_mapset(tmp_path / "all", *clean)) if f.check == "files.unused"]


def test_osb_variables_and_animation_frames() -> None:
    [sprite, animation] = osb_elements('[Variables]\n$a=x\n$ab=sb\n[Events]\nSprite,0,Centre,"$ab/$a.png",0,0\n'
                                       ' M,0,0,1,0,0\nAnimation,Foreground,Centre,"$ab\\run.png",0,0,3,50,LoopForever\n')
    assert (sprite.path, sprite.line) == ("sb/x.png", 5)
    assert animation.files() == ["sb/run0.png", "sb/run1.png", "sb/run2.png"] and animation.line == 7


def test_missing_animation_frames_are_named(tmp_path: Path) -> None:
    line = 'Animation,Foreground,Centre,"sb/run.png",0,0,3,50,LoopForever'
    [finding] = run(tmp_path, *storyboarded({"Hard": line}, {"sb/run0.png": png(8, 8)}), "storyboard.missing-files")
    assert finding.message == ("The storyboard uses frames sb/run1.png, sb/run2.png of the animation 'sb/run.png', "
                               "which is not in the folder.")
    assert finding.file == osu_name("Hard") and finding.line is not None


# Checks proven here (tests/checks/test_checks_corpus.py asserts that every check is proven somewhere).
CHECKED = {"files.video-streams"} | set(VARIANTS)


@needs_ffmpeg
@pytest.mark.parametrize("size, audio, expected", [
    ((640, 360), False, []),
    ((640, 360), True, ["The video 'video.mp4' has an audio track."]),
    ((1920, 1080), False, ["The video 'video.mp4' is 1920×1080; at most 1280×720."]),
])
def test_video_audio_track_and_resolution(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory,
                                          size: tuple[int, int], audio: bool, expected: list[str]) -> None:
    data = video(*size, audio, tmp_path_factory.getbasetemp())
    findings = run(tmp_path, *with_video(data), "files.video-streams")
    assert [f.message for f in findings] == expected
    assert all(f.severity is Severity.PROBLEM and f.file == "video.mp4" for f in findings)


def test_video_check_says_when_ffprobe_is_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    findings = [f for f in check_path(write_mapset(tmp_path / "set", *with_video(b"not really a video")))
                if f.check == "files.video-streams"]
    [finding] = findings
    assert finding.severity is Severity.ERROR and "ffprobe is not installed" in finding.message


def test_a_difficulty_specific_storyboard_in_one_difficulty_only(tmp_path: Path) -> None:
    findings = run(tmp_path, *storyboarded({"Hard": SPRITE}, {"sb/star.png": png(64, 64)}),
                   "storyboard.inconsistent-settings")
    assert [f.message for f in findings] == ["[Hard] has a difficulty-specific storyboard and [Normal] has none."]
