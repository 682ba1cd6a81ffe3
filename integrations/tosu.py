"""What the osu! editor is doing, from tosu's websocket (`/websocket/v2`, falling back to the
gosumemory-compatible `/ws`): game state, the open .osu, the playhead, mode, checksum, stable or lazer.

`parse_v2` / `parse_v1` turn one frame into an `EditorState`; `editor_states` is an async stream of
states from a live tosu (or gosumemory) that reconnects with backoff and never raises: when tosu is not
running, answers `not_ready`, stalls or sends a frame without the fields maid needs, the stream yields
an *unavailable* state with the reason, and the daemon falls back to file watching
(editor-state.md §1, §2). Field paths and state numbers are those of editor-state.md §1.2–§1.4.

lazer's open map is a file of its content store (`files/a/ab/<sha256>`): it is reported with
`read_only=True` and must never be written (the mapper uses "Edit externally" instead, §4).

It imports nothing of maid but integrations.osu_install (Wine paths); it never writes files and never
calls into the daemon.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path, PureWindowsPath
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

log = logging.getLogger(__name__)

DEFAULT_PORT = 24050  # tosu and gosumemory
V2_PATH = "/websocket/v2"
V1_PATH = "/ws"
# Only what maid reads (editor-state.md §1.1: `applyFilters:<json array>` shrinks every frame).
V2_FILTERS: list[Any] = [
    "client",
    "state",
    {"field": "beatmap", "keys": ["time", "checksum", "mode", "artist", "title", "mapper", "version"]},
    "folders",
    "files",
    "directPath",
    "game",
]
EDITOR = 1
PLAYING = 2
SONG_SELECT = {4, 5, 13}  # selectEdit, selectPlay, selectMulti


class GameState(StrEnum):
    EDITOR = "editor"
    SONG_SELECT = "song_select"
    PLAYING = "playing"
    OTHER = "other"
    UNAVAILABLE = "unavailable"  # no tosu, not_ready, stalled or an unreadable frame: watch files instead


def game_state(number: int) -> GameState:
    if number == EDITOR:
        return GameState.EDITOR
    if number == PLAYING:
        return GameState.PLAYING
    return GameState.SONG_SELECT if number in SONG_SELECT else GameState.OTHER


@dataclass(frozen=True)
class EditorState:
    """One moment of the game as tosu sees it. `beatmap_path` is absolute; `read_only` marks lazer's
    content-store files (never write them). `reason` says why the state is unavailable."""

    state: GameState
    reason: str = ""
    source: str | None = None  # "v2" (tosu) or "v1" (gosumemory-compatible /ws)
    client: str | None = None  # "stable" or "lazer"
    state_number: int | None = None
    beatmap_path: Path | None = None
    read_only: bool = False
    songs_folder: Path | None = None
    time_ms: int | None = None
    mode: int | None = None  # the map's own mode (v2 only; v1 knows only the song-select ruleset)
    checksum: str | None = None  # MD5 of the .osu as osu! loaded it (a weak signal: hash the file yourself)
    artist: str = ""
    title: str = ""
    version: str = ""  # difficulty name (finds the map in lazer's external-edit folder)
    focused: bool | None = None  # osu!'s window has the focus (v2 `game.focused`; None when unknown)

    @property
    def available(self) -> bool:
        return self.state is not GameState.UNAVAILABLE

    @property
    def in_editor(self) -> bool:
        return self.state is GameState.EDITOR

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["state"] = self.state.value
        for key in ("beatmap_path", "songs_folder"):
            data[key] = str(data[key]) if data[key] is not None else None
        data["available"] = self.available
        return data


def unavailable(reason: str, source: str | None = None) -> EditorState:
    return EditorState(GameState.UNAVAILABLE, reason=f"editor state unavailable: {reason}", source=source)


class FrameError(ValueError):
    """A frame without a field maid needs; the message names the field."""


PathMapper = Callable[[str], Path]


def host_path(text: str) -> Path:
    """A path as tosu reports it, on this machine: Windows paths (drive letter, backslashes) under Wine
    map `Z:\\` to `/` and other drives into the default Wine prefix."""
    if sys.platform == "win32" or not PureWindowsPath(text).drive:
        return Path(text.replace("\\", "/")) if sys.platform != "win32" else Path(text)
    from integrations.osu_install import wine_to_host

    prefix = Path(os.environ.get("WINEPREFIX", Path.home() / ".wine"))
    return wine_to_host(text, prefix)


def _get(frame: dict[str, Any], dotted: str, kind: type | tuple[type, ...] = object) -> Any:
    value: Any = frame
    for key in dotted.split("."):
        if not isinstance(value, dict) or key not in value:
            raise FrameError(f"the frame has no {dotted}")
        value = value[key]
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        raise FrameError(f"{dotted} is {value!r}, not a {kind.__name__ if isinstance(kind, type) else 'value of the expected type'}")
    return value


def _opt(frame: dict[str, Any], dotted: str, kind: type | tuple[type, ...] = object, default: Any = None) -> Any:
    try:
        return _get(frame, dotted, kind)
    except FrameError:
        return default


def _relative(text: str) -> str:
    return text.replace("\\", "/").strip("/")


def parse_v2(frame: dict[str, Any], to_host: PathMapper = host_path) -> EditorState:
    """One `/websocket/v2` frame → the state; unavailable (with the missing field) when it cannot be read."""
    if "error" in frame:
        return unavailable(f"tosu answered {frame['error']!r} (osu! not running or not attached yet)", "v2")
    try:
        number = _get(frame, "state.number", int)
        client = _opt(frame, "client", str, "stable")
        state = game_state(number)
        path, songs, read_only = None, None, False
        songs_text = _opt(frame, "folders.songs", str, "")
        if client == "lazer":
            songs_text = songs_text or _opt(frame, "folders.skin", str, "")  # an older build put the store there
            hashed = _opt(frame, "files.beatmap", str, "")
            if state is GameState.EDITOR and not (songs_text and hashed):
                raise FrameError("the frame has no folders.songs / files.beatmap for lazer's open map")
            if songs_text and hashed:
                songs, read_only = to_host(songs_text), True
                path = songs / _relative(hashed)
        else:
            relative = _opt(frame, "directPath.beatmapFile", str, "")
            if state is GameState.EDITOR:
                if not songs_text:
                    raise FrameError("the frame has no folders.songs")
                if not relative:
                    raise FrameError("the frame has no directPath.beatmapFile")
            if songs_text:
                songs = to_host(songs_text)
                path = songs / _relative(relative) if relative else None
        time_ms = _opt(frame, "beatmap.time.live", (int, float))
        if state is GameState.EDITOR and time_ms is None:
            raise FrameError("the frame has no beatmap.time.live")
        return EditorState(
            state, source="v2", client=client, state_number=number, beatmap_path=path, read_only=read_only,
            songs_folder=songs, time_ms=None if time_ms is None else int(time_ms),
            mode=_opt(frame, "beatmap.mode.number", int), checksum=_opt(frame, "beatmap.checksum", str) or None,
            artist=_opt(frame, "beatmap.artist", str, ""), title=_opt(frame, "beatmap.title", str, ""),
            version=_opt(frame, "beatmap.version", str, ""), focused=_opt(frame, "game.focused", bool),
        )  # fmt: skip
    except FrameError as exc:
        return unavailable(f"tosu v2 frame unreadable: {exc}", "v2")


def parse_v1(frame: dict[str, Any], to_host: PathMapper = host_path) -> EditorState:
    """One gosumemory-compatible `/ws` frame → the state (no map mode in v1: read it from the file)."""
    if "error" in frame:
        return unavailable(f"tosu answered {frame['error']!r} (osu! not running or not attached yet)", "v1")
    try:
        number = _get(frame, "menu.state", int)
        state = game_state(number)
        client = _opt(frame, "client", str, "stable")
        songs_text = _opt(frame, "settings.folders.songs", str, "")
        folder = _opt(frame, "menu.bm.path.folder", str, "")
        name = _opt(frame, "menu.bm.path.file", str, "")
        if state is GameState.EDITOR:
            for key, value in (("settings.folders.songs", songs_text), ("menu.bm.path.file", name)):
                if not value:
                    raise FrameError(f"the frame has no {key}")
        songs = to_host(songs_text) if songs_text else None
        path = songs / _relative(folder) / name if songs and name else None
        time_ms = _opt(frame, "menu.bm.time.current", (int, float))
        if state is GameState.EDITOR and time_ms is None:
            raise FrameError("the frame has no menu.bm.time.current")
        return EditorState(
            state, source="v1", client=client, state_number=number, beatmap_path=path,
            read_only=client == "lazer", songs_folder=songs, time_ms=None if time_ms is None else int(time_ms),
            checksum=_opt(frame, "menu.bm.md5", str) or None,
            artist=_opt(frame, "menu.bm.metadata.artist", str, ""), title=_opt(frame, "menu.bm.metadata.title", str, ""),
            version=_opt(frame, "menu.bm.metadata.difficulty", str, ""),
        )  # fmt: skip
    except FrameError as exc:
        return unavailable(f"gosumemory /ws frame unreadable: {exc}", "v1")


def parse_frame(text: str | bytes, source: str, to_host: PathMapper = host_path) -> EditorState:
    try:
        frame = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        return unavailable(f"tosu sent a frame that is not JSON ({exc})", source)
    if not isinstance(frame, dict):
        return unavailable(f"tosu sent {type(frame).__name__} instead of an object", source)
    return parse_v2(frame, to_host) if source == "v2" else parse_v1(frame, to_host)


# ---- the live stream ---------------------------------------------------------------------------


@dataclass(frozen=True)
class TosuOptions:
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    stall_s: float = 2.0  # no frame for this long: osu! gone or tosu stalled (tosu sends every 150 ms)
    backoff_s: float = 0.5  # first reconnect delay, doubled up to `backoff_max_s`
    backoff_max_s: float = 10.0
    open_timeout_s: float = 3.0
    to_host: PathMapper = field(default=host_path)

    def url(self, path: str) -> str:
        return f"ws://{self.host}:{self.port}{path}"


async def _open(options: TosuOptions) -> tuple[ClientConnection, str]:
    """Connect to /websocket/v2, or to /ws when the server has no v2 (gosumemory, an old tosu)."""
    try:
        connection = await connect(options.url(V2_PATH), open_timeout=options.open_timeout_s, max_size=8 << 20)
    except InvalidStatus:
        connection = await connect(options.url(V1_PATH), open_timeout=options.open_timeout_s, max_size=8 << 20)
        return connection, "v1"
    await connection.send("applyFilters:" + json.dumps(V2_FILTERS))
    return connection, "v2"


async def editor_states(options: TosuOptions = TosuOptions()) -> AsyncIterator[EditorState]:
    """States from tosu for as long as the consumer iterates; consecutive equal states are yielded once.
    Never raises for tosu's sake: every failure becomes an unavailable state and a reconnect."""
    delay = options.backoff_s
    last: EditorState | None = None

    def changed(state: EditorState) -> bool:
        nonlocal last
        if state == last:
            return False
        last = state
        return True

    while True:
        try:
            connection, source = await _open(options)
        except (OSError, InvalidHandshake, TimeoutError) as exc:
            state = unavailable(f"tosu not reachable at {options.url(V2_PATH)} ({exc or type(exc).__name__}); is tosu running?")
            if changed(state):
                yield state
            await asyncio.sleep(delay)
            delay = min(delay * 2, options.backoff_max_s)
            continue
        log.info("tosu: connected to %s", options.url(V2_PATH if source == "v2" else V1_PATH))
        try:
            async with connection:
                while True:
                    try:
                        text = await asyncio.wait_for(connection.recv(), options.stall_s)
                    except TimeoutError:
                        state = unavailable(f"no frame from tosu for {options.stall_s:g} s (osu! not running, or tosu stalled)", source)
                    else:
                        state = parse_frame(text, source, options.to_host)
                        delay = options.backoff_s
                    if changed(state):
                        yield state
        except ConnectionClosed as exc:
            state = unavailable(f"tosu closed the connection ({exc.rcvd.code if exc.rcvd else 'no close frame'}); reconnecting", source)
            if changed(state):
                yield state
        await asyncio.sleep(delay)
        delay = min(delay * 2, options.backoff_max_s)


async def probe(options: TosuOptions = TosuOptions(), timeout_s: float = 3.0) -> EditorState:
    """The first state tosu gives (or why it gives none) within `timeout_s`: for `maid doctor`."""
    stream = editor_states(options)
    try:
        return await asyncio.wait_for(anext(stream), timeout_s)
    except TimeoutError:
        return unavailable(f"tosu at {options.url(V2_PATH)} sent nothing within {timeout_s:g} s")
    finally:
        await stream.aclose()
