"""Menu actions and the link against a real daemon (API server on 127.0.0.1 with a token in a temp
MAID_HOME): each action id makes its API calls and the daemon's state changes accordingly; local effects
are recorded by a desktop that notes what it was asked to open or copy; the link reconnects to a restarted
daemon and gives up on one that stays away."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from daemon.api.models import ErrorCode
from daemon.config import load_settings, user_paths
from daemon.jobs import Hold, JobContext, JobSpec, Priority
from daemon.secrets import get_token
from integrations.tosu import EditorState, GameState
from tests.daemon.conftest import middle_range, nudge_objects
from tests.tray.conftest import DaemonThread, wait_until
from integrations.clipboard import MemoryClipboard
from tray.actions import Actions
from tray.icons import IconKind
from tray.link import CLIENT_NAME, JOURNAL_LAST, Link
from tray.menu import Item, build_menu, icon_kind
from tray.state import ActionFailed, Connected, Disconnected, Dismissed, Event, GaveUp, Notified, TrayState, apply


class RecordingDesktop:
    def __init__(self) -> None:
        self.opened: list[str] = []
        self.copied: list[str] = []

    def open(self, target: str) -> None:
        self.opened.append(target)

    def copy(self, text: str) -> None:
        self.copied.append(text)


class Tray:
    """A tray without pystray: the link, the state and the actions, wired as tray.app wires them."""

    def __init__(self, give_up_s: float = 30.0) -> None:
        self.state = TrayState()
        self.events: list[Event] = []
        self.lock = threading.Lock()
        self.quit = threading.Event()
        self.desktop = RecordingDesktop()
        self.link = Link(user_paths(), self.handle, give_up_s=give_up_s, refresh_s=0.5)
        self.actions = Actions(self.link, self.desktop, user_paths(), lambda: self.state, self.handle, self.quit.set)

    def handle(self, event: Event) -> None:
        with self.lock:
            self.events.append(event)
            self.state = apply(self.state, event)

    def of(self, kind: type) -> list[Any]:
        with self.lock:
            return [e for e in self.events if isinstance(e, kind)]

    def notified(self, method: str) -> list[dict[str, Any]]:
        return [e.params for e in self.of(Notified) if e.method == method]


def find_item(items: tuple[Item, ...], start: str) -> Item:
    return next(item for item in items if item.label.startswith(start))


def connected_tray(give_up_s: float = 30.0) -> Tray:
    tray = Tray(give_up_s)
    tray.link.start()
    wait_until(lambda: tray.state.connection == "connected", what="the tray to connect")
    return tray


def test_the_link_connects_with_the_token_and_receives_notifications(daemon: DaemonThread) -> None:
    tray = connected_tray()
    try:
        connected = tray.of(Connected)[0]
        assert connected.initialize["serverInfo"]["name"] == "maid" and "config/set" in tray.state.available
        assert tray.state.status is not None and tray.state.status.port == daemon.daemon.server.port  # type: ignore[union-attr]
        assert tray.state.settings["automod_on_save"] is True and tray.state.settings["hotkeys.remap_selection"] == "<ctrl>+<alt>+r"
        assert daemon.methods[:4] == ["initialize", "status", "config/get", "jobs/list"]
        assert CLIENT_NAME in daemon.client_names()
        sent = EditorState(GameState.EDITOR, source="v2", beatmap_path=Path("/s/a.osu"), time_ms=1234).to_json()
        daemon.on_loop(daemon.daemon.server.broadcast, "editor/state", {"state": sent})  # type: ignore[union-attr]
        wait_until(lambda: tray.state.editor == sent, what="editor/state")
        assert tray.state.current_file == "/s/a.osu"
        wait_until(lambda: len(daemon.calls_of("status")) >= 3, what="the status refresh")
    finally:
        tray.link.close()


def test_toggle_automod_changes_the_daemons_setting(daemon: DaemonThread) -> None:
    tray = connected_tray()
    paths = user_paths()
    try:
        tray.actions.run("toggle_automod", {"on": False})
        assert daemon.calls_of("config/set")[-1] == {"key": "automod_on_save", "value": False}
        assert load_settings(paths).automod_on_save is False and daemon.daemon.services.settings.automod_on_save is False  # type: ignore[union-attr]
    finally:
        tray.link.close()


def test_pause_is_the_daemons_it_holds_model_jobs_and_a_tray_that_connects_later_shows_it(daemon: DaemonThread) -> None:
    tray = connected_tray()
    later: Tray | None = None
    try:
        ran = threading.Event()
        jobs = daemon.daemon.services.jobs  # type: ignore[union-attr]
        tray.actions.run("pause", {"on": True})
        assert daemon.calls_of("daemon/pause") == [{"paused": True}] and jobs.holds == [Hold.USER]
        wait_until(lambda: tray.state.paused, what="daemon/paused")
        assert icon_kind(tray.state) is IconKind.PAUSED and find_item(build_menu(tray.state), "Resume").args == {"on": False}
        job = daemon.on_loop(jobs.submit, JobSpec("remap", lambda ctx: ran.set(), Priority.REQUESTED, device="cpu", title="a remap"))
        assert not ran.wait(0.5) and job.state.value == "queued"  # held while paused
        assert load_settings(user_paths()).automod_on_save is True  # the setting is untouched: the pause is the daemon's

        later = connected_tray()  # a tray started while maid is paused
        assert later.state.paused and icon_kind(later.state) is IconKind.PAUSED and not later.of(ActionFailed)
        later.actions.run("pause", {"on": False})
        assert ran.wait(10) and jobs.holds == []
        wait_until(lambda: not tray.state.paused and not later.state.paused, what="both trays to hear of the resume")
        assert [n["paused"] for n in tray.notified("daemon/paused")] == [True, False]
    finally:
        tray.link.close()
        if later is not None:
            later.link.close()


def test_play_mode_holds_model_jobs_without_showing_the_tray_paused(daemon: DaemonThread) -> None:
    tray = connected_tray()
    try:
        ran = threading.Event()
        services = daemon.daemon.services  # type: ignore[union-attr]
        assert services.editor is not None
        daemon.on_loop(services.editor.on_state, EditorState(GameState.PLAYING, source="v2", client="stable", state_number=2))
        wait_until(lambda: tray.notified("jobs/holds"), what="jobs/holds")
        job = daemon.on_loop(services.jobs.submit, JobSpec("remap", lambda ctx: ran.set(), Priority.REQUESTED, device="cpu", title="a remap"))
        assert not ran.wait(0.5) and job.state.value == "queued"  # held while the player plays
        assert not tray.state.paused and icon_kind(tray.state) is not IconKind.PAUSED and tray.state.notices == ()
        assert find_item(build_menu(tray.state), "Pause all").args == {"on": True}  # the user's pause is still theirs to take
        daemon.on_loop(services.editor.on_state, EditorState(GameState.EDITOR, source="v2", client="stable", state_number=1))
        assert ran.wait(10) and not tray.state.paused
        wait_until(lambda: len(tray.notified("jobs/holds")) == 2, what="the hold's release")
        assert tray.notified("jobs/holds") == [{"holds": ["play"]}, {"holds": []}] and tray.notified("daemon/paused") == []
    finally:
        tray.link.close()


def test_the_selection_actions_run_the_hotkeys_flow_and_its_outcome_is_one_notice(daemon: DaemonThread, mapset: list[Path]) -> None:
    tray = connected_tray()
    path = mapset[0]
    try:
        link = daemon.daemon.services.editor  # type: ignore[union-attr]
        assert link is not None
        link.flows.clipboard = MemoryClipboard("the mapper copied text, not objects")
        daemon.on_loop(link.on_state, EditorState(GameState.EDITOR, source="v2", client="stable", beatmap_path=path, focused=True))
        wait_until(lambda: tray.state.current_file == str(path), what="editor/state")
        tray.actions.run("editor_run", {"action": "hitsound_selection"})
        assert daemon.calls_of("editor/run") == [{"action": "hitsound_selection"}]
        wait_until(lambda: tray.notified("editor/action"), what="editor/action")
        assert tray.notified("editor/action")[0]["step"] == "selection" and not tray.of(ActionFailed)  # shown once, from the notification
        failed = [n for n in tray.state.notices if n.title == "maid: hitsound selection failed"]
        assert len(failed) == 1 and "step 'selection' failed" in failed[0].message and tray.state.error == failed[0].message
        assert path.read_bytes() == mapset[0].read_bytes()
    finally:
        tray.link.close()


def test_undo_is_offered_at_connect_for_a_write_made_before_the_tray_started(daemon: DaemonThread, mapset: list[Path]) -> None:
    path = mapset[1]
    original = path.read_bytes()
    wb = daemon.daemon.services.writeback  # type: ignore[union-attr]
    wb.write(wb.read(path), nudge_objects(*middle_range(original)))
    tray = connected_tray()
    try:
        assert tray.state.last_write == str(path) and daemon.calls_of("backups/journal") == [{"last": JOURNAL_LAST}]
        undo = find_item(build_menu(tray.state), "Undo last write")
        assert undo.enabled and undo.args == {"path": str(path)}
        tray.actions.run(undo.action or "", undo.args)
        assert path.read_bytes() == original and not tray.of(ActionFailed)
    finally:
        tray.link.close()


def test_undo_restores_the_file_and_the_tray_learns_of_the_write(daemon: DaemonThread, mapset: list[Path]) -> None:
    tray = connected_tray()
    path = mapset[0]
    original = path.read_bytes()
    try:
        wb = daemon.daemon.services.writeback  # type: ignore[union-attr]
        wb.write(wb.read(path), nudge_objects(*middle_range(original)))
        assert path.read_bytes() != original
        tray.actions.run("undo", {"path": str(path)})
        assert path.read_bytes() == original and daemon.calls_of("backups/restore") == [{"path": str(path)}]
        wait_until(lambda: tray.notified("file/written"), what="file/written")
        assert tray.state.last_write == str(path)

        tray.actions.run("reapply", {"path": str(path)})  # the undo was maid's own write: nothing was dropped to re-apply
        failed = tray.of(ActionFailed)[-1]
        assert failed.action == "reapply" and failed.code is not None and failed.file == str(path)
        assert daemon.calls_of("edits/reapply") == [{"path": str(path)}]

        tray.actions.run("undo", {"path": str(mapset[1])})  # maid never wrote this one
        failed = tray.of(ActionFailed)[-1]
        assert failed.code == ErrorCode.NOT_FOUND and mapset[1].name in failed.message and tray.state.error == failed.message
        tray.actions.run("dismiss", {})
        assert tray.state.error is None and isinstance(tray.events[-1], Dismissed)
    finally:
        tray.link.close()


def test_model_cancel_and_unknown_actions_reach_the_daemon_or_fail_with_a_notice(daemon: DaemonThread) -> None:
    tray = connected_tray()
    try:
        tray.actions.run("unload_model", {})
        assert daemon.methods.count("model/unload") == 1 and not tray.of(ActionFailed)
        tray.actions.run("cancel_job", {"id": "no-such-job"})
        assert daemon.calls_of("jobs/cancel") == [{"id": "no-such-job"}] and tray.of(ActionFailed)[-1].code == ErrorCode.NOT_FOUND
        tray.actions.run("editor_run", {"action": "no_such_action"})  # refused as invalid params: no step, so the tray says so itself
        assert daemon.calls_of("editor/run") == [{"action": "no_such_action"}] and tray.of(ActionFailed)[-1].code == ErrorCode.INVALID_PARAMS
        tray.actions.run("no_such_action", {})
        assert "no action 'no_such_action'" in tray.of(ActionFailed)[-1].message
        assert len(tray.state.notices) == 3 and all(n.title.endswith("failed") for n in tray.state.notices)
    finally:
        tray.link.close()


def test_local_actions_open_paths_and_links_and_copy_the_token(daemon: DaemonThread) -> None:
    tray = connected_tray()
    paths = user_paths()
    try:
        status = tray.state.status
        assert status is not None
        tray.actions.run("open_path", {"path": status.backup_folder})
        tray.actions.run("open_log", {})
        tray.actions.run("open_url", {"url": "osu://edit/00:01:234%20(1,2)%20-%20"})
        tray.actions.run("copy_token", {})
        token = get_token(paths.config_dir, "api")
        assert token is not None and tray.desktop.copied == [token.value]
        assert tray.desktop.opened == [status.backup_folder, str(paths.log_dir / "maid.log"), "osu://edit/00:01:234%20(1,2)%20-%20"]
        assert not tray.of(ActionFailed)

        report = {"file": "/s/a b.osu", "sha256": "0" * 64, "source": "rules", "latencyMs": 1.0, "fixed": [], "findings": [
            {"id": "x1", "check": "overlap", "severity": "warning", "message": "objects <1> & <2> overlap", "timestamp": "00:01:234 (1,2) - ",
             "link": "osu://edit/00:01:234%20(1,2)%20-%20", "start_ms": 1234.0, "suggestion": "move one"}]}
        tray.handle(Notified("findings/publish", report))
        tray.actions.run("open_report", {"file": "/s/a b.osu"})
        page = Path(tray.desktop.opened[-1]).read_text(encoding="utf-8")
        assert Path(tray.desktop.opened[-1]).parent == paths.state_dir
        assert 'href="osu://edit/00:01:234%20(1,2)%20-%20"' in page and "objects &lt;1&gt; &amp; &lt;2&gt; overlap" in page
        assert "1 findings" in page and "move one" in page
    finally:
        tray.link.close()


def test_quit_shuts_the_daemon_down_and_the_link_reconnects_to_a_new_one_then_gives_up(daemon: DaemonThread) -> None:
    tray = connected_tray(give_up_s=1.5)
    try:
        tray.actions.run("quit", {})
        assert daemon.methods.count("shutdown") == 1 and tray.quit.is_set()
        wait_until(lambda: not daemon.alive, what="the daemon to stop")
        wait_until(lambda: tray.state.connection == "unreachable", what="the tray to notice")
        assert tray.of(Disconnected)

        restarted = DaemonThread().start()  # maid start again: new port, same discovery file and token
        try:
            wait_until(lambda: len(tray.of(Connected)) == 2, what="the tray to reconnect")
            assert tray.state.status is not None and tray.state.status.port == restarted.daemon.server.port  # type: ignore[union-attr]
            assert CLIENT_NAME in restarted.client_names()
        finally:
            restarted.stop()
        wait_until(lambda: tray.of(GaveUp), timeout=10, what="the tray to give up")
        assert tray.state.connection == "gone" and "not running" in tray.of(GaveUp)[0].reason
    finally:
        tray.link.close()


def test_a_call_the_daemon_does_not_answer_in_time_fails_with_its_name(daemon: DaemonThread, mapset: list[Path]) -> None:
    tray = connected_tray()
    tray.link.call_timeout_s = 0.5
    release = threading.Event()
    try:
        jobs = daemon.daemon.services.jobs  # type: ignore[union-attr]
        for n in range(2):  # both CPU-pool workers busy: the check waits behind them
            daemon.on_loop(jobs.submit, JobSpec("check", lambda ctx: release.wait(30), Priority.INTERACTIVE, title=f"busy {n}"))
        tray.actions.run("undo", {"path": str(mapset[0])})  # answered at once (nothing to undo): the link works
        assert tray.of(ActionFailed)[-1].code == ErrorCode.NOT_FOUND
        with pytest.raises(TimeoutError, match=r"^maid did not answer check within 0\.5 s; it may still be working on it$"):
            tray.link.call("check", {"path": str(mapset[0])})
        release.set()
        wait_until(lambda: tray.notified("findings/publish"), what="the check to finish after all")
    finally:
        release.set()
        tray.link.close()
