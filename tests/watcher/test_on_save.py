"""The daemon's wiring of auto-modding on save: real watcher, write-back, job queue; findings as notifications."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from daemon.automod import rule_checks, start_on_save
from daemon.jobs import JobQueue
from daemon.writeback import Edit, Provenance, Region, WriteBack
from engine.findings import Finding
from tests.watcher.conftest import eventually, make_songs, osu_bytes, save_in_place
from tests.watcher.test_automod import UNSNAPPED, with_object


async def next_publish(notes: list[tuple[str, dict[str, Any]]], count: int) -> dict[str, Any]:
    published = lambda: [params for method, params in notes if method == "findings/publish"]  # noqa: E731
    await eventually(lambda: len(published()) >= count, timeout=5)
    return published()[count - 1]


def test_saves_in_the_songs_folder_are_published_and_maids_own_writes_are_not(tmp_path: Path) -> None:
    songs = tmp_path / "Songs"
    make_songs(songs, 20)
    mapset = songs / "1 maid - Watch"
    mapset.mkdir()
    path = mapset / "maid - Watch (tester) [Normal].osu"
    path.write_bytes(osu_bytes(0))
    broken = with_object(osu_bytes(1), UNSNAPPED, after=0)

    async def main() -> tuple[list[tuple[str, dict[str, Any]]], dict[str, Any]]:
        notes: list[tuple[str, dict[str, Any]]] = []
        writeback = WriteBack(tmp_path / "backups")
        jobs = JobQueue(lambda method, params: notes.append((method, params)))
        on_save = await start_on_save(lambda method, params: notes.append((method, params)), songs_dir=songs,
                                      writeback=writeback, jobs=jobs)
        try:
            on_save.focus(mapset)
            save_in_place(path, broken)
            first = await next_publish(notes, 1)
            await asyncio.sleep(0.3)
            fix = Edit(apply=lambda old: osu_bytes(2), region=Region(), provenance=Provenance(ai=False, task="test"))
            await asyncio.get_running_loop().run_in_executor(None, writeback.write, writeback.read(path), fix)
            await asyncio.sleep(0.8)  # maid's own write: nothing is published for it
        finally:
            await on_save.stop()
            await jobs.close()
        return notes, first

    notes, first = asyncio.run(main())
    assert [method for method, _ in notes] == ["findings/publish"]
    assert first["file"] == str(path.resolve()) and first["source"] == "rules"
    assert [Finding.from_json(f) for f in first["findings"]] == rule_checks(path, broken)
    assert any(f["check"] == "timing.unsnapped-objects" and f["new"] for f in first["findings"])
