"""daemon.editor on a built (not served) daemon: editor states become `editor/state` notifications (the
playhead at most once a second), play mode holds model work (the job queue's play hold) until it ends, the open
map's folder is watched, and hotkeys run their actions and report the outcome as `editor/action`."""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from daemon.app import build_daemon
from daemon.config import load_settings, user_paths
from daemon.editor import EditorLink
from daemon.jobs import Hold, JobSpec, JobState, Priority
from daemon.watcher import Watcher
from integrations.clipboard import MemoryClipboard
from integrations.hotkeys import FakeKeyboard
from integrations.tosu import EditorState, GameState, TosuOptions, unavailable

DEMO_MAP = Path(__file__).resolve().parents[2] / "engine" / "demo" / "mapset" / "maid - Demo Song (maid) [Normal].osu"


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAID_HOME", str(tmp_path / "maid"))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")


def editing(path: Path, time_ms: int) -> EditorState:
    return EditorState(GameState.EDITOR, source="v2", client="stable", state_number=1, beatmap_path=path, time_ms=time_ms, focused=True)


def test_states_are_broadcast_and_play_mode_holds_model_work_until_it_ends(tmp_path: Path) -> None:
    folder = tmp_path / "Songs" / "1 demo"
    folder.mkdir(parents=True)
    shutil.copyfile(DEMO_MAP, folder / DEMO_MAP.name)
    path = folder / DEMO_MAP.name
    playing = EditorState(GameState.PLAYING, source="v2", client="stable", state_number=2, beatmap_path=path, time_ms=5000)
    feed: asyncio.Queue[EditorState] = asyncio.Queue()

    async def states(options: TosuOptions) -> AsyncIterator[EditorState]:
        while True:
            yield await feed.get()

    async def main() -> tuple[list, list, JobState, list]:
        paths = user_paths()
        daemon = build_daemon(paths, load_settings(paths))
        notices: list[tuple[str, dict]] = []
        services = daemon.services
        services.watcher = Watcher(lambda saved: None)  # watches only what the link focuses
        services.watcher.start()
        link = EditorLink(services, lambda m, p: notices.append((m, p)), MemoryClipboard(), FakeKeyboard, states=states)
        runner = asyncio.create_task(link.run())
        ran: list[float] = []
        try:
            for state in (unavailable("tosu not reachable"), editing(path, 1000), editing(path, 1150), playing):
                await feed.put(state)
                await asyncio.sleep(0.05)
            assert services.jobs.holds == [Hold.PLAY]  # whether a model is loaded or not
            background = services.jobs.submit(JobSpec("mod", lambda ctx: ran.append(time.monotonic()), Priority.BACKGROUND, device="cpu"))
            await asyncio.sleep(0.6)
            waited = background.state
            assert [j.spec.kind for j in services.jobs.list()] == ["mod"]  # no job stands for the hold
            left = time.monotonic()
            await feed.put(editing(path, 5000))
            await asyncio.wait_for(services.jobs.wait(background), 5)
            assert ran and ran[0] >= left and services.jobs.holds == []
            await feed.put(playing)
            await asyncio.sleep(0.05)
            assert services.jobs.holds == [Hold.PLAY]
            link.stop()  # the link ends (the daemon stops, tosu's stream ends): nothing is left held
            released = services.jobs.holds
            watched = list(services.watcher.watched_folders)
        finally:
            runner.cancel()
            link.stop()
            services.watcher.stop()
            await services.jobs.close()
        return notices, watched, waited, released

    notices, watched, waited, released = asyncio.run(main())
    sent = [p["state"] for m, p in notices if m == "editor/state"]
    assert [s["state"] for s in sent] == ["unavailable", "editor", "playing", "editor", "playing"]  # 1150: the playhead only, within 1 s
    assert "tosu not reachable" in sent[0]["reason"] and sent[1]["beatmap_path"] == str(path) and sent[1]["time_ms"] == 1000
    assert waited is JobState.QUEUED and released == []  # held while playing
    assert watched == [folder.resolve()]


def test_hotkeys_run_their_action_and_report_the_failed_step(tmp_path: Path) -> None:
    async def main() -> tuple[list, FakeKeyboard, set]:
        paths = user_paths()
        daemon = build_daemon(paths, load_settings(paths))
        notices: list[tuple[str, dict]] = []
        keyboard = FakeKeyboard()
        link = EditorLink(daemon.services, lambda m, p: notices.append((m, p)), MemoryClipboard("not a timestamp"), lambda: keyboard)
        assert link.start_hotkeys() is None
        link.state = unavailable("tosu not reachable")
        keyboard.press("<ctrl>+<alt>+r")  # remap selection: no open map anywhere
        keyboard.press("<ctrl>+<alt>+z")  # undo: no open map either
        for _ in range(100):
            await asyncio.sleep(0.02)
            if sum(m == "editor/action" for m, _ in notices) == 2:
                break
        bound = set(keyboard.bindings)
        link.stop()
        await daemon.services.jobs.close()
        return notices, keyboard, bound

    notices, keyboard, bound = asyncio.run(main())
    actions = {p["action"]: p for m, p in notices if m == "editor/action"}
    assert actions["remap_selection"]["ok"] is False and actions["remap_selection"]["step"] == "map"
    assert "no open map" in actions["remap_selection"]["message"]
    assert actions["undo_last_write"]["ok"] is False and actions["undo_last_write"]["message"].startswith("undo last write: step 'map' failed")
    assert keyboard.sent == []  # osu! is not in the editor: no Ctrl+C sent
    assert bound == {"<ctrl>+<alt>+r", "<ctrl>+<alt>+h", "<ctrl>+<alt>+c", "<ctrl>+<alt>+z"}


def test_without_a_display_the_hotkeys_are_off_and_say_why(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)

    async def main() -> Any:
        paths = user_paths()
        daemon = build_daemon(paths, load_settings(paths))
        link = EditorLink(daemon.services, lambda m, p: None, MemoryClipboard())
        reason = link.start_hotkeys()
        await daemon.services.jobs.close()
        return reason, link.keyboard

    reason, keyboard = asyncio.run(main())
    assert reason is not None and reason.startswith("hotkeys unavailable: no display") and keyboard is None


def test_a_hotkey_hitsounds_the_selection_with_the_configured_model(tmp_path: Path, golden_dir: Path) -> None:
    from engine.findings import Finding, Severity
    from engine.osu import combos, read_beatmap

    folder = tmp_path / "Songs" / "1 demo"
    folder.mkdir(parents=True)
    for source in (DEMO_MAP, DEMO_MAP.parent / "audio.ogg"):
        shutil.copyfile(source, folder / source.name)
    path = folder / DEMO_MAP.name
    before = path.read_bytes()
    picked = combos(read_beatmap(path))[8:15]
    text = Finding("x", Severity.INFO, "x", "x", start_ms=picked[0][0].time, selection=tuple(str(c.number) for _, c in picked)).timestamp

    async def main() -> tuple[list, FakeKeyboard]:
        paths = user_paths()
        daemon = build_daemon(paths, load_settings(paths, {"model_source": str(golden_dir / "tiny-v30"), "device": "cpu"}))
        notices: list[tuple[str, dict]] = []
        keyboard = FakeKeyboard()
        link = EditorLink(daemon.services, lambda m, p: notices.append((m, p)), MemoryClipboard(text), lambda: keyboard)
        link.start_hotkeys()
        link.on_state(editing(path, 1000))
        keyboard.press("<ctrl>+<alt>+h")
        for _ in range(600):
            await asyncio.sleep(0.05)
            if any(m == "editor/action" for m, _ in notices):
                break
        link.stop()
        await daemon.services.jobs.close()
        return notices, keyboard

    notices, keyboard = asyncio.run(main())
    [action] = [p for m, p in notices if m == "editor/action"]
    assert action["ok"] is True and action["action"] == "hitsound_selection", action
    assert path.read_bytes() != before and keyboard.sent == ["<ctrl>+c"]  # auto_reload is off by default: no Ctrl+L
    assert [p["path"] for m, p in notices if m == "file/written"] == [str(path)]
