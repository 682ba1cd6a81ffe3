"""Auto-modding on save: the rule checks at once, MaiMod in the background, findings published with what is new.

Each `SavedFile` from the watcher is parsed and rule-checked in a worker thread (the event loop never
waits on a parse) and published as a `FindingsReport`: the findings, which of them are new since the
previous report of that file and which are gone. When a MaiMod runner is set (a model is loaded), each
save also submits a background MaiMod job to daemon.jobs; the queue supersedes the job of the previous
save of that file, so only the newest content is analysed and a stale MaiMod report is never published.

The rule checks stay off the job queue on purpose: they run on every save, must not wait behind
requested CPU jobs, and would flood clients with job notifications.

With bookmark mirroring on (the `bookmark_findings` setting), the published rule findings are then written
into the saved file's editor bookmarks by daemon.bookmarks, in a writer thread of their own, so that the
findings never wait for a write.

This module writes files only through daemon.bookmarks, never raises into the watcher or the event loop (a
failing check run or bookmark write is logged and reported), and never publishes MaiMod findings for content
that a newer save replaced.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Coroutine, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from daemon.jobs import Job, JobContext, JobQueue, JobSpec, JobState, Priority
from daemon.watcher import SavedFile
from daemon.writeback import Snapshot
from engine.findings import Finding, Severity, Source

if TYPE_CHECKING:
    from daemon.bookmarks import BookmarkMirror, BookmarkWrite

log = logging.getLogger(__name__)

RuleChecks = Callable[[Path, bytes], list[Finding]]
# MaiMod on one saved content, in a job worker thread: reports progress and checks the cancel token between
# windows (raising daemon.jobs.Cancelled) through the JobContext; returns its findings.
MaiMod = Callable[[SavedFile, JobContext], Sequence[Finding]]


@dataclass(frozen=True)
class FindingsReport:
    """The findings of one source for one saved content of a file, and how they changed since the last report."""

    path: Path
    sha256: str
    source: Source
    findings: tuple[Finding, ...]
    new: tuple[Finding, ...]  # not in the previous report of this source for this file
    fixed: tuple[Finding, ...]  # in the previous report, gone now
    latency_s: float  # from the file system event of the save to these findings

    def to_json(self) -> dict[str, Any]:
        """The `findings/publish` params (also `maid watch --json`); each finding says whether it is new."""
        new = {id(finding) for finding in self.new}
        return {
            "file": str(self.path),
            "sha256": self.sha256,
            "source": self.source,
            "findings": [finding.to_json() | {"new": id(finding) in new} for finding in self.findings],
            "fixed": [finding.to_json() for finding in self.fixed],
            "latencyMs": round(self.latency_s * 1000, 1),
        }


def load_rule_checks() -> None:
    """Import the parser and the rule checks now (about half a second) instead of on the first save."""
    import engine.checks  # noqa: F401
    import engine.osu  # noqa: F401


def rule_checks(path: Path, data: bytes) -> list[Finding]:
    """Parse one saved difficulty and run the rule checks on it as `maid check FILE` does: with its folder's
    file list, not as the whole set. A file osu! cannot load is one finding."""
    from engine.checks import run_checks
    from engine.checks.runner import UNLOADABLE
    from engine.osu import OsuFormatError, parse_beatmap

    try:
        beatmap = parse_beatmap(data, str(path))
    except OsuFormatError as error:
        return [
            Finding(check=UNLOADABLE, severity=Severity.PROBLEM, category="Files", file=path.name, line=error.line_number,
                    message=f"osu! cannot load this file: {error.message}",
                    suggestion="Fix the line named here, or undo the last change in the editor and save again.")
        ]
    return run_checks(beatmap, folder=path.parent, whole_set=False)


def maimod_runner(model: Callable[[], Any | None], options: Any = None) -> MaiMod:
    """MaiMod as AutoMod's runner: `model()` gives the loaded engine.model.Mapperatorinator (None: none
    loaded now, nothing to do) when the job starts, so a queued job never keeps an unloaded model alive.
    `options`: engine.maimod.MaiModOptions. The song named by the map's AudioFilename is decoded once per
    version of that file; a map in a mode the model does not know gets no MaiMod findings."""
    cache: dict[tuple[Path, int, int], Any] = {}

    def run(saved: SavedFile, ctx: JobContext) -> list[Finding]:
        from engine.audio import load_audio
        from engine.maimod import MaiModOptions, mai_mod
        from engine.osu import OsuFormatError, parse_beatmap

        network = model()
        if network is None:
            return []
        try:
            beatmap = parse_beatmap(saved.data, str(saved.path))
        except OsuFormatError:
            return []  # the rule checks report it
        if beatmap.mode not in network.checkpoint.tokenizer.profile.gamemodes:
            log.info("%s: MaiMod skipped, the loaded model does not know mode %s", saved.path.name, beatmap.mode_name)
            return []
        song = saved.path.parent / beatmap.general.audio_filename
        try:
            stat = song.stat()
        except OSError:
            raise ValueError(f"{saved.path.name}: its song {song} cannot be read; MaiMod needs it") from None
        key = (song, stat.st_mtime_ns, stat.st_size)
        if key not in cache:
            cache.clear()
            cache[key] = load_audio(song)
        ctx.cancel.raise_if_cancelled()
        return mai_mod(network, beatmap, cache[key], options or MaiModOptions(),
                       progress=lambda done, total: ctx.progress(done / total, f"MaiMod window {done}/{total}"),
                       cancel=ctx.cancel)

    return run


def diff_key(finding: Finding) -> tuple[object, ...]:
    """What makes two findings the same issue across saves.

    Not `Finding.id`: that includes object indices and line numbers, which shift for every finding after
    an object the mapper inserted. Times in a .osu are absolute, so check + file + time + message is stable.
    """
    return (finding.check, finding.file, finding.start_ms, finding.end_ms, finding.message)


@dataclass
class FindingsHistory:
    """The last findings per (file, source), to tell new and fixed findings apart. Thread-safe.

    Findings with equal `diff_key` (two mania notes at one time, say) are counted, not merged.
    """

    _last: dict[tuple[Path, Source], dict[tuple[object, ...], list[Finding]]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def update(self, path: Path, source: Source, findings: Iterable[Finding]) -> tuple[tuple[Finding, ...], tuple[Finding, ...]]:
        """Remember `findings` as the latest; return (new, fixed) relative to the previous ones."""
        current: dict[tuple[object, ...], list[Finding]] = {}
        for finding in findings:
            current.setdefault(diff_key(finding), []).append(finding)
        with self._lock:
            previous = self._last.get((path, source), {})
            self._last[(path, source)] = current
        new = tuple(f for key, group in current.items() for f in group[len(previous.get(key, ())) :])
        fixed = tuple(f for key, group in previous.items() for f in group[len(current.get(key, ())) :])
        return new, fixed


class AutoMod:
    """Turns saves into published findings; see the module doc.

    `publish` receives each `FindingsReport` (on the event loop when `on_saved` is used). `maimod` is the
    MaiMod runner while a model is loaded, None otherwise (the daemon sets the attribute as models come and
    go); its jobs go to `jobs` on the lane of `device`. `bookmarks` mirrors each save's rule findings into
    its bookmarks once `mirror_bookmarks(True)` turned that on (after the findings are published, in a
    writer thread of its own); `on_bookmarks` receives each of its writes, on the event loop.
    """

    def __init__(
        self,
        publish: Callable[[FindingsReport], object],
        *,
        checks: RuleChecks = rule_checks,
        jobs: JobQueue | None = None,
        maimod: MaiMod | None = None,
        device: str | None = None,
        bookmarks: BookmarkMirror | None = None,
        on_bookmarks: Callable[[BookmarkWrite], object] = lambda written: None,
    ) -> None:
        self.publish = publish
        self.checks = checks
        self.jobs = jobs
        self.maimod = maimod
        self.device = device
        self.bookmarks = bookmarks
        self.on_bookmarks = on_bookmarks
        self.history = FindingsHistory()
        self._mirroring = False
        # One thread each: reports of one file come out in save order, and so do its bookmark writes.
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="maid-checks")
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="maid-bookmarks")
        self._tasks: set[asyncio.Task[None]] = set()  # the loop keeps only weak references to tasks

    def check(self, saved: SavedFile) -> FindingsReport:
        """Rule checks on one save, compared with the previous report of that file (blocking; any thread)."""
        return self._report(saved, "rules", self.checks(saved.path, saved.data))

    async def on_saved(self, saved: SavedFile) -> None:
        """On the event loop: queue MaiMod (superseding the last save's), rule checks in the worker thread, publish."""
        loop = asyncio.get_running_loop()
        if self.maimod is not None and self.jobs is not None:
            job = self.jobs.submit(JobSpec("maimod", partial(self.maimod, saved), Priority.BACKGROUND, file=saved.path,
                                           device=self.device, title=f"MaiMod {saved.path.name}"))
            self._spawn(self._publish_maimod(job, saved))
        try:
            report = await loop.run_in_executor(self._executor, self.check, saved)
        except Exception:
            log.exception("the rule checks failed on %s; no findings published for this save", saved.path)
            return
        self.publish(report)
        if self._mirroring and self.bookmarks is not None:
            snapshot = Snapshot(saved.path, saved.data, saved.sha256)
            self.on_bookmarks(await loop.run_in_executor(self._writer, self.bookmarks.mirror, snapshot, report.findings))

    def submit(self, saved: SavedFile) -> None:
        """`on_saved` as a plain callback for `daemon.watcher.in_loop`: schedules it on the running loop."""
        self._spawn(self.on_saved(saved))

    def mirror_bookmarks(self, on: bool) -> None:
        """On the event loop: mirror findings into bookmarks from the next save on, or stop and take maid's
        bookmarks out of every file that has them (after the writes already queued)."""
        was, self._mirroring = self._mirroring, on and self.bookmarks is not None
        if was and not self._mirroring:
            self._spawn(self._clear_bookmarks())

    def close(self) -> None:
        """Stop the check worker (a check in progress finishes; queued ones are dropped); queued bookmark
        writes still finish, so that switching them off is never left half done."""
        self._executor.shutdown(wait=False, cancel_futures=True)
        self._writer.shutdown(wait=False)

    async def _clear_bookmarks(self) -> None:
        assert self.bookmarks is not None
        for written in await asyncio.get_running_loop().run_in_executor(self._writer, self.bookmarks.clear_all):
            self.on_bookmarks(written)

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _report(self, saved: SavedFile, source: Source, findings: Sequence[Finding]) -> FindingsReport:
        new, fixed = self.history.update(saved.path, source, findings)
        latency = time.monotonic() - saved.event_at
        return FindingsReport(saved.path, saved.sha256, source, tuple(findings), new, fixed, latency)

    async def _publish_maimod(self, job: Job, saved: SavedFile) -> None:
        assert self.jobs is not None
        await self.jobs.wait(job)
        # Superseded (even when it finished before it saw the cancel), cancelled or failed: nothing to publish.
        if job.state is JobState.DONE and not job.superseded:
            self.publish(self._report(saved, "maimod", job.result))

