"""The watcher on real files with a real watchdog observer: one delivery per save, nothing for our own I/O."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import threading
import time
from pathlib import Path

import pytest

from daemon.watcher import SavedFile, WatchOptions, Watcher, in_loop, mapset_times, newest_folders, watch_budget
from daemon.writeback import Edit, Provenance, Region, WriteBack
from tests.watcher.conftest import Recorder, make_songs, osu_bytes, save_atomic, save_in_place, save_recreate

FAST = WatchOptions(debounce_s=0.15, read_retry_s=0.05)


def only_osu(folder: Path) -> Path:
    (path,) = folder.glob("*.osu")
    return path


@pytest.mark.parametrize("save", [save_in_place, save_atomic, save_recreate], ids=["in-place", "atomic", "recreate"])
def test_each_kind_of_save_is_delivered_once(mapset: Path, recorder: Recorder, save) -> None:
    path = only_osu(mapset)
    with Watcher(recorder, options=FAST) as watcher:
        watcher.focus(mapset)
        save(path, osu_bytes(1))
        saves = recorder.settle()
    assert len(saves) == 1
    (saved,) = saves
    assert saved.path == path.resolve()
    assert saved.data == osu_bytes(1)
    assert saved.sha256 == hashlib.sha256(osu_bytes(1)).hexdigest()


def test_a_half_written_file_is_read_only_once_the_writer_closed_it(mapset: Path, recorder: Recorder) -> None:
    path = only_osu(mapset)
    data = osu_bytes(1, objects=400)
    with Watcher(recorder, options=FAST) as watcher:
        watcher.focus(mapset)
        with open(path, "r+b") as f:
            f.truncate(0)
            f.write(data[: len(data) // 2])
            f.flush()
            time.sleep(0.5)  # several debounce periods with half a file on disk
            f.write(data[len(data) // 2 :])
        saves = recorder.settle()
    assert [s.data for s in saves] == [data]


def test_a_burst_of_saves_is_debounced_and_the_last_content_checked(mapset: Path, recorder: Recorder) -> None:
    path = only_osu(mapset)
    options = WatchOptions(debounce_s=0.3)  # well above the 50 ms between saves, even on a loaded machine
    with Watcher(recorder, options=options) as watcher:
        watcher.focus(mapset)
        for revision in range(1, 21):
            save_in_place(path, osu_bytes(revision))
            time.sleep(0.05)
        saves = recorder.settle()
    assert 1 <= len(saves) <= 3, [s.data[-40:] for s in saves]
    assert saves[-1].data == osu_bytes(20)


def test_saves_of_two_files_are_debounced_separately(mapset: Path, recorder: Recorder) -> None:
    first = only_osu(mapset)
    second = mapset / "maid - Watch (tester) [Hard].osu"
    second.write_bytes(osu_bytes(100))
    with Watcher(recorder, options=FAST) as watcher:
        watcher.focus(mapset)
        save_in_place(first, osu_bytes(1))
        save_in_place(second, osu_bytes(101))
        saves = recorder.settle()
    assert {(s.path.name, s.data) for s in saves} == {(first.name, osu_bytes(1)), (second.name, osu_bytes(101))}


def test_maids_own_reads_and_unchanged_saves_are_not_delivered(mapset: Path, recorder: Recorder) -> None:
    path = only_osu(mapset)
    with Watcher(recorder, options=FAST) as watcher:
        watcher.focus(mapset)
        save_in_place(path, osu_bytes(1))
        assert len(recorder.wait(1)) == 1
        time.sleep(0.3)
        for _ in range(5):
            path.read_bytes()  # open + close without writing, as every check does
        os.utime(path)  # touch
        save_in_place(path, osu_bytes(1))  # Ctrl+S with nothing changed
        saves = recorder.settle()
    assert len(saves) == 1


def test_maids_own_write_is_not_delivered_but_an_editor_save_over_it_is(mapset: Path, recorder: Recorder, tmp_path: Path) -> None:
    path = only_osu(mapset)
    writeback = WriteBack(tmp_path / "backups")
    with Watcher(recorder, options=FAST, is_own_write=writeback.is_own_write) as watcher:
        watcher.focus(mapset)
        save_in_place(path, osu_bytes(1))
        recorder.wait(1)
        edit = Edit(apply=lambda old: old + b"1500,500,4,2,0,60,1,0\r\n", region=Region(), provenance=Provenance(ai=False, task="test"))
        assert writeback.write(writeback.read(path), edit).changed
        time.sleep(0.6)
        assert len(recorder.saves) == 1  # maid's write is not a save
        save_in_place(path, osu_bytes(1))  # the editor, not reloaded, saves its content over maid's edit
        saves = recorder.settle()
    assert [s.data for s in saves] == [osu_bytes(1), osu_bytes(1)]


def test_a_save_just_after_maids_write_is_read_at_once(mapset: Path, recorder: Recorder, tmp_path: Path) -> None:
    """maid's write (the findings as bookmarks, right after a save) opens no debounce window for the next save."""
    path = only_osu(mapset)
    writeback = WriteBack(tmp_path / "backups")
    debounce = 1.5
    with Watcher(recorder, options=WatchOptions(debounce_s=debounce), is_own_write=writeback.is_own_write) as watcher:
        watcher.focus(mapset)
        save_in_place(path, osu_bytes(1))
        recorder.wait(1)
        time.sleep(debounce + 0.2)
        edit = Edit(apply=lambda old: old + b"1500,500,4,2,0,60,1,0\r\n", region=Region(), provenance=Provenance(ai=False, task="test"))
        assert writeback.write(writeback.read(path), edit).changed
        time.sleep(0.3)
        save_in_place(path, osu_bytes(2))
        saves = recorder.wait(2, timeout=debounce / 2)  # a debounce window would hold it back for `debounce`
    assert [s.data for s in saves] == [osu_bytes(1), osu_bytes(2)]


def test_temp_files_non_beatmaps_and_the_backup_folder_are_ignored(mapset: Path, recorder: Recorder, tmp_path: Path) -> None:
    backups = mapset / "maid-backups"
    backups.mkdir()
    path = only_osu(mapset)
    options = WatchOptions(debounce_s=0.15, ignored_folders=(backups,))
    with Watcher(recorder, options=options) as watcher:
        watcher.focus(mapset)
        watcher.focus(backups)  # even when told to watch it
        (mapset / "diff.osu.tmp").write_bytes(osu_bytes(1))
        (mapset / ".maid-0123456789ab-123-abcd.osu").write_bytes(osu_bytes(2))
        (mapset / "notes.txt").write_bytes(b"not a map")
        (mapset / "storyboard.osb").write_bytes(b"[Events]\r\n")
        (backups / "2026-01-01 00-00-00.000000_write__diff.osu").write_bytes(osu_bytes(3))
        (backups / "diff.osu").write_bytes(osu_bytes(4))
        time.sleep(0.6)
        assert recorder.saves == []
        save_in_place(path, osu_bytes(5))
        saves = recorder.settle()
    assert [s.data for s in saves] == [osu_bytes(5)]


def test_a_file_that_vanishes_before_the_read_is_retried_then_logged(
    mapset: Path, recorder: Recorder, caplog: pytest.LogCaptureFixture
) -> None:
    path = only_osu(mapset)
    options = WatchOptions(debounce_s=0.3, read_attempts=4, read_retry_s=0.1)
    with caplog.at_level(logging.WARNING, logger="daemon.watcher"), Watcher(recorder, options=options) as watcher:
        watcher.focus(mapset)
        save_in_place(path, osu_bytes(1))
        recorder.wait(1)
        save_in_place(path, osu_bytes(2))  # inside the quiet window: read when it ends...
        path.unlink()  # ...but the file is gone by then
        deadline = time.monotonic() + 10
        while not any(r.levelno == logging.WARNING for r in caplog.records) and time.monotonic() < deadline:
            time.sleep(0.05)
        path.write_bytes(osu_bytes(3))  # the watcher is still alive
        saves = recorder.settle()
    assert [s.data for s in saves] == [osu_bytes(1), osu_bytes(3)]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert str(path.resolve()) in warnings[0] and "after 4 attempts" in warnings[0] and "FileNotFoundError" in warnings[0]


def wait_until(condition, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)
    return condition()


def test_a_songs_folder_is_watched_only_at_the_active_and_recent_mapsets(tmp_path: Path, recorder: Recorder) -> None:
    songs = tmp_path / "Songs"
    folders = make_songs(songs, 60)
    options = WatchOptions(debounce_s=0.15, recent_mapsets=5)
    with Watcher(recorder, songs_dir=songs, options=options) as watcher:
        assert watcher.watched_folders == sorted(f.resolve() for f in folders[-5:])
        old = folders[3]
        save_in_place(only_osu(old), osu_bytes(900))  # not watched: the editor has not opened it
        time.sleep(0.4)
        assert recorder.saves == []

        watcher.focus(old)  # the editor opens it: watched from now on, and its unseen save is checked
        assert old.resolve() in watcher.watched_folders
        assert len(watcher.watched_folders) == 6
        assert [s.data for s in recorder.wait(1)] == [osu_bytes(900)]
        save_in_place(only_osu(old), osu_bytes(901))
        assert [s.data for s in recorder.wait(2)] == [osu_bytes(900), osu_bytes(901)]

        fresh = songs / "9999 new - mapset"  # a mapset created while watching
        fresh.mkdir()
        assert wait_until(lambda: fresh.resolve() in watcher.watched_folders)
        (fresh / "new.osu").write_bytes(osu_bytes(902))
        assert [s.data for s in recorder.wait(3)][-1] == osu_bytes(902)
        assert len(watcher.watched_folders) <= 6


def test_a_mapset_saved_in_place_while_unwatched_is_picked_up_by_the_rescan(tmp_path: Path, recorder: Recorder) -> None:
    songs = tmp_path / "Songs"
    folders = make_songs(songs, 60)
    old = folders[7]
    options = WatchOptions(debounce_s=0.15, recent_mapsets=5, rescan_s=0.3)
    with Watcher(recorder, songs_dir=songs, options=options) as watcher:
        assert old.resolve() not in watcher.watched_folders
        save_in_place(only_osu(old), osu_bytes(700))  # stable's save: the folder's own mtime does not change
        assert [s.data for s in recorder.wait(1)] == [osu_bytes(700)]  # the next rescan found and checked it
        assert old.resolve() in watcher.watched_folders
        save_in_place(only_osu(old), osu_bytes(701))
        assert [s.data for s in recorder.wait(2)] == [osu_bytes(700), osu_bytes(701)]
        assert len(watcher.watched_folders) <= 5


def test_recent_mapset_folders_are_the_newest_by_mtime(tmp_path: Path) -> None:
    folders = make_songs(tmp_path, 30)
    (tmp_path / "not a folder.txt").write_text("x")
    assert newest_folders(mapset_times(tmp_path), 4) == folders[::-1][:4]
    os.utime(only_osu(folders[2]))  # saved in place just now: the folder's own mtime did not change
    assert newest_folders(mapset_times(tmp_path), 4) == [folders[2]] + folders[::-1][:3]
    assert mapset_times(tmp_path / "missing") == {}


def test_watch_budget_stays_well_below_the_os_limit() -> None:
    assert watch_budget(32, limit=8192) == 32
    assert watch_budget(100_000, limit=8192) == 512
    assert watch_budget(0, limit=8192) == 1


def test_saves_are_handed_to_the_asyncio_loop(mapset: Path) -> None:
    async def main() -> tuple[SavedFile, threading.Thread]:
        loop = asyncio.get_running_loop()
        got: asyncio.Future[tuple[SavedFile, threading.Thread]] = loop.create_future()
        with Watcher(in_loop(loop, lambda saved: got.set_result((saved, threading.current_thread()))), options=FAST) as watcher:
            watcher.focus(mapset)
            save_atomic(only_osu(mapset), osu_bytes(42))
            return await asyncio.wait_for(got, 5)

    saved, thread = asyncio.run(main())
    assert saved.data == osu_bytes(42)
    assert thread is threading.main_thread()
