"""Which Songs folder the daemon watches: the `songs_folder` setting, else the osu! install's
(integrations.osu_install), else a copy of maid's demo mapset in the user data dir, so that a first
`maid start` on a computer without osu! has a map to check, mod and remap.

The demo copy is made once and never overwritten: a mapper may edit the demo map, and their edits stay.
This module never writes anything but that copy, and never into a real Songs folder.
"""

from __future__ import annotations

import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from daemon.config import Paths, Settings

log = logging.getLogger(__name__)

DEMO_MAPSET_NAME = "1 maid - Demo Song"
Source = Literal["config", "osu! install", "demo", "none"]


@dataclass(frozen=True)
class SongsFolder:
    path: Path | None
    source: Source
    note: str  # what the log and `maid status` say about it


def find_songs_folder(settings: Settings, paths: Paths) -> SongsFolder:
    """The folder to watch and where it came from (blocking: looks at the disk)."""
    if settings.songs_folder is not None:
        folder = Path(settings.songs_folder).expanduser()
        if folder.is_dir():
            return SongsFolder(folder, "config", f"Songs folder {folder} (songs_folder in {paths.config_file})")
        log.warning("songs_folder %s in %s does not exist; looking for the osu! install instead", folder, paths.config_file)
    from integrations.osu_install import find_stable

    install = find_stable()
    if install is not None and install.songs.is_dir():
        return SongsFolder(install.songs, "osu! install", f"Songs folder {install.songs} of the osu! install at {install.folder} ({install.found_by})")
    demo = install_demo_mapset(paths)
    return SongsFolder(demo.parent, "demo", f"no osu! Songs folder found: watching maid's demo mapset at {demo} "
                                            f"(set songs_folder in {paths.config_file} to use yours)")  # fmt: skip


def install_demo_mapset(paths: Paths) -> Path:
    """`<data dir>/demo-songs/1 maid - Demo Song`, copied from engine.demo on first use; an existing copy is kept as it is."""
    from engine.demo import demo_mapset_folder

    target = paths.data_dir / "demo-songs" / DEMO_MAPSET_NAME
    if target.is_dir():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_name(f".{target.name}.{os.getpid()}.partial")
    shutil.rmtree(staging, ignore_errors=True)
    shutil.copytree(demo_mapset_folder(), staging)
    for copied in staging.rglob("*"):
        if copied.is_file():
            copied.chmod(0o644)  # the package data may be read-only; the mapper's copy is theirs to edit
    try:
        staging.rename(target)  # whole or not at all; a copy made meanwhile by another start wins
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)
    log.info("copied maid's demo mapset to %s", target)
    return target
