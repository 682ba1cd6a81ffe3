"""Checks on the mapset folder's files and on each .osu as a file: lines osu! skips, 0-byte and unused files,
.osu file names, the song audio (present, one file, format, bitrate, unused tail), hit sound sample files
(format, length, silence) and background images (resolution, size).

Audio is measured with soundfile (libsndfile reads MP3/OGG/WAV) and images with Pillow, reading headers
only where possible. Bitrate is the average over the file: (size − ID3 tag) · 8 / duration. Nothing here
writes to the folder.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import soundfile
from PIL import Image

from engine.checks.context import DifficultyContext, MapsetContext
from engine.checks.registry import Scope, check
from engine.findings import Finding, Severity
from engine.osu.events import clean_filename, event_type

FILES = "Files"
AUDIO = "Audio"
RESOURCES = "Resources"
MAX_NAME = 130
SAMPLE_NAME = re.compile(r"(normal|soft|drum)-(hit(normal|whistle|finish|clap)|slider(slide|whistle|tick))\d*"
                         r"\.(wav|ogg|mp3)", re.IGNORECASE)
SKIN_ELEMENT = re.compile(
    r"(approachcircle|hitcircle\w*|slider[\w-]+|reversearrow|spinner-[\w-]+|followpoint\w*|lighting|hit(0|50|100|300)\w*"
    r"|default-\d|comboburst[\w-]*|count[123]|go|ready|section-(fail|pass)|play-(skip|warningarrow|unranked)|fruit-[\w-]+"
    r"|particle\d+|taiko[\w-]+|mania-[\w-]+|scorebar-\w+|star2?|pippidon\w*|combobreak|applause|spinnerspin|spinnerbonus"
    r"|cursor(trail|middle|-smoke)?)"
    r"(-\d+)?(@2x)?\.(png|jpg|wav|ogg|mp3)", re.IGNORECASE)


@check("files.skipped-lines", "Lines osu! skips", category=FILES, severity=Severity.PROBLEM)
def skipped_lines(ctx: DifficultyContext) -> Iterator[Finding]:
    """A line osu! cannot read and skips (Problem for hit objects and timing points, whose content is lost;
    Warning for other lines). Names the line."""
    for problem in ctx.beatmap.problems:
        lost = "[HitObjects]" in problem.message or "[TimingPoints]" in problem.message
        yield ctx.flag(f"Line {problem.line_number}: {problem.message}.", line=problem.line_number,
                       severity=Severity.PROBLEM if lost else Severity.WARNING,
                       suggestion=f"Fix or delete the line: {problem.line_text[:80]!r}")


@check("files.zero-byte", "0-byte files", category=FILES, severity=Severity.PROBLEM, scope=Scope.FILES)
def zero_byte(ctx: MapsetContext) -> Iterator[Finding]:
    """A file of 0 bytes in the mapset folder: the upload fails (Problem)."""
    for name in ctx.files:
        if (ctx.folder / name).stat().st_size == 0:  # type: ignore[operator]
            yield ctx.flag(f"'{name}' is empty (0 bytes).", file=name, suggestion="Delete it or replace it.")


def referenced_files(ctx: MapsetContext) -> set[str]:
    """Lower-cased paths the difficulties and storyboards refer to (audio, backgrounds, videos, storyboard images
    and samples with every animation frame, object samples)."""
    used: set[str] = set()
    for difficulty in ctx.difficulties:
        beatmap = difficulty.beatmap
        used.add(beatmap.general.audio_filename.lower())
        for _, text in beatmap.entries("Events"):
            parts = text.split(",")
            if event_type(text) in (0, 1) and len(parts) > 2:
                used.add(clean_filename(parts[2]).replace("\\", "/").lower())
        used.update(name for element in difficulty.storyboard for name in element.files())
        used.update(o.raw.hit_sample.filename.lower() for o in difficulty.objects
                    if o.raw.hit_sample is not None and o.raw.hit_sample.filename)
    used.update(name for found in ctx.osb_storyboards.values() for element in found for name in element.files())
    return used


def is_skin_or_sample(name: str) -> bool:
    base = name.rsplit("/", 1)[-1].lower()
    return bool(SAMPLE_NAME.fullmatch(base) or SKIN_ELEMENT.fullmatch(base))


@check("files.unused", "Unused files", category=FILES, severity=Severity.PROBLEM, scope=Scope.FILES)
def unused(ctx: MapsetContext) -> Iterator[Finding]:
    """A file no difficulty or storyboard uses (Problem). Beatmap hit sound samples and skin elements count as
    used by name (the game loads them by name)."""
    used = referenced_files(ctx)
    for name in ctx.files:
        lower = name.lower()
        if lower.endswith((".osu", ".osb")) or lower in used or is_skin_or_sample(lower):
            continue
        yield ctx.flag(f"'{name}' is not used by any difficulty or storyboard.", file=name,
                       suggestion="Delete it to keep the download small.")


def _clean(text: str) -> str:
    return re.sub(r'[\\/:*?"<>|]', "", text)


@check("files.osu-name", "Issues with updating or downloading", category=FILES, severity=Severity.WARNING,
       scope=Scope.MAPSET)
def osu_name(ctx: MapsetContext) -> Iterator[Finding]:
    """A .osu file not named `Artist - Title (Creator) [Version].osu` (case-insensitive; the game cannot update
    it), or any file name longer than 130 characters (the .osz fails). Runs only on files from a folder."""
    for difficulty in ctx.difficulties:
        if difficulty.file is None or ctx.folder is None:
            continue
        meta = difficulty.beatmap.metadata
        expected = _clean(f"{meta.artist} - {meta.title} ({meta.creator}) [{meta.version}].osu")
        if difficulty.file.lower() != expected.lower():
            yield ctx.flag(f"The file is named '{difficulty.file}' but its metadata says '{expected}'.",
                           difficulty=difficulty, suggestion="Save the difficulty from the editor to rename it.")
    for name in ctx.files:
        if len(Path(name).name) > MAX_NAME:
            yield ctx.flag(f"'{name}' has a name longer than {MAX_NAME} characters.", file=name,
                           suggestion="Shorten the file name.")


@check("files.audio", "Multiple or missing audio files", category=AUDIO, severity=Severity.PROBLEM,
       scope=Scope.MAPSET)
def audio(ctx: MapsetContext) -> Iterator[Finding]:
    """No audio file set, difficulties using different audio files, or the audio file missing from the folder
    (Problem)."""
    names = {d.beatmap.general.audio_filename for d in ctx.difficulties}
    if names == {""}:
        yield ctx.flag("No difficulty names an audio file.", suggestion="Set the song in Song Setup.")
        return
    if len(names) > 1:
        yield ctx.flag(f"Difficulties use different audio files: {sorted(names)}.",
                       suggestion="Use one audio file for the whole set.")
    if ctx.folder is not None:
        present = {name.lower() for name in ctx.files}
        for name in sorted(names - {""}):
            if name.replace("\\", "/").lower() not in present:
                yield ctx.flag(f"The audio file '{name}' is not in the folder.", file=name,
                               suggestion="Add the audio file.")


def sniff_audio(data: bytes) -> str | None:
    """'mp3', 'ogg', 'wav' or None from a file's first bytes."""
    if data[:4] == b"OggS":
        return "ogg"
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return "wav"
    if data[:3] == b"ID3" or (len(data) > 1 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0):
        return "mp3"
    return None


def id3_size(data: bytes) -> int:
    """Bytes of a leading ID3v2 tag (cover art can be most of a small MP3)."""
    if data[:3] != b"ID3" or len(data) < 10:
        return 0
    return 10 + ((data[6] & 0x7F) << 21 | (data[7] & 0x7F) << 14 | (data[8] & 0x7F) << 7 | (data[9] & 0x7F))


def _song_files(ctx: MapsetContext) -> Iterator[tuple[str, Path]]:
    if ctx.folder is None:
        return
    present = {name.lower(): name for name in ctx.files}
    for name in sorted({d.beatmap.general.audio_filename for d in ctx.difficulties} - {""}):
        found = present.get(name.replace("\\", "/").lower())
        if found is not None:
            yield found, ctx.folder / found


@check("files.audio-format", "Incorrect audio format", category=AUDIO, severity=Severity.PROBLEM, scope=Scope.FILES)
def audio_format(ctx: MapsetContext) -> Iterator[Finding]:
    """Song audio that is not MP3 or OGG by its content (Problem), or whose extension does not match its content
    (Warning)."""
    for name, path in _song_files(ctx):
        kind = sniff_audio(path.read_bytes()[:16])
        if kind not in ("mp3", "ogg"):
            yield ctx.flag(f"The song '{name}' is not MP3 or OGG ({kind or 'unknown format'}).", file=name,
                           suggestion="Convert it to MP3 (128–192 kbps) or OGG (up to 208 kbps).")
        elif not name.lower().endswith("." + kind):
            yield ctx.flag(f"The song '{name}' is {kind.upper()} but its extension says otherwise.", file=name,
                           severity=Severity.WARNING, suggestion=f"Rename it to .{kind}.")


def audio_duration_ms(path: Path) -> float | None:
    try:
        info = soundfile.info(str(path))
    except (RuntimeError, soundfile.LibsndfileError):
        return None
    return info.frames / info.samplerate * 1000 if info.samplerate else None


@check("files.audio-bitrate", "Too high or low audio bitrate", category=AUDIO, severity=Severity.PROBLEM,
       scope=Scope.FILES)
def audio_bitrate(ctx: MapsetContext) -> Iterator[Finding]:
    """Average song bitrate under 128 kbps, or over 192 (MP3) / 208 (OGG) kbps (Problem). The average is
    (file size − ID3 tag) · 8 / duration."""
    for name, path in _song_files(ctx):
        data = path.read_bytes()
        kind = sniff_audio(data[:16])
        duration = audio_duration_ms(path)
        if kind not in ("mp3", "ogg") or not duration:
            continue
        kbps = (len(data) - id3_size(data)) * 8 / duration
        high = 192 if kind == "mp3" else 208
        if kbps < 128 - 1 or kbps > high + 1:
            yield ctx.flag(f"The song '{name}' averages {kbps:.0f} kbps; ranked audio needs 128–{high} kbps.",
                           file=name, suggestion="Re-encode it from a better source within the range.")


@check("files.unused-audio-end", "More than 20% unused audio at the end", category=AUDIO,
       severity=Severity.WARNING, scope=Scope.FILES)
def unused_audio_end(ctx: MapsetContext) -> Iterator[Finding]:
    """More than 20 % of the song plays after a difficulty's last object (Warning)."""
    durations = {name.lower(): audio_duration_ms(path) for name, path in _song_files(ctx)}
    for difficulty in ctx.difficulties:
        length = durations.get(difficulty.beatmap.general.audio_filename.replace("\\", "/").lower())
        if not length or not difficulty.objects:
            continue
        end = max(o.end_time for o in difficulty.objects)
        if end < 0.8 * length:
            yield ctx.flag(f"{(length - end) / length:.0%} of the song plays after the last object.",
                           difficulty=difficulty, time=end,
                           suggestion="Map the rest of the song or cut the audio.")


def sample_files(ctx: MapsetContext) -> list[str]:
    """Files that play as hit sounds: beatmap sample names, and files objects name directly."""
    named = {o.raw.hit_sample.filename.lower() for d in ctx.difficulties for o in d.objects
             if o.raw.hit_sample is not None and o.raw.hit_sample.filename}
    return [name for name in ctx.files if "/" not in name and (SAMPLE_NAME.fullmatch(name) or name.lower() in named)]


@check("files.hitsound-format", "Incorrect hit sound format", category=AUDIO, severity=Severity.PROBLEM,
       scope=Scope.FILES)
def hitsound_format(ctx: MapsetContext) -> Iterator[Finding]:
    """An MP3 hit sound (delayed by the decoder; Problem), a sample neither WAV nor OGG by content (Warning),
    or an extension that does not match the content (Warning)."""
    for name in sample_files(ctx):
        kind = sniff_audio((ctx.folder / name).read_bytes()[:16])  # type: ignore[operator]
        if kind == "mp3":
            yield ctx.flag(f"The hit sound '{name}' is an MP3, which plays late.", file=name,
                           suggestion="Convert it to WAV or OGG.")
        elif kind is None and (ctx.folder / name).stat().st_size > 44:  # type: ignore[operator]
            yield ctx.flag(f"The hit sound '{name}' is neither WAV nor OGG.", file=name, severity=Severity.WARNING,
                           suggestion="Convert it to WAV or OGG.")
        elif kind is not None and not name.lower().endswith("." + kind):
            yield ctx.flag(f"The hit sound '{name}' is {kind.upper()} but named otherwise.", file=name,
                           severity=Severity.WARNING, suggestion=f"Rename it to .{kind}.")


def _read_samples(path: Path) -> np.ndarray | None:
    try:
        data, _ = soundfile.read(str(path), dtype="float32", always_2d=True)
    except (RuntimeError, soundfile.LibsndfileError):
        return None
    return data


@check("files.hitsound-length", "Too short or silent hit sounds", category=AUDIO, severity=Severity.PROBLEM,
       scope=Scope.FILES)
def hitsound_length(ctx: MapsetContext) -> Iterator[Finding]:
    """A hit sound 0 < length < 25 ms (Problem), or a silent one (peak < 0.01) that is not the 44-byte blank
    WAV (Problem)."""
    for name in sample_files(ctx):
        path = ctx.folder / name  # type: ignore[operator]
        duration = audio_duration_ms(path)
        if duration is not None and 0 < duration < 25:
            yield ctx.flag(f"The hit sound '{name}' lasts {duration:.1f} ms; under 25 ms some devices skip it.",
                           file=name, suggestion="Pad it with silence at the end to at least 25 ms.")
        samples = _read_samples(path) if path.stat().st_size != 44 else None
        if samples is not None and samples.size and float(np.abs(samples).max()) < 0.01:
            yield ctx.flag(f"The hit sound '{name}' is silent but is not the 44-byte blank WAV.", file=name,
                           suggestion="Replace it with a 44-byte blank.wav.")


@check("files.delayed-hitsounds", "Delayed hit sounds", category=AUDIO, severity=Severity.PROBLEM, scope=Scope.FILES)
def delayed_hitsounds(ctx: MapsetContext) -> Iterator[Finding]:
    """A hit sound starting with ≥ 5 ms of pure silence (Problem), ≥ 5 ms of near-silence, under 0.1 % of its
    peak (Warning), or 1–5 ms of either (Minor): it plays late."""
    for name in sample_files(ctx):
        samples = _read_samples(ctx.folder / name)  # type: ignore[operator]
        info = soundfile.info(str(ctx.folder / name)) if samples is not None and samples.size else None  # type: ignore[operator]
        if info is None:
            continue
        loudness = np.abs(samples).max(axis=1)
        peak = float(loudness.max())
        if peak < 0.01:
            continue  # silent samples are `files.hitsound-length`'s business
        pure = int(np.argmax(loudness > 0)) / info.samplerate * 1000
        near = int(np.argmax(loudness > 0.001 * peak)) / info.samplerate * 1000
        if pure >= 5:
            severity, delay = Severity.PROBLEM, pure
        elif near >= 5:
            severity, delay = Severity.WARNING, near
        elif near >= 1:
            severity, delay = Severity.MINOR, near
        else:
            continue
        yield ctx.flag(f"The hit sound '{name}' starts {delay:.1f} ms late (silence before the sound).", file=name,
                       severity=severity, suggestion="Cut the silence at its start.")


@check("files.imbalanced-hitsounds", "Imbalanced hit sounds", category=AUDIO, severity=Severity.WARNING,
       scope=Scope.FILES)
def imbalanced_hitsounds(ctx: MapsetContext) -> Iterator[Finding]:
    """A stereo hit sound with one silent channel (Warning) or one channel at least twice as loud as the other
    (Minor; Mapset Verifier raises it to a Warning when the sound is used often — not done here)."""
    for name in sample_files(ctx):
        samples = _read_samples(ctx.folder / name)  # type: ignore[operator]
        if samples is None or samples.ndim != 2 or samples.shape[1] != 2 or not samples.size:
            continue
        left, right = (float(np.sqrt(np.mean(samples[:, channel] ** 2))) for channel in (0, 1))
        louder, quieter = max(left, right), min(left, right)
        if louder < 1e-4:
            continue
        side = "left" if left > right else "right"
        if quieter < 1e-4:
            yield ctx.flag(f"The hit sound '{name}' plays only on the {side} channel.", file=name,
                           suggestion="Make it mono or balance the channels.")
        elif louder >= 2 * quieter:
            yield ctx.flag(f"The hit sound '{name}' is {louder / quieter:.1f}× louder on the {side}.", file=name,
                           severity=Severity.MINOR, suggestion="Balance the channels.")


MAX_BG = (2560, 1440)
MIN_BG = (1024, 640)
MAX_IMAGE_BYTES = int(2.5 * 1024 * 1024)


@check("files.background-resolution", "Too high or low background resolution", category=RESOURCES,
       severity=Severity.PROBLEM, scope=Scope.FILES)
def background_resolution(ctx: MapsetContext) -> Iterator[Finding]:
    """A background over 2560×1440 (Problem) or under 1024×640 (Warning; MV's limit — lazer warns under
    960×540), or a file over 2.5 MB (Problem)."""
    present = {name.lower(): name for name in ctx.files}
    for name in sorted({d.beatmap.events.background.filename for d in ctx.difficulties
                        if d.beatmap.events.background is not None}):
        found = present.get(name.replace("\\", "/").lower())
        if found is None:
            continue
        path = ctx.folder / found  # type: ignore[operator]
        try:
            with Image.open(path) as image:
                width, height = image.size
        except (OSError, ValueError):
            yield ctx.flag(f"The background '{found}' cannot be read as an image.", file=found,
                           suggestion="Re-save it as JPG or PNG.")
            continue
        if width > MAX_BG[0] or height > MAX_BG[1]:
            yield ctx.flag(f"The background '{found}' is {width}×{height}; at most 2560×1440.", file=found,
                           suggestion="Scale it down.")
        elif width < MIN_BG[0] or height < MIN_BG[1]:
            yield ctx.flag(f"The background '{found}' is only {width}×{height}; at least 1024×640 is recommended.",
                           file=found, severity=Severity.WARNING, suggestion="Use a larger image.")
        if path.stat().st_size > MAX_IMAGE_BYTES:
            yield ctx.flag(f"The background '{found}' is {path.stat().st_size / 2**20:.1f} MB; at most 2.5 MB.",
                           file=found, suggestion="Compress it (e.g. as a JPG).")


@check("files.hitsound-difficulty", "Hitsound difficulty present", category=FILES, severity=Severity.PROBLEM,
       scope=Scope.MAPSET)
def hitsound_difficulty(ctx: MapsetContext) -> Iterator[Finding]:
    """A difficulty named like a hit-sound helper (`hitsounds`, `hs`, `_hs_`): delete it before nomination."""
    for difficulty in ctx.difficulties:
        name = difficulty.version.strip().lower()
        if re.search(r"hit\W*sound", name) or name in ("hs", "_hs_"):
            yield ctx.flag(f"[{difficulty.version}] looks like a hit-sound helper difficulty.", difficulty=difficulty,
                           suggestion="Delete it from the set before nomination.")
