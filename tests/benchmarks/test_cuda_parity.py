"""benchmarks/cuda_parity.py, run as a script: on the CPU in float32 every figure it prints is inside the
fixtures' bounds (what tests/compat asserts), and it finds ../shared through MAID_SHARED_DIR."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

SCRIPT = REPO / "benchmarks" / "cuda_parity.py"


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("MAID_SHARED_DIR", "MAID_GOLDEN_DIR")}
    return subprocess.run([sys.executable, str(SCRIPT), *args], env={**clean, **env, "OMP_NUM_THREADS": "1"},
                          capture_output=True, text=True, timeout=240)  # fmt: skip


def table(output: str, title: str) -> list[list[str]]:
    """The rows of the printed table under the line starting with `title` (cells split on 2+ spaces)."""
    lines = output[output.index("\n" + title) + 1 :].splitlines()[1:]
    rows = [line.split("  ") for line in lines[: next((i for i, x in enumerate(lines) if not x), len(lines))]]
    return [[cell.strip() for cell in row if cell.strip()] for row in rows]


@pytest.mark.slow
def test_cpu_float32_figures_are_inside_the_fixture_bounds(golden_dir: Path) -> None:
    done = run({"MAID_GOLDEN_DIR": str(golden_dir)}, "--device", "cpu", "--modes", "fp32")
    assert done.returncode == 0, done.stderr
    header, *rows = table(done.stdout, "logits/ cases")
    assert header == ["case", "mode", "mel", "encoder", "prefix", "forced", "steps", "greedy", "lookback"]
    assert sorted(row[0] for row in rows) == sorted(p.parent.name for p in golden_dir.glob("logits/*/case.json"))
    for row in rows:
        figures = [cell for cell in row[2:] if "e-" in cell]
        assert len(figures) >= 3 and all(cell.endswith(" ok") for cell in figures), row
        tokens = [cell for cell in row[2:] if "/" in cell]
        assert tokens and all(a == b for a, b in (cell.split("/") for cell in tokens)), row
    header, *rows = table(done.stdout, "maimod/")
    assert header[-2:] == ["over rtol 1e-3", "expected differ"]
    assert len(rows) == len(list(golden_dir.glob("maimod/*_surprisals.json")))
    assert all(row[-2:] == ["0", "0"] and int(row[2]) > 0 for row in rows), rows


def test_shared_folder_comes_from_maid_shared_dir(tmp_path: Path) -> None:
    done = run({"MAID_SHARED_DIR": str(tmp_path)}, "--device", "cpu")
    assert done.returncode != 0
    assert f"no golden fixtures at {tmp_path / 'fixtures' / 'reference'}: set MAID_SHARED_DIR" in done.stderr
