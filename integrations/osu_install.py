"""Where osu! lives on this machine: the stable install and its real Songs folder, lazer's data folder and
its "Edit externally" mounts (osu-format.md §15.1, §15.5).

stable: `songs_folder` from the config wins; else the install is looked for where the spec names it
(registry `osustable.File.osz` / `osu!` open commands and `%LOCALAPPDATA%\\osu!` on Windows; Wine prefixes
(`$WINEPREFIX`, `~/.wine`, Lutris' `~/Games/*`, Bottles' bottles, `~/.local/share/wineprefixes/*`) and
osu-winello's `~/.local/share/osu-wine/osu!` on Linux; the official macOS
wrapper), and `BeatmapDirectory` in `osu!.<user>.cfg` moves the Songs folder (relative to the install, or
absolute; Windows paths inside a Wine prefix are mapped to host paths). Only that one key of the cfg is
read: it also holds login data, which is never logged or copied.

Every lookup takes an `OsuEnvironment` (home, environment variables, platform, registry, file system
root) so that tests run on fake home folders. This module only reads; it never writes anything.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PureWindowsPath
from typing import Protocol

REGISTRY_OPEN_COMMANDS = (r"osustable.File.osz\shell\open\command", r"osu!\shell\open\command")
WINELLO_FOLDERS = (".local/share/osu-wine/osu!", ".local/share/osu-wine/OSU")
# Folders whose sub-folders are Wine prefixes made by a launcher (relative to home): Lutris installs games
# in ~/Games/<game> by default, Bottles keeps one prefix per bottle (native and Flatpak), and osu-winello and
# many guides use ~/.local/share/wineprefixes/<name>.
PREFIX_PARENTS = (
    ("Games", "Lutris"),
    (".local/share/bottles/bottles", "Bottles"),
    (".var/app/com.usebottles.bottles/data/bottles/bottles", "Bottles (Flatpak)"),
    (".local/share/wineprefixes", "Wine prefix"),
)
MAC_WRAPPER = "Applications/osu!.app/Contents/Resources/drive_c/osu!"
OTHER_WINDOWS_FOLDERS = ("Program Files (x86)/osu!", "Program Files/osu!", "osu!")  # relative to a drive
BEATMAP_DIRECTORY = re.compile(r"^\s*BeatmapDirectory\s*=\s*(.*?)\s*$", re.IGNORECASE)
LAZER_MOUNT_NAME = re.compile(r"^[0-9a-f]{16,}$")  # lazer names the mount folder after the set's hash


class Registry(Protocol):
    def open_command(self, key: str) -> str | None:
        """The default value of HKEY_CLASSES_ROOT\\<key>, or None."""


class NoRegistry:
    def open_command(self, key: str) -> str | None:
        return None


class WindowsRegistry:
    def open_command(self, key: str) -> str | None:
        import winreg  # Windows only

        try:
            with winreg.OpenKey(winreg.HKEY_CLASSES_ROOT, key) as handle:
                return str(winreg.QueryValue(handle, None))
        except OSError:
            return None


@dataclass(frozen=True)
class OsuEnvironment:
    home: Path
    env: Mapping[str, str]
    platform: str  # sys.platform: "win32", "linux", "darwin"
    registry: Registry = field(default_factory=NoRegistry)
    root: Path = Path("/")  # where absolute host paths (/Applications, Wine's Z:) start
    temp: Path = field(default_factory=lambda: Path(tempfile.gettempdir()))

    @classmethod
    def current(cls) -> OsuEnvironment:
        return cls(Path.home(), dict(os.environ), sys.platform, WindowsRegistry() if sys.platform == "win32" else NoRegistry())


@dataclass(frozen=True)
class StableInstall:
    folder: Path
    songs: Path
    found_by: str  # how the install was found
    config_file: Path | None = None  # the osu!.<user>.cfg that was read
    prefix: Path | None = None  # the Wine prefix holding it
    notes: tuple[str, ...] = ()


def wine_to_host(text: str, prefix: Path | None, root: Path = Path("/")) -> Path:
    """A Windows path inside a Wine prefix on this machine: `C:\\x` → `<prefix>/drive_c/x`, `Z:\\x` → `/x`,
    other drives through `<prefix>/dosdevices/<d>:`."""
    windows = PureWindowsPath(text)
    drive = windows.drive.rstrip(":").lower()
    parts = windows.parts[1:] if windows.drive else windows.parts
    if drive == "z" or prefix is None:
        return root.joinpath(*parts)
    base = prefix / "drive_c" if drive == "c" else prefix / "dosdevices" / f"{drive}:"
    return base.joinpath(*parts)


def is_stable_install(folder: Path) -> bool:
    """lazer's test: a stable install has `Songs/` or `osu!.cfg`."""
    return (folder / "Songs").is_dir() or (folder / "osu!.cfg").is_file()


def _exe_folder(command: str) -> str | None:
    """`"C:\\osu!\\osu!.exe" "%1"` → `C:\\osu!`."""
    match = re.match(r'\s*"([^"]+)"', command) or re.match(r"\s*(\S+)", command)
    if not match:
        return None
    folder = re.sub(r"[\\/][^\\/]*$", "", match.group(1))
    return folder or None


def _candidates(where: OsuEnvironment) -> list[tuple[Path, str, Path | None]]:
    """(folder, how, wine prefix) in the order they are tried."""
    found: list[tuple[Path, str, Path | None]] = []
    if where.platform == "win32":
        for key in REGISTRY_OPEN_COMMANDS:
            command = where.registry.open_command(key)
            folder = _exe_folder(command) if command else None
            if folder:
                found.append((Path(folder), f"registry HKEY_CLASSES_ROOT\\{key}", None))
        local = where.env.get("LOCALAPPDATA")
        if local:
            found.append((Path(local) / "osu!", "%LOCALAPPDATA%\\osu!", None))
        drive = Path(where.env.get("SystemDrive", "C:") + "\\")
        found += [(drive / rel, f"{drive}{rel}", None) for rel in OTHER_WINDOWS_FOLDERS]
        return found
    if where.platform == "darwin":
        for base in (where.root, where.home):
            found.append((base / MAC_WRAPPER, f"the macOS wrapper in {base / 'Applications'}", None))
    found += [(where.home / rel, "osu-winello", None) for rel in WINELLO_FOLDERS]
    prefixes = [(Path(where.env["WINEPREFIX"]), "Wine prefix")] if where.env.get("WINEPREFIX") else []
    prefixes.append((where.home / ".wine", "Wine prefix"))
    for parent, launcher in PREFIX_PARENTS:
        prefixes += [(drive_c.parent, launcher) for drive_c in sorted((where.home / parent).glob("*/drive_c"))]
    for prefix, launcher in prefixes:
        users = sorted((prefix / "drive_c" / "users").glob("*/AppData/Local/osu!")) or \
            [prefix / "drive_c" / "users" / where.env.get("USER", "<user>") / "AppData" / "Local" / "osu!"]
        found += [(folder, f"{launcher} {prefix}", prefix) for folder in users]
        found += [(prefix / "drive_c" / rel, f"{launcher} {prefix}", prefix) for rel in OTHER_WINDOWS_FOLDERS]
    return found


def user_config_file(install: Path, user: str | None) -> Path | None:
    """`osu!.<user>.cfg` (the user name matched case-insensitively, as lazer does); without a match the
    most recently changed `osu!.*.cfg`."""
    configs = [p for p in install.glob("osu!.*.cfg") if p.name.lower() != "osu!.cfg"]
    if user:
        wanted = f"osu!.{user}.cfg".lower()
        for config in configs:
            if config.name.lower() == wanted:
                return config
    return max(configs, key=lambda p: p.stat().st_mtime, default=None)


def read_beatmap_directory(config_file: Path) -> str | None:
    """The `BeatmapDirectory` value of an osu!.<user>.cfg (only that key is read)."""
    try:
        text = config_file.read_text(encoding="utf-8-sig", errors="replace")
    except OSError:
        return None
    for line in text.splitlines():
        match = BEATMAP_DIRECTORY.match(line)
        if match and match.group(1):
            return match.group(1)
    return None


def stable_songs_folder(install: Path, where: OsuEnvironment, prefix: Path | None = None) -> tuple[Path, Path | None, list[str]]:
    """The Songs folder of `install`: `BeatmapDirectory` from the user's cfg (relative to the install or
    absolute), else `<install>/Songs`. Returns (folder, the cfg read, notes)."""
    notes: list[str] = []
    user = where.env.get("USERNAME") or where.env.get("USER")
    config = user_config_file(install, user)
    value = read_beatmap_directory(config) if config else None
    if value is None:
        return install / "Songs", config, notes
    windows = PureWindowsPath(value)
    if where.platform == "win32":
        songs = Path(value) if windows.is_absolute() else install / value
    elif windows.drive:
        songs = wine_to_host(value, prefix, where.root)
        if prefix is None and windows.drive.lower() != "z:":
            notes.append(f"BeatmapDirectory {value!r} is a Windows drive path but the Wine prefix is unknown; set songs_folder")
    elif value.startswith("/"):
        songs = Path(value)
    else:
        songs = install.joinpath(*windows.parts)
    if not songs.is_dir():
        notes.append(f"BeatmapDirectory in {config} points to {songs}, which does not exist")
    return songs, config, notes


def find_stable(where: OsuEnvironment | None = None) -> StableInstall | None:
    """The first stable install found, with its Songs folder; None when there is none."""
    where = where or OsuEnvironment.current()
    for folder, how, prefix in _candidates(where):
        if is_stable_install(folder):
            songs, config, notes = stable_songs_folder(folder, where, prefix)
            return StableInstall(folder, songs, how, config, prefix, tuple(notes))
    return None


def searched_places(where: OsuEnvironment) -> list[str]:
    """Where `find_stable` looked, for a "not found" message."""
    return [f"{folder} ({how})" for folder, how, _ in _candidates(where)]


# ---- lazer -------------------------------------------------------------------------------------


def lazer_data_folder(where: OsuEnvironment | None = None) -> Path | None:
    """lazer's data folder (holding `files/`, its content store), or None."""
    where = where or OsuEnvironment.current()
    if where.platform == "win32":
        candidates = [Path(where.env["APPDATA"]) / "osu"] if where.env.get("APPDATA") else []
    elif where.platform == "darwin":
        candidates = [where.home / "Library" / "Application Support" / "osu"]
    else:
        data = Path(where.env["XDG_DATA_HOME"]) if where.env.get("XDG_DATA_HOME") else where.home / ".local" / "share"
        candidates = [data / "osu", where.home / ".osu"]
    return next((c for c in candidates if (c / "files").is_dir() or (c / "client.realm").is_file()), None)


def is_in_content_store(path: Path, data_folder: Path | None) -> bool:
    """True for a file of lazer's content store (`<data>/files/...`), which must never be written."""
    if data_folder is None:
        return False
    try:
        Path(path).resolve().relative_to((data_folder / "files").resolve())
    except ValueError:
        return False
    return True


def external_edit_folders(where: OsuEnvironment | None = None) -> list[Path]:
    """lazer's "Edit externally" mounts: hash-named folders in the system temp dir holding .osu files,
    newest first."""
    where = where or OsuEnvironment.current()
    try:
        folders = [p for p in where.temp.iterdir() if p.is_dir() and LAZER_MOUNT_NAME.match(p.name) and any(p.glob("*.osu"))]
    except OSError:
        return []
    return sorted(folders, key=lambda p: p.stat().st_mtime, reverse=True)


def find_external_edit(version: str, where: OsuEnvironment | None = None) -> Path | None:
    """The .osu of difficulty `version` (its `[Version]` in the file name) in the newest mount holding it."""
    for folder in external_edit_folders(where):
        for osu in sorted(folder.glob("*.osu")):
            if osu.stem.endswith(f"[{version}]"):
                return osu
    return None
