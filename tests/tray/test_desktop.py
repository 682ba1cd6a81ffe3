"""The real pystray icon (xorg backend) under Xvfb with trayer as the tray host, against a real daemon:
the icon docks, its menu items (callable) make the daemon receive the matching API calls, the icon and
tooltip follow the state, notices go to notify-send (xorg has no notifications); `python -m tray` connects, keeps to one instance and quits when the daemon goes
away for good; without a display it logs one line and exits while the daemon keeps running."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from daemon.api.client import call
from daemon.config import load_settings, user_paths
from tests.daemon.test_cli_daemon import MAID, free_port, maid
from tests.tray.conftest import DaemonThread, wait_until
from tests.tray.test_actions import RecordingDesktop
from tests.tray.test_notify import program_on_path
from tray.app import TrayApp, desktop_session, load_pystray
from tray.icons import IconKind
from tray.link import CLIENT_NAME
from tray.notify import NOTIFY_SEND

REPO = Path(__file__).resolve().parents[2]


def menu_item(menu: Any, text: str) -> Any:
    """The pystray item whose text starts with `text` (searching submenus too)."""
    for item in menu.items:
        if item.text.startswith(text):
            return item
        if item.submenu is not None:
            try:
                return menu_item(item.submenu, text)
            except LookupError:
                pass
    raise LookupError(f"no menu item {text!r} in {[i.text for i in menu.items]}")


def docked_in_trayer(display: str) -> bool:
    """Whether maid's icon window (WM_CLASS maidSystemTrayIcon) sits inside trayer's panel window."""

    def tree(*where: str) -> str:
        return subprocess.run(["xwininfo", "-tree", "-display", display, *where], capture_output=True, text=True, timeout=10).stdout

    panels = [line.split()[0] for line in tree("-root").splitlines() if '("panel" "trayer")' in line]
    return any('("maidSystemTrayIcon" "maid")' in tree("-id", panel) for panel in panels)


def test_the_real_icon_docks_and_its_menu_drives_the_daemon(xvfb_display: str, daemon: DaemonThread, mapset: list[Path], tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="tray")
    pystray = load_pystray()
    assert pystray.Icon.__module__ == "pystray._xorg" and not pystray.Icon.HAS_NOTIFICATION and not pystray.Icon.HAS_MENU
    shown = tmp_path / "notify-send.txt"  # xorg has no notifications: the tray falls back to notify-send, recorded here
    program_on_path(tmp_path / "bin", monkeypatch, f'printf "%s|%s\\n" "$2" "$3" >> "{shown}"')
    desktop = RecordingDesktop()
    app = TrayApp(user_paths(), pystray, desktop=desktop, refresh_s=0.5, version="test")
    assert [name for name, _ in app.notifiers] == [NOTIFY_SEND]
    path = mapset[0]
    failures: list[BaseException] = []

    def click(text: str) -> None:
        menu_item(app.icon.menu, text)(app.icon)

    def drive(app: TrayApp) -> None:
        try:
            wait_until(lambda: app.state.connection == "connected", what="the tray to connect")
            wait_until(lambda: docked_in_trayer(xvfb_display), what="trayer to take the icon")
            assert CLIENT_NAME in daemon.client_names()

            click("Auto-mod on save")
            wait_until(lambda: daemon.calls_of("config/set"), what="config/set")
            assert daemon.calls_of("config/set")[-1] == {"key": "automod_on_save", "value": False}
            wait_until(lambda: menu_item(app.icon.menu, "Auto-mod on save").checked is False, what="the menu with the new setting")

            click("Pause all")
            wait_until(lambda: app._shown_kind is not None and app._shown_kind[0] is IconKind.PAUSED, what="the paused icon")
            assert app.state.paused and app.icon.title == "maid: paused" and daemon.calls_of("daemon/pause") == [{"paused": True}]
            assert daemon.daemon.services.jobs.holds == ["user"]  # type: ignore[union-attr]
            click("Resume")
            wait_until(lambda: not app.state.paused, what="resume")
            assert daemon.calls_of("daemon/pause")[-1] == {"paused": False} and daemon.daemon.services.jobs.holds == []  # type: ignore[union-attr]

            # another client (the CLI) checks the map and applies a fix: the tray shows the findings, learns of
            # the write, and its menu undoes it
            original = path.read_bytes()
            report = call(user_paths(), "check", {"path": str(path)})["report"]
            wait_until(lambda: app._shown_kind is not None and app._shown_kind[0] is IconKind.FINDINGS, what="the findings icon")
            first = menu_item(app.icon.menu, "Findings in ")
            assert first.text.startswith(f"Findings in {path.name}") and not first.enabled
            fixable = next(f for f in report["findings"] if f["fix"])
            call(user_paths(), "findings/apply", {"path": str(path), "findingIds": [fixable["id"]]})
            assert path.read_bytes() != original
            wait_until(lambda: app.state.last_write is not None, what="file/written")
            click("Undo last write")
            wait_until(lambda: path.read_bytes() == original, what="the tray's undo")
            assert daemon.calls_of("backups/restore") == [{"path": str(path)}]

            click("Open backups folder")
            wait_until(lambda: desktop.opened, what="the opener")
            assert desktop.opened == [app.state.status.backup_folder]  # type: ignore[union-attr]
            click("Quit maid")  # shuts the daemon down and stops the icon
        except BaseException as exc:
            failures.append(exc)
            app.stop()

    app.run(drive)  # blocks this (main) thread until the icon stops
    assert not failures, failures[0]
    assert daemon.methods.count("shutdown") == 1
    wait_until(lambda: not daemon.alive, what="the daemon to stop")
    assert load_settings(user_paths()).automod_on_save is False  # as clicked; pausing never touches the setting
    assert any("notice: maid wrote" in r.getMessage() and "Ctrl+L" in r.getMessage() for r in caplog.records)
    wait_until(lambda: shown.exists() and f"maid wrote {path.name}|" in shown.read_text(), what="the notice through notify-send")
    assert "maid paused|" in shown.read_text() and "Ctrl+L" in shown.read_text()


def tray_process(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "tray", *args], cwd=REPO, env=env or dict(os.environ),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_python_m_tray_connects_keeps_one_instance_and_quits_when_maid_is_gone(xvfb_display: str, daemon: DaemonThread) -> None:
    tray = tray_process("--give-up-after", "1")
    try:
        wait_until(lambda: CLIENT_NAME in daemon.client_names() or tray.poll() is not None, timeout=30, what="python -m tray to connect")
        assert tray.poll() is None, tray.communicate()[0]
        second = tray_process()
        out, _ = second.communicate(timeout=30)
        assert second.returncode == 0 and "already running" in out
        daemon.stop()
        out, _ = tray.communicate(timeout=30)
        assert tray.returncode == 0, out
        # the xorg loop sometimes misses its window's end after stop(); the watchdog then ends the process
        assert "did not come back within 1 s" in out and ("tray stopped" in out or "the tray exits" in out)
        log = (user_paths().log_dir / "tray.log").read_text(encoding="utf-8")
        assert "connected to maid on port" in log and "did not come back" in log
    finally:
        if tray.poll() is None:
            tray.kill()
            tray.wait()


def test_without_a_display_the_tray_logs_one_line_and_maid_keeps_running(daemon: DaemonThread) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    out, _ = tray_process(env=env).communicate(timeout=60)
    lines = [line for line in out.splitlines() if line.strip()]
    assert len(lines) == 1 and "WARNING" in lines[0], out
    assert "no tray icon: no desktop session (neither DISPLAY nor WAYLAND_DISPLAY is set); maid keeps running without one" in lines[0]
    assert call(user_paths(), "status")["pid"] == os.getpid()  # the daemon is untouched
    if sys.platform.startswith("linux"):
        saved = {k: os.environ.pop(k) for k in ("DISPLAY", "WAYLAND_DISPLAY") if k in os.environ}
        try:
            assert not desktop_session()
        finally:
            os.environ.update(saved)


def start_maid(monkeypatch: pytest.MonkeyPatch, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """`maid start ARGS` on a free port, once its discovery file names it."""
    monkeypatch.setenv("MAID_PORT", str(free_port()))
    process = subprocess.Popen([*MAID, "start", *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=REPO,
                               env=env or dict(os.environ))
    discovery = user_paths().discovery_file
    wait_until(lambda: process.poll() is not None or (discovery.exists() and f'"pid": {process.pid}' in discovery.read_text()),
               timeout=30, what="maid start")
    assert process.poll() is None, process.communicate()[0]
    return process


def stop_maid(process: subprocess.Popen[str]) -> str:
    maid("stop")
    out, _ = process.communicate(timeout=30)
    return out


def test_maid_start_spawns_the_tray_in_a_desktop_session_unless_told_not_to(xvfb_display: str, maid_home: Path,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    tray_log = user_paths().log_dir / "tray.log"
    process = start_maid(monkeypatch)
    try:
        port = os.environ["MAID_PORT"]
        try:
            wait_until(lambda: tray_log.exists() and f"connected to maid on port {port}" in tray_log.read_text(), timeout=30,
                       what="the spawned tray to connect")
        except AssertionError as exc:
            raise AssertionError(f"{exc}; tray.log: {tray_log.read_text() if tray_log.exists() else 'none'}") from None
        assert call(user_paths(), "status")["clients"] == 2  # the tray and this call
    finally:
        stop_maid(process)
    wait_until(lambda: "did not come back" in tray_log.read_text(), timeout=40, what="the spawned tray to quit after maid stop")

    tray_log.unlink()
    process = start_maid(monkeypatch, "--no-tray")
    try:
        assert call(user_paths(), "status")["clients"] == 1  # only this call: no tray connected
    finally:
        stop_maid(process)
    assert not tray_log.exists()


def test_maid_start_without_a_desktop_says_so_and_serves(maid_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    process = start_maid(monkeypatch, env=env)
    try:
        assert call(user_paths(), "status")["pid"] == process.pid
    finally:
        out = stop_maid(process)
    assert "no desktop session (DISPLAY/WAYLAND_DISPLAY unset): no tray icon" in out
    assert not (user_paths().log_dir / "tray.log").exists()
