"""`maid audio` (what the model hears of a song) and `maid demo` (copy the demo mapset somewhere).

`maid audio` only reads. `maid demo` writes one new folder and never replaces an existing one. Engine code is
imported inside the commands to keep `maid --help` fast.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape

from daemon.cli.app import app, console, fail, print_json

# Window length in frames (src_seq_len) of each checkpoint family that uses this audio front end.
MODEL_WINDOWS = {"v30/v31": 4096, "v32": 2048}
DEMO_FOLDER_NAME = "maid - Demo Song"


def describe_audio(path: Path) -> dict[str, Any]:
    """The facts `maid audio` shows, as plain data; raises engine.audio.AudioError for a bad file."""
    from engine.audio import SAMPLE_RATE, decode_pcm, plan_windows, prepare_samples, song_length_ms

    pcm = decode_pcm(path)
    samples = prepare_samples(pcm, path)
    windows = {}
    for family, src_seq_len in MODEL_WINDOWS.items():
        plan = plan_windows(len(samples), src_seq_len)
        windows[family] = {"count": plan.count, "window_ms": plan.samples_per_window * 1000 / SAMPLE_RATE,
                           "stride_ms": plan.stride * 1000 / SAMPLE_RATE, "frame_times_ms": list(plan.frame_times_ms)}
    return {
        "path": str(path),
        "decoder": pcm.decoder,
        "sample_rate": pcm.sample_rate,
        "channels": int(pcm.samples.shape[1]),
        "bits": pcm.sample_width * 8,
        "frames": len(pcm.samples),
        "model_sample_rate": SAMPLE_RATE,
        "model_samples": len(samples),
        "song_length_ms": song_length_ms(samples),
        "rms": float(((samples.astype("float64") ** 2).mean()) ** 0.5),
        "windows": windows,
    }


@app.command()
def audio(
    path: Path = typer.Argument(..., help="A song file (MP3, OGG, WAV, FLAC; others need ffmpeg)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document instead of text."),
) -> None:
    """Decode a song the way the Mapperatorinator models hear it: length, format and model windows."""
    from engine.audio import AudioError

    try:
        facts = describe_audio(path)
    except AudioError as error:
        raise fail(str(error)) from None
    if as_json:
        print_json(facts)
        return
    seconds = facts["song_length_ms"] / 1000
    console.print(f"[bold]{escape(facts['path'])}[/]", highlight=False)
    console.print(f"{facts['sample_rate']} Hz, {facts['channels']} channel(s), {facts['bits']}-bit integers "
                  f"via {facts['decoder']}; {facts['frames']} frames", highlight=False)
    console.print(f"model input: {facts['model_samples']} samples at {facts['model_sample_rate']} Hz = "
                  f"{int(seconds // 60)}:{seconds % 60:06.3f}, RMS {facts['rms']:.3f} of peak", highlight=False)
    for family, plan in facts["windows"].items():
        console.print(f"{family}: {plan['count']} windows of {plan['window_ms']:g} ms every {plan['stride_ms']:g} ms",
                      highlight=False)


@app.command()
def demo(
    destination: Path = typer.Argument(..., help="Folder to copy the demo mapset into (e.g. your Songs folder)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document instead of text."),
) -> None:
    """Copy maid's demo mapset (a synthesized 150 BPM song, one difficulty per mode) into a folder."""
    from engine.demo import demo_mapset_folder

    if not destination.is_dir():
        raise fail(f"{destination}: not a folder. Give an existing folder, such as your osu! Songs folder.")
    target = destination / DEMO_FOLDER_NAME
    if target.exists():
        raise fail(f"{target} already exists. Delete it first or choose another folder; maid never replaces it.")
    shutil.copytree(demo_mapset_folder(), target)
    files = sorted(path.name for path in target.iterdir())
    if as_json:
        print_json({"folder": str(target), "files": files})
        return
    console.print(f"Copied the demo mapset to [bold]{escape(str(target))}[/] ({len(files)} files).", highlight=False)
