"""What each menu action id does: the daemon API call it makes, or its local effect (open a file, a
folder or an `osu://edit/` link with the platform's opener; copy the API token).

The daemon sits behind `Api` (tray.link.Link, or daemon.api.client.ApiClient) and the desktop behind
`Desktop`, so tests run the actions against a real daemon and record what would be opened. A failed
action becomes an `ActionFailed` event (a notice and the error icon); it must never raise into the menu
callback, and never write anything but the report file in the state dir.
"""

from __future__ import annotations

import html
import logging
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from daemon.api.client import ApiError, NotRunning
from daemon.config import Paths, write_text_atomically
from daemon.secrets import get_token
from tray.state import ActionFailed, Dismissed, Event, TrayState, current_findings, file_name

log = logging.getLogger(__name__)

REPORT_FILE = "tray-report.html"


class Api(Protocol):
    def call(self, method: str, params: dict[str, Any] | None = None) -> Any: ...


class Desktop(Protocol):
    def open(self, target: str) -> None: ...

    def copy(self, text: str) -> None: ...


class SystemDesktop:
    """The platform's opener (start / open / xdg-open) and clipboard (pyperclip, imported when used) for the token."""

    def open(self, target: str) -> None:
        if sys.platform == "win32":
            os.startfile(target)  # type: ignore[attr-defined]
            return
        opener = "open" if sys.platform == "darwin" else "xdg-open"
        subprocess.Popen([opener, target], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)

    def copy(self, text: str) -> None:
        import pyperclip

        pyperclip.copy(text)


class Actions:
    """Runs menu actions. `emit` receives the events an action causes; `quit` stops the tray."""

    def __init__(self, api: Api, desktop: Desktop, paths: Paths, snapshot: Callable[[], TrayState],
                 emit: Callable[[Event], None], quit: Callable[[], None]) -> None:
        self.api, self.desktop, self.paths = api, desktop, paths
        self.snapshot, self.emit, self.quit = snapshot, emit, quit
        self.handlers: dict[str, Callable[[dict[str, Any]], None]] = {
            "toggle_automod": lambda a: self.api.call("config/set", {"key": "automod_on_save", "value": bool(a["on"])}),
            "editor_run": self._editor_run,
            "cancel_job": lambda a: self.api.call("jobs/cancel", {"id": a["id"]}),
            "undo": lambda a: self.api.call("backups/restore", {"path": a["path"]}),
            "reapply": lambda a: self.api.call("edits/reapply", {"path": a["path"]}),
            "load_model": lambda a: self.api.call("model/load", {}),
            "unload_model": lambda a: self.api.call("model/unload", {}),
            "pause": lambda a: self.api.call("daemon/pause", {"paused": bool(a["on"])}),
            "open_url": lambda a: self.desktop.open(a["url"]),
            "open_path": lambda a: self.desktop.open(a["path"]),
            "open_log": lambda a: self.desktop.open(str(self.paths.log_dir / "maid.log")),
            "open_report": lambda a: self.desktop.open(str(self.write_report(a["file"]))),
            "copy_token": self._copy_token,
            "dismiss": lambda a: self.emit(Dismissed()),
            "quit": self._quit,
        }

    def run(self, action: str, args: dict[str, Any]) -> None:
        """Run one action; its failure is reported as an event, never raised."""
        handler = self.handlers.get(action)
        if handler is None:
            self.emit(ActionFailed(action, f"the tray has no action {action!r}"))
            return
        try:
            handler(args)
        except ApiError as exc:
            self.emit(ActionFailed(action, exc.message, exc.code, args.get("path")))
        except (NotRunning, OSError, TimeoutError) as exc:
            self.emit(ActionFailed(action, str(exc)))
        except Exception as exc:  # a menu callback must never take the tray down
            log.exception("tray action %s failed", action)
            self.emit(ActionFailed(action, f"{type(exc).__name__}: {exc}"))

    def _editor_run(self, args: dict[str, Any]) -> None:
        """What the hotkey runs (editor/run). A failed step is announced to every client as `editor/action`,
        which the tray shows as a notice: the error reply is not shown a second time."""
        try:
            self.api.call("editor/run", {"action": args["action"]})
        except ApiError as exc:
            if not (isinstance(exc.data, dict) and "step" in exc.data):
                raise

    def _copy_token(self, args: dict[str, Any]) -> None:
        token = get_token(self.paths.config_dir, "api")
        if token is None:
            raise OSError("no API token yet; `maid start` or `maid token` creates one")
        self.desktop.copy(token.value)

    def _quit(self, args: dict[str, Any]) -> None:
        try:
            if self.snapshot().connection == "connected":
                self.api.call("shutdown", {})
        finally:
            self.quit()

    def write_report(self, file: str) -> Path:
        """An HTML page of the current map's findings (each time an `osu://edit/` link), in the state dir."""
        findings = current_findings(self.snapshot())
        rows = "\n".join(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>".format(
                f'<a href="{html.escape(f["link"])}">{html.escape(str(f.get("timestamp") or "").rstrip(" -"))}</a>' if f.get("link") else "",
                html.escape(str(f.get("severity"))), html.escape(str(f.get("check"))),
                html.escape(str(f.get("message"))) + (f"<br><i>{html.escape(f['suggestion'])}</i>" if f.get("suggestion") else ""),
            )
            for f in findings
        )
        page = (f"<!doctype html><meta charset='utf-8'><title>maid: {html.escape(file_name(file))}</title>"
                f"<h1>{html.escape(file_name(file))}</h1><p>{html.escape(file)}: {len(findings)} findings</p>"
                f"<table border=1 cellpadding=4><tr><th>time</th><th>severity</th><th>check</th><th>message</th></tr>\n{rows}</table>\n")
        self.paths.state_dir.mkdir(parents=True, exist_ok=True)
        target = self.paths.state_dir / REPORT_FILE
        write_text_atomically(target, page)
        return target
