"""Corpus helpers shared by the tests in tests/osu: the readable files and one parsed Beatmap per file.

Besides the corpus, the reference implementation's .osu files in the golden fixtures (its source maps and
its decoded outputs) are real files too and go through the same round-trip and oracle tests.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from engine.osu import Beatmap, parse_beatmap
from tests.conftest import GOLDEN, corpus_files

# File name → why osu! cannot load it (and so neither do we).
EXPECTED_FAILURES = {
    "Thetan-ILW-osu-parser-rs__blank__e3b0c442.osu": "zero bytes: lazer fails with 'Unknown file format'",
}


def golden_files() -> list[Path]:
    return sorted(GOLDEN.rglob("*.osu")) if GOLDEN.exists() else []


def readable() -> list[Path]:
    """Corpus files osu! loads (the expected failures left out)."""
    return [path for path in corpus_files() if path.name not in EXPECTED_FAILURES]


def every_readable_osu() -> list[Path]:
    """`readable()` plus the golden fixtures' .osu files."""
    return readable() + golden_files()


@cache
def beatmap_of(path: Path) -> Beatmap:
    """Parsed once per test session (Beatmaps are immutable, so sharing them is safe)."""
    return parse_beatmap(path.read_bytes(), str(path))
