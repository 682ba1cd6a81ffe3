"""[Events]-side checks: breaks, kiai, the preview point, background and video, storyboard overlay layer.

Break rules follow Mapset Verifier and lazer (a break must start ≥ 200 ms after the previous object and end
before the next object appears; breaks under 650 ms do nothing). Image sizes are read with Pillow from the
mapset folder when the folder is known.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import PurePosixPath

from engine.checks.context import DifficultyContext
from engine.checks.registry import TAIKO, check
from engine.checks.snapping import unsnap
from engine.checks.storyboard_lines import SAMPLE
from engine.findings import Finding, Severity

EVENTS = "Events"
BREAK_GAP_BEFORE = 200
MIN_BREAK = 650


@check("events.break-placement", "Breaks only achievable through .osu editing", category=EVENTS,
       severity=Severity.PROBLEM)
def break_placement(ctx: DifficultyContext) -> Iterator[Finding]:
    """A break starting < 200 ms after the previous object ends, or ending after the next object starts to
    appear (its start minus the approach time), beyond 1 ms of leniency (Problem)."""
    for start, end in ctx.breaks:
        before = ctx.objects_between(float("-inf"), start + 1e-9)
        after = ctx.objects_between(start, float("inf"))
        previous = max(before[-16:], key=lambda o: o.end_time, default=None)
        following = after[0] if after else None
        if previous is not None and start < previous.end_time + BREAK_GAP_BEFORE - 1:
            yield ctx.flag(f"The break starts {start - previous.end_time:.0f} ms after the previous object; the "
                           f"editor keeps {BREAK_GAP_BEFORE} ms.", time=start, end=end,
                           suggestion="Let the editor place the break (delete it and re-add it).")
        if following is not None and end > following.time - ctx.preempt + 1:
            yield ctx.flag(f"The break ends {end - (following.time - ctx.preempt):.0f} ms after the next object "
                           "starts to appear.", time=start, end=end, objects=[following],
                           suggestion="Let the editor place the break (delete it and re-add it).")


@check("events.short-breaks", "Too short breaks", category=EVENTS, severity=Severity.WARNING)
def short_breaks(ctx: DifficultyContext) -> Iterator[Finding]:
    """A break shorter than 650 ms does nothing in game (Warning)."""
    for start, end in ctx.breaks:
        if end - start < MIN_BREAK:
            yield ctx.flag(f"The break lasts {end - start:.0f} ms; breaks under {MIN_BREAK} ms are not shown.",
                           time=start, end=end, suggestion="Remove it or make it longer.")


@check("events.unsnapped-kiai", "Unsnapped kiai", category=EVENTS, severity=Severity.WARNING)
def unsnapped_kiai(ctx: DifficultyContext) -> Iterator[Finding]:
    """A kiai start unsnapped by ≥ 10 ms (taiko ≥ 5 ms) → Warning, ≥ 1 ms → Minor; a kiai end ≥ 1 ms → Minor."""
    previous_kiai = False
    warning = 5 if ctx.mode == TAIKO else 10
    for point in ctx.timing_points:
        if point.kiai == previous_kiai:
            continue
        previous_kiai = point.kiai
        red = ctx.red_line_at(point.time)
        off = 0.0 if red is None else unsnap(point.time, red.time, red.beat_length)
        if abs(off) < 1:
            continue
        what = "start" if point.kiai else "end"
        severity = Severity.WARNING if point.kiai and abs(off) >= warning else Severity.MINOR
        yield ctx.flag(f"Kiai {what} is unsnapped by {off:+.2f} ms.", time=point.time, severity=severity,
                       line=None if point.line is None else point.line + 1,
                       suggestion="Snap the line that toggles kiai.")


@check("events.preview-time", "Unset preview time", category=EVENTS, severity=Severity.PROBLEM)
def preview_time(ctx: DifficultyContext) -> Iterator[Finding]:
    """PreviewTime unset (-1) → Problem (song select plays from 40 %); set past the last object → Warning."""
    preview = ctx.beatmap.general.preview_time
    if preview < 0:
        yield ctx.flag("The preview point is not set.", suggestion="Set it in the editor (Timing → Set preview point).")
    elif ctx.objects and preview > max(o.end_time for o in ctx.objects):
        yield ctx.flag("The preview point is after the last object.", time=preview, severity=Severity.WARNING,
                       suggestion="Put it on a representative part of the song.")


def _inside(name: str) -> bool:
    return ".." not in PurePosixPath(name.replace("\\", "/")).parts


@check("events.background", "Missing background", category=EVENTS, severity=Severity.PROBLEM)
def background(ctx: DifficultyContext) -> Iterator[Finding]:
    """No background (Problem), a background path leaving the mapset folder (Problem), or a background file
    missing from the folder (Problem; only with the folder)."""
    bg = ctx.beatmap.events.background
    if bg is None or not bg.filename:
        yield ctx.flag("The difficulty has no background.", suggestion="Add a background image.")
        return
    line = None if bg.line is None else bg.line + 1
    if not _inside(bg.filename):
        yield ctx.flag(f"The background '{bg.filename}' is outside the mapset folder.", line=line,
                       suggestion="Copy it into the mapset folder.")
    elif ctx.folder_files is not None and bg.filename.replace("\\", "/").lower() not in ctx.folder_files:
        yield ctx.flag(f"The background file '{bg.filename}' is missing.", line=line,
                       suggestion="Add the file or choose another background.")


@check("events.video", "Missing or misplaced video", category=EVENTS, severity=Severity.WARNING)
def video(ctx: DifficultyContext) -> Iterator[Finding]:
    """A video path leaving the mapset folder (Problem) or a video file missing from the folder (Warning)."""
    clip = ctx.beatmap.events.video
    if clip is None:
        return
    line = None if clip.line is None else clip.line + 1
    if not _inside(clip.filename):
        yield ctx.flag(f"The video '{clip.filename}' is outside the mapset folder.", line=line,
                       severity=Severity.PROBLEM, suggestion="Copy it into the mapset folder.")
    elif ctx.folder_files is not None and clip.filename.replace("\\", "/").lower() not in ctx.folder_files:
        yield ctx.flag(f"The video file '{clip.filename}' is missing.", line=line,
                       suggestion="Add the file or remove the video line.")


@check("events.overlay-layer", "Storyboard elements on the Overlay layer", category=EVENTS,
       severity=Severity.WARNING)
def overlay_layer(ctx: DifficultyContext) -> Iterator[Finding]:
    """A storyboard sprite or animation on the Overlay layer, drawn above the hit objects (Warning)."""
    for element in ctx.storyboard:
        if element.kind != SAMPLE and element.layer == "Overlay":
            yield ctx.flag("A storyboard element is on the Overlay layer, above the hit objects.", line=element.line,
                           suggestion="Move it to the Foreground layer unless it must cover the objects.")
