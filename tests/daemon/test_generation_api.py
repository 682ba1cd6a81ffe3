"""The model methods over a real websocket with the tiny v30 checkpoint of the golden fixtures, on a copy of
the demo mapset: hitsound and remap through write-back, MaiMod findings, timing and guest difficulties as new
files, the job queue's priorities, cancel, supersede and progress order, and a model that is not installed."""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
import torch

from daemon.api.methods import MODEL_METHODS
from daemon.api.models import ErrorCode
from daemon.app import Daemon
from daemon.jobs import JobSpec
from daemon.writeback import Provenance, WriteBack, sha256
from engine.demo import demo_mapset_folder
from engine.osu import parse_beatmap
from tests.daemon.test_api import Rpc, blocking_job, client, running

torch.set_num_threads(1)
NORMAL = "maid - Demo Song (maid) [Normal].osu"
QUICK = {"seed": 1, "maxNewTokens": 32}


@pytest.fixture
def songs(tmp_path: Path) -> Path:
    folder = tmp_path / "Songs"
    shutil.copytree(demo_mapset_folder(), folder / "1 maid - Demo Song")
    return folder


@asynccontextmanager
async def tiny_daemon(songs: Path, golden_dir: Path) -> AsyncIterator[tuple[Daemon, Rpc]]:
    settings = {"model_source": str(golden_dir / "tiny-v30"), "device": "cpu", "songs_folder": songs}
    async with running(settings) as daemon, client(daemon) as rpc:
        yield daemon, rpc


def of(rpc: Rpc, method: str, job: str | None = None) -> list[dict[str, Any]]:
    return [n["params"] for n in rpc.notifications if n["method"] == method and (job is None or n["params"].get("id") == job)]


async def replies_to(rpc: Rpc, ids: range) -> dict[int, dict[str, Any]]:
    """The replies to requests `ids`, in whatever order they come; notifications are kept on the side."""
    replies: dict[int, dict[str, Any]] = {}
    while len(replies) < len(ids):
        message = json.loads(await asyncio.wait_for(rpc.ws.recv(), 30))
        if "id" not in message:
            rpc.notifications.append(message)
        elif message["id"] in ids:
            replies[message["id"]] = message
    return replies


def assert_progress_in_order(rpc: Rpc, job: str) -> None:
    """job/progress of `job`: seq 1, 2, 3, ... with progress never going back, all before its job/done."""
    frames = [n for n in rpc.notifications if n["method"] in ("job/progress", "job/done") and n["params"]["id"] == job]
    progress = [f["params"] for f in frames if f["method"] == "job/progress"]
    assert progress, "no progress was reported"
    assert [p["seq"] for p in progress] == list(range(1, len(progress) + 1))
    assert all(a["progress"] <= b["progress"] for a, b in zip(progress, progress[1:]))
    assert frames[-1]["method"] == "job/done" and sum(f["method"] == "job/done" for f in frames) == 1


def test_hitsound_writes_through_write_back_with_ai_provenance(maid_home: Path, songs: Path, golden_dir: Path) -> None:
    path = songs / "1 maid - Demo Song" / NORMAL
    before = path.read_bytes()

    async def main() -> None:
        async with tiny_daemon(songs, golden_dir) as (daemon, rpc):
            result = await rpc.result("hitsound", {"path": str(path), "startMs": 0, "endMs": 12000, "options": {"seed": 4}})
            assert result["state"] == "done" and result["objects"] > 0
            written = result["written"]
            assert written["changed"] and written["sha256Before"] == sha256(before) and written["sha256After"] == sha256(path.read_bytes())
            assert Path(written["backup"]).read_bytes() == before
            announced = await rpc.notification("file/written")
            assert announced["params"]["path"] == str(path) and announced["params"]["ai"] is True
            assert_progress_in_order(rpc, result["jobId"])
            entry = daemon.services.writeback.journal()[-1]
            assert entry["provenance"]["ai"] is True and entry["provenance"]["task"] == "hitsound"
            assert entry["provenance"]["model"] == str(golden_dir / "tiny-v30") and entry["job"] == result["jobId"]
            status = (await rpc.result("status"))["model"]
            assert status["loaded"] and status["warmupS"] >= 0 and status["device"] == "cpu" and status["memoryBytes"] > 0

    asyncio.run(main())
    after = path.read_bytes()
    old, new = before.splitlines(), after.splitlines()
    assert len(old) == len(new)  # hitsound fields patched in place: no line added or removed
    changed = [i for i, (a, b) in enumerate(zip(old, new)) if a != b]
    document = parse_beatmap(after, str(path))
    object_lines = {o.line: o for o in document.hit_objects}
    assert changed and all(i in object_lines and object_lines[i].time <= 12000 for i in changed)


def test_remap_range_and_timestamp_validation(maid_home: Path, songs: Path, golden_dir: Path) -> None:
    path = songs / "1 maid - Demo Song" / NORMAL
    before = path.read_bytes()

    async def main() -> None:
        async with tiny_daemon(songs, golden_dir) as (daemon, rpc):
            bad = (await rpc.call("remap", {"path": str(path), "startMs": 5000, "endMs": 1000}))["error"]
            assert bad["code"] == ErrorCode.INVALID_PARAMS and bad["message"].endswith("params: endMs 1000 must come after startMs 5000")
            bad = (await rpc.call("remap", {"path": str(path), "startMs": 0, "endMs": 1, "options": {"temperature": 0, "lookback": 2}}))["error"]
            assert {d["field"] for d in bad["data"]} == {"options.temperature", "options.lookback"}
            assert "use do_sample=False for greedy" in bad["message"]
            bad = (await rpc.call("remap", {"path": str(path), "timestamp": "00:01:300 (99,100) - "}))["error"]
            assert bad["code"] == ErrorCode.INVALID_PARAMS and bad["message"].startswith("invalid params: timestamp:")
            # The tiny checkpoint places nothing in the range: nothing is written, and the result says so.
            result = await rpc.result("remap", {"path": str(path), "timestamp": "00:01:300 (2,3) - ", "options": QUICK})
            assert result["state"] == "done" and result["objects"] == 0 and result["written"] is None
            assert any("no objects" in note for note in result["notes"])
            job = next(j for j in (await rpc.result("jobs/list"))["jobs"] if j["id"] == result["jobId"])
            assert job["kind"] == "remap" and job["title"].endswith("00:01:300-00:01:700")  # combo 2 and 3: the circles at 1300 and 1700 ms
            assert not of(rpc, "file/written")

    asyncio.run(main())
    assert path.read_bytes() == before


def test_timing_writes_a_new_file_and_guest_difficulty_never_overwrites(maid_home: Path, songs: Path, golden_dir: Path) -> None:
    mapset = songs / "1 maid - Demo Song"
    names = sorted(p.name for p in mapset.iterdir())

    async def main() -> None:
        async with tiny_daemon(songs, golden_dir) as (daemon, rpc):
            result = await rpc.result("timing", {"audioPath": str(mapset / "audio.ogg"), "write": True, "options": QUICK})
            assert result["lines"] and all(line["bpm"] > 0 for line in result["lines"])
            created = Path(result["created"])
            assert created.parent == mapset and created.name not in names
            document = parse_beatmap(created.read_bytes(), str(created))
            assert [p.time for p in document.timing_points if p.uninherited] == [line["timeMs"] for line in result["lines"]]
            assert daemon.services.writeback.journal()[-1]["kind"] == "create"
            gd = await rpc.result("guestDifficulty", {"path": str(mapset / NORMAL), "options": QUICK})
            assert gd["state"] == "done" and (gd["created"] is None) == (gd["objects"] == 0)

    asyncio.run(main())
    assert {p.name for p in mapset.iterdir()} >= set(names)
    for name in names:
        assert (mapset / name).read_bytes() == (demo_mapset_folder() / name).read_bytes()


def test_write_back_create_takes_a_free_name_and_never_overwrites(tmp_path: Path) -> None:
    wb = WriteBack(tmp_path / "backups")
    target = tmp_path / "Artist - Title (maid) [GD].osu"
    target.write_bytes(b"the mapper's file")
    made = [wb.create(target, b"new %d" % n, "job-1", Provenance(ai=True, task="guestDifficulty")).path for n in range(2)]
    assert [p.name for p in made] == ["Artist - Title (maid) [GD] (2).osu", "Artist - Title (maid) [GD] (3).osu"]
    assert target.read_bytes() == b"the mapper's file" and made[1].read_bytes() == b"new 1"
    assert wb.is_own_write(made[0], sha256(b"new 0"))
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".maid-")]
    assert [e["kind"] for e in wb.journal()] == ["create", "create"] and wb.journal()[0]["provenance"]["ai"] is True


def test_mod_publishes_maimod_findings(maid_home: Path, songs: Path, golden_dir: Path) -> None:
    path = songs / "1 maid - Demo Song" / NORMAL

    async def main() -> None:
        async with tiny_daemon(songs, golden_dir) as (daemon, rpc):
            result = await rpc.result("mod", {"path": str(path), "threshold": 1.0})
            report = result["report"]
            assert result["state"] == "done" and report["source"] == "maimod" and report["file"] == str(path)
            published = await rpc.notification("findings/publish")
            assert published["params"]["source"] == "maimod" and published["params"]["findings"] == report["findings"]
            assert report["findings"] and all(f["source"] == "maimod" for f in report["findings"])
            assert all(f["new"] for f in report["findings"])
            again = (await rpc.result("mod", {"path": str(path), "threshold": 1.0}))["report"]
            assert not any(f["new"] for f in again["findings"]) and again["fixed"] == []

    asyncio.run(main())


def test_maimod_on_save_follows_the_loaded_model_and_the_setting(maid_home: Path, songs: Path, golden_dir: Path) -> None:
    async def main() -> None:
        async with tiny_daemon(songs, golden_dir) as (daemon, rpc):
            automod = daemon.services.automod
            assert automod.maimod is None  # no model loaded: the rule checks only
            await rpc.result("model/load", {})
            assert automod.maimod is not None and automod.device == "cpu"
            assert (await rpc.result("config/set", {"key": "maimod", "value": False}))["restartRequired"] is False
            assert automod.maimod is None
            assert daemon.services.settings.model_source == str(golden_dir / "tiny-v30")  # start flags outlive config/set
            assert (await rpc.result("config/set", {"key": "device", "value": "auto"}))["overriddenBy"] == "command-line flag --device"
            await rpc.result("config/set", {"key": "maimod", "value": True})
            assert automod.maimod is not None
            await rpc.result("model/unload")
            assert automod.maimod is None

    asyncio.run(main())


def test_priorities_supersede_and_cancel_of_a_running_generation(maid_home: Path, songs: Path, golden_dir: Path) -> None:
    mapset = songs / "1 maid - Demo Song"
    copies = []
    for n in range(4):  # osu!standard maps the tiny v30 model can work on, one per request (no write conflicts)
        copy = mapset / f"maid - Demo Song (maid) [Copy {n}].osu"
        copy.write_bytes((mapset / NORMAL).read_bytes())
        copies.append(copy)

    async def main() -> None:
        async with tiny_daemon(songs, golden_dir) as (daemon, rpc):
            await rpc.result("model/load", {})
            loop, jobs = asyncio.get_running_loop(), daemon.services.jobs
            started = asyncio.Event()
            blocker = jobs.submit(JobSpec("test", blocking_job(started, loop), device="cpu", title="holds the model lane"))
            await started.wait()
            requests = [
                ("hitsound", {"path": str(copies[0]), "startMs": 0, "endMs": 3000, "priority": "background"}),
                ("mod", {"path": str(copies[1]), "priority": "background"}),
                ("mod", {"path": str(copies[1]), "priority": "background"}),  # supersedes the one before (same kind and file)
                ("hitsound", {"path": str(copies[2]), "startMs": 0, "endMs": 3000, "priority": "requested"}),
                ("hitsound", {"path": str(copies[3]), "startMs": 0, "endMs": 3000, "priority": "interactive"}),
            ]
            for n, (method, params) in enumerate(requests, start=100):
                submitted = len(jobs.list())
                await rpc.ws.send(json.dumps({"jsonrpc": "2.0", "id": n, "method": method, "params": params}))
                while len(jobs.list()) == submitted:  # submitted in this order
                    await asyncio.sleep(0.01)
            assert jobs.counts() == (4, 1)  # the superseded job left the queue at once
            jobs.cancel(blocker.id)
            replies = await replies_to(rpc, range(100, 105))
            assert replies[101]["result"]["state"] == "superseded" and replies[101]["result"]["report"] is None
            assert replies[102]["result"]["state"] == "done" and replies[102]["result"]["report"]["source"] == "maimod"
            first_progress = [n["params"]["id"] for n in rpc.notifications if n["method"] == "job/progress" and n["params"]["seq"] == 1]
            ids = {n: replies[n]["result"]["jobId"] for n in (100, 102, 103, 104)}
            assert [i for i in first_progress if i in ids.values()] == [ids[104], ids[103], ids[100], ids[102]]
            for job_id in ids.values():
                assert_progress_in_order(rpc, job_id)

            # Cancel a generation while it decodes: it stops inside its window (cancel is checked per token).
            rpc.notifications.clear()
            await rpc.ws.send(json.dumps({"jsonrpc": "2.0", "id": "long", "method": "remap",
                                          "params": {"path": str(mapset / NORMAL), "startMs": 0, "endMs": 36000}}))
            remap_job = (await rpc.notification("job/progress"))["params"]["id"]
            await asyncio.sleep(0.5)  # into the decoding
            assert (await rpc.result("jobs/cancel", {"id": remap_job}))["state"] == "running"
            seen_at_cancel = len(rpc.notifications)
            reply = await rpc.reply("long")
            assert reply["result"]["state"] == "cancelled" and reply["result"]["written"] is None
            windows = [n["params"] for n in rpc.notifications[seen_at_cancel:] if n["method"] == "job/progress" and "window" in n["params"]["message"]]
            assert len(windows) <= 1, "windows were decoded after the cancel"  # at most the one that ended as it came
            assert all(w["progress"] < 1 for w in windows) and of(rpc, "job/done", remap_job)[0]["state"] == "cancelled"

    asyncio.run(main())
    assert (mapset / NORMAL).read_bytes() == (demo_mapset_folder() / NORMAL).read_bytes()


def test_without_the_weights_model_methods_say_how_to_get_them(maid_home: Path, songs: Path, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-hub-cache"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    path = songs / "1 maid - Demo Song" / NORMAL

    async def main() -> None:
        async with running({"songs_folder": songs}) as daemon, client(daemon, initialize=False) as rpc:
            caps = (await rpc.result("initialize", {}))["capabilities"]
            assert set(MODEL_METHODS) <= set(caps["methods"]) and set(caps["unavailable"]) == set(MODEL_METHODS)
            assert all("maid model pull OliBomby/Mapperatorinator-v30" in why for why in caps["unavailable"].values())
            model = (await rpc.result("status"))["model"]
            assert model["loaded"] is False and model["installed"] is False and "maid model pull" in model["missing"]
            for method, params in [("mod", {"path": str(path)}), ("remap", {"path": str(path), "startMs": 0, "endMs": 1000}),
                                   ("hitsound", {"path": str(path)}), ("guestDifficulty", {"path": str(path)}),
                                   ("timing", {"audioPath": str(path.with_name("audio.ogg"))})]:
                error = (await rpc.call(method, params))["error"]
                assert error["code"] == ErrorCode.MODEL_NOT_INSTALLED, (method, error)
                assert error["data"]["pull"] == "maid model pull OliBomby/Mapperatorinator-v30"
            assert (await rpc.result("check", {"path": str(path)}))["state"] == "done"  # everything else works

    asyncio.run(main())


def test_remap_objects_are_written_and_rebased_onto_a_save_made_during_the_job(
    maid_home: Path, tmp_path: Path, golden_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The tiny checkpoint places no objects, so the model's part is the reference's own decode of this map
    (the golden v30 window-0 output); everything after it is the daemon's: the job, write-back, rebase, journal."""
    import engine.tasks
    from engine.osu import read_beatmap
    from engine.tasks import TaskResult, merge_region

    mapset = tmp_path / "Songs" / "1 kimi no bouken"
    mapset.mkdir(parents=True)
    path = mapset / "kimi_no_bouken.osu"
    path.write_bytes((golden_dir / "tokens" / "maps" / "kimi_no_bouken.osu").read_bytes())
    shutil.copyfile(demo_mapset_folder() / "audio.ogg", mapset / "audio.mp3")  # the task below does not listen
    generated = read_beatmap(golden_dir / "tokens" / "decode" / "v30_kimi_no_bouken_w0.osu")
    start, end = 6000.0, 14000.0

    def reference_decode(model, document, audio, start_ms, end_ms, options, progress=None, cancel=None):  # type: ignore[no-untyped-def]
        path.write_bytes(path.read_bytes().replace(b"Tags:", b"Tags:saved-during-the-job "))  # the mapper saves meanwhile
        edited, placed = merge_region(document, generated, start_ms, end_ms)
        return TaskResult(edited, None, placed)

    monkeypatch.setattr(engine.tasks, "remap_region", reference_decode)
    inside = [(o.time, o.x, o.y) for o in generated.hit_objects if start <= o.time <= end]

    async def main() -> None:
        async with tiny_daemon(tmp_path / "Songs", golden_dir) as (daemon, rpc):
            result = await rpc.result("remap", {"path": str(path), "startMs": start, "endMs": end})
            assert result["objects"] == len(inside) > 0
            assert result["written"]["changed"] and result["written"]["rebased"]
            entry = daemon.services.writeback.journal()[-1]
            assert entry["rebased"] and entry["provenance"]["ai"] and entry["region"]["time_range"] == [start, end]
            assert entry["provenance"]["summary"] == f"{len(inside)} objects in 00:06:000-00:14:000"
            assert (await rpc.notification("file/written"))["params"]["ai"] is True

    asyncio.run(main())
    written = read_beatmap(path)
    assert b"Tags:saved-during-the-job " in path.read_bytes()  # the save made during the job is kept
    assert [(o.time, o.x, o.y) for o in written.hit_objects if start <= o.time <= end] == inside
    original = read_beatmap(golden_dir / "tokens" / "maps" / "kimi_no_bouken.osu")
    assert [(o.time, o.x, o.y) for o in written.hit_objects if not start <= o.time <= end] == \
        [(o.time, o.x, o.y) for o in original.hit_objects if not start <= o.time <= end]  # fmt: skip
