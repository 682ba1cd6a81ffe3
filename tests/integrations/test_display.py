"""The real keyboard and clipboard under Xvfb: a GlobalHotKeys hotkey fired by xdotool and by our own
`send`, the system clipboard through pyperclip/xclip; and a clean refusal without a display."""

from __future__ import annotations

import subprocess
import threading

import pytest

from integrations.clipboard import MemoryClipboard, PyperclipClipboard
from integrations.hotkeys import ACTIONS, FakeKeyboard, HotkeyConflict, HotkeysUnavailable, PynputKeyboard, action_bindings

HOTKEYS = {"remap_selection": "<ctrl>+<alt>+r", "hitsound_selection": "<ctrl>+<alt>+h",
           "check_now": "<ctrl>+<alt>+c", "undo_last_write": "<ctrl>+<alt>+z"}  # fmt: skip


def test_without_a_display_hotkeys_are_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    with pytest.raises(HotkeysUnavailable, match="hotkeys unavailable: no display"):
        PynputKeyboard()


def test_actions_match_the_config_and_conflicts_are_refused() -> None:
    from daemon.config import HotkeySettings

    assert set(ACTIONS) == set(HotkeySettings.model_fields)
    fired: list[str] = []
    keyboard = FakeKeyboard()
    keyboard.register(action_bindings(HotkeySettings().model_dump(), {a: (lambda a=a: fired.append(a)) for a in ACTIONS}))
    keyboard.press("<ctrl>+<alt>+h")
    assert fired == ["hitsound_selection"]
    with pytest.raises(HotkeyConflict, match="hotkeys.check_now and hotkeys.remap_selection are both <ctrl>\\+<alt>\\+r"):
        action_bindings({**HOTKEYS, "check_now": "<ctrl>+<alt>+R"}, {a: lambda: None for a in ACTIONS})


@pytest.mark.display
def test_a_global_hotkey_fires_from_xdotool_and_from_send(xvfb: str) -> None:
    fired = {action: threading.Event() for action in ACTIONS}
    keyboard = PynputKeyboard()
    try:
        keyboard.register(action_bindings(HOTKEYS, {a: fired[a].set for a in ACTIONS}))
        subprocess.run(["xdotool", "key", "ctrl+alt+h"], check=True, timeout=10, env={"DISPLAY": xvfb})
        assert fired["hitsound_selection"].wait(5)
        keyboard.send("<ctrl>+<alt>+z")  # what the reload uses to press Ctrl+L in osu!
        assert fired["undo_last_write"].wait(5)
        assert not fired["remap_selection"].is_set() and not fired["check_now"].is_set()
    finally:
        keyboard.stop()
        subprocess.run(["xdotool", "key", "shift"], check=True, timeout=10, env={"DISPLAY": xvfb})  # wakes the stopped listener
        for thread in threading.enumerate():
            if type(thread).__module__.startswith("pynput"):
                thread.join(5)
                assert not thread.is_alive()


@pytest.mark.display
def test_the_system_clipboard_through_pyperclip(xvfb: str) -> None:
    board = PyperclipClipboard()
    board.set("00:12:345 (1,2,3) - ")
    assert board.get() == "00:12:345 (1,2,3) - "
    other = subprocess.run(["xclip", "-selection", "clipboard", "-o"], capture_output=True, text=True, timeout=10, env={"DISPLAY": xvfb})
    assert other.stdout == "00:12:345 (1,2,3) - "
    subprocess.run(["xclip", "-selection", "clipboard"], input="01:00:000 (60000|0) - ", text=True, timeout=10,
                   env={"DISPLAY": xvfb}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    assert board.get() == "01:00:000 (60000|0) - "
    assert MemoryClipboard(board.get()).get() == board.get()
