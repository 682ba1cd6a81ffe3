"""The demo mapset shipped with maid: a synthesized 150 BPM song and one difficulty per mode.

Everything in ``mapset/`` was made by the project (``synth.py`` renders ``audio.ogg``, ``background.py`` draws
``bg.png``, ``charts.py`` writes the .osu files), so it is free to ship, to test with and to show in a first run.
Nothing here writes files on import.
"""

from __future__ import annotations

from pathlib import Path


def demo_mapset_folder() -> Path:
    """The mapset folder: ``audio.ogg``, ``bg.png`` and the four demo .osu files (read-only package data)."""
    return Path(__file__).resolve().parent / "mapset"
