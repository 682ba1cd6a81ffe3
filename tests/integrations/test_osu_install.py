"""osu! install discovery on fake home folders: Windows layouts (registry, %LOCALAPPDATA%), Wine prefixes,
osu-winello, the macOS wrapper, BeatmapDirectory in osu!.<user>.cfg, lazer's data folder and its
external-edit mounts."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from integrations.osu_install import (
    OsuEnvironment,
    external_edit_folders,
    find_external_edit,
    find_stable,
    is_in_content_store,
    lazer_data_folder,
    read_beatmap_directory,
    searched_places,
    wine_to_host,
)

CFG = "# osu! configuration for me\nVolumeUniversal = 100\nBeatmapDirectory = {}\nUsername = me\nPassword = secret\n"


def make_install(folder: Path, beatmap_directory: str | None = None, user: str = "me") -> Path:
    (folder / "Songs").mkdir(parents=True)
    (folder / "osu!.cfg").write_text("Fullscreen = 0\n", encoding="utf-8")
    if beatmap_directory is not None:
        (folder / f"osu!.{user}.cfg").write_text(CFG.format(beatmap_directory), encoding="utf-8")
    return folder


class FakeRegistry:
    def __init__(self, values: dict[str, str]) -> None:
        self.values = values

    def open_command(self, key: str) -> str | None:
        return self.values.get(key)


def env(tmp_path: Path, platform: str, **variables: str) -> OsuEnvironment:
    return OsuEnvironment(tmp_path / "home", variables, platform, root=tmp_path / "root", temp=tmp_path / "temp")


def test_windows_localappdata_and_a_relative_beatmap_directory(tmp_path: Path) -> None:
    install = make_install(tmp_path / "Local" / "osu!", "MySongs")
    (install / "MySongs").mkdir()
    found = find_stable(env(tmp_path, "win32", LOCALAPPDATA=str(tmp_path / "Local"), USERNAME="ME"))  # user name case differs
    assert found is not None and found.folder == install and found.found_by == "%LOCALAPPDATA%\\osu!"
    assert found.songs == install / "MySongs" and found.config_file == install / "osu!.me.cfg" and not found.notes


def test_windows_registry_wins_over_localappdata(tmp_path: Path) -> None:
    custom = make_install(tmp_path / "Games" / "osu!")
    make_install(tmp_path / "Local" / "osu!")
    registry = FakeRegistry({r"osu!\shell\open\command": f'"{custom}/osu!.exe" "%1"'})
    where = OsuEnvironment(tmp_path / "home", {"LOCALAPPDATA": str(tmp_path / "Local")}, "win32", registry, temp=tmp_path)
    found = find_stable(where)
    assert found is not None and found.folder == custom and found.songs == custom / "Songs"
    assert found.found_by == r"registry HKEY_CLASSES_ROOT\osu!\shell\open\command"


def test_a_folder_without_songs_or_cfg_is_not_an_install(tmp_path: Path) -> None:
    (tmp_path / "Local" / "osu!").mkdir(parents=True)
    where = env(tmp_path, "win32", LOCALAPPDATA=str(tmp_path / "Local"))
    assert find_stable(where) is None
    assert any("%LOCALAPPDATA%" in place for place in searched_places(where))


def test_wine_prefix_with_an_absolute_windows_beatmap_directory(tmp_path: Path) -> None:
    prefix = tmp_path / "home" / ".wine"
    install = make_install(prefix / "drive_c" / "users" / "me" / "AppData" / "Local" / "osu!", "C:\\Beatmaps\\Songs")
    (prefix / "drive_c" / "Beatmaps" / "Songs").mkdir(parents=True)
    found = find_stable(env(tmp_path, "linux", USER="me"))
    assert found is not None and found.folder == install and found.prefix == prefix
    assert found.songs == prefix / "drive_c" / "Beatmaps" / "Songs" and not found.notes


def test_winello_with_a_z_drive_beatmap_directory(tmp_path: Path) -> None:
    install = make_install(tmp_path / "home" / ".local" / "share" / "osu-wine" / "osu!", "Z:\\data\\Songs")
    (tmp_path / "root" / "data" / "Songs").mkdir(parents=True)
    found = find_stable(env(tmp_path, "linux", USER="me"))
    assert found is not None and found.folder == install and found.found_by == "osu-winello"
    assert found.songs == tmp_path / "root" / "data" / "Songs"


def test_wineprefix_variable_and_a_missing_beatmap_directory_is_noted(tmp_path: Path) -> None:
    prefix = tmp_path / "prefixes" / "osu"
    install = make_install(prefix / "drive_c" / "osu!", "Elsewhere")
    found = find_stable(env(tmp_path, "linux", WINEPREFIX=str(prefix), USER="me"))
    assert found is not None and found.folder == install and found.songs == install / "Elsewhere"
    assert any("does not exist" in note for note in found.notes)


def test_macos_wrapper(tmp_path: Path) -> None:
    install = make_install(tmp_path / "root" / "Applications" / "osu!.app" / "Contents" / "Resources" / "drive_c" / "osu!")
    found = find_stable(env(tmp_path, "darwin"))
    assert found is not None and found.folder == install and found.songs == install / "Songs"


def test_only_beatmap_directory_is_read_from_the_cfg(tmp_path: Path) -> None:
    cfg = tmp_path / "osu!.me.cfg"
    cfg.write_text("\ufeff" + CFG.format("D:\\osu songs"), encoding="utf-8")
    assert read_beatmap_directory(cfg) == "D:\\osu songs"
    cfg.write_text("Password = x\n", encoding="utf-8")
    assert read_beatmap_directory(cfg) is None


def test_wine_to_host_drives(tmp_path: Path) -> None:
    assert wine_to_host("C:\\osu!\\Songs", tmp_path) == tmp_path / "drive_c" / "osu!" / "Songs"
    assert wine_to_host("z:\\srv\\Songs", tmp_path) == Path("/srv/Songs")
    assert wine_to_host("E:\\Songs", tmp_path) == tmp_path / "dosdevices" / "e:" / "Songs"


def test_lazer_data_folder_and_content_store(tmp_path: Path) -> None:
    data = tmp_path / "home" / ".local" / "share" / "osu"
    (data / "files" / "7" / "70").mkdir(parents=True)
    stored = data / "files" / "7" / "70" / "70b3ffe6"
    stored.write_text("osu file format v128\n", encoding="utf-8")
    assert lazer_data_folder(env(tmp_path, "linux")) == data
    assert is_in_content_store(stored, data) and not is_in_content_store(tmp_path / "x.osu", data)
    roaming = tmp_path / "Roaming" / "osu"
    (roaming / "files").mkdir(parents=True)
    assert lazer_data_folder(env(tmp_path, "win32", APPDATA=str(tmp_path / "Roaming"))) == roaming
    assert lazer_data_folder(env(tmp_path, "darwin")) is None


def test_external_edit_mounts_newest_first(tmp_path: Path) -> None:
    where = env(tmp_path, "linux")
    old, new = where.temp / ("a" * 64), where.temp / ("b" * 64)
    for folder, version in ((old, "Insane"), (new, "Insane")):
        folder.mkdir(parents=True)
        (folder / f"Ayase Rie - Yorunikakeru (Lasse) [{version}].osu").write_text("osu file format v128\n", encoding="utf-8")
    (where.temp / "not-a-hash").mkdir()
    (where.temp / ("c" * 64)).mkdir()  # a hash-named folder without maps
    os.utime(old, (1, 1))
    assert external_edit_folders(where) == [new, old]
    assert find_external_edit("Insane", where) == new / "Ayase Rie - Yorunikakeru (Lasse) [Insane].osu"
    assert find_external_edit("Hard", where) is None


def test_lutris_and_bottles_prefixes(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "Games" / "some-other-game" / "drive_c").mkdir(parents=True)
    lutris = home / "Games" / "osu" / "drive_c" / "users" / "me" / "AppData" / "Local" / "osu!"
    make_install(lutris, "C:\\Songs")
    (home / "Games" / "osu" / "drive_c" / "Songs").mkdir(parents=True)
    bottle = home / ".var" / "app" / "com.usebottles.bottles" / "data" / "bottles" / "bottles" / "osu"
    in_bottle = make_install(bottle / "drive_c" / "osu!")
    where = env(tmp_path, "linux", USER="me")

    found = find_stable(where)
    assert found is not None and found.folder == lutris and found.found_by.startswith("Lutris")
    assert found.prefix == home / "Games" / "osu" and found.songs == home / "Games" / "osu" / "drive_c" / "Songs"

    shutil.rmtree(home / "Games" / "osu")
    found = find_stable(where)
    assert found is not None and found.folder == in_bottle and found.found_by.startswith("Bottles (Flatpak)")
    assert found.prefix == bottle and found.songs == in_bottle / "Songs"
    assert any(place.endswith(f"(Bottles (Flatpak) {bottle})") for place in searched_places(where))
