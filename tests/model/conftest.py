"""Writable copies of the tiny fixture checkpoints, for tests that alter or relocate a checkpoint."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import torch

torch.set_num_threads(1)

CHECKPOINT_FILES = ("config.json", "generation_config.json", "model.safetensors", "tokenizer.json")


@pytest.fixture
def tiny_copy(golden_dir: Path, tmp_path: Path) -> Callable[[str, Path | None], Path]:
    """copy("v30" | "v32", dest=None) -> a fresh folder holding that tiny checkpoint's four files."""

    def copy(version: str, dest: Path | None = None) -> Path:
        dest = dest or tmp_path / f"tiny-{version}"
        dest.mkdir(parents=True, exist_ok=True)
        for name in CHECKPOINT_FILES:
            shutil.copyfile(golden_dir / f"tiny-{version}" / name, dest / name)
        return dest

    return copy
