"""An X display for the tests of the real pynput / pyperclip paths: Xvfb on a free display number, DISPLAY
set for the test, the server (and with it xclip's helper) killed afterwards. Skips with the reason when
Xvfb, xdotool or xclip is missing (scripts/setup installs them in CI)."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

X11_SOCKETS = Path("/tmp/.X11-unix")


def _free_display() -> int:
    for number in range(90, 200):
        if not (X11_SOCKETS / f"X{number}").exists() and not Path(f"/tmp/.X{number}-lock").exists():
            return number
    raise RuntimeError("no free X display number between :90 and :199")


@pytest.fixture
def xvfb(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """DISPLAY of a fresh Xvfb server for this test."""
    for tool in ("Xvfb", "xdotool", "xclip"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed (apt-get install xvfb xdotool xclip; scripts/setup does it in CI)")
    number = _free_display()
    server = subprocess.Popen(["Xvfb", f":{number}", "-screen", "0", "640x480x24", "-nolisten", "tcp"],
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    display = f":{number}"
    try:
        deadline = time.monotonic() + 10
        while not (X11_SOCKETS / f"X{number}").exists():
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.skip(f"Xvfb {display} did not start (exit {server.poll()})")
            time.sleep(0.05)
        monkeypatch.setenv("DISPLAY", display)
        monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
        yield display
    finally:
        server.terminate()
        try:
            server.wait(timeout=5)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
