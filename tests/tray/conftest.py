"""Fixtures for the tray tests: a real daemon (API server on 127.0.0.1, token, discovery file in a temp
MAID_HOME) running on its own thread with every request it receives recorded, and Xvfb + trayer on a
free display number for the real pystray icon."""

from __future__ import annotations

import asyncio
import gc
import json
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from daemon.api.server import ServerOptions
from daemon.app import Daemon, build_daemon
from daemon.config import load_settings, user_paths
from tests.daemon.conftest import maid_home, mapset  # noqa: F401  (fixtures shared with the daemon tests)

XVFB, TRAYER, XWININFO = shutil.which("Xvfb"), shutil.which("trayer"), shutil.which("xwininfo")


class RecordingDispatcher:
    """The daemon's real dispatcher, with the method and params of every request noted first."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.calls: list[tuple[str, Any]] = []

    async def handle_frame(self, text: str | bytes, session: Any) -> str | None:
        try:
            message = json.loads(text)
            if isinstance(message, dict) and isinstance(message.get("method"), str):
                self.calls.append((message["method"], message.get("params")))
        except ValueError:
            pass
        return await self.inner.handle_frame(text, session)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


@dataclass
class DaemonThread:
    """A real daemon (build_daemon, port 0) serving on a background thread's event loop."""

    settings: dict[str, Any] = field(default_factory=dict)
    daemon: Daemon | None = None
    loop: asyncio.AbstractEventLoop | None = None
    recorder: RecordingDispatcher | None = None
    _ready: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _error: list[BaseException] = field(default_factory=list)

    def start(self) -> DaemonThread:
        self._thread = threading.Thread(target=self._run, name="test-daemon", daemon=True)
        self._thread.start()
        assert self._ready.wait(20), f"the daemon did not start: {self._error}"
        assert not self._error, self._error
        return self

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # reported by start() / stop()
            self._error.append(exc)
            self._ready.set()

    async def _main(self) -> None:
        paths = user_paths()
        self.daemon = build_daemon(paths, load_settings(paths, self.settings), ServerOptions(port=0))
        self.recorder = RecordingDispatcher(self.daemon.server.dispatcher)
        self.daemon.server.dispatcher = self.recorder  # type: ignore[assignment]
        self.loop = asyncio.get_running_loop()
        await self.daemon.start()
        self._ready.set()
        try:
            await self.daemon.services.shutdown.wait()
        finally:
            await self.daemon.stop()

    @property
    def methods(self) -> list[str]:
        assert self.recorder is not None
        return [method for method, _ in self.recorder.calls]

    def calls_of(self, method: str) -> list[Any]:
        assert self.recorder is not None
        return [params for name, params in self.recorder.calls if name == method]

    def on_loop(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run `fn(*args)` on the daemon's event loop (e.g. server.broadcast, jobs.submit); returns its result."""
        assert self.loop is not None

        async def call() -> Any:
            return fn(*args)

        return asyncio.run_coroutine_threadsafe(call(), self.loop).result(10)

    def client_names(self) -> list[str | None]:
        assert self.daemon is not None
        return [c.client_name for c in list(self.daemon.server.clients.values())]

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def stop(self) -> None:
        if self.alive and self.loop is not None and self.daemon is not None:
            self.loop.call_soon_threadsafe(self.daemon.services.shutdown.set)
        if self._thread is not None:
            self._thread.join(20)


def wait_until(predicate: Callable[[], Any], timeout: float = 15.0, what: str = "the condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")


@pytest.fixture
def daemon(maid_home: Path) -> Iterator[DaemonThread]:  # noqa: F811
    running = DaemonThread().start()
    try:
        yield running
    finally:
        running.stop()


def _free_display() -> int:
    for number in range(90, 190):
        if not Path(f"/tmp/.X{number}-lock").exists() and not Path(f"/tmp/.X11-unix/X{number}").exists():
            return number
    raise RuntimeError("no free X display number between :90 and :189")


@pytest.fixture(scope="module")
def xvfb_display() -> Iterator[str]:
    """Xvfb on a free display with trayer as the tray host; DISPLAY is set while the module runs."""
    if XVFB is None or TRAYER is None or XWININFO is None:
        pytest.skip(f"needs Xvfb, trayer and xwininfo (apt-get install xvfb trayer x11-utils); found Xvfb={XVFB}, trayer={TRAYER}, "
                    f"xwininfo={XWININFO}")
    number = _free_display()
    display = f":{number}"
    xvfb = subprocess.Popen([XVFB, display, "-screen", "0", "800x600x24", "-nolisten", "tcp"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    trayer: subprocess.Popen[bytes] | None = None
    saved = {name: os.environ.get(name) for name in ("DISPLAY", "PYSTRAY_BACKEND")}
    try:
        wait_until(lambda: Path(f"/tmp/.X11-unix/X{number}").exists() or xvfb.poll() is not None, 10, "Xvfb")
        assert xvfb.poll() is None, f"Xvfb {display} exited with {xvfb.returncode}"
        os.environ["DISPLAY"] = display
        os.environ["PYSTRAY_BACKEND"] = "xorg"  # appindicator and gtk need GTK (gi), which is not installed
        trayer = subprocess.Popen([TRAYER, "--edge", "top", "--align", "right", "--widthtype", "pixel", "--width", "120",
                                   "--heighttype", "pixel", "--height", "32", "--transparent", "false", "--tint", "0xf6f6f8"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(lambda: _tray_host_ready(display), 10, "trayer to own the tray selection")
        yield display
    finally:
        gc.collect()  # pystray icons of ended tests close their X connection now, not in a later GC pass without a display
        _let_x_listeners_finish(display)
        for process in (trayer, xvfb):
            if process is not None and process.poll() is None:
                process.terminate()
                try:
                    process.wait(5)
                except subprocess.TimeoutExpired:
                    process.kill()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _let_x_listeners_finish(display: str) -> None:
    """The daemons of these tests register their hotkeys (pynput) on this display; a stopped pynput listener
    ends only at the next X event. Send one and wait, so that no listener thread outlives the display."""
    xdotool = shutil.which("xdotool")
    if xdotool is not None:
        subprocess.run([xdotool, "key", "shift"], env={**os.environ, "DISPLAY": display}, timeout=10, check=False)
    wait_until(lambda: not [t for t in threading.enumerate() if type(t).__module__.startswith("pynput")], 5, "pynput listeners to end")


def _tray_host_ready(display: str) -> bool:
    """Whether a tray host owns the system tray selection on `display` (what pystray's docking needs)."""
    from Xlib import X
    from Xlib import display as xdisplay

    try:
        connection = xdisplay.Display(display)
    except Exception:
        return False
    try:
        owner = connection.get_selection_owner(connection.intern_atom("_NET_SYSTEM_TRAY_S0"))
        return owner != X.NONE and getattr(owner, "id", 0) != 0
    finally:
        connection.close()
