"""The network at the published sizes (no weights here: built on the meta device) and v31's decoding rules.

model.md §1 states each published model's parameter count; the tiny fixture configs scaled to the real
widths must give exactly those. v31 has no fixtures, so its types_first processors are checked against a
v31 vocabulary built by the construction rule (engine.events).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from engine.checkpoint import infer_version
from engine.decoding import (
    ConditionalTemperature,
    GenerateOptions,
    LookbackReroute,
    build_processors,
    window_limits,
)
from engine.events import V31, ContextType, EventType, input_event_ranges, output_event_ranges
from engine.model import Mapperatorinator, ModelDimensions
from engine.tokenizer import Tokenizer

M = 1000  # a mapper count; the stated counts grow by a known width per mapper


def scaled_config(golden_dir: Path, tiny: str, d: int, layers: int, heads: int, ffn: int, **top: object) -> dict:
    config = json.loads((golden_dir / tiny / "config.json").read_text())
    backbone = dict(config["backbone_config"], d_model=d, encoder_layers=layers, decoder_layers=layers,
                    encoder_attention_heads=heads, decoder_attention_heads=heads,
                    encoder_ffn_dim=ffn, decoder_ffn_dim=ffn)  # fmt: skip
    return {**config, "backbone_config": backbone, "num_mappers": M, "hidden_size": d, **top}


@pytest.mark.parametrize(
    ("version", "tiny", "d", "layers", "heads", "ffn", "top", "stated_millions", "per_mapper"),
    [  # model.md §1: v30 ≈ 211.9 M + 128·M, v32 ≈ 210.6 M + 768·M, v32-mini ≈ 51.8 M + 512·M
        ("v30", "tiny-v30", 768, 12, 12, 3072, {}, 211.9, 128),
        ("v32", "tiny-v32", 768, 12, 12, 3072, {"vocab_size_in": 4900 + M}, 210.6, 768),
        ("v32-mini", "tiny-v32", 512, 6, 8, 2048,
         {"vocab_size_in": 4900 + M, "backbone_model_name": "OliBomby/varwhisper-base"}, 51.8, 512),
    ],
)  # fmt: skip
def test_parameter_counts_at_published_sizes(
    golden_dir: Path, version: str, tiny: str, d: int, layers: int, heads: int, ffn: int, top: dict,
    stated_millions: float, per_mapper: int,
) -> None:
    config = scaled_config(golden_dir, tiny, d, layers, heads, ffn, **top)
    dims = ModelDimensions.from_config(config)
    assert infer_version(config) == version
    with torch.device("meta"):
        model = Mapperatorinator(dims)
    count = sum(p.numel() for p in model.parameters())
    if dims.family == "ropewhisper":
        count -= 3 * layers * d  # maid's fused Wqkv/Wkv carry a zero k bias that RoPE-Whisper's k_proj lacks
    stated_with_unused_embedding = count + dims.n_vocab * d  # the count in model.md includes embed_tokens
    assert (stated_with_unused_embedding - per_mapper * M) / 1e6 == pytest.approx(stated_millions, abs=0.05)


def test_v31_is_recognised(golden_dir: Path) -> None:
    config = scaled_config(golden_dir, "tiny-v30", 768, 12, 12, 3072, max_target_positions=8192)
    config["backbone_config"]["max_target_positions"] = 8192
    assert infer_version(config) == "v31"
    assert ModelDimensions.from_config(config).n_text_ctx == 8192


@pytest.fixture(scope="module")
def v31_tokenizer() -> Tokenizer:
    """A v31 vocabulary by the construction rule (descriptor count D = 100 made up)."""
    outputs, inputs = output_event_ranges(V31), input_event_ranges(V31, 0, 100)
    offset = 3 + 2 * len(V31.context_types)
    starts, ends, next_id = {}, {}, offset
    for r in outputs + inputs:
        starts[r.type.value], ends[r.type.value] = next_id, next_id + r.size
        next_id += r.size
    def as_json(ranges: tuple) -> list[dict]:
        return [{"type": r.type.value, "min_value": r.min_value, "max_value": r.max_value} for r in ranges]

    state = {
        "offset": offset,
        "context_sos": {c.value: 3 + 2 * i for i, c in enumerate(V31.context_types)},
        "context_eos": {c.value: 4 + 2 * i for i, c in enumerate(V31.context_types)},
        "event_ranges": as_json(outputs),
        "input_event_ranges": as_json(inputs),
        "event_start": starts, "event_end": ends,
        "vocab_size_out": ends[outputs[-1].type.value], "vocab_size_in": next_id, "num_descriptor_classes": 100,
    }  # fmt: skip
    tok = Tokenizer.from_state(state)
    assert (tok.vocab_size_out, tok.vocab_size_in, tok.time_shift_ids) == (5650, 6117 + 100, range(17, 3294))  # §4.4
    return tok


def test_v31_uses_conditional_temperature_and_lookback_rerouting(v31_tokenizer: Tokenizer) -> None:
    tok = v31_tokenizer
    options = GenerateOptions()
    limits = window_limits(tok, options, 32760.0, ContextType.MAP, True, False)
    processors = build_processors(tok, options, limits)
    temperature = next(p for p in processors if isinstance(p, ConditionalTemperature))
    beat, circle = tok.event_start[EventType.BEAT], tok.event_start[EventType.CIRCLE]
    scroll = tok.event_start[EventType.SCROLL_SPEED]
    assert [(t, back) for t, _, back in temperature.rules] == [(0.1, 1), (0.8, 3), (0.8, 1)]
    assert beat in temperature.rules[0][1] and circle in temperature.rules[1][1] and scroll in temperature.rules[2][1]
    logits = torch.zeros(1, tok.vocab_size_out)
    assert temperature.apply(logits + 1, torch.tensor([[1, beat]]))[0, 0].item() == pytest.approx(10.0)
    reroute = next(p for p in processors if isinstance(p, LookbackReroute))
    assert reroute.lookback_ids == range(17, 17 + 1638)  # 16380 ms of lookback
    timed = set(reroute.timed_ids.tolist())
    assert circle in timed and beat in timed and tok.event_start[EventType.RED_ANCHOR] not in timed
    assert set(reroute.eos_ids) == {2, *tok.context_eos.values()}
