"""Where the tray's notices go (tray.notify): the icon's notifications when pystray's backend has them, else
`notify-send` on PATH, else the log; a backend that fails hands the notice on. `notify-send` here is a small
program on PATH that records its arguments (or fails as it does without a notification server), run as a
real process. The xorg backend (no notifications) is covered under Xvfb in test_desktop."""

from __future__ import annotations

import logging
import os
import stat
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.tray.conftest import wait_until
from tray.notify import NOTIFY_SEND, choose, show


def program_on_path(folder: Path, monkeypatch: pytest.MonkeyPatch, body: str) -> Path:
    """An executable `notify-send` in `folder`, first on PATH."""
    folder.mkdir(parents=True, exist_ok=True)
    program = folder / NOTIFY_SEND
    program.write_text(f"#!/bin/sh\n{body}\n", encoding="utf-8")
    program.chmod(program.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ.get('PATH', '')}")
    return program


@pytest.fixture
def dummy_icon(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """pystray's dummy backend: it claims notifications (HAS_NOTIFICATION) but cannot show them."""
    monkeypatch.setenv("PYSTRAY_BACKEND", "dummy")  # read only when pystray is first imported
    loaded = set(sys.modules)
    import pystray._dummy

    yield pystray._dummy.Icon("maid")
    for name in set(sys.modules) - loaded:  # a pystray imported here must not stay the dummy for the Xvfb tests
        if name.split(".")[0] == "pystray":
            del sys.modules[name]


def test_the_icon_comes_first_and_a_failing_one_hands_the_notice_to_notify_send(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                                dummy_icon: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="tray")
    record = tmp_path / "shown.txt"
    program_on_path(tmp_path / "bin", monkeypatch, f'printf "%s\\n" "$@" >> "{record}"')
    ways = choose(dummy_icon)
    assert [name for name, _ in ways] == ["icon", NOTIFY_SEND]
    assert show(ways, "maid wrote x.osu", "reload the map in osu!: stable Ctrl+L") == NOTIFY_SEND
    wait_until(lambda: record.exists() and record.read_text().count("\n") == 3, what="notify-send to run")
    assert record.read_text().splitlines() == ["--app-name=maid", "maid wrote x.osu", "reload the map in osu!: stable Ctrl+L"]
    messages = [r.getMessage() for r in caplog.records]
    assert "notice: maid wrote x.osu: reload the map in osu!: stable Ctrl+L" in messages
    assert any(m.startswith("could not show a notification with icon (NotImplementedError") for m in messages)
    assert [name for name, _ in choose(dummy_icon, which=lambda name: None)] == ["icon"]


def test_without_a_way_to_show_it_the_notice_is_only_logged(dummy_icon: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                            caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="tray")
    monkeypatch.setenv("PATH", str(tmp_path))  # no notify-send anywhere
    assert [name for name, _ in choose(dummy_icon)] == ["icon"]
    assert show(choose(dummy_icon), "maid: check failed", "the map cannot be read") == "log"  # the dummy icon fails too
    assert show([], "maid paused", "model jobs wait") == "log"
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.INFO] == [
        "notice: maid: check failed: the map cannot be read", "notice: maid paused: model jobs wait"]


def test_a_notify_send_that_fails_is_logged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="tray")
    program_on_path(tmp_path / "bin", monkeypatch, 'echo "Cannot connect to the notification server" >&2; exit 1')
    ways = choose(object())  # an icon without notifications (as pystray's xorg backend)
    assert [name for name, _ in ways] == [NOTIFY_SEND]
    assert show(ways, "maid: remap failed", "no model") == NOTIFY_SEND  # started: its failure is known later
    wait_until(lambda: any("notify-send failed" in r.getMessage() for r in caplog.records), what="the failure to be logged")
    assert any(r.getMessage() == "notify-send failed (exit 1: Cannot connect to the notification server); notices stay in the log"
               for r in caplog.records)
