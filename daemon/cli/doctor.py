"""`maid doctor`: what maid found on this machine and what is missing, each with what to do.

osu! stable and its Songs folder (the `songs_folder` setting wins), lazer's data folder and open external
edits, tosu, the model in the hub cache, the keyring, the GPU, a display for the tray and hotkeys, and the
inotify watch limit. It only looks: it never downloads, writes or starts anything (tosu is asked for one
frame). `--json` prints the same checks for tools.
"""

from __future__ import annotations

import asyncio
import sys
from dataclasses import asdict, dataclass
from typing import Annotated

import typer

from daemon.cli.app import app, console, print_json

LOW_WATCH_LIMIT = 8192


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool | None  # None: informational, neither good nor bad
    detail: str


def _osu_checks(songs_setting: object) -> list[Check]:
    from integrations.osu_install import OsuEnvironment, external_edit_folders, find_stable, lazer_data_folder, searched_places

    where = OsuEnvironment.current()
    stable = find_stable(where)
    checks = []
    if stable is None:
        checks.append(Check("osu! stable", False, "not found; looked in " + "; ".join(searched_places(where))))
    else:
        config = f", BeatmapDirectory from {stable.config_file}" if stable.config_file else ""
        checks.append(Check("osu! stable", True, f"{stable.folder} (found by {stable.found_by}{config})"))
    if songs_setting is not None:
        exists = songs_setting.is_dir()  # type: ignore[attr-defined]
        checks.append(Check("Songs folder", exists, f"{songs_setting} (songs_folder setting){'' if exists else ': does not exist'}"))
    elif stable is not None:
        notes = "; ".join(stable.notes)
        checks.append(Check("Songs folder", stable.songs.is_dir(), f"{stable.songs}{f' ({notes})' if notes else ''}"))
    else:
        checks.append(Check("Songs folder", False, "unknown: set songs_folder (maid config) to your osu! Songs folder"))
    lazer = lazer_data_folder(where)
    checks.append(Check("osu!lazer", None, f"data folder {lazer} (maid writes only external-edit copies)" if lazer else "not found"))
    mounts = external_edit_folders(where)
    if mounts:
        checks.append(Check("lazer external edits", None, ", ".join(str(m) for m in mounts)))
    return checks


def _tosu_check() -> Check:
    from integrations.tosu import TosuOptions, probe

    state = asyncio.run(probe(TosuOptions(open_timeout_s=1.0, stall_s=1.0), timeout_s=2.5))
    if not state.available:
        return Check("tosu", False, f"{state.reason.removeprefix('editor state unavailable: ')}; maid falls back to watching files")
    where = f", {state.beatmap_path}" if state.beatmap_path else ""
    return Check("tosu", True, f"reachable ({state.source}), osu! {state.client} in {state.state.value}{where}")


def _model_check(source: str) -> Check:
    from engine.hub import WeightsNotFoundError, resolve_checkpoint

    try:
        return Check("model", True, f"{source} at {resolve_checkpoint(source)}")
    except WeightsNotFoundError as exc:
        return Check("model", False, str(exc))


def _keyring_check() -> Check:
    import keyring
    from keyring.backends import fail

    backend = keyring.get_keyring()
    if isinstance(backend, fail.Keyring):
        return Check("keyring", None, "no keyring backend: tokens are kept in 0600 files in the config dir")
    return Check("keyring", True, f"{type(backend).__module__}.{type(backend).__name__}")


def _gpu_check() -> Check:
    import torch

    if torch.cuda.is_available():
        return Check("GPU", True, f"CUDA: {torch.cuda.get_device_name(0)} (torch {torch.__version__})")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return Check("GPU", True, f"Apple MPS (torch {torch.__version__})")
    return Check("GPU", None, f"none: the model runs on the CPU (torch {torch.__version__}); see the README for a CUDA/ROCm/MPS build")


def _display_check() -> Check:
    from integrations.hotkeys import unavailable_reason

    reason = unavailable_reason()
    return Check("display (tray, hotkeys)", reason is None, reason or "available")


def _watch_check() -> Check:
    from daemon.watcher import inotify_watch_limit

    limit = inotify_watch_limit()
    if limit is None:
        return Check("inotify watch limit", None, "not applicable here")
    low = limit < LOW_WATCH_LIMIT
    advice = "; raise it: sudo sysctl fs.inotify.max_user_watches=524288" if low else ""
    return Check("inotify watch limit", not low, f"{limit}{advice}")


def run_checks() -> list[Check]:
    from daemon.config import ConfigError, load_settings, user_paths

    try:
        settings = load_settings(user_paths())
        songs, source, config = settings.songs_folder, settings.model_source, Check("config", True, str(user_paths().config_file))
    except ConfigError as exc:
        songs, source, config = None, "OliBomby/Mapperatorinator-v30", Check("config", False, str(exc))
    return [config, *_osu_checks(songs), _tosu_check(), _model_check(source), _keyring_check(), _gpu_check(), _display_check(), _watch_check()]


@app.command()
def doctor(as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False) -> None:
    """What maid found on this machine (osu!, Songs folder, tosu, model, keyring, GPU, display) and what is missing."""
    checks = run_checks()
    if as_json:
        print_json({"checks": [asdict(c) for c in checks], "platform": sys.platform})
        return
    from rich.table import Table

    table = Table(show_header=False, box=None)
    for check in checks:
        mark = {True: "[green]ok[/]", False: "[red]missing[/]", None: "[yellow]note[/]"}[check.ok]
        table.add_row(mark, check.name, check.detail)
    console.print(table)
