"""Tiny fixture checkpoints and short audio for the generation tests (torch on one thread)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from engine.audio import SAMPLE_RATE, load_audio
from engine.checkpoint import load_model
from engine.model import Mapperatorinator

torch.set_num_threads(1)

DEMO_AUDIO = Path(__file__).resolve().parents[2] / "engine" / "demo" / "mapset" / "audio.ogg"


@pytest.fixture(scope="session")
def tiny(golden_dir: Path) -> dict[str, Mapperatorinator]:
    return {v: load_model(golden_dir / f"tiny-{v}", device="cpu") for v in ("v30", "v32")}


@pytest.fixture(scope="session")
def clip(golden_dir: Path) -> np.ndarray:
    """The fixtures' 10 s synthetic clip (metronome, triads, chirp)."""
    return load_audio(golden_dir / "audio" / "clip_16k_mono.wav")


@pytest.fixture(scope="session")
def demo_audio() -> np.ndarray:
    """The first 30 s of the demo song: several windows for the v32 model."""
    return load_audio(DEMO_AUDIO)[: 30 * SAMPLE_RATE]
