"""Attention never runs on cuDNN's backend, which torch prefers for bf16 on Hopper GPUs but which builds an
execution plan for every new pair of sequence lengths (engine.model.ATTENTION_BACKENDS says what that cost on
an H200). The backend switches are torch's global flags, so the test reads them at each attention call."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from engine.model import VAR_WHISPER, Mapperatorinator, ModelDimensions

DIMS = ModelDimensions(family=VAR_WHISPER, n_mels=8, n_audio_ctx=16, n_text_ctx=16, d_model=16, n_audio_head=2,
                       n_audio_layer=2, n_audio_ffn=32, n_text_head=2, n_text_layer=2, n_text_ffn=32, n_vocab=20,
                       n_vocab_in=20, n_mappers=0, cond_dim=0, difficulty_embed=False, mapper_embed=False,
                       song_position_embed=False, rope_theta=10000.0, sample_rate=16000, n_fft=64, hop_length=16,
                       f_min=0.0, f_max=8000.0)  # fmt: skip


def test_every_attention_runs_without_cudnn_and_the_switch_is_given_back(monkeypatch: pytest.MonkeyPatch) -> None:
    attention = F.scaled_dot_product_attention
    cudnn_on_at_call: list[bool] = []

    def recording(*args, **kwargs):  # type: ignore[no-untyped-def]
        cudnn_on_at_call.append(torch.backends.cuda.cudnn_sdp_enabled())
        return attention(*args, **kwargs)

    monkeypatch.setattr(F, "scaled_dot_product_attention", recording)
    torch.manual_seed(0)
    model = Mapperatorinator(DIMS).eval()
    before = torch.backends.cuda.cudnn_sdp_enabled()
    with torch.no_grad():
        features = model.encoder(torch.randn(1, DIMS.n_mels, 2 * DIMS.n_audio_ctx))
        cache = model.new_cache(features, capacity=4)
        model.logits(torch.tensor([[1, 2]]), cache=cache)  # a prefill
        model.logits(torch.tensor([[3]]), cache=cache)  # one cached step
    # 2 encoder self-attentions, then 2 decoder layers x (self + cross) x 2 calls
    assert cudnn_on_at_call == [False] * 10
    assert torch.backends.cuda.cudnn_sdp_enabled() == before
