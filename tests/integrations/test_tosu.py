"""integrations.tosu against a fake tosu (websockets on 127.0.0.1): v2 and v1 frames become the right
states, reconnection after the server drops, fallback from /websocket/v2 to /ws, and every failure
(no server, not_ready, a stall, a frame without the fields) is an unavailable state with its reason."""

from __future__ import annotations

import asyncio
import json
import socket
from pathlib import Path
from typing import Any

import pytest

from integrations.tosu import GameState, TosuOptions, editor_states, host_path, parse_v1, parse_v2
from tests.integrations.frames import (
    CLOSE,
    FILE,
    FOLDER,
    MD5,
    NOT_READY,
    V1_STABLE_EDITOR,
    V2_LAZER_EDITOR,
    V2_STABLE_EDITOR,
    FakeTosu,
    v1,
    v2,
)


def options(port: int, **kw: Any) -> TosuOptions:
    return TosuOptions(port=port, stall_s=kw.pop("stall_s", 2.0), backoff_s=0.05, backoff_max_s=0.2, open_timeout_s=1.0, **kw)


async def collect(port: int, count: int, timeout: float = 10.0, **kw: Any) -> list:
    states = []

    async def take() -> None:
        async for state in editor_states(options(port, **kw)):
            states.append(state)
            if len(states) == count:
                return

    await asyncio.wait_for(take(), timeout)
    return states


def test_the_spec_v2_stable_frame_under_wine(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("WINEPREFIX", str(tmp_path / "prefix"))
    state = parse_v2(V2_STABLE_EDITOR)
    songs = tmp_path / "prefix" / "drive_c" / "Users" / "me" / "AppData" / "Local" / "osu!" / "Songs"
    assert state.state is GameState.EDITOR and state.available and state.in_editor
    assert (state.source, state.client, state.state_number) == ("v2", "stable", 1)
    assert state.songs_folder == songs and state.beatmap_path == songs / FOLDER / FILE
    assert (state.time_ms, state.mode, state.checksum, state.read_only, state.focused) == (48507, 0, MD5, False, True)
    assert (state.artist, state.title, state.version) == ("Kenji Ninuma", "DISCO PRINCE", "Normal")
    assert json.loads(json.dumps(state.to_json()))["beatmap_path"] == str(songs / FOLDER / FILE)


def test_the_spec_v1_frame_reads_the_same_map(tmp_path: Path) -> None:
    state = parse_v1(V1_STABLE_EDITOR, to_host=lambda s: tmp_path / "Songs")
    assert state.state is GameState.EDITOR and state.source == "v1"
    assert state.beatmap_path == tmp_path / "Songs" / FOLDER / FILE
    assert (state.time_ms, state.checksum, state.mode, state.version) == (48507, MD5, None, "Normal")


def test_a_lazer_map_is_flagged_read_only(tmp_path: Path) -> None:
    state = parse_v2(V2_LAZER_EDITOR, to_host=lambda s: tmp_path / "files")
    assert state.client == "lazer" and state.read_only and state.in_editor
    assert state.beatmap_path == tmp_path / "files" / "7" / "70" / "70b3ffe6e0a59287"
    assert state.version == "Insane"


@pytest.mark.parametrize(
    ("frame", "reason"),
    [
        (NOT_READY, "tosu answered 'not_ready'"),
        ({"client": "stable"}, "no state.number"),
        ({**V2_STABLE_EDITOR, "state": {"number": "edit"}}, "state.number is 'edit'"),
        ({**V2_STABLE_EDITOR, "directPath": {}}, "no directPath.beatmapFile"),
        ({**V2_STABLE_EDITOR, "folders": {}}, "no folders.songs"),
        ({**V2_STABLE_EDITOR, "beatmap": {}}, "no beatmap.time.live"),
        ({**V2_LAZER_EDITOR, "files": {}}, "folders.songs / files.beatmap"),
    ],
)
def test_frames_without_the_fields_are_unavailable_with_the_reason(frame: dict, reason: str) -> None:
    state = parse_v2(frame)
    assert state.state is GameState.UNAVAILABLE and not state.available
    assert state.reason.startswith("editor state unavailable: ") and reason in state.reason


def test_outside_the_editor_missing_map_fields_are_fine() -> None:
    menu = {"client": "stable", "state": {"number": 0, "name": "menu"}}
    assert parse_v2(menu).state is GameState.OTHER
    assert parse_v1({"menu": {"state": 5}}).state is GameState.SONG_SELECT
    assert parse_v1({"menu": {"state": 1}}).state is GameState.UNAVAILABLE  # the editor without its map


def test_v2_stream_states_filters_and_reconnect(tmp_path: Path) -> None:
    songs = str(tmp_path / "Songs")
    tosu = FakeTosu({"/websocket/v2": [
        [v2(5, "selectPlay", songs), v2(1, "edit", songs, 1000), v2(1, "edit", songs, 1000), v2(1, "edit", songs, 1150),
         v2(2, "play", songs), NOT_READY, CLOSE],
        [v2(4, "selectEdit", songs), v2(1, "edit", songs, 2000)],
    ]})  # fmt: skip

    async def main() -> list:
        async with tosu.running():
            return await collect(tosu.port, 8)

    states = asyncio.run(main())
    kinds = [s.state for s in states]
    assert kinds == [GameState.SONG_SELECT, GameState.EDITOR, GameState.EDITOR, GameState.PLAYING, GameState.UNAVAILABLE,
                     GameState.UNAVAILABLE, GameState.SONG_SELECT, GameState.EDITOR]  # fmt: skip
    assert [s.time_ms for s in states if s.in_editor] == [1000, 1150, 2000]  # an equal frame is not repeated
    assert states[1].beatmap_path == Path(songs) / FOLDER / FILE and states[1].source == "v2"
    assert "not_ready" in states[4].reason and "closed the connection" in states[5].reason
    assert tosu.connections == ["/websocket/v2", "/websocket/v2"]  # reconnected after the drop
    sent = tosu.received["/websocket/v2"][0]
    assert sent.startswith("applyFilters:")
    filters = json.loads(sent.removeprefix("applyFilters:"))
    assert {"state", "folders", "directPath", "files", "client"} <= {f for f in filters if isinstance(f, str)}
    assert any(isinstance(f, dict) and f["field"] == "beatmap" and "time" in f["keys"] for f in filters)


def test_falls_back_to_ws_when_there_is_no_v2(tmp_path: Path) -> None:
    songs = str(tmp_path / "Songs")
    tosu = FakeTosu({"/ws": [[v1(5, songs), v1(1, songs, 777), CLOSE], [v1(2, songs)]]}, v2=False)

    async def main() -> list:
        async with tosu.running():
            return await collect(tosu.port, 4)

    states = asyncio.run(main())
    assert [s.state for s in states] == [GameState.SONG_SELECT, GameState.EDITOR, GameState.UNAVAILABLE, GameState.PLAYING]
    assert states[1].source == "v1" and states[1].time_ms == 777
    assert states[1].beatmap_path == Path(songs) / FOLDER / FILE
    assert tosu.connections == ["/ws", "/ws"] and "/ws" not in tosu.received  # no applyFilters on v1


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_no_tosu_is_unavailable_then_connects_when_it_starts(tmp_path: Path) -> None:
    port = _free_port()
    tosu = FakeTosu({"/websocket/v2": [[v2(1, "edit", str(tmp_path))]]})

    async def main() -> list:
        states: list = []

        async def take() -> None:
            async for state in editor_states(options(port)):
                states.append(state)
                if len(states) == 1:  # now start tosu on that port
                    tosu_task.set_result(None)
                if len(states) == 2:
                    return

        tosu_task: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        async def start_tosu() -> None:
            await tosu_task
            from websockets.asyncio.server import serve

            async with serve(tosu._handler, "127.0.0.1", port):
                await asyncio.sleep(5)

        server = asyncio.create_task(start_tosu())
        await asyncio.wait_for(take(), 10)
        server.cancel()
        return states

    states = asyncio.run(main())
    assert states[0].state is GameState.UNAVAILABLE and f"tosu not reachable at ws://127.0.0.1:{port}/websocket/v2" in states[0].reason
    assert states[1].in_editor


def test_a_silent_tosu_is_a_stall(tmp_path: Path) -> None:
    tosu = FakeTosu({"/websocket/v2": [[v2(1, "edit", str(tmp_path))]]})

    async def main() -> list:
        async with tosu.running():
            return await collect(tosu.port, 2, stall_s=0.3)

    states = asyncio.run(main())
    assert states[0].in_editor
    assert states[1].state is GameState.UNAVAILABLE and "no frame from tosu for 0.3 s" in states[1].reason


def test_a_frame_that_is_not_json_is_unavailable(tmp_path: Path) -> None:
    tosu = FakeTosu({"/websocket/v2": [["{not json", v2(1, "edit", str(tmp_path))]]})

    async def main() -> list:
        async with tosu.running():
            return await collect(tosu.port, 2)

    states = asyncio.run(main())
    assert "not JSON" in states[0].reason and states[1].in_editor


def test_host_path_maps_wine_drives(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("WINEPREFIX", str(tmp_path))
    assert host_path("Z:\\home\\me\\Songs") == Path("/home/me/Songs")
    assert host_path("D:\\Songs") == tmp_path / "dosdevices" / "d:" / "Songs"
    assert host_path("/home/me/.local/share/osu-wine/osu!/Songs") == Path("/home/me/.local/share/osu-wine/osu!/Songs")
