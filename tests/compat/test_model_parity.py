"""engine.model and engine.decoding against the reference, for every case under the fixtures' logits/ folder.

Cases are discovered (`logits/*/case.json`), so a new case with the same layout is tested with no code change.
Inputs are built the way maid builds them: the case's audio through engine.audio, its first window, the
recorded prompt and encoder conditioning. Tolerances are the fixtures README §8 ones.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from torch import Tensor

from engine.audio import load_audio, plan_windows, split_windows
from engine.checkpoint import load_model
from engine.decoding import (
    ClassifierFreeGuidance,
    GenerateOptions,
    LogitProcessor,
    LookbackMask,
    MonotonicTimeShift,
    Temperature,
    build_processors,
    generate_tokens,
    left_pad,
    window_limits,
)
from engine.events import ContextType
from engine.model import AudioConditioning, Mapperatorinator
from engine.tokenizer import PAD, Tokenizer
from tests.conftest import GOLDEN

torch.set_num_threads(1)

CASE_DIRS = sorted(p.parent for p in GOLDEN.glob("logits/*/case.json")) if GOLDEN.exists() else []


def cases_with(*files: str, key: str | None = None) -> list[Any]:
    """Case names whose folder holds `files` (and whose case.json or its first call has `key`)."""
    names = [d.name for d in CASE_DIRS if all((d / f).is_file() for f in files) and (key is None or _has(d, key))]
    reason = f"no fixture case under {GOLDEN}/logits has {files or key}"
    return names or [pytest.param(None, marks=pytest.mark.skip(reason=reason))]


def _has(folder: Path, key: str) -> bool:
    data = json.loads((folder / "case.json").read_text())
    return key in data or key in data["calls"][0]


@dataclass(frozen=True)
class Case:
    name: str
    folder: Path
    data: dict[str, Any]
    model: Mapperatorinator
    tokenizer: Tokenizer
    audio_features: Tensor  # (1, n_audio_ctx, d) of window 0

    @property
    def call(self) -> dict[str, Any]:
        return self.data["calls"][0]

    def options(self, **changes: Any) -> GenerateOptions:
        kw = self.call["pipeline_generate_kwargs"]
        base = GenerateOptions(
            temperature=kw["temperature"], top_p=kw["top_p"], top_k=kw["top_k"], do_sample=kw["do_sample"],
            cfg_scale=kw["cfg_scale"], cfg_mode="reference", timeshift_bias=kw["timeshift_bias"],
            max_new_tokens=len(self.call["greedy_new_tokens"]),
        )  # fmt: skip
        return GenerateOptions(**{**base.__dict__, **changes})

    @property
    def negative_prompts(self) -> list[list[int]] | None:
        negative = self.call.get("negative_prompt_ids")
        return [negative] if negative is not None else None

    @property
    def context(self) -> ContextType:
        return ContextType(self.call["context_type"])

    def conditioning(self, kwargs: dict[str, Any]) -> list[AudioConditioning] | None:
        return AudioConditioning.from_model_kwargs(kwargs) if kwargs else None


@cache
def load_case(name: str) -> Case:
    folder = GOLDEN / "logits" / name
    data = json.loads((folder / "case.json").read_text())
    model = load_model(GOLDEN / data["model"], device="cpu")
    tokenizer = model.checkpoint.tokenizer
    samples = load_audio(GOLDEN / data["audio"])
    plan = plan_windows(len(samples), model.dims.n_frames)
    window = split_windows(samples, plan)[0]
    call = data["calls"][0]
    assert list(window[None].shape) == call["frames_window"]["shape"]
    assert float(window.sum(dtype=np.float64)) == pytest.approx(call["frames_window"]["sum"], rel=1e-9)
    cond = AudioConditioning.from_model_kwargs(call["cond_kwargs"]) if call["cond_kwargs"] else None
    with torch.inference_mode():
        features = model.encode_audio(torch.tensor(window)[None], cond)
    return Case(name, folder, data, model, tokenizer, features)


@pytest.fixture
def case(golden_dir: Path, request: pytest.FixtureRequest) -> Case:
    return load_case(request.param)


def assert_logits_close(actual: Tensor | np.ndarray, expected: np.ndarray, what: str) -> None:
    """README §8: |a − b| ≤ 1e-4 + 1e-5·|b|, and −inf exactly where the reference has it."""
    actual = actual.detach().float().numpy() if isinstance(actual, Tensor) else actual
    assert actual.shape == expected.shape, what
    inf = np.isinf(expected)
    np.testing.assert_array_equal(np.isinf(actual), inf, err_msg=f"{what}: -inf positions differ")
    np.testing.assert_array_equal(actual[inf], expected[inf], err_msg=f"{what}: infinities differ in sign")
    diff = np.abs(actual[~inf] - expected[~inf])
    bound = 1e-4 + 1e-5 * np.abs(expected[~inf])
    assert np.all(diff <= bound), f"{what}: max |diff| {diff.max():.3g} (worst excess {(diff - bound).max():.3g})"


def cached_logits(case: Case, prompts: list[list[int]]) -> Tensor:
    """Prefill logits (B, L, V) of left-padded prompts through a fresh KV cache, as generation step 0."""
    batch = left_pad(prompts)
    cache_ = case.model.new_cache(case.audio_features, batch=len(prompts))
    with torch.inference_mode():
        return case.model.logits(batch, cache=cache_, key_mask=batch != PAD)


@pytest.mark.parametrize("case", cases_with("call0_encoder_output.npy"), indirect=True)
def test_encoder_output(case: Case) -> None:
    assert_logits_close(case.audio_features, np.load(case.folder / "call0_encoder_output.npy"), "encoder output")


@pytest.mark.parametrize("case", cases_with("call0_prefix_logits.npy"), indirect=True)
def test_prefix_logits(case: Case) -> None:
    expected = np.load(case.folder / "call0_prefix_logits.npy")
    assert_logits_close(cached_logits(case, [case.call["prompt_ids"]]), expected, "cached prefill")
    with torch.inference_mode():  # the plain causal forward (no cache) gives the same logits
        full = case.model.logits(torch.tensor([case.call["prompt_ids"]]), case.audio_features)
    assert_logits_close(full, expected, "uncached forward")


@pytest.mark.parametrize("case", cases_with("call0_prefix_logits_uncached_sdpa_noncausal.npy"), indirect=True)
def test_forward_is_causal_unlike_the_reference_uncached_varwhisper(case: Case) -> None:
    # The reference's bare v32 forward attends to future tokens (README §7.2); ours never does.
    with torch.inference_mode():
        ours = case.model.logits(torch.tensor([case.call["prompt_ids"]]), case.audio_features)[0].numpy()
    noncausal = np.load(case.folder / "call0_prefix_logits_uncached_sdpa_noncausal.npy")[0]
    assert np.abs(ours - noncausal).max() > 1.0


@pytest.mark.parametrize("case", cases_with("call0_negative_prefix_logits.npy"), indirect=True)
def test_negative_prefix_logits_in_one_batch_with_the_positive(case: Case) -> None:
    logits = cached_logits(case, [case.call["prompt_ids"], case.call["negative_prompt_ids"]])
    assert_logits_close(logits[:1], np.load(case.folder / "call0_prefix_logits.npy"), "positive half")
    assert_logits_close(logits[1:], np.load(case.folder / "call0_negative_prefix_logits.npy"), "negative half")


@pytest.mark.parametrize("case", cases_with(key="teacher_forced"), indirect=True)
def test_teacher_forced_logits(case: Case) -> None:
    forced = case.data["teacher_forced"]
    features = case.audio_features
    if forced["cond_kwargs"] != case.call["cond_kwargs"]:
        with torch.inference_mode():
            features = case.model.encode_audio(*_window_and_cond(case, forced["cond_kwargs"]))
    cache_ = case.model.new_cache(features, batch=1)
    with torch.inference_mode():
        logits = case.model.logits(torch.tensor([forced["ids"]]), cache=cache_)
    assert_logits_close(logits, np.load(case.folder / forced["logits_npy"]), "teacher-forced")


def _window_and_cond(case: Case, kwargs: dict[str, Any]) -> tuple[Tensor, list[AudioConditioning] | None]:
    samples = load_audio(GOLDEN / case.data["audio"])
    window = split_windows(samples, plan_windows(len(samples), case.model.dims.n_frames))[0]
    return torch.tensor(window)[None], case.conditioning(kwargs)


@pytest.mark.parametrize("case", cases_with("call0_step_scores_first8.npy"), indirect=True)
def test_processed_scores_of_the_first_steps(case: Case) -> None:
    expected = np.load(case.folder / "call0_step_scores_first8.npy")
    options = case.options()
    limits = window_limits(case.tokenizer, options, case.model.dims.window_ms, case.context, False, False)
    processors = build_processors(case.tokenizer, options, limits)
    prompts = [case.call["prompt_ids"]] + (case.negative_prompts or [])
    batch = left_pad(prompts)
    cache_ = case.model.new_cache(case.audio_features, batch=len(prompts))
    tokens = batch[:1]
    with torch.inference_mode():
        logits = case.model.logits(batch, cache=cache_, key_mask=batch != PAD)[:, -1]
        for step, token in enumerate(case.call["greedy_new_tokens"][: len(expected)]):
            scores = logits.float()
            for processor in processors:
                scores = processor.apply(scores, tokens)
            assert_logits_close(scores[0], expected[step], f"step {step} scores")
            tokens = torch.cat((tokens, torch.tensor([[token]])), dim=1)
            logits = case.model.logits(torch.tensor([[token]] * len(prompts)), cache=cache_)[:, -1]


@pytest.mark.parametrize("case", cases_with("call0_step_scores_first8.npy"), indirect=True)
def test_processors_and_eos_ids_are_the_references(case: Case) -> None:
    options = case.options()
    limits = window_limits(case.tokenizer, options, case.model.dims.window_ms, case.context, False, False)
    assert describe(build_processors(case.tokenizer, options, limits)) == case.call["logits_processors"]
    assert ranges(limits.eos_ids) == case.call["eos_token_id_ranges"]


@pytest.mark.parametrize("case", cases_with(key="calls"), indirect=True)
def test_greedy_generation_is_token_identical(case: Case) -> None:
    new = generate_tokens(case.model, case.tokenizer, case.audio_features, [case.call["prompt_ids"]], case.options(),
                          negative_prompts=case.negative_prompts, context=case.context)  # fmt: skip
    assert new == [case.call["greedy_new_tokens"]]


@pytest.mark.parametrize("case", cases_with(key="lookback_variant"), indirect=True)
def test_lookback_variant(case: Case) -> None:
    variant = case.data["lookback_variant"]
    options = case.options()
    window_ms = case.model.dims.window_ms
    assert options.lookback * window_ms == variant["lookback_time_ms"]
    assert options.lookahead * window_ms == variant["lookahead_time_ms"]
    limits = window_limits(case.tokenizer, options, window_ms, case.context, True, True)
    assert ranges(limits.eos_ids) == variant["eos_token_id_ranges"]
    assert describe(build_processors(case.tokenizer, options, limits)) == variant["logits_processors"]
    new = generate_tokens(case.model, case.tokenizer, case.audio_features, [case.call["prompt_ids"]], options,
                          context=case.context, trim_lookback=True, trim_lookahead=True)  # fmt: skip
    assert new == [variant["greedy_new_tokens"]]


@pytest.mark.parametrize("case", cases_with("call0_step_scores_first8.npy", key="cfg_check_step0"), indirect=True)
def test_textbook_guidance_is_the_documented_departure(case: Case) -> None:
    """maid's default CFG differs from the reference exactly as case.json's cfg_check_step0 records."""
    check = case.call["cfg_check_step0"]
    positive, negative = cached_logits(case, [case.call["prompt_ids"], case.call["negative_prompt_ids"]])[:, -1]
    temperature = case.options().temperature
    step0 = torch.from_numpy(np.load(case.folder / "call0_step_scores_first8.npy")[0])
    scale = case.options().cfg_scale
    textbook = ClassifierFreeGuidance(scale, "textbook").apply(torch.stack((positive, negative)), torch.empty(0))[0]
    reference = ClassifierFreeGuidance(scale, "reference").apply(torch.stack((positive, negative)), torch.empty(0))[0]
    finite = torch.isfinite(step0)
    assert (textbook / temperature - step0)[finite].abs().max().item() == pytest.approx(
        check["intended_neg_plus_g_times_pos_minus_neg"], abs=1e-3
    )
    assert (reference / temperature - step0)[finite].abs().max().item() <= 1e-3


def describe(processors: list[LogitProcessor]) -> list[dict[str, Any]]:
    """Our processors in the reference's recorded form (class name and parameters)."""
    out: list[dict[str, Any]] = []
    hf = "transformers.generation.logits_process."
    ours = "osuT5.osuT5.inference.logit_processors."
    for p in processors:
        if isinstance(p, ClassifierFreeGuidance):
            out.append({"class": hf + "ClassifierFreeGuidanceLogitsProcessor", "guidance_scale": p.scale})
        elif isinstance(p, MonotonicTimeShift):
            out.append({"class": ours + "MonotonicTimeShiftLogitsProcessor", "time_shift_start": p.time_shift_ids.start,
                        "time_shift_end": p.time_shift_ids.stop, "sos_ids": sorted(p.start_ids)})  # fmt: skip
        elif isinstance(p, Temperature):
            out.append({"class": hf + "TemperatureLogitsWarper", "temperature": p.temperature})
        elif isinstance(p, LookbackMask):
            out.append({"class": ours + "LookbackBiasLogitsWarper", "lookback_start": p.lookback_ids.start,
                        "lookback_end": p.lookback_ids.stop, "types_first": False})  # fmt: skip
        else:
            out.append({"class": type(p).__name__})
    return out


def ranges(ids: tuple[int, ...]) -> list[list[int]]:
    """Sorted ids as inclusive [first, last] runs, as case.json records eos ids."""
    runs: list[list[int]] = []
    for i in sorted(ids):
        if runs and i == runs[-1][1] + 1:
            runs[-1][1] = i
        else:
            runs.append([i, i])
    return runs
