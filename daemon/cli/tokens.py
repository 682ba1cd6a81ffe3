"""`maid tokens FILE`: what a model reads of a beatmap — events per context and one window's prompt.

Read-only: never writes a file and never loads weights (only the checkpoint's tokenizer.json). Engine code
is imported inside the command so that `maid --help` stays fast.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from daemon.cli.app import app, console, fail, print_json

SONG_TAIL_MS = 2000  # without audio, the song is taken to end 2 s after the last object


@app.command()
def tokens(file: Path = typer.Argument(..., help="The .osu file to tokenize."),
           model: str = typer.Option("v32", "--model", help="Checkpoint folder or hub id (v30, v31, v32, …); "
                                                            "only its tokenizer.json is read."),
           window: int = typer.Option(0, "--window", min=0, help="Which audio window's prompt to show."),
           limit: int = typer.Option(80, "--limit", min=1, help="Prompt tokens to print (all with --json)."),
           as_json: bool = typer.Option(False, "--json", help="Print one JSON document.")) -> None:
    """Events per context and the decoder prompt of one window, as the model would read this map."""
    from engine.audio import SAMPLE_RATE, plan_windows
    from engine.contexts import beatmap_contexts, conditioning_from_beatmap
    from engine.hub import WeightsNotFoundError, resolve_checkpoint
    from engine.osu import OsuFormatError, read_beatmap
    from engine.osu.derived import play_time
    from engine.prompts import model_kwargs, window_prompt
    from engine.tokenizer import Tokenizer, VocabularyError

    try:
        beatmap = read_beatmap(file)
        tok = Tokenizer.load(resolve_checkpoint(model))
    except (OSError, OsuFormatError, WeightsNotFoundError, VocabularyError) as exc:
        raise fail(str(exc)) from None
    profile = tok.profile
    if beatmap.mode not in profile.gamemodes:
        raise fail(f"{file}: {beatmap.mode_name} maps are not modelled by {profile.name}; use --model v32")
    song_length = play_time(beatmap)[1] + SONG_TAIL_MS
    plan = plan_windows(int(song_length * SAMPLE_RATE / 1000), profile.src_seq_len)
    if window >= plan.count:
        raise fail(f"--window {window}: this map has {plan.count} windows (0..{plan.count - 1})")
    frame_time = plan.frame_times_ms[window]
    try:
        contexts = beatmap_contexts(beatmap, profile, profile.context_templates[0][1], song_length)
        cond = conditioning_from_beatmap(beatmap, tok)
        prompt = window_prompt(tok, cond, contexts, frame_time, song_length)
    except (ValueError, VocabularyError) as exc:
        raise fail(str(exc)) from None
    names = [tok.name_of(i) for i in prompt]
    result = {
        "file": str(file), "model": profile.name, "song_length_ms": song_length, "windows": plan.count,
        "window": window, "frame_time_ms": frame_time,
        "contexts": {ctx.type.value: len(ctx.events) for ctx in contexts},
        "model_kwargs": model_kwargs(tok, cond, frame_time, song_length),
        "prompt_ids": prompt, "prompt_tokens": names,
    }
    if as_json:
        print_json(result)
        return
    console.print(f"[bold]{escape(str(file))}[/] as {profile.name}: {plan.count} windows, "
                  f"window {window} starts at {frame_time} ms")
    for name, count in result["contexts"].items():
        console.print(f"  {name}: {count} events")
    if result["model_kwargs"]:
        console.print(f"  encoder conditioning: {result['model_kwargs']}")
    shown = " ".join(names[:limit]) + (f" … (+{len(names) - limit})" if len(names) > limit else "")
    console.print(f"prompt ({len(prompt)} tokens): {escape(shown)}", highlight=False)
