"""Which Songs folder `maid start` watches: the setting, else the osu! install's, else a copy of the demo
mapset in the user data dir (made once, never overwritten), reported by `status`."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from daemon.config import load_settings, user_paths
from daemon.songs_folder import DEMO_MAPSET_NAME, find_songs_folder
from engine.demo import demo_mapset_folder
from tests.daemon.test_api import client, running


@pytest.fixture
def no_osu(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A home folder without osu! (no Wine prefix, no install): discovery finds nothing."""
    home = tmp_path / "home"
    home.mkdir()
    for name in ("WINEPREFIX", "LOCALAPPDATA", "XDG_DATA_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(home))
    return home


def test_without_a_songs_folder_the_demo_mapset_is_copied_once_and_watched(maid_home: Path, no_osu: Path) -> None:
    demo_map = maid_home / "data" / "demo-songs" / DEMO_MAPSET_NAME / "maid - Demo Song (maid) [Normal].osu"

    async def main() -> None:
        async with running() as daemon, client(daemon) as rpc:
            status = await rpc.result("status")
            assert status["songsFolderSource"] == "demo" and status["songsFolder"] == str(demo_map.parent.parent)
            assert status["watchedFolders"] >= 1
            assert (await rpc.result("check", {"path": str(demo_map)}))["state"] == "done"

    asyncio.run(main())
    copied = sorted(p.name for p in demo_map.parent.iterdir())
    assert copied == sorted(p.name for p in demo_mapset_folder().iterdir() if p.is_file())
    assert demo_map.read_bytes() == (demo_mapset_folder() / demo_map.name).read_bytes()
    demo_map.write_bytes(demo_map.read_bytes() + b"\r\n")  # the mapper edits the demo map
    edited = demo_map.read_bytes()
    asyncio.run(main())  # a second start keeps the copy as it is
    assert demo_map.read_bytes() == edited
    assert not [p for p in demo_map.parent.parent.iterdir() if p.name.endswith(".partial")]


def test_the_setting_wins_and_a_missing_folder_falls_back(maid_home: Path, no_osu: Path, tmp_path: Path) -> None:
    paths = user_paths()
    songs = tmp_path / "Songs"
    songs.mkdir()
    found = find_songs_folder(load_settings(paths, {"songs_folder": songs}), paths)
    assert (found.path, found.source) == (songs, "config") and str(paths.config_file) in found.note
    missing = find_songs_folder(load_settings(paths, {"songs_folder": tmp_path / "nope"}), paths)
    assert missing.source == "demo" and "set songs_folder" in missing.note


def test_an_osu_install_is_found_before_the_demo(maid_home: Path, no_osu: Path) -> None:
    install = no_osu / ".local" / "share" / "osu-wine" / "osu!"  # osu-winello's place
    (install / "Songs").mkdir(parents=True)
    paths = user_paths()
    found = find_songs_folder(load_settings(paths), paths)
    assert (found.path, found.source) == (install / "Songs", "osu! install") and str(install) in found.note
    assert not (maid_home / "data" / "demo-songs").exists()
