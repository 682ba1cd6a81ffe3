"""The tray's menu, icon and tooltip as pure functions of `TrayState`.

`build_menu(state)` returns plain `Item`s (label, enabled, checked, action id + args, submenu); the app
turns them into pystray items and `tray.actions` runs the action ids. Because the menu is data, every
daemon state is tested without a display.

This module must never do I/O and never call the daemon.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from typing import Any

from tray.icons import IconKind
from tray.state import TrayState, current_findings, editor_file, file_name, severity_counts

TOP_FINDINGS = 5
LABEL_MAX = 80
TOOLTIP_MAX = 127  # Windows cuts tooltips at 128 characters


@dataclass(frozen=True)
class Item:
    label: str
    action: str | None = None
    args: dict[str, Any] = field(default_factory=dict)
    enabled: bool = True
    checked: bool | None = None  # None: not a check item
    default: bool = False  # run on a left click (the only action the xorg backend has)
    submenu: tuple[Item, ...] = ()

    @property
    def separator(self) -> bool:
        return self.label == SEPARATOR.label


SEPARATOR = Item("-", enabled=False)


def build_menu(state: TrayState) -> tuple[Item, ...]:
    """Every menu entry for `state`, top to bottom."""
    online = state.connection == "connected"
    return (
        *_status_section(state),
        SEPARATOR,
        *_editing_section(state, online),
        SEPARATOR,
        *_findings_section(state),
        SEPARATOR,
        *_daemon_section(state, online),
        SEPARATOR,
        Item("Open settings file", "open_path", {"path": state.status.config_file} if state.status else {}, enabled=state.status is not None),
        Item("Open log", "open_log"),
        Item("About maid", submenu=_about(state)),
        Item("Quit maid" if online else "Quit tray", "quit"),
    )


# ---- sections ------------------------------------------------------------------------------------


def _status_section(state: TrayState) -> list[Item]:
    if state.connection != "connected" or state.status is None:
        return [Item(_connection_line(state), enabled=False)]
    missing = state.status.model.missing if state.status.model.installed is False else None
    how = tuple(Item(line, enabled=False) for line in textwrap.wrap(missing or "", LABEL_MAX - 10))  # what to do, in full
    items = [Item(_model_line(state), enabled=bool(how), submenu=how), Item(_editor_line(state), enabled=False)]
    if state.jobs:
        jobs = tuple(Item(f"Cancel {_job_label(j.kind, j.file, j.progress)}", "cancel_job", {"id": j.id}) for j in state.jobs)
        items.append(Item(f"Working: {_job_label(state.jobs[0].kind, state.jobs[0].file, state.jobs[0].progress)}"
                          + (f" (+{len(state.jobs) - 1} more)" if len(state.jobs) > 1 else ""), submenu=jobs))
    items += [Item(_clip(f"Conflict in {file_name(c.file)}: reapply maid's edit" if c.reapply else f"Conflict in {file_name(c.file)}: {c.message.replace(c.file, '').lstrip(': ')}"),
                   "reapply" if c.reapply else None, {"path": c.file} if c.reapply else {}, enabled=c.reapply)
              for c in state.conflicts]
    if state.error is not None or state.conflicts:
        items.append(Item(_clip(f"Dismiss: {state.error}" if state.error else "Dismiss the conflicts"), "dismiss"))
    return items


def _connection_line(state: TrayState) -> str:
    if state.connection == "connecting":
        return "Connecting to maid…"
    return _clip(state.reason or "maid is not running")


def _model_line(state: TrayState) -> str:
    assert state.status is not None
    model = state.status.model
    loading = next((j for j in state.jobs if j.kind == "model/load"), None)
    if loading is not None:
        return f"Model: loading {model.source}… {loading.progress:.0%}"
    if model.loaded:
        return _clip(f"Model: {model.version or model.source} on {model.device}" + (f" ({model.dtype})" if model.dtype else ""))
    if model.installed is False:
        return _clip(f"Model: not installed ({model.source})")
    return _clip(f"Model: not loaded ({model.source})")


def _editor_line(state: TrayState) -> str:
    """From daemon.editor's `editor/state` (integrations.tosu.EditorState.to_json)."""
    editor = state.editor
    if editor is None:
        return "Editor: osu! not found"
    if editor.get("state") == "unavailable":
        return _clip(f"Editor: osu! not found ({editor.get('reason') or 'no editor state'})")
    if editor.get("state") != "editor":
        return _clip(f"osu!: {str(editor.get('state')).replace('_', ' ')}")
    opened = editor_file(editor)
    time_ms = editor.get("time_ms")
    at = f" at {_clock(time_ms)}" if isinstance(time_ms, (int, float)) else ""
    return _clip(f"Editor: {file_name(opened) if opened else 'open'}{at}" + (" (read-only)" if editor.get("read_only") else ""))


def _editing_section(state: TrayState, online: bool) -> list[Item]:
    automod = bool(state.settings.get("automod_on_save", False))
    return [
        Item("Auto-mod on save", "toggle_automod", {"on": not automod}, enabled=online and not state.paused, checked=automod and not state.paused),
        _selection_item(state, online, "Remap selection", "remap_selection", "remap"),
        _selection_item(state, online, "Hitsound selection", "hitsound_selection", "hitsound"),
    ]


def _selection_item(state: TrayState, online: bool, label: str, action: str, needs: str) -> Item:
    """What the hotkey `action` runs (editor/run: the editor's selection, copied with Ctrl+C, on the open map).
    Offered while osu! is in the editor, or while its state is unknown (then the last saved map is used);
    not while it plays or shows another screen, nor while the model method `needs` is unavailable."""
    screen = (state.editor or {}).get("state")
    where = screen in (None, "editor", "unavailable")
    served = {"editor/run", needs} <= state.available
    return Item(_with_hotkey(label, state.settings.get(f"hotkeys.{action}")), "editor_run", {"action": action},
                enabled=online and not state.paused and where and served)


def _with_hotkey(label: str, hotkey: Any) -> str:
    return f"{label} ({format_hotkey(hotkey)})" if isinstance(hotkey, str) else label  # a tab is an accelerator column only on Windows


def _findings_section(state: TrayState) -> list[Item]:
    if state.current_file is None:
        return [Item("No findings yet (save a map in the editor)", enabled=False)]
    findings = current_findings(state)
    name = file_name(state.current_file)
    if not findings:
        return [Item(_clip(f"No findings in {name}"), enabled=False)]
    counts = ", ".join(f"{n} {sev}" for sev, n in severity_counts(findings).items())
    items = [Item(_clip(f"Findings in {name}: {counts}"), enabled=False)]
    for finding in findings[:TOP_FINDINGS]:
        when = str(finding.get("timestamp") or "").rstrip(" -") or "—"
        link = finding.get("link")
        items.append(Item(_clip(f"{when}  {finding.get('severity')}: {finding.get('message')}"), "open_url",
                          {"url": link} if link else {}, enabled=bool(link)))
    items.append(Item("Open full report…", "open_report", {"file": state.current_file}, default=True))
    return items


def _daemon_section(state: TrayState, online: bool) -> list[Item]:
    status = state.status
    write = state.last_write
    loading = any(j.kind in ("model/load", "model/unload") for j in state.jobs)
    loaded = bool(status and status.model.loaded)
    return [
        Item(_clip(f"Undo last write ({file_name(write)})") if write else "Undo last write", "undo",
             {"path": write} if write else {}, enabled=online and write is not None),
        Item("Open backups folder", "open_path", {"path": status.backup_folder} if status else {}, enabled=status is not None),
        # a load would wait for the resume (a paused daemon holds the model lanes); unloading still runs
        Item("Unload model" if loaded else "Load model", "unload_model" if loaded else "load_model",
             enabled=online and not loading and (loaded or (not state.paused and bool(status and status.model.installed is not False)))),
        Item("Resume" if state.paused else "Pause all", "pause", {"on": not state.paused}, enabled=online),
    ]


def _about(state: TrayState) -> tuple[Item, ...]:
    status = state.status
    if status is None:
        return (Item("maid (not connected)", enabled=False),)
    return (
        Item(f"maid {status.version} (pid {status.pid})", enabled=False),
        Item(f"API: ws://127.0.0.1:{status.port}/", enabled=False),
        Item("Copy API token", "copy_token"),
    )


# ---- icon and tooltip ----------------------------------------------------------------------------


def icon_kind(state: TrayState) -> IconKind:
    if state.connection != "connected":
        return IconKind.DISCONNECTED
    if state.paused:
        return IconKind.PAUSED
    if state.error is not None or state.conflicts:
        return IconKind.ERROR
    if state.jobs:
        return IconKind.WORKING
    if current_findings(state):
        return IconKind.FINDINGS
    return IconKind.IDLE


def progress(state: TrayState) -> float | None:
    """The first running job's progress (what the WORKING icon's ring shows)."""
    return state.jobs[0].progress if state.jobs else None


def tooltip(state: TrayState) -> str:
    kind = icon_kind(state)
    if kind is IconKind.DISCONNECTED:
        text = _connection_line(state)
    elif kind is IconKind.PAUSED:
        text = "maid: paused"
    elif kind is IconKind.ERROR:
        text = f"maid: {state.error}" if state.error else f"maid: {len(state.conflicts)} conflict(s)"
    elif kind is IconKind.WORKING:
        job = state.jobs[0]
        text = f"maid: {job.message or job.kind} {job.progress:.0%}" + (f" (+{len(state.jobs) - 1} jobs)" if len(state.jobs) > 1 else "")
    elif kind is IconKind.FINDINGS:
        counts = ", ".join(f"{n} {sev}" for sev, n in severity_counts(current_findings(state)).items())
        text = f"maid: {file_name(state.current_file)}: {counts}"
    else:
        text = "maid: idle"
    return text if len(text) <= TOOLTIP_MAX else text[: TOOLTIP_MAX - 1] + "…"


# ---- formatting ----------------------------------------------------------------------------------


def format_hotkey(hotkey: str) -> str:
    """pynput's "<ctrl>+<alt>+r" as menus write it: "Ctrl+Alt+R"."""
    return "+".join(part.strip("<>").capitalize() if part.startswith("<") else part.upper() for part in hotkey.split("+"))


def _job_label(kind: str, file: str | None, fraction: float) -> str:
    return f"{kind}" + (f" {file_name(file)}" if file else "") + f" {fraction:.0%}"


def _clock(ms: float) -> str:
    whole = int(ms)
    return f"{whole // 60000:02d}:{whole // 1000 % 60:02d}:{whole % 1000:03d}"


def _clip(text: str) -> str:
    return text if len(text) <= LABEL_MAX else text[: LABEL_MAX - 1] + "…"
