"""MaiMod after a save with a real (tiny) checkpoint on the demo mapset: a background job, superseded by the next save."""

from __future__ import annotations

import asyncio
import hashlib
import shutil
from pathlib import Path

import pytest
import torch

from daemon.automod import AutoMod, maimod_runner
from daemon.jobs import CancelToken, JobContext
from daemon.watcher import SavedFile, WatchOptions, Watcher, in_loop
from engine.audio import load_audio
from engine.checkpoint import load_model
from engine.maimod import MaiModOptions, mai_mod
from engine.model import Mapperatorinator
from engine.osu import parse_beatmap
from tests.watcher.conftest import Notes, eventually, run_automod, save_in_place

torch.set_num_threads(1)
DEMO = Path(__file__).resolve().parents[2] / "engine" / "demo" / "mapset"
OPTIONS = MaiModOptions(threshold=5.0, batch_size=1)  # one window per forward pass: cancel is seen between windows


@pytest.fixture(scope="module")
def v30(golden_dir: Path) -> Mapperatorinator:
    return load_model(golden_dir / "tiny-v30")


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    return Path(shutil.copytree(DEMO, tmp_path / "Songs" / "1 maid - Demo Song"))


def moved(data: bytes, revision: int) -> bytes:
    """The map with its first hit object moved `revision` pixels right (a new save's content)."""
    head, objects = data.split(b"[HitObjects]")
    lines = objects.split(b"\n")
    x, rest = lines[1].split(b",", 1)
    lines[1] = b"%d," % (int(x) + revision) + rest
    return head + b"[HitObjects]" + b"\n".join(lines)


def test_a_save_gets_maimod_findings_and_a_newer_save_supersedes_the_running_job(demo: Path, v30: Mapperatorinator) -> None:
    path = demo / "maid - Demo Song (maid) [Normal].osu"
    first, second = moved(path.read_bytes(), 3), moved(path.read_bytes(), 7)

    async def scenario(automod: AutoMod, notes: Notes) -> None:
        with Watcher(in_loop(asyncio.get_running_loop(), automod.submit), options=WatchOptions(debounce_s=0.15)) as watcher:
            watcher.focus(demo)
            save_in_place(path, first)
            await eventually(lambda: any(method == "job/progress" for method, _ in notes))  # MaiMod on it runs
            save_in_place(path, second)
            await eventually(lambda: len([m for m, _ in notes if m == "job/done"]) == 2)

    published, notes = run_automod(maimod_runner(lambda: v30, OPTIONS), scenario)
    assert [r.source for r in published] == ["rules", "rules", "maimod"]
    report = published[2]
    assert report.sha256 == hashlib.sha256(second).hexdigest()
    expected = mai_mod(v30, parse_beatmap(second, str(path.resolve())), load_audio(demo / "audio.ogg"), OPTIONS)
    assert expected and list(report.findings) == expected
    assert all(f.source == "maimod" for f in report.findings) and report.new == report.findings
    done = [(p["kind"], p["state"]) for method, p in notes if method == "job/done"]
    assert done == [("maimod", "superseded"), ("maimod", "done")]


def test_no_model_or_a_mode_the_model_does_not_know_gives_no_maimod_findings(demo: Path, v30: Mapperatorinator) -> None:
    taiko = demo / "maid - Demo Song (maid) [Futsuu].osu"
    data = taiko.read_bytes()
    saved = SavedFile(taiko, data, hashlib.sha256(data).hexdigest(), 0.0)
    ctx = JobContext(CancelToken(), lambda fraction, message: None)
    assert maimod_runner(lambda: v30)(saved, ctx) == []  # tiny-v30 knows osu!standard only
    assert maimod_runner(lambda: None)(saved, ctx) == []


def test_a_missing_song_is_named(demo: Path, v30: Mapperatorinator) -> None:
    path = demo / "maid - Demo Song (maid) [Normal].osu"
    (demo / "audio.ogg").unlink()
    data = path.read_bytes()
    saved = SavedFile(path, data, hashlib.sha256(data).hexdigest(), 0.0)
    with pytest.raises(ValueError, match="audio.ogg cannot be read; MaiMod needs it"):
        maimod_runner(lambda: v30)(saved, JobContext(CancelToken(), lambda fraction, message: None))
