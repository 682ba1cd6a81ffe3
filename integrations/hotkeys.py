"""Global hotkeys for maid's editor actions, and sending key combinations to the focused window.

The keyboard sits behind the `Keyboard` protocol: `PynputKeyboard` (pynput's GlobalHotKeys and
Controller) and `FakeKeyboard` (tests, headless). Combinations use pynput's spelling, as the config does:
`<ctrl>+<alt>+r`, `<ctrl>+l`, `<enter>`.

pynput cannot even be imported without a display (X11 on Linux): it is imported only when a
`PynputKeyboard` is made, which raises `HotkeysUnavailable("hotkeys unavailable: no display")` instead.
Hotkey callbacks run on pynput's listener thread; the caller hands them to its own loop. This module never
imports the daemon and never keeps a key pressed after `send` returns.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Mapping
from typing import Any, Protocol

ACTIONS = ("remap_selection", "hitsound_selection", "check_now", "undo_last_write")  # daemon.config's [hotkeys]


class HotkeysUnavailable(RuntimeError):
    """No global hotkeys here (no display, or pynput has no backend); the message says why."""


class HotkeyConflict(ValueError):
    """Two actions bound to the same combination."""


class Keyboard(Protocol):
    def register(self, bindings: Mapping[str, Callable[[], None]]) -> None:
        """Listen for each combination globally and call its callback (replaces earlier bindings)."""

    def send(self, combo: str) -> None:
        """Press and release a combination in the focused window, e.g. `<ctrl>+l`."""

    def stop(self) -> None: ...


def action_bindings(hotkeys: Mapping[str, str], handlers: Mapping[str, Callable[[], None]]) -> dict[str, Callable[[], None]]:
    """combination → callback for every action that has a handler; `hotkeys` maps action → combination
    (the config's [hotkeys] table). Raises HotkeyConflict when two actions share a combination."""
    bindings: dict[str, Callable[[], None]] = {}
    owner: dict[str, str] = {}
    for action, handler in handlers.items():
        if action not in hotkeys:
            raise KeyError(f"no hotkey configured for {action!r}; known actions: {', '.join(hotkeys)}")
        combo = hotkeys[action].lower()
        if combo in owner:
            raise HotkeyConflict(f"hotkeys.{action} and hotkeys.{owner[combo]} are both {combo}; give each its own combination")
        owner[combo] = action
        bindings[combo] = handler
    return bindings


class FakeKeyboard:
    """A keyboard in memory: `press` fires a registered hotkey, `sent` records what `send` typed."""

    def __init__(self) -> None:
        self.bindings: dict[str, Callable[[], None]] = {}
        self.sent: list[str] = []

    def register(self, bindings: Mapping[str, Callable[[], None]]) -> None:
        self.bindings = dict(bindings)

    def send(self, combo: str) -> None:
        self.sent.append(combo)

    def press(self, combo: str) -> None:
        self.bindings[combo]()

    def stop(self) -> None:
        self.bindings = {}


def _pynput() -> tuple[Any, Any]:
    """pynput's keyboard module and its HotKey class; HotkeysUnavailable when there is no display."""
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        raise HotkeysUnavailable("hotkeys unavailable: no display (DISPLAY is not set)")
    try:
        from pynput import keyboard
    except Exception as exc:  # noqa: BLE001 - pynput raises Xlib errors, not ImportError, without a display
        raise HotkeysUnavailable(f"hotkeys unavailable: no display ({type(exc).__name__}: {exc})") from exc
    return keyboard, keyboard.HotKey


def unavailable_reason() -> str | None:
    """Why global hotkeys cannot work here, or None when they can (imports pynput when a display exists)."""
    try:
        _pynput()
    except HotkeysUnavailable as exc:
        return str(exc)
    return None


class PynputKeyboard:
    """Global hotkeys and key sending through pynput."""

    def __init__(self) -> None:
        self._keyboard, self._hotkey = _pynput()
        self._listener: Any = None
        self._controller = self._keyboard.Controller()
        self._lock = threading.Lock()

    def register(self, bindings: Mapping[str, Callable[[], None]]) -> None:
        for combo in bindings:
            try:
                self._hotkey.parse(combo)
            except ValueError as exc:
                raise ValueError(f"hotkey {combo!r}: {exc}") from exc
        self.stop()
        with self._lock:
            self._listener = self._keyboard.GlobalHotKeys(dict(bindings))
            self._listener.start()
            self._listener.wait()

    def send(self, combo: str) -> None:
        keys = [self._as_hardware(key) for key in self._hotkey.parse(combo)]
        pressed = []
        try:
            for key in keys:
                self._controller.press(key)
                pressed.append(key)
        finally:
            for key in reversed(pressed):
                self._controller.release(key)

    def _as_hardware(self, key: Any) -> Any:
        """On X11 a character key goes out as XTest input (like a real key press, as xdotool sends it):
        pynput would use XSendEvent for it, which applications may treat as synthetic and ignore."""
        char = getattr(key, "char", None)
        if not sys.platform.startswith("linux") or char is None:
            return key
        from Xlib import XK

        keysym = XK.string_to_keysym(char)
        return self._keyboard.KeyCode.from_vk(keysym) if keysym else key

    def stop(self) -> None:
        """Stop listening; does not join the listener thread (its join can wait for one more X event)."""
        with self._lock:
            listener, self._listener = self._listener, None
        if listener is not None:
            listener.stop()
