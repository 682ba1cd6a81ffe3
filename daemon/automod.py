"""Auto-modding on save: the rule checks at once, MaiMod in the background, findings published with what is new.

Each `SavedFile` from the watcher is parsed and rule-checked in a worker thread (the event loop never
waits on a parse) and published as a `FindingsReport`: the findings, which of them are new since the
previous report of that file and which are gone. When a MaiMod runner is set (a model is loaded) a
MaiMod run is queued after the rule checks; the next save of the same file cancels it and queues its own
(supersede), so only the newest content is analysed and a stale MaiMod report is never published.

Until daemon/jobs.py carries background jobs, the supersede is a small cancel-and-replace per file here
(`_Background`): one MaiMod worker thread, a cancel event per run that MaiMod checks between windows.

This module never writes files, never raises into the watcher or the event loop (a failing check run is
logged and published as nothing), and never runs MaiMod for content that a newer save replaced.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from daemon.watcher import SavedFile
from engine.findings import Finding, Severity, Source

log = logging.getLogger(__name__)

RuleChecks = Callable[[Path, bytes], list[Finding]]
# MaiMod on one file's content; returns its findings, or stops early once `cancel` is set (result ignored).
MaiMod = Callable[[Path, bytes, threading.Event], Sequence[Finding]]


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
        """The `findings/publish` payload (also `maid watch --json`)."""
        new_ids = {finding.id for finding in self.new}
        return {
            "path": str(self.path),
            "sha256": self.sha256,
            "source": self.source,
            "findings": [finding.to_json() | {"new": finding.id in new_ids} for finding in self.findings],
            "fixed": [finding.to_json() for finding in self.fixed],
            "latency_ms": round(self.latency_s * 1000, 1),
        }


def rule_checks(path: Path, data: bytes) -> list[Finding]:
    """Parse one saved difficulty and run the rule checks on it (a file osu! cannot load is one finding)."""
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
    return run_checks(beatmap)


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


@dataclass
class _Run:
    cancel: threading.Event
    task: asyncio.Task[None]


class AutoMod:
    """Turns saves into published findings; see the module doc.

    `publish` receives each `FindingsReport` (on the event loop when `on_saved` is used). `maimod` is the
    MaiMod runner while a model is loaded, None otherwise; the daemon sets the attribute as models come and go.
    """

    def __init__(
        self,
        publish: Callable[[FindingsReport], object],
        *,
        checks: RuleChecks = rule_checks,
        maimod: MaiMod | None = None,
        executor: Executor | None = None,
    ) -> None:
        self.publish = publish
        self.checks = checks
        self.maimod = maimod
        self.history = FindingsHistory()
        # One thread each: reports of one file come out in save order, and MaiMod has one model worker.
        self._executor = executor or ThreadPoolExecutor(1, thread_name_prefix="maid-checks")
        self._maimod_executor = ThreadPoolExecutor(1, thread_name_prefix="maid-maimod")
        self._background: dict[Path, _Run] = {}

    def check(self, saved: SavedFile) -> FindingsReport:
        """Rule checks on one save, compared with the previous report of that file (blocking; any thread)."""
        findings = self.checks(saved.path, saved.data)
        return self._report(saved, "rules", findings)

    async def on_saved(self, saved: SavedFile) -> None:
        """On the event loop: rule checks in the worker thread, publish, then queue MaiMod (superseding)."""
        loop = asyncio.get_running_loop()
        self._cancel_background(saved.path)  # a newer content exists: an older MaiMod run is moot
        try:
            report = await loop.run_in_executor(self._executor, self.check, saved)
        except Exception:
            log.exception("the rule checks failed on %s; no findings published for this save", saved.path)
            return
        self.publish(report)
        if self.maimod is not None:
            cancel = threading.Event()
            task = loop.create_task(self._run_maimod(self.maimod, saved, cancel))
            self._background[saved.path] = _Run(cancel, task)

    def submit(self, saved: SavedFile) -> None:
        """`on_saved` as a plain callback for `in_loop`: schedules it on the running loop."""
        asyncio.get_running_loop().create_task(self.on_saved(saved))

    async def aclose(self) -> None:
        """Cancel background runs and stop the worker threads (a MaiMod window in progress finishes first)."""
        for path in list(self._background):
            self._cancel_background(path)
        self._executor.shutdown(wait=False, cancel_futures=True)
        self._maimod_executor.shutdown(wait=False, cancel_futures=True)

    def _report(self, saved: SavedFile, source: Source, findings: Sequence[Finding]) -> FindingsReport:
        new, fixed = self.history.update(saved.path, source, findings)
        latency = time.monotonic() - saved.event_at
        return FindingsReport(saved.path, saved.sha256, source, tuple(findings), new, fixed, latency)

    def _cancel_background(self, path: Path) -> None:
        run = self._background.pop(path, None)
        if run is not None:
            run.cancel.set()
            run.task.cancel()

    async def _run_maimod(self, maimod: MaiMod, saved: SavedFile, cancel: threading.Event) -> None:
        loop = asyncio.get_running_loop()
        try:
            findings = await loop.run_in_executor(self._maimod_executor, maimod, saved.path, saved.data, cancel)
        except asyncio.CancelledError:
            return
        except Exception:
            log.exception("MaiMod failed on %s; its findings for this save are not published", saved.path)
            return
        finally:
            run = self._background.get(saved.path)
            if run is not None and run.cancel is cancel:
                del self._background[saved.path]
        if not cancel.is_set():
            self.publish(self._report(saved, "maimod", findings))
