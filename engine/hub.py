"""Where checkpoints live: a local folder, or a Hugging Face hub id resolved through the hub's own cache.

Resolution never downloads: `resolve_checkpoint` finds a snapshot already in the cache (works offline) and
otherwise fails with the command that fetches it. Only `pull_checkpoint` talks to the network.
The cache folder is read from the environment here, at call time, and passed to huggingface_hub explicitly:
huggingface_hub reads its own constants once at import, so a later change of HF_HUB_CACHE would be missed.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PUBLISHED = {
    "v30": "OliBomby/Mapperatorinator-v30",
    "v31": "OliBomby/Mapperatorinator-v31",
    "v32": "OliBomby/Mapperatorinator-v32",
    "v32-mini": "OliBomby/Mapperatorinator-v32-mini",
}
MODEL_TYPE = "mapperatorinator"
_TRUE = {"1", "true", "yes", "on"}


class WeightsNotFoundError(FileNotFoundError):
    """A checkpoint is neither a local folder nor in the hub cache."""


def hub_cache_dir() -> Path:
    """The hub cache as huggingface_hub would choose it now: HF_HUB_CACHE, else HF_HOME/hub, else ~/.cache."""
    if cache := os.environ.get("HF_HUB_CACHE") or os.environ.get("HUGGINGFACE_HUB_CACHE"):
        return Path(cache).expanduser()
    home = os.environ.get("HF_HOME") or Path(os.environ.get("XDG_CACHE_HOME", "~/.cache")) / "huggingface"
    return Path(home).expanduser() / "hub"


def is_offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in _TRUE


def repo_id_for(source: str) -> str:
    """'v32' -> 'OliBomby/Mapperatorinator-v32'; an 'owner/name' id is returned unchanged."""
    return PUBLISHED.get(source, source)


def resolve_checkpoint(source: str | Path, revision: str | None = None) -> Path:
    """A checkpoint folder for `source`: an existing local folder, or the cached snapshot of a hub id."""
    path = Path(source).expanduser()
    if path.is_dir():
        return path
    repo_id = repo_id_for(str(source))
    if repo_id.count("/") != 1:
        raise WeightsNotFoundError(f"{source}: no such folder, and not a hub id of the form owner/name")
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    try:
        folder = snapshot_download(repo_id, revision=revision, cache_dir=hub_cache_dir(), local_files_only=True)
    except (LocalEntryNotFoundError, FileNotFoundError, OSError) as exc:
        raise WeightsNotFoundError(
            f"{source}: no such folder, and {repo_id} is not in the hub cache ({hub_cache_dir()}). "
            f"Download it with `maid model pull {repo_id}` (about 1 GB), or pass a local checkpoint folder."
        ) from exc
    return Path(folder)


def pull_checkpoint(source: str, revision: str | None = None, tqdm_class: Any = None) -> Path:
    """Download (or complete) a checkpoint into the hub cache; returns its snapshot folder."""
    repo_id = repo_id_for(source)
    if is_offline():
        raise WeightsNotFoundError(f"cannot download {repo_id}: HF_HUB_OFFLINE is set. Unset it and run again.")
    from huggingface_hub import snapshot_download

    folder = snapshot_download(
        repo_id, revision=revision, cache_dir=hub_cache_dir(), tqdm_class=tqdm_class,
        allow_patterns=["*.json", "*.safetensors", "*/*.json", "*/*.safetensors"],
    )  # fmt: skip
    return Path(folder)


@dataclass(frozen=True)
class CachedCheckpoint:
    repo_id: str
    revision: str  # commit hash of the snapshot
    path: Path  # snapshot folder
    size_bytes: int  # bytes on disk of this repo in the cache (all revisions)
    config: dict[str, Any]


def cached_checkpoints() -> list[CachedCheckpoint]:
    """Mapperatorinator checkpoints in the hub cache (one entry per cached revision), sorted by id."""
    cache = hub_cache_dir()
    if not cache.is_dir():
        return []
    from huggingface_hub import scan_cache_dir

    found = []
    for repo in scan_cache_dir(cache).repos:
        if repo.repo_type != "model":
            continue
        for rev in repo.revisions:
            config_file = Path(rev.snapshot_path) / "config.json"
            try:
                config = json.loads(config_file.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if config.get("model_type") == MODEL_TYPE:
                path = Path(rev.snapshot_path)
                found.append(CachedCheckpoint(repo.repo_id, rev.commit_hash, path, repo.size_on_disk, config))
    return sorted(found, key=lambda c: (c.repo_id, c.revision))
