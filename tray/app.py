"""The tray app: one pystray icon on the main thread (macOS requires it), the link to the daemon on a
background thread, menu actions on a worker thread. Every event goes through `tray.state.apply`; the
icon, tooltip and menu are then rebuilt from the new state, and its notices are shown as tray.notify
chooses (the icon's notifications, else `notify-send`, else the log only).

pystray is imported only in `load_pystray` (importing it without a display raises Xlib errors): a
headless session gets `NoDesktop` and the tray process ends with one log line while the daemon keeps
running. The tray must never take the daemon down: quitting stops only this process, except the
"Quit maid" item, which asks the daemon to shut down.
"""

from __future__ import annotations

import logging
import os
import queue
import sys
import threading
import time
from dataclasses import replace
from functools import partial
from typing import Any

from daemon.config import Paths
from tray.actions import Actions, Desktop, SystemDesktop
from tray.icons import draw_icon
from tray.link import Link
from tray.menu import Item, build_menu, icon_kind, progress, tooltip
from tray.notify import choose, show
from tray.state import Event, GaveUp, TrayState, apply

log = logging.getLogger(__name__)

ICON_NAME = "maid"
STOP_RETRY_S = 1.0  # pystray's xorg loop sometimes never gets the stop request: ask again after this long
SETTLE_S = 0.2  # xorg: after an icon update, the time the icon's loop gets to handle the redraw it causes


class NoDesktop(Exception):
    """No desktop session to show a tray icon in (no display, or no pystray backend for it)."""


def desktop_session() -> bool:
    """Whether this process can show a tray icon: always on Windows and macOS, a display on Linux/BSD."""
    return sys.platform in ("win32", "darwin") or bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def load_pystray() -> Any:
    """The pystray module, or NoDesktop saying why there is none."""
    if not desktop_session():
        raise NoDesktop("no desktop session (neither DISPLAY nor WAYLAND_DISPLAY is set)")
    try:
        import pystray
    except Exception as exc:  # Xlib.error.DisplayNameError / ConnectionClosedError are not ImportErrors
        raise NoDesktop(f"pystray cannot reach the desktop ({type(exc).__name__}: {exc})") from exc
    return pystray


class TrayApp:
    def __init__(self, paths: Paths, pystray: Any, desktop: Desktop | None = None, give_up_s: float = 60.0,
                 refresh_s: float = 5.0, version: str | None = None) -> None:
        self.paths = paths
        self.pystray = pystray
        self.state = TrayState()
        self._lock = threading.RLock()
        self._shown_kind: tuple[Any, Any] | None = None
        self.link = Link(paths, self.handle, give_up_s=give_up_s, refresh_s=refresh_s, version=version)
        self.actions = Actions(self.link, desktop or SystemDesktop(), paths, lambda: self.state, self.handle, self.stop)
        # a daemon thread: an action stuck behind an ended icon loop must not keep the process alive
        self._clicked_items: queue.SimpleQueue[Item] = queue.SimpleQueue()
        threading.Thread(target=self._run_actions, name="maid-tray-action", daemon=True).start()
        self.stopping = threading.Event()  # set when the tray was asked to stop (run() returns soon after)
        self._xorg = pystray.Icon.__module__.endswith("_xorg")  # xorg writes the title as a latin-1 WM_NAME
        self._loop_ended = threading.Event()
        self.icon = pystray.Icon(ICON_NAME, draw_icon(icon_kind(self.state)), self._title(), menu=self._pystray_menu(build_menu(self.state)))
        self.notifiers = choose(self.icon)
        log.info("notices: %s", ", ".join(name for name, _ in self.notifiers) or "the log only (no notifications in this backend, no notify-send)")

    def run(self, setup: Any = None) -> None:
        """Show the icon and handle its events until `stop` (blocks; call it on the main thread).
        `setup(app)` runs on a thread once the icon is up (tests drive the menu from it)."""

        def started(icon: Any) -> None:
            self.link.start()
            try:
                icon.visible = True
            except Exception:  # e.g. an X error while docking: the link and the menu model keep working
                log.exception("the tray icon could not be shown")
            if setup is not None:
                setup(self)

        try:
            self.icon.run(started)
        finally:
            self._loop_ended.set()
            self.link.close()

    def stop(self) -> None:
        self.stopping.set()
        self.icon.stop()
        if self._xorg:
            threading.Thread(target=self._stop_again_if_running, name="maid-tray-stop", daemon=True).start()

    def _stop_again_if_running(self) -> None:
        """pystray's xorg loop sometimes never executes the stop request it was sent (its window outlives `stop()`,
        and the loop waits for the window's end forever); sending the request again ends it."""
        if not self._loop_ended.wait(STOP_RETRY_S):
            log.info("the icon's event loop missed the stop request; asking again")
            self.icon._stop()  # pystray's dispatch of the stop to its loop (Icon.stop() does nothing a second time)

    def trigger(self, item: Item) -> None:
        """What a click on `item` does: its action on the worker thread (never on the GUI thread)."""
        if item.action is not None and not self.stopping.is_set():
            self._clicked_items.put(item)

    def _run_actions(self) -> None:
        while True:
            item = self._clicked_items.get()
            assert item.action is not None
            self.actions.run(item.action, dict(item.args))

    def handle(self, event: Event) -> None:
        """Apply an event (from the link, an action or a test), refresh the icon, show its notices."""
        with self._lock:
            self.state = apply(self.state, event)
            notices, self.state = self.state.notices, replace(self.state, notices=())
            if self.stopping.is_set():
                return  # the icon's loop is ending: updates would wait for it forever
            self._refresh()
        for notice in notices:
            show(self.notifiers, notice.title, notice.message)
        if isinstance(event, GaveUp):
            self.stop()

    def _refresh(self) -> None:
        """Menu, tooltip, then the image (last: a new image means the rest is already shown)."""
        self.icon.menu = self._pystray_menu(build_menu(self.state))
        self.icon.update_menu()
        title = self._title()
        if title != self.icon.title:
            self.icon.title = title
            self._settle()
        kind = (icon_kind(self.state), round(progress(self.state) or 0.0, 2))
        if kind != self._shown_kind:
            self.icon.icon = draw_icon(kind[0], progress(self.state))
            self._shown_kind = kind
            self._settle()

    def _settle(self) -> None:
        """xorg: an update makes the tray host redraw the icon, which the icon's loop answers with requests of its
        own; python-xlib can deadlock when this thread sends the next update while the loop waits for such a reply
        (the loop and this thread then wait for each other for good). Give the loop that moment first."""
        if self._xorg:
            time.sleep(SETTLE_S)

    def _title(self) -> str:
        text = tooltip(self.state)
        return text.encode("latin-1", "replace").decode("latin-1") if self._xorg else text

    def _pystray_menu(self, items: tuple[Item, ...]) -> Any:
        return self.pystray.Menu(*(self._pystray_item(item) for item in items))

    def _pystray_item(self, item: Item) -> Any:
        pystray = self.pystray
        if item.separator:
            return pystray.Menu.SEPARATOR
        if item.submenu:
            return pystray.MenuItem(item.label, self._pystray_menu(item.submenu), enabled=item.enabled)
        checked = None if item.checked is None else partial(_constant, item.checked)
        return pystray.MenuItem(item.label, partial(self._clicked, item), enabled=item.enabled, checked=checked, default=item.default)

    def _clicked(self, item: Item, icon: Any, menu_item: Any) -> None:
        self.trigger(item)


def _constant(value: bool, menu_item: Any) -> bool:
    return value
