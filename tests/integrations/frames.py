"""tosu / gosumemory frames shaped like editor-state.md §1.4 (stable v1 and v2, lazer v2 from tosu #429),
with the Songs folder and state numbers as parameters, and a fake tosu server that replays them."""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from http import HTTPStatus
from typing import Any

from websockets.asyncio.server import ServerConnection, serve

SONGS_WIN = "C:\\Users\\me\\AppData\\Local\\osu!\\Songs"
FOLDER = "1 Kenji Ninuma - DISCO PRINCE"
FILE = "Kenji Ninuma - DISCOPRINCE (peppy) [Normal].osu"
MD5 = "a5b99395a42bd55bc5eb1d2411cbdf8b"

V2_STABLE_EDITOR: dict[str, Any] = {
    "client": "stable",
    "server": "ppy.sh",
    "state": {"number": 1, "name": "edit"},
    "game": {"focused": True, "paused": False},
    "settings": {"mode": {"number": 0, "name": "osu"}},
    "beatmap": {
        "isKiai": False, "isBreak": False, "isConvert": False,
        "time": {"live": 48507, "firstObject": 1234, "lastObject": 171544, "mp3Length": 176040},
        "status": {"number": 4, "name": "ranked"},
        "checksum": MD5, "id": 75, "set": 1,
        "mode": {"number": 0, "name": "osu"},
        "artist": "Kenji Ninuma", "title": "DISCO PRINCE", "mapper": "peppy", "version": "Normal",
    },
    "folders": {"game": "C:\\Users\\me\\AppData\\Local\\osu!", "skin": "- YUGEN -", "songs": SONGS_WIN, "beatmap": FOLDER},
    "files": {"beatmap": FILE, "background": "bg.jpg", "audio": "20.mp3"},
    "directPath": {
        "beatmapFile": f"{FOLDER}\\{FILE}", "beatmapBackground": f"{FOLDER}\\bg.jpg",
        "beatmapAudio": f"{FOLDER}\\20.mp3", "beatmapFolder": FOLDER, "skinFolder": "- YUGEN -",
    },
}  # fmt: skip

V2_LAZER_EDITOR: dict[str, Any] = {
    "client": "lazer",
    "server": "ppy.sh",
    "state": {"number": 1, "name": "edit"},
    "beatmap": {
        "time": {"live": 25294, "firstObject": 0, "lastObject": 0, "mp3Length": 202658},
        "status": {"number": 4, "name": "ranked"},
        "checksum": "7854e784c55edd19e5163f4ed1bf2d76", "id": 2719431, "set": 1312124,
        "mode": {"number": 0, "name": "osu"},
        "artist": "Ayase Rie", "mapper": "Lasse", "version": "Insane",
    },
    "folders": {"songs": "E:\\osu-lazer\\files", "beatmap": "."},
    "files": {"beatmap": "7\\70\\70b3ffe6e0a59287", "audio": "1\\1b\\1b95c6fbf994"},
}  # fmt: skip

V1_STABLE_EDITOR: dict[str, Any] = {
    "client": "stable",
    "settings": {"showInterface": False, "folders": {"game": "C:\\Users\\me\\AppData\\Local\\osu!", "skin": "- YUGEN -", "songs": SONGS_WIN}},
    "menu": {
        "mainMenu": {"bassDensity": 0}, "state": 1, "gameMode": 0, "isChatEnabled": 0,
        "bm": {
            "time": {"firstObj": 1234, "current": 48507, "full": 171544, "mp3": 176040},
            "id": 75, "set": 1, "md5": MD5, "rankedStatus": 4,
            "metadata": {"artist": "Kenji Ninuma", "artistOriginal": "Kenji Ninuma", "title": "DISCO PRINCE",
                         "titleOriginal": "DISCO PRINCE", "mapper": "peppy", "difficulty": "Normal"},
            "stats": {"AR": 6, "CS": 4, "OD": 6, "HP": 6, "SR": 2.4, "BPM": {"common": 120, "min": 120, "max": 120}},
            "path": {"full": f"{FOLDER}\\bg.jpg", "folder": FOLDER, "file": FILE, "bg": "bg.jpg", "audio": "20.mp3"},
        },
        "mods": {"num": 0, "str": "NM"},
    },
    "gameplay": {"gameMode": 0, "name": "", "score": 0},
    "resultsScreen": {"name": "", "score": 0},
    "tourney": {},
}  # fmt: skip

NOT_READY = {"error": "not_ready"}


def v2(number: int, name: str, songs: str = SONGS_WIN, live: int = 48507) -> dict[str, Any]:
    frame = copy.deepcopy(V2_STABLE_EDITOR)
    frame["state"] = {"number": number, "name": name}
    frame["folders"]["songs"] = songs
    frame["beatmap"]["time"]["live"] = live
    return frame


def v1(number: int, songs: str = SONGS_WIN, current: int = 48507) -> dict[str, Any]:
    frame = copy.deepcopy(V1_STABLE_EDITOR)
    frame["menu"]["state"] = number
    frame["settings"]["folders"]["songs"] = songs
    frame["menu"]["bm"]["time"]["current"] = current
    return frame


CLOSE = "close"  # in a script: the server drops the connection here


class FakeTosu:
    """A websocket server on 127.0.0.1 (ephemeral port) that replays one script per connection on each path.

    `scripts[path]` is a list of connection scripts; a script is frames (dicts, or raw text) and CLOSE. After
    its script the connection stays open and silent. Without `v2`, `/websocket/v2` answers 404 like
    gosumemory. `received` holds what clients sent, by path."""

    def __init__(self, scripts: dict[str, list[list[Any]]], v2: bool = True, interval: float = 0.02) -> None:
        self.scripts = {path: list(s) for path, s in scripts.items()}
        self.v2 = v2
        self.interval = interval
        self.received: dict[str, list[str]] = {}
        self.connections: list[str] = []
        self.port = 0

    def _process_request(self, connection: ServerConnection, request):  # noqa: ANN001, ANN202
        if request.path == "/websocket/v2" and not self.v2:
            return connection.respond(HTTPStatus.NOT_FOUND, "404 page not found\n")
        return None

    async def _handler(self, connection: ServerConnection) -> None:
        path = connection.request.path
        self.connections.append(path)
        script = self.scripts[path].pop(0) if self.scripts.get(path) else []
        reader = asyncio.create_task(self._read(connection, path))
        try:
            for item in script:
                if item == CLOSE:
                    await connection.close()
                    return
                await connection.send(item if isinstance(item, str) else json.dumps(item))
                await asyncio.sleep(self.interval)
            await connection.wait_closed()
        finally:
            reader.cancel()

    async def _read(self, connection: ServerConnection, path: str) -> None:
        async for message in connection:
            self.received.setdefault(path, []).append(str(message))

    @asynccontextmanager
    async def running(self) -> AsyncIterator[FakeTosu]:
        async with serve(self._handler, "127.0.0.1", 0, process_request=self._process_request) as server:
            self.port = server.sockets[0].getsockname()[1]
            yield self
