"""Fixtures for the watcher tests: a recorder of delivered saves, the ways editors save a file, a Songs folder."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any
from pathlib import Path

import pytest

from daemon.automod import AutoMod, FindingsReport, MaiMod
from daemon.jobs import JobQueue
from daemon.watcher import SavedFile


def osu_bytes(revision: int, objects: int = 8) -> bytes:
    """A small osu!standard beatmap (CRLF, as stable writes); `revision` moves its objects so each save differs."""
    head = (
        "osu file format v14\r\n\r\n[General]\r\nAudioFilename: audio.mp3\r\nMode: 0\r\n\r\n"
        "[Metadata]\r\nTitle:Watch\r\nArtist:maid\r\nCreator:tester\r\nVersion:Normal\r\n\r\n"
        "[Difficulty]\r\nHPDrainRate:5\r\nCircleSize:4\r\nOverallDifficulty:5\r\nApproachRate:5\r\n"
        "SliderMultiplier:1.4\r\nSliderTickRate:1\r\n\r\n[TimingPoints]\r\n1000,500,4,2,0,60,1,0\r\n\r\n[HitObjects]\r\n"
    )
    lines = [f"{64 + (i * 37 + revision) % 384},{96 + (i * 53) % 256},{1000 + i * 250},1,0,0:0:0:0:" for i in range(objects)]
    return (head + "\r\n".join(lines) + "\r\n").encode()


def save_in_place(path: Path, data: bytes) -> None:
    """osu!stable's save: open the existing file, truncate, write, close."""
    with open(path, "r+b") as f:
        f.truncate(0)
        f.write(data)


def save_atomic(path: Path, data: bytes) -> None:
    """Write a temp file next to it, then os.replace it over the original."""
    tmp = path.with_name(path.name + ".save.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def save_recreate(path: Path, data: bytes) -> None:
    """Delete the file, then create it again."""
    path.unlink()
    path.write_bytes(data)


class Recorder:
    """Collects delivered saves from the watcher thread; `wait` blocks until `count` arrived."""

    def __init__(self) -> None:
        self.saves: list[SavedFile] = []
        self._cond = threading.Condition()

    def __call__(self, saved: SavedFile) -> None:
        with self._cond:
            self.saves.append(saved)
            self._cond.notify_all()

    def wait(self, count: int, timeout: float = 5.0) -> list[SavedFile]:
        with self._cond:
            self._cond.wait_for(lambda: len(self.saves) >= count, timeout)
            return list(self.saves)

    def settle(self, quiet: float = 0.6) -> list[SavedFile]:
        """Wait until nothing new arrived for `quiet` seconds; the saves so far."""
        seen = -1
        while seen != len(self.saves):
            seen = len(self.saves)
            time.sleep(quiet)
        return list(self.saves)


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def mapset(tmp_path: Path) -> Path:
    """A mapset folder with one difficulty already saved once."""
    folder = tmp_path / "Songs" / "1 maid - Watch"
    folder.mkdir(parents=True)
    (folder / "maid - Watch (tester) [Normal].osu").write_bytes(osu_bytes(0))
    return folder


def make_songs(root: Path, count: int) -> list[Path]:
    """`count` mapset folders with one .osu each; folder i and its .osu were modified i seconds after the first."""
    folders = []
    base = time.time() - 10 * count
    for i in range(count):
        folder = root / f"{1000 + i} artist - title {i}"
        folder.mkdir(parents=True)
        beatmap = folder / f"diff {i}.osu"
        beatmap.write_bytes(osu_bytes(i, objects=2))
        os.utime(beatmap, (base + i, base + i))
        os.utime(folder, (base + i, base + i))
        folders.append(folder)
    return folders


async def eventually(condition: Callable[[], object], timeout: float = 60.0) -> None:
    """Wait on the event loop until `condition()` holds; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"still not true after {timeout} s"
        await asyncio.sleep(0.02)


Notes = list[tuple[str, dict[str, Any]]]


def run_automod(maimod: MaiMod | None, scenario: Callable[[AutoMod, Notes], Awaitable[None]],
                settle: float = 0.0) -> tuple[list[FindingsReport], Notes]:
    """Run `scenario` on an event loop with an AutoMod on a real job queue; with `maimod`, wait for its first
    report, then `settle` seconds more. Returns the published reports and the queue's notifications."""

    async def main() -> tuple[list[FindingsReport], Notes]:
        published: list[FindingsReport] = []
        notes: Notes = []
        jobs = JobQueue(lambda method, params: notes.append((method, params)))
        automod = AutoMod(published.append, jobs=jobs, maimod=maimod, device="cpu")
        try:
            await scenario(automod, notes)
            if maimod is not None:
                await eventually(lambda: any(r.source == "maimod" for r in published))
                await asyncio.sleep(settle)
        finally:
            await jobs.close()
            automod.close()
        return published, notes

    return asyncio.run(main())
