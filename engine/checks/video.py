"""Checks on the mapset's video file: an audio track in it, and its resolution (Mapset Verifier's "Audio channels
in video" and "Too high video resolution").

The streams are read with ffprobe (part of ffmpeg, installed by scripts/setup), once per video. Without
ffprobe the check cannot look inside the video and says so as an ERROR finding (the check did not run) rather
than passing silently. Missing or misplaced video files are `events.video`'s business.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from engine.checks.context import MapsetContext
from engine.checks.registry import Scope, check
from engine.findings import Finding, Severity

RESOURCES = "Resources"
MAX_VIDEO = (1280, 720)
FFPROBE_TIMEOUT_S = 20


@dataclass(frozen=True)
class Streams:
    """What ffprobe found in a video: the largest picture and whether any stream is audio."""

    width: int
    height: int
    has_audio: bool


class ProbeError(RuntimeError):
    """ffprobe is missing or could not read the file; the message says which and what to do."""


def probe(path: Path) -> Streams:
    """The video's streams by ffprobe. Raises ProbeError naming the file when ffprobe is missing or fails."""
    ffprobe = shutil.which("ffprobe")
    if ffprobe is None:
        raise ProbeError("ffprobe is not installed, so the video could not be checked; install ffmpeg "
                         "(scripts/setup does) and check again")
    try:
        result = subprocess.run([ffprobe, "-v", "error", "-show_entries", "stream=codec_type,width,height",
                                 "-of", "json", str(path)], capture_output=True, text=True, timeout=FFPROBE_TIMEOUT_S)
    except subprocess.TimeoutExpired as error:
        raise ProbeError(f"ffprobe took over {FFPROBE_TIMEOUT_S} s on '{path.name}'") from error
    if result.returncode != 0:
        raise ProbeError(f"ffprobe cannot read '{path.name}': {result.stderr.strip()[:200] or 'unknown error'}")
    streams = json.loads(result.stdout or "{}").get("streams", [])
    pictures = [(int(s.get("width") or 0), int(s.get("height") or 0)) for s in streams if s.get("codec_type") == "video"]
    width, height = max(pictures, key=lambda size: size[0] * size[1], default=(0, 0))
    return Streams(width, height, any(s.get("codec_type") == "audio" for s in streams))


def _video_files(ctx: MapsetContext) -> list[str]:
    """The folder's files the difficulties use as video (as the folder spells them)."""
    present = {name.lower(): name for name in ctx.files}
    named = {d.beatmap.events.video.filename.replace("\\", "/").lower() for d in ctx.difficulties
             if d.beatmap.events.video is not None}
    return sorted(present[name] for name in named if name in present)


@check("files.video-streams", "Audio track or too high resolution in the video", category=RESOURCES,
       severity=Severity.PROBLEM, scope=Scope.FILES)
def video_streams(ctx: MapsetContext) -> Iterator[Finding]:
    """A video with an audio track (Problem: it plays over the song) or larger than 1280×720 (Problem)."""
    for name in _video_files(ctx):
        try:
            streams = probe(ctx.folder / name)  # type: ignore[operator]
        except ProbeError as error:
            yield ctx.flag(f"{error}.", file=name, severity=Severity.ERROR,
                           suggestion="Check the video's audio and resolution by hand meanwhile.")
            continue
        if streams.has_audio:
            yield ctx.flag(f"The video '{name}' has an audio track.", file=name,
                           suggestion="Remove the audio track (e.g. ffmpeg -i in.mp4 -c copy -an out.mp4).")
        if streams.width > MAX_VIDEO[0] or streams.height > MAX_VIDEO[1]:
            yield ctx.flag(f"The video '{name}' is {streams.width}×{streams.height}; at most 1280×720.", file=name,
                           suggestion="Scale it down to 1280×720 or less.")
