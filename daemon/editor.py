"""The daemon's link to the osu! editor: editor state from tosu, the global hotkeys and what they run.

`EditorLink.run` consumes integrations.tosu's stream for the daemon's life: every change (other than the
playhead moving, which is sent at most once a second) goes to clients as `editor/state`; the open map's
folder becomes the watcher's active mapset (a lazer external-edit copy included); while osu! is in play
mode the job queue holds model work (`Hold.PLAY`): queued model jobs (MaiMod on save, a hotkey's generation)
wait, silently, until the player leaves gameplay (or tosu stops telling), and editor actions still run. When
tosu is unavailable the state says why and file watching carries on alone.

Hotkeys (config [hotkeys]) run the selection flows (daemon.remap_flow), the checks on the open map, and
undo of maid's last write; the API's `editor/run` runs the same actions (`start`). Each outcome is sent as
`editor/action` (what ran, ok, the failed step and why). While the user has paused maid (`daemon/pause`,
`Hold.USER`) an action does nothing but say so. Hotkey callbacks arrive on pynput's thread and are handed to
the event loop. This module never writes a file itself (the flows and undo go through WriteBack) and never stops the
daemon when tosu, the display or the keyboard is missing.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from daemon.jobs import Hold, Job
from daemon.remap_flow import STABLE_RELOAD, FlowError, LoadedModel, SelectionFlows, most_recent_osu
from daemon.watcher import SavedFile
from daemon.writeback import WriteBackError
from integrations.clipboard import Clipboard
from integrations.hotkeys import HotkeysUnavailable, Keyboard, action_bindings
from integrations.osu_install import find_external_edit
from integrations.tosu import EditorState, GameState, TosuOptions, editor_states

if TYPE_CHECKING:
    from daemon.api.methods import Services

log = logging.getLogger(__name__)

PLAYHEAD_BROADCAST_S = 1.0
ACTIONS = ("remap_selection", "hitsound_selection", "check_now", "undo_last_write")  # the [hotkeys] names
PAUSED = "maid is paused: resume it first (the tray's Resume, or daemon/pause with paused false)"

Broadcast = Callable[[str, dict[str, Any]], None]
States = Callable[[TosuOptions], AsyncIterator[EditorState]]
OnJob = Callable[[Job], None]


@dataclass(frozen=True)
class Outcome:
    """What an action did, as `editor/action` says it; `error` is what stopped it (a FlowError's cause tells why)."""

    action: str
    ok: bool
    step: str | None
    message: str
    error: BaseException | None = None

    def to_json(self) -> dict[str, Any]:
        return {"action": self.action, "ok": self.ok, "step": self.step, "message": self.message}


class EditorLink:
    def __init__(self, services: Services, broadcast: Broadcast, clipboard: Clipboard | None = None,
                 keyboard: Callable[[], Keyboard] | None = None, tosu: TosuOptions = TosuOptions(),
                 states: States = editor_states) -> None:  # fmt: skip
        self.services = services
        self.broadcast = broadcast
        self.tosu = tosu
        self.states = states
        self.state: EditorState | None = None
        self._sent: EditorState | None = None
        self._sent_at = 0.0
        self._make_keyboard = keyboard
        self._actions: set[asyncio.Task[Outcome]] = set()  # actions running now
        self.keyboard: Keyboard | None = None
        if clipboard is None:
            from integrations.clipboard import PyperclipClipboard

            clipboard = PyperclipClipboard()
        self.flows = SelectionFlows(
            clipboard, None, services.writeback, services.jobs, broadcast, self._model, lambda: self.state,
            lambda: services.watcher.watched_folders if services.watcher else [], lambda: services.settings.auto_reload,
        )  # fmt: skip

    # ---- editor state ---------------------------------------------------------------------------

    async def run(self) -> None:
        """Follow tosu until cancelled."""
        async for state in self.states(self.tosu):
            self.on_state(state)

    def on_state(self, state: EditorState) -> None:
        previous, self.state = self.state, state
        now = time.monotonic()
        moved_only = self._sent is not None and replace(state, time_ms=self._sent.time_ms) == self._sent
        if not moved_only or now - self._sent_at >= PLAYHEAD_BROADCAST_S:
            self._sent, self._sent_at = state, now
            self.broadcast("editor/state", {"state": state.to_json()})
        if state.state is GameState.PLAYING:
            self.services.jobs.hold(Hold.PLAY)
        else:
            self.services.jobs.release(Hold.PLAY)
        folder = self._open_folder(state)
        if folder is not None and self.services.watcher is not None and (previous is None or self._open_folder(previous) != folder):
            self.services.watcher.focus(folder)

    def _open_folder(self, state: EditorState) -> Path | None:
        if not state.in_editor or state.beatmap_path is None:
            return None
        if state.read_only:
            mounted = find_external_edit(state.version) if state.version else None
            return mounted.parent if mounted else None
        return state.beatmap_path.parent

    # ---- hotkeys --------------------------------------------------------------------------------

    def start_hotkeys(self) -> str | None:
        """Register the configured hotkeys; returns why they are unavailable, or None."""
        loop = asyncio.get_running_loop()
        try:
            if self._make_keyboard is None:
                from integrations.hotkeys import PynputKeyboard as make
            else:
                make = self._make_keyboard  # type: ignore[assignment]
            self.keyboard = make()
        except HotkeysUnavailable as exc:
            log.info("%s: the hotkeys are off; everything else works", exc)
            return str(exc)
        self.flows.keyboard = self.keyboard

        def on_loop(name: str) -> Callable[[], None]:
            return lambda: loop.call_soon_threadsafe(self.start, name)

        self.keyboard.register(action_bindings(self.services.settings.hotkeys.model_dump(), {name: on_loop(name) for name in ACTIONS}))
        return None

    def start(self, name: str, on_job: OnJob | None = None) -> asyncio.Task[Outcome]:
        """Run the action `name` (one of ACTIONS) as its hotkey does, on the event loop; `on_job` gets the job it
        queues, if any. The outcome is broadcast as `editor/action` and is the task's result (it never raises)."""
        task = asyncio.get_running_loop().create_task(self._report(name, self._action(name, on_job)), name=f"maid-{name}")
        self._actions.add(task)  # the loop keeps only a weak reference to a task
        task.add_done_callback(self._actions.discard)
        return task

    async def _action(self, name: str, on_job: OnJob | None) -> str:
        if Hold.USER in self.services.jobs.holds:  # play mode (Hold.PLAY) only defers the model work they queue
            raise FlowError(name.replace("_", " "), "paused", PAUSED)
        if name == "remap_selection":
            return await self.remap_selection(on_job)
        if name == "hitsound_selection":
            return await self.hitsound_selection(on_job)
        if name == "check_now":
            return await self.check_now()
        if name == "undo_last_write":
            return await self.undo_last_write()
        raise ValueError(f"no editor action {name!r}; known: {', '.join(ACTIONS)}")

    def stop(self) -> None:
        if self.keyboard is not None:
            self.keyboard.stop()
        self.services.jobs.release(Hold.PLAY)  # nothing follows play mode any more

    async def remap_selection(self, on_job: OnJob | None = None) -> str:
        result = await self.flows.remap_selection(on_job=on_job)
        return f"{result.objects} objects remapped in {result.path.name}"

    async def hitsound_selection(self, on_job: OnJob | None = None) -> str:
        result = await self.flows.hitsound_selection(on_job=on_job)
        return f"{result.objects} objects hitsounded in {result.path.name}"

    async def check_now(self) -> str:
        path = self.open_map("check now")
        snapshot = await asyncio.to_thread(self.services.writeback.read, path)
        self.services.automod.submit(SavedFile(path, snapshot.data, snapshot.sha256, time.monotonic()))
        return f"checking {path.name}"

    async def undo_last_write(self) -> str:
        path = self.open_map("undo last write")
        try:
            result = await asyncio.to_thread(self.services.writeback.undo, path, "hotkey")
        except WriteBackError as exc:
            raise FlowError("undo last write", "write", str(exc)) from exc
        self.broadcast("file/written", {"path": str(path), "backup": str(result.backup), "sha256After": result.sha256_after,
                                        "job": "hotkey", "ai": False, "reloadHint": STABLE_RELOAD})  # fmt: skip
        return f"{path.name} restored to before maid's last write"

    def open_map(self, action: str) -> Path:
        state = self.state
        if state is not None and state.in_editor and state.beatmap_path is not None and not state.read_only:
            return state.beatmap_path
        recent = most_recent_osu(self.services.watcher.watched_folders if self.services.watcher else [])
        if recent is None:
            raise FlowError(action, "map", "osu! is not in the editor and no saved .osu is watched; save the map first")
        return recent

    async def _report(self, name: str, action: Awaitable[str]) -> Outcome:
        try:
            outcome = Outcome(name, True, None, await action)
        except FlowError as exc:
            log.warning("%s", exc)
            outcome = Outcome(name, False, exc.step, str(exc), exc)
        except Exception as exc:  # noqa: BLE001 - a hotkey must never take the daemon down
            log.exception("editor action %s failed", name)
            outcome = Outcome(name, False, None, f"{name} failed: {exc}", exc)
        self.broadcast("editor/action", outcome.to_json())
        return outcome

    async def _model(self) -> LoadedModel:
        models, settings = self.services.models, self.services.settings
        current = await models.ensure(settings.model_source, settings.device, settings.dtype)
        return LoadedModel(current.model, current.source, current.device)


_RUNNING: set[asyncio.Task[None]] = set()  # keeps the link's task referenced while it runs


def start_editor_link(services: Services, broadcast: Broadcast) -> asyncio.Task[None]:
    """Start following the editor and listening for hotkeys (daemon.app calls this once it serves); the link
    is `services.editor` (what `editor/run` uses) until the task ends, when the daemon's shutdown is requested
    or the loop cancels it."""
    link = services.editor = EditorLink(services, broadcast, tosu=TosuOptions(port=services.settings.tosu_port))

    async def serve() -> None:
        follow = asyncio.create_task(link.run(), name="maid-editor-state")
        shutdown = asyncio.ensure_future(services.shutdown.wait())
        try:
            link.start_hotkeys()
            await asyncio.wait([follow, shutdown], return_when=asyncio.FIRST_COMPLETED)
        finally:
            services.editor = None
            follow.cancel()
            shutdown.cancel()
            link.stop()

    task = asyncio.create_task(serve(), name="maid-editor-link")
    _RUNNING.add(task)
    task.add_done_callback(_RUNNING.discard)
    return task
