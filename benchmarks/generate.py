"""Whole-song generation: maid's windowed pipeline against a naive one, on the same model in the same run.

maid: passes interleaved so each window's audio is encoded once for all passes, a KV cache within each
window (prompt prefilled once, one token per step). Naive: one full sweep per pass (the encoder runs again
for every pass) and no KV cache (every step re-runs the decoder over the whole prompt and output); the
prompts, processors and per-window seeds are the same, so both paths decode the same windows.

Figures: a full map of the demo song (36.6 s), a 10 s remap of its Normal difficulty, and plain timing
beside super timing, whose passes are also timed against one decode per pass as the reference runs them.
Default: the tiny fixture checkpoints on CPU, torch on 1 thread. `--real-size` builds a random-weight model
with the published v30 dimensions (212 M parameters, the real v30 vocabulary); on CUDA it runs in bfloat16
and reports peak GPU memory.

    .venv/bin/python benchmarks/generate.py [--tokens 128] [--real-size] [--device cuda] [--skip-naive]
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import torch

from engine.audio import SAMPLE_RATE, load_audio
from engine.checkpoint import CheckpointInfo, load_model, read_config, read_tokenizer
from engine.decoding import GenerateOptions
from engine.events import ContextType
from engine.generate import generate_contexts, output_order
from engine.model import Mapperatorinator, ModelDimensions
from engine.osu import read_beatmap
from engine.supertiming import beat_passes
from engine.tasks import generate_timing, remap_region
from shared_dir import GOLDEN

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "engine" / "demo" / "mapset"


@dataclass
class _History:
    """What a naive decoder keeps: the encoder output and every token so far (no keys or values)."""

    features: torch.Tensor
    tokens: torch.Tensor | None = None
    mask: torch.Tensor | None = None


class NoCache:
    """The model seen through a decoder without a KV cache: each call re-runs the whole sequence."""

    def __init__(self, model: Mapperatorinator) -> None:
        self.model = model

    def __getattr__(self, name: str) -> Any:
        return getattr(self.model, name)

    def new_cache(self, audio_features: torch.Tensor, batch: int | None = None, capacity: int | None = None) -> Any:
        return _History(audio_features)

    def logits(self, tokens: torch.Tensor, audio_features: torch.Tensor | None = None, cache: Any = None,
               key_mask: torch.Tensor | None = None) -> torch.Tensor:
        mask = key_mask if key_mask is not None else torch.ones_like(tokens, dtype=torch.bool)
        cache.tokens = tokens if cache.tokens is None else torch.cat((cache.tokens, tokens), dim=1)
        cache.mask = mask if cache.mask is None else torch.cat((cache.mask, mask), dim=1)
        full = self.model.logits(cache.tokens, cache.features, key_mask=cache.mask)
        return full[:, -tokens.shape[1]:]


def naive_generate(model: Any, tok: Any, audio: Any, options: GenerateOptions, outputs: list[ContextType],
                   **kwargs: Any) -> Any:
    """One sweep per pass, each with its own encoder runs, decoding without a cache."""
    finished, stats = dict(kwargs.pop("finished", {}) or {}), []
    result = None
    for context in outputs:
        if context in finished:
            continue
        upto = outputs[: outputs.index(context) + 1]
        result = generate_contexts(NoCache(model), tok, audio, options, conditioning=options.conditioning(),
                                   outputs=upto, finished=finished, **kwargs)  # fmt: skip
        finished[context] = result.contexts[context]
        stats.append(result.stats)
    return finished, stats


def naive_super_passes(model: Mapperatorinator, audio: Any, options: GenerateOptions) -> None:
    """Super timing's passes as the reference runs them: each pass decodes every window afresh."""
    for i in range(options.timer_iterations):
        one = replace(options, timer_iterations=1, seed=(options.seed or 0) + i)
        beat_passes(model, model.checkpoint.tokenizer, audio, one)


def figures(stats: list[Any], wall: float) -> dict[str, float]:
    windows = sum(s.windows for s in stats)
    tokens = sum(s.new_tokens for s in stats)
    return {"wall_s": round(wall, 2), "windows": windows, "encoder_runs": sum(s.encoder_runs for s in stats),
            "new_tokens": tokens, "windows_per_s": round(windows / wall, 2), "tokens_per_s": round(tokens / wall, 1)}


def timed(run: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    result = run()
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    return time.perf_counter() - start, result


def real_size_v30(device: str, dtype: torch.dtype) -> Mapperatorinator:
    """Random weights at the published v30 sizes (d 768, 12+12 layers, 12 heads, ffn 3072)."""
    config = read_config(GOLDEN / "tiny-v30")
    backbone = dict(config["backbone_config"], d_model=768, encoder_layers=12, decoder_layers=12,
                    encoder_attention_heads=12, decoder_attention_heads=12, encoder_ffn_dim=3072,
                    decoder_ffn_dim=3072)  # fmt: skip
    config = {**config, "backbone_config": backbone, "hidden_size": 768}
    with torch.device(device):
        model = Mapperatorinator(ModelDimensions.from_config(config))
    model = model.to(dtype=dtype).eval().requires_grad_(False)
    tokenizer = read_tokenizer(GOLDEN / "tiny-v30", read_config(GOLDEN / "tiny-v30"))  # the real v30 vocabulary
    model.checkpoint = CheckpointInfo(GOLDEN / "tiny-v30", GOLDEN / "tiny-v30", "v30", config, tokenizer)
    return model


class Row(dict):
    """A result row that prints each figure as soon as it is measured (--verbose)."""

    verbose = False

    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key, value)
        if self.verbose:
            shown = "  ".join(f"{k}={v}" for k, v in value.items()) if isinstance(value, dict) else value
            print(f"  {key:16} {shown}", flush=True)


def bench_model(name: str, model: Any, audio: Any, options: GenerateOptions, naive: bool) -> dict[str, Any]:
    tok = model.checkpoint.tokenizer
    outputs = output_order(tok, [ContextType.MAP], 0)
    params = round(sum(p.numel() for p in model.parameters()) / 1e6, 1)
    if Row.verbose:
        print(f"\n{name} ({params} M parameters)", flush=True)
    row: dict[str, Any] = Row(model=name, params_M=params)
    if next(model.parameters()).is_cuda:  # CUDA's one-time start (context, libraries, kernels) is in no figure
        generate_contexts(model, tok, audio, replace(options, max_new_tokens=8), conditioning=options.conditioning(),
                          outputs=outputs)  # fmt: skip
    wall, result = timed(lambda: generate_contexts(model, tok, audio, options, conditioning=options.conditioning(),
                                                   outputs=outputs))  # fmt: skip
    row["map_maid"] = figures([result.stats], wall)
    if naive:
        wall, (_, stats) = timed(lambda: naive_generate(model, tok, audio, options, outputs))
        row["map_naive"] = figures(stats, wall)
        row["map_speedup"] = round(row["map_naive"]["wall_s"] / row["map_maid"]["wall_s"], 2)

    document = read_beatmap(DEMO / "maid - Demo Song (maid) [Normal].osu")
    wall, remap = timed(lambda: remap_region(model, document, audio, 12000, 22000, options))
    row["remap_10s_maid"] = figures([remap.stats], wall)
    if naive:
        wall, slow = timed(lambda: remap_region(NoCache(model), document, audio, 12000, 22000, options))
        row["remap_10s_naive"] = figures([slow.stats], wall)
        row["remap_speedup"] = round(row["remap_10s_naive"]["wall_s"] / row["remap_10s_maid"]["wall_s"], 2)

    wall, _ = timed(lambda: generate_timing(model, audio, options))
    row["timing_plain_s"] = round(wall, 2)
    wall, _ = timed(lambda: generate_timing(model, audio, replace(options, super_timing=True)))
    row["timing_super_s"] = round(wall, 2)
    row["super_over_plain"] = round(row["timing_super_s"] / row["timing_plain_s"], 2)
    if naive:
        wall, _ = timed(lambda: beat_passes(model, model.checkpoint.tokenizer, audio, options))
        row["super_passes_maid_s"] = round(wall, 2)
        wall, _ = timed(lambda: naive_super_passes(model, audio, options))
        row["super_passes_naive_s"] = round(wall, 2)
        row["super_passes_speedup"] = round(row["super_passes_naive_s"] / row["super_passes_maid_s"], 2)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=128, help="max new tokens per window (default 128)")
    parser.add_argument("--iterations", type=int, default=20, help="super timing iterations (default 20)")
    parser.add_argument("--real-size", action="store_true", help="random weights at the published v30 sizes")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--skip-naive", action="store_true", help="only maid's path")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.device == "cpu":
        torch.set_num_threads(1)
    audio = load_audio(DEMO / "audio.ogg")
    Row.verbose = not args.json
    header = {"device": args.device, "threads": torch.get_num_threads(), "song_s": round(len(audio) / SAMPLE_RATE, 1),
              "max_new_tokens": args.tokens, "timer_iterations": args.iterations}  # fmt: skip
    if Row.verbose:
        print(" ".join(f"{k}={v}" for k, v in header.items()), flush=True)
    options = GenerateOptions(seed=1, max_new_tokens=args.tokens, timer_iterations=args.iterations)
    rows = []
    if args.real_size:
        dtype = torch.bfloat16 if args.device.startswith("cuda") else torch.float32
        if args.device.startswith("cuda"):
            torch.cuda.reset_peak_memory_stats()
        model = real_size_v30(args.device, dtype)
        row = bench_model(f"v30 real-size random ({dtype})", model, audio, options, not args.skip_naive)
        if args.device.startswith("cuda"):
            row["peak_gpu_MiB"] = round(torch.cuda.max_memory_allocated() / 2**20)
        rows.append(row)
    else:
        for version in ("v30", "v32"):
            model = load_model(GOLDEN / f"tiny-{version}", device=args.device)
            rows.append(bench_model(f"tiny-{version}", model, audio, options, not args.skip_naive))
    if args.json:
        print(json.dumps({"setup": header, "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
