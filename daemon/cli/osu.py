"""`maid info` and `maid roundtrip`: read-only commands on .osu files."""

from __future__ import annotations

from daemon.cli.app import app


@app.command()
def info() -> None:
    """Placeholder until engine/osu lands."""
