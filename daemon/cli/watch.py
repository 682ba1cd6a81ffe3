"""`maid watch PATH`: check each .osu as it is saved and print what changed in the findings, until Ctrl+C.

Runs the daemon's watcher and rule checks in this process without asyncio (the plain-callback mode):
no daemon, no model, no writes. Engine code is imported inside the command so `maid --help` stays fast.
"""

from __future__ import annotations

import json
import logging
import signal
import sys
import threading
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.logging import RichHandler
from rich.markup import escape

from daemon.cli.app import app, console, err_console, fail

if TYPE_CHECKING:
    from daemon.automod import FindingsReport


@app.command()
def watch(
    path: Path = typer.Argument(..., help="A .osu file, a mapset folder or a Songs folder."),
    json_output: bool = typer.Option(False, "--json", help="Print one JSON line per save instead of a report."),
    debounce_ms: int = typer.Option(150, min=0, help="Saves of one file closer together than this are checked once."),
    recent: int = typer.Option(32, min=1, help="In a Songs folder: how many recently modified mapsets to watch."),
) -> None:
    """Watch .osu files and print what the rule checks find each time one is saved (Ctrl+C stops)."""
    from daemon.automod import AutoMod, load_rule_checks
    from daemon.watcher import SavedFile, WatchOptions, Watcher

    logging.basicConfig(level=logging.WARNING, format="%(message)s",
                        handlers=[RichHandler(console=err_console, show_path=False, show_time=False)])
    path = path.expanduser().resolve()
    if not path.exists():
        raise fail(f"{path} does not exist; give a .osu file, a mapset folder or your osu! Songs folder")
    only = path if path.is_file() else None
    if only is not None and path.suffix.lower() != ".osu":
        raise fail(f"{path} is not a .osu file; give a .osu file, a mapset folder or a Songs folder")
    folder = path.parent if only else path
    is_mapset = only is not None or any(folder.glob("*.osu"))

    load_rule_checks()  # before "watching" is printed: the first save is then as fast as the others
    automod = AutoMod(publish=lambda report: None)
    show = _print_json if json_output else _print_report

    def on_saved(saved: SavedFile) -> None:
        if only is None or saved.path == only:
            show(automod.check(saved))

    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):  # also where SIGINT is ignored (started with `&` by a shell)
        signal.signal(signum, lambda *_: stop.set())
    options = WatchOptions(debounce_s=debounce_ms / 1000, recent_mapsets=recent)
    with Watcher(on_saved, songs_dir=None if is_mapset else folder, options=options) as watcher:
        if is_mapset:
            watcher.focus(folder)
        what = only.name if only else f"{len(watcher.watched_folders)} mapset folder(s) in {folder}"
        err_console.print(f"watching {what}; save in the editor to check, Ctrl+C stops", highlight=False)
        while not stop.wait(0.5):
            pass
    err_console.print("stopped")


def _print_json(report: FindingsReport) -> None:
    line = {"time": datetime.now().astimezone().isoformat(timespec="milliseconds")} | report.to_json()
    sys.stdout.write(json.dumps(line, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def _print_report(report: FindingsReport) -> None:
    """A line per save; then the findings that are new since the last save (all of them the first time),
    grouped as `maid check` prints them, and the ones that went away."""
    from daemon.cli.check import render

    unchanged = len(report.findings) - len(report.new)
    console.print(f"[bold]{datetime.now():%H:%M:%S}[/]  {escape(report.path.name)}  {len(report.findings)} finding(s): "
                  f"{len(report.new)} new, {len(report.fixed)} fixed, {unchanged} unchanged  "
                  f"[dim]{report.latency_s * 1000:.0f} ms[/]", highlight=False, soft_wrap=True)
    if report.new:
        render(list(report.new))
    for finding in report.fixed:
        console.print(f"  [green]fixed[/] {escape(finding.timestamp + finding.message)}", highlight=False, soft_wrap=True)
