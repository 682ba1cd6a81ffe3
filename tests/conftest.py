"""Shared test fixtures: where the shared corpus and golden fixtures live.

Tests that need ../shared skip with a reason when it is absent (a user's fresh clone); CI always has it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("MAID_SHARED_DIR", REPO.parent / "shared"))
GOLDEN = Path(os.environ.get("MAID_GOLDEN_DIR", SHARED / "fixtures" / "reference"))
CORPUS = SHARED / "corpus" / "osu"


def _need(path: Path, what: str) -> Path:
    if not path.exists():
        pytest.skip(f"{what} not found at {path} (set MAID_SHARED_DIR; it is part of CI, not of a fresh clone)")
    return path


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    return _need(CORPUS, "the .osu corpus")


@pytest.fixture(scope="session")
def golden_dir() -> Path:
    return _need(GOLDEN, "the golden reference fixtures")


def corpus_files() -> list[Path]:
    """Corpus files for parametrisation; empty when ../shared is absent (the test then skips)."""
    return sorted(CORPUS.glob("*.osu")) if CORPUS.exists() else []
