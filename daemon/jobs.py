"""The job queue: every long operation (checks, MaiMod, generation, hitsounding) runs as a job.

Priorities: interactive (a hotkey the mapper is waiting on) > requested (an API call) > background (mod
on save). Jobs that need the model run on one worker per device, in submission order within a priority;
CPU-only jobs run concurrently on a small thread pool. A newer job of the same kind for the same file
supersedes an older background one. Job functions run in worker threads and get a `JobContext`: they
report progress through it and check its cancel token between windows (engine code never sees asyncio).

Holds keep model work waiting: `hold(reason)` puts one on, `release(reason)` takes it off, and while any hold
is on, a queued job on a model device does not start (jobs already running finish; CPU-pool jobs and
`model/unload`, which only frees memory, still run). The queue treats every reason alike and says which are on
(`holds`, and `jobs/holds` to clients on each change); what else a hold means is its caller's: the user's pause
(`Hold.USER`, daemon/pause) also refuses editor actions and stops auto-mod on save, while play mode
(`Hold.PLAY`, daemon.editor) only defers model work until the player leaves gameplay.

Runs on the daemon's event loop: `submit`, `cancel`, `list`, `hold` and `release` must be called from the loop
thread. It must never run two model jobs on one device at once, never send progress notifications out of order
(reports that arrive faster than the loop runs are coalesced: clients get the newest), and never let a
failing job take the queue down.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from pathlib import Path
from typing import Any

from engine.cancel import Cancelled

log = logging.getLogger(__name__)

CPU_LANE = "cpu-pool"
RUN_WHILE_HELD = {"model/unload"}  # giving memory back is never held


class Priority(IntEnum):
    INTERACTIVE = 0
    REQUESTED = 1
    BACKGROUND = 2


class Hold(StrEnum):
    """Why model work waits (the API's `holds`)."""

    USER = "user"  # the user paused maid (daemon/pause, `maid pause`, the tray's Pause all)
    PLAY = "play"  # osu! is in play mode (daemon.editor): nothing may take the player's GPU/CPU


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"
    SUPERSEDED = "superseded"


FINISHED = {JobState.DONE, JobState.FAILED, JobState.CANCELLED, JobState.SUPERSEDED}


class CancelToken:
    """Set by the queue, checked by the engine between windows (an engine.cancel.CancelToken). Thread-safe.
    A job function stops early by raising engine.cancel.Cancelled, which is also what the engine raises."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    def is_set(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise Cancelled


@dataclass(frozen=True)
class JobContext:
    """What a job function receives: its cancel token and a progress callback (fraction 0..1, message)."""

    cancel: CancelToken
    progress: Callable[[float, str], None]


@dataclass(frozen=True)
class JobSpec:
    kind: str  # "check", "mod", "remap", ...
    run: Callable[[JobContext], Any]  # runs in a worker thread; its return value is the job's result
    priority: Priority = Priority.REQUESTED
    file: Path | None = None
    device: str | None = None  # the device whose model it needs; None = CPU-only work
    title: str = ""


@dataclass(eq=False)
class Job:
    id: str
    spec: JobSpec
    seq: int
    future: asyncio.Future[Job]
    state: JobState = JobState.QUEUED
    cancel_token: CancelToken = field(default_factory=CancelToken)
    superseded: bool = False
    created: float = field(default_factory=time.time)
    started: float | None = None
    finished: float | None = None
    progress: float = 0.0
    message: str = ""
    progress_seq: int = 0
    reported: tuple[float, str] = (0.0, "")  # the newest report from the job's thread, not yet sent
    report_pending: bool = False  # a _progress call for it is scheduled on the loop
    result: Any = None
    error: str | None = None
    exception: Exception | None = None  # what a failed job raised, for callers that map it (e.g. to an API error)

    def info(self) -> dict[str, Any]:
        """The job as the API's JobInfo (camelCase is applied by the API model)."""
        return {
            "id": self.id,
            "kind": self.spec.kind,
            "title": self.spec.title or self.spec.kind,
            "file": str(self.spec.file) if self.spec.file else None,
            "priority": self.spec.priority.name.lower(),
            "state": self.state.value,
            "progress": self.progress,
            "message": self.message,
            "created": self.created,
            "started": self.started,
            "finished": self.finished,
            "error": self.error,
        }


Notify = Callable[[str, dict[str, Any]], None]


class JobQueue:
    """Priority lanes: one per model device (one worker) and one CPU pool (`cpu_workers` workers)."""

    def __init__(self, notify: Notify, cpu_workers: int = 2, history: int = 200) -> None:
        self._notify = notify
        self._cpu_workers = cpu_workers
        self._ids = itertools.count(1)
        self._active: dict[str, Job] = {}
        self._history: deque[Job] = deque(maxlen=history)
        self._lanes: dict[str, asyncio.PriorityQueue[tuple[int, int, Job]]] = {}
        self._executors: dict[str, ThreadPoolExecutor] = {}
        self._workers: list[asyncio.Task[None]] = []
        self._closed = False
        self._holds: set[Hold] = set()
        self._waiting: list[tuple[str, Job]] = []  # (lane, job) taken off a model lane while a hold is on

    # ---- public ----------------------------------------------------------------------------

    def submit(self, spec: JobSpec) -> Job:
        if self._closed:
            raise RuntimeError("the job queue is shut down")
        seq = next(self._ids)
        job = Job(f"job-{seq}", spec, seq, asyncio.get_running_loop().create_future())
        self._supersede_older(job)
        self._active[job.id] = job
        self._lane(spec.device or CPU_LANE).put_nowait((int(spec.priority), seq, job))
        return job

    def cancel(self, job_id: str) -> Job | None:
        """Cancel a queued job at once, or ask a running one to stop. None when the id is unknown."""
        job = self.get(job_id)
        if job is None or job.state in FINISHED:
            return job
        job.cancel_token.cancel()
        if job.state is JobState.QUEUED:
            self._finish(job, JobState.CANCELLED)
        return job

    def get(self, job_id: str) -> Job | None:
        return self._active.get(job_id) or next((j for j in self._history if j.id == job_id), None)

    def list(self) -> list[Job]:
        """Running and queued jobs (in the order they will run), then finished ones, newest first."""
        active = sorted(self._active.values(), key=lambda j: (j.state is not JobState.RUNNING, int(j.spec.priority), j.seq))
        return active + list(reversed(self._history))

    def counts(self) -> tuple[int, int]:
        """(queued, running)"""
        running = sum(1 for j in self._active.values() if j.state is JobState.RUNNING)
        return len(self._active) - running, running

    @property
    def holds(self) -> list[Hold]:
        """The holds on now (sorted); queued model jobs wait while there is any."""
        return sorted(self._holds)

    def hold(self, reason: Hold) -> bool:
        """Put the hold `reason` on: no queued model job starts until every hold is released (running ones
        finish). False when it was on already."""
        if reason in self._holds:
            return False
        self._holds.add(reason)
        self._send("jobs/holds", {"holds": self.holds})
        return True

    def release(self, reason: Hold) -> bool:
        """Take the hold `reason` off; once none is left, the waiting jobs go back on their lanes in their
        priority and submission order. False when it was not on."""
        if reason not in self._holds:
            return False
        self._holds.discard(reason)
        self._send("jobs/holds", {"holds": self.holds})
        if not self._holds:
            waiting, self._waiting = self._waiting, []
            for lane, job in waiting:
                if job.state is JobState.QUEUED:
                    self._lanes[lane].put_nowait((int(job.spec.priority), job.seq, job))
        return True

    async def wait(self, job: Job) -> Job:
        return await asyncio.shield(job.future)

    async def close(self, timeout: float = 5.0) -> None:
        """Cancel everything, give running jobs `timeout` seconds to notice, stop the workers."""
        self._closed = True
        for job in list(self._active.values()):
            self.cancel(job.id)
        running = [j.future for j in self._active.values()]
        if running:
            await asyncio.wait(running, timeout=timeout)
        for worker in self._workers:
            worker.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)
        for executor in self._executors.values():
            executor.shutdown(wait=False, cancel_futures=True)

    # ---- internals -------------------------------------------------------------------------

    def _lane(self, name: str) -> asyncio.PriorityQueue[tuple[int, int, Job]]:
        if name not in self._lanes:
            workers = self._cpu_workers if name == CPU_LANE else 1
            self._lanes[name] = asyncio.PriorityQueue()
            self._executors[name] = ThreadPoolExecutor(workers, thread_name_prefix=f"maid-{name}")
            self._workers += [asyncio.create_task(self._work(name), name=f"maid-{name}-{i}") for i in range(workers)]
        return self._lanes[name]

    def _supersede_older(self, newer: Job) -> None:
        if newer.spec.file is None:
            return
        for job in list(self._active.values()):
            same = job.spec.kind == newer.spec.kind and job.spec.file == newer.spec.file
            if same and job.spec.priority is Priority.BACKGROUND and job.state not in FINISHED:
                job.superseded = True
                job.cancel_token.cancel()
                if job.state is JobState.QUEUED:
                    self._finish(job, JobState.SUPERSEDED)

    async def _work(self, lane: str) -> None:
        queue, executor, loop = self._lanes[lane], self._executors[lane], asyncio.get_running_loop()
        while True:
            _, _, job = await queue.get()
            if job.state is not JobState.QUEUED:
                continue  # cancelled or superseded while waiting
            if self._holds and lane != CPU_LANE and job.spec.kind not in RUN_WHILE_HELD:
                self._waiting.append((lane, job))
                continue
            job.state, job.started = JobState.RUNNING, time.time()
            context = JobContext(job.cancel_token, lambda fraction, message, job=job: self._report(loop, job, fraction, message))
            try:
                job.result = await loop.run_in_executor(executor, job.spec.run, context)
                state = JobState.DONE
            except Cancelled:
                state = JobState.CANCELLED
            except Exception as exc:  # a failing job is reported, never fatal to the queue
                log.exception("job %s (%s) failed", job.id, job.spec.kind)
                job.error, job.exception = f"{type(exc).__name__}: {exc}", exc
                state = JobState.FAILED
            if state is JobState.CANCELLED and job.superseded:
                state = JobState.SUPERSEDED
            self._finish(job, state)

    def _report(self, loop: asyncio.AbstractEventLoop, job: Job, fraction: float, message: str) -> None:
        """In the job's thread: keep the newest report and wake the loop once for all that arrive before it
        runs. One loop callback per report starved the loop while a job reported every millisecond (measured:
        not one 10 ms timer fired during a 2 s job; coalesced, 316 wake-ups and the loop kept its pace)."""
        job.reported = (fraction, message)
        if not job.report_pending:
            job.report_pending = True
            loop.call_soon_threadsafe(self._progress, job)

    def _progress(self, job: Job) -> None:
        job.report_pending = False  # before reading: a report that comes in now schedules another call
        fraction, message = job.reported
        if job.state is not JobState.RUNNING:
            return  # a late report after the job finished would arrive after job/done
        job.progress, job.message = max(0.0, min(1.0, float(fraction))), message
        job.progress_seq += 1
        self._send(
            "job/progress",
            {"id": job.id, "kind": job.spec.kind, "file": job.info()["file"], "seq": job.progress_seq, "progress": job.progress, "message": message},
        )

    def _send(self, method: str, params: dict[str, Any]) -> None:
        try:
            self._notify(method, params)
        except Exception:  # a client-side problem must never stop a lane's worker
            log.exception("could not send %s (%s)", method, params.get("id", params))

    def _finish(self, job: Job, state: JobState) -> None:
        job.state, job.finished = state, time.time()
        self._active.pop(job.id, None)
        self._history.append(job)
        if not job.future.done():
            job.future.set_result(job)
        self._send(
            "job/done",
            {"id": job.id, "kind": job.spec.kind, "file": job.info()["file"], "state": state.value, "result": _jsonable(job.result), "error": job.error},
        )


def _jsonable(value: Any) -> Any:
    """A job's result as it travels in job/done: pydantic models by their JSON form, JSON values as they
    are, anything else (a loaded model, say) as None — callers that need it read `Job.result`."""
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return dump(mode="json", by_alias=True)
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return None
    return value
