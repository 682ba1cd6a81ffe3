"""`maid start|stop|status|token`, `maid api schema` and `maid backups list|restore|undo|journal`.

`start` runs the daemon in the foreground; the others talk to it through the API (found via the
discovery file), except `backups` and `token`, which also work while it is stopped. Heavy modules are
imported inside the commands so that `maid --help` stays fast.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any, Optional

import typer

from daemon.cli.app import app, console, fail, print_json, user_settings, user_writeback

api_app = typer.Typer(help="The websocket API: its JSON Schema.", no_args_is_help=True)
backups_app = typer.Typer(help="maid's backups of your .osu files: list, restore, undo, and the journal of its writes.", no_args_is_help=True)
app.add_typer(api_app, name="api")
app.add_typer(backups_app, name="backups")


def _paths():  # type: ignore[no-untyped-def]
    from daemon.config import user_paths

    return user_paths()


@app.command()
def start(
    port: Optional[int] = typer.Option(None, help="Port of the API on 127.0.0.1 (overrides the config file)."),
    device: Optional[str] = typer.Option(None, help="auto, cpu, cuda or mps."),
    songs_folder: Optional[Path] = typer.Option(None, help="osu!'s Songs folder."),
    model_source: Optional[str] = typer.Option(None, help="Hub id or local folder of the model."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Debug logging."),
    no_tray: bool = typer.Option(False, "--no-tray", help="No tray icon (also `tray = false` in the config file)."),
) -> None:
    """Run the daemon in the foreground (Ctrl+C stops it)."""
    from daemon.app import AlreadyRunning, run, setup_logging

    paths = _paths()
    flags = {"port": port, "device": device, "songs_folder": songs_folder, "model_source": model_source}
    settings = user_settings(paths, flags)
    log_file = setup_logging(paths, verbose)
    console.print(f"maid: config {paths.config_file}, log {log_file}", highlight=False)
    if settings.tray and not no_tray:
        _start_tray()
    try:
        run(paths, settings, flags)
    except AlreadyRunning as exc:
        raise fail(str(exc), 1) from exc
    except OSError as exc:  # e.g. the port is taken
        raise fail(f"could not start: {exc}. If another program uses port {settings.port}, choose another with --port "
                    f"or `port` in {paths.config_file}", 1) from exc


TRAY_GIVE_UP_S = 10  # the tray quits when the daemon stays away this long (a restart spawns a new one)


def _start_tray() -> None:
    """The tray icon as its own process (`python -m tray`, a client of the API) in a desktop session:
    always on Windows and macOS, with DISPLAY or WAYLAND_DISPLAY elsewhere. It logs to tray.log."""
    if sys.platform not in ("win32", "darwin") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        console.print("maid: no desktop session (DISPLAY/WAYLAND_DISPLAY unset): no tray icon", highlight=False)
        return
    import subprocess

    subprocess.Popen([sys.executable, "-m", "tray", "--give-up-after", str(TRAY_GIVE_UP_S)], stdin=subprocess.DEVNULL,
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=sys.platform != "win32")


@app.command()
def stop(timeout: float = typer.Option(10.0, help="Seconds to wait for a clean stop.")) -> None:
    """Stop the running daemon (cleanly through the API; SIGTERM if it does not answer)."""
    from daemon.api.client import ApiError, NotRunning, call, discover

    paths = _paths()
    record = discover(paths)
    if record is None:
        raise fail("maid is not running", 1)
    pid = int(record["pid"])
    try:
        call(paths, "shutdown", timeout=timeout)
    except (NotRunning, ApiError, OSError, TimeoutError):
        if _alive(pid):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if _alive(pid):
        raise fail(f"maid (pid {pid}) did not stop within {timeout:g} s", 1)
    console.print(f"maid stopped (pid {pid})")


def _alive(pid: int) -> bool:
    import psutil

    return psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE


@app.command()
def status(as_json: bool = typer.Option(False, "--json", help="Machine-readable output.")) -> None:
    """Is the daemon running, and what is it doing."""
    from daemon.api.client import ApiError, NotRunning, call
    from daemon.cli.pause import hold_notes

    try:
        result = call(_paths(), "status", timeout=10)
    except (NotRunning, ApiError, OSError, TimeoutError) as exc:
        if as_json:
            print_json({"running": False, "reason": str(exc)})
            raise typer.Exit(1) from exc
        raise fail(str(exc), 1) from exc
    if as_json:
        print_json({"running": True, **result})
        return
    jobs, model = result["jobs"], result["model"]
    console.print(
        f"maid {result['version']} running: pid {result['pid']}, ws://127.0.0.1:{result['port']}/, "
        f"up {result['uptimeS']:.0f} s, {result['clients']} client(s), jobs {jobs['running']} running / {jobs['queued']} queued"
        + hold_notes(result["holds"]),
        highlight=False,
    )
    console.print(f"model: {_model_line(model)}", highlight=False)
    songs = {"config": "from songs_folder", "osu! install": "of the osu! install", "demo": "maid's demo mapset copy"}
    where = result["songsFolder"] or f"none (set songs_folder in {result['configFile']})"
    console.print(f"songs: {where} ({songs.get(result['songsFolderSource'], 'not watched')}), "
                  f"{result['watchedFolders']} mapset folder(s) watched", highlight=False)


def _model_line(model: dict[str, Any]) -> str:
    if not model["loaded"]:
        if model.get("installed") is False:
            return f"{model['source']} is not installed: {model['missing']}"
        return f"{model['source']} not loaded (loads on first use, on {model['device']})"
    memory = model["deviceMemoryBytes"] if model["deviceMemoryBytes"] is not None else model["memoryBytes"]
    unload = f", unloads after {model['unloadInS']:.0f} s idle" if model["unloadInS"] is not None else ", kept loaded"
    return (f"{model['source']} ({model['version']}, {model['parameters']:,} parameters) on {model['device']} as {model['dtype']}, "
            f"{memory / 2**20:.0f} MiB{unload}")


@app.command()
def token(hub: bool = typer.Option(False, "--hub", help="Store a Hugging Face hub token (asked for, or read from stdin) instead.")) -> None:
    """Print the API token (for a client or a browser overlay); created on first use."""
    from daemon.secrets import ensure_api_token, set_token

    config_dir = _paths().config_dir
    if not hub:
        print(ensure_api_token(config_dir).value)
        return
    value = typer.prompt("Hugging Face token", hide_input=True).strip()
    if not value:
        raise fail("no token given; nothing stored")
    console.print(f"hub token stored in {set_token(config_dir, 'hub', value).source}", highlight=False)


@api_app.command("schema")
def api_schema_command(output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write to this file instead of stdout.")) -> None:
    """The JSON Schema of every API method and notification."""
    from daemon.api.methods import api_schema

    schema = api_schema()
    if output is None:
        print_json(schema)
    else:
        output.write_text(json.dumps(schema, indent=2) + "\n", encoding="utf-8")
        console.print(f"wrote {output}")


@backups_app.command("list")
def backups_list(path: Path, as_json: bool = typer.Option(False, "--json", help="Machine-readable output.")) -> None:
    """The backups of one .osu file, newest first."""
    backups = user_writeback().list_backups(path.resolve())
    if as_json:
        print_json([{"path": str(b.path), "created": b.created.isoformat(), "code": b.code, "size": b.size} for b in backups])
        return
    if not backups:
        console.print(f"no backups of {path}")
    for b in backups:
        console.print(f"{b.created:%Y-%m-%d %H:%M:%S} UTC  {b.code:<7} {b.size:>9} B  {b.path}", highlight=False)


@backups_app.command("restore")
def backups_restore(path: Path, backup: Path) -> None:
    """Put a backup back over the file (the current file is backed up first)."""
    _restore(path.resolve(), backup.resolve())


@backups_app.command("undo")
def backups_undo(path: Path) -> None:
    """Undo maid's last change to the file (repeat to step further back)."""
    _restore(path.resolve(), None)


@backups_app.command("journal")
def backups_journal(path: Optional[Path] = typer.Argument(None, help="Only this .osu file."),
                    as_json: bool = typer.Option(False, "--json", help="Machine-readable output.")) -> None:
    """Every write maid made, oldest first, with what produced it (AI content must be disclosed)."""
    entries = [e for e in user_writeback().journal() if path is None or e.get("file") == str(path.resolve())]
    if as_json:
        print_json(entries)
        return
    if not entries:
        console.print("maid has written nothing" + (f" to {path}" if path else ""))
    for e in entries:
        provenance = e.get("provenance", {})
        source = f"AI ({provenance.get('model')})" if provenance.get("ai") else "not AI"
        console.print(f"{e['time'][:19]}  {e['kind']:<7} {source:<40} {provenance.get('summary', '')}  {e['file']}", highlight=False)


def _restore(path: Path, backup: Path | None) -> None:
    """Through the daemon when it runs (it serialises writes per file), else directly."""
    from daemon.api.client import ApiError, NotRunning, call
    from daemon.writeback import WriteBackError

    params = {"path": str(path), "backup": str(backup) if backup else None}
    try:
        result = call(_paths(), "backups/restore", params)
        written = result["sha256After"]
    except NotRunning:
        wb = user_writeback()
        try:
            outcome = wb.undo(path) if backup is None else wb.restore(path, backup)
        except WriteBackError as exc:
            raise fail(str(exc), 1) from exc
        written = outcome.sha256_after
    except ApiError as exc:
        raise fail(exc.message, 1) from exc
    console.print(f"restored {path} (sha256 {written[:12]}); reload it in osu! (stable: Ctrl+L)", highlight=False)
