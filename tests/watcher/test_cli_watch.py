"""`maid watch` as a user runs it: a real process, real saves, Ctrl+C."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.watcher.conftest import make_songs, osu_bytes, save_in_place
from tests.watcher.test_automod import UNSNAPPED, with_object

MAID = [sys.executable, "-c", "from daemon.cli import main; main()"]


def start_watch(*args: str) -> subprocess.Popen[str]:
    process = subprocess.Popen([*MAID, "watch", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stderr is not None
    line = process.stderr.readline()  # the watcher is in place once this is printed
    assert line.startswith("watching"), line + process.stderr.read()
    return process


def stop(process: subprocess.Popen[str]) -> tuple[str, str]:
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=10)
    assert process.returncode == 0, err
    assert "stopped" in err
    return out, err


def test_watch_json_prints_one_line_per_save_and_stops_on_ctrl_c(mapset: Path) -> None:
    path = next(mapset.glob("*.osu"))
    process = start_watch(str(mapset), "--json")
    try:
        save_in_place(path, with_object(osu_bytes(1), UNSNAPPED, after=0))
        assert process.stdout is not None
        line = json.loads(process.stdout.readline())
        time.sleep(0.4)
        save_in_place(path, osu_bytes(1))
        fixed = json.loads(process.stdout.readline())
    finally:
        out, _ = stop(process)
    assert out == ""
    assert line["file"] == str(path.resolve()) and line["source"] == "rules"
    unsnapped = [f for f in line["findings"] if f["check"] == "timing.unsnapped-objects"]
    assert [(f["timestamp"], f["new"]) for f in unsnapped] == [("00:01:107 (2) - ", True)]
    assert [f["start_ms"] for f in fixed["fixed"] if f["check"] == "timing.unsnapped-objects"] == [1107]


def test_watch_prints_a_grouped_report_for_one_file(mapset: Path) -> None:
    path = next(mapset.glob("*.osu"))
    other = mapset / "other [Hard].osu"
    other.write_bytes(osu_bytes(50))
    process = start_watch(str(path))
    try:
        save_in_place(other, with_object(osu_bytes(51), UNSNAPPED, after=0))  # not the file asked for
        time.sleep(0.4)
        save_in_place(path, with_object(osu_bytes(1), UNSNAPPED, after=0))
        time.sleep(1.0)
        save_in_place(path, osu_bytes(1))  # fixed
        time.sleep(1.0)
    finally:
        out, _ = stop(process)
    assert "other [Hard].osu" not in out
    first, second = out.split(f"  {path.name}  ")[1:]
    assert " new, 0 fixed, 0 unchanged" in first
    assert "Timing" in first and "00:01:107 (2) - Circle is unsnapped" in first
    assert "fixed 00:01:107 (2) - Circle is unsnapped" in second and "Circle is unsnapped" not in second.split("fixed")[0]


def test_watch_on_a_songs_folder_watches_the_recent_mapsets(tmp_path: Path) -> None:
    folders = make_songs(tmp_path / "Songs", 40)
    process = start_watch(str(tmp_path / "Songs"), "--json", "--recent", "4")
    try:
        save_in_place(next(folders[0].glob("*.osu")), osu_bytes(500))  # old: not watched
        time.sleep(0.4)
        newest = next(folders[-1].glob("*.osu"))
        save_in_place(newest, osu_bytes(501))
        assert process.stdout is not None
        line = json.loads(process.stdout.readline())
    finally:
        stop(process)
    assert line["file"] == str(newest.resolve())


def test_watch_names_a_missing_path() -> None:
    result = subprocess.run([*MAID, "watch", "/nonexistent/Songs"], capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert "/nonexistent/Songs does not exist" in result.stderr
