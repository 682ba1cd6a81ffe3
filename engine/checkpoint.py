"""Reading a published Mapperatorinator checkpoint folder into an `engine.model.Mapperatorinator`.

A folder holds config.json, model.safetensors and tokenizer.json (plus generation_config.json, unused), and
may hold full per-mode fine-tunes in `gamemode=N/` subfolders. A LoRA adapter (PEFT layout) can be merged
into the weights at load time. Keys are checked strictly: every parameter of the network must come from the
file, and the only file tensors allowed to go unused are the ones named in `UNUSED_KEYS`.

This module never downloads (engine/hub.py resolves hub ids from the cache) and never writes files.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from engine.hub import resolve_checkpoint
from engine.model import ROPE_WHISPER, Mapperatorinator, ModelDimensions
from engine.tokenizer import Tokenizer, VocabularyError

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"
TOKENIZER_FILE = "tokenizer.json"
LORA_CONFIG_FILE = "adapter_config.json"
LORA_WEIGHTS_FILE = "adapter_model.safetensors"
LORA_METADATA_FILE = "mapperatorinator_lora_metadata.json"

UNUSED_KEYS = frozenset({
    "loss_fn.weight",  # training loss class weights
    "transformer.model.decoder.embed_tokens.weight",  # the backbone's embedding; decoder_embedder is used
    "spectrogram.transform.spectrogram.window",  # Hann window: engine/audio.py computes it
    "spectrogram.transform.mel_scale.fb",  # mel filterbank: engine/audio.py computes it
})  # fmt: skip
_PREFIXES = (
    ("transformer.model.encoder.", "encoder."),
    ("transformer.model.decoder.", "decoder."),
    ("transformer.proj_out.", "proj_out."),
)


class CheckpointError(ValueError):
    """A checkpoint folder or adapter that cannot be loaded; the message names the file and the problem."""


@dataclass(frozen=True)
class CheckpointInfo:
    """Where a loaded model came from, and the vocabulary it was trained with."""

    folder: Path  # the folder whose weights were loaded (root or gamemode=N)
    root: Path  # the checkpoint root
    version: str  # v30, v31, v32, v32-mini (from the config; "unknown" when it fits none)
    config: dict[str, Any]
    tokenizer: Tokenizer  # from the loaded folder's tokenizer.json, checked against the config
    subfolder: str = ""  # "" or "gamemode=N"
    lora: Path | None = None  # adapter merged into the weights
    notes: tuple[str, ...] = field(default=())  # e.g. why an adapter was skipped


def infer_version(config: dict[str, Any]) -> str:
    """The published model family a config belongs to (the tiny fixture models count as their family)."""
    name = str(config.get("backbone_model_name", ""))
    if name.startswith("Tiger14n/ropewhisper"):
        return "v31" if int(config.get("max_target_positions", 0)) == 8192 else "v30"
    if name.startswith("OliBomby/varwhisper"):
        return "v32-mini" if name.endswith("-base") else "v32"
    return "unknown"


def read_config(folder: Path) -> dict[str, Any]:
    path = folder / CONFIG_FILE
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CheckpointError(f"{path}: missing; a checkpoint folder holds config.json and model.safetensors") from None
    except ValueError as exc:
        raise CheckpointError(f"{path}: not valid JSON ({exc})") from None
    if config.get("model_type") != "mapperatorinator":
        raise CheckpointError(f"{path}: model_type is {config.get('model_type')!r}, expected 'mapperatorinator'")
    return config


def read_dimensions(folder: Path) -> tuple[dict[str, Any], ModelDimensions]:
    config = read_config(folder)
    try:
        return config, ModelDimensions.from_config(config)
    except KeyError as exc:
        raise CheckpointError(f"{folder / CONFIG_FILE}: missing key {exc}") from None


def read_tokenizer(folder: Path, config: dict[str, Any]) -> Tokenizer:
    """tokenizer.json, cross-checked with config.json: vocabulary sizes and the TIME_SHIFT id range."""
    path = folder / TOKENIZER_FILE
    if not path.is_file():
        raise CheckpointError(f"{path}: missing; every published checkpoint folder holds one (re-download it)")
    try:
        tokenizer = Tokenizer.load(path)
    except VocabularyError as exc:
        raise CheckpointError(str(exc)) from None
    expected = {
        "vocab_size": tokenizer.vocab_size_out,
        "vocab_size_in": tokenizer.vocab_size_in,
        "rhythm_token_start": tokenizer.time_shift_ids.start,
        "rhythm_token_end": tokenizer.time_shift_ids.stop,
    }
    wrong = [f"{key} {config[key]} != {value}" for key, value in expected.items() if config.get(key, value) != value]
    if wrong:
        raise CheckpointError(
            f"{folder}: config.json and tokenizer.json disagree ({'; '.join(wrong)}); the checkpoint is mixed up"
        )
    return tokenizer


def weights_file(folder: Path) -> Path:
    path = folder / WEIGHTS_FILE
    if not path.is_file():
        raise CheckpointError(f"{path}: missing (maid reads safetensors checkpoints only)")
    return path


def gamemode_subfolder(root: Path, gamemode: int | None) -> str:
    """`gamemode=N` when that fine-tune exists beside the root checkpoint (it has a tokenizer.json), else ""."""
    if gamemode is None:
        return ""
    name = f"gamemode={gamemode}"
    return name if (root / name / TOKENIZER_FILE).is_file() else ""


def load_model(
    source: str | Path,
    device: str | torch.device | None = None,
    dtype: torch.dtype | str | None = None,
    gamemode: int | None = None,
    lora: str | Path | None = None,
    revision: str | None = None,
) -> Mapperatorinator:
    """Load a checkpoint (local folder or hub id, e.g. `OliBomby/Mapperatorinator-v32`) ready for inference.

    device: cuda, then mps, else cpu when None. dtype: float32 (default), bfloat16 or float16.
    gamemode: pick the `gamemode=N` fine-tune when the checkpoint has one. lora: adapter folder (or hub id).
    The result carries `model.checkpoint` (a CheckpointInfo).
    """
    root = resolve_checkpoint(source, revision)
    subfolder = gamemode_subfolder(root, gamemode)
    folder = root / subfolder if subfolder else root
    config, dims = read_dimensions(folder)
    tokenizer = read_tokenizer(folder, config)
    state = read_weights(weights_file(folder))
    notes: list[str] = []
    lora_path = None
    if lora is not None:
        lora_path = resolve_checkpoint(lora)
        if note := merge_lora(state, lora_path, subfolder):
            notes.append(note)
            lora_path = None
    with torch.device("meta"):
        model = Mapperatorinator(dims)
    load_weights(model, network_state_dict(state, dims.family), folder / WEIGHTS_FILE)
    model = model.to(device=pick_device(device), dtype=parse_dtype(dtype)).eval()
    model.requires_grad_(False)
    version = infer_version(config)
    model.checkpoint = CheckpointInfo(folder, root, version, config, tokenizer, subfolder, lora_path, tuple(notes))
    return model


def pick_device(device: str | torch.device | None) -> torch.device:
    if device is not None:
        return torch.device(device)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


_DTYPES = {"float32": torch.float32, "fp32": torch.float32, "bfloat16": torch.bfloat16, "bf16": torch.bfloat16,
           "float16": torch.float16, "fp16": torch.float16}  # fmt: skip


def parse_dtype(dtype: torch.dtype | str | None) -> torch.dtype:
    if dtype is None:
        return torch.float32
    if isinstance(dtype, torch.dtype):
        if dtype not in _DTYPES.values():
            raise ValueError(f"dtype {dtype} is not supported; use float32, bfloat16 or float16")
        return dtype
    try:
        return _DTYPES[dtype.lower()]
    except KeyError:
        raise ValueError(f"dtype {dtype!r} is not supported; use one of {', '.join(_DTYPES)}") from None


def read_weights(path: Path) -> dict[str, Tensor]:
    from safetensors.torch import load_file

    try:
        return load_file(path)
    except Exception as exc:  # safetensors raises its own error types for corrupt files
        raise CheckpointError(f"{path}: cannot be read as safetensors ({exc})") from None


def network_state_dict(state: dict[str, Tensor], family: str) -> dict[str, Tensor]:
    """The file's keys mapped onto maid's module names (RoPE-Whisper attention fused like Var-Whisper's)."""
    out = {}
    for key, tensor in state.items():
        if key in UNUSED_KEYS:
            continue
        for old, new in _PREFIXES:
            if key.startswith(old):
                key = new + key[len(old) :]
                break
        out[key] = tensor
    return fuse_rope_whisper_attention(out) if family == ROPE_WHISPER else out


def fuse_rope_whisper_attention(state: dict[str, Tensor]) -> dict[str, Tensor]:
    """q_proj/k_proj/v_proj/out_proj -> Wqkv (k bias = 0: k_proj has none) or Wq + Wkv; encoder_attn -> cross_attn."""
    out = {}
    for key, tensor in state.items():
        key = key.replace(".encoder_attn.", ".cross_attn.")
        key = key.replace(".encoder_attn_layer_norm.", ".cross_attn_layer_norm.")
        if ".q_proj." in key or ".k_proj." in key or ".v_proj." in key:
            continue  # consumed below, from the q_proj weight of each attention
        out[key.replace(".out_proj.", ".Wo.")] = tensor
    for key in [k for k in state if k.endswith(".q_proj.weight")]:
        src = key[: -len("q_proj.weight")]
        dst = src.replace(".encoder_attn.", ".cross_attn.")
        q_w, k_w, v_w = (_take(state, src + p + ".weight") for p in ("q_proj", "k_proj", "v_proj"))
        q_b, v_b = _take(state, src + "q_proj.bias"), _take(state, src + "v_proj.bias")
        k_b = torch.zeros_like(q_b)
        if dst.endswith(".cross_attn."):
            out[dst + "Wq.weight"], out[dst + "Wq.bias"] = q_w, q_b
            out[dst + "Wkv.weight"], out[dst + "Wkv.bias"] = torch.cat((k_w, v_w)), torch.cat((k_b, v_b))
        else:
            out[dst + "Wqkv.weight"], out[dst + "Wqkv.bias"] = torch.cat((q_w, k_w, v_w)), torch.cat((q_b, k_b, v_b))
    return out


def _take(state: dict[str, Tensor], key: str) -> Tensor:
    try:
        return state[key]
    except KeyError:
        raise CheckpointError(f"missing tensor {key!r} (RoPE-Whisper attention needs q_proj, k_proj, v_proj)") from None


def load_weights(model: Mapperatorinator, state: dict[str, Tensor], path: Path) -> None:
    """Strict load: every parameter present with its shape, no tensor left over."""
    expected = model.state_dict()
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    shapes = {k: (tuple(state[k].shape), tuple(t.shape)) for k, t in expected.items() if k in state}
    wrong = [f"{k} {got} != {want}" for k, (got, want) in shapes.items() if got != want]
    if missing or unexpected or wrong:
        found = (("missing", missing), ("unexpected", unexpected), ("wrong shape", wrong))
        parts = [f"{name}: {', '.join(keys[:12])}{' …' if len(keys) > 12 else ''}" for name, keys in found if keys]
        raise CheckpointError(f"{path}: does not match its config.json ({'; '.join(parts)})")
    model.load_state_dict({k: t.to(torch.float32) for k, t in state.items()}, strict=True, assign=True)


def merge_lora(state: dict[str, Tensor], adapter: Path, subfolder: str) -> str | None:
    """Merge a PEFT LoRA adapter into `state` in place (W += scale * B @ A); returns why it was skipped, if so."""
    metadata = adapter / LORA_METADATA_FILE
    if metadata.is_file():
        allowed = json.loads(metadata.read_text(encoding="utf-8")).get("ckpt_subfolders")
        if allowed is not None and subfolder not in allowed:
            return f"LoRA {adapter} skipped: it is meant for {allowed}, not {subfolder or 'the root checkpoint'!r}"
    config_path = adapter / LORA_CONFIG_FILE
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CheckpointError(f"{config_path}: cannot read the LoRA config ({exc})") from None
    for flag in ("use_dora", "fan_in_fan_out"):
        if config.get(flag):
            raise CheckpointError(f"{config_path}: {flag} adapters are not supported")
    if config.get("rank_pattern") or config.get("alpha_pattern"):
        raise CheckpointError(f"{config_path}: per-module rank_pattern/alpha_pattern is not supported")
    r, alpha = int(config["r"]), float(config["lora_alpha"])
    scale = alpha / r**0.5 if config.get("use_rslora") else alpha / r
    adapter_state = read_weights(adapter / LORA_WEIGHTS_FILE)  # a missing file fails with its path
    prefix = "base_model.model."
    for key in sorted(adapter_state):
        if ".lora_B." in key:
            continue
        if not (key.startswith(prefix) and key.endswith(".lora_A.weight")):
            raise CheckpointError(f"{adapter / LORA_WEIGHTS_FILE}: unsupported tensor {key!r} (only LoRA A/B pairs)")
        module = key[len(prefix) : -len(".lora_A.weight")]
        target = module + ".weight"
        b_key = key.replace(".lora_A.", ".lora_B.")
        if target not in state or b_key not in adapter_state:
            raise CheckpointError(f"{adapter / LORA_WEIGHTS_FILE}: {key!r} targets {target!r}, not in the checkpoint")
        a, b = adapter_state[key].to(torch.float32), adapter_state[b_key].to(torch.float32)
        state[target] = (state[target].to(torch.float32) + scale * (b @ a)).to(state[target].dtype)
    return None


@dataclass(frozen=True)
class CheckpointSummary:
    """What `maid model info` shows, read from config.json and the safetensors header (weights not loaded)."""

    folder: Path
    version: str
    dims: ModelDimensions
    parameters: int  # tensors the network uses (the unused ones are not counted)
    dtypes: tuple[str, ...]  # storage dtypes in the file, e.g. ("F32",)
    size_bytes: int  # of model.safetensors
    gamemode_subfolders: tuple[str, ...]  # fine-tunes beside the root checkpoint


def summarize_checkpoint(source: str | Path, revision: str | None = None) -> CheckpointSummary:
    from safetensors import safe_open

    folder = resolve_checkpoint(source, revision)
    config, dims = read_dimensions(folder)
    weights = weights_file(folder)
    parameters, dtypes = 0, set()
    with safe_open(weights, framework="pt") as file:
        for key in file.keys():
            if key not in UNUSED_KEYS:
                tensor = file.get_slice(key)
                parameters += math.prod(tensor.get_shape())
                dtypes.add(tensor.get_dtype())
    subfolders = tuple(sorted(p.parent.name for p in folder.glob("gamemode=*/" + TOKENIZER_FILE)))
    return CheckpointSummary(folder, infer_version(config), dims, parameters, tuple(sorted(dtypes)),
                             weights.stat().st_size, subfolders)  # fmt: skip
