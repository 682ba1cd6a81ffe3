"""engine.decoding and the KV cache on the tiny v32 checkpoint: the loop, the processors, guidance, sampling."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import torch

from engine.cancel import Cancelled
from engine.checkpoint import load_model
from engine.decoding import (
    ClassifierFreeGuidance,
    ConditionalTemperature,
    GenerateOptions,
    LookbackReroute,
    MonotonicTimeShift,
    TopK,
    TopP,
    generate_tokens,
    left_pad,
    window_limits,
)
from engine.events import ContextType
from engine.model import Mapperatorinator
from engine.tokenizer import EOS, PAD, SOS, Tokenizer

PROMPT = [4097, 4112, 4127, 4216, 4272, 4274, 4730, 4186, 4478, 4456, 2995, 4334, SOS, 3]  # v32 timing pass
NEGATIVE = [4097, 4112, 4127, 4216, 4272, 4274, 4730, 4186, 4438, 2995, 4334, SOS, 3]  # one descriptor fewer
GREEDY = GenerateOptions(do_sample=False, max_new_tokens=24)


@pytest.fixture(scope="module")
def v32(golden_dir: Path) -> tuple[Mapperatorinator, Tokenizer, torch.Tensor]:
    model = load_model(golden_dir / "tiny-v32", device="cpu")
    audio = torch.sin(torch.arange(model.dims.window_samples) * 0.05)[None] * 0.5
    with torch.inference_mode():
        features = model.encode_audio(audio)
    return model, Tokenizer.load(golden_dir / "tiny-v32"), features


def test_cached_steps_equal_the_full_causal_forward(v32) -> None:
    model, _, features = v32
    sequence = torch.tensor([PROMPT + [1426, 3709, 2603, 2218, 1426, 3709, 9, 4081]])
    with torch.inference_mode():
        full = model.logits(sequence, features)
        cache = model.new_cache(features, batch=1)
        steps = [model.logits(sequence[:, : len(PROMPT)], cache=cache)]
        steps += [model.logits(sequence[:, i : i + 1], cache=cache) for i in range(len(PROMPT), sequence.shape[1])]
    torch.testing.assert_close(torch.cat(steps, dim=1), full, atol=2e-5, rtol=1e-5)


def test_left_padding_changes_nothing(v32) -> None:
    model, _, features = v32
    batch = left_pad([PROMPT, NEGATIVE])
    assert batch[1, 0] == PAD and batch.shape == (2, len(PROMPT))
    with torch.inference_mode():
        padded = model.logits(batch, cache=model.new_cache(features, batch=2), key_mask=batch != PAD)
        alone = model.logits(torch.tensor([NEGATIVE]), features)
    torch.testing.assert_close(padded[1, 1:], alone[0], atol=2e-5, rtol=1e-5)


def test_guidance_runs_both_prompts_in_one_batch(v32) -> None:
    model, tok, features = v32
    options = GenerateOptions(do_sample=False, max_new_tokens=1, cfg_scale=3.0, temperature=1.0)
    with torch.inference_mode():
        positive = model.logits(torch.tensor([PROMPT]), features)[0, -1]
        negative = model.logits(torch.tensor([NEGATIVE]), features)[0, -1]
    (textbook,) = generate_tokens(model, tok, features, [PROMPT], options, negative_prompts=[NEGATIVE])
    assert textbook == [int((negative + 3.0 * (positive - negative)).argmax())]
    options = GenerateOptions(**{**options.__dict__, "cfg_mode": "reference"})
    (reference,) = generate_tokens(model, tok, features, [PROMPT], options, negative_prompts=[NEGATIVE])
    assert reference == [int((positive + 3.0 * (negative - positive)).argmax())]
    assert textbook != reference


def test_guidance_needs_negative_prompts_and_is_off_at_scale_one(v32) -> None:
    model, tok, features = v32
    with pytest.raises(ValueError, match="negative prompt"):
        generate_tokens(model, tok, features, [PROMPT], GenerateOptions(cfg_scale=2.0))
    plain = generate_tokens(model, tok, features, [PROMPT], GREEDY, context=ContextType.TIMING)
    ignored = generate_tokens(model, tok, features, [PROMPT], GREEDY, negative_prompts=[NEGATIVE],
                              context=ContextType.TIMING)  # fmt: skip
    assert plain == ignored


def test_a_batch_of_windows_decodes_like_each_window_alone(v32) -> None:
    model, tok, features = v32
    both = generate_tokens(model, tok, features, [PROMPT, NEGATIVE], GREEDY)
    assert both == [generate_tokens(model, tok, features, [p], GREEDY)[0] for p in (PROMPT, NEGATIVE)]


def test_sampling_is_reproducible_by_seed(v32) -> None:
    model, tok, features = v32
    sampled = [
        generate_tokens(model, tok, features, [PROMPT], GenerateOptions(seed=seed, max_new_tokens=16))[0]
        for seed in (1, 1, 2)
    ]
    assert sampled[0] == sampled[1]
    assert sampled[0] != sampled[2]


def test_generation_stops_at_the_first_eos_set_id(v32) -> None:
    model, tok, features = v32
    # A strong time-shift bias makes time run forward (monotonic rule) into the lookahead, an EOS-set range.
    options = GenerateOptions(do_sample=False, timeshift_bias=20.0, max_new_tokens=300)
    (tokens,) = generate_tokens(model, tok, features, [PROMPT], options, context=ContextType.TIMING,
                                trim_lookback=True, trim_lookahead=True)  # fmt: skip
    limits = window_limits(tok, options, model.dims.window_ms, ContextType.TIMING, True, True)
    assert len(tokens) < 300 and tokens[-1] in limits.eos_ids
    assert not set(tokens[:-1]) & set(limits.eos_ids)


def test_progress_is_reported_and_cancel_stops(v32) -> None:
    model, tok, features = v32
    seen: list[int] = []
    options = GenerateOptions(do_sample=False, max_new_tokens=5)
    generate_tokens(model, tok, features, [PROMPT], options, progress=seen.append)
    assert seen == [1, 2, 3, 4, 5]
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        generate_tokens(model, tok, features, [PROMPT], GREEDY, cancel=cancel)


def test_window_limits_on_v32(v32) -> None:
    _, tok, _ = v32
    assert window_limits(tok, GREEDY, 16376.0, ContextType.MAP, False, False).eos_ids == (EOS, 6)
    limits = window_limits(tok, GREEDY, 16376.0, None, True, True)
    assert limits.lookback_ids == range(9, 9 + 818)  # TIME_SHIFT values 0..817 (8188 ms)
    assert limits.eos_ids[-1] == 1646 and len(limits.eos_ids) == 1 + 818 + 655  # top 655 values (6550.4 ms)


def test_monotonic_time_shift_masks_only_within_the_current_context() -> None:
    rule = MonotonicTimeShift(range(10, 20), (SOS, 3))
    tokens = torch.tensor([[PAD, SOS, 15, 7], [SOS, 15, 3, 7], [PAD, PAD, SOS, 7]])
    out = rule.apply(torch.zeros(3, 25), tokens)
    assert torch.isinf(out[0, 10:15]).all() and torch.isfinite(out[0, 15:]).all()  # t < last t masked, equal allowed
    assert torch.isfinite(out[1:]).all()  # a context SOS after the time shift / no time shift: nothing masked


def test_top_p_keeps_the_smallest_set_above_p() -> None:
    logits = torch.log(torch.tensor([[0.5, 0.3, 0.15, 0.05], [0.97, 0.01, 0.01, 0.01]]))
    out = TopP(0.75).apply(logits.clone(), torch.empty(2, 0))
    assert torch.isfinite(out).tolist() == [[True, True, False, False], [True, False, False, False]]
    assert torch.isfinite(TopK(3).apply(logits.clone(), torch.empty(2, 0))).sum(1).tolist() == [3, 4]  # ties kept


def test_guidance_formulas() -> None:
    logits = torch.tensor([[2.0, 0.0], [1.0, 1.0]])  # [positive; negative]
    assert ClassifierFreeGuidance(2.0, "textbook").apply(logits, torch.empty(0)).tolist() == [[3.0, -1.0]]
    assert ClassifierFreeGuidance(2.0, "reference").apply(logits, torch.empty(0)).tolist() == [[0.0, 2.0]]


def test_conditional_temperature_reads_row_zero_only() -> None:
    rule = ConditionalTemperature(1.0, ((0.5, frozenset({7}), 1), (0.25, frozenset({8}), 3)))
    logits = torch.ones(2, 3)
    assert rule.apply(logits, torch.tensor([[1, 2, 7], [1, 2, 3]])).tolist() == [[2.0] * 3] * 2
    assert rule.apply(logits, torch.tensor([[8, 2, 3], [1, 2, 7]])).tolist() == [[4.0] * 3] * 2
    assert rule.apply(logits, torch.tensor([[1, 2, 3], [8, 2, 7]])).tolist() == [[1.0] * 3] * 2


def test_lookback_reroute_moves_lookback_mass_to_time_zero_and_stays_normalised() -> None:
    rule = LookbackReroute(lookback_ids=range(3, 6), eos_ids=[2], timed_ids=[9])
    generator = torch.Generator().manual_seed(0)
    first, second = torch.randn(1, 12, generator=generator), torch.randn(1, 12, generator=generator)
    assert torch.equal(rule.apply(first, torch.tensor([[1, 4]])), first)  # no previous step yet
    out = rule.apply(second, torch.tensor([[1, 4, 9]])).exp()  # previous token is timed
    assert out.sum().item() == pytest.approx(1.0, abs=1e-5)
    assert out[0, 4:6].sum() == 0 and out[0, 3] > 0
