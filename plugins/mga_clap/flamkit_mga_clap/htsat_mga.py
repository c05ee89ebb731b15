"""HTSAT with MGA-CLAP's locality-aware block (Li et al., 2024, §3.3) and its SpecAugment.

A transformer's last blocks mix every token with its window through query-key attention, which is
good for a clip-level label and bad for frame-level features: a frame's embedding ends up describing
its neighbours. MGA-CLAP keeps flamkit's HTSAT unchanged except for the *last* Swin block, whose
output it takes from the value path alone (the "locality-aware block"):

    v   = x + DropPath(proj(W_v LN_1(x)))        # attention replaced by each token's own value
    out = v + DropPath(LN_2(v))                  # the MLP is not applied; LN_2's output is added

Both lines follow the published code (github.com/Ming-er/MGA-CLAP, ``models/htsat.py``), including the
second one's residual of the *normalised* features in place of the MLP. Each token's output depends on
that token alone, so the frames keep their own content. Because the value path is token-wise, the
window partition, cyclic shift and their inverses (a permutation and its inverse) drop out; the
block's query/key weights, position bias and MLP stay in the module, unused, so checkpoints of the
plain ``htsat`` (LAION-CLAP, FLAM-Global) load unchanged.

Everything else is :class:`flamkit.models.audio.htsat.HTSAT` (subclassed, not copied). MGA-CLAP's
front end is 32 kHz, 1024-point FFT, hop 320, 64 mel bins, 50-14000 Hz (its ``settings/pretrain.yaml``),
and it applies SpecAugment while training (after ``bn0``: two time stripes of up to 64 frames and two
frequency stripes of up to 8 bins, zeroed, per clip, as torchlibrosa's ``SpecAugmentation``). Like
dropout, the stripes draw from torch's generator, which flamkit's checkpoints save and restore.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from flamkit.models.audio.frames import check_clip, resize_frames
from flamkit.models.audio.htsat import HTSAT
from flamkit.registry import AUDIO_ENCODERS


def value_path(block: nn.Module, x: Tensor) -> Tensor:
    """The locality-aware output of a timm ``SwinTransformerBlock`` for NHWC input ``x`` ``[B, H, W, C]``."""
    attn = block.attn
    width = attn.qkv.out_features // 3  # qkv's output is [q | k | v], each heads x head_dim wide
    weight = attn.qkv.weight[2 * width :]
    bias = attn.qkv.bias[2 * width :] if attn.qkv.bias is not None else None
    v = attn.proj_drop(attn.proj(F.linear(block.norm1(x), weight, bias)))
    v = x + block.drop_path1(v)
    return v + block.drop_path2(block.norm2(v))


def drop_stripes(x: Tensor, dim: int, width: int, stripes: int) -> Tensor:
    """Zero ``stripes`` stripes along ``dim`` of each clip (dim 0 = batch), as torchlibrosa's ``DropStripes``:
    each stripe is ``randint(0, width)`` steps long and starts at ``randint(0, total - length)``."""
    total, batch = x.shape[dim], x.shape[0]
    length = torch.randint(0, width, (batch, stripes), device=x.device)
    start = (torch.rand(batch, stripes, device=x.device) * (total - length).clamp_min(1)).long()
    pos = torch.arange(total, device=x.device)
    dropped = ((pos >= start[..., None]) & (pos < (start + length)[..., None])).any(dim=1)  # [batch, total]
    shape = [batch] + [1] * (x.dim() - 1)
    shape[dim] = total
    return x * (~dropped).to(x.dtype).reshape(shape)


@AUDIO_ENCODERS.register("htsat_mga")
class LocalityAwareHTSAT(HTSAT):
    """HTSAT whose last block keeps frames local (MGA-CLAP's locality-aware block), with SpecAugment."""

    def __init__(
        self,
        variant: str = "tiny",
        frames: int = 32,
        sample_rate: int = 32000,
        clip_seconds: float = 10.0,
        embed_dim: int | None = None,
        depths: Sequence[int] | None = None,
        num_heads: Sequence[int] | None = None,
        window_size: int = 8,
        patch_size: int = 4,
        patch_stride: int = 4,
        spec_size: int = 256,
        n_mels: int = 64,
        n_fft: int = 1024,
        hop_length: int = 320,
        fmin: float = 50.0,
        fmax: float = 14000.0,
        mlp_ratio: float = 4.0,
        drop_rate: float = 0.0,
        attn_drop_rate: float = 0.0,
        drop_path_rate: float = 0.1,
        upsample: str = "linear",
        locality_aware: bool = True,
        spec_augment: bool = True,
        time_drop_width: int = 64,
        time_stripes: int = 2,
        freq_drop_width: int = 8,
        freq_stripes: int = 2,
    ) -> None:
        super().__init__(
            variant=variant, frames=frames, sample_rate=sample_rate, clip_seconds=clip_seconds, embed_dim=embed_dim,
            depths=depths, num_heads=num_heads, window_size=window_size, patch_size=patch_size,
            patch_stride=patch_stride, spec_size=spec_size, n_mels=n_mels, n_fft=n_fft, hop_length=hop_length,
            fmin=fmin, fmax=fmax, mlp_ratio=mlp_ratio, drop_rate=drop_rate, attn_drop_rate=attn_drop_rate,
            drop_path_rate=drop_path_rate, upsample=upsample,
        )
        for name, value in (("time_drop_width", time_drop_width), ("freq_drop_width", freq_drop_width)):
            if value < 1:
                raise ValueError(f"htsat_mga {name} must be >= 1, got {value}")
        self.locality_aware = locality_aware
        self.spec_augment = spec_augment
        self.time_drop = (time_drop_width, time_stripes)
        self.freq_drop = (freq_drop_width, freq_stripes)

    def features(self, image: Tensor) -> Tensor:
        """Swin stages on the spectrogram image -> final NHWC map, the last block locality-aware."""
        x = self.pos_drop(self.patch_embed(image))
        if not self.locality_aware:
            return self.norm(self.stages(x))
        *head, last = self.stages
        for stage in head:
            x = stage(x)
        x = last.downsample(x)
        *blocks, final = last.blocks
        for block in blocks:
            x = block(x)
        return self.norm(value_path(final, x))

    def forward(self, audio: Tensor) -> Tensor:
        check_clip(audio, self.clip_samples, self.sample_rate, "htsat_mga")
        with torch.autocast(device_type=audio.device.type, enabled=False):
            logmel = self.frontend(audio)  # [B, T, n_mels], float32
            logmel = self.bn0(logmel.transpose(1, 2).unsqueeze(-1)).squeeze(-1).transpose(1, 2)
            if self.training and self.spec_augment:
                logmel = drop_stripes(logmel, 1, *self.time_drop)
                logmel = drop_stripes(logmel, 2, *self.freq_drop)
            image = self.wav_to_image(logmel)
        return resize_frames(self.latent_to_frames(self.features(image)), self.frames, self.upsample)

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, locality_aware={self.locality_aware}, spec_augment={self.spec_augment}"
