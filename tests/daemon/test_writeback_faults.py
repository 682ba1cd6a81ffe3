"""Write-back under faults, in child processes on real files: kill -9 at random points, a full disk,
a read-only folder, and the editor saving while a job runs. The original is never mangled."""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from daemon.writeback import WriteBack, WriteBackError, WriteConflict, sha256
from tests.daemon.conftest import nudge_objects

CHILD = Path(__file__).with_name("writeback_child.py")
sys.path.insert(0, str(CHILD.parent))
from writeback_child import MARK, step_version  # noqa: E402

STEPS = 200


def test_kill_9_during_write_backs_leaves_old_or_new(mapset: list[Path], tmp_path: Path) -> None:
    backups = tmp_path / "backups"
    versions = {path: path.read_bytes() for path in mapset}  # the last version known complete per file
    originals = list(versions.values())
    rng = random.Random(20261127)
    step, kills, started = 0, 0, time.monotonic()
    while step < STEPS:
        # Every other run the child kills itself inside a file system call of the write-back (each step
        # of the protocol); otherwise the test kills it a few ms after a random number of writes.
        inside = rng.random() < 0.5
        env = {**os.environ, "MAID_TEST_KILL_P": "0.01"} if inside else None
        child = subprocess.Popen(
            [sys.executable, str(CHILD), "loop", str(backups), str(step), str(STEPS), *map(str, mapset)],
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        assert child.stdout is not None
        seen = [] if inside else [child.stdout.readline() for _ in range(rng.randint(1, 12))]
        if not inside:
            time.sleep(rng.uniform(0.0, 0.003))
            if child.poll() is None:
                os.kill(child.pid, signal.SIGKILL)
        kills += child.wait() == -signal.SIGKILL
        done = [json.loads(line) for line in ("".join(seen) + child.stdout.read()).splitlines() if line.endswith("}")]
        for report in done:
            path = mapset[report["step"] % len(mapset)]
            if report["backup"] is not None:  # each completed write has its backup, holding the old bytes
                assert sha256(Path(report["backup"]).read_bytes()) == report["before"]
            versions[path] = step_version(versions[path], report["step"])
        step = done[-1]["step"] + 1 if done else step
        in_flight = mapset[step % len(mapset)] if step < STEPS else None
        for path in mapset:
            allowed = {versions[path]}
            if path == in_flight:
                allowed.add(step_version(versions[path], step))
            assert path.read_bytes() in allowed, f"{path.name} is neither its old nor its new version after a kill"
        assert time.monotonic() - started < 60, "the fault test must stay fast"
    assert kills >= 3, "the child was never killed mid-run; the test proved nothing"
    # One more uninterrupted write per file: it clears what the kills left in the song folder.
    final = subprocess.run([sys.executable, str(CHILD), "loop", str(backups), str(step), str(step + 3), *map(str, mapset)],
                           capture_output=True, text=True, timeout=60, check=True)
    for report in map(json.loads, final.stdout.splitlines()):
        path = mapset[report["step"] % len(mapset)]
        versions[path] = step_version(versions[path], report["step"])
    assert all(path.read_bytes() == versions[path] for path in mapset)
    assert not [p for p in mapset[0].parent.iterdir() if p.name.startswith(".maid-")], "a temp file was left behind"
    wb = WriteBack(backups)
    assert len(wb.journal()) >= STEPS - kills  # one line per completed write (a write killed after its rename may lack one)
    wb.prune_all()  # at daemon start: removes backups a kill interrupted (".partial")
    copies = [p for p in backups.rglob("*") if p.is_file() and p.suffix == ".osu"]
    assert len(copies) >= STEPS - kills and not list(backups.rglob("*.partial"))
    for copy in copies:  # a backup is always a whole version of its file, never a torn one
        assert any(is_version_of(copy.read_bytes(), original) for original in originals), f"torn backup {copy.name}"


def is_version_of(data: bytes, original: bytes) -> bool:
    """`data` is `original` or `original` with one complete step marker line (what step_version makes)."""
    tail = data[len(original) + len(MARK) :]
    return data == original or (data.startswith(original + MARK) and re.fullmatch(rb"\d+\r\n", tail) is not None)


@pytest.mark.parametrize(
    "mode",
    ["enospc-write", "enospc-fsync", "enospc-write-backup", "enospc-fsync-backup", "erofs", "eacces", "eacces-replace"],
)
def test_full_disk_or_read_only_folder_leaves_the_original(mode: str, mapset: list[Path], tmp_path: Path) -> None:
    path = mapset[0]
    before = path.read_bytes()
    backups = tmp_path / "backups"
    out = subprocess.run([sys.executable, str(CHILD), "fault", mode, str(backups), str(path)], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["error"] is not None, "the injected fault did not surface as an error"
    assert report["path"] == str(path) and str(path) in report["error"] and "untouched" in report["error"]
    hint = {"enospc": "disk is full", "erofs": "read-only file system", "eacces": "permission denied"}[mode.split("-")[0]]
    assert hint in report["error"]
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == sorted(p.name for p in mapset), "a temp file was left behind"
    assert WriteBack(backups).list_backups(path) == [] and WriteBack(backups).journal() == []


EDITOR = """
import sys, time
path, rounds = sys.argv[1], int(sys.argv[2])
for n in range(rounds):
    with open(path, "rb") as f:
        data = f.read()
    head, _, rest = data.partition(b"\\nTags:")
    line, _, tail = rest.partition(b"\\n")
    with open(path, "wb") as f:  # osu! saves in place: truncate, then write in pieces
        new = head + b"\\nTags:" + b" ".join(line.split(b" ")[:-1] if line.endswith(b"]") else [line]) + b" [save %d]" % n + b"\\n" + tail
        for i in range(0, len(new), 8192):
            f.write(new[i : i + 8192]); f.flush(); time.sleep(0.001)
    print(n, flush=True)
    time.sleep(0.15)
"""


def test_editor_saving_while_jobs_write_is_never_overwritten(mapset: list[Path], tmp_path: Path) -> None:
    """A real second process saves the map in place (metadata only) while jobs write hit objects:
    each job rebases or conflicts; no editor save is lost and the file is never truncated."""
    path = mapset[0]
    wb = WriteBack(tmp_path / "backups")
    times = [int(line.split(b",")[2]) for line in path.read_bytes().split(b"[HitObjects]")[1].splitlines() if line.count(b",") >= 4]
    editor = subprocess.Popen([sys.executable, "-c", EDITOR, str(path), "12"], stdout=subprocess.PIPE, text=True)
    outcomes = {"rebased": 0, "clean": 0, "conflict": 0, "busy": 0}
    marks = 0
    try:
        while editor.poll() is None:
            snapshot = wb.read(path)
            time.sleep(0.05)  # the "job" runs; the editor may save meanwhile
            start = times[marks % len(times)]

            try:
                result = wb.write(snapshot, nudge_objects(start, start))
                outcomes["rebased" if result.rebased else "clean"] += 1
            except WriteConflict:
                outcomes["conflict"] += 1
            except WriteBackError as exc:  # saved again during every retry (a loaded machine): refused, nothing written
                assert "keeps changing" in str(exc)
                outcomes["busy"] += 1
            marks += 1
    finally:
        editor.wait(timeout=30)
    saves = int(editor.stdout.read().split()[-1]) if editor.stdout else -1
    final = path.read_bytes()
    assert b"[save %d]" % saves in final, "the editor's last save was overwritten"
    assert final.split(b"[HitObjects]")[1].count(b"\n") >= len(times), "the file was truncated"
    assert outcomes["rebased"] >= 1, outcomes
    for entry in wb.journal():  # every backup is a complete file, never a half-written save
        assert Path(entry["backup"]).read_bytes().count(b"[HitObjects]") == 1
