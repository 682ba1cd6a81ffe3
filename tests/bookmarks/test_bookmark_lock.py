"""The bookmark sidecar's lock, with real processes on real maps: the daemon's writes and `maid bookmarks`
share one JSON record of which bookmarks are maid's, and no update of it may be lost (a lost entry turns
maid's bookmarks into the mapper's, a resurrected one takes the mapper's away). A lock left by a process
that died is taken over; one held too long is reported with the lock file's name, the map left alone."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from daemon.automod import rule_checks
from daemon.bookmarks import SIDECAR_NAME, BookmarkMirror, BookmarkRecordLocked, BookmarkStore, write_bookmarks
from daemon.writeback import WriteBack, sha256
from engine.bookmarks import finding_times
from tests.bookmarks.bookmarks_child import findings_of, hammer
from tests.conftest import corpus_files

CHILD = Path(__file__).with_name("bookmarks_child.py")


def maps_with_findings(folder: Path, count: int) -> list[Path]:
    """Copies of the first `count` small corpus maps whose rule findings have times (so they get bookmarks)."""
    folder.mkdir(parents=True, exist_ok=True)
    copies = []
    for source in corpus_files():
        if source.stat().st_size > 60_000:
            continue
        target = folder / source.name
        shutil.copyfile(source, target)
        if finding_times(rule_checks(target, target.read_bytes())):
            copies.append(target)
            if len(copies) == count:
                return copies
        else:
            target.unlink()
    pytest.skip(f"fewer than {count} small corpus maps with timed rule findings (../shared absent?)")


def start_child(*args: str, says: str) -> subprocess.Popen[str]:
    """The child, once it printed `says`."""
    child = subprocess.Popen([sys.executable, str(CHILD), *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    assert child.stdout is not None and child.stdout.readline().strip() == says, child.communicate(timeout=60)[1]
    return child


def held_by_child(sidecar: Path) -> subprocess.Popen[str]:
    return start_child("hold", str(sidecar), says="held")


def test_a_process_and_two_threads_writing_at_once_lose_no_entry(tmp_path: Path) -> None:
    files = maps_with_findings(tmp_path / "Songs" / "set", 6)
    originals = {path: path.read_bytes() for path in files}
    sidecar, backups = tmp_path / "data" / SIDECAR_NAME, tmp_path / "data" / "backups"
    rounds = 20
    child = start_child("hammer", str(sidecar), str(backups), str(rounds), *map(str, files[:2]), says="ready")
    store = BookmarkStore(sidecar)  # one store shared by two threads, as the daemon's writer and start-up threads share one
    errors: list[BaseException] = []
    findings = findings_of(files[2:])

    def worker(mine: list[Path]) -> None:
        try:
            hammer(store, backups, rounds, {path: findings[path] for path in mine})
        except BaseException as error:  # reported by the assertion below
            errors.append(error)

    child.stdin.write("go\n")  # type: ignore[union-attr]  # all three start together
    child.stdin.flush()  # type: ignore[union-attr]

    threads = [threading.Thread(target=worker, args=(files[2:4],)), threading.Thread(target=worker, args=(files[4:],))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    _, child_errors = child.communicate(timeout=300)
    assert child.returncode == 0, child_errors
    assert errors == []

    # Every round ended with maid's bookmarks out again: each map is the mapper's, byte for byte, and the
    # record holds nothing. A lost entry leaves maid's bookmarks in a map; a resurrected one stays in the record.
    assert {path.name for path in files if path.read_bytes() != originals[path]} == set()
    assert json.loads(sidecar.read_text(encoding="utf-8")) == {}
    # Each write really was done: 2 per round per file, all journaled (their backups, derived, pruned to 2).
    journal = [json.loads(line) for line in (backups / "journal.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(journal) == 2 * rounds * len(files) and {entry["file"] for entry in journal} == {str(p) for p in files}


def test_a_lock_left_by_a_killed_process_is_taken_over(tmp_path: Path) -> None:
    path = maps_with_findings(tmp_path / "Songs" / "set", 1)[0]
    original = path.read_bytes()
    sidecar = tmp_path / "data" / SIDECAR_NAME
    child = held_by_child(sidecar)
    child.kill()  # SIGKILL on POSIX, TerminateProcess on Windows: no clean-up runs
    child.communicate(timeout=30)
    store = BookmarkStore(sidecar, lock_timeout=5)  # BookmarkRecordLocked after 5 s if the dead holder still held it
    assert store.lock_file.exists()  # the dead holder's lock file is still there

    wb = WriteBack(tmp_path / "data" / "backups")
    assert write_bookmarks(wb, store, wb.read(path), rule_checks(path, original)).changed
    assert store.get(path) is not None and store.get(path).added  # type: ignore[union-attr]
    write_bookmarks(wb, store, wb.read(path), [])
    assert path.read_bytes() == original and store.get(path) is None


def test_a_lock_held_too_long_is_reported_by_name_and_the_map_left_alone(tmp_path: Path) -> None:
    path = maps_with_findings(tmp_path / "Songs" / "set", 1)[0]
    data = path.read_bytes()
    sidecar = tmp_path / "data" / SIDECAR_NAME
    store = BookmarkStore(sidecar, lock_timeout=0.5)
    wb = WriteBack(tmp_path / "data" / "backups")
    child = held_by_child(sidecar)
    try:
        with pytest.raises(BookmarkRecordLocked) as raised:
            write_bookmarks(wb, store, wb.read(path), rule_checks(path, data))
        assert str(store.lock_file) in str(raised.value) and "0.5 s" in str(raised.value)
        # The daemon's mirror reports it (never raises) and writes nothing.
        written = BookmarkMirror(wb, store).mirror(wb.read(path), rule_checks(path, data))
        assert written.result is None and str(store.lock_file) in (written.error or "")
        assert path.read_bytes() == data and sha256(path.read_bytes()) == sha256(data)
        assert wb.journal() == [] and not sidecar.exists()
    finally:
        child.kill()
        child.communicate(timeout=30)
    # Free again once the holder is gone.
    assert write_bookmarks(wb, store, wb.read(path), rule_checks(path, data)).changed
