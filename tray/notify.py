"""How the tray's notices reach the desktop: the icon's own notifications where pystray's backend has them
(`Icon.HAS_NOTIFICATION`: win32, darwin, appindicator, gtk), else `notify-send` (libnotify) when it is on
PATH (pystray's xorg backend has no notifications and no menu), else only the log.

Every notice is logged (`tray.log`) whatever shows it. A backend that fails hands the notice to the next one.
It must never block the caller (the link's thread): `notify-send` runs as its own process, reaped on a thread.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import threading
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

NOTIFY_SEND = "notify-send"
NOTIFY_SEND_WAIT_S = 30.0  # without a notification server notify-send can wait for D-Bus this long

Show = Callable[[str, str], None]  # (title, message); raises when it cannot show it


def choose(icon: Any, which: Callable[[str], str | None] = shutil.which) -> list[tuple[str, Show]]:
    """The ways to show a notice, best first: ("icon", …) when the backend has notifications, then
    ("notify-send", …) when `which` finds it. Empty: notices go to the log only."""
    chosen: list[tuple[str, Show]] = []
    if getattr(icon, "HAS_NOTIFICATION", False):
        chosen.append(("icon", lambda title, message: icon.notify(message, title)))
    program = which(NOTIFY_SEND)
    if program is not None:
        chosen.append((NOTIFY_SEND, lambda title, message: notify_send(program, title, message)))
    return chosen


def show(ways: list[tuple[str, Show]], title: str, message: str) -> str:
    """Log the notice and show it the first way that works; returns that way's name, or "log"."""
    log.info("notice: %s: %s", title, message)
    for name, way in ways:
        try:
            way(title, message)
            return name
        except Exception as exc:  # e.g. a backend without notifications after all, or a notification server gone
            log.warning("could not show a notification with %s (%s: %s)", name, type(exc).__name__, exc)
    return "log"


def notify_send(program: str, title: str, message: str) -> None:
    """Start `notify-send` for one notice; a thread waits for it and logs its failure."""
    process = subprocess.Popen([program, "--app-name=maid", title, message], stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True)
    threading.Thread(target=_reap, args=(process,), name="maid-tray-notify-send", daemon=True).start()


def _reap(process: subprocess.Popen[str]) -> None:
    try:
        _, errors = process.communicate(timeout=NOTIFY_SEND_WAIT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        log.warning("notify-send did not finish within %g s (no notification server?); notices stay in the log", NOTIFY_SEND_WAIT_S)
        return
    if process.returncode != 0:
        log.warning("notify-send failed (exit %d: %s); notices stay in the log", process.returncode, (errors or "").strip())
