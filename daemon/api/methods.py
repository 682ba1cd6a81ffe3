"""The API's method handlers, registered on `rpc` with their params and result models.

A handler gets the `RequestContext` (the daemon's services, the server and the calling client) and a
validated params model; it answers a result model or raises `RpcError`. The methods that need the model
live in daemon.api.generation (imported at the end, so that `rpc` holds every method). File writes run in
worker threads (they fsync) and are announced with `file/written`.

Handlers must never touch a Songs folder except through `WriteBack`, and never block the event loop.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import Field

from daemon.api.dispatch import Dispatcher, RpcError
from daemon.api.models import (
    BackupInfo,
    BackupsJournalParams,
    BackupsJournalResult,
    BackupsListParams,
    BackupsListResult,
    BackupsRestoreParams,
    CancelRequestParams,
    ConfigGetParams,
    ConfigGetResult,
    ConfigSetParams,
    ConfigSetResult,
    EditorRunParams,
    EditorRunResult,
    Empty,
    ErrorCode,
    FileParams,
    FindingsApplyParams,
    FindingsPublishParams,
    InitializeParams,
    InitializeResult,
    JobCounts,
    JobInfo,
    JobsCancelParams,
    JobsCancelResult,
    JobsListResult,
    Model,
    ModelLoadParams,
    ModelStatus,
    NOTIFICATIONS,
    NoParams,
    PauseParams,
    PauseState,
    ServerCapabilities,
    ServerInfo,
    StatusResult,
    WriteResultInfo,
)
from daemon.automod import AutoMod, FindingsReport, maimod_runner
from daemon.config import ConfigError, Paths, Settings, env_overridden, flat_values, load_settings, set_value
from daemon.jobs import Hold, Job, JobContext, JobQueue, JobSpec, JobState, Priority
from daemon.models import ModelError, ModelManager
from daemon.watcher import SavedFile, Watcher
from daemon.writeback import Edit, NoSuchBackup, Provenance, Region, Retention, WriteBack, WriteBackError, WriteConflict, WriteResult
from engine.findings import Finding

if TYPE_CHECKING:
    from daemon.api.server import ApiServer, Client
    from daemon.editor import EditorLink

log = logging.getLogger(__name__)

rpc = Dispatcher()

SHUTDOWN_GRACE_S = 0.2
# the others apply at the next start
LIVE_SETTINGS = {"backups.keep_count", "backups.keep_days", "automod_on_save", "maimod", "model_idle_unload_minutes",
                 "auto_reload", "bookmark_findings"}
DROPPED_HINT = "the editor saved without reloading maid's change; call edits/reapply to write it again, then reload (stable: Ctrl+L)"
RELOAD_HINT = "reload the map in osu!: stable Ctrl+L (Revert to Saved), lazer: finish the external edit"

UNAVAILABLE: dict[str, str] = {}  # method -> what this build lacks to serve it (none now); answered NOT_AVAILABLE
MODEL_METHODS = ("mod", "remap", "guestDifficulty", "hitsound", "timing")  # answer MODEL_NOT_INSTALLED without weights


@dataclass
class Services:
    """The daemon's state that handlers reach. Owned by daemon.app; `settings` is replaced on config/set."""

    version: str
    paths: Paths
    settings: Settings
    writeback: WriteBack
    jobs: JobQueue
    models: ModelManager
    automod: AutoMod
    watcher: Watcher | None  # None while no Songs folder is set
    shutdown: asyncio.Event
    started: float
    songs_folder: Path | None = None  # the folder watched: the setting, the osu! install's, or the demo copy
    songs_folder_source: str = "none"  # "config", "osu! install", "demo" or "none"
    overrides: dict[str, Any] = field(default_factory=dict)  # `maid start` flags: they win over config/set until a restart
    findings: dict[tuple[Path, str], dict[str, Finding]] = field(default_factory=dict)  # (file, source) -> id -> finding
    editor: EditorLink | None = None  # the editor link and hotkeys (daemon.editor), once started


@dataclass
class RequestContext:
    services: Services
    server: ApiServer
    client: Client


# ---- lifecycle --------------------------------------------------------------------------------


@rpc.method("initialize", InitializeParams, InitializeResult)
async def initialize(ctx: RequestContext, params: InitializeParams) -> InitializeResult:
    """Start a session: the server's version and capabilities; notifications flow from now on."""
    ctx.client.initialized = True
    ctx.client.client_name = params.client_info.name if params.client_info else None
    unavailable = {name: f"not available yet: needs {need}" for name, need in UNAVAILABLE.items()}
    if (missing := (await model_status(ctx.services)).missing) is not None:
        unavailable |= {name: missing for name in MODEL_METHODS}
    return InitializeResult(
        server_info=ServerInfo(name="maid", version=ctx.services.version),
        capabilities=ServerCapabilities(
            methods=sorted(n for n, m in rpc.methods.items() if m.result is not None and n not in UNAVAILABLE),
            notifications=sorted(NOTIFICATIONS),
            unavailable=unavailable,
        ),
    )


@rpc.method("status", NoParams, StatusResult)
async def status(ctx: RequestContext, params: NoParams) -> StatusResult:
    """What the daemon is doing: uptime, clients, jobs, model, where its files are."""
    s = ctx.services
    queued, running = s.jobs.counts()
    return StatusResult(
        version=s.version,
        pid=os.getpid(),
        uptime_s=round(time.time() - s.started, 3),
        port=ctx.server.port,
        clients=len(ctx.server.clients),
        jobs=JobCounts(queued=queued, running=running),
        model=await model_status(s),
        config_file=str(s.paths.config_file),
        backup_folder=str(s.writeback.backup_root),
        songs_folder=str(s.songs_folder) if s.songs_folder else None,
        songs_folder_source=s.songs_folder_source,  # type: ignore[arg-type]
        watched_folders=len(s.watcher.watched_folders) if s.watcher else 0,
        paused=Hold.USER in s.jobs.holds,
        holds=s.jobs.holds,
    )


@rpc.method("shutdown", NoParams, Empty)
async def shutdown(ctx: RequestContext, params: NoParams) -> Empty:
    """Stop the daemon cleanly (what `maid stop` calls); the reply goes out before the connections close."""
    asyncio.get_running_loop().call_later(SHUTDOWN_GRACE_S, ctx.services.shutdown.set)
    return Empty()


@rpc.method("daemon/pause", PauseParams, PauseState)
async def daemon_pause(ctx: RequestContext, params: PauseParams) -> PauseState:
    """Pause or resume everything maid does on its own: while paused, saves are not auto-modded, hotkeys and
    editor/run do nothing, and queued model jobs wait (running ones finish). Every client is told with
    `daemon/paused`. A restart resumes: the pause is not kept. The pause is the job queue's `user` hold: after a
    resume, model work still waits while another hold is on (`holds`, e.g. `play`)."""
    jobs = ctx.services.jobs
    changed = jobs.hold(Hold.USER) if params.paused else jobs.release(Hold.USER)
    if changed:
        log.info("maid %s (asked by client %s)", "paused" if params.paused else "resumed", ctx.client.client_name or ctx.client.id)
        ctx.server.broadcast("daemon/paused", {"paused": params.paused, "holds": jobs.holds})
    return PauseState(paused=params.paused, holds=jobs.holds)


@rpc.method("$/cancelRequest", CancelRequestParams, None)
async def cancel_request(ctx: RequestContext, params: CancelRequestParams) -> None:
    """Notification: cancel one of this client's requests still running; it answers REQUEST_CANCELLED."""
    rpc.cancel(ctx.client.session, params.id)


async def model_status(s: Services) -> ModelStatus:
    """What is loaded; when nothing is, whether the configured model is installed and how to get it."""
    status = {"source": s.settings.model_source, "device": s.settings.device} | s.models.status()
    if not status["loaded"]:
        missing = await asyncio.to_thread(s.models.missing, s.settings.model_source)
        status |= {"installed": missing is None, "missing": missing}
    return ModelStatus.model_validate(status)


@rpc.method("model/load", ModelLoadParams, ModelStatus)
async def model_load(ctx: RequestContext, params: ModelLoadParams) -> ModelStatus:
    """Load a checkpoint onto its device (a job on that device's lane), replacing the loaded one."""
    s = ctx.services
    source = params.source or s.settings.model_source
    try:
        await s.models.load(source, params.device or s.settings.device, params.dtype or s.settings.dtype)
    except ModelError as exc:
        code = ErrorCode.MODEL_NOT_INSTALLED if not exc.installed else ErrorCode.INTERNAL_ERROR
        raise RpcError(code, str(exc), {"source": source}) from exc
    return await model_status(s)


@rpc.method("model/unload", NoParams, ModelStatus)
async def model_unload(ctx: RequestContext, params: NoParams) -> ModelStatus:
    """Free the loaded model (after the jobs already queued on its device)."""
    await ctx.services.models.unload()
    return await model_status(ctx.services)


# ---- config -----------------------------------------------------------------------------------


@rpc.method("config/get", ConfigGetParams, ConfigGetResult)
async def config_get(ctx: RequestContext, params: ConfigGetParams) -> ConfigGetResult:
    """Every setting (dotted keys), or the one named by `key`."""
    values = flat_values(ctx.services.settings)
    if params.key is None:
        return ConfigGetResult(values=values)
    if params.key not in values:
        raise RpcError(ErrorCode.INVALID_PARAMS, f"unknown setting {params.key!r}; known settings: {', '.join(values)}")
    return ConfigGetResult(values={params.key: values[params.key]})


@rpc.method("config/set", ConfigSetParams, ConfigSetResult)
async def config_set(ctx: RequestContext, params: ConfigSetParams) -> ConfigSetResult:
    """Change one setting in the config file (comments kept); refused with the allowed range when invalid."""
    s = ctx.services
    try:
        await asyncio.to_thread(set_value, s.paths, params.key, params.value)
        s.settings = await asyncio.to_thread(load_settings, s.paths, s.overrides)
    except ConfigError as exc:
        raise RpcError(ErrorCode.INVALID_PARAMS, str(exc)) from exc
    apply_live_settings(s)
    value = flat_values(s.settings)[params.key]
    flag = f"command-line flag --{params.key.replace('_', '-')}" if params.key in s.overrides else None
    return ConfigSetResult(key=params.key, value=value, overridden_by=flag or env_overridden(params.key),
                           restart_required=params.key not in LIVE_SETTINGS)


def apply_live_settings(s: Services) -> None:
    """Make the settings that apply at once take effect: backup retention, findings as bookmarks and MaiMod on save
    (which runs only while a model is loaded and `maimod` is on). The idle unload and auto-mod on save read the
    settings each time."""
    s.writeback.retention = Retention(s.settings.backups.keep_count, s.settings.backups.keep_days)
    s.automod.mirror_bookmarks(s.settings.bookmark_findings)
    loaded = s.models.current
    if loaded is not None and s.settings.maimod:
        s.automod.maimod = maimod_runner(lambda: s.models.current.model if s.models.current else None)
        s.automod.device = loaded.device
    else:
        s.automod.maimod = None


# ---- jobs -------------------------------------------------------------------------------------


@rpc.method("jobs/list", NoParams, JobsListResult)
async def jobs_list(ctx: RequestContext, params: NoParams) -> JobsListResult:
    """Running and queued jobs in run order, then finished ones, newest first."""
    jobs = ctx.services.jobs
    return JobsListResult(jobs=[JobInfo.model_validate(job.info()) for job in jobs.list()], holds=jobs.holds)


@rpc.method("jobs/cancel", JobsCancelParams, JobsCancelResult)
async def jobs_cancel(ctx: RequestContext, params: JobsCancelParams) -> JobsCancelResult:
    """Cancel a queued job, or ask a running one to stop at its next window."""
    job = ctx.services.jobs.cancel(params.id)
    if job is None:
        raise RpcError(ErrorCode.NOT_FOUND, f"no job {params.id!r}; see jobs/list")
    return JobsCancelResult(id=job.id, state=job.state.value)


async def run_job(ctx: RequestContext, spec: JobSpec) -> Job:
    """Submit `spec` and wait for it; cancelling the request cancels the job."""
    jobs = ctx.services.jobs
    job = jobs.submit(spec)
    try:
        return await jobs.wait(job)
    except asyncio.CancelledError:
        jobs.cancel(job.id)
        raise


# ---- editor -----------------------------------------------------------------------------------


@rpc.method("editor/run", EditorRunParams, EditorRunResult)
async def editor_run(ctx: RequestContext, params: EditorRunParams) -> EditorRunResult:
    """Run what a hotkey runs (remap or hitsound the editor's selection, check the open map, undo maid's last
    write), as if it was pressed. Answers once the action's job is queued, or when it ended without one; its
    outcome is sent to every client as editor/action."""
    link = ctx.services.editor
    if link is None:
        raise RpcError(ErrorCode.NOT_AVAILABLE, "the editor link is not running (maid is starting or stopping); try again")
    queued: asyncio.Future[Job] = asyncio.get_running_loop().create_future()
    action = link.start(params.action, lambda job: queued.done() or queued.set_result(job))
    await asyncio.wait({action, queued}, return_when=asyncio.FIRST_COMPLETED)
    job_id = queued.result().id if queued.done() else None
    if not action.done():
        return EditorRunResult(action=params.action, job_id=job_id, message=f"{queued.result().spec.title} queued")
    outcome = action.result()
    if not outcome.ok:
        raise RpcError(action_error_code(outcome.step, outcome.error), outcome.message, {"action": params.action, "step": outcome.step})
    return EditorRunResult(action=params.action, job_id=job_id, message=outcome.message)


def action_error_code(step: str | None, error: BaseException | None) -> ErrorCode:
    """The API error of an editor action that stopped at `step` (a FlowError's cause says why)."""
    cause = error.__cause__ if error is not None else None
    if step == "paused":
        return ErrorCode.PAUSED
    if isinstance(cause, ModelError) and not cause.installed:
        return ErrorCode.MODEL_NOT_INSTALLED
    return ErrorCode.ACTION_FAILED if step is not None else ErrorCode.INTERNAL_ERROR


# ---- backups ----------------------------------------------------------------------------------


@rpc.method("backups/list", BackupsListParams, BackupsListResult)
async def backups_list(ctx: RequestContext, params: BackupsListParams) -> BackupsListResult:
    """The backups maid took of one .osu file, newest first."""
    path = osu_path(params.path, must_exist=False)
    backups = await asyncio.to_thread(ctx.services.writeback.list_backups, path)
    return BackupsListResult(
        file=str(path),
        backups=[BackupInfo(path=str(b.path), created=b.created.isoformat(), code=b.code, size=b.size) for b in backups],  # type: ignore[arg-type]
    )


@rpc.method("backups/journal", BackupsJournalParams, BackupsJournalResult)
async def backups_journal(ctx: RequestContext, params: BackupsJournalParams) -> BackupsJournalResult:
    """Every write maid made (of one file, or all; or the newest `last`), with its provenance; and which files hold AI content."""
    path = str(osu_path(params.path, must_exist=False)) if params.path else None
    entries = [e for e in await asyncio.to_thread(ctx.services.writeback.journal) if path is None or e.get("file") == path]
    ai_files = sorted({str(e["file"]) for e in entries if e.get("kind") == "write" and e.get("provenance", {}).get("ai")})  # type: ignore[union-attr]
    return BackupsJournalResult(entries=entries[-params.last:] if params.last else entries, ai_files=ai_files)


@rpc.method("backups/restore", BackupsRestoreParams, WriteResultInfo)
async def backups_restore(ctx: RequestContext, params: BackupsRestoreParams) -> WriteResultInfo:
    """Restore a backup over the file (the current file is backed up first); without `backup`, undo."""
    path = osu_path(params.path, must_exist=True)
    wb, job = ctx.services.writeback, f"api:{ctx.client.id}"
    if params.backup is None:
        return await write_through(ctx, lambda: wb.undo(path, job))
    return await write_through(ctx, lambda: wb.restore(path, Path(params.backup or ""), job))


@rpc.method("edits/reapply", FileParams, WriteResultInfo)
async def edits_reapply(ctx: RequestContext, params: FileParams) -> WriteResultInfo:
    """Write maid's last edit of the file again, onto the file as saved now (after `edit/dropped`)."""
    path = osu_path(params.path, must_exist=True)
    return await write_through(ctx, lambda: ctx.services.writeback.reapply(path))


async def write_through(ctx: RequestContext, write: Callable[[], WriteResult]) -> WriteResultInfo:
    """Run one WriteBack call in a worker thread (it fsyncs), map its errors to JSON-RPC errors and
    announce the write to every client with `file/written` (saying whether the content is AI-made)."""
    try:
        result = await asyncio.to_thread(write)
    except WriteBackError as exc:
        raise write_error(exc) from exc
    if result.changed:
        provenance: dict[str, Any] = result.journal.get("provenance", {})  # type: ignore[assignment]
        ctx.server.broadcast(
            "file/written",
            {"path": str(result.path), "backup": str(result.backup), "sha256After": result.sha256_after,
             "job": str(result.journal.get("job", "")), "ai": bool(provenance.get("ai")), "reloadHint": RELOAD_HINT},
        )
    return WriteResultInfo(
        path=str(result.path), changed=result.changed, rebased=result.rebased,
        backup=str(result.backup) if result.backup else None,
        sha256_before=result.sha256_before, sha256_after=result.sha256_after,
    )


def warn_if_dropped(server: ApiServer, writeback: WriteBack, saved: SavedFile) -> None:
    """On every save: tell clients when it dropped maid's last edit of that file (`edit/dropped`)."""
    last = writeback.dropped_edit(saved.path, saved.data)
    if last is not None:
        server.broadcast(
            "edit/dropped",
            {"file": str(saved.path), "job": last.edit.job, "backup": str(last.result.backup), "ai": last.edit.provenance.ai,
             "summary": last.edit.provenance.summary, "hint": DROPPED_HINT},
        )


def write_error(exc: WriteBackError) -> RpcError:
    if isinstance(exc, WriteConflict):
        return RpcError(ErrorCode.CONFLICT, str(exc), {"path": str(exc.path), "pending": str(exc.pending) if exc.pending else None})
    if isinstance(exc, NoSuchBackup):
        return RpcError(ErrorCode.NOT_FOUND, str(exc), {"path": str(exc.path)})
    return RpcError(ErrorCode.WRITE_FAILED, str(exc), {"path": str(exc.path)})


def osu_path(raw: str, must_exist: bool) -> Path:
    path = Path(raw).expanduser()
    if not path.is_absolute():
        raise RpcError(ErrorCode.INVALID_PARAMS, f"invalid params: path must be absolute, got {raw!r}")
    if path.suffix.lower() != ".osu":
        raise RpcError(ErrorCode.INVALID_PARAMS, f"invalid params: {raw!r} is not a .osu file")
    if must_exist and not path.is_file():
        raise RpcError(ErrorCode.NOT_FOUND, f"{path} does not exist")
    return path


# ---- engine methods ---------------------------------------------------------------------------


class FindingsResult(Model):
    job_id: str
    state: str
    report: FindingsPublishParams | None = Field(None, description="what findings/publish carried; none when cancelled")


@rpc.method("check", FileParams, FindingsResult)
async def check(ctx: RequestContext, params: FileParams) -> FindingsResult:
    """Run the rule checks on one .osu file now (a requested CPU job); the report is also published."""
    path = osu_path(params.path, must_exist=True)
    snapshot = await asyncio.to_thread(ctx.services.writeback.read, path)
    saved = SavedFile(path, snapshot.data, snapshot.sha256, time.monotonic())

    def run(job_ctx: JobContext) -> FindingsReport:
        job_ctx.progress(0.0, f"checking {path.name}")
        return ctx.services.automod.check(saved)

    job = await run_job(ctx, JobSpec("check", run, Priority.REQUESTED, file=path, title=f"check {path.name}"))
    if job.state is JobState.FAILED:
        raise RpcError(ErrorCode.INTERNAL_ERROR, f"the checks on {path} failed: {job.error}")
    if job.state is not JobState.DONE:
        return FindingsResult(job_id=job.id, state=job.state.value)
    publish_findings(ctx.server, ctx.services, job.result)
    return FindingsResult(job_id=job.id, state=job.state.value, report=FindingsPublishParams.model_validate(job.result.to_json()))


def publish_findings(server: ApiServer, services: Services, report: FindingsReport) -> None:
    """Send a report to every client and keep its findings, so that `findings/apply` can apply their fixes."""
    services.findings[(report.path, report.source)] = {finding.id: finding for finding in report.findings}
    server.broadcast("findings/publish", report.to_json())


@rpc.method("findings/apply", FindingsApplyParams, WriteResultInfo)
async def findings_apply(ctx: RequestContext, params: FindingsApplyParams) -> WriteResultInfo:
    """Apply the fixes of published findings (by id) to the file, through write-back (backup, journal)."""
    from engine.checks import FixConflict, apply_fixes
    from engine.osu import parse_beatmap

    path = osu_path(params.path, must_exist=True)
    published = {fid: f for (file, _), found in ctx.services.findings.items() if file == path for fid, f in found.items()}
    unknown = [fid for fid in params.finding_ids if fid not in published]
    if unknown:
        raise RpcError(ErrorCode.NOT_FOUND, f"no published finding {', '.join(unknown)} for {path}; run check (or save the map) first")
    chosen = [published[fid] for fid in params.finding_ids]
    if without := [f.id for f in chosen if f.fix is None]:
        raise RpcError(ErrorCode.INVALID_PARAMS, f"findings {', '.join(without)} have no automatic fix")

    def fix(data: bytes) -> bytes:
        return apply_fixes(parse_beatmap(data, str(path)), chosen).to_bytes()

    wb = ctx.services.writeback
    snapshot = await asyncio.to_thread(wb.read, path)
    try:
        await asyncio.to_thread(fix, snapshot.data)
    except FixConflict as exc:
        raise RpcError(ErrorCode.CONFLICT, f"{path}: {exc}", {"path": str(path)}) from exc
    lines = frozenset(e.line - 1 for f in chosen if f.fix for e in f.fix.edits)
    provenance = Provenance(ai=any(f.source != "rules" for f in chosen), task="fix", summary="; ".join(f.fix.description for f in chosen if f.fix))
    edit = Edit(fix, Region(lines=lines), provenance, job=f"api:{ctx.client.id}")
    result = await write_through(ctx, lambda: wb.write(snapshot, edit))
    for found in ctx.services.findings.values():
        for fid in params.finding_ids:
            found.pop(fid, None)
    return result


def api_schema() -> dict[str, Any]:
    """The JSON Schema of every method's params and result and of every notification (`maid api schema`)."""
    methods = {
        name: {
            "description": m.doc,
            "notification": m.result is None,
            "params": m.params.model_json_schema(by_alias=True),
            "result": m.result.model_json_schema(by_alias=True) if m.result is not None else None,
            **({"unavailable": f"not available yet: needs {UNAVAILABLE[name]}"} if name in UNAVAILABLE else {}),
        }
        for name, m in sorted(rpc.methods.items())
    }
    return {
        "jsonrpc": "2.0",
        "methods": methods,
        "notifications": {name: model.model_json_schema(by_alias=True) for name, model in sorted(NOTIFICATIONS.items())},
        "errors": {code.name: int(code) for code in ErrorCode},
    }


import daemon.api.generation  # noqa: E402,F401  (registers the model methods on `rpc`)
