"""`maid info` and `maid roundtrip`: read-only commands on .osu files.

Neither command ever writes a file. Engine code is imported inside the commands to keep `maid --help` fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.markup import escape

from daemon.cli.app import app, console, fail, print_json

if TYPE_CHECKING:
    from engine.osu import Beatmap


def describe(beatmap: Beatmap) -> dict[str, Any]:
    """The facts `maid info` shows, as plain data."""
    from engine.osu import HoldNote, Slider, Spinner
    from engine.osu.derived import drain_time, play_time

    objects = beatmap.hit_objects
    counts = {"circles": 0, "sliders": 0, "spinners": 0, "holds": 0}
    for obj in objects:
        kind = ("sliders" if isinstance(obj, Slider) else "spinners" if isinstance(obj, Spinner)
                else "holds" if isinstance(obj, HoldNote) else "circles")
        counts[kind] += 1
    red = [p for p in beatmap.timing_points if p.uninherited]
    bpms = [p.bpm for p in red if p.bpm]
    start, end = play_time(beatmap)
    difficulty, metadata = beatmap.difficulty, beatmap.metadata
    return {
        "path": beatmap.path,
        "version": beatmap.version,
        "mode": beatmap.mode_name,
        "objects": {"total": len(objects), **counts},
        "timing": {
            "bpm_min": min(bpms, default=None),
            "bpm_max": max(bpms, default=None),
            "red_lines": len(red),
            "green_lines": len(beatmap.timing_points) - len(red),
            "offset": min((p.time for p in red), default=None),
        },
        "length_ms": end - start,
        "drain_ms": drain_time(beatmap),
        "breaks": len(beatmap.events.breaks),
        "difficulty": {"HP": difficulty.hp_drain_rate, "CS": difficulty.circle_size,
                       "OD": difficulty.overall_difficulty, "AR": difficulty.approach_rate,
                       "SM": difficulty.slider_multiplier, "TR": difficulty.slider_tick_rate},
        "metadata": {"artist": metadata.artist, "title": metadata.title, "creator": metadata.creator,
                     "version": metadata.version, "source": metadata.source, "tags": metadata.tags,
                     "beatmap_id": metadata.beatmap_id, "beatmap_set_id": metadata.beatmap_set_id},
        "audio": beatmap.general.audio_filename,
        "problems": [str(problem) for problem in beatmap.problems],
    }


def _clock(ms: float) -> str:
    seconds = int(ms // 1000)
    return f"{seconds // 60}:{seconds % 60:02d}"


@app.command()
def info(
    path: Path = typer.Argument(..., help="A .osu file."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document instead of a table."),
) -> None:
    """Show a beatmap's mode, version, objects, timing, length, difficulty and metadata."""
    from engine.osu import OsuFormatError, read_beatmap

    try:
        facts = describe(read_beatmap(path))
    except (OSError, OsuFormatError) as error:
        raise fail(str(error)) from None
    if as_json:
        print_json(facts)
        return
    meta, timing, objects, diff = facts["metadata"], facts["timing"], facts["objects"], facts["difficulty"]
    console.print(f"[bold]{escape(meta['artist'])} - {escape(meta['title'])} \\[{escape(meta['version'])}][/] "
                  f"by {escape(meta['creator'])}", highlight=False)
    console.print(f"mode {facts['mode']}, osu file format v{facts['version']}, audio {escape(repr(facts['audio']))}",
                  highlight=False)
    console.print(f"objects {objects['total']}: {objects['circles']} circles, {objects['sliders']} sliders, "
                  f"{objects['spinners']} spinners, {objects['holds']} holds")
    bpm = ("no timing" if timing["bpm_min"] is None else f"{timing['bpm_min']:.6g}" if
           timing["bpm_min"] == timing["bpm_max"] else f"{timing['bpm_min']:.6g}–{timing['bpm_max']:.6g}")
    console.print(f"timing: BPM {bpm}, {timing['red_lines']} red / {timing['green_lines']} green lines, "
                  f"offset {timing['offset']}")
    console.print(f"length {_clock(facts['length_ms'])}, drain {_clock(facts['drain_ms'])}, "
                  f"{facts['breaks']} breaks")
    console.print("  ".join(f"{key} {value:g}" for key, value in diff.items()))
    if facts["problems"]:
        console.print(f"[yellow]{len(facts['problems'])} lines osu! skips:[/]")
        for problem in facts["problems"][:10]:
            console.print(f"  {escape(problem)}", highlight=False, soft_wrap=True)


def _osu_files(paths: list[Path]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        found += sorted(path.rglob("*.osu")) if path.is_dir() else [path]
    return found


@app.command()
def roundtrip(paths: list[Path] = typer.Argument(..., help=".osu files or folders (searched recursively).")) -> None:
    """Parse and re-serialise .osu files; report every file that does not come back byte for byte."""
    from engine.osu import OsuFormatError, parse_beatmap

    files = _osu_files(paths)
    identical = failed = differ = 0
    for path in files:
        try:
            data = path.read_bytes()
            same = parse_beatmap(data, str(path)).to_bytes() == data
        except (OSError, OsuFormatError) as error:
            failed += 1
            console.print(f"[red]failed[/] {escape(str(error))}", highlight=False, soft_wrap=True)
            continue
        if same:
            identical += 1
        else:
            differ += 1
            console.print(f"[yellow]differs[/] {escape(str(path))}", highlight=False, soft_wrap=True)
    console.print(f"{len(files)} files, {identical} identical, {failed} failed", highlight=False)
    if failed or differ:
        raise typer.Exit(1)
