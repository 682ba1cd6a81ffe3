"""Corpus helpers shared by the tests in tests/osu: the readable files and one parsed Beatmap per file."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from engine.osu import Beatmap, parse_beatmap
from tests.conftest import corpus_files

# File name → why osu! cannot load it (and so neither do we).
EXPECTED_FAILURES = {
    "Thetan-ILW-osu-parser-rs__blank__e3b0c442.osu": "zero bytes: lazer fails with 'Unknown file format'",
}


def readable() -> list[Path]:
    return [path for path in corpus_files() if path.name not in EXPECTED_FAILURES]


@cache
def beatmap_of(path: Path) -> Beatmap:
    """Parsed once per test session (Beatmaps are immutable, so sharing them is safe)."""
    return parse_beatmap(path.read_bytes(), str(path))
