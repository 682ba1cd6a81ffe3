"""The Mapperatorinator network: an audio encoder and a token decoder, as the published checkpoints hold them.

Two backbone families share one set of modules here:

* RoPE-Whisper (`Tiger14n/ropewhisper-*`, v30/v31): separate q/k/v projections, `k_proj` without bias;
  v30/v31 also concatenate difficulty, mapper and song-position embeddings to the mel features.
* Var-Whisper (`OliBomby/varwhisper-*`, v32/v32-mini): fused `Wqkv` / `Wkv` projections with biases.

Both are pre-norm transformers with bias-free RMSNorms (epsilon = the dtype's machine epsilon), rotary
positions (rotate-half, theta 10000) in every self-attention and none in cross-attention, two convolutions
in front of the encoder, and an untied LM head. The network keeps Var-Whisper's fused layout (`Wqkv`,
`Wq` + `Wkv`, `Wo`); engine/checkpoint.py maps either family's state dict onto it. Decoder inputs are embedded with
`decoder_embedder` (V_in rows); the backbone's own `embed_tokens` is never used.

This module holds tensors and arithmetic only: no file access, no hub, no decoding policy (engine/decoding.py).
It must never import transformers (seconds to import) and never hold state between windows except the
`KVCache` a caller passes in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.attention import SDPBackend, sdpa_kernel

from engine.audio import MelConfig, log_mel_spectrogram

# Every attention runs on these backends, never cuDNN's, which torch 2.11 picks first for bf16 on Hopper GPUs:
# it builds an execution plan for each new pair of sequence lengths, and decoding meets a new pair at every
# step of every new window (measured on an H200: a remap of a region not decoded before took 6.4 s against
# 1.0 s once the plans existed, 4.9 s of it in cuDNN attention). These backends need no plan.
ATTENTION_BACKENDS = [SDPBackend.FLASH_ATTENTION, SDPBackend.EFFICIENT_ATTENTION, SDPBackend.MATH]

ROPE_WHISPER = "ropewhisper"
VAR_WHISPER = "varwhisper"
BACKBONE_PREFIXES = {"Tiger14n/ropewhisper": ROPE_WHISPER, "OliBomby/varwhisper": VAR_WHISPER}

UNKNOWN_DIFFICULTY = 5.0  # the reference's default star rating for the v30/v31 difficulty embedder
UNKNOWN_MAPPER = -1  # selects the "no mapper" row M of the v30/v31 mapper embedding


class UnsupportedModelError(ValueError):
    """The config describes a network this module does not implement (e.g. v28/v29 HF Whisper)."""


@dataclass(frozen=True)
class ModelDimensions:
    """Everything that shapes the network, read from a checkpoint's config.json."""

    family: str  # ROPE_WHISPER or VAR_WHISPER
    n_mels: int  # mel bins of the spectrogram
    n_audio_ctx: int  # encoder positions after the stride-2 conv (max_source_positions)
    n_text_ctx: int  # decoder positions (max_target_positions = tgt_seq_len)
    d_model: int
    n_audio_head: int
    n_audio_layer: int
    n_audio_ffn: int
    n_text_head: int
    n_text_layer: int
    n_text_ffn: int
    n_vocab: int  # V_out: rows of the LM head
    n_vocab_in: int  # V_in: rows of decoder_embedder (adds the input-only metadata ids)
    n_mappers: int  # M; the mapper embedding (v30/v31) has M + 1 rows
    cond_dim: int  # width of each v30/v31 conditioning embedding
    difficulty_embed: bool
    mapper_embed: bool
    song_position_embed: bool
    rope_theta: float
    sample_rate: int
    n_fft: int
    hop_length: int
    f_min: float
    f_max: float

    @property
    def n_cond(self) -> int:
        """Conditioning channels concatenated after the mel bins (384 for v30/v31, 0 for v32)."""
        return self.cond_dim * (self.difficulty_embed + self.mapper_embed + self.song_position_embed)

    @property
    def n_frames(self) -> int:
        """Mel frames per window (src_seq_len): 4096 for v30/v31, 2048 for v32."""
        return 2 * self.n_audio_ctx

    @property
    def window_samples(self) -> int:
        """Audio samples per window: (src_seq_len - 1) * hop, so that centred STFT frames number src_seq_len."""
        return (self.n_frames - 1) * self.hop_length

    @property
    def window_ms(self) -> float:
        """Window length in ms (16376 for v32), computed as the reference does: samples * 1000 / rate."""
        return self.window_samples * 1000 / self.sample_rate

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> ModelDimensions:
        """Build from a parsed config.json; `backbone_config` is authoritative for the backbone."""
        name = str(config.get("backbone_model_name", ""))
        family = next((f for prefix, f in BACKBONE_PREFIXES.items() if name.startswith(prefix)), None)
        if family is None:
            raise UnsupportedModelError(
                f"config.json: backbone_model_name {name!r} is not supported "
                f"(maid runs {', '.join(p + '-*' for p in BACKBONE_PREFIXES)}: Mapperatorinator v30 and later)"
            )
        if config.get("project_encoder_input") or config.get("input_raw_wave") or config.get("do_style_embed"):
            raise UnsupportedModelError(
                "config.json: encoder projection, raw-wave input and style embedding are not supported"
            )
        if not config.get("embed_decoder_input", True):
            raise UnsupportedModelError("config.json: embed_decoder_input must be true")
        spectrogram = tuple(config.get(k) for k in ("spectrogram_implementation", "spectrogram_log_scale", "pad_mode"))
        if spectrogram != ("torchaudio", True, "reflect"):
            raise UnsupportedModelError(
                f"config.json: spectrogram (implementation, log scale, padding) is {spectrogram}; "
                "maid computes the torchaudio log1p mel with reflect padding only"
            )
        bb = config["backbone_config"]
        if family == VAR_WHISPER and int(bb.get("global_attn_every_n_layers", 1)) != 1:
            raise UnsupportedModelError("backbone_config: local (sliding-window) attention layers are not supported")
        if bb.get("activation_function", "gelu") != "gelu":
            raise UnsupportedModelError(f"backbone_config: activation {bb['activation_function']!r} is not supported")
        difficulty, mapper, song_position = (
            bool(config.get(k, False)) for k in ("do_difficulty_embed", "do_mapper_embed", "do_song_position_embed")
        )
        dims = cls(
            family=family,
            n_mels=int(config["n_mels"]),
            n_audio_ctx=int(bb["max_source_positions"]),
            n_text_ctx=int(bb["max_target_positions"]),
            d_model=int(bb["d_model"]),
            n_audio_head=int(bb["encoder_attention_heads"]),
            n_audio_layer=int(bb["encoder_layers"]),
            n_audio_ffn=int(bb["encoder_ffn_dim"]),
            n_text_head=int(bb["decoder_attention_heads"]),
            n_text_layer=int(bb["decoder_layers"]),
            n_text_ffn=int(bb["decoder_ffn_dim"]),
            n_vocab=int(config["vocab_size"]),
            n_vocab_in=int(config.get("vocab_size_in") or config["vocab_size"]),
            n_mappers=int(config.get("num_mappers", 0)),
            cond_dim=int(config.get("cond_dim", 128)),
            difficulty_embed=difficulty,
            mapper_embed=mapper,
            song_position_embed=song_position,
            rope_theta=float(bb.get("global_rope_theta", 10000.0)),
            sample_rate=int(config["sample_rate"]),
            n_fft=int(config["n_fft"]),
            hop_length=int(config["hop_length"]),
            f_min=float(config["f_min"]),
            f_max=float(config["f_max"]),
        )
        if int(bb["num_mel_bins"]) != dims.n_mels + dims.n_cond:
            raise UnsupportedModelError(
                f"backbone_config.num_mel_bins is {bb['num_mel_bins']}, expected n_mels + conditioning = "
                f"{dims.n_mels} + {dims.n_cond}"
            )
        return dims


@dataclass(frozen=True)
class AudioConditioning:
    """Encoder-side conditioning of one window for v30/v31 (models without the embedders ignore it)."""

    song_position: tuple[float, float]  # (frame_time, frame_time + window) / song_length, end not clipped
    difficulty: float = UNKNOWN_DIFFICULTY  # star rating
    mapper_idx: int = UNKNOWN_MAPPER  # tokenizer mapper_idx of the mapper; -1 = none

    @classmethod
    def from_model_kwargs(cls, kwargs: dict[str, list[Any]]) -> list[AudioConditioning]:
        """One per row from the reference's model kwargs (`difficulty`, `mapper_idx`, `song_position` lists)."""
        return [
            cls(song_position=(float(pos[0]), float(pos[1])), difficulty=float(diff), mapper_idx=int(mapper))
            for diff, mapper, pos in zip(
                kwargs["difficulty"], kwargs["mapper_idx"], kwargs["song_position"], strict=True
            )
        ]


# ---------------------------------------------------------------------------------------------------
# Rotary positions and attention


def rope_cos_sin(positions: Tensor, head_dim: int, theta: float, dtype: torch.dtype) -> tuple[Tensor, Tensor]:
    """cos/sin tables (B, L, head_dim) for integer positions (B, L); angles in float32, then cast."""
    inv_freq = 1.0 / theta ** (torch.arange(0, head_dim, 2, device=positions.device, dtype=torch.float32) / head_dim)
    angles = positions.to(torch.float32)[..., None] * inv_freq  # (B, L, head_dim / 2)
    angles = torch.cat((angles, angles), dim=-1)
    return angles.cos().to(dtype), angles.sin().to(dtype)


def apply_rope(x: Tensor, cos: Tensor, sin: Tensor) -> Tensor:
    """Rotate-half RoPE on x (B, H, L, head_dim) with cos/sin (B, L, head_dim)."""
    half = x.shape[-1] // 2
    rotated = torch.cat((-x[..., half:], x[..., :half]), dim=-1)
    return x * cos[:, None] + rotated * sin[:, None]


class KVCache:
    """Keys and values of one decoding window.

    Self-attention slots are preallocated up to the decoder context and filled left to right (column i of
    the token matrix is slot i); cross-attention keys/values are projected once from the encoder output.
    `key_mask` is the (B, length) padding mask of every token written so far.
    """

    def __init__(self, model: Mapperatorinator, audio_features: Tensor, batch: int, capacity: int | None = None):
        dims = model.dims
        self.capacity = capacity or dims.n_text_ctx
        head_dim = dims.d_model // dims.n_text_head
        shape = (batch, dims.n_text_head, self.capacity, head_dim)
        like = audio_features
        self.self_k = [like.new_empty(shape) for _ in range(dims.n_text_layer)]
        self.self_v = [like.new_empty(shape) for _ in range(dims.n_text_layer)]
        if audio_features.shape[0] not in (1, batch):
            raise ValueError(f"audio_features has batch {audio_features.shape[0]}, expected 1 or {batch}")
        cross = [block.cross_attn.project_kv(audio_features) for block in model.decoder.layers]
        self.cross_k = [k.expand(batch, -1, -1, -1) for k, _ in cross]
        self.cross_v = [v.expand(batch, -1, -1, -1) for _, v in cross]
        self.key_mask = torch.zeros(batch, 0, dtype=torch.bool, device=audio_features.device)

    @property
    def length(self) -> int:
        return self.key_mask.shape[1]


class Attention(nn.Module):
    """Multi-head attention with Var-Whisper's fused projections: `Wqkv` (self) or `Wq` + `Wkv` (cross), `Wo`."""

    def __init__(self, d_model: int, n_head: int, cross: bool = False):
        super().__init__()
        self.n_head = n_head
        self.head_dim = d_model // n_head
        if cross:
            self.Wq = nn.Linear(d_model, d_model)
            self.Wkv = nn.Linear(d_model, 2 * d_model)
        else:
            self.Wqkv = nn.Linear(d_model, 3 * d_model)
        self.Wo = nn.Linear(d_model, d_model)

    def heads(self, x: Tensor, parts: int) -> tuple[Tensor, ...]:
        """(B, L, parts*d) -> `parts` tensors (B, H, L, head_dim); rows of each part are head-major."""
        b, n, _ = x.shape
        return x.view(b, n, parts, self.n_head, self.head_dim).permute(2, 0, 3, 1, 4).unbind(0)

    def project_kv(self, xa: Tensor) -> tuple[Tensor, Tensor]:
        """Cross-attention keys and values of the encoder output xa (B, T, d)."""
        k, v = self.heads(self.Wkv(xa), 2)
        return k, v

    def merge(self, x: Tensor) -> Tensor:
        b, _, n, _ = x.shape
        return self.Wo(x.transpose(1, 2).reshape(b, n, -1))

    def self_attend(
        self,
        x: Tensor,
        cos: Tensor,
        sin: Tensor,
        mask: Tensor | None = None,
        causal: bool = False,
        cache: tuple[Tensor, Tensor, int] | None = None,
    ) -> Tensor:
        """x (B, L, d) -> (B, L, d). mask (B, 1, L, S) bool (True = visible); without one, every key is
        visible, or the keys up to the query when `causal`. cache = (keys, values, first slot to write)."""
        q, k, v = self.heads(self.Wqkv(x), 3)
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        if cache is not None:
            cache_k, cache_v, start = cache
            end = start + x.shape[1]
            cache_k[:, :, start:end] = k
            cache_v[:, :, start:end] = v
            k, v = cache_k[:, :, :end], cache_v[:, :, :end]
        if mask is None:
            return self.merge(F.scaled_dot_product_attention(q, k, v, is_causal=causal and q.shape[2] > 1))
        return self.merge(F.scaled_dot_product_attention(q, k, v, attn_mask=mask))

    def cross_attend(self, x: Tensor, k: Tensor, v: Tensor) -> Tensor:
        (q,) = self.heads(self.Wq(x), 1)
        return self.merge(F.scaled_dot_product_attention(q, k, v))


class EncoderLayer(nn.Module):
    def __init__(self, d_model: int, n_head: int, n_ffn: int):
        super().__init__()
        self.self_attn_layer_norm = nn.RMSNorm(d_model)
        self.self_attn = Attention(d_model, n_head)
        self.final_layer_norm = nn.RMSNorm(d_model)
        self.fc1 = nn.Linear(d_model, n_ffn)
        self.fc2 = nn.Linear(n_ffn, d_model)

    def forward(self, x: Tensor, cos: Tensor, sin: Tensor) -> Tensor:
        x = x + self.self_attn.self_attend(self.self_attn_layer_norm(x), cos, sin)
        return x + self.fc2(F.gelu(self.fc1(self.final_layer_norm(x))))


class DecoderLayer(nn.Module):
    def __init__(self, d_model: int, n_head: int, n_ffn: int):
        super().__init__()
        self.self_attn_layer_norm = nn.RMSNorm(d_model)
        self.self_attn = Attention(d_model, n_head)
        self.cross_attn_layer_norm = nn.RMSNorm(d_model)
        self.cross_attn = Attention(d_model, n_head, cross=True)
        self.final_layer_norm = nn.RMSNorm(d_model)
        self.fc1 = nn.Linear(d_model, n_ffn)
        self.fc2 = nn.Linear(n_ffn, d_model)

    def forward(
        self,
        x: Tensor,
        cos: Tensor,
        sin: Tensor,
        mask: Tensor | None,
        cross_kv: tuple[Tensor, Tensor],
        self_cache: tuple[Tensor, Tensor, int],
    ) -> Tensor:
        x = x + self.self_attn.self_attend(self.self_attn_layer_norm(x), cos, sin, mask, causal=True, cache=self_cache)
        x = x + self.cross_attn.cross_attend(self.cross_attn_layer_norm(x), *cross_kv)
        return x + self.fc2(F.gelu(self.fc1(self.final_layer_norm(x))))


class AudioEncoder(nn.Module):
    def __init__(self, dims: ModelDimensions):
        super().__init__()
        d = dims.d_model
        self.conv1 = nn.Conv1d(dims.n_mels + dims.n_cond, d, kernel_size=3, padding=1)
        self.conv2 = nn.Conv1d(d, d, kernel_size=3, stride=2, padding=1)
        self.layers = nn.ModuleList(
            EncoderLayer(d, dims.n_audio_head, dims.n_audio_ffn) for _ in range(dims.n_audio_layer)
        )
        self.layer_norm = nn.RMSNorm(d)
        self.head_dim = d // dims.n_audio_head
        self.rope_theta = dims.rope_theta

    def forward(self, x: Tensor) -> Tensor:
        """x (B, C, T) mel + conditioning channels -> (B, T/2, d)."""
        x = F.gelu(self.conv1(x))
        x = F.gelu(self.conv2(x)).transpose(1, 2)
        positions = torch.arange(x.shape[1], device=x.device)[None]
        cos, sin = rope_cos_sin(positions, self.head_dim, self.rope_theta, x.dtype)
        with sdpa_kernel(ATTENTION_BACKENDS):
            for layer in self.layers:
                x = layer(x, cos, sin)
        return self.layer_norm(x)


class TextDecoder(nn.Module):
    def __init__(self, dims: ModelDimensions):
        super().__init__()
        d = dims.d_model
        self.layers = nn.ModuleList(
            DecoderLayer(d, dims.n_text_head, dims.n_text_ffn) for _ in range(dims.n_text_layer)
        )
        self.layer_norm = nn.RMSNorm(d)
        self.head_dim = d // dims.n_text_head
        self.rope_theta = dims.rope_theta

    def forward(self, x: Tensor, cache: KVCache) -> Tensor:
        """x (B, L, d): embedded tokens that continue the cache, whose key_mask already covers them."""
        key_mask = cache.key_mask  # (B, S): all S tokens so far, the last L of them new
        start = key_mask.shape[1] - x.shape[1]
        # Position = number of real tokens before this one: left padding does not shift positions.
        positions = (key_mask.cumsum(1) - 1).clamp(min=0)[:, start:]
        cos, sin = rope_cos_sin(positions, self.head_dim, self.rope_theta, x.dtype)
        mask = self.attention_mask(key_mask, x.shape[1])
        with sdpa_kernel(ATTENTION_BACKENDS):
            for i, layer in enumerate(self.layers):
                cross_kv = (cache.cross_k[i], cache.cross_v[i])
                x = layer(x, cos, sin, mask, cross_kv, (cache.self_k[i], cache.self_v[i], start))
        return self.layer_norm(x)

    @staticmethod
    def attention_mask(key_mask: Tensor, n_query: int) -> Tensor | None:
        """(B, 1, L, S) bool: causal, padding keys hidden; None when a plain causal mask is exact."""
        if bool(key_mask.all()):
            return None if n_query in (1, key_mask.shape[1]) else TextDecoder._causal(key_mask, n_query)
        return TextDecoder._causal(key_mask, n_query)

    @staticmethod
    def _causal(key_mask: Tensor, n_query: int) -> Tensor:
        s = key_mask.shape[1]
        query_slots = torch.arange(s - n_query, s, device=key_mask.device)[:, None]
        key_slots = torch.arange(s, device=key_mask.device)[None]
        visible = (key_slots <= query_slots)[None] & key_mask[:, None, :]
        # A padding query sees only itself, so that its (unused) softmax row is not empty.
        visible |= (key_slots == query_slots)[None]
        return visible[:, None]


class DifficultyEmbedder(nn.Module):
    """Star rating -> 8 Gaussian RBFs of rating/10 -> MLP with LayerNorms -> (B, cond_dim)."""

    def __init__(self, cond_dim: int, n_basis: int = 8):
        super().__init__()
        self.basis_centers = nn.Parameter(torch.linspace(0, 1, n_basis))
        self.basis_widths = nn.Parameter(torch.full((n_basis,), 0.1))
        self.difficulty_proj = rbf_projection(n_basis, cond_dim, cond_dim)

    def forward(self, difficulty: Tensor) -> Tensor:
        return self.difficulty_proj(rbf(difficulty / 10.0, self.basis_centers, self.basis_widths))


class MapperEmbedder(nn.Module):
    """Mapper index (-1 = none -> row M) -> embedding row -> LayerNorm -> (B, cond_dim)."""

    def __init__(self, n_mappers: int, cond_dim: int):
        super().__init__()
        self.n_mappers = n_mappers
        self.embedding = nn.Embedding(n_mappers + 1, cond_dim)
        self.layer_norm = nn.LayerNorm(cond_dim)

    def forward(self, mapper_idx: Tensor) -> Tensor:
        idx = torch.where(mapper_idx == UNKNOWN_MAPPER, self.n_mappers, mapper_idx).clamp(0, self.n_mappers)
        return self.layer_norm(self.embedding(idx))


class SongPositionEmbedder(nn.Module):
    """(start, end) song fractions -> 10 RBFs each (no scaling, end not clipped) -> MLP -> (B, cond_dim)."""

    def __init__(self, cond_dim: int, n_basis: int = 10):
        super().__init__()
        self.basis_centers = nn.Parameter(torch.linspace(0, 1, n_basis))
        self.basis_widths = nn.Parameter(torch.full((n_basis,), 0.1))
        self.position_proj = rbf_projection(2 * n_basis, 2 * cond_dim, cond_dim)

    def forward(self, song_position: Tensor) -> Tensor:
        start = rbf(song_position[:, 0], self.basis_centers, self.basis_widths)
        end = rbf(song_position[:, 1], self.basis_centers, self.basis_widths)
        return self.position_proj(torch.cat((start, end), dim=1))


def rbf(x: Tensor, centers: Tensor, widths: Tensor) -> Tensor:
    """Gaussian radial basis values (B, N) of x (B,)."""
    return torch.exp(-(x[:, None] - centers[None]).pow(2) / (2 * widths[None].pow(2)))


def rbf_projection(n_in: int, n_hidden: int, n_out: int) -> nn.Sequential:
    """Linear, LayerNorm, ReLU, Dropout, Linear, LayerNorm: indices 0, 1, 4, 5 hold the weights, as stored."""
    return nn.Sequential(
        nn.Linear(n_in, n_hidden), nn.LayerNorm(n_hidden), nn.ReLU(), nn.Dropout(0.0),
        nn.Linear(n_hidden, n_out), nn.LayerNorm(n_out),
    )  # fmt: skip


class Mapperatorinator(nn.Module):
    """Mel frames of one window (+ v30/v31 conditioning) in, next-token logits over V_out out."""

    checkpoint: Any = None  # engine.checkpoint.CheckpointInfo when loaded from a checkpoint folder

    def __init__(self, dims: ModelDimensions):
        super().__init__()
        self.dims = dims
        if dims.difficulty_embed:
            self.difficulty_embedder = DifficultyEmbedder(dims.cond_dim)
        if dims.mapper_embed:
            self.mapper_embedder = MapperEmbedder(dims.n_mappers, dims.cond_dim)
        if dims.song_position_embed:
            self.song_pos_embedder = SongPositionEmbedder(dims.cond_dim)
        self.encoder = AudioEncoder(dims)
        self.decoder_embedder = nn.Embedding(dims.n_vocab_in, dims.d_model)
        self.decoder = TextDecoder(dims)
        self.proj_out = nn.Linear(dims.d_model, dims.n_vocab, bias=False)

    @property
    def device(self) -> torch.device:
        return self.proj_out.weight.device

    @property
    def dtype(self) -> torch.dtype:
        return self.proj_out.weight.dtype

    def log_mel(self, audio: Tensor) -> Tensor:
        """Waveform windows (B, window_samples) at the model's rate -> (B, n_frames, n_mels), float32."""
        d = self.dims
        if audio.shape[-1] != d.window_samples:
            raise ValueError(f"audio windows have {audio.shape[-1]} samples; this model takes {d.window_samples}")
        config = MelConfig(d.sample_rate, d.n_fft, d.hop_length, d.n_mels, d.f_min, d.f_max)
        return log_mel_spectrogram(audio.to(self.device), config)

    def encode_audio(
        self,
        audio: Tensor,
        conditioning: AudioConditioning | Sequence[AudioConditioning] | None = None,
    ) -> Tensor:
        """Waveform windows (B, window_samples) -> encoder output (B, n_audio_ctx, d): mel, then the encoder."""
        return self.embed_audio(self.log_mel(audio), conditioning)

    def embed_audio(
        self,
        mel: Tensor,
        conditioning: AudioConditioning | Sequence[AudioConditioning] | None = None,
    ) -> Tensor:
        """mel (B, n_frames, n_mels) -> encoder output (B, n_audio_ctx, d). The encoder runs once per window."""
        x = mel.to(self.dtype)
        conds = self.conditioning(conditioning, x.shape[0])
        x = torch.cat([x] + [c[:, None].expand(-1, x.shape[1], -1) for c in conds], dim=-1)
        return self.encoder(x.transpose(1, 2))

    def conditioning(
        self, conditioning: AudioConditioning | Sequence[AudioConditioning] | None, batch: int
    ) -> list[Tensor]:
        """The v30/v31 embeddings in stored order (difficulty, mapper, song position), each (B, cond_dim)."""
        d = self.dims
        if not d.n_cond:
            return []
        if conditioning is None:
            raise ValueError("this checkpoint (v30/v31) conditions the encoder: pass an AudioConditioning per window")
        rows = [conditioning] * batch if isinstance(conditioning, AudioConditioning) else list(conditioning)
        if len(rows) != batch:
            raise ValueError(f"{len(rows)} AudioConditioning values for a batch of {batch} windows")
        out = []
        if d.difficulty_embed:
            out.append(self.difficulty_embedder(self._tensor([r.difficulty for r in rows], self.dtype)))
        if d.mapper_embed:
            out.append(self.mapper_embedder(self._tensor([r.mapper_idx for r in rows], torch.long)))
        if d.song_position_embed:
            out.append(self.song_pos_embedder(self._tensor([list(r.song_position) for r in rows], self.dtype)))
        return out

    def _tensor(self, values: list[Any], dtype: torch.dtype) -> Tensor:
        return torch.tensor(values, dtype=dtype, device=self.device)

    def logits(
        self,
        tokens: Tensor,
        audio_features: Tensor | None = None,
        cache: KVCache | None = None,
        key_mask: Tensor | None = None,
    ) -> Tensor:
        """Logits (B, L, V_out) for tokens (B, L); causal, with the keys that `key_mask` (B, L) marks False
        (padding; default: none) hidden from every query.

        With a cache, `tokens` continue what the cache holds and the cache grows by L. Without one, `tokens`
        are the whole sequence and `audio_features` (B or 1, T, d) the encoder output.
        """
        if key_mask is None:
            key_mask = torch.ones(tokens.shape, dtype=torch.bool, device=tokens.device)
        if cache is None:
            if audio_features is None:
                raise ValueError("logits() needs audio_features or a KVCache")
            cache = KVCache(self, audio_features, tokens.shape[0], capacity=tokens.shape[1])
        if cache.length + tokens.shape[1] > cache.capacity:
            raise ValueError(f"decoder context full: {cache.length} + {tokens.shape[1]} > {cache.capacity} tokens")
        cache.key_mask = torch.cat((cache.key_mask, key_mask), dim=1)
        hidden = self.decoder(self.decoder_embedder(tokens), cache)
        return self.proj_out(hidden)

    def new_cache(self, audio_features: Tensor, batch: int | None = None, capacity: int | None = None) -> KVCache:
        """A KV cache for `batch` rows decoding against one window's encoder output."""
        return KVCache(self, audio_features, batch or audio_features.shape[0], capacity)
