"""engine.hub: hub ids resolved from a cache folder laid out exactly as huggingface_hub lays it out, offline."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
import torch

from engine.checkpoint import load_model
from engine.hub import WeightsNotFoundError, cached_checkpoints, hub_cache_dir, pull_checkpoint, resolve_checkpoint
from tests.model.conftest import CHECKPOINT_FILES
from tests.model.test_checkpoint import prompt_logits

REVISION = "0123456789abcdef0123456789abcdef01234567"


def build_hub_cache(cache: Path, repo_id: str, source: Path, revision: str = REVISION) -> Path:
    """models--owner--name/{blobs/<sha256>, refs/main, snapshots/<rev>/<file> -> ../../blobs/<sha256>}."""
    repo = cache / ("models--" + repo_id.replace("/", "--"))
    snapshot = repo / "snapshots" / revision
    (repo / "blobs").mkdir(parents=True)
    (repo / "refs").mkdir()
    snapshot.mkdir(parents=True)
    (repo / "refs" / "main").write_text(revision)
    for name in CHECKPOINT_FILES:
        data = (source / name).read_bytes()
        blob = repo / "blobs" / hashlib.sha256(data).hexdigest()
        blob.write_bytes(data)
        (snapshot / name).symlink_to(os.path.relpath(blob, snapshot))
    return snapshot


@pytest.fixture
def offline_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path / "hub"
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    return cache


def test_hub_id_loads_from_the_cache_offline(offline_cache: Path, golden_dir: Path) -> None:
    snapshot = build_hub_cache(offline_cache, "OliBomby/Mapperatorinator-v30", golden_dir / "tiny-v30")
    assert resolve_checkpoint("OliBomby/Mapperatorinator-v30") == snapshot
    assert resolve_checkpoint("v30") == snapshot  # the short name of a published checkpoint
    model = load_model("OliBomby/Mapperatorinator-v30", device="cpu")
    assert model.checkpoint.root == snapshot
    local = load_model(golden_dir / "tiny-v30", device="cpu")
    assert torch.equal(prompt_logits(model, "v30"), prompt_logits(local, "v30"))


def test_a_checkpoint_not_in_the_cache_says_how_to_get_it(offline_cache: Path, golden_dir: Path) -> None:
    build_hub_cache(offline_cache, "OliBomby/Mapperatorinator-v30", golden_dir / "tiny-v30")
    with pytest.raises(WeightsNotFoundError, match=r"maid model pull OliBomby/Mapperatorinator-v32") as err:
        load_model("OliBomby/Mapperatorinator-v32", device="cpu")
    assert str(offline_cache) in str(err.value)


def test_neither_folder_nor_hub_id(offline_cache: Path) -> None:
    with pytest.raises(WeightsNotFoundError, match="no such folder"):
        resolve_checkpoint("no-such-folder")


def test_cached_checkpoints_lists_mapperatorinator_repos(offline_cache: Path, golden_dir: Path) -> None:
    build_hub_cache(offline_cache, "OliBomby/Mapperatorinator-v32", golden_dir / "tiny-v32")
    other = offline_cache / "models--openai--whisper-small" / "snapshots" / REVISION
    other.mkdir(parents=True)
    (other / "config.json").write_text('{"model_type": "whisper"}')
    (offline_cache / "models--openai--whisper-small" / "refs").mkdir()
    (offline_cache / "models--openai--whisper-small" / "blobs").mkdir()
    found = cached_checkpoints()
    assert [(c.repo_id, c.revision) for c in found] == [("OliBomby/Mapperatorinator-v32", REVISION)]
    expected_size = sum((golden_dir / "tiny-v32" / n).stat().st_size for n in CHECKPOINT_FILES)
    assert found[0].size_bytes == expected_size
    assert found[0].config["backbone_model_name"] == "OliBomby/varwhisper-small"


def test_pull_refuses_when_offline(offline_cache: Path) -> None:
    with pytest.raises(WeightsNotFoundError, match="HF_HUB_OFFLINE is set"):
        pull_checkpoint("v32")


def test_cache_folder_follows_the_environment_at_call_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    monkeypatch.delenv("HUGGINGFACE_HUB_CACHE", raising=False)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "home"))
    assert hub_cache_dir() == tmp_path / "home" / "hub"
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "cache"))
    assert hub_cache_dir() == tmp_path / "cache"
