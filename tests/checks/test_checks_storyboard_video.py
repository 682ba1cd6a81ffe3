"""Storyboard and video checks on made-up mapsets in a temporary folder: each flags the set with the issue and
not the clean set. Videos are made with ffmpeg; those tests skip with the reason when it is not installed."""

from __future__ import annotations

import shutil
import subprocess
from functools import cache
from pathlib import Path

import pytest

from engine.findings import Severity
from engine.checks import check_path
from tests.checks.maps import write_mapset
from tests.checks.test_checks_mapset_files import clean_files, clean_set, run

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


# Checks proven here (tests/checks/test_checks_corpus.py asserts that every check is proven somewhere).
CHECKED = {"files.video-streams"}


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
