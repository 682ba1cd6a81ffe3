"""MaiMod speed on the tiny v30 checkpoint: batched windows against one window at a time.

Scores miiro_extra (the maimod fixture map) twice: with the fixture's 10 s clip (one window, as in
fixtures/maimod) and with that clip repeated to cover the whole map (every window of a sequential run).
Three ways, which must give the same scores (checked):

* batched: --batch windows per forward pass, the LM head only on the rows that are scored;
* one window at a time: batch_size 1, otherwise the same (maid's CPU default);
* full head, one window at a time: the LM head on every prompt position (as the reference's forward does).

torch runs on 1 thread (the steady setting on the 2-core development machine); figures are the best of
--repeat runs. `--real-size` scores with random weights at v30's published size instead (bfloat16 on CUDA,
where the three ways only agree to bfloat16's precision: their largest difference is printed, not checked).

    .venv/bin/python benchmarks/maimod.py [--batch 8] [--repeat 2] [--golden DIR] [--device cuda] [--real-size]
"""

from __future__ import annotations

import argparse
from pathlib import Path
from unittest import mock

import numpy as np
import torch

import engine.maimod as maimod
from engine.audio import load_audio, plan_windows
from engine.checkpoint import load_model
from engine.model import Mapperatorinator
from engine.osu import read_beatmap
from shared_dir import GOLDEN
from stopwatch import best_of


def full_head_logits(model: Mapperatorinator, tokens: torch.Tensor, features: torch.Tensor, rows: torch.Tensor,
                     cols: torch.Tensor) -> torch.Tensor:
    """Logits at every position, then the scored rows picked out."""
    return model.logits(tokens, features, key_mask=tokens != 0)[rows, cols]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--golden", type=Path, default=GOLDEN)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--real-size", action="store_true", help="random weights at the published v30 size")
    args = parser.parse_args()
    torch.set_num_threads(1)

    if args.real_size:
        from generate import real_size_v30

        model = real_size_v30(args.device, torch.bfloat16 if args.device.startswith("cuda") else torch.float32)
    else:
        model = load_model(args.golden / "tiny-v30", device=args.device)
    exact = model.dtype == torch.float32
    beatmap = read_beatmap(args.golden / "tokens" / "maps" / "miiro_extra.osu")
    clip = load_audio(args.golden / "audio" / "clip_16k_mono.wav")
    map_ms = max(o.time for o in beatmap.hit_objects) + 2000
    whole = np.tile(clip, int(np.ceil(map_ms * 16 / len(clip))))
    name = f"v30 real-size random ({model.dtype})" if args.real_size else "tiny v30"
    print(f"MaiMod on miiro_extra, {name} on {args.device}, 1 CPU thread (best of {args.repeat} runs)")
    for label, audio in (("fixture clip (10 s)", clip), (f"whole map ({len(whole) / 16000:.0f} s)", whole)):
        windows = plan_windows(len(audio), 4096).count

        def score(batch: int) -> list:
            return maimod.score_beatmap(model, beatmap, audio, difficulty=5.47, batch_size=batch)

        batched, ours = best_of(args.repeat, lambda: score(args.batch))
        single, theirs = best_of(args.repeat, lambda: score(1))
        with mock.patch.object(maimod, "_hidden_logits", full_head_logits):
            full, reference_like = best_of(args.repeat, lambda: score(1))
        differ = 0.0
        for other in (theirs, reference_like):
            for a, b in zip(ours, other, strict=True):
                if exact:
                    assert a.expected == b.expected
                    np.testing.assert_allclose(a.surprisal, b.surprisal, rtol=1e-3, atol=1e-6)
                x, y = np.asarray(a.surprisal), np.asarray(b.surprisal)
                differ = max(differ, float(np.max(np.abs(x - y) / np.maximum(np.abs(y), 1e-6), initial=0.0)))
        agree = "" if exact else f" | largest relative difference between the ways {differ:.1e}"
        print(f"  {label}: {windows} windows | batch {args.batch}: {batched:.2f} s | one at a time: {single:.2f} s "
              f"({single / batched:.2f}x) | full head, one at a time: {full:.2f} s ({full / batched:.2f}x){agree}")


if __name__ == "__main__":
    main()
