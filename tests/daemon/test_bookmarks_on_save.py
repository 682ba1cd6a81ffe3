"""`bookmark_findings`: the daemon mirrors each save's rule findings into the saved file's editor bookmarks.

Driven like a mapper drives it: real corpus maps in a Songs folder, the real daemon (watcher, rule checks,
write-back) and a websocket client; the editor's saves are in-place writes of what osu! would write (with
or without maid's bookmarks, depending on whether the mapper reloaded). Switched off while the daemon is
not running, the daemon's next start takes the mirror's bookmarks out as switching off live does.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import stat
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from daemon.app import user_writeback
from daemon.automod import rule_checks
from daemon.bookmarks import MIRROR_JOB, SIDECAR_NAME, BookmarkMirror, BookmarkStore
from daemon.cli import app
from daemon.config import load_settings, user_paths
from daemon.writeback import Snapshot, WriteBack, sha256
from engine.bookmarks import finding_times, format_bookmarks, parse_bookmarks
from engine.osu import parse_beatmap, set_value
from tests.daemon.conftest import AI, middle_range, nudge_objects
from tests.daemon.test_api import Rpc, client, running


def with_bookmarks(data: bytes, times: set[int]) -> bytes:
    """`data` as the editor writes it with exactly these bookmarks."""
    return set_value(parse_beatmap(data), "Editor", "Bookmarks", format_bookmarks(times)).to_bytes()


def bookmarks(path: Path) -> list[int]:
    return parse_bookmarks(parse_beatmap(path.read_bytes()).value("Editor", "Bookmarks"))


def editor_saves(path: Path, data: bytes) -> None:
    """osu!stable's save: truncate the open file and write the map from memory."""
    with open(path, "r+b") as f:
        f.truncate(0)
        f.write(data)


async def next_notification(rpc: Rpc, method: str, timeout: float = 20.0) -> dict[str, Any]:
    """The next notification `method` not taken yet (taken out of `rpc.notifications`, with those before it)."""
    deadline = time.monotonic() + timeout
    while True:
        for i, note in enumerate(rpc.notifications):
            if note["method"] == method:
                del rpc.notifications[: i + 1]
                return note["params"]
        assert time.monotonic() < deadline, f"no {method} within {timeout} s; got {[n['method'] for n in rpc.notifications]}"
        try:
            rpc.notifications.append(json.loads(await asyncio.wait_for(rpc.ws.recv(), 0.2)))
        except TimeoutError:
            continue


async def quiet(rpc: Rpc, seconds: float) -> list[str]:
    """The notifications that arrive within `seconds` (taken out)."""
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        try:
            rpc.notifications.append(json.loads(await asyncio.wait_for(rpc.ws.recv(), left)))
        except TimeoutError:
            break
    methods = [n["method"] for n in rpc.notifications]
    rpc.notifications.clear()
    return methods


async def eventually(condition: Any, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"still not true after {timeout} s"
        await asyncio.sleep(0.05)


def test_findings_become_bookmarks_on_every_save_and_off_gives_the_mappers_back(maid_home: Path, mapset: list[Path]) -> None:
    path = mapset[0]  # a corpus map with the mapper's own bookmarks
    original = path.read_bytes()
    own = set(bookmarks(path))
    assert own, "the first standard corpus map has bookmarks of its own"
    found = set(finding_times(rule_checks(path, original)))
    maids = found - own
    assert maids
    mapper_added = next(t for t in range(1000, 10**6, 7) if t not in found | own)
    store = BookmarkStore(user_paths().data_dir / SIDECAR_NAME)

    async def main() -> None:
        async with running({"songs_folder": path.parent.parent}) as daemon, client(daemon) as rpc:
            wb = daemon.services.writeback
            switched = await rpc.result("config/set", {"key": "bookmark_findings", "value": True})
            assert switched["value"] is True and switched["restartRequired"] is False
            assert (await rpc.result("config/get"))["values"]["bookmark_findings"] is True
            assert "bookmark_findings = true" in daemon.services.paths.config_file.read_text()

            # The mapper saves: findings are published first, then written into the bookmarks.
            await asyncio.to_thread(editor_saves, path, original)
            published = await next_notification(rpc, "findings/publish")
            written = await next_notification(rpc, "file/written")
            assert published["file"] == str(path) and written["path"] == str(path) and written["job"] == MIRROR_JOB
            assert set(bookmarks(path)) == own | maids and len(bookmarks(path)) == len(own | maids)
            assert Path(written["backup"]).read_bytes() == original
            entry = wb.journal()[-1]
            assert entry["job"] == MIRROR_JOB and entry["provenance"]["task"] == "bookmarks" and not entry["provenance"]["ai"]
            assert entry["sha256_before"] == sha256(original) and entry["sha256_after"] == sha256(path.read_bytes())
            maids_write = path.read_bytes()
            assert await quiet(rpc, 1.0) == [], "maid's own write was checked again"

            # Ctrl+S again without reloading: the editor writes its bookmarks, not maid's. No dropped-edit
            # warning; the findings are mirrored again.
            await asyncio.to_thread(editor_saves, path, original)
            await rpc.notification("file/written")
            assert await quiet(rpc, 1.0) == ["findings/publish", "file/written"]
            assert path.read_bytes() == maids_write

            # The mapper reloads (the editor now holds maid's bookmarks), adds one and saves: maid's come back
            # through the save, are recognised as maid's, and the mapper's new one is theirs.
            reloaded = with_bookmarks(maids_write, own | maids | {mapper_added})
            await asyncio.to_thread(editor_saves, path, reloaded)
            await next_notification(rpc, "findings/publish")
            await eventually(lambda: (s := store.get(path)) is not None and s.original == format_bookmarks(own | {mapper_added}))
            assert set(store.get(path).added) == maids  # type: ignore[union-attr]
            assert path.read_bytes() == reloaded  # already right: nothing written
            assert await quiet(rpc, 1.0) == []

            # A save from an editor that never saw maid's bookmarks, with the mapper's new one: re-applied.
            mappers_save = with_bookmarks(original, own | {mapper_added})
            await asyncio.to_thread(editor_saves, path, mappers_save)
            await next_notification(rpc, "findings/publish")
            await next_notification(rpc, "file/written")
            assert set(bookmarks(path)) == own | maids | {mapper_added}

            # Switched off: maid's bookmarks come out; the file is the mapper's save again, byte for byte.
            await rpc.result("config/set", {"key": "bookmark_findings", "value": False})
            cleared = await next_notification(rpc, "file/written")
            assert cleared["path"] == str(path) and path.read_bytes() == mappers_save
            assert store.get(path) is None and wb.journal()[-1]["provenance"]["summary"] == "maid's bookmarks removed"

            # Off: the next save is checked and left alone.
            await asyncio.to_thread(editor_saves, path, original)
            await next_notification(rpc, "findings/publish")
            assert "file/written" not in await quiet(rpc, 1.0) and path.read_bytes() == original

    asyncio.run(main())


def test_off_by_default_a_save_is_checked_and_the_file_left_untouched(maid_home: Path, mapset: list[Path]) -> None:
    path = mapset[1]
    saved = path.read_bytes().replace(b"\nTitle:", b"\nTitle:saved ", 1)

    async def main() -> None:
        async with running({"songs_folder": path.parent.parent}) as daemon, client(daemon) as rpc:
            assert daemon.services.settings.bookmark_findings is False
            await asyncio.to_thread(editor_saves, path, saved)
            assert (await next_notification(rpc, "findings/publish"))["findings"]
            assert await quiet(rpc, 1.5) == []
            assert path.read_bytes() == saved
            assert daemon.services.writeback.journal() == [] and not (user_paths().data_dir / SIDECAR_NAME).exists()

    asyncio.run(main())


def test_a_read_only_map_is_reported_and_left_intact(maid_home: Path, mapset: list[Path]) -> None:
    path = mapset[2]
    saved = path.read_bytes().replace(b"\nTitle:", b"\nTitle:saved ", 1)

    def save_read_only() -> None:
        editor_saves(path, saved)
        os.chmod(path, stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)

    async def main() -> None:
        async with running({"songs_folder": path.parent.parent, "bookmark_findings": True}) as daemon, client(daemon) as rpc:
            try:
                await asyncio.to_thread(save_read_only)
                await next_notification(rpc, "findings/publish")
                failed = await next_notification(rpc, "editor/action")
            finally:
                os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)
            assert failed["action"] == "bookmark_findings" and failed["ok"] is False
            assert str(path) in failed["message"] and "read-only" in failed["message"]
            assert path.read_bytes() == saved and daemon.services.writeback.list_backups(path) == []
            assert (await rpc.result("status"))["pid"] == os.getpid()  # still serving

            await asyncio.to_thread(editor_saves, path, saved.replace(b"\nTitle:saved ", b"\nTitle:again ", 1))  # writable again
            await next_notification(rpc, "findings/publish")
            assert (await next_notification(rpc, "file/written"))["path"] == str(path)

    asyncio.run(main())


def test_a_write_for_a_save_that_was_saved_over_is_dropped(tmp_path: Path, mapset: list[Path]) -> None:
    path = mapset[0]
    checked = path.read_bytes()
    wb = WriteBack(tmp_path / "backups")
    mirror = BookmarkMirror(wb, BookmarkStore(tmp_path / SIDECAR_NAME))
    newer = checked.replace(b"\nTitle:", b"\nTitle:newer ", 1)
    path.write_bytes(newer)  # the mapper saved again while the first save was being checked
    os.utime(path, (time.time() - 1, time.time() - 1))
    written = mirror.mirror(Snapshot(path, checked, sha256(checked)), rule_checks(path, checked))
    assert written.result is None and written.error is None
    assert path.read_bytes() == newer and wb.journal() == [] and not (tmp_path / "backups").exists()


def test_a_bookmark_write_does_not_hide_maids_last_edit_from_dropped_edit_and_reapply(tmp_path: Path, mapset: list[Path]) -> None:
    path = mapset[1]
    before = path.read_bytes()
    wb = WriteBack(tmp_path / "backups")
    mirror = BookmarkMirror(wb, BookmarkStore(tmp_path / SIDECAR_NAME))
    edit = nudge_objects(*middle_range(before))
    wb.write(wb.read(path), edit)  # a remap, say; the mapper does not reload
    path.write_bytes(before)  # the editor's save drops it
    os.utime(path, (time.time() - 1, time.time() - 1))
    dropped = wb.dropped_edit(path, before)
    assert dropped is not None and dropped.edit.provenance == AI
    assert mirror.mirror(wb.read(path), rule_checks(path, before)).result.changed  # type: ignore[union-attr]
    assert wb.dropped_edit(path, before) is dropped  # the bookmark write is no edit of its own to re-apply
    with_bookmarks_now = path.read_bytes()
    result = wb.reapply(path)
    assert result.rebased and path.read_bytes() == edit.apply(with_bookmarks_now)


def test_an_unreadable_bookmark_record_is_reported_and_the_map_left_alone(tmp_path: Path, mapset: list[Path]) -> None:
    path = mapset[0]
    data = path.read_bytes()
    sidecar = tmp_path / SIDECAR_NAME
    sidecar.write_text("{not json", encoding="utf-8")
    wb = WriteBack(tmp_path / "backups")
    written = BookmarkMirror(wb, BookmarkStore(sidecar)).mirror(Snapshot(path, data, sha256(data)), rule_checks(path, data))
    assert written.result is None and str(sidecar) in (written.error or "") and "move it away" in (written.error or "")
    assert path.read_bytes() == data and wb.journal() == []


def test_switched_off_while_the_daemon_was_not_running_its_next_start_takes_maids_bookmarks_out(
        maid_home: Path, mapset: list[Path], caplog: pytest.LogCaptureFixture) -> None:
    mirrored, edited_since, asked_for = mapset  # the mirror's two, and one the mapper bookmarked with `maid bookmarks`
    saves = {path: path.read_bytes() for path in (mirrored, edited_since)}
    own = set(bookmarks(edited_since))
    mapper_added = next(t for t in range(1000, 10**6, 7) if t not in set(finding_times(rule_checks(edited_since, saves[edited_since]))) | own)
    store = BookmarkStore(user_paths().data_dir / SIDECAR_NAME)

    async def mirror_two_saves() -> None:
        async with running({"songs_folder": mirrored.parent.parent}) as daemon, client(daemon) as rpc:
            await rpc.result("config/set", {"key": "bookmark_findings", "value": True})
            for path in (mirrored, edited_since):
                await asyncio.to_thread(editor_saves, path, saves[path])
                assert (await next_notification(rpc, "file/written"))["path"] == str(path)

    asyncio.run(mirror_two_saves())
    with_maids = {path: path.read_bytes() for path in (mirrored, edited_since)}
    assert all(with_maids[path] != saves[path] for path in with_maids)
    assert CliRunner().invoke(app, ["bookmarks", str(asked_for)]).exit_code == 0
    asked_for_bytes = asked_for.read_bytes()
    assert store.get(asked_for) is not None

    # The daemon is not running: the mapper turns the setting off by hand, and in the editor (maid's bookmarks
    # reloaded) renames the difficulty, adds a bookmark of their own and saves.
    config = user_paths().config_file
    config.write_text(config.read_text(encoding="utf-8").replace("bookmark_findings = true", "bookmark_findings = false"), encoding="utf-8")
    mapper_save = with_bookmarks(with_maids[edited_since].replace(b"\nVersion:", b"\nVersion:renamed ", 1),
                                 set(bookmarks(edited_since)) | {mapper_added})
    editor_saves(edited_since, mapper_save)

    async def start_again() -> None:
        with caplog.at_level(logging.INFO):
            async with running({"songs_folder": mirrored.parent.parent}) as daemon, client(daemon) as rpc:
                assert daemon.services.settings.bookmark_findings is False
                wb = daemon.services.writeback
                # Done by the time the daemon serves: the mapper's bytes back exactly; the file edited since keeps
                # the mapper's edit and their new bookmark, without maid's.
                assert mirrored.read_bytes() == saves[mirrored]
                assert edited_since.read_bytes() == with_bookmarks(mapper_save, own | {mapper_added})
                assert b"Version:renamed " in edited_since.read_bytes()
                # Derived writes of the mirror's job, each with a backup of what it replaced.
                cleared = [e for e in wb.journal() if e["provenance"]["summary"] == "maid's bookmarks removed"]  # type: ignore[index]
                assert {e["file"] for e in cleared} == {str(mirrored), str(edited_since)} and {e["job"] for e in cleared} == {MIRROR_JOB}
                assert {Path(str(e["backup"])).read_bytes() for e in cleared} == {with_maids[mirrored], mapper_save}
                # What the mapper asked for by hand stays, and so does its record.
                assert asked_for.read_bytes() == asked_for_bytes and store.paths(MIRROR_JOB) == []
                assert store.get(asked_for) is not None and store.get(mirrored) is None and store.get(edited_since) is None
                assert (await rpc.result("status"))["pid"] == os.getpid()
        assert any("maid's bookmarks taken out of 2 files" in r.getMessage() for r in caplog.records)

    asyncio.run(start_again())


def test_a_map_that_cannot_be_written_at_start_is_reported_and_tried_again_at_the_next(
        maid_home: Path, mapset: list[Path], caplog: pytest.LogCaptureFixture) -> None:
    path = mapset[0]
    save = path.read_bytes()
    paths = user_paths()
    store = BookmarkStore(paths.data_dir / SIDECAR_NAME)
    mirror = BookmarkMirror(user_writeback(paths, load_settings(paths)), store)  # the daemon's mirror, run while it was on
    assert mirror.mirror(Snapshot(path, save, sha256(save)), rule_checks(path, save)).result.changed  # type: ignore[union-attr]
    with_maids = path.read_bytes()
    os.chmod(path, stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)

    async def start(then_check: Any) -> None:
        async with running({"songs_folder": path.parent.parent}) as daemon, client(daemon) as rpc:
            then_check(daemon)
            assert (await rpc.result("status"))["pid"] == os.getpid()  # serving either way

    def left_alone(daemon: Any) -> None:
        assert path.read_bytes() == with_maids and store.paths(MIRROR_JOB) == [path]

    try:
        with caplog.at_level(logging.INFO):
            asyncio.run(start(left_alone))
    finally:
        os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING and path.name in r.getMessage()]
    assert warnings and "read-only" in warnings[0]
    assert any("1 could not be" in r.getMessage() and "next start tries again" in r.getMessage() for r in caplog.records)

    asyncio.run(start(lambda daemon: None))
    assert path.read_bytes() == save and store.paths(MIRROR_JOB) == []


def test_a_record_from_before_jobs_were_recorded_counts_as_the_mirrors(maid_home: Path, mapset: list[Path]) -> None:
    path = mapset[1]
    save = path.read_bytes()
    paths = user_paths()
    sidecar = paths.data_dir / SIDECAR_NAME
    mirror = BookmarkMirror(user_writeback(paths, load_settings(paths)), BookmarkStore(sidecar))
    assert mirror.mirror(Snapshot(path, save, sha256(save)), rule_checks(path, save)).result.changed  # type: ignore[union-attr]
    record = json.loads(sidecar.read_text(encoding="utf-8"))
    assert record[str(path)].pop("job") == MIRROR_JOB
    sidecar.write_text(json.dumps(record), encoding="utf-8")  # as maid wrote it before it named the job

    async def start() -> None:
        async with running({"songs_folder": path.parent.parent}):
            assert path.read_bytes() == save and json.loads(sidecar.read_text(encoding="utf-8")) == {}

    asyncio.run(start())
