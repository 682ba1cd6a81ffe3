"""`editor/run` and `daemon/pause` over real websocket connections on 127.0.0.1, on real .osu files: an editor
action runs what its hotkey runs (the selection → a job → write-back) and answers with its job; a failed step
is an error naming the step, announced to every client; a paused daemon holds queued model jobs (running
ones finish, model/unload and CPU jobs still run), refuses editor actions, does not auto-mod saves (but
still warns when a save drops maid's edit), tells every client, reports it in `status`, and is not paused
after a restart; `maid pause` / `maid resume` ask it. Play mode holds model work too, silently and without
refusing editor actions; the two holds are independent, and `status`, `jobs/list` and `jobs/holds` say which
are on. `backups/journal` with `last` gives the newest entries."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import threading
from pathlib import Path
from typing import Any

import pytest
import torch

from daemon.api.models import ErrorCode
from daemon.jobs import Hold, JobContext, JobSpec, JobState, Priority
from daemon.writeback import sha256
from engine.demo import demo_mapset_folder
from engine.findings import Finding, Severity
from engine.osu import combos, read_beatmap
from integrations.clipboard import MemoryClipboard
from integrations.tosu import EditorState, GameState
from tests.daemon.conftest import middle_range, nudge_objects
from tests.daemon.test_api import client, running
from tests.daemon.test_cli_daemon import maid

torch.set_num_threads(1)
NORMAL = "maid - Demo Song (maid) [Normal].osu"


@pytest.fixture
def demo_map(tmp_path: Path) -> Path:
    """A copy of the demo mapset (map and song) in a Songs folder; its Normal difficulty."""
    folder = tmp_path / "Songs" / "1 maid - Demo Song"
    shutil.copytree(demo_mapset_folder(), folder)
    return folder / NORMAL


def selection(path: Path, first: int, last: int) -> str:
    """What osu! copies for the objects first..last (time order): `mm:ss:mmm (combo numbers) - `."""
    numbered = combos(read_beatmap(path))[first:last + 1]
    return Finding("sel", Severity.INFO, "x", "x", start_ms=numbered[0][0].time, selection=tuple(str(c.number) for _, c in numbered)).timestamp


def in_editor(path: Path) -> EditorState:
    return EditorState(GameState.EDITOR, source="v2", client="stable", state_number=1, beatmap_path=path, time_ms=1000, focused=True)


def playing(path: Path) -> EditorState:
    return EditorState(GameState.PLAYING, source="v2", client="stable", state_number=2, beatmap_path=path, time_ms=5000, focused=True)


def params_of(notifications: list[dict[str, Any]], method: str) -> list[dict[str, Any]]:
    return [n["params"] for n in notifications if n["method"] == method]


async def first_params(rpc: Any, method: str, **match: Any) -> dict[str, Any]:
    """The params of the first `method` notification that holds `match`, waiting for it (10 s for each frame)."""
    while not (found := [p for p in params_of(rpc.notifications, method) if match.items() <= p.items()]):
        message = json.loads(await asyncio.wait_for(rpc.ws.recv(), 10))
        if "method" in message and "id" not in message:
            rpc.notifications.append(message)
    return found[0]


def holding(started: threading.Event, release: threading.Event) -> Any:
    """A job that runs until `release` is set."""

    def run(ctx: JobContext) -> str:
        started.set()
        release.wait(30)
        return "finished"

    return run


def test_editor_run_hitsounds_the_selection_as_the_hotkey_does_and_answers_with_its_job(maid_home: Path, demo_map: Path,
                                                                                         golden_dir: Path) -> None:
    before = demo_map.read_bytes()
    settings = {"model_source": str(golden_dir / "tiny-v30"), "device": "cpu"}

    async def main() -> None:
        async with running(settings) as daemon, client(daemon) as rpc, client(daemon) as observer:
            link = daemon.services.editor
            assert link is not None and link.keyboard is None  # no display here: no hotkeys, no keys sent
            link.flows.clipboard = MemoryClipboard(selection(demo_map, 8, 14))  # as osu! copies the selected objects
            link.on_state(in_editor(demo_map))
            started = await rpc.result("editor/run", {"action": "hitsound_selection"})
            assert started["action"] == "hitsound_selection" and started["jobId"].startswith("job-")
            assert started["message"].startswith(f"hitsound {NORMAL}") and started["message"].endswith("queued")
            outcome = (await rpc.notification("editor/action"))["params"]
            assert outcome["ok"] is True and outcome["action"] == "hitsound_selection", outcome
            assert outcome["message"].endswith(f"objects hitsounded in {NORMAL}")
            done = [p for p in params_of(rpc.notifications, "job/done") if p["id"] == started["jobId"]]
            assert [(d["kind"], d["state"]) for d in done] == [("hitsound", "done")]
            assert [p["path"] for p in params_of(rpc.notifications, "file/written")] == [str(demo_map)]
            assert (await observer.notification("editor/action"))["params"] == outcome  # every client hears the outcome
            journal = await rpc.result("backups/journal", {"path": str(demo_map)})
            [entry] = journal["entries"]
            assert entry["job"] == f"hotkey:{started['jobId']}" and entry["provenance"]["task"] == "hitsound"
            assert journal["aiFiles"] == [str(demo_map)] and Path(entry["backup"]).read_bytes() == before

    asyncio.run(main())
    assert demo_map.read_bytes() != before


def test_editor_run_failures_name_their_step_and_reach_every_client(maid_home: Path, demo_map: Path, tmp_path: Path) -> None:
    before = demo_map.read_bytes()

    async def main() -> None:
        async with running({"model_source": str(tmp_path / "no-such-checkpoint")}) as daemon, client(daemon) as rpc, \
                client(daemon) as observer:  # fmt: skip
            link = daemon.services.editor
            assert link is not None
            link.on_state(in_editor(demo_map))
            link.flows.clipboard = MemoryClipboard("the mapper copied some text, not objects")
            reply = await rpc.call("editor/run", {"action": "remap_selection"})
            assert reply["error"]["code"] == ErrorCode.ACTION_FAILED and reply["error"]["data"] == {"action": "remap_selection", "step": "selection"}
            assert "remap selection: step 'selection' failed" in reply["error"]["message"]
            announced = (await observer.notification("editor/action"))["params"]
            assert announced == {"action": "remap_selection", "ok": False, "step": "selection", "message": reply["error"]["message"]}

            link.flows.clipboard = MemoryClipboard(selection(demo_map, 2, 4))  # a good selection, but no model here
            reply = await rpc.call("editor/run", {"action": "hitsound_selection"})
            assert reply["error"]["code"] == ErrorCode.MODEL_NOT_INSTALLED and reply["error"]["data"]["step"] == "model"
            assert "no-such-checkpoint" in reply["error"]["message"]

            reply = await rpc.call("editor/run", {"action": "format_disk"})
            assert reply["error"]["code"] == ErrorCode.INVALID_PARAMS and "remap_selection" in reply["error"]["message"]

            checked = await rpc.result("editor/run", {"action": "check_now"})  # runs at once, without a job
            assert checked == {"action": "check_now", "jobId": None, "message": f"checking {NORMAL}"}
            assert (await rpc.notification("findings/publish"))["params"]["file"] == str(demo_map)

    asyncio.run(main())
    assert demo_map.read_bytes() == before  # nothing was written


def test_pause_holds_model_jobs_and_editor_actions_tells_every_client_and_ends_with_the_daemon(maid_home: Path, demo_map: Path) -> None:
    async def main() -> None:
        async with running() as daemon, client(daemon) as rpc, client(daemon) as observer:
            jobs = daemon.services.jobs
            started, release = threading.Event(), threading.Event()
            running_job = jobs.submit(JobSpec("remap", holding(started, release), Priority.REQUESTED, device="cpu"))
            assert await asyncio.to_thread(started.wait, 10)

            assert await rpc.result("daemon/pause", {"paused": True}) == {"paused": True, "holds": ["user"]}
            assert (await observer.notification("daemon/paused"))["params"] == {"paused": True, "holds": ["user"]}
            assert (await observer.notification("jobs/holds"))["params"] == {"holds": ["user"]}
            status = await observer.result("status")
            assert status["paused"] is True and status["holds"] == ["user"]
            ran: list[str] = []
            waiting = jobs.submit(JobSpec("mod", lambda ctx: ran.append("mod"), Priority.BACKGROUND, device="cpu"))
            urgent = jobs.submit(JobSpec("hitsound", lambda ctx: ran.append("hitsound"), Priority.INTERACTIVE, device="cpu"))
            other_lane = jobs.submit(JobSpec("remap", lambda ctx: ran.append("remap"), Priority.REQUESTED, device="cuda"))
            unload = jobs.submit(JobSpec("model/unload", lambda ctx: ran.append("unload"), Priority.REQUESTED, device="cuda"))
            cpu_work = jobs.submit(JobSpec("check", lambda ctx: ran.append("check"), Priority.REQUESTED))
            await asyncio.wait_for(asyncio.gather(jobs.wait(unload), jobs.wait(cpu_work)), 10)
            release.set()  # the job that was running when the pause came finishes
            assert (await asyncio.wait_for(jobs.wait(running_job), 10)).state is JobState.DONE
            await asyncio.sleep(0.3)
            assert [waiting.state, urgent.state, other_lane.state] == [JobState.QUEUED] * 3 and sorted(ran) == ["check", "unload"]
            assert (await rpc.result("status"))["jobs"] == {"queued": 3, "running": 0}
            listed = await rpc.result("jobs/list")
            assert listed["holds"] == ["user"] and [j["state"] for j in listed["jobs"][:3]] == ["queued"] * 3

            link = daemon.services.editor
            assert link is not None
            link.on_state(in_editor(demo_map))
            link.flows.clipboard = MemoryClipboard(selection(demo_map, 2, 4))
            reply = await rpc.call("editor/run", {"action": "hitsound_selection"})
            assert reply["error"]["code"] == ErrorCode.PAUSED and reply["error"]["data"]["step"] == "paused"
            assert "resume" in reply["error"]["message"]
            assert (await observer.notification("editor/action"))["params"]["step"] == "paused"

            assert await rpc.result("daemon/pause", {"paused": True}) == {"paused": True, "holds": ["user"]}  # already paused: nothing changes
            assert await observer.result("daemon/pause", {"paused": False}) == {"paused": False, "holds": []}
            await asyncio.wait_for(asyncio.gather(*(jobs.wait(j) for j in (waiting, urgent, other_lane))), 10)
            assert sorted(ran[2:]) == ["hitsound", "mod", "remap"] and ran.index("hitsound") < ran.index("mod")  # priority order on a lane
            assert (await rpc.result("status"))["paused"] is False and (await rpc.result("jobs/list"))["holds"] == []
            assert [p["paused"] for p in params_of(rpc.notifications, "daemon/paused")] == [True, False]  # one per change
            assert [p["holds"] for p in params_of(rpc.notifications, "jobs/holds")] == [["user"], []]
            await rpc.result("daemon/pause", {"paused": True})

        async with running() as restarted, client(restarted) as rpc:
            assert (await rpc.result("status"))["paused"] is False  # a pause is not kept across a restart

    asyncio.run(main())


def test_play_mode_defers_model_work_silently_and_never_refuses_editor_actions(maid_home: Path, demo_map: Path,
                                                                               golden_dir: Path) -> None:
    before = demo_map.read_bytes()
    settings = {"model_source": str(golden_dir / "tiny-v30"), "device": "cpu", "songs_folder": str(demo_map.parent.parent),
                "maimod": False}

    async def main() -> None:
        async with running(settings) as daemon, client(daemon) as rpc:
            link = daemon.services.editor
            assert link is not None
            assert (await rpc.result("model/load", {}))["loaded"] is True
            link.on_state(in_editor(demo_map))  # the watcher follows the open map's folder
            await asyncio.to_thread(os.utime, demo_map)  # in play mode an action edits the newest .osu there: this one
            link.flows.clipboard = MemoryClipboard(selection(demo_map, 8, 14))
            link.on_state(playing(demo_map))  # the mapper test-plays the map
            assert (await rpc.notification("jobs/holds"))["params"] == {"holds": ["play"]}
            status = await rpc.result("status")
            assert status["paused"] is False and status["holds"] == ["play"]

            started = await rpc.result("editor/run", {"action": "hitsound_selection"})  # not refused: its job is queued
            assert started["jobId"].startswith("job-") and started["message"].endswith("queued")
            checked = await rpc.result("editor/run", {"action": "check_now"})  # rule checks are CPU work: they run now
            assert checked["message"] == f"checking {NORMAL}"
            assert (await rpc.notification("findings/publish"))["params"]["file"] == str(demo_map)
            await asyncio.sleep(0.5)
            listed = await rpc.result("jobs/list")
            waiting = [(j["id"], j["state"]) for j in listed["jobs"] if j["state"] in ("queued", "running")]
            assert listed["holds"] == ["play"] and waiting == [(started["jobId"], "queued")]  # no job stands for the hold
            assert demo_map.read_bytes() == before

            link.on_state(in_editor(demo_map))  # back in the editor: the hitsounding runs
            outcome = await first_params(rpc, "editor/action", action="hitsound_selection")
            assert outcome["ok"] is True and outcome["message"].endswith(f"objects hitsounded in {NORMAL}"), outcome
            assert [p["path"] for p in params_of(rpc.notifications, "file/written")] == [str(demo_map)]
            assert [p["holds"] for p in params_of(rpc.notifications, "jobs/holds")] == [["play"], []]
            assert params_of(rpc.notifications, "daemon/paused") == []  # the play hold is not the user's pause
            assert (await rpc.result("status"))["holds"] == []

    asyncio.run(main())
    assert demo_map.read_bytes() != before


def test_the_users_pause_and_play_mode_hold_model_work_together(maid_home: Path, demo_map: Path) -> None:
    async def main() -> None:
        async with running() as daemon, client(daemon) as rpc:
            jobs, link = daemon.services.jobs, daemon.services.editor
            assert link is not None
            ran: list[str] = []
            link.on_state(playing(demo_map))
            job = jobs.submit(JobSpec("mod", lambda ctx: ran.append("mod"), Priority.BACKGROUND, device="cpu"))
            assert await rpc.result("daemon/pause", {"paused": True}) == {"paused": True, "holds": ["play", "user"]}
            assert await rpc.result("daemon/pause", {"paused": False}) == {"paused": False, "holds": ["play"]}
            await asyncio.sleep(0.3)
            assert job.state is JobState.QUEUED and ran == []  # resumed by the user, still in play mode: it waits

            await rpc.result("daemon/pause", {"paused": True})
            link.on_state(in_editor(demo_map))  # play mode ends while the user has paused maid
            await asyncio.sleep(0.3)
            status = await rpc.result("status")
            assert job.state is JobState.QUEUED and status["paused"] is True and status["holds"] == ["user"]
            reply = await rpc.call("editor/run", {"action": "check_now"})
            assert reply["error"]["code"] == ErrorCode.PAUSED  # the user's pause still refuses editor actions

            await rpc.result("daemon/pause", {"paused": False})
            assert (await asyncio.wait_for(jobs.wait(job), 10)).state is JobState.DONE and ran == ["mod"]
            assert [p["paused"] for p in params_of(rpc.notifications, "daemon/paused")] == [True, False, True, False]
            assert [p["holds"] for p in params_of(rpc.notifications, "jobs/holds")] == [
                ["play"], ["play", "user"], ["play"], ["play", "user"], ["user"], []]

    asyncio.run(main())


def test_maid_pause_and_resume_ask_the_running_daemon_and_status_says_why_model_work_waits(maid_home: Path, demo_map: Path) -> None:
    async def main() -> None:
        async with running() as daemon, client(daemon) as rpc:
            jobs, link = daemon.services.jobs, daemon.services.editor
            assert link is not None
            paused = await asyncio.to_thread(maid, "pause")
            assert paused.returncode == 0 and "maid is paused" in paused.stdout and jobs.holds == [Hold.USER]
            assert (await rpc.notification("daemon/paused"))["params"] == {"paused": True, "holds": ["user"]}
            status = await asyncio.to_thread(maid, "status")
            assert status.returncode == 0 and "PAUSED (maid resume)" in status.stdout and "play mode" not in status.stdout
            link.on_state(playing(demo_map))  # the mapper test-plays the map while maid is paused
            resumed = await asyncio.to_thread(maid, "resume")
            assert resumed.returncode == 0 and "maid resumed — model work waits: osu! is in play mode" in resumed.stdout
            status = await asyncio.to_thread(maid, "status")
            assert "model work waits: osu! is in play mode" in status.stdout and "PAUSED" not in status.stdout
            link.on_state(in_editor(demo_map))
            again = await asyncio.to_thread(maid, "resume", "--json")
            assert again.returncode == 0 and json.loads(again.stdout) == {"paused": False, "holds": []} and jobs.holds == []
        stopped = await asyncio.to_thread(maid, "pause")
        assert stopped.returncode == 1 and "maid is not running" in stopped.stderr

    asyncio.run(main())


def test_the_journal_gives_its_newest_entries(maid_home: Path, mapset: list[Path]) -> None:
    async def main() -> None:
        async with running() as daemon, client(daemon) as rpc:
            wb = daemon.services.writeback
            for path in (mapset[0], mapset[1], mapset[0]):
                start, end = middle_range(path.read_bytes())
                wb.write(wb.read(path), nudge_objects(start, end + len(wb.journal())))
            every = await rpc.result("backups/journal", {})
            newest = await rpc.result("backups/journal", {"last": 2})
            assert len(every["entries"]) == 3 and newest["entries"] == every["entries"][1:]
            assert [e["file"] for e in newest["entries"]] == [str(mapset[1]), str(mapset[0])]
            assert newest["aiFiles"] == every["aiFiles"] == sorted(str(p) for p in mapset[:2])
            assert (await rpc.result("backups/journal", {"path": str(mapset[1]), "last": 5}))["entries"] == every["entries"][1:2]
            reply = await rpc.call("backups/journal", {"last": 0})
            assert reply["error"]["code"] == ErrorCode.INVALID_PARAMS and reply["error"]["data"][0]["field"] == "last"

    asyncio.run(main())


def test_a_paused_daemon_does_not_auto_mod_saves_but_still_warns_when_one_drops_maids_edit(maid_home: Path, mapset: list[Path]) -> None:
    async def main() -> None:
        async with running({"songs_folder": mapset[0].parent.parent}) as daemon, client(daemon) as rpc:
            await rpc.result("daemon/pause", {"paused": True})
            path = mapset[1]
            before = path.read_bytes()
            wb = daemon.services.writeback
            await asyncio.to_thread(wb.write, wb.read(path), nudge_objects(*middle_range(before)))  # maid writes
            paused_save = before.replace(b"\nTitle:", b"\nTitle:saved ", 1)
            await asyncio.to_thread(path.write_bytes, paused_save)  # the editor saves over it without reloading
            assert (await rpc.notification("edit/dropped"))["params"]["file"] == str(path)  # data safety is never paused
            await asyncio.sleep(3.0)  # what auto-mod would have taken to report this save

            await rpc.result("daemon/pause", {"paused": False})
            resumed_save = before.replace(b"\nTitle:", b"\nTitle:resumed ", 1)
            await asyncio.to_thread(path.write_bytes, resumed_save)
            for _ in range(150):  # up to 15 s
                if any(p["sha256"] == sha256(resumed_save) for p in params_of(rpc.notifications, "findings/publish")):
                    break
                await asyncio.sleep(0.1)
                await rpc.result("status")  # reads the notifications that came meanwhile
            assert [p["sha256"] for p in params_of(rpc.notifications, "findings/publish")] == [sha256(resumed_save)], \
                "a save was auto-modded while paused"

    asyncio.run(main())
