"""HTS-AT (Chen et al., ICASSP 2022) as LAION-CLAP's audio branch builds it, on timm's Swin stages.

FLAM (§3, C.5) starts from LAION-CLAP's HTSAT and takes its frame embeddings from the layer before
the classifier: the "latent" token-semantic map that LAION-CLAP returns as ``fine_grained_embedding``.
This module reproduces that path so LAION-CLAP / FLAM-Global checkpoints load into it
(:mod:`flamkit.models.audio.laion_clap`), while the Swin blocks themselves are timm's maintained
``SwinTransformerStage`` (NHWC); the tests check them against a naive LAION-style block.

The path of a 10 s, 48 kHz clip (tiny; ``B`` clips):

1. log-mel front end (:class:`~flamkit.models.audio.frontend.LogMelFrontend`): ``[B, 1001, 64]``;
2. ``bn0``: BatchNorm over the 64 mel bins (a learned per-bin standardisation; LAION applies it as
   ``BatchNorm2d(64)`` on the transposed spectrogram, and so do we so its weights load unchanged);
3. to a 256 x 256 "image" (LAION's ``reshape_wav2img``): bicubic interpolation (``align_corners=True``)
   of the 1001 frames to ``spec_size * freq_ratio = 1024``, then the time axis is cut into
   ``freq_ratio = spec_size // n_mels = 4`` consecutive chunks of 256 frames (2.5 s) that are stacked
   along frequency: image row ``c * 64 + m`` is mel bin ``m`` of chunk ``c``, column ``t`` is frame
   ``c * 256 + t``. This lets an ImageNet-shaped Swin see the whole clip;
4. patch embedding: ``Conv2d(1, embed_dim, patch_size, stride=patch_stride)`` + LayerNorm, a 64 x 64 grid;
5. four Swin stages (window 8, shifted windows on odd blocks, patch merging between stages), giving an
   8 x 8 grid of ``8 * embed_dim`` features after the final LayerNorm;
6. back to time (LAION's token-semantic regrouping): each of the 4 row groups of 2 rows is one time
   chunk, so the map is read as ``[2 freq rows, 4 chunks x 8 columns]`` and averaged over the 2 rows:
   **32 latent frames** of ``8 * embed_dim`` features, 10 s / 32 = 0.3125 s each (the frame length
   FLAM's AUROC uses, C.7). Their mean is LAION-CLAP's clip ``embedding``.

Output length ``L`` (``frames``): 32 is native. ``L < 32`` averages adjacent latent frames (adaptive
average pooling); ``L > 32`` (the paper's L = 128 ablation, C.12) interpolates along time, linearly by
default. The paper does not say how its L = 128 frames were made; LAION-CLAP's own
``fine_grained_embedding`` upsamples by repetition, available here as ``upsample="nearest"`` (see
:mod:`flamkit.models.audio.frames`). Linear interpolation is the default because the SED loss then
sees frame-to-frame variation that matches the finer labels instead of runs of 4 identical frames.

Left out on purpose, all from LAION-CLAP's audio branch: the AudioSet classifier (``tscam_conv``,
``head``: not features), SpecAugment and mixup (training-data augmentations, which belong to the data
pipeline's augmenters, with explicit generators), and the "fusion" variants for clips longer than 10 s.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from timm.models.swin_transformer import SwinTransformerStage
from torch import Tensor, nn

from flamkit.models.audio.frames import check_clip, check_frames, check_upsample, clip_samples, resize_frames
from flamkit.models.audio.frontend import LogMelFrontend
from flamkit.registry import AUDIO_ENCODERS

HTSAT_VARIANTS: dict[str, dict[str, Any]] = {
    "tiny": {"embed_dim": 96, "depths": (2, 2, 6, 2), "num_heads": (4, 8, 16, 32)},
    "base": {"embed_dim": 128, "depths": (2, 2, 12, 2), "num_heads": (4, 8, 16, 32)},
    "large": {"embed_dim": 256, "depths": (2, 2, 12, 2), "num_heads": (4, 8, 16, 32)},
}
"""LAION-CLAP's ``create_htsat_model`` presets; explicit ``embed_dim``/``depths``/``num_heads`` override them."""


class PatchEmbed(nn.Module):
    """Single-channel image -> NHWC patch tokens; LAION's ``PatchEmbed`` with its ``patch_stride``.

    Kept apart from timm's ``PatchEmbed`` because HTSAT allows a stride different from the patch size
    (overlapping patches, padded by ``(patch - stride) // 2``); the parameter names are the same.
    """

    def __init__(self, patch_size: int, patch_stride: int, embed_dim: int) -> None:
        super().__init__()
        padding = (patch_size - patch_stride) // 2
        self.proj = nn.Conv2d(1, embed_dim, kernel_size=patch_size, stride=patch_stride, padding=padding)
        self.norm = nn.LayerNorm(embed_dim)

    def forward(self, x: Tensor) -> Tensor:
        return self.norm(self.proj(x).permute(0, 2, 3, 1))


@AUDIO_ENCODERS.register("htsat")
class HTSAT(nn.Module):
    """HTSAT (tiny/base/large as in LAION-CLAP) emitting ``frames`` latent frame features per 10 s clip.

    ``variant`` picks embed_dim/depths/num_heads from :data:`HTSAT_VARIANTS`; any of the three given
    explicitly overrides the preset. ``out_dim = embed_dim * 2 ** (len(depths) - 1)`` (768 for tiny,
    1024 for base). Defaults reproduce LAION-CLAP's HTSAT-tiny at 48 kHz, including its stochastic
    depth rate 0.1.
    """

    def __init__(
        self,
        variant: str = "tiny",
        frames: int = 32,
        sample_rate: int = 48000,
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
        hop_length: int = 480,
        fmin: float = 50.0,
        fmax: float = 14000.0,
        mlp_ratio: float = 4.0,
        drop_rate: float = 0.0,
        attn_drop_rate: float = 0.0,
        drop_path_rate: float = 0.1,
        upsample: str = "linear",
    ) -> None:
        super().__init__()
        if variant not in HTSAT_VARIANTS:
            raise ValueError(f"HTSAT variant must be one of {sorted(HTSAT_VARIANTS)}; got {variant!r}")
        preset = HTSAT_VARIANTS[variant]
        embed_dim = preset["embed_dim"] if embed_dim is None else int(embed_dim)
        depths = tuple(int(d) for d in (preset["depths"] if depths is None else depths))
        num_heads = tuple(int(h) for h in (preset["num_heads"] if num_heads is None else num_heads))
        check_frames(frames)
        check_upsample(upsample)
        self.variant = variant
        self.sample_rate = sample_rate
        self.clip_seconds = float(clip_seconds)
        self.frames = frames
        self.upsample = upsample
        self.clip_samples = clip_samples(sample_rate, clip_seconds)
        self.embed_dim = embed_dim
        self.depths = depths
        self.num_heads = num_heads
        self.out_dim = embed_dim * 2 ** (len(depths) - 1)
        self._check_geometry(depths, num_heads, spec_size, n_mels, patch_size, patch_stride, window_size)
        self.spec_size = spec_size
        self.freq_ratio = spec_size // n_mels
        grid = spec_size // patch_stride
        self.final_grid = grid // 2 ** (len(depths) - 1)
        self.native_frames = self.freq_ratio * self.final_grid

        self.frontend = LogMelFrontend(
            sample_rate=sample_rate, n_fft=n_fft, hop_length=hop_length, win_length=n_fft,
            n_mels=n_mels, fmin=fmin, fmax=fmax,
        )
        self.spec_frames = self.frontend.num_frames(self.clip_samples)
        if self.spec_frames > spec_size * self.freq_ratio:
            raise ValueError(
                f"a {clip_seconds:g} s clip gives {self.spec_frames} spectrogram frames (hop {hop_length}), more "
                f"than the {spec_size * self.freq_ratio} the {spec_size}x{spec_size} input holds; "
                "raise hop_length or spec_size"
            )
        self.bn0 = nn.BatchNorm2d(n_mels)
        self.patch_embed = PatchEmbed(patch_size, patch_stride, embed_dim)
        self.pos_drop = nn.Dropout(drop_rate)
        rates = np.linspace(0.0, drop_path_rate, sum(depths)).tolist()  # stochastic depth grows with depth
        stages = []
        for i, (depth, heads) in enumerate(zip(depths, num_heads)):
            dim = embed_dim * 2**i
            in_dim = dim if i == 0 else dim // 2
            in_res = grid // 2 ** max(i - 1, 0)
            stages.append(
                SwinTransformerStage(
                    dim=in_dim, out_dim=dim, input_resolution=(in_res, in_res), depth=depth,
                    downsample=i > 0,  # LAION merges at the end of stage i-1; timm at the start of stage i
                    num_heads=heads, window_size=window_size, mlp_ratio=mlp_ratio, qkv_bias=True,
                    proj_drop=drop_rate, attn_drop=attn_drop_rate,
                    drop_path=rates[sum(depths[:i]) : sum(depths[: i + 1])],
                )
            )
        self.stages = nn.Sequential(*stages)
        self.norm = nn.LayerNorm(self.out_dim)
        self.apply(_init_like_laion)

    @staticmethod
    def _check_geometry(
        depths: tuple[int, ...], num_heads: tuple[int, ...], spec_size: int, n_mels: int,
        patch_size: int, patch_stride: int, window_size: int,
    ) -> None:
        if len(depths) != len(num_heads) or not depths or min(depths) < 1:
            raise ValueError(f"depths and num_heads need one positive entry per stage; got {depths}, {num_heads}")
        if patch_size < patch_stride or (patch_size - patch_stride) % 2:
            raise ValueError(f"patch_size - patch_stride must be even and >= 0; got {patch_size}, {patch_stride}")
        freq_ratio = spec_size // n_mels
        if freq_ratio < 1:
            raise ValueError(f"spec_size ({spec_size}) must be at least n_mels ({n_mels})")
        grid = spec_size // patch_stride
        if spec_size % patch_stride or grid % 2 ** (len(depths) - 1):
            raise ValueError(
                f"spec_size / patch_stride = {spec_size}/{patch_stride} must be a whole grid divisible by "
                f"2**(stages-1) = {2 ** (len(depths) - 1)}"
            )
        final = grid // 2 ** (len(depths) - 1)
        if final % freq_ratio:
            raise ValueError(
                f"the final {final}x{final} grid must split into freq_ratio = {freq_ratio} time chunks; "
                "choose spec_size, n_mels and patch_stride accordingly"
            )
        for i in range(len(depths)):
            res = grid // 2**i
            if res > window_size and res % window_size:
                raise ValueError(f"stage {i} grid {res} is not a multiple of window_size {window_size}")

    def wav_to_image(self, logmel: Tensor) -> Tensor:
        """``[B, T, n_mels]`` log-mel -> ``[B, 1, spec_size, spec_size]`` (LAION's ``reshape_wav2img``)."""
        x = logmel.unsqueeze(1)
        target_t = self.spec_size * self.freq_ratio
        target_f = self.spec_size // self.freq_ratio
        if x.shape[2] < target_t:
            x = F.interpolate(x, (target_t, x.shape[3]), mode="bicubic", align_corners=True)
        if x.shape[3] < target_f:
            x = F.interpolate(x, (x.shape[2], target_f), mode="bicubic", align_corners=True)
        b, _, _, f = x.shape
        chunks = x.reshape(b, self.freq_ratio, target_t // self.freq_ratio, f)  # [B, chunk, t, mel]
        return chunks.permute(0, 1, 3, 2).reshape(b, 1, self.freq_ratio * f, target_t // self.freq_ratio)

    def latent_to_frames(self, x: Tensor) -> Tensor:
        """Final NHWC map ``[B, H, W, C]`` -> ``[B, freq_ratio * W, C]`` time frames (LAION's latent output)."""
        b, h, w, c = x.shape
        rows_per_chunk = h // self.freq_ratio
        x = x.reshape(b, self.freq_ratio, rows_per_chunk, w, c).mean(dim=2)  # [B, chunk, W, C]
        return x.reshape(b, self.freq_ratio * w, c)

    def forward(self, audio: Tensor) -> Tensor:
        check_clip(audio, self.clip_samples, self.sample_rate, "HTSAT")
        with torch.autocast(device_type=audio.device.type, enabled=False):
            logmel = self.frontend(audio)  # [B, T, n_mels], float32
            logmel = self.bn0(logmel.transpose(1, 2).unsqueeze(-1)).squeeze(-1).transpose(1, 2)
            image = self.wav_to_image(logmel)
        x = self.pos_drop(self.patch_embed(image))
        x = self.norm(self.stages(x))
        return resize_frames(self.latent_to_frames(x), self.frames, self.upsample)

    def extra_repr(self) -> str:
        return (
            f"variant={self.variant!r}, frames={self.frames}, out_dim={self.out_dim}, "
            f"native_frames={self.native_frames}, upsample={self.upsample!r}"
        )


def _init_like_laion(m: nn.Module) -> None:
    """LAION-CLAP's HTSAT init: Linear weights N(0, 0.02) truncated at +-2, zero biases; LayerNorm 1/0.

    The relative position bias tables get timm's (identical) truncated normal in their own constructor;
    convolutions keep PyTorch's default, as in LAION-CLAP.
    """
    if isinstance(m, nn.Linear):
        nn.init.trunc_normal_(m.weight, std=0.02)
        if m.bias is not None:
            nn.init.zeros_(m.bias)
    elif isinstance(m, nn.LayerNorm):
        nn.init.ones_(m.weight)
        nn.init.zeros_(m.bias)
