"""`maid model list|pull|info`: the Mapperatorinator checkpoints in the Hugging Face hub cache.

Engine modules are imported inside the commands so that `maid --help` stays fast.
"""

from __future__ import annotations

import dataclasses
import warnings
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from daemon.cli.app import app, console, fail, print_json

model_app = typer.Typer(help="Mapperatorinator checkpoints: list the cached ones, download one, inspect one.",
                        no_args_is_help=True)  # fmt: skip
app.add_typer(model_app, name="model")

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON for tools instead of a table.")]


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    raise AssertionError


@model_app.command("list")
def list_models(as_json: JsonFlag = False) -> None:
    """Checkpoints in the hub cache: id, version, size, path."""
    from engine.checkpoint import infer_version
    from engine.hub import cached_checkpoints, hub_cache_dir

    rows = [
        {"id": c.repo_id, "version": infer_version(c.config), "revision": c.revision,
         "size_bytes": c.size_bytes, "path": str(c.path)}
        for c in cached_checkpoints()
    ]  # fmt: skip
    if as_json:
        print_json(rows)
        return
    if not rows:
        console.print(f"No Mapperatorinator checkpoints in {hub_cache_dir()}. Get one with `maid model pull v32`.")
        return
    table = Table("version", "revision", "size")
    table.add_column("id", no_wrap=True)
    table.add_column("path", overflow="fold")
    for row in rows:
        table.add_row(row["version"], row["revision"][:10], _size(row["size_bytes"]), row["id"], row["path"])
    console.print(table)


@model_app.command()
def pull(
    source: Annotated[str, typer.Argument(help="Hub id (OliBomby/Mapperatorinator-v32) or v30, v31, v32, v32-mini.")],
    revision: Annotated[str | None, typer.Option(help="Branch, tag or commit (default: main).")] = None,
) -> None:
    """Download a checkpoint into the Hugging Face hub cache (resumes a partial download)."""
    from tqdm import TqdmExperimentalWarning
    from tqdm.rich import tqdm

    from engine.hub import WeightsNotFoundError, pull_checkpoint, repo_id_for

    repo_id = repo_id_for(source)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", TqdmExperimentalWarning)
            folder = pull_checkpoint(source, revision, tqdm_class=tqdm)
    except WeightsNotFoundError as exc:
        raise fail(str(exc)) from None
    except Exception as exc:  # network and hub errors come in many types; report, never crash
        raise fail(f"downloading {repo_id} failed: {exc}. Check the id and your connection, then retry.") from None
    console.print(f"{repo_id} is in the cache: {folder}")


@model_app.command()
def info(
    source: Annotated[str, typer.Argument(help="Checkpoint folder or hub id (must be in the cache).")],
    as_json: JsonFlag = False,
) -> None:
    """Version, dimensions, vocabulary sizes, parameter count and storage dtype of a checkpoint."""
    from engine.checkpoint import CheckpointError, summarize_checkpoint
    from engine.hub import WeightsNotFoundError
    from engine.model import UnsupportedModelError

    try:
        summary = summarize_checkpoint(source)
    except (CheckpointError, WeightsNotFoundError, UnsupportedModelError) as exc:
        raise fail(str(exc)) from None
    data: dict[str, Any] = {
        "path": str(summary.folder),
        "version": summary.version,
        "parameters": summary.parameters,
        "dtypes": list(summary.dtypes),
        "size_bytes": summary.size_bytes,
        "vocab_size_out": summary.dims.n_vocab,
        "vocab_size_in": summary.dims.n_vocab_in,
        "gamemode_subfolders": list(summary.gamemode_subfolders),
        "dims": dataclasses.asdict(summary.dims),
    }
    if as_json:
        print_json(data)
        return
    d = summary.dims
    table = Table(show_header=False)
    for key, value in (
        ("path", Path(data["path"])), ("version", summary.version), ("backbone", d.family),
        ("parameters", f"{summary.parameters:,}"), ("stored as", ", ".join(summary.dtypes)),
        ("size", _size(summary.size_bytes)), ("vocabulary", f"{d.n_vocab} out, {d.n_vocab_in} in"),
        ("width / heads", f"{d.d_model} / {d.n_text_head}"),
        ("layers", f"{d.n_audio_layer} encoder, {d.n_text_layer} decoder"),
        ("window", f"{d.window_ms:.0f} ms ({d.n_frames} mel frames x {d.n_mels})"),
        ("decoder context", f"{d.n_text_ctx} tokens"),
        ("encoder conditioning", f"{d.n_cond} channels" if d.n_cond else "none"),
        ("gamemode fine-tunes", ", ".join(summary.gamemode_subfolders) or "none"),
    ):  # fmt: skip
        table.add_row(key, str(value))
    console.print(table)
