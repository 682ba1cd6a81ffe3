"""The API methods that need the model: `mod`, `remap`, `hitsound`, `guestDifficulty`, `timing`.

Each loads the configured model on first need (daemon.models; a model that is not installed answers
MODEL_NOT_INSTALLED with the `maid model pull` command), runs one engine task as a job on the model's device
lane (job/progress per window, cancel between tokens), and delivers the result: MaiMod findings are
published like the rule checks' (`findings/publish`, source maimod); edits of an existing map go through
`write_through` (backup, rebase or conflict, journal with AI provenance, `file/written`); new difficulties
are created beside the others under a name that is not taken.

It must never write a file except through WriteBack, never overwrite an existing .osu with a new one, and
never report a result for a job that was cancelled or superseded.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from daemon.api.dispatch import RpcError
from daemon.api.methods import (
    FindingsResult,
    RequestContext,
    osu_path,
    write_error,
    publish_findings,
    rpc,
    run_job,
    write_through,
)
from daemon.api.models import (
    ErrorCode,
    FindingsPublishParams,
    GuestDifficultyParams,
    HitsoundParams,
    ModParams,
    RemapParams,
    TaskResultInfo,
    TimingLineInfo,
    TimingParams,
    TimingResult,
)
from daemon.automod import FindingsReport, maimod_runner
from daemon.jobs import Job, JobContext, JobSpec, JobState, Priority
from daemon.models import LoadedModel, ModelError
from daemon.watcher import SavedFile
from daemon.writeback import Edit, Provenance, Region, Snapshot, WriteBackError

async def model_for(ctx: RequestContext) -> LoadedModel:
    """The loaded model, else the configured one loaded now; MODEL_NOT_INSTALLED (with `maid model pull`) when it is not here."""
    s = ctx.services.settings
    try:
        return await ctx.services.models.ensure(s.model_source, s.device, s.dtype)
    except ModelError as exc:
        code = ErrorCode.MODEL_NOT_INSTALLED if not exc.installed else ErrorCode.INTERNAL_ERROR
        raise RpcError(code, str(exc), {"source": s.model_source, "pull": f"maid model pull {s.model_source}"}) from exc


async def run_on_model(ctx: RequestContext, kind: str, priority: str, file: Path | None, title: str,
                       task: Callable[[Any, JobContext], Any]) -> tuple[Job, LoadedModel]:
    """Run `task(model, job_ctx)` as a job on the model's lane; engine input errors become INVALID_PARAMS."""
    loaded = await model_for(ctx)

    def run(job_ctx: JobContext) -> Any:
        job_ctx.progress(0.0, title)
        return task(loaded.model, job_ctx)

    job = await run_job(ctx, JobSpec(kind, run, Priority[priority.upper()], file=file, device=loaded.device, title=title))
    ctx.services.models.touch()
    if job.state is JobState.FAILED:
        from engine.decoding import OptionsError
        from engine.osu import OsuFormatError

        if isinstance(job.exception, (OptionsError, OsuFormatError, FileNotFoundError)):
            raise RpcError(ErrorCode.INVALID_PARAMS, f"{kind}: {job.exception}", {"path": str(file) if file else None})
        raise RpcError(ErrorCode.INTERNAL_ERROR, f"{kind} of {file or title} failed: {job.error}")
    return job, loaded


def window_progress(job_ctx: JobContext) -> Callable[[Any], None]:
    """engine.generate's WindowProgress as the job's progress: passes share the bar in order."""
    return lambda w: job_ctx.progress((w.pass_index + w.window / max(w.windows, 1)) / max(w.passes, 1),
                                      f"{w.context.value} pass {w.pass_index + 1}/{w.passes}, window {w.window}/{w.windows}")


def finished_early(job: Job) -> TaskResultInfo | None:
    if job.state is JobState.DONE:
        return None
    return TaskResultInfo(job_id=job.id, state=job.state.value)  # type: ignore[arg-type]


def task_info(job: Job, result: Any, **extra: Any) -> dict[str, Any]:
    return {"job_id": job.id, "state": "done", "objects": result.objects, "notes": list(result.notes),
            "seconds": round(result.stats.wall_seconds, 3), "tokens_per_second": round(result.stats.tokens_per_second, 1),
            **extra}  # fmt: skip


def options_of(params: Any, **fixed: Any) -> Any:
    from engine.decoding import OptionsError

    try:
        return params.options.engine_options(**fixed)
    except OptionsError as exc:
        raise RpcError(ErrorCode.INVALID_PARAMS, f"invalid params: options: {exc}", [{"field": "options", "message": str(exc)}]) from exc


async def read_map(ctx: RequestContext, path: Path) -> tuple[Snapshot, Any]:
    from engine.osu import OsuFormatError, parse_beatmap

    snapshot = await asyncio.to_thread(ctx.services.writeback.read, path)
    try:
        return snapshot, await asyncio.to_thread(parse_beatmap, snapshot.data, str(path))
    except OsuFormatError as exc:
        raise RpcError(ErrorCode.INVALID_PARAMS, f"{path}: {exc}", {"path": str(path)}) from exc


def song_of(path: Path, document: Any) -> Path:
    song = path.parent / document.general.audio_filename
    if not song.is_file():
        raise RpcError(ErrorCode.NOT_FOUND, f"{path.name}: its AudioFilename {document.general.audio_filename!r} is not in {path.parent}",
                       {"path": str(path)})
    return song


# ---- mod ------------------------------------------------------------------------------------------


@rpc.method("mod", ModParams, FindingsResult)
async def mod(ctx: RequestContext, params: ModParams) -> FindingsResult:
    """MaiMod on one .osu now: the model's surprisal at each event, as findings (also published, source maimod)."""
    from engine.maimod import MaiModOptions

    path = osu_path(params.path, must_exist=True)
    snapshot = await asyncio.to_thread(ctx.services.writeback.read, path)
    saved = SavedFile(path, snapshot.data, snapshot.sha256, time.monotonic())
    defaults = MaiModOptions()
    options = MaiModOptions(threshold=params.threshold or defaults.threshold,
                            per_category=params.per_category or defaults.per_category)  # fmt: skip

    def task(model: Any, job_ctx: JobContext) -> Any:
        return maimod_runner(lambda: model, options)(saved, job_ctx)

    job, _ = await run_on_model(ctx, "maimod", params.priority, path, f"MaiMod {path.name}", task)
    if job.state is not JobState.DONE or job.superseded:
        return FindingsResult(job_id=job.id, state=job.state.value)
    automod = ctx.services.automod
    new, fixed = automod.history.update(path, "maimod", job.result)
    report = FindingsReport(path, snapshot.sha256, "maimod", tuple(job.result), new, fixed, time.monotonic() - saved.event_at)
    publish_findings(ctx.server, ctx.services, report)
    return FindingsResult(job_id=job.id, state=job.state.value, report=FindingsPublishParams.model_validate(report.to_json()))


# ---- remap, hitsound: edits of the map through write-back --------------------------------------------


@rpc.method("remap", RemapParams, TaskResultInfo)
async def remap(ctx: RequestContext, params: RemapParams) -> TaskResultInfo:
    """New hit objects for a time range (or the editor's selection) of a map; the rest stays byte for byte."""
    from engine.findings import format_time
    from integrations.clipboard import SelectionError, TimestampError, selection_range

    path = osu_path(params.path, must_exist=True)
    snapshot, document = await read_map(ctx, path)
    if params.timestamp is not None:
        try:
            selected = selection_range(document, params.timestamp)
        except (TimestampError, SelectionError) as exc:
            raise RpcError(ErrorCode.INVALID_PARAMS, f"invalid params: timestamp: {exc}", [{"field": "timestamp", "message": str(exc)}]) from exc
        start, end = selected.start_ms, selected.end_ms
    else:
        start, end = float(params.start_ms or 0), float(params.end_ms or 0)
    song = song_of(path, document)
    options = options_of(params, gamemode=document.mode)
    span = f"{format_time(start)}-{format_time(end)}"

    def task(model: Any, job_ctx: JobContext) -> Any:
        from engine.tasks import remap_region

        return remap_region(model, document, song, start, end, options, progress=window_progress(job_ctx), cancel=job_ctx.cancel)

    job, loaded = await run_on_model(ctx, "remap", params.priority, path, f"remap {path.name} {span}", task)
    if (early := finished_early(job)) is not None:
        return early
    result = job.result
    if result.objects == 0:
        return TaskResultInfo.model_validate(task_info(job, result))
    new = result.beatmap.to_bytes()

    def apply(data: bytes) -> bytes:
        if data == snapshot.data:
            return new
        from engine.osu import parse_beatmap
        from engine.tasks import merge_region

        return merge_region(parse_beatmap(data, str(path)), result.beatmap, start, end)[0].to_bytes()  # onto the newer save

    summary = f"{result.objects} objects in {span}"
    edit = Edit(apply, Region(time_range=(start, end)), Provenance(ai=True, task="remap", model=loaded.source, summary=summary), job=job.id)
    written = await write_through(ctx, lambda: ctx.services.writeback.write(snapshot, edit))
    return TaskResultInfo.model_validate(task_info(job, result, written=written))


@rpc.method("hitsound", HitsoundParams, TaskResultInfo)
async def hitsound(ctx: RequestContext, params: HitsoundParams) -> TaskResultInfo:
    """New hitsounds (additions, sample sets, volumes) for the objects of a map, or of a time range; only
    hitsound fields change."""
    path = osu_path(params.path, must_exist=True)
    snapshot, document = await read_map(ctx, path)
    time_range = None
    if params.start_ms is not None or params.end_ms is not None:
        time_range = (params.start_ms if params.start_ms is not None else float("-inf"),
                      params.end_ms if params.end_ms is not None else float("inf"))  # fmt: skip
    song = song_of(path, document)
    options = options_of(params, gamemode=document.mode)

    def task(model: Any, job_ctx: JobContext) -> Any:
        from engine.tasks import hitsound as hitsound_task

        return hitsound_task(model, document, song, options, time_range=time_range, progress=window_progress(job_ctx),
                             cancel=job_ctx.cancel)  # fmt: skip

    job, loaded = await run_on_model(ctx, "hitsound", params.priority, path, f"hitsound {path.name}", task)
    if (early := finished_early(job)) is not None:
        return early
    result = job.result
    new = result.beatmap.to_bytes()
    if result.objects == 0 or new == snapshot.data:
        return TaskResultInfo.model_validate(task_info(job, result))

    def apply(data: bytes) -> bytes:
        if data != snapshot.data:
            raise ValueError("the map was saved while it was being hitsounded; run hitsound again")
        return new

    region = Region(time_range=time_range) if time_range and all(abs(t) != float("inf") for t in time_range) else Region()
    edit = Edit(apply, region, Provenance(ai=True, task="hitsound", model=loaded.source, summary=f"{result.objects} objects hitsounded"),
                job=job.id)  # fmt: skip
    written = await write_through(ctx, lambda: ctx.services.writeback.write(snapshot, edit))
    return TaskResultInfo.model_validate(task_info(job, result, written=written))


# ---- guestDifficulty, timing: new files --------------------------------------------------------------


@rpc.method("guestDifficulty", GuestDifficultyParams, TaskResultInfo)
async def guest_difficulty(ctx: RequestContext, params: GuestDifficultyParams) -> TaskResultInfo:
    """A new difficulty for a mapset, following its timing and settings, written as a NEW .osu beside the
    others (never overwriting one); nothing is written when the model placed no objects."""
    folder = Path(params.path).expanduser()
    if not folder.is_absolute():
        raise RpcError(ErrorCode.INVALID_PARAMS, f"invalid params: path must be absolute, got {params.path!r}")
    if folder.suffix.lower() == ".osu":
        folder = folder.parent
    if not folder.is_dir() or not any(folder.glob("*.osu")):
        raise RpcError(ErrorCode.NOT_FOUND, f"{folder} is not a mapset folder with a .osu in it")
    options = options_of(params)

    def task(model: Any, job_ctx: JobContext) -> Any:
        from engine.tasks import guest_difficulty as gd_task

        return gd_task(model, folder, options, progress=window_progress(job_ctx), cancel=job_ctx.cancel)

    job, loaded = await run_on_model(ctx, "guestDifficulty", params.priority, None, f"guest difficulty for {folder.name}", task)
    if (early := finished_early(job)) is not None:
        return early
    result = job.result
    if result.objects == 0:
        return TaskResultInfo.model_validate(task_info(job, result))
    created = await create_file(ctx, folder / (result.file_name or "maid.osu"), result.beatmap.to_bytes(), job.id,
                                Provenance(ai=True, task="guestDifficulty", model=loaded.source, summary=f"{result.objects} objects"))  # fmt: skip
    return TaskResultInfo.model_validate(task_info(job, result, created=str(created)))


@rpc.method("timing", TimingParams, TimingResult)
async def timing(ctx: RequestContext, params: TimingParams) -> TimingResult:
    """Red lines (BPM, offset, meter) for a song; with `write`, also a new timing-only .osu beside it."""
    audio = Path(params.audio_path).expanduser()
    if not audio.is_absolute():
        raise RpcError(ErrorCode.INVALID_PARAMS, f"invalid params: audioPath must be absolute, got {params.audio_path!r}")
    if not audio.is_file():
        raise RpcError(ErrorCode.NOT_FOUND, f"{audio} does not exist")
    options = options_of(params)

    def task(model: Any, job_ctx: JobContext) -> Any:
        from engine.tasks import generate_timing

        return generate_timing(model, audio, options, progress=window_progress(job_ctx), cancel=job_ctx.cancel)

    job, loaded = await run_on_model(ctx, "timing", params.priority, None, f"timing {audio.name}", task)
    if job.state is not JobState.DONE:
        return TimingResult(job_id=job.id, state=job.state.value)  # type: ignore[arg-type]
    result = job.result
    lines = [TimingLineInfo(time_ms=p.time, bpm=round(60000 / p.beat_length, 3), meter=p.meter)
             for p in result.beatmap.timing_points if p.uninherited]  # fmt: skip
    created = None
    if params.write:
        created = await create_file(ctx, audio.parent / (result.file_name or "timing.osu"), result.beatmap.to_bytes(), job.id,
                                    Provenance(ai=True, task="timing", model=loaded.source, summary=f"{len(lines)} red lines"))  # fmt: skip
    return TimingResult.model_validate(task_info(job, result, lines=lines, created=str(created) if created else None))


async def create_file(ctx: RequestContext, path: Path, data: bytes, job: str, provenance: Provenance) -> Path:
    """A new file through WriteBack.create (journaled; `path` or `name (2).osu`, ... when taken)."""
    try:
        result = await asyncio.to_thread(ctx.services.writeback.create, path, data, job, provenance)
    except WriteBackError as exc:
        raise write_error(exc) from exc
    ctx.server.broadcast("file/written", {"path": str(result.path), "backup": None, "sha256After": result.sha256_after, "job": job,
                                          "ai": provenance.ai, "reloadHint": "press F5 in osu!'s song select to see the new difficulty"})
    return result.path
