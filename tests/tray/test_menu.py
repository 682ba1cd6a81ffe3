"""The tray's menu, icon and tooltip for every daemon state, as data (no display, no daemon): each state is
built by applying the events the daemon sends (its real message models; findings from the real rule
checks on a corpus map), and the menu must say and offer what that state allows."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from daemon.api.methods import MODEL_METHODS, UNAVAILABLE, rpc
from daemon.api.models import ErrorCode, JobCounts, ModelStatus, StatusResult
from daemon.automod import rule_checks
from daemon.config import HotkeySettings, Settings
from integrations.tosu import EditorState, GameState, unavailable
from tests.daemon.conftest import standard_maps
from tray.actions import Actions
from tray.icons import IconKind
from tray.menu import SEPARATOR, Item, build_menu, format_hotkey, icon_kind, tooltip
from tray.state import (
    ActionFailed,
    Connected,
    Disconnected,
    Dismissed,
    GaveUp,
    Notice,
    Notified,
    StatusRefreshed,
    TrayState,
    apply,
)

MAP = "/songs/123 Artist - Title/Artist - Title (mapper) [Insane].osu"


def status(paused: bool = False, holds: list[str] | None = None, **model: Any) -> dict[str, Any]:
    """A status result as the daemon answers it (validated by its model, so the test follows the API)."""
    return StatusResult(
        version="0.1.0", pid=4242, uptime_s=3.0, port=28757, clients=1, jobs=JobCounts(queued=0, running=0),
        model=ModelStatus(loaded=False, source="OliBomby/Mapperatorinator-v30", device="auto").model_copy(update=model),
        config_file="/home/u/.config/maid/config.toml", backup_folder="/home/u/.local/share/maid/backups",
        songs_folder="/songs", songs_folder_source="config", watched_folders=3, paused=paused,
        holds=(["user"] if paused else []) if holds is None else holds,
    ).model_dump(mode="json", by_alias=True)


def settings() -> dict[str, Any]:
    """config/get's values for the default settings (dotted keys)."""
    values = Settings().model_dump(mode="json")
    flat = {k: v for k, v in values.items() if not isinstance(v, dict)}
    return flat | {f"{table}.{k}": v for table in ("backups", "hotkeys") for k, v in values[table].items()}


def initialize(model_installed: bool = False) -> dict[str, Any]:
    """initialize's result: without the weights the model methods are listed as unavailable (as the daemon does)."""
    methods = sorted(n for n, m in rpc.methods.items() if m.result is not None and n not in UNAVAILABLE)
    unavailable = dict(UNAVAILABLE) | ({} if model_installed else {name: "maid model pull OliBomby/Mapperatorinator-v30" for name in MODEL_METHODS})
    return {"serverInfo": {"name": "maid", "version": "0.1.0"}, "capabilities": {"methods": methods, "notifications": [], "unavailable": unavailable}}


def connected(paused: bool = False, journal: list[dict[str, Any]] | None = None, model_installed: bool = False, **model: Any) -> TrayState:
    return apply(TrayState(), Connected(initialize(model_installed), status(paused, **model), settings(), [], journal or []))


def notified(state: TrayState, method: str, params: dict[str, Any]) -> TrayState:
    return apply(state, Notified(method, params))


def flat(items: tuple[Item, ...]) -> Iterator[Item]:
    for item in items:
        yield item
        yield from flat(item.submenu)


def find(items: tuple[Item, ...], start: str) -> Item:
    matches = [item for item in flat(items) if item.label.startswith(start)]
    assert len(matches) == 1, f"{start!r}: {[i.label for i in flat(items)]}"
    return matches[0]


def actionable(items: tuple[Item, ...]) -> set[str]:
    return {item.action for item in flat(items) if item.enabled and item.action}


@pytest.fixture(scope="module")
def published(corpus_dir: Path) -> dict[str, Any]:
    """A findings/publish of the real rule checks on a corpus map, as the daemon sends it."""
    path = standard_maps(1)[0]
    findings = rule_checks(path, path.read_bytes())
    assert len(findings) > 5, f"{path.name} has too few findings for this test"
    return {"file": MAP, "sha256": "0" * 64, "source": "rules", "findings": [f.to_json() | {"new": True} for f in findings],
            "fixed": [], "latencyMs": 7.0}


def test_no_model_loaded_and_editor_not_found() -> None:
    state = connected()
    menu = build_menu(state)
    assert menu[0].label == "Model: not loaded (OliBomby/Mapperatorinator-v30)" and not menu[0].enabled
    assert menu[1].label == "Editor: osu! not found"
    assert find(menu, "Load model").enabled and find(menu, "Load model").action == "load_model"
    assert find(menu, "Auto-mod on save").checked is True and find(menu, "Auto-mod on save").args == {"on": False}
    assert not find(menu, "Undo last write").enabled  # nothing written yet
    assert not find(menu, "Remap selection").enabled and not find(menu, "Hitsound selection").enabled  # no model installed
    assert find(menu, "No findings yet").enabled is False
    assert find(menu, "Open settings file").args == {"path": "/home/u/.config/maid/config.toml"}
    assert find(menu, "Quit maid").action == "quit"
    assert icon_kind(state) is IconKind.IDLE and tooltip(state) == "maid: idle"
    assert menu.count(SEPARATOR) == 4 and not state.notices


def test_model_not_installed_then_loading_then_loaded_on_its_device() -> None:
    pull = "maid model pull OliBomby/Mapperatorinator-v30"
    state = connected(installed=False, missing=pull)
    menu = build_menu(state)
    assert menu[0].label == "Model: not installed (OliBomby/Mapperatorinator-v30)" and menu[0].submenu[0].label == pull
    assert not find(menu, "Load model").enabled  # the status line says what to do instead
    refused = apply(state, ActionFailed("load_model", f"OliBomby/Mapperatorinator-v30 is not in the hub cache; run `{pull}`",
                                        int(ErrorCode.MODEL_NOT_INSTALLED)))
    assert icon_kind(refused) is IconKind.ERROR and pull in refused.notices[-1].message

    state = apply(state, StatusRefreshed(status(installed=True), settings()))  # after `maid model pull`
    assert find(build_menu(state), "Load model").enabled and build_menu(state)[0].label == "Model: not loaded (OliBomby/Mapperatorinator-v30)"
    state = notified(state, "job/progress", {"id": "j1", "kind": "model/load", "file": None, "seq": 1, "progress": 0.25,
                                             "message": "loading OliBomby/Mapperatorinator-v30 onto cuda (float16)"})
    menu = build_menu(state)
    assert menu[0].label == "Model: loading OliBomby/Mapperatorinator-v30… 25%"
    assert not find(menu, "Load model").enabled  # no second load while one runs
    assert find(menu, "Cancel model/load").args == {"id": "j1"}
    assert icon_kind(state) is IconKind.WORKING and tooltip(state) == "maid: loading OliBomby/Mapperatorinator-v30 onto cuda (float16) 25%"

    state = notified(state, "job/done", {"id": "j1", "kind": "model/load", "file": None, "state": "done"})
    state = apply(state, StatusRefreshed(status(loaded=True, installed=True, device="cuda", dtype="float16", version="v30"), settings()))
    menu = build_menu(state)
    assert menu[0].label == "Model: v30 on cuda (float16)"
    assert find(menu, "Unload model").action == "unload_model" and find(menu, "Unload model").enabled
    assert state.notices[-1].title == "maid: model/load done"
    assert icon_kind(state) is IconKind.IDLE


def test_hotkey_outcomes_become_notices() -> None:
    done = notified(connected(), "editor/action", {"action": "remap_selection", "ok": True, "step": None, "message": "12 objects remapped in x.osu"})
    assert done.notices[-1].title == "maid: remap selection" and done.notices[-1].message == "12 objects remapped in x.osu"
    assert icon_kind(done) is IconKind.IDLE
    failed = notified(connected(), "editor/action", {"action": "hitsound_selection", "ok": False, "step": "clipboard",
                                                     "message": "the clipboard holds no timestamp"})
    assert failed.notices[-1].title == "maid: hitsound selection failed" and icon_kind(failed) is IconKind.ERROR


def test_working_shows_progress_in_the_tooltip_and_every_job_can_be_cancelled() -> None:
    state = connected()
    for job, fraction in (("a", 0.4), ("b", 0.0), ("a", 0.6)):
        state = notified(state, "job/progress", {"id": job, "kind": "maimod" if job == "a" else "remap", "file": MAP,
                                                 "seq": 1, "progress": fraction, "message": f"window {job}"})
    menu = build_menu(state)
    working = find(menu, "Working:")
    assert working.label == "Working: maimod Artist - Title (mapper) [Insane].osu 60% (+1 more)"
    assert [(i.action, i.args) for i in working.submenu] == [("cancel_job", {"id": "a"}), ("cancel_job", {"id": "b"})]
    assert tooltip(state) == "maid: window a 60% (+1 jobs)" and icon_kind(state) is IconKind.WORKING

    state = notified(state, "job/done", {"id": "a", "kind": "maimod", "file": MAP, "state": "done"})
    assert not state.notices  # MaiMod's outcome arrives as findings, not as a "done" notice
    state = notified(state, "job/done", {"id": "b", "kind": "remap", "file": MAP, "state": "failed", "error": "CUDA out of memory"})
    assert icon_kind(state) is IconKind.ERROR and state.notices[-1].title.endswith("remap of Artist - Title (mapper) [Insane].osu failed")
    assert find(build_menu(state), "Dismiss: remap of").action == "dismiss"
    assert icon_kind(apply(state, Dismissed())) is IconKind.IDLE


def test_findings_waiting_list_the_most_serious_first_with_editor_links(published: dict[str, Any]) -> None:
    state = notified(connected(), "findings/publish", published)
    menu = build_menu(state)
    header = find(menu, "Findings in ")
    counts: dict[str, int] = {}
    for f in published["findings"]:
        counts[f["severity"]] = counts.get(f["severity"], 0) + 1
    for severity, n in counts.items():
        assert f"{n} {severity}" in header.label or header.label.endswith("…")
    shown = [item for item in menu if item.action == "open_url"]
    order = ["error", "problem", "warning", "minor", "info"]
    worst = sorted(published["findings"], key=lambda f: order.index(f["severity"]))[0]["severity"]
    assert len(shown) == 5 and all(f" {worst}: " in item.label for item in shown[:1])
    assert all(item.args["url"].startswith("osu://edit/") for item in shown if item.enabled)
    assert [order.index(item.label.split("  ")[1].split(":")[0]) for item in shown] == sorted(
        order.index(item.label.split("  ")[1].split(":")[0]) for item in shown)
    report = find(menu, "Open full report")
    assert report.args == {"file": MAP} and report.default
    assert icon_kind(state) is IconKind.FINDINGS and tooltip(state).startswith("maid: Artist - Title (mapper) [Insane].osu: ")
    notice = state.notices[-1]
    assert notice.title == "maid: Artist - Title (mapper) [Insane].osu (rules)"
    assert notice.message.endswith(f"({len(published['findings'])} new)")
    assert all(f"{n} {sev}" in notice.message for sev, n in counts.items())

    clean = notified(state, "findings/publish", published | {"findings": [], "fixed": published["findings"][:2]})
    assert find(build_menu(clean), "No findings in Artist").enabled is False
    assert clean.notices[-1].message == "no findings (2 fixed)" and icon_kind(clean) is IconKind.IDLE


def editor(state: GameState, **fields: Any) -> dict[str, Any]:
    """An `editor/state` params as daemon.editor sends it."""
    return {"state": EditorState(state, **fields).to_json()}


def test_editor_state_names_the_open_map_and_enables_the_selection_actions_of_the_editor() -> None:
    state = notified(connected(model_installed=True), "editor/state",
                     editor(GameState.EDITOR, source="v2", client="stable", beatmap_path=Path(MAP), time_ms=83456))
    menu = build_menu(state)
    assert menu[1].label == "Editor: Artist - Title (mapper) [Insane].osu at 01:23:456"
    assert state.current_file == MAP  # the findings shown are the open map's
    remap, hitsound = find(menu, "Remap selection"), find(menu, "Hitsound selection")
    assert (remap.label, remap.action, remap.args, remap.enabled) == ("Remap selection (Ctrl+Alt+R)", "editor_run", {"action": "remap_selection"}, True)
    assert (hitsound.label, hitsound.action, hitsound.args, hitsound.enabled) == ("Hitsound selection (Ctrl+Alt+H)", "editor_run",
                                                                                  {"action": "hitsound_selection"}, True)
    lazer = notified(state, "editor/state", editor(GameState.EDITOR, client="lazer", beatmap_path=Path(MAP), read_only=True))
    assert find(build_menu(lazer), "Editor:").label.endswith("(read-only)")
    assert find(build_menu(lazer), "Hitsound selection").enabled  # the daemon uses lazer's external-edit copy, or says how to get one
    for screen in (GameState.PLAYING, GameState.SONG_SELECT):
        elsewhere = build_menu(notified(state, "editor/state", editor(screen, beatmap_path=Path(MAP))))
        assert not find(elsewhere, "Remap selection").enabled and not find(elsewhere, "Hitsound selection").enabled, screen
    assert find(build_menu(notified(state, "editor/state", editor(GameState.PLAYING, beatmap_path=Path(MAP)))), "osu!:").label == "osu!: playing"
    # tosu gone: the hotkeys' fallback (the clipboard's selection on the last saved map) is still offered
    gone = notified(state, "editor/state", {"state": unavailable("tosu is not running on 127.0.0.1:24050").to_json()})
    assert build_menu(gone)[1].label.startswith("Editor: osu! not found (editor state unavailable: tosu is not running")
    assert find(build_menu(gone), "Hitsound selection").enabled and find(build_menu(gone), "Remap selection").enabled
    # without the weights the model methods are unavailable, and so are the selection actions
    unserved = notified(connected(), "editor/state", editor(GameState.EDITOR, beatmap_path=Path(MAP)))
    assert not find(build_menu(unserved), "Hitsound selection").enabled and not find(build_menu(unserved), "Remap selection").enabled


def test_a_write_offers_undo_and_says_how_to_reload() -> None:
    state = notified(connected(), "file/written", {"path": MAP, "backup": "/b/x.osu", "sha256After": "1" * 64, "job": "job-3", "ai": True,
                                                   "reloadHint": "reload the map in osu!: stable Ctrl+L (Revert to Saved)"})
    undo = find(build_menu(state), "Undo last write")
    assert undo.enabled and undo.args == {"path": MAP} and undo.label == "Undo last write (Artist - Title (mapper) [Insane].osu)"
    assert "Ctrl+L" in state.notices[-1].message and "disclose" in state.notices[-1].message
    created = notified(state, "file/written", {"path": "/songs/x/new [maid].osu", "backup": None, "sha256After": "2" * 64, "job": "job-4",
                                               "ai": True, "reloadHint": "press F5"})
    assert find(build_menu(created), "Undo last write").args == {"path": MAP}  # a new file has no backup to undo to
    other = "/songs/9 x/x (y) [Hard].osu"
    mirrored = notified(created, "file/written", {"path": other, "backup": "/b/y.osu", "sha256After": "3" * 64,
                                                  "job": "bookmark_findings", "ai": False, "reloadHint": "press F5"})
    assert mirrored.notices == created.notices  # findings as bookmarks after each save: no notice of its own
    assert find(build_menu(mirrored), "Undo last write").args == {"path": other}


def test_the_last_write_before_the_tray_started_is_offered_from_the_journal() -> None:
    other = "/songs/9 x/x (y) [Hard].osu"
    journal = [
        {"kind": "write", "file": other, "backup": "/b/1.osu", "provenance": {"ai": True}},
        {"kind": "write", "file": MAP, "backup": "/b/2.osu", "provenance": {"ai": True}},
        {"kind": "create", "file": "/songs/x/new [maid].osu", "backup": None, "provenance": {"ai": True}},
    ]
    undo = find(build_menu(connected(journal=journal)), "Undo last write")
    assert undo.enabled and undo.args == {"path": MAP} and not connected(journal=journal).notices
    assert not find(build_menu(connected(journal=journal[2:])), "Undo last write").enabled  # only a new file: nothing to undo
    restarted = apply(connected(journal=journal), Connected(initialize(), status(), settings(), [], []))
    assert find(build_menu(restarted), "Undo last write").args == {"path": MAP}  # a reconnect keeps what it knew


def test_conflicts_offer_reapply_and_show_the_error_icon() -> None:
    state = notified(connected(), "edit/dropped", {"file": MAP, "job": "job-3", "backup": None, "ai": True, "summary": "remap 00:01:000",
                                                   "hint": "call edits/reapply"})
    reapply = find(build_menu(state), "Conflict in Artist")
    assert reapply.action == "reapply" and reapply.args == {"path": MAP} and reapply.enabled
    assert icon_kind(state) is IconKind.ERROR and tooltip(state) == "maid: 1 conflict(s)"
    refused = apply(state, ActionFailed("reapply", f"{MAP}: the edit's lines changed", int(ErrorCode.CONFLICT), MAP))
    conflict = find(build_menu(refused), "Conflict in Artist")
    assert not conflict.enabled and "lines changed" in conflict.label and len(refused.conflicts) == 1
    assert find(build_menu(refused), "Dismiss:").action == "dismiss"
    assert not apply(refused, Dismissed()).conflicts


def test_paused_by_the_daemon_offers_resume_and_greys_out_auto_mod_the_selection_actions_and_loading() -> None:
    state = notified(connected(model_installed=True, installed=True), "editor/state", editor(GameState.EDITOR, beatmap_path=Path(MAP)))
    assert find(build_menu(state), "Hitsound selection").enabled and find(build_menu(state), "Load model").enabled
    paused = notified(state, "daemon/paused", {"paused": True, "holds": ["user"]})  # another client paused maid
    menu = build_menu(paused)
    resume = find(menu, "Resume")
    assert resume.action == "pause" and resume.args == {"on": False} and resume.enabled and not [i for i in menu if i.label == "Pause all"]
    assert not find(menu, "Auto-mod on save").enabled and not find(menu, "Auto-mod on save").checked
    assert not find(menu, "Remap selection").enabled and not find(menu, "Hitsound selection").enabled
    assert not find(menu, "Load model").enabled  # a load would wait for the resume
    assert icon_kind(paused) is IconKind.PAUSED and tooltip(paused) == "maid: paused" and paused.notices[-1].title == "maid paused"
    loaded = apply(paused, StatusRefreshed(status(True, loaded=True, device="cpu", dtype="float32", version="v30"), settings()))
    assert find(build_menu(loaded), "Unload model").enabled  # freeing memory is never held
    resumed = notified(paused, "daemon/paused", {"paused": False, "holds": []})
    assert find(build_menu(resumed), "Pause all").args == {"on": True} and find(build_menu(resumed), "Hitsound selection").enabled
    assert icon_kind(resumed) is IconKind.IDLE and resumed.notices[-1] == Notice("maid resumed", "maid works again")


def test_a_tray_that_connects_to_a_paused_daemon_shows_it_paused() -> None:
    state = connected(paused=True)
    assert icon_kind(state) is IconKind.PAUSED and find(build_menu(state), "Resume").args == {"on": False}
    assert not connected().paused
    # resumed elsewhere while the tray was away: the status poll says so
    assert not apply(state, StatusRefreshed(status(False), settings())).paused


def test_the_tray_shows_paused_only_for_the_users_pause_not_for_play_modes_hold() -> None:
    playing = apply(connected(model_installed=True, installed=True), StatusRefreshed(status(holds=["play"]), settings()))
    playing = notified(playing, "jobs/holds", {"holds": ["play"]})
    assert not playing.paused and icon_kind(playing) is not IconKind.PAUSED and playing.notices == ()  # silent
    assert find(build_menu(playing), "Pause all").args == {"on": True}
    both = notified(playing, "daemon/paused", {"paused": True, "holds": ["play", "user"]})
    assert both.paused and icon_kind(both) is IconKind.PAUSED
    resumed = notified(both, "daemon/paused", {"paused": False, "holds": ["play"]})  # resumed while osu! is in play mode
    assert not resumed.paused and icon_kind(resumed) is not IconKind.PAUSED
    assert resumed.notices[-1] == Notice("maid resumed", "maid works again; model jobs wait until osu! leaves play mode")
    assert connected(paused=True).paused and not apply(both, StatusRefreshed(status(holds=["play"]), settings())).paused


def test_daemon_unreachable_leaves_only_local_items() -> None:
    state = apply(connected(), Disconnected("maid is not running (no /x/daemon.json); start it with `maid start`"))
    menu = build_menu(state)
    assert menu[0].label == "maid is not running (no /x/daemon.json); start it with `maid start`" and not menu[0].enabled
    assert actionable(menu) == {"open_path", "open_log", "copy_token", "quit"}  # local things stay reachable
    assert find(menu, "Quit tray").action == "quit"
    assert icon_kind(state) is IconKind.DISCONNECTED and tooltip(state) == menu[0].label
    fresh = build_menu(TrayState())
    assert fresh[0].label == "Connecting to maid…" and actionable(fresh) == {"open_log", "quit"}
    assert icon_kind(apply(state, GaveUp("gone"))) is IconKind.DISCONNECTED


def test_every_action_the_menu_offers_has_a_handler(published: dict[str, Any]) -> None:
    states = [
        TrayState(), connected(), connected(loaded=True, device="cpu", dtype="float32", version="v30"),
        notified(connected(), "findings/publish", published), connected(paused=True), connected(journal=[{"file": MAP, "backup": "/b"}]),
        notified(connected(), "edit/dropped", {"file": MAP, "job": "j", "backup": None, "ai": False, "summary": "s", "hint": "h"}),
        notified(connected(), "job/progress", {"id": "j", "kind": "remap", "file": MAP, "seq": 1, "progress": 0.1, "message": "m"}),
        apply(connected(), ActionFailed("undo", "no backup", int(ErrorCode.NOT_FOUND), MAP)),
        notified(connected(model_installed=True), "editor/state", editor(GameState.EDITOR, beatmap_path=Path(MAP))),
    ]
    offered = {item.action for state in states for item in flat(build_menu(state)) if item.action}
    known = set(Actions(None, None, None, TrayState, print, print).handlers)  # type: ignore[arg-type]
    assert offered <= known, offered - known
    assert {"toggle_automod", "editor_run", "undo", "open_path", "load_model", "unload_model", "pause",
            "open_log", "copy_token", "quit", "open_url", "open_report", "cancel_job", "reapply", "dismiss"} <= offered


def test_hotkeys_read_as_menus_write_them() -> None:
    assert format_hotkey(HotkeySettings().remap_selection) == "Ctrl+Alt+R"
    assert format_hotkey("<cmd>+<shift>+f5") == "Cmd+Shift+F5"
