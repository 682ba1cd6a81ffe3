"""`maid model list|pull|info` on a hub cache built in the test (offline: no download is ever attempted)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from safetensors import safe_open
from typer.testing import CliRunner

from daemon.cli import app
from engine.checkpoint import UNUSED_KEYS
from tests.model.test_hub import REVISION, build_hub_cache

runner = CliRunner()


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, golden_dir: Path) -> Path:
    cache = tmp_path / "hub"
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    build_hub_cache(cache, "OliBomby/Mapperatorinator-v30", golden_dir / "tiny-v30")
    build_hub_cache(cache, "OliBomby/Mapperatorinator-v32", golden_dir / "tiny-v32")
    return cache


def test_list_json(cache: Path) -> None:
    result = runner.invoke(app, ["model", "list", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [(r["id"], r["version"], r["revision"]) for r in rows] == [
        ("OliBomby/Mapperatorinator-v30", "v30", REVISION),
        ("OliBomby/Mapperatorinator-v32", "v32", REVISION),
    ]
    assert all(Path(r["path"], "model.safetensors").is_file() and r["size_bytes"] > 4_000_000 for r in rows)


def test_list_table_and_empty_cache(cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = runner.invoke(app, ["model", "list"])
    assert result.exit_code == 0 and "Mapperatorinator-v32" in result.stdout and REVISION[:10] in result.stdout
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty"))
    result = runner.invoke(app, ["model", "list"])
    assert result.exit_code == 0 and "maid model pull v32" in result.stdout


def test_info_json_of_a_hub_id(cache: Path, golden_dir: Path) -> None:
    result = runner.invoke(app, ["model", "info", "OliBomby/Mapperatorinator-v30", "--json"])
    assert result.exit_code == 0, result.output
    info = json.loads(result.stdout)
    with safe_open(golden_dir / "tiny-v30" / "model.safetensors", framework="pt") as f:
        used = sum(math.prod(f.get_slice(k).get_shape()) for k in f.keys() if k not in UNUSED_KEYS)
    assert info["parameters"] == used
    assert (info["version"], info["vocab_size_out"], info["vocab_size_in"]) == ("v30", 4607, 4607)
    assert info["dtypes"] == ["F32"]
    assert info["dims"]["d_model"] == 64 and info["dims"]["family"] == "ropewhisper"


def test_info_table_of_a_folder(golden_dir: Path) -> None:
    result = runner.invoke(app, ["model", "info", str(golden_dir / "tiny-v32")])
    assert result.exit_code == 0, result.output
    assert "varwhisper" in result.stdout and "4097 out, 4951 in" in result.stdout


def test_pull_offline_fails_cleanly(cache: Path) -> None:
    result = runner.invoke(app, ["model", "pull", "v31"])
    assert result.exit_code == 2
    assert "HF_HUB_OFFLINE is set" in result.stderr and "Mapperatorinator-v31" in result.stderr


def test_info_of_an_uncached_id_says_how_to_get_it(cache: Path) -> None:
    result = runner.invoke(app, ["model", "info", "v32-mini"])
    assert result.exit_code == 2
    assert "maid model pull OliBomby/Mapperatorinator-v32-mini" in " ".join(result.stderr.split())
