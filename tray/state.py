"""What the tray knows about the daemon, and how each event changes it.

`TrayState` is frozen plain data; `apply(state, event)` returns the next state (a pure function, so every
daemon state can be built in a test without a daemon or a display). Events are the link's (connected,
notification, status refreshed, disconnected, gave up) and the actions' (action failed, dismissed). Whether
the daemon is paused is the daemon's (`status.paused`, `daemon/paused`): the user's pause only; the daemon's
hold on model work while osu! is in play mode (`holds`, `jobs/holds`) is silent here. The last write that can
be undone comes from the journal at connect and from `file/written` after. Notices the user should see
(findings after a save, a job done or failed, a conflict, "reload the map") are collected in `state.notices`
until the app shows them.

This module must never do I/O: no network, no files, no display.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import PurePath
from typing import Any, Literal

from daemon.api.models import (
    EditDroppedParams,
    ErrorCode,
    FileWrittenParams,
    FindingsPublishParams,
    JobDoneParams,
    JobProgressParams,
    PauseState,
    StatusResult,
)
from daemon.bookmarks import MIRROR_JOB

Connection = Literal["connecting", "connected", "unreachable", "gone"]
SEVERITIES = ("error", "problem", "warning", "minor", "info")  # most serious first (engine.findings.Severity)
QUIET_JOBS = {"check", "maimod"}  # their outcome is announced by findings/publish, not by job/done


@dataclass(frozen=True)
class Notice:
    title: str
    message: str


@dataclass(frozen=True)
class RunningJob:
    id: str
    kind: str
    file: str | None
    progress: float
    message: str


@dataclass(frozen=True)
class Conflict:
    """maid's edit of `file` was not written or was dropped by a save; `reapply` writes it again when possible."""

    file: str
    message: str
    reapply: bool


@dataclass(frozen=True)
class TrayState:
    connection: Connection = "connecting"
    reason: str = ""  # why the daemon cannot be reached
    status: StatusResult | None = None
    settings: dict[str, Any] = field(default_factory=dict)  # config/get: dotted key -> value
    available: frozenset[str] = frozenset()  # methods the daemon answers now (initialize capabilities)
    jobs: tuple[RunningJob, ...] = ()
    editor: dict[str, Any] | None = None  # the last editor/state; None = osu!'s editor not found
    findings: dict[str, tuple[dict[str, Any], ...]] = field(default_factory=dict)  # "file\0source" -> findings
    current_file: str | None = None  # the map the findings are shown for
    last_write: str | None = None  # the file maid last changed (backed up first): what "undo last write" restores
    conflicts: tuple[Conflict, ...] = ()
    paused: bool = False  # the user's pause of the daemon (daemon/pause), not its play-mode hold
    error: str | None = None  # the last failure, shown until dismissed
    notices: tuple[Notice, ...] = ()


# ---- events --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Connected:
    initialize: dict[str, Any]
    status: dict[str, Any]
    settings: dict[str, Any]
    jobs: list[dict[str, Any]]
    journal: list[dict[str, Any]] = field(default_factory=list)  # the newest write-back journal entries, oldest first


@dataclass(frozen=True)
class StatusRefreshed:
    status: dict[str, Any]
    settings: dict[str, Any]


@dataclass(frozen=True)
class Notified:
    method: str
    params: dict[str, Any]


@dataclass(frozen=True)
class Disconnected:
    reason: str


@dataclass(frozen=True)
class GaveUp:
    reason: str


@dataclass(frozen=True)
class ActionFailed:
    action: str
    message: str
    code: int | None = None  # the daemon's error code, when the daemon refused
    file: str | None = None  # the .osu the action was about


@dataclass(frozen=True)
class Dismissed:
    pass


Event = Connected | StatusRefreshed | Notified | Disconnected | GaveUp | ActionFailed | Dismissed


def apply(state: TrayState, event: Event) -> TrayState:
    """The state after `event`."""
    match event:
        case Connected():
            status = StatusResult.model_validate(event.status)
            return replace(
                state,
                connection="connected",
                reason="",
                status=status,
                paused=status.paused,
                settings=dict(event.settings),
                available=_available(event.initialize),
                jobs=tuple(
                    RunningJob(j["id"], j["kind"], j.get("file"), j.get("progress", 0.0), j.get("message", ""))
                    for j in event.jobs
                    if j.get("state") in ("queued", "running")
                ),
                last_write=last_undoable(event.journal) or state.last_write,
                error=None,
            )
        case StatusRefreshed():
            status = StatusResult.model_validate(event.status)
            return replace(state, status=status, paused=status.paused, settings=dict(event.settings))
        case Notified():
            return _notified(state, event.method, event.params)
        case Disconnected():
            return replace(state, connection="unreachable", reason=event.reason, jobs=())
        case GaveUp():
            return replace(state, connection="gone", reason=event.reason, jobs=())
        case ActionFailed():
            if event.code == ErrorCode.CONFLICT and event.file is not None:
                conflict = Conflict(event.file, event.message, reapply=False)
                state = replace(state, conflicts=tuple(c for c in state.conflicts if c.file != event.file) + (conflict,))
            return _notice(replace(state, error=event.message), f"maid: {event.action} failed", event.message)
        case Dismissed():
            return replace(state, error=None, conflicts=())
    raise TypeError(f"not a tray event: {event!r}")


def last_undoable(journal: list[dict[str, Any]]) -> str | None:
    """The file of the newest journal entry that backed a file up before changing it (a write, restore or
    undo; not a new file): what "undo last write" restores."""
    return next((str(e["file"]) for e in reversed(journal) if e.get("backup") and e.get("file")), None)


def _available(initialize: dict[str, Any]) -> frozenset[str]:
    capabilities = initialize.get("capabilities", {})
    return frozenset(capabilities.get("methods", [])) - frozenset(capabilities.get("unavailable", {}))


def _notice(state: TrayState, title: str, message: str) -> TrayState:
    return replace(state, notices=state.notices + (Notice(title, message),))


def _notified(state: TrayState, method: str, params: dict[str, Any]) -> TrayState:
    if method == "job/progress":
        p = JobProgressParams.model_validate(params)
        job = RunningJob(p.id, p.kind, p.file, p.progress, p.message)
        jobs = tuple(job if j.id == p.id else j for j in state.jobs)
        return replace(state, jobs=jobs if any(j.id == p.id for j in state.jobs) else jobs + (job,))
    if method == "job/done":
        return _job_done(state, JobDoneParams.model_validate(params))
    if method == "findings/publish":
        return _findings(state, FindingsPublishParams.model_validate(params))
    if method == "file/written":
        written = FileWrittenParams.model_validate(params)
        hint = f"{written.reload_hint}." + (" The change is AI-generated: disclose it (unrankable)." if written.ai else "")
        undoable = written.path if written.backup is not None else state.last_write  # a new file has nothing to undo to
        if written.job == MIRROR_JOB:  # the findings as bookmarks, after every save: the findings were the news
            return replace(state, last_write=undoable)
        return _notice(replace(state, last_write=undoable), f"maid wrote {file_name(written.path)}", hint)
    if method == "daemon/paused":
        pause = PauseState.model_validate(params)
        works = "maid works again" + ("; model jobs wait until osu! leaves play mode" if "play" in pause.holds else "")
        return _notice(replace(state, paused=pause.paused), "maid paused" if pause.paused else "maid resumed",
                       "auto-mod on save, hotkeys and model jobs wait until you resume" if pause.paused else works)
    if method == "edit/dropped":
        dropped = EditDroppedParams.model_validate(params)
        conflict = Conflict(dropped.file, f"a save dropped maid's edit ({dropped.summary})", reapply=True)
        others = tuple(c for c in state.conflicts if c.file != dropped.file)
        return _notice(replace(state, conflicts=others + (conflict,)), f"maid: {file_name(dropped.file)} lost maid's edit", dropped.hint)
    if method == "editor/action":  # a hotkey's outcome (daemon.editor)
        ok, name = bool(params.get("ok")), str(params.get("action", "hotkey")).replace("_", " ")
        message = str(params.get("message") or "")
        return _notice(state if ok else replace(state, error=message), f"maid: {name}" + ("" if ok else " failed"), message)
    if method == "editor/state":
        editor = params.get("state")
        editor = editor if isinstance(editor, dict) and editor else None
        opened = editor_file(editor)
        return replace(state, editor=editor, current_file=opened or state.current_file)
    return state  # a notification this tray does not know yet


def _job_done(state: TrayState, done: JobDoneParams) -> TrayState:
    state = replace(state, jobs=tuple(j for j in state.jobs if j.id != done.id))
    if done.kind in QUIET_JOBS and done.state != "failed":
        return state
    what = f"{done.kind}" + (f" of {file_name(done.file)}" if done.file else "")
    if done.state == "failed":
        return _notice(replace(state, error=f"{what} failed: {done.error}"), f"maid: {what} failed", done.error or "no reason given")
    if done.state == "done":
        return _notice(state, f"maid: {what} done", "finished")
    return state  # cancelled or superseded: the user asked for it


def _findings(state: TrayState, report: FindingsPublishParams) -> TrayState:
    findings = dict(state.findings)
    findings[f"{report.file}\0{report.source}"] = tuple(report.findings)
    state = replace(state, findings=findings, current_file=editor_file(state.editor) or report.file)
    if not report.findings and not report.fixed:
        return state
    counts = severity_counts(report.findings)
    parts = [f"{n} {sev}{'s' if n != 1 else ''}" for sev, n in counts.items()] or ["no findings"]
    new = sum(1 for f in report.findings if f.get("new"))
    extra = [f"{new} new"] if new else []
    extra += [f"{len(report.fixed)} fixed"] if report.fixed else []
    tail = f" ({', '.join(extra)})" if extra else ""
    return _notice(state, f"maid: {file_name(report.file)} ({report.source})", ", ".join(parts) + tail)


# ---- views the menu and the icon share ----------------------------------------------------------


def editor_file(editor: dict[str, Any] | None) -> str | None:
    """The .osu the game has open, when the editor state says (`beatmap_path`)."""
    if editor is None:
        return None
    value = editor.get("beatmap_path")
    return value if isinstance(value, str) and value else None


def current_findings(state: TrayState) -> list[dict[str, Any]]:
    """The current map's findings from every source, most serious first, then by time."""
    if state.current_file is None:
        return []
    found = [f for key, fs in state.findings.items() if key.split("\0")[0] == state.current_file for f in fs]
    return sorted(found, key=lambda f: (_rank(f.get("severity")), f.get("start_ms") is None, f.get("start_ms") or 0.0))


def severity_counts(findings: list[dict[str, Any]] | tuple[dict[str, Any], ...]) -> dict[str, int]:
    """Counts by severity, most serious first (severities with none left out)."""
    counts = Counter(str(f.get("severity")) for f in findings)
    return {sev: counts[sev] for sev in sorted(counts, key=_rank)}


def _rank(severity: Any) -> int:
    return SEVERITIES.index(severity) if severity in SEVERITIES else len(SEVERITIES)


def file_name(path: str | None) -> str:
    return PurePath(path).name if path else "?"
