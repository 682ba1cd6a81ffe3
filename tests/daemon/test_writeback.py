"""The write-back protocol on real .osu files: backup, atomic replace, rebase, conflict, undo, journal."""

from __future__ import annotations

import dataclasses
import os
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from daemon.writeback import (
    BACKUP_TIME_FORMAT,
    DERIVED_KEPT,
    Edit,
    Region,
    Retention,
    WriteBack,
    WriteBackError,
    WriteConflict,
    sha256,
)

from tests.daemon.conftest import AI, hit_object_times, middle_range, nudge_objects


def user_save(path: Path, old: bytes, new: bytes) -> None:
    """The editor saving: an in-place rewrite with one change, like osu! stable does."""
    data = path.read_bytes()
    assert old in data
    path.write_bytes(data.replace(old, new, 1))


def test_write_backs_up_replaces_and_journals(mapset: list[Path], tmp_path: Path) -> None:
    path = mapset[0]
    wb = WriteBack(tmp_path / "backups")
    snap = wb.read(path)
    start, end = middle_range(snap.data)
    result = wb.write(snap, nudge_objects(start, end))

    assert result.changed and not result.rebased
    assert path.read_bytes() == nudge_objects(start, end).apply(snap.data) != snap.data
    assert result.backup is not None and result.backup.read_bytes() == snap.data
    assert result.sha256_before == snap.sha256 and result.sha256_after == sha256(path.read_bytes())
    assert wb.is_own_write(path, result.sha256_after) and not wb.is_own_write(path, snap.sha256)
    (entry,) = wb.journal()
    assert entry["file"] == str(path) and entry["backup"] == str(result.backup) and entry["job"] == "job-1"
    assert entry["provenance"] == {"ai": True, "task": "remap", "model": "OliBomby/Mapperatorinator-v30", "summary": "test edit"}
    assert entry["region"] == {"lines": None, "time_range": [start, end]}
    assert [b.path for b in wb.list_backups(path)] == [result.backup]
    assert wb.list_backups(mapset[1]) == []
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".tmp")]


def test_unchanged_result_writes_nothing(mapset: list[Path], tmp_path: Path) -> None:
    wb = WriteBack(tmp_path / "backups")
    snap = wb.read(mapset[0])
    result = wb.write(snap, Edit(lambda b: b, Region(), AI))
    assert not result.changed and result.backup is None and wb.journal() == []


def test_save_outside_the_region_rebases(mapset: list[Path], tmp_path: Path) -> None:
    path = mapset[0]
    wb = WriteBack(tmp_path / "backups")
    snap = wb.read(path)
    start, end = middle_range(snap.data)
    user_save(path, b"\nTitle:", b"\nTitle:Edited ")  # the mapper saves a metadata change meanwhile
    saved = path.read_bytes()

    result = wb.write(snap, nudge_objects(start, end))
    assert result.rebased
    assert path.read_bytes() == nudge_objects(start, end).apply(saved)
    assert b"\nTitle:Edited " in path.read_bytes()
    assert result.backup is not None and result.backup.read_bytes() == saved


def test_save_inside_the_region_conflicts_and_keeps_the_result(mapset: list[Path], tmp_path: Path) -> None:
    path = mapset[0]
    wb = WriteBack(tmp_path / "backups")
    snap = wb.read(path)
    start, end = middle_range(snap.data)
    body = snap.data.split(b"[HitObjects]", 1)[1]
    victim = next(line for line in body.splitlines() if line.count(b",") >= 4 and int(line.split(b",")[2]) == start)
    user_save(path, victim, b"1" + victim)  # the mapper moved an object inside the range
    saved = path.read_bytes()

    with pytest.raises(WriteConflict) as info:
        wb.write(snap, nudge_objects(start, end))
    assert path.read_bytes() == saved
    assert str(path) in str(info.value)
    assert info.value.pending is not None and info.value.pending.read_bytes() == nudge_objects(start, end).apply(snap.data)
    assert wb.list_backups(path) == [] and wb.journal() == []


def test_line_region_conflicts_when_lines_move(mapset: list[Path], tmp_path: Path) -> None:
    path = mapset[0]
    wb = WriteBack(tmp_path / "backups")
    snap = wb.read(path)
    lines = snap.data.splitlines(keepends=True)
    target = len(lines) - 5
    edit = Edit(lambda b: b"".join(lines[:target]) + b"// changed\r\n" + b"".join(lines[target + 1 :]), Region(lines=frozenset({target})), AI)
    user_save(path, b"[Metadata]", b"// a comment the mapper added\r\n[Metadata]")  # shifts every later line
    with pytest.raises(WriteConflict):
        wb.write(snap, edit)
    assert b"// a comment the mapper added" in path.read_bytes()


def test_whole_file_region_never_rebases(mapset: list[Path], tmp_path: Path) -> None:
    path = mapset[0]
    wb = WriteBack(tmp_path / "backups")
    snap = wb.read(path)
    user_save(path, b"\nTitle:", b"\nTitle:x")
    with pytest.raises(WriteConflict):
        wb.write(snap, Edit(lambda b: b + b"\r\n", Region(), AI))


def test_time_region_covers_objects_and_timing_in_effect(mapset: list[Path]) -> None:
    data = mapset[0].read_bytes()
    start, end = middle_range(data)
    content = Region(time_range=(start, end)).content(data)
    lines = data.splitlines()
    picked = {lines.index(line[2:]) for line in content.splitlines()}  # (the lines in range are distinct here)
    objects_at = lines.index(b"[HitObjects]") if b"[HitObjects]" in lines else lines.index(b"[HitObjects]\r")
    timing_at = next(i for i, line in enumerate(lines) if line.startswith(b"[TimingPoints]"))
    objects = [i for i in range(objects_at + 1, len(lines)) if lines[i].count(b",") >= 4]
    in_range = {i for i in objects if start <= int(lines[i].split(b",")[2]) <= end}
    before = max(i for i in objects if int(lines[i].split(b",")[2]) < start)
    assert in_range and in_range | {before} <= picked
    difficulty_at = next(i for i, line in enumerate(lines) if line.startswith(b"[Difficulty]"))
    difficulty = {i for i in picked if difficulty_at < i < timing_at and b"SliderMultiplier" in lines[i]}
    assert len(difficulty) == 1, "slider velocity is part of a time range"
    timing = picked - in_range - {before} - {i for i in picked if i < timing_at}
    assert timing and all(timing_at < i < objects_at for i in timing)
    assert any(lines[i].split(b",")[6] == b"1" and float(lines[i].split(b",")[0]) <= start for i in timing), "the red line in effect"


def test_undo_steps_back_and_backs_up_first(mapset: list[Path], tmp_path: Path) -> None:
    path = mapset[0]
    wb = WriteBack(tmp_path / "backups")
    v0 = path.read_bytes()
    start, end = middle_range(v0)
    wb.write(wb.read(path), nudge_objects(start, end))
    v1 = path.read_bytes()
    wb.write(wb.read(path), nudge_objects(start, end))
    v2 = path.read_bytes()
    assert len({v0, v1, v2}) == 3

    first = wb.undo(path)
    assert path.read_bytes() == v1 and first.backup is not None and first.backup.read_bytes() == v2
    wb.undo(path)
    assert path.read_bytes() == v0
    with pytest.raises(WriteBackError, match="nothing to undo"):
        wb.undo(path)
    kinds = [e["kind"] for e in wb.journal()]
    assert kinds == ["write", "write", "undo", "undo"]
    assert all(e["provenance"]["ai"] is False for e in wb.journal()[2:])


def test_restore_a_chosen_backup(mapset: list[Path], tmp_path: Path) -> None:
    path = mapset[1]
    wb = WriteBack(tmp_path / "backups")
    v0 = path.read_bytes()
    start, end = middle_range(v0)
    first = wb.write(wb.read(path), nudge_objects(start, end))
    wb.write(wb.read(path), nudge_objects(start, end))
    assert first.backup is not None
    result = wb.restore(path, first.backup)
    assert path.read_bytes() == v0 and result.backup is not None
    with pytest.raises(WriteBackError, match="is not a backup of"):
        wb.restore(path, mapset[2])


def test_retention_by_count_and_age(mapset: list[Path], tmp_path: Path) -> None:
    path = mapset[0]
    wb = WriteBack(tmp_path / "backups", Retention(count=3, days=1))
    start, end = middle_range(path.read_bytes())
    for _ in range(5):
        wb.write(wb.read(path), nudge_objects(start, end))
    backups = wb.list_backups(path)
    assert len(backups) == 3
    # Age: make the two older backups look 2 days old; the next write prunes them but keeps the newest.
    old = (datetime.now(timezone.utc) - timedelta(days=2)).strftime(BACKUP_TIME_FORMAT)
    for i, backup in enumerate(backups[1:]):
        backup.path.rename(backup.path.with_name(f"{old}-{i + 1}{backup.path.name[26:]}"))
    wb.write(wb.read(path), nudge_objects(start, end))
    assert [b.created > datetime.now(timezone.utc) - timedelta(hours=1) for b in wb.list_backups(path)] == [True, True]


def test_read_only_file_is_refused(mapset: list[Path], tmp_path: Path) -> None:
    path = mapset[0]
    os.chmod(path, 0o444)
    before = path.read_bytes()
    wb = WriteBack(tmp_path / "backups")
    with pytest.raises(WriteBackError, match="read-only") as info:
        wb.write(wb.read(path), nudge_objects(*middle_range(before)))
    assert str(path) in str(info.value) and path.read_bytes() == before and wb.list_backups(path) == []


def test_long_file_names_get_short_backup_names(mapset: list[Path], tmp_path: Path) -> None:
    path = mapset[0].rename(mapset[0].with_name("x" * 230 + ".osu"))
    wb = WriteBack(tmp_path / "backups")
    result = wb.write(wb.read(path), nudge_objects(*middle_range(path.read_bytes())))
    assert result.backup is not None and len(result.backup.name.encode()) <= 255
    assert [b.path for b in wb.list_backups(path)] == [result.backup]


def test_a_save_that_drops_maids_edit_is_detected_and_the_edit_reapplied(mapset: list[Path], tmp_path: Path) -> None:
    """The editor saves its in-memory map without reloading (Ctrl+S instead of Ctrl+L): maid's change is
    gone. maid notices and can write it again onto that save, keeping the mapper's other changes."""
    path = mapset[0]
    wb = WriteBack(tmp_path / "backups")
    before = path.read_bytes()
    edit = nudge_objects(*middle_range(before))
    written = wb.write(wb.read(path), edit)
    assert wb.dropped_edit(path, path.read_bytes()) is None  # our own content: nothing dropped

    editor_save = before.replace(b"\nTitle:", b"\nTitle:mapper ", 1)  # the editor's old state plus a new change
    path.write_bytes(editor_save)
    dropped = wb.dropped_edit(path, editor_save)
    assert dropped is not None and dropped.result.backup == written.backup and dropped.edit.provenance.ai

    again = wb.reapply(path)
    assert again.rebased and path.read_bytes() == edit.apply(editor_save)
    assert wb.dropped_edit(path, path.read_bytes()) is None

    assert wb.dropped_edit(path, edit.apply(before)) is None  # a save that kept maid's region is not a drop
    wb.undo(path)
    with pytest.raises(WriteBackError, match="nothing to re-apply"):
        wb.reapply(path)


def test_future_mtimes_and_undecodable_file_names(mapset: list[Path], tmp_path: Path) -> None:
    path = mapset[0]
    later = time.time() + 3600
    os.utime(path, (later, later))  # e.g. unpacked from an archive made on a machine with a fast clock
    wb = WriteBack(tmp_path / "backups")
    started = time.monotonic()
    wb.write(wb.read(path), nudge_objects(*middle_range(path.read_bytes())))
    assert time.monotonic() - started < 2.0, "a future mtime must not look like a save in progress"

    odd = path.with_name(os.fsdecode(b"odd \xff name.osu"))  # not UTF-8: Linux allows any bytes
    odd.write_bytes(mapset[1].read_bytes())
    os.utime(odd, (time.time() - 60, time.time() - 60))
    result = wb.write(wb.read(odd), nudge_objects(*middle_range(odd.read_bytes())))
    assert wb.journal()[-1]["file"] == str(odd) and [b.path for b in wb.list_backups(odd)] == [result.backup]


def engine_remap(start: int, end: int) -> Edit:
    """A remap-shaped edit through engine.osu: the objects in [start, end) replaced by circles at their times."""
    from engine.osu import Circle, parse_beatmap
    from engine.osu.edits import replace_hit_objects

    def apply(data: bytes) -> bytes:
        beatmap = parse_beatmap(data)
        generated = [Circle(x=256, y=192, time=o.time, type=1) for o in beatmap.hit_objects if start <= o.time < end]
        return replace_hit_objects(beatmap, start, end, generated).to_bytes()

    return Edit(apply, Region(time_range=(start, end)), AI, job="remap-1")


def test_engine_edit_rebases_over_objects_added_elsewhere_and_conflicts_inside(mapset: list[Path], tmp_path: Path) -> None:
    path = mapset[1]
    wb = WriteBack(tmp_path / "backups")
    original = path.read_bytes()
    times = hit_object_times(original)
    start, end = times[len(times) // 2], times[len(times) // 2 + 8]
    edit = engine_remap(start, end)
    assert edit.apply(original) != original

    snapshot = wb.read(path)
    first = next(line for line in original.split(b"[HitObjects]", 1)[1].splitlines() if line.count(b",") >= 4)
    added = b"100,100,%d,1,0,0:0:0:0:" % (times[0] + 1)  # the mapper adds a circle near the start: later lines shift
    user_save(path, first, first + b"\r\n" + added)
    saved = path.read_bytes()
    result = wb.write(snapshot, edit)
    assert result.rebased and path.read_bytes() == edit.apply(saved) and added in path.read_bytes()

    snapshot = wb.read(path)
    inside = next(line for line in path.read_bytes().split(b"[HitObjects]", 1)[1].splitlines() if line.count(b",") >= 4 and int(line.split(b",")[2]) == start)
    user_save(path, inside, b"1" + inside)  # the mapper moves an object inside the range
    with pytest.raises(WriteConflict):
        wb.write(snapshot, engine_remap(start, end))


def test_derived_writes_keep_their_own_few_backups_and_never_push_out_a_real_one(mapset: list[Path], tmp_path: Path) -> None:
    """A mapper saving all day with the findings mirrored as bookmarks: each save brings a derived write and
    its backup, yet the backup taken before maid's remap stays, and prune_all at start agrees."""
    path = mapset[0]
    wb = WriteBack(tmp_path / "backups", Retention(count=DERIVED_KEPT + 1, days=30))
    start, end = middle_range(path.read_bytes())
    remap = wb.write(wb.read(path), nudge_objects(start, end))
    bookmarks = dataclasses.replace(nudge_objects(start, end), derived=True)
    for _ in range(DERIVED_KEPT + 4):
        result = wb.write(wb.read(path), bookmarks)
        assert result.changed and result.journal["kind"] == "derived"
    backups = wb.list_backups(path)
    assert [b.code for b in backups] == ["derived"] * DERIVED_KEPT + ["write"]
    assert backups[-1].path == remap.backup and remap.backup.read_bytes()  # the copy before the remap is kept
    assert wb.prune_all() == 0
    for _ in range(DERIVED_KEPT + 1):  # real writes are counted apart from the derived ones
        wb.write(wb.read(path), nudge_objects(start, end))
    assert [b.code for b in wb.list_backups(path)].count("write") == DERIVED_KEPT + 1
    assert not remap.backup.exists()  # ... and pushed out by real writes only


def test_prune_all_applies_the_retention_to_deleted_maps_and_pending_edits(mapset: list[Path], tmp_path: Path) -> None:
    wb = WriteBack(tmp_path / "backups", Retention(count=2, days=1))
    path = mapset[0]
    start, end = middle_range(path.read_bytes())
    for _ in range(2):
        wb.write(wb.read(path), nudge_objects(start, end))
    snapshot = wb.read(path)
    user_save(path, b"\nTitle:", b"\nTitle:x")
    with pytest.raises(WriteConflict) as conflict:
        wb.write(snapshot, Edit(lambda b: b + b"\r\n", Region(), AI))
    path.unlink()  # the mapper deleted the difficulty; its backups stay until they expire
    old = (datetime.now(timezone.utc) - timedelta(days=2)).strftime(BACKUP_TIME_FORMAT)
    for i, copy in enumerate([b.path for b in wb.list_backups(path)] + [conflict.value.pending]):
        assert copy is not None
        copy.rename(copy.with_name(f"{old}-{i + 1}{copy.name[26:]}"))
    assert wb.prune_all() == 1  # the older backup; the newest copy of each file always stays
    assert len(wb.list_backups(path)) == 1 and len(list(wb.pending_root.rglob("*.osu"))) == 1


def test_the_journal_rotates(mapset: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import daemon.writeback

    monkeypatch.setattr(daemon.writeback, "JOURNAL_ROTATE_BYTES", 100)
    wb = WriteBack(tmp_path / "backups")
    path = mapset[0]
    start, end = middle_range(path.read_bytes())
    for _ in range(3):
        wb.write(wb.read(path), nudge_objects(start, end))
    rotated = sorted(wb.backup_root.glob("journal *.jsonl"))
    assert len(rotated) == 2 and len(wb.journal()) == 1
    assert all(len(r.read_text().splitlines()) == 1 for r in rotated)


def test_concurrent_jobs_on_one_file_are_serialised_and_none_is_lost(mapset: list[Path], tmp_path: Path) -> None:
    """Eight threads write to one file at once, each from a snapshot that others make stale: every write
    rebases onto the previous one (their time ranges differ), so all 40 edits are in the file."""
    import threading

    path = mapset[2]
    original = path.read_bytes()
    wb = WriteBack(tmp_path / "backups", Retention(count=1000, days=365))
    times = hit_object_times(original)
    ranges = [(times[i * 20], times[i * 20 + 5]) for i in range(8)]
    errors: list[BaseException] = []

    def worker(start: int, end: int) -> None:
        try:
            for _ in range(5):
                snapshot = wb.read(path)
                time.sleep(0.001)  # let the others write meanwhile
                wb.write(snapshot, nudge_objects(start, end))
        except BaseException as exc:  # noqa: BLE001  (reported below)
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=r) for r in ranges]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    expected = original
    for start, end in ranges:
        for _ in range(5):
            expected = nudge_objects(start, end).apply(expected)
    assert path.read_bytes() == expected
    assert len(wb.journal()) == 40


def test_a_symlinked_map_keeps_its_link(mapset: list[Path], tmp_path: Path) -> None:
    target = mapset[0]
    link = tmp_path / "elsewhere" / "linked.osu"
    link.parent.mkdir()
    link.symlink_to(target)
    wb = WriteBack(tmp_path / "backups")
    before = target.read_bytes()
    edit = nudge_objects(*middle_range(before))
    wb.write(wb.read(link), edit)
    assert link.is_symlink() and target.read_bytes() == edit.apply(before)
