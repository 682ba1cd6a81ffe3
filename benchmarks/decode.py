"""Greedy decoding speed of one window on the tiny fixture checkpoints: maid's loop against a no-cache loop.

maid's loop (engine.decoding.generate_tokens) runs the encoder once per window, prefills the prompt into a KV
cache and then feeds one token per step. The baseline recomputes the whole decoder prefix at every step (the
encoder output is reused, so the ratio isolates the KV cache). Both apply the same logit processors and must
produce the same tokens; the script checks that. torch runs on 1 thread (measured to be the steady setting on
the 2-core development machine); figures are the best of --repeat runs.

    .venv/bin/python benchmarks/decode.py [--tokens 256] [--repeat 3] [--golden DIR] [--device cuda]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from engine.audio import load_audio, plan_windows, split_windows
from engine.checkpoint import load_model
from engine.decoding import GenerateOptions, build_processors, generate_tokens, window_limits
from engine.model import AudioConditioning, Mapperatorinator
from engine.tokenizer import Tokenizer
from shared_dir import GOLDEN
from stopwatch import best_of

PROMPTS = {
    "v30": [1],  # SOS; the v30 map pass of the first window
    "v32": [4097, 4112, 4127, 4216, 4272, 4274, 4730, 4186, 4478, 4456, 2995, 4334, 1, 3],  # v32 timing pass
}


def no_cache_greedy(model: Mapperatorinator, tok: Tokenizer, features: torch.Tensor, prompt: list[int],
                    options: GenerateOptions) -> list[int]:  # fmt: skip
    """The baseline: every step runs the decoder over the whole sequence again."""
    processors = build_processors(tok, options, window_limits(tok, options, model.dims.window_ms, None, False, False))
    tokens = torch.tensor([prompt], device=model.device)
    with torch.inference_mode():
        for _ in range(options.max_new_tokens or 0):
            scores = model.logits(tokens, features)[:, -1].float()
            for processor in processors:
                scores = processor.apply(scores, tokens)
            next_id = scores.argmax(dim=-1, keepdim=True)
            tokens = torch.cat((tokens, next_id), dim=1)
            if int(next_id) == 2:
                break
    return tokens[0, len(prompt) :].tolist()


def synchronized(result: torch.Tensor) -> torch.Tensor:
    """`result` once the device has computed it (CUDA runs kernels asynchronously)."""
    if result.is_cuda:
        torch.cuda.synchronize(result.device)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=256, help="new tokens per window")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--golden", type=Path, default=GOLDEN)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(f"torch {torch.__version__} on {args.device}, {torch.get_num_threads()} CPU thread, greedy, "
          f"{args.tokens} new tokens, best of {args.repeat}")  # fmt: skip
    samples = load_audio(args.golden / "audio" / "clip_16k_mono.wav")
    options = GenerateOptions(do_sample=False, max_new_tokens=args.tokens)
    for version, prompt in PROMPTS.items():
        folder = args.golden / f"tiny-{version}"
        model, tok = load_model(folder, device=args.device), Tokenizer.load(folder)
        window = torch.tensor(split_windows(samples, plan_windows(len(samples), model.dims.n_frames))[0])[None]
        cond = AudioConditioning(song_position=(0.0, model.dims.window_ms / 10000)) if model.dims.n_cond else None
        with torch.inference_mode():
            encode_s, features = best_of(args.repeat, lambda: synchronized(model.encode_audio(window, cond)))
        cached_s, cached = best_of(args.repeat, lambda: generate_tokens(model, tok, features, [prompt], options)[0])
        plain_s, plain = best_of(args.repeat, lambda: no_cache_greedy(model, tok, features, prompt, options))
        assert cached == plain, f"{version}: the cached and uncached loops disagree"
        n = len(cached)
        print(f"tiny-{version}: encoder {encode_s * 1000:.0f} ms/window (once per window); "
              f"KV cache {n / cached_s:.0f} tok/s, no cache {n / plain_s:.0f} tok/s, "
              f"ratio {plain_s / cached_s:.2f}x over {n} tokens (identical tokens)")  # fmt: skip


if __name__ == "__main__":
    main()
