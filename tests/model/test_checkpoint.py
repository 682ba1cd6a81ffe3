"""engine.checkpoint: strict loading of the tiny fixture checkpoints, gamemode subfolders, LoRA merging, dtypes."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file

from engine.checkpoint import UNUSED_KEYS, CheckpointError, load_model
from engine.model import UnsupportedModelError

PROMPT = {"v30": [1, 48, 4606, 48, 3281], "v32": [4097, 4112, 4127, 4216, 4272, 1, 3, 54, 4083]}


def prompt_logits(model: torch.nn.Module, version: str) -> torch.Tensor:
    """Last-position logits of a short prompt against silence (deterministic, cheap)."""
    from engine.model import AudioConditioning

    cond = AudioConditioning(song_position=(0.0, 0.5)) if version == "v30" else None
    audio = torch.zeros(1, model.dims.window_samples)
    with torch.inference_mode():
        features = model.encode_audio(audio, cond)
        return model.logits(torch.tensor([PROMPT[version]]), features)[0, -1].float()


@pytest.mark.parametrize(
    ("version", "n_audio_ctx", "n_vocab", "n_vocab_in", "n_cond"),
    [("v30", 2048, 4607, 4607, 384), ("v32", 1024, 4097, 4951, 0)],
)
def test_loads_each_family_with_its_dimensions(golden_dir: Path, version: str, n_audio_ctx: int, n_vocab: int,
                                               n_vocab_in: int, n_cond: int) -> None:  # fmt: skip
    model = load_model(golden_dir / f"tiny-{version}", device="cpu")
    dims = model.dims
    assert (dims.d_model, dims.n_audio_layer, dims.n_text_layer, dims.n_text_head) == (64, 2, 2, 4)
    assert (dims.n_audio_ctx, dims.n_vocab, dims.n_vocab_in, dims.n_cond) == (n_audio_ctx, n_vocab, n_vocab_in, n_cond)
    assert model.checkpoint.version == version
    assert model.checkpoint.subfolder == ""
    assert model.dtype == torch.float32 and not any(p.requires_grad for p in model.parameters())


def test_rope_whisper_projections_are_fused_in_q_k_v_order(golden_dir: Path) -> None:
    state = load_file(golden_dir / "tiny-v30" / "model.safetensors")
    attn = load_model(golden_dir / "tiny-v30", device="cpu").decoder.layers[1]
    src = "transformer.model.decoder.layers.1."
    q, k, v = attn.self_attn.Wqkv.weight.split(64)
    assert torch.equal(q, state[src + "self_attn.q_proj.weight"])
    assert torch.equal(k, state[src + "self_attn.k_proj.weight"])
    assert torch.equal(v, state[src + "self_attn.v_proj.weight"])
    assert torch.equal(attn.self_attn.Wqkv.bias[64:128], torch.zeros(64))  # RoPE-Whisper's k_proj has no bias
    k_cross, v_cross = attn.cross_attn.Wkv.weight.split(64)
    assert torch.equal(k_cross, state[src + "encoder_attn.k_proj.weight"])
    assert torch.equal(v_cross, state[src + "encoder_attn.v_proj.weight"])
    assert torch.equal(attn.cross_attn_layer_norm.weight, state[src + "encoder_attn_layer_norm.weight"])


def _rewrite(folder: Path, change: Callable[[dict[str, torch.Tensor]], None]) -> None:
    state = load_file(folder / "model.safetensors")
    change(state)
    save_file(state, folder / "model.safetensors")


def test_missing_tensor_is_named(tiny_copy: Callable[..., Path]) -> None:
    folder = tiny_copy("v32")
    _rewrite(folder, lambda s: s.pop("transformer.model.decoder.layers.1.fc2.bias"))
    with pytest.raises(CheckpointError, match=r"missing: decoder\.layers\.1\.fc2\.bias") as err:
        load_model(folder, device="cpu")
    assert str(folder / "model.safetensors") in str(err.value)


def test_unexpected_tensor_is_named(tiny_copy: Callable[..., Path]) -> None:
    folder = tiny_copy("v30")
    _rewrite(folder, lambda s: s.update({"transformer.model.encoder.embed_positions.weight": torch.zeros(2048, 64)}))
    with pytest.raises(CheckpointError, match=r"unexpected: encoder\.embed_positions\.weight"):
        load_model(folder, device="cpu")


def test_wrong_shape_is_named(tiny_copy: Callable[..., Path]) -> None:
    folder = tiny_copy("v32")
    _rewrite(folder, lambda s: s.update({"decoder_embedder.weight": s["decoder_embedder.weight"][:4000]}))
    with pytest.raises(CheckpointError, match=r"wrong shape: decoder_embedder\.weight \(4000, 64\) != \(4951, 64\)"):
        load_model(folder, device="cpu")


def test_known_unused_tensors_may_be_absent(tiny_copy: Callable[..., Path], golden_dir: Path) -> None:
    assert UNUSED_KEYS <= set(load_file(golden_dir / "tiny-v32" / "model.safetensors"))
    folder = tiny_copy("v32")
    _rewrite(folder, lambda s: [s.pop(k) for k in UNUSED_KEYS])
    stripped = prompt_logits(load_model(folder, device="cpu"), "v32")
    assert torch.equal(stripped, prompt_logits(load_model(golden_dir / "tiny-v32", device="cpu"), "v32"))


def test_config_errors_name_the_file_and_the_fix(tiny_copy: Callable[..., Path], tmp_path: Path) -> None:
    folder = tiny_copy("v32")
    config = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps({**config, "backbone_model_name": "openai/whisper-small"}))
    with pytest.raises(UnsupportedModelError, match="openai/whisper-small.*v30 and later"):
        load_model(folder, device="cpu")
    (folder / "config.json").write_text("{not json")
    with pytest.raises(CheckpointError, match=r"config\.json: not valid JSON"):
        load_model(folder, device="cpu")
    (tmp_path / "empty").mkdir()
    with pytest.raises(CheckpointError, match=r"empty/config\.json: missing"):
        load_model(tmp_path / "empty", device="cpu")


def test_gamemode_subfolder_is_chosen_only_when_it_has_a_tokenizer(tiny_copy: Callable[..., Path]) -> None:
    root = tiny_copy("v32")
    sub = tiny_copy("v32", root / "gamemode=1")
    _rewrite(sub, lambda s: s["transformer.proj_out.weight"].mul_(2.0))  # a distinguishable "fine-tune"
    base = prompt_logits(load_model(root, device="cpu"), "v32")

    tuned = load_model(root, device="cpu", gamemode=1)
    assert (tuned.checkpoint.subfolder, tuned.checkpoint.folder, tuned.checkpoint.root) == ("gamemode=1", sub, root)
    torch.testing.assert_close(prompt_logits(tuned, "v32"), 2 * base)

    assert load_model(root, device="cpu", gamemode=2).checkpoint.subfolder == ""  # no such fine-tune
    (sub / "tokenizer.json").unlink()
    assert load_model(root, device="cpu", gamemode=1).checkpoint.subfolder == ""  # incomplete fine-tune


def _write_lora(
    folder: Path, targets: dict[str, tuple[int, int]], metadata: dict | None = None
) -> dict[str, torch.Tensor]:
    """A PEFT adapter (r = 4, alpha = 8) for the given module paths -> (out, in) shapes; returns its tensors."""
    folder.mkdir(parents=True)
    generator = torch.Generator().manual_seed(3)
    state = {}
    for module, (n_out, n_in) in targets.items():
        state[f"base_model.model.{module}.lora_A.weight"] = torch.randn(4, n_in, generator=generator)
        state[f"base_model.model.{module}.lora_B.weight"] = torch.randn(n_out, 4, generator=generator)
    save_file(state, folder / "adapter_model.safetensors")
    (folder / "adapter_config.json").write_text(json.dumps({
        "peft_type": "LORA", "r": 4, "lora_alpha": 8, "target_modules": sorted({m.rsplit(".", 1)[1] for m in targets}),
        "use_rslora": False, "fan_in_fan_out": False,
    }))  # fmt: skip
    if metadata is not None:
        (folder / "mapperatorinator_lora_metadata.json").write_text(json.dumps(metadata))
    return state


@pytest.mark.parametrize(
    ("version", "module", "shape", "merged"),
    [  # Var-Whisper's fused Wqkv as stored; RoPE-Whisper's q_proj lands in the q rows of maid's fused Wqkv
        ("v32", "transformer.model.decoder.layers.0.self_attn.Wqkv", (192, 64),
         lambda m: m.decoder.layers[0].self_attn.Wqkv.weight),
        ("v30", "transformer.model.encoder.layers.1.self_attn.q_proj", (64, 64),
         lambda m: m.encoder.layers[1].self_attn.Wqkv.weight[:64]),
    ],
)  # fmt: skip
def test_lora_is_merged_into_the_weights(golden_dir: Path, tmp_path: Path, version: str, module: str,
                                         shape: tuple[int, int], merged: Callable) -> None:  # fmt: skip
    adapter = _write_lora(tmp_path / "lora", {module: shape})
    base = load_file(golden_dir / f"tiny-{version}" / "model.safetensors")[module + ".weight"]
    model = load_model(golden_dir / f"tiny-{version}", device="cpu", lora=tmp_path / "lora")
    delta = adapter[f"base_model.model.{module}.lora_B.weight"] @ adapter[f"base_model.model.{module}.lora_A.weight"]
    torch.testing.assert_close(merged(model), base + 2.0 * delta)  # alpha / r = 8 / 4
    assert model.checkpoint.lora == tmp_path / "lora"


def test_lora_restricted_to_other_subfolders_is_skipped(golden_dir: Path, tmp_path: Path) -> None:
    metadata = {"format_version": 1, "ckpt_subfolders": ["gamemode=0"]}
    _write_lora(tmp_path / "lora", {"transformer.proj_out": (4097, 64)}, metadata)
    model = load_model(golden_dir / "tiny-v32", device="cpu", lora=tmp_path / "lora")
    assert model.checkpoint.lora is None
    assert "gamemode=0" in model.checkpoint.notes[0]
    plain = load_model(golden_dir / "tiny-v32", device="cpu")
    assert torch.equal(prompt_logits(model, "v32"), prompt_logits(plain, "v32"))


def test_lora_targeting_an_unknown_module_fails(golden_dir: Path, tmp_path: Path) -> None:
    _write_lora(tmp_path / "lora", {"transformer.model.decoder.layers.9.self_attn.Wqkv": (192, 64)})
    with pytest.raises(CheckpointError, match=r"layers\.9\.self_attn\.Wqkv\.weight'?, not in the checkpoint"):
        load_model(golden_dir / "tiny-v32", device="cpu", lora=tmp_path / "lora")


@pytest.mark.parametrize("dtype", [torch.bfloat16, "fp16"])
def test_half_precision_loads_and_stays_close(golden_dir: Path, dtype: torch.dtype | str) -> None:
    reference = prompt_logits(load_model(golden_dir / "tiny-v32", device="cpu"), "v32")
    model = load_model(golden_dir / "tiny-v32", device="cpu", dtype=dtype)
    assert model.dtype == (torch.bfloat16 if dtype == torch.bfloat16 else torch.float16)
    half = prompt_logits(model, "v32")
    assert torch.corrcoef(torch.stack((half, reference)))[0, 1] > 0.99
    assert half.argmax() == reference.argmax()


def test_unknown_dtype_is_refused(golden_dir: Path) -> None:
    with pytest.raises(ValueError, match="use one of float32"):
        load_model(golden_dir / "tiny-v32", device="cpu", dtype="int8")


def test_tokenizer_is_loaded_and_checked_against_the_config(tiny_copy: Callable[..., Path]) -> None:
    folder = tiny_copy("v32")
    tok = load_model(folder, device="cpu").checkpoint.tokenizer
    assert (tok.vocab_size_out, tok.vocab_size_in, tok.time_shift_ids) == (4097, 4951, range(9, 1647))
    config = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps({**config, "rhythm_token_end": 1646}))
    with pytest.raises(CheckpointError, match=r"tokenizer\.json disagree \(rhythm_token_end 1646 != 1647\)"):
        load_model(folder, device="cpu")
    (folder / "tokenizer.json").unlink()
    with pytest.raises(CheckpointError, match=r"tokenizer\.json: missing"):
        load_model(folder, device="cpu")
