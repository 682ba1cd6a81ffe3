"""The golden parity checks of tests/compat on another device and dtype: how far maid on CUDA lands from the
reference's CPU fixtures.

tests/compat pins maid to the reference on the CPU in float32 and fails on any excess. This script measures
instead of failing, so one run on a GPU machine shows every figure: for each logits/ case, the largest
|difference| from the fixture in the mel frames, the encoder output, the cached prefill, the teacher-forced
logits and the first 8 processed step scores (with `ok` where it is inside the fixtures README §8 bound), and
how many greedy tokens (plain, and the lookback variant) agree with the reference before the first
difference; then MaiMod's relative surprisals (rtol 1e-3) and expected events.

Modes: fp32 as torch runs it by default (cuDNN convolutions may use TF32), fp32-ieee (TF32 off everywhere)
and bf16, where the bounds are not expected to hold: read its token columns.

    .venv/bin/python benchmarks/cuda_parity.py [--device cuda] [--modes fp32 fp32-ieee bf16]
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from engine.audio import load_audio, plan_windows, split_windows
from engine.checkpoint import load_model
from engine.decoding import GenerateOptions, build_processors, generate_tokens, left_pad, window_limits
from engine.events import ContextType
from engine.maimod import score_beatmap
from engine.model import AudioConditioning, Mapperatorinator
from engine.osu import read_beatmap
from engine.tokenizer import PAD
from shared_dir import GOLDEN

MODES = {"fp32": torch.float32, "fp32-ieee": torch.float32, "bf16": torch.bfloat16}


@contextmanager
def precision(mode: str) -> Iterator[None]:
    """TF32 off for matrix products and cuDNN convolutions inside fp32-ieee; torch's defaults otherwise.

    Through the allow_tf32 flags: setting only the conv half of the newer fp32_precision API leaves cuDNN's
    flags mixed, and torch then refuses to read them."""
    saved = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    if mode == "fp32-ieee":
        torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = False
    try:
        yield
    finally:
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = saved


def difference(pairs: list[tuple[Tensor, np.ndarray]], rtol: float = 1e-5) -> str:
    """Largest |ours - reference| over finite entries; `ok` inside 1e-4 + rtol·|reference| with -inf alike."""
    if any(tuple(a.shape) != b.shape for a, b in pairs):
        return "shape differs"
    a = np.concatenate([a.detach().float().cpu().numpy().ravel() for a, _ in pairs])
    b = np.concatenate([b.ravel() for _, b in pairs])
    inf = np.isinf(b)
    if not np.array_equal(np.isinf(a), inf) or not np.array_equal(a[inf], b[inf]):
        return "-inf differ"
    diff = np.abs(a[~inf] - b[~inf])
    ok = bool(np.all(diff <= 1e-4 + rtol * np.abs(b[~inf])))
    return f"{diff.max():.1e} {'ok' if ok else 'OVER'}"


def agreement(ours: list[int], theirs: list[int]) -> str:
    """Tokens equal before the first difference, out of the reference's count."""
    same = next((i for i, (a, b) in enumerate(zip(ours, theirs)) if a != b), min(len(ours), len(theirs)))
    return f"{same}/{len(theirs)}" + ("" if ours == theirs else " DIFF")


def options(call: dict[str, Any]) -> GenerateOptions:
    kw = call["pipeline_generate_kwargs"]
    return GenerateOptions(temperature=kw["temperature"], top_p=kw["top_p"], top_k=kw["top_k"],
                           do_sample=kw["do_sample"], cfg_scale=kw["cfg_scale"], cfg_mode="reference",
                           timeshift_bias=kw["timeshift_bias"], max_new_tokens=len(call["greedy_new_tokens"]))


def step_scores(model: Mapperatorinator, features: Tensor, call: dict[str, Any], steps: int) -> Tensor:
    """The processed scores of the first `steps` steps, teacher-forced with the reference's greedy tokens."""
    tok, opts = model.checkpoint.tokenizer, options(call)
    limits = window_limits(tok, opts, model.dims.window_ms, ContextType(call["context_type"]), False, False)
    processors = build_processors(tok, opts, limits)
    batch = left_pad([call["prompt_ids"]] + ([call["negative_prompt_ids"]] if opts.cfg_scale > 1 else []))
    batch = batch.to(model.device)
    cache = model.new_cache(features, batch=batch.shape[0])
    tokens, out = batch[:1], []
    logits = model.logits(batch, cache=cache, key_mask=batch != PAD)[:, -1]
    for token in call["greedy_new_tokens"][:steps]:
        scores = logits.float()
        for processor in processors:
            scores = processor.apply(scores, tokens)
        out.append(scores[0])
        step = torch.tensor([[token]] * batch.shape[0], device=model.device)
        tokens = torch.cat((tokens, step[:1]), dim=1)
        logits = model.logits(step, cache=cache)[:, -1]
    return torch.stack(out)


@torch.inference_mode()
def logits_row(folder: Path, model: Mapperatorinator) -> dict[str, str]:
    data = json.loads((folder / "case.json").read_text())
    call = data["calls"][0]
    samples = load_audio(GOLDEN / data["audio"])
    window = torch.tensor(split_windows(samples, plan_windows(len(samples), model.dims.n_frames))[0])[None]
    cond = AudioConditioning.from_model_kwargs(call["cond_kwargs"]) if call["cond_kwargs"] else None
    mel = model.log_mel(window)
    features = model.embed_audio(mel, cond)
    row = {"mel": "", "encoder": "", "prefix": "", "forced": ""}
    if (mel_npy := GOLDEN / "audio" / f"mel_window0_{model.checkpoint.version}.npy").is_file():
        row["mel"] = difference([(mel, np.load(mel_npy))], rtol=1e-4)
    if (folder / "call0_encoder_output.npy").is_file():
        row["encoder"] = difference([(features, np.load(folder / "call0_encoder_output.npy"))])
    prompts = {"call0_prefix_logits.npy": call["prompt_ids"]}
    if call.get("negative_prompt_ids") is not None:
        prompts["call0_negative_prefix_logits.npy"] = call["negative_prompt_ids"]
    batch = left_pad(list(prompts.values())).to(model.device)
    prefix = model.logits(batch, cache=model.new_cache(features, batch=len(prompts)), key_mask=batch != PAD)
    row["prefix"] = difference([(prefix[i : i + 1, batch.shape[1] - len(ids) :], np.load(folder / name))
                                for i, (name, ids) in enumerate(prompts.items())])  # fmt: skip
    if forced := data.get("teacher_forced"):
        forced_features = features
        if forced["cond_kwargs"] != call["cond_kwargs"]:
            forced_features = model.embed_audio(mel, AudioConditioning.from_model_kwargs(forced["cond_kwargs"]))
        ids = torch.tensor([forced["ids"]], device=model.device)
        logits = model.logits(ids, cache=model.new_cache(forced_features, batch=1))
        row["forced"] = difference([(logits, np.load(folder / forced["logits_npy"]))])
    first8 = np.load(folder / "call0_step_scores_first8.npy")
    row["steps"] = difference([(step_scores(model, features, call, len(first8)), first8)])
    tok, opts, context = model.checkpoint.tokenizer, options(call), ContextType(call["context_type"])
    negative = [call["negative_prompt_ids"]] if opts.cfg_scale > 1 else None
    (greedy,) = generate_tokens(model, tok, features, [call["prompt_ids"]], opts, negative_prompts=negative,
                                context=context)  # fmt: skip
    row["greedy"] = agreement(greedy, call["greedy_new_tokens"])
    row["lookback"] = ""
    if variant := data.get("lookback_variant"):
        (trimmed,) = generate_tokens(model, tok, features, [call["prompt_ids"]], opts, context=context,
                                     trim_lookback=True, trim_lookahead=True)  # fmt: skip
        row["lookback"] = agreement(trimmed, variant["greedy_new_tokens"])
    return row


def maimod_row(path: Path, model: Mapperatorinator) -> dict[str, str]:
    case = json.loads(path.read_text())
    beatmap = read_beatmap(GOLDEN / "tokens" / "maps" / f"{path.name.removesuffix('_surprisals.json')}.osu")
    audio = load_audio(GOLDEN / "audio" / "clip_16k_mono.wav")
    scored = score_beatmap(model, beatmap, audio, case["generation_config"]["difficulty"])
    pairs = [(ctx, row) for ctx, expected in zip(scored, case["contexts"], strict=True) for row in expected["rows"]]
    ours, theirs = np.array([(ctx.surprisal[row[0]], row[4]) for ctx, row in pairs]).T
    relative = np.abs(ours - theirs) / np.maximum(np.abs(theirs), 1e-9)
    over = ~np.isclose(ours, theirs, rtol=1e-3, atol=1e-9)
    wrong = sum((ctx.expected[row[0]].type.value, ctx.expected[row[0]].value) != tuple(row[5:]) for ctx, row in pairs)
    return {"rows": str(len(pairs)), "max rel diff": f"{relative.max():.1e}", "over rtol 1e-3": str(over.sum()),
            "expected differ": str(wrong)}  # fmt: skip


def table(rows: list[dict[str, str]]) -> str:
    widths = {k: max(len(k), *(len(r[k]) for r in rows)) for k in rows[0]}
    lines = ["  ".join(k.ljust(w) for k, w in widths.items())]
    return "\n".join(lines + ["  ".join(r[k].ljust(w) for k, w in widths.items()) for r in rows])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--modes", nargs="+", choices=list(MODES), default=list(MODES))
    args = parser.parse_args()
    if not (GOLDEN / "logits").is_dir():
        raise SystemExit(f"no golden fixtures at {GOLDEN}: set MAID_SHARED_DIR (or MAID_GOLDEN_DIR)")
    if args.device == "cpu":
        torch.set_num_threads(1)
    print(f"torch {torch.__version__} on {args.device}"
          + (f" ({torch.cuda.get_device_name(args.device)})" if args.device.startswith("cuda") else "")
          + f"; fixtures {GOLDEN}", flush=True)  # fmt: skip
    models, logits, maimod = {}, [], []
    for mode in args.modes:
        with precision(mode):
            models[mode] = {v: load_model(GOLDEN / f"tiny-{v}", args.device, MODES[mode]) for v in ("v30", "v32")}
            for folder in sorted(p.parent for p in GOLDEN.glob("logits/*/case.json")):
                model = models[mode][json.loads((folder / "case.json").read_text())["model"].removeprefix("tiny-")]
                logits.append({"case": folder.name, "mode": mode, **logits_row(folder, model)})
                print("  ".join(f"{k} {v}" for k, v in logits[-1].items() if v), flush=True)
    print("\nlogits/ cases: max |ours - reference| (ok: inside README §8), greedy tokens equal before the first "
          "difference\n" + table(logits), flush=True)  # fmt: skip
    for mode in args.modes:
        with precision(mode):
            for path in sorted(GOLDEN.glob("maimod/*_surprisals.json")):
                maimod.append({"map": path.name.removesuffix("_surprisals.json"), "mode": mode,
                               **maimod_row(path, models[mode]["v30"])})  # fmt: skip
    if maimod:
        print("\nmaimod/: relative surprisal against the reference\n" + table(maimod))


if __name__ == "__main__":
    main()
