"""`maid generate|remap|gd|hitsound|timing`: the generation tasks from the command line.

Each command loads a checkpoint from the hub cache or a folder (`--model`; nothing is downloaded here:
`maid model pull` does that), runs one engine.tasks task with a rich progress bar per pass and writes
the result beside the input under a name that is not taken. `--in-place` (remap, hitsound) replaces the
input through daemon/writeback.py, which keeps a backup and journals the AI provenance first.
Engine modules are imported inside the commands so that `maid --help` stays fast.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any

import typer

from daemon.cli.app import app, console, err_console, fail, print_json

DEFAULT_MODEL = "OliBomby/Mapperatorinator-v30"
_TIME = re.compile(r"^(?:(\d+):)?(\d{1,2}):(\d{1,2})[:.](\d{1,3})$")

Model = Annotated[str, typer.Option("--model", help="Hub id (cached with `maid model pull`) or checkpoint folder.")]
Out = Annotated[Path | None, typer.Option("--out", help="Output file or folder (default: beside the input).")]
Json = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]
Seed = Annotated[int | None, typer.Option("--seed", help="Same seed, same output.")]
Device = Annotated[str | None, typer.Option("--device", help="cpu, cuda, mps (default: the best available).")]
Difficulty = Annotated[float | None, typer.Option("--difficulty", "-d", help="Target star rating.")]
Year = Annotated[int | None, typer.Option("--year", help="Mapping style of this year (v32: 2007–2024).")]
Mapper = Annotated[int | None, typer.Option("--mapper", help="osu! user id whose style to follow.")]
Descriptors = Annotated[list[str] | None, typer.Option("--descriptor", help="Style tag, e.g. style/clean (repeat).")]
Negative = Annotated[list[str] | None, typer.Option("--negative-descriptor", help="Style to steer away from.")]
Cfg = Annotated[float, typer.Option("--cfg-scale", help="Guidance strength; > 1 runs the negative prompt too.")]
Temperature = Annotated[float, typer.Option("--temperature", help="Sampling temperature.")]
SuperTiming = Annotated[bool, typer.Option("--super-timing", help="Multi-pass timing estimate (slower).")]
Extra = Annotated[list[str] | None, typer.Option("--option", "-o", help="Any other option as name=value, e.g. "
                                                 "-o top_p=0.95 -o max_new_tokens=512 (see GenerateOptions).")]
InPlace = Annotated[bool, typer.Option("--in-place", help="Replace the input file (a backup is kept).")]


def parse_time(text: str) -> float:
    """`00:12:345` (the editor's mm:ss:mmm), `1:02:03:456` or plain milliseconds `12345`."""
    text = text.strip()
    match = _TIME.match(text)
    if match:
        hours, minutes, seconds, millis = match.groups()
        return ((int(hours or 0) * 60 + int(minutes)) * 60 + int(seconds)) * 1000 + int(millis.ljust(3, "0"))
    try:
        return float(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r}: give a time as mm:ss:mmm (00:12:345) or milliseconds (12345)") from None


def build_options(extra: list[str] | None, **values: Any) -> Any:
    """GenerateOptions from the flags; `-o name=value` reaches every other field."""
    import dataclasses

    from engine.decoding import GenerateOptions, OptionsError

    fields = {f.name: f for f in dataclasses.fields(GenerateOptions)}
    chosen = {k: v for k, v in values.items() if v is not None}
    for item in extra or []:
        name, sep, raw = item.partition("=")
        name = name.strip().replace("-", "_")
        if not sep or name not in fields:
            raise fail(f"-o {item!r}: expected name=value with a GenerateOptions field "
                       f"({', '.join(sorted(fields))})")  # fmt: skip
        chosen[name] = _coerce(name, raw.strip(), chosen.get(name, getattr(GenerateOptions(), name)))
    for name in ("descriptors", "negative_descriptors", "in_context", "output_types"):
        if name in chosen and not isinstance(chosen[name], tuple):
            chosen[name] = tuple(chosen[name])
    try:
        return GenerateOptions(**chosen)
    except (OptionsError, TypeError) as exc:
        raise fail(str(exc)) from None


def _coerce(name: str, raw: str, default: Any) -> Any:
    from engine.events import ContextType

    if raw.lower() in ("none", "null", ""):
        return None
    if name in ("in_context", "output_types"):
        try:
            return tuple(ContextType(v.strip().lower()) for v in raw.split(",") if v.strip())
        except ValueError:
            raise fail(f"-o {name}={raw}: use {', '.join(c.value for c in ContextType)}") from None
    if isinstance(default, tuple):
        return tuple(v.strip() for v in raw.split(",") if v.strip())
    if isinstance(default, bool):
        return raw.lower() in ("1", "true", "yes", "on")
    for kind in (int, float):
        try:
            return kind(raw)
        except ValueError:
            continue
    return raw


def load(source: str, device: str | None, options: Any) -> Any:
    from engine.checkpoint import CheckpointError, load_model
    from engine.hub import WeightsNotFoundError

    try:
        with console.status(f"loading {source}"):
            return load_model(source, device=device, gamemode=options.gamemode, lora=options.lora)
    except WeightsNotFoundError as exc:
        raise fail(f"{exc}\nDownload it first: maid model pull {source}") from None
    except CheckpointError as exc:
        raise fail(str(exc)) from None


def run_task(task: Any, *args: Any, as_json: bool, **kwargs: Any) -> Any:
    """Run a task with a progress bar per pass; errors become clear messages, Ctrl+C a clean stop."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from engine.cancel import Cancelled
    from engine.decoding import OptionsError
    from engine.osu import OsuFormatError

    bars: dict[str, Any] = {}
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[rate]}"),
               TimeElapsedColumn())
    with Progress(*columns, console=err_console, disable=as_json) as progress:

        def report(p: Any) -> None:
            name = f"{p.context.value} (pass {p.pass_index + 1}/{p.passes})"
            if name not in bars:
                bars[name] = progress.add_task(name, total=p.windows, rate="")
            progress.update(bars[name], completed=p.window, rate=f"{p.tokens_per_second:.0f} tok/s")

        try:
            return task(*args, progress=report, **kwargs)
        except (OptionsError, OsuFormatError, FileNotFoundError) as exc:
            raise fail(str(exc)) from None
        except (Cancelled, KeyboardInterrupt):
            raise fail("cancelled; nothing was written", code=130) from None


def free_path(path: Path) -> Path:
    """`path`, or `name (2).osu`, `name (3).osu`, … when it exists: never overwrite."""
    candidate, n = path, 2
    while candidate.exists():
        candidate = path.with_name(f"{path.stem} ({n}){path.suffix}")
        n += 1
    return candidate


def write_new(result: Any, out: Path | None, beside: Path, fallback_name: str) -> Path:
    folder = out if out is not None and (out.is_dir() or out.suffix != ".osu") else None
    if out is not None and folder is None:
        target = out
    else:
        target = (folder or beside) / (result.file_name or fallback_name)
    target.parent.mkdir(parents=True, exist_ok=True)
    target = free_path(target)
    with open(target, "xb") as handle:  # never replaces a file
        handle.write(result.beatmap.to_bytes())
    return target


def write_in_place(result: Any, path: Path, task: str, source: str, time_range: tuple[float, float] | None,
                   before: bytes) -> Path:
    from daemon.cli.app import user_writeback
    from daemon.writeback import Edit, Provenance, Region, WriteBackError, sha256

    writeback = user_writeback()
    snapshot = writeback.read(path)
    if sha256(snapshot.data) != sha256(before):
        raise fail(f"{path} changed while maid worked on it; nothing was written (run again)")
    data = result.beatmap.to_bytes()
    summary = f"{result.objects} objects" + (f" in {time_range[0]:g}-{time_range[1]:g} ms" if time_range else "")
    edit = Edit(apply=lambda _: data, region=Region(time_range=time_range),
                provenance=Provenance(ai=True, task=task, model=source, summary=summary), job=f"cli-{task}")
    try:
        written = writeback.write(snapshot, edit)
    except WriteBackError as exc:
        raise fail(str(exc)) from None
    if written.backup is not None:
        err_console.print(f"backup: {written.backup}")
    return path


def report_result(result: Any, path: Path | None, as_json: bool, task: str) -> None:
    stats = result.stats
    payload = {
        "task": task, "file": str(path) if path else None, "objects": result.objects, "notes": list(result.notes),
        "windows": stats.windows, "new_tokens": stats.new_tokens,
        "tokens_per_second": round(stats.tokens_per_second, 1), "seconds": round(stats.wall_seconds, 2),
    }  # fmt: skip
    if as_json:
        print_json(payload)
        return
    from rich.markup import escape

    for note in result.notes:
        console.print(f"[yellow]note:[/] {escape(note)}", highlight=False)
    if path is not None:
        console.print(f"wrote [bold]{escape(str(path))}[/] ({result.objects} objects)", highlight=False)
    console.print("[dim]AI-generated content: disclose it; it cannot be ranked as human work.[/]")


@app.command()
def generate(
    audio: Annotated[Path, typer.Argument(help="The song (.mp3, .ogg, .wav, .flac).", exists=True, dir_okay=False)],
    model: Model = DEFAULT_MODEL, out: Out = None, as_json: Json = False, seed: Seed = None, device: Device = None,
    mode: Annotated[int, typer.Option("--mode", "-m", help="0 osu!, 1 taiko, 2 catch, 3 mania.")] = 0,
    difficulty: Difficulty = None, year: Year = None, mapper: Mapper = None, descriptor: Descriptors = None,
    negative_descriptor: Negative = None, cfg_scale: Cfg = 1.0, temperature: Temperature = 0.9,
    super_timing: SuperTiming = False, option: Extra = None,
    reference: Annotated[Path | None, typer.Option("--reference", help="Your map of this song, source of "
                                                   "--in-context.", exists=True, dir_okay=False)] = None,
    in_context: Annotated[list[str] | None, typer.Option("--in-context", help="What to take from --reference, "
                                                         "e.g. timing (repeat).")] = None,
) -> None:
    """A new difficulty for a song, written beside it as `Artist - Title (Creator) [Version].osu`."""
    from engine.osu import read_beatmap
    from engine.tasks import generate_map

    contexts = _coerce("in_context", ",".join(in_context), ()) if in_context else None
    options = build_options(option, gamemode=mode, difficulty=difficulty, year=year, mapper_id=mapper, seed=seed,
                            descriptors=descriptor, negative_descriptors=negative_descriptor, cfg_scale=cfg_scale,
                            temperature=temperature, super_timing=super_timing, in_context=contexts)  # fmt: skip
    net = load(model, device, options)
    document = read_beatmap(reference) if reference is not None else None
    result = run_task(generate_map, net, audio, options, reference=document, as_json=as_json)
    path = None if result.empty else write_new(result, out, audio.parent, "maid.osu")
    report_result(result, path, as_json, "generate")
    if result.empty:
        raise typer.Exit(1)


@app.command()
def remap(
    file: Annotated[Path, typer.Argument(help="The .osu to remap.", exists=True, dir_okay=False)],
    start: Annotated[str, typer.Option("--from", help="Range start: 00:12:345 or ms.")],
    end: Annotated[str, typer.Option("--to", help="Range end: 00:20:000 or ms.")],
    model: Model = DEFAULT_MODEL, out: Out = None, in_place: InPlace = False, as_json: Json = False,
    seed: Seed = None, device: Device = None, difficulty: Difficulty = None, year: Year = None,
    mapper: Mapper = None, descriptor: Descriptors = None, negative_descriptor: Negative = None,
    cfg_scale: Cfg = 1.0, temperature: Temperature = 0.9, option: Extra = None,
) -> None:
    """New hit objects for a time range of a map; everything outside the range stays byte for byte."""
    from engine.osu import read_beatmap
    from engine.tasks import remap_region

    start_ms, end_ms = parse_time(start), parse_time(end)
    before = file.read_bytes()
    document = read_beatmap(file)
    options = build_options(option, gamemode=document.mode, difficulty=difficulty, year=year, mapper_id=mapper,
                            seed=seed, descriptors=descriptor, negative_descriptors=negative_descriptor,
                            cfg_scale=cfg_scale, temperature=temperature)  # fmt: skip
    audio = _audio_of(file, document)
    net = load(model, device, options)
    result = run_task(remap_region, net, document, audio, start_ms, end_ms, options, as_json=as_json)
    path = _write_edit(result, file, out, in_place, "remap", model, (start_ms, end_ms), before)
    report_result(result, path, as_json, "remap")


@app.command()
def gd(
    folder: Annotated[Path, typer.Argument(help="The mapset folder.", exists=True, file_okay=False)],
    model: Model = DEFAULT_MODEL, out: Out = None, as_json: Json = False, seed: Seed = None, device: Device = None,
    mode: Annotated[int, typer.Option("--mode", "-m", help="0 osu!, 1 taiko, 2 catch, 3 mania.")] = 0,
    difficulty: Difficulty = None, year: Year = None, mapper: Mapper = None, descriptor: Descriptors = None,
    negative_descriptor: Negative = None, cfg_scale: Cfg = 1.0, temperature: Temperature = 0.9,
    version: Annotated[str | None, typer.Option("--version", help="Difficulty name.")] = None, option: Extra = None,
) -> None:
    """A guest difficulty for a mapset, following its timing and settings; never overwrites a file."""
    from engine.tasks import guest_difficulty

    options = build_options(option, gamemode=mode, difficulty=difficulty, year=year, mapper_id=mapper, seed=seed,
                            descriptors=descriptor, negative_descriptors=negative_descriptor, cfg_scale=cfg_scale,
                            temperature=temperature, version=version)  # fmt: skip
    net = load(model, device, options)
    result = run_task(guest_difficulty, net, folder, options, as_json=as_json)
    path = None if result.empty else write_new(result, out, folder, "maid.osu")
    report_result(result, path, as_json, "gd")
    if result.empty:
        raise typer.Exit(1)


@app.command()
def hitsound(
    file: Annotated[Path, typer.Argument(help="The .osu to hitsound.", exists=True, dir_okay=False)],
    start: Annotated[str | None, typer.Option("--from", help="Only objects from here (00:12:345 or ms).")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Only objects up to here.")] = None,
    model: Model = DEFAULT_MODEL, out: Out = None, in_place: InPlace = False, as_json: Json = False,
    seed: Seed = None, device: Device = None, temperature: Temperature = 0.9, option: Extra = None,
) -> None:
    """New hitsounds (additions, sample sets, volumes, slider edges); times, positions and shapes stay."""
    from engine.osu import read_beatmap
    from engine.tasks import hitsound as hitsound_task

    before = file.read_bytes()
    document = read_beatmap(file)
    time_range = None
    if start is not None or end is not None:
        time_range = (parse_time(start) if start else float("-inf"), parse_time(end) if end else float("inf"))
    options = build_options(option, gamemode=document.mode, seed=seed, temperature=temperature)
    net = load(model, device, options)
    result = run_task(hitsound_task, net, document, _audio_of(file, document), options, time_range=time_range,
                      as_json=as_json)  # fmt: skip
    path = _write_edit(result, file, out, in_place, "hitsound", model, time_range, before)
    report_result(result, path, as_json, "hitsound")


@app.command()
def timing(
    audio: Annotated[Path, typer.Argument(help="The song.", exists=True, dir_okay=False)],
    model: Model = DEFAULT_MODEL, out: Out = None, as_json: Json = False, seed: Seed = None, device: Device = None,
    super_timing: SuperTiming = False, option: Extra = None,
) -> None:
    """Red lines (BPM, offset, meter) for a song, as a .osu with no objects."""
    from engine.tasks import generate_timing

    options = build_options(option, seed=seed, super_timing=super_timing)
    net = load(model, device, options)
    result = run_task(generate_timing, net, audio, options, as_json=as_json)
    path = write_new(result, out, audio.parent, "timing.osu")
    report_result(result, path, as_json, "timing")


def _audio_of(file: Path, document: Any) -> Path:
    audio = file.parent / document.general.audio_filename
    if not audio.is_file():
        raise fail(f"{file}: its AudioFilename {document.general.audio_filename!r} is not in {file.parent}")
    return audio


def _write_edit(result: Any, file: Path, out: Path | None, in_place: bool, task: str, model: str,
                time_range: tuple[float, float] | None, before: bytes) -> Path | None:
    if result.objects == 0:
        return None  # nothing changed: nothing to write
    if in_place:
        return write_in_place(result, file.resolve(), task, model, time_range, before)
    return write_new(result, out, file.parent, f"{file.stem} (maid {task}).osu")
