"""The job queue with real CPU work in worker threads: priority order, cancel, supersede, progress order, holds."""

from __future__ import annotations

import asyncio
import hashlib
import json
import threading
from pathlib import Path
from typing import Any, get_args

from daemon.api.models import HoldName
from daemon.jobs import Hold, JobContext, JobQueue, JobSpec, JobState, Priority


class Recorder:
    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, method: str, params: dict[str, Any]) -> None:
        self.events.append((method, params))

    def of(self, job_id: str) -> list[tuple[str, dict[str, Any]]]:
        return [(m, p) for m, p in self.events if p.get("id") == job_id]

    def holds(self) -> list[list[str]]:
        return [p["holds"] for m, p in self.events if m == "jobs/holds"]


def hashing_job(rounds: int, log: list[str] | None = None, name: str = "", gate: threading.Event | None = None):  # type: ignore[no-untyped-def]
    """A fake CPU job that does real work: chained sha256 rounds, cancellable and reporting per window."""

    def run(ctx: JobContext) -> str:
        if gate is not None:
            gate.wait(5)
        if log is not None:
            log.append(name)
        digest = name.encode()
        for i in range(rounds):
            ctx.cancel.raise_if_cancelled()
            for _ in range(2000):
                digest = hashlib.sha256(digest).digest()
            ctx.progress((i + 1) / rounds, f"window {i + 1}/{rounds}")
        return digest.hex()

    return run


def test_priority_order_on_one_device() -> None:
    async def main() -> list[str]:
        notes = Recorder()
        queue = JobQueue(notes, cpu_workers=1)
        order: list[str] = []
        gate = threading.Event()
        # The first job holds the device until all others are queued, then they run by priority, FIFO within one.
        first = queue.submit(JobSpec("remap", hashing_job(1, order, "first", gate), Priority.BACKGROUND, device="cuda:0"))
        await asyncio.sleep(0.05)
        specs = [("bg1", Priority.BACKGROUND), ("req1", Priority.REQUESTED), ("int1", Priority.INTERACTIVE), ("req2", Priority.REQUESTED), ("int2", Priority.INTERACTIVE)]
        jobs = [queue.submit(JobSpec("remap", hashing_job(1, order, name), prio, device="cuda:0")) for name, prio in specs]
        gate.set()
        for job in [first, *jobs]:
            await queue.wait(job)
        await queue.close()
        return order

    assert asyncio.run(main()) == ["first", "int1", "int2", "req1", "req2", "bg1"]


def test_model_lane_runs_one_at_a_time_while_cpu_work_runs_concurrently() -> None:
    async def main() -> tuple[int, int]:
        queue = JobQueue(Recorder(), cpu_workers=2)
        lock = threading.Lock()
        running = {"model": 0, "cpu": 0}
        peak = {"model": 0, "cpu": 0}
        both = threading.Barrier(2, timeout=5)

        def tracked(lane: str, barrier: threading.Barrier | None):  # type: ignore[no-untyped-def]
            def run(ctx: JobContext) -> None:
                with lock:
                    running[lane] += 1
                    peak[lane] = max(peak[lane], running[lane])
                if barrier is not None:
                    barrier.wait()  # both CPU jobs must be inside at once, or this times out
                hashing_job(3)(ctx)
                with lock:
                    running[lane] -= 1

            return run

        jobs = [queue.submit(JobSpec("gen", tracked("model", None), device="cpu")) for _ in range(3)]
        jobs += [queue.submit(JobSpec("check", tracked("cpu", both))) for _ in range(2)]
        done = [await queue.wait(j) for j in jobs]
        await queue.close()
        assert all(j.state is JobState.DONE for j in done), [j.error for j in done]
        return peak["model"], peak["cpu"]

    assert asyncio.run(main()) == (1, 2)


def test_cancel_queued_and_running() -> None:
    async def main() -> None:
        notes = Recorder()
        queue = JobQueue(notes, cpu_workers=1)
        running = queue.submit(JobSpec("mod", hashing_job(10_000), device="cuda:0"))
        queued = queue.submit(JobSpec("mod", hashing_job(1), device="cuda:0"))
        while running.state is not JobState.RUNNING or running.progress == 0:
            await asyncio.sleep(0.01)
        assert queue.cancel(queued.id) is queued and queued.state is JobState.CANCELLED
        queue.cancel(running.id)
        assert (await queue.wait(running)).state is JobState.CANCELLED
        assert running.progress < 1
        assert [m for m, _ in notes.of(queued.id)] == ["job/done"]
        assert notes.of(running.id)[-1][1]["state"] == "cancelled"
        assert queue.cancel("job-999") is None
        await queue.close()

    asyncio.run(main())


def test_newer_job_for_a_file_supersedes_older_background_ones(tmp_path: Path) -> None:
    async def main() -> None:
        queue = JobQueue(Recorder(), cpu_workers=1)
        osu = tmp_path / "map.osu"
        busy = queue.submit(JobSpec("mod", hashing_job(10_000), Priority.BACKGROUND, file=osu, device="cuda:0"))
        while busy.state is not JobState.RUNNING:
            await asyncio.sleep(0.01)
        waiting = queue.submit(JobSpec("mod", hashing_job(1), Priority.BACKGROUND, file=osu, device="cuda:0"))
        other_file = queue.submit(JobSpec("mod", hashing_job(1), Priority.BACKGROUND, file=tmp_path / "b.osu", device="cuda:0"))
        requested = queue.submit(JobSpec("mod", hashing_job(1), Priority.REQUESTED, file=osu, device="cuda:0"))
        newest = queue.submit(JobSpec("mod", hashing_job(2), Priority.BACKGROUND, file=osu, device="cuda:0"))
        for job in (busy, waiting, other_file, requested, newest):
            await queue.wait(job)
        assert busy.state is JobState.SUPERSEDED and waiting.state is JobState.SUPERSEDED
        assert other_file.state is requested.state is newest.state is JobState.DONE  # only background ones of the same file go
        listed = [j.id for j in queue.list()]
        assert listed[0] == newest.id and set(listed) == {j.id for j in (busy, waiting, other_file, requested, newest)}
        await queue.close()

    asyncio.run(main())


def test_progress_notifications_arrive_in_order_before_done() -> None:
    async def main() -> Recorder:
        notes = Recorder()
        queue = JobQueue(notes, cpu_workers=2)
        jobs = [queue.submit(JobSpec("check", hashing_job(50, name=str(i)))) for i in range(4)]
        for job in jobs:
            await queue.wait(job)
        await queue.close()
        for job in jobs:
            events = notes.of(job.id)
            # reports that come faster than the loop runs are coalesced: at least the first, never out of order
            assert 2 <= len(events) <= 51 and [m for m, _ in events] == ["job/progress"] * (len(events) - 1) + ["job/done"]
            assert [p["seq"] for _, p in events[:-1]] == list(range(1, len(events)))
            assert [p["progress"] for _, p in events[:-1]] == sorted(p["progress"] for _, p in events[:-1])
            assert events[-1][1]["state"] == "done" and events[-1][1]["result"] == job.result
        return notes

    asyncio.run(main())


def test_a_failing_job_is_reported_and_the_queue_goes_on() -> None:
    def broken(ctx: JobContext) -> None:
        raise ValueError("bad window 3")

    async def main() -> None:
        queue = JobQueue(Recorder(), cpu_workers=1, history=3)
        failed = await queue.wait(queue.submit(JobSpec("check", broken)))
        assert failed.state is JobState.FAILED and failed.error == "ValueError: bad window 3"
        later = [await queue.wait(queue.submit(JobSpec("check", hashing_job(1)))) for _ in range(4)]
        assert all(j.state is JobState.DONE for j in later)
        assert len(queue.list()) == 3 and queue.get(failed.id) is None  # bounded history
        await queue.close()

    asyncio.run(main())


def test_results_that_are_not_json_and_a_failing_notifier_never_stop_a_lane() -> None:
    calls: list[str] = []

    def notify(method: str, params: dict[str, Any]) -> None:
        calls.append(method)
        json.dumps(params)  # what the server does; raises for anything that is not JSON
        if len(calls) == 2:
            raise RuntimeError("a broken client")

    async def main() -> None:
        queue = JobQueue(notify, cpu_workers=1)
        opaque = await asyncio.wait_for(queue.wait(queue.submit(JobSpec("load", lambda ctx: threading.Lock(), device="cpu"))), 10)
        assert opaque.state is JobState.DONE and isinstance(opaque.result, type(threading.Lock()))
        later = [await asyncio.wait_for(queue.wait(queue.submit(JobSpec("load", hashing_job(1), device="cpu"))), 10) for _ in range(2)]
        assert [j.state for j in later] == [JobState.DONE, JobState.DONE]
        await queue.close()

    asyncio.run(main())


def test_model_work_waits_while_any_hold_is_on_and_runs_in_order_when_the_last_is_released() -> None:
    async def main() -> None:
        notes = Recorder()
        queue = JobQueue(notes, cpu_workers=1)
        ran: list[str] = []
        assert queue.hold(Hold.PLAY) and queue.hold(Hold.USER) and not queue.hold(Hold.USER)  # once per reason
        assert queue.holds == [Hold.PLAY, Hold.USER] and notes.holds() == [["play"], ["play", "user"]]
        background = queue.submit(JobSpec("mod", lambda ctx: ran.append("mod"), Priority.BACKGROUND, device="cuda:0"))
        urgent = queue.submit(JobSpec("remap", lambda ctx: ran.append("remap"), Priority.INTERACTIVE, device="cuda:0"))
        unload = queue.submit(JobSpec("model/unload", lambda ctx: ran.append("unload"), device="cuda:0"))
        check = queue.submit(JobSpec("check", lambda ctx: ran.append("check")))
        await asyncio.wait_for(asyncio.gather(queue.wait(unload), queue.wait(check)), 10)  # never held
        assert queue.release(Hold.USER) and not queue.release(Hold.USER)
        await asyncio.sleep(0.3)
        assert [background.state, urgent.state] == [JobState.QUEUED] * 2 and queue.holds == [Hold.PLAY]  # play still holds
        assert queue.counts() == (2, 0)
        assert queue.release(Hold.PLAY) and queue.holds == []
        await asyncio.wait_for(asyncio.gather(queue.wait(background), queue.wait(urgent)), 10)
        assert sorted(ran[:2]) == ["check", "unload"] and ran[2:] == ["remap", "mod"]  # priority order once released
        assert notes.holds() == [["play"], ["play", "user"], ["play"], []]  # one notification per change
        await queue.close()

    asyncio.run(main())
    assert set(get_args(HoldName)) == {hold.value for hold in Hold}  # the API names every reason the queue knows


def test_a_hold_lets_the_running_job_finish_and_a_second_hold_keeps_work_waiting_after_the_first_ends() -> None:
    async def main() -> None:
        queue = JobQueue(Recorder(), cpu_workers=1)
        gate, ran = threading.Event(), []
        running = queue.submit(JobSpec("remap", hashing_job(1, ran, "running", gate), device="cpu"))
        while running.state is not JobState.RUNNING:
            await asyncio.sleep(0.01)
        queue.hold(Hold.USER)
        queued = queue.submit(JobSpec("mod", hashing_job(1, ran, "queued"), device="cpu"))
        gate.set()
        assert (await asyncio.wait_for(queue.wait(running), 10)).state is JobState.DONE
        queue.hold(Hold.PLAY)
        queue.release(Hold.USER)  # the user resumes while the player is still in play mode
        await asyncio.sleep(0.3)
        assert queued.state is JobState.QUEUED and ran == ["running"]
        queue.hold(Hold.USER)
        queue.release(Hold.PLAY)  # play mode ends while the user has paused maid
        await asyncio.sleep(0.3)
        assert queued.state is JobState.QUEUED
        queue.release(Hold.USER)
        assert (await asyncio.wait_for(queue.wait(queued), 10)).state is JobState.DONE and ran == ["running", "queued"]
        await queue.close()

    asyncio.run(main())
