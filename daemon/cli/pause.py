"""`maid pause` and `maid resume`: the running daemon's pause (`daemon/pause`), the same as the tray's Pause all
and Resume. While paused, saves are not auto-modded, hotkeys do nothing and queued model jobs wait; a restart
resumes. The pause is one of the job queue's holds on model work; `hold_notes` says each hold in words (here
and in `maid status`). It only asks the daemon: it never changes the config file.
"""

from __future__ import annotations

from collections.abc import Iterable

import typer

from daemon.cli.app import app, console, fail, print_json


@app.command()
def pause(as_json: bool = typer.Option(False, "--json", help="Machine-readable output.")) -> None:
    """Pause maid: no auto-mod on save, no hotkeys, queued model jobs wait (running ones finish), until `maid resume` or a restart."""
    _set_paused(True, as_json)


@app.command()
def resume(as_json: bool = typer.Option(False, "--json", help="Machine-readable output.")) -> None:
    """Resume a paused maid: auto-mod on save and hotkeys work again, the held model jobs start (once osu! is out of play mode)."""
    _set_paused(False, as_json)


def _set_paused(paused: bool, as_json: bool) -> None:
    from daemon.api.client import ApiError, NotRunning, call
    from daemon.config import user_paths

    try:
        result = call(user_paths(), "daemon/pause", {"paused": paused}, timeout=10)
    except (NotRunning, ApiError, OSError, TimeoutError) as exc:
        raise fail(str(exc), 1) from exc
    if as_json:
        print_json(result)
    else:
        console.print("maid is paused: `maid resume` (or the tray's Resume) ends it" if result["paused"]
                      else "maid resumed" + hold_notes(result["holds"]), highlight=False)


def hold_notes(holds: Iterable[str]) -> str:
    """The holds on model work (the API's `holds`) as " — why" notes after a status line; "" when none."""
    from daemon.jobs import Hold

    words = {Hold.USER: "PAUSED (maid resume)", Hold.PLAY: "model work waits: osu! is in play mode"}
    return "".join(f" — {words.get(hold, hold)}" for hold in holds)
