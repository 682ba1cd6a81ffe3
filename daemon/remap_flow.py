"""The "remap selection" and "hitsound selection" hotkey flows: from objects selected in the osu! editor
to a rewritten .osu and a reload.

Steps (each failure names its step and why, as `FlowError`):
1. copy      — optionally press Ctrl+C in the focused editor, so the selection's timestamp is on the clipboard;
2. clipboard — read it (integrations.clipboard);
3. map       — the open map: the editor state's .osu (tosu), else the most recently saved .osu among the
               watched folders. A lazer map in the content store is never written: the mapper is guided to
               "Edit externally" and the mounted copy is used;
4. selection — parse the timestamp and resolve its objects on the map to a time range;
5. model     — the loaded model (loaded when none is);
6. generate  — the engine task as an interactive job on the model's device lane;
7. write     — through daemon.writeback (backup, atomic replace, journal; rebased onto a newer save when the
               range is untouched);
8. reload    — tell the mapper to reload (stable Ctrl+L, lazer "Finish editing"), or press Ctrl+L and Enter
               for them when `auto_reload` is on and osu! stable is focused in the editor (as Mapping Tools does).

It never writes a file except through WriteBack, and never sends keys to a window that is not osu!'s editor.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from daemon.jobs import Job, JobContext, JobQueue, JobSpec, JobState, Priority
from daemon.writeback import Edit, Provenance, Region, WriteBack, WriteBackError, WriteResult
from engine.findings import format_time
from integrations.clipboard import Clipboard, ClipboardUnavailable, SelectionError, SelectionRange, TimestampError, selection_range
from integrations.hotkeys import Keyboard
from integrations.osu_install import OsuEnvironment, find_external_edit
from integrations.tosu import EditorState

log = logging.getLogger(__name__)

COPY_WAIT_S = 0.15  # osu! puts the timestamp on the clipboard a moment after Ctrl+C
RELOAD_KEYS = ("<ctrl>+l", "<enter>")  # Revert to Saved, then confirm its dialog
STABLE_RELOAD = "reload the map in osu!: press Ctrl+L (Revert to Saved) in the editor"
LAZER_RELOAD = "in osu!lazer press 'Finish editing and import changes' to load the new version"
LAZER_GUIDE = ("this map is in osu!lazer's content store, which maid never writes: in the editor use "
               "File → Edit externally (Ctrl+Shift+O), then press the hotkey again")  # fmt: skip

# (model, document, audio path, range, options, progress, cancel) -> engine.tasks.TaskResult
Task = Callable[..., Any]
Notify = Callable[[str, dict[str, Any]], None]


class FlowError(Exception):
    """A flow that stopped; `step` is where, the message says why and what to do."""

    def __init__(self, action: str, step: str, why: str) -> None:
        super().__init__(f"{action}: step '{step}' failed: {why}")
        self.action, self.step, self.why = action, step, why


@dataclass(frozen=True)
class LoadedModel:
    model: Any  # engine.model.Mapperatorinator
    source: str
    lane: str  # the job lane (device) it runs on


@dataclass(frozen=True)
class FlowResult:
    path: Path
    selection: SelectionRange
    objects: int  # objects the task placed or changed
    write: WriteResult
    reload_sent: bool
    notes: tuple[str, ...]


@dataclass
class SelectionFlows:
    """What the flows need from the daemon, passed in so that tests run them headless with fakes."""

    clipboard: Clipboard
    keyboard: Keyboard | None  # None: no display, no hotkeys or key sending
    writeback: WriteBack
    jobs: JobQueue
    notify: Notify  # API broadcast
    model: Callable[[], Awaitable[LoadedModel]]
    editor_state: Callable[[], EditorState | None]
    recent_folders: Callable[[], list[Path]]  # watched mapset folders (fallback for the open map)
    auto_reload: Callable[[], bool]
    options: Callable[[], Any] | None = None  # -> engine.decoding.GenerateOptions; None: the defaults
    copy_first: bool = True
    environment: OsuEnvironment | None = None  # where lazer mounts external edits (None: this machine)

    async def remap_selection(self, task: Task | None = None, on_job: Callable[[Job], None] | None = None) -> FlowResult:
        """Regenerate the selected objects with `task` (default engine.tasks.remap_region); `on_job` gets the
        generation job as soon as it is queued."""
        if task is None:
            from engine.tasks import remap_region as task
        return await self._run("remap selection", "remap", task, _remap_call, _remap_rebase, on_job)

    async def hitsound_selection(self, task: Task | None = None, on_job: Callable[[Job], None] | None = None) -> FlowResult:
        """New hitsounds for the selected objects with `task` (default engine.tasks.hitsound); `on_job` as above."""
        if task is None:
            from engine.tasks import hitsound as task
        return await self._run("hitsound selection", "hitsound", task, _hitsound_call, None, on_job)

    # ---- the steps ------------------------------------------------------------------------------

    async def _run(self, action: str, kind: str, task: Task, call: Callable[..., Any],
                   rebase: Callable[[bytes, Any, SelectionRange], bytes] | None, on_job: Callable[[Job], None] | None) -> FlowResult:  # fmt: skip
        state = self.editor_state()
        # Ctrl+C only into osu!'s editor: not when tosu says another window has the focus (a tray menu, say)
        if self.copy_first and self.keyboard is not None and state is not None and state.in_editor and state.focused is not False:
            try:
                self.keyboard.send("<ctrl>+c")
            except Exception as exc:  # noqa: BLE001 - any keyboard backend failure is this step's
                raise FlowError(action, "copy", f"could not press Ctrl+C in osu! ({exc})") from exc
            await asyncio.sleep(COPY_WAIT_S)
        try:
            text = await asyncio.to_thread(self.clipboard.get)
        except ClipboardUnavailable as exc:
            raise FlowError(action, "clipboard", str(exc)) from exc
        path, lazer = self._open_map(action, state)
        try:
            snapshot = await asyncio.to_thread(self.writeback.read, path)
        except WriteBackError as exc:
            raise FlowError(action, "map", str(exc)) from exc
        from engine.osu import OsuFormatError, parse_beatmap

        try:
            document = parse_beatmap(snapshot.data, str(path))
            selected = selection_range(document, text)
        except OsuFormatError as exc:
            raise FlowError(action, "map", str(exc)) from exc
        except (TimestampError, SelectionError) as exc:
            raise FlowError(action, "selection", str(exc)) from exc
        if not selected.objects:
            raise FlowError(action, "selection", f"{text.strip()!r} selects no objects: select them in the editor and press Ctrl+C")
        audio = path.parent / document.general.audio_filename
        if not audio.is_file():
            raise FlowError(action, "generate", f"the song {audio} of {path.name} is missing")
        try:
            loaded = await self.model()
        except Exception as exc:  # noqa: BLE001 - ModelError and anything the loader raises
            raise FlowError(action, "model", str(exc)) from exc
        span = f"{format_time(selected.start_ms)}–{format_time(selected.end_ms)}"

        def run(ctx: JobContext) -> Any:
            ctx.progress(0.0, f"{kind} {path.name} {span}")
            from engine.decoding import GenerateOptions

            options = self.options() if self.options else GenerateOptions()
            return call(task, loaded.model, document, audio, selected, options, ctx)

        job = self.jobs.submit(JobSpec(kind, run, Priority.INTERACTIVE, file=path, device=loaded.lane, title=f"{kind} {path.name} {span}"))
        if on_job is not None:
            on_job(job)
        job = await self.jobs.wait(job)
        result = _job_result(action, job)
        if result.objects == 0:
            raise FlowError(action, "generate", "; ".join(result.notes) or "the model changed nothing in the selection")
        new = result.beatmap.to_bytes()

        def apply(data: bytes) -> bytes:
            if data == snapshot.data:
                return new
            if rebase is None:
                raise ValueError("the map changed since the selection was read")
            return rebase(data, result, selected)

        summary = f"{result.objects} objects {'placed' if kind == 'remap' else 'hitsounded'} in {span}"
        edit = Edit(apply, Region(time_range=(selected.start_ms, selected.end_ms)),
                    Provenance(ai=True, task=kind, model=loaded.source, summary=summary), job=f"hotkey:{job.id}")  # fmt: skip
        try:
            written = await asyncio.to_thread(self.writeback.write, snapshot, edit)
        except WriteBackError as exc:
            raise FlowError(action, "write", str(exc)) from exc
        reload_sent = False
        if written.changed:
            reload_sent = await self._reload(action, state, lazer)
            self.notify("file/written", {
                "path": str(written.path), "backup": str(written.backup), "sha256After": written.sha256_after,
                "job": edit.job, "ai": True, "reloadHint": LAZER_RELOAD if lazer else STABLE_RELOAD,
            })  # fmt: skip
        return FlowResult(path, selected, result.objects, written, reload_sent, tuple(result.notes))

    def _open_map(self, action: str, state: EditorState | None) -> tuple[Path, bool]:
        """(the .osu to edit, whether it is a lazer external-edit copy)."""
        if state is not None and state.in_editor and state.beatmap_path is not None:
            if state.read_only:
                mounted = find_external_edit(state.version, self.environment) if state.version else None
                if mounted is None:
                    raise FlowError(action, "map", LAZER_GUIDE)
                return mounted, True
            if state.beatmap_path.is_file():
                return state.beatmap_path, False
        recent = most_recent_osu(self.recent_folders())
        if recent is None:
            why = state.reason if state is not None and not state.available else "osu! is not in the editor"
            raise FlowError(action, "map", f"no open map: {why}, and no saved .osu in the watched folders; save the map (Ctrl+S) first")
        return recent, False

    async def _reload(self, action: str, state: EditorState | None, lazer: bool) -> bool:
        """Press Ctrl+L, Enter in osu! stable when allowed and safe; False when the mapper must."""
        if lazer or self.keyboard is None or not self.auto_reload():
            return False
        if state is None or not state.in_editor or state.client != "stable" or state.focused is not True:
            return False
        try:
            for combo in RELOAD_KEYS:
                self.keyboard.send(combo)
                await asyncio.sleep(COPY_WAIT_S)
        except Exception as exc:  # noqa: BLE001 - the write is done; only the keystroke failed
            log.warning("%s: could not send Ctrl+L to osu! (%s); the mapper reloads by hand", action, exc)
            return False
        return True


def most_recent_osu(folders: list[Path]) -> Path | None:
    """The most recently modified .osu in `folders` (what the mapper saved last)."""
    best: tuple[float, Path] | None = None
    for folder in folders:
        try:
            for osu in folder.glob("*.osu"):
                mtime = osu.stat().st_mtime
                if best is None or mtime > best[0]:
                    best = (mtime, osu)
        except OSError:
            continue
    return best[1] if best else None


def _progress(ctx: JobContext) -> Callable[[Any], None]:
    return lambda w: ctx.progress(w.window / max(w.windows, 1), f"{w.context.name.lower()} window {w.window}/{w.windows}")


def _remap_call(task: Task, model: Any, document: Any, audio: Path, selected: SelectionRange, options: Any, ctx: JobContext) -> Any:
    return task(model, document, audio, selected.start_ms, selected.end_ms, options,
                progress=_progress(ctx), cancel=ctx.cancel)  # fmt: skip


def _hitsound_call(task: Task, model: Any, document: Any, audio: Path, selected: SelectionRange, options: Any, ctx: JobContext) -> Any:
    return task(model, document, audio, options, time_range=(selected.start_ms, selected.end_ms),
                progress=_progress(ctx), cancel=ctx.cancel)  # fmt: skip


def _remap_rebase(data: bytes, result: Any, selected: SelectionRange) -> bytes:
    """The remapped objects merged into a newer save whose range is unchanged."""
    from engine.osu import parse_beatmap
    from engine.tasks import merge_region

    merged, _ = merge_region(parse_beatmap(data), result.beatmap, selected.start_ms, selected.end_ms)
    return merged.to_bytes()


def _job_result(action: str, job: Job) -> Any:
    if job.state is JobState.DONE:
        return job.result
    if job.state is JobState.FAILED:
        raise FlowError(action, "generate", job.error or "the job failed")
    raise FlowError(action, "generate", f"the job was {job.state.value}")

