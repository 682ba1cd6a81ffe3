"""`maid start|stop|status|token`, `maid api schema` and `maid backups` as real processes."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from daemon.config import user_paths
from tests.conftest import REPO
from tests.daemon.conftest import middle_range, nudge_objects

MAID = [sys.executable, "-c", "from daemon.cli import main; main()"]


def maid(*args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*MAID, *args], capture_output=True, text=True, timeout=timeout, cwd=REPO, env=os.environ.copy())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_daemon(monkeypatch) -> subprocess.Popen[str]:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("MAID_PORT", str(free_port()))
    process = subprocess.Popen([*MAID, "start"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=REPO, env=os.environ.copy())
    discovery = user_paths().discovery_file
    deadline = time.monotonic() + 20
    while not discovery.exists() or json.loads(discovery.read_text() or "{}").get("pid") != process.pid:
        assert process.poll() is None, process.stdout.read() if process.stdout else ""
        assert time.monotonic() < deadline, "maid start did not come up in 20 s"
        time.sleep(0.05)
    return process


def test_start_status_second_start_stop(maid_home: Path, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("HOME", str(tmp_path))  # no osu! install here: the demo mapset is watched
    monkeypatch.delenv("WINEPREFIX", raising=False)
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-hub-cache"))  # and no model
    daemon = start_daemon(monkeypatch)
    try:
        status = maid("status", "--json")
        assert status.returncode == 0, status.stderr
        info = json.loads(status.stdout)
        assert info["running"] is True and info["pid"] == daemon.pid and info["port"] == int(os.environ["MAID_PORT"])
        assert info["songsFolderSource"] == "demo" and Path(info["songsFolder"]).is_relative_to(maid_home)
        text = " ".join(maid("status").stdout.split())
        assert "(maid's demo mapset copy)" in text and "is not installed" in text and "maid model pull" in text

        second = maid("start")
        assert second.returncode == 1 and f"already running (pid {daemon.pid}" in " ".join(second.stderr.split())

        stopped = maid("stop")
        assert stopped.returncode == 0, stopped.stderr
        assert daemon.wait(timeout=10) == 0
    finally:
        if daemon.poll() is None:
            daemon.kill()
    assert not user_paths().discovery_file.exists()
    log = (user_paths().log_dir / "maid.log").read_text()
    assert "listening on ws://127.0.0.1" in log and "no osu! Songs folder found: watching maid's demo mapset" in log
    gone = maid("status", "--json")
    assert gone.returncode == 1 and json.loads(gone.stdout)["running"] is False


def test_sigterm_stops_cleanly(maid_home: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    daemon = start_daemon(monkeypatch)
    daemon.send_signal(signal.SIGTERM)
    assert daemon.wait(timeout=10) == 0
    assert not user_paths().discovery_file.exists()


def test_a_port_in_use_is_reported_with_what_to_do(maid_home: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        result = maid("start", "--port", str(taken.getsockname()[1]))
    message = " ".join(result.stderr.split())
    assert result.returncode == 1 and "could not start" in message and "choose another with --port" in message
    assert not user_paths().discovery_file.exists()


def test_bad_config_is_reported_by_start(maid_home: Path) -> None:
    result = maid("start", "--port", "80")
    message = " ".join(result.stderr.split())  # rich wraps long lines
    assert result.returncode == 2 and "port = 80" in message and "(allowed: 1024 to 65535) [command-line flag --port]" in message


def test_token_schema_and_backups_without_a_daemon(maid_home: Path, mapset: list[Path], tmp_path: Path) -> None:
    first = maid("token")
    assert first.returncode == 0 and first.stdout.strip() == maid("token").stdout.strip()
    assert len(first.stdout.strip()) >= 40
    hub = subprocess.run([*MAID, "token", "--hub"], input="hf_secret\n", capture_output=True, text=True, timeout=30, cwd=REPO)
    assert hub.returncode == 0 and "hf_secret" not in hub.stdout + hub.stderr
    from daemon.secrets import get_token

    assert get_token(user_paths().config_dir, "hub").value == "hf_secret"  # type: ignore[union-attr]

    schema_file = tmp_path / "schema.json"
    assert maid("api", "schema", "-o", str(schema_file)).returncode == 0
    assert "backups/restore" in json.loads(schema_file.read_text())["methods"]

    from daemon.writeback import WriteBack

    path = mapset[0]
    original = path.read_bytes()
    wb = WriteBack(user_paths().data_dir / "backups")
    result = wb.write(wb.read(path), nudge_objects(*middle_range(original)))
    listed = maid("backups", "list", str(path), "--json")
    assert [b["path"] for b in json.loads(listed.stdout)] == [str(result.backup)]
    journal = json.loads(maid("backups", "journal", str(path), "--json").stdout)
    assert [(e["kind"], e["provenance"]["ai"]) for e in journal] == [("write", True)]
    assert "AI (OliBomby/Mapperatorinator-v30)" in maid("backups", "journal").stdout
    undo = maid("backups", "undo", str(path))
    assert undo.returncode == 0, undo.stderr
    assert path.read_bytes() == original
    again = maid("backups", "undo", str(path))
    assert again.returncode == 1 and "nothing to undo" in " ".join(again.stderr.split())


def test_a_crashed_daemon_leaves_nothing_that_blocks_the_next_start(maid_home: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    crashed = start_daemon(monkeypatch)
    crashed.kill()  # kill -9: no cleanup, the discovery file stays behind
    crashed.wait(timeout=10)
    assert user_paths().discovery_file.exists()
    stale = maid("status", "--json")
    assert stale.returncode == 1 and "not answering" in json.loads(stale.stdout)["reason"]
    daemon = start_daemon(monkeypatch)
    try:
        assert json.loads(maid("status", "--json").stdout)["pid"] == daemon.pid
    finally:
        assert maid("stop").returncode == 0
        daemon.wait(timeout=10)
