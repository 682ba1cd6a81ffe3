"""Fixtures for the daemon tests: a throw-away mapset copied from the shared corpus, isolated user dirs."""

from __future__ import annotations

from pathlib import Path

import pytest

from daemon.writeback import Edit, Provenance, Region
from tests.conftest import corpus_files

AI = Provenance(ai=True, task="remap", model="OliBomby/Mapperatorinator-v30", summary="test edit")


def standard_maps(count: int) -> list[Path]:
    """The first `count` osu!standard corpus files that look like real maps: 200+ hit objects over a
    minute or more, all after the first timing point."""
    picked = []
    for path in corpus_files():
        data = path.read_bytes()
        if b"Mode: 0" not in data or b"[TimingPoints]" not in data or b"[HitObjects]" not in data:
            continue
        timing = data.split(b"[TimingPoints]", 1)[1].split(b"[", 1)[0].split()
        objects = [line.split(b",") for line in data.split(b"[HitObjects]", 1)[1].splitlines() if line.count(b",") >= 4]
        try:
            first_red, times = float(timing[0].split(b",")[0]), [int(o[2]) for o in objects]
        except (IndexError, ValueError):
            continue
        if len(times) > 200 and times[-1] - times[0] > 60_000 and min(times) >= first_red:
            picked.append(path)
        if len(picked) == count:
            break
    return picked


def hit_object_times(data: bytes) -> list[int]:
    body = data.split(b"[HitObjects]", 1)[1]
    return [int(line.split(b",")[2]) for line in body.splitlines() if line.count(b",") >= 4]


def middle_range(data: bytes) -> tuple[int, int]:
    times = hit_object_times(data)
    return times[len(times) // 3], times[len(times) // 3 + 10]


def nudge_objects(start: float, end: float) -> Edit:
    """An edit that moves every hit object starting in [start, end] one pixel right (keeps all other bytes)."""

    def apply(data: bytes) -> bytes:
        out, section = [], b""
        for line in data.splitlines(keepends=True):
            stripped = line.strip()
            if stripped.startswith(b"[") and stripped.endswith(b"]"):
                section = stripped
            fields = line.split(b",")
            if section == b"[HitObjects]" and len(fields) > 4 and start <= int(fields[2]) <= end:
                fields[0] = b"%d" % (int(fields[0]) + 1)
                line = b",".join(fields)
            out.append(line)
        return b"".join(out)

    return Edit(apply, Region(time_range=(start, end)), AI, job="job-1")


@pytest.fixture
def mapset(tmp_path: Path, corpus_dir: Path) -> list[Path]:
    """Three real .osu files in a Songs/<mapset> folder under tmp_path (copies; the corpus stays read-only)."""
    folder = tmp_path / "Songs" / "123 Artist - Title"
    folder.mkdir(parents=True)
    copies = []
    for source in standard_maps(3):
        target = folder / source.name
        target.write_bytes(source.read_bytes())
        copies.append(target)
    assert len(copies) == 3, "the corpus has fewer than 3 osu!standard maps"
    return copies


@pytest.fixture
def maid_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every user dir of maid under tmp_path, and no keyring: nothing touches the real user dirs."""
    home = tmp_path / "maid-home"
    monkeypatch.setenv("MAID_HOME", str(home))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    for name in ("MAID_API_TOKEN", "MAID_HUB_TOKEN", "MAID_PORT"):
        monkeypatch.delenv(name, raising=False)
    return home
