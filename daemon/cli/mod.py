"""`maid mod FILE`: MaiMod, the model's surprisal analysis of a map against its song, as findings.

Engine code is imported inside the command so that `maid --help` stays fast.
"""

from __future__ import annotations

from pathlib import Path

import typer

from daemon.cli.app import app, console, err_console, fail, print_json


@app.command()
def mod(file: Path = typer.Argument(..., help="The .osu file to mod."),
        audio: Path | None = typer.Option(None, "--audio", help="The song (default: the map's AudioFilename)."),
        model: str | None = typer.Option(None, "--model", help="Checkpoint folder or hub id "
                                         "(default: v30 for osu!standard, v32 for the other modes)."),
        as_json: bool = typer.Option(False, "--json", help="Machine-readable output: a list of findings."),
        threshold: float = typer.Option(20.0, "--threshold", help="Minimum relative surprisal to report."),
        per_category: int = typer.Option(10, "--per-category", help="Findings kept per category (0 = all)."),
        batch_size: int | None = typer.Option(None, "--batch-size", min=1,
                                              help="Windows per forward pass (default: 8 on a GPU, 1 on the CPU)."),
        device: str | None = typer.Option(None, "--device", help="cuda, mps or cpu (default: the best there is)."),
        ) -> None:
    """MaiMod: what the model finds surprising in a map, by category, most important first."""
    from engine.audio import AudioError, load_audio
    from engine.checkpoint import load_model
    from engine.hub import WeightsNotFoundError
    from engine.maimod import MaiModOptions, mai_mod
    from engine.osu import OsuFormatError, read_beatmap

    try:
        beatmap = read_beatmap(file)
    except (OSError, OsuFormatError) as exc:
        raise fail(f"{file}: cannot read the beatmap ({exc})") from None
    audio_path = audio or file.parent / beatmap.general.audio_filename
    if not audio_path.is_file():
        raise fail(f"{file}: the song {audio_path} does not exist; pass it with --audio PATH") from None
    source = model or ("v30" if beatmap.mode == 0 else "v32")
    try:
        network = load_model(source, device=device)
    except (WeightsNotFoundError, ValueError, OSError) as exc:
        raise fail(str(exc)) from None
    if beatmap.mode not in network.checkpoint.tokenizer.profile.gamemodes:
        raise fail(f"{source} ({network.checkpoint.version}) does not know this map's mode ({beatmap.mode_name}); "
                   f"use --model v32") from None
    try:
        samples = load_audio(audio_path)
    except AudioError as exc:
        raise fail(f"{audio_path}: {exc}") from None
    options = MaiModOptions(threshold=threshold, per_category=per_category or None, batch_size=batch_size)
    try:
        with err_console.status(f"MaiMod on {file.name} with {source}…"):
            findings = mai_mod(network, beatmap, samples, options)
    except ValueError as exc:  # a map the contexts cannot be built from (no red line) or an unsupported model
        raise fail(f"{file}: {exc}") from None
    if as_json:
        print_json([f.to_json() for f in findings])
        return
    from daemon.cli.check import render

    if not findings:
        console.print(f"{file.name}: nothing surprising above relative surprisal {threshold}.")
        return
    render(findings)
