"""What every audio encoder shares: the input contract and the mapping of native frames to ``L``.

Every encoder takes exactly one fixed-length clip per row (``clip_seconds * sample_rate`` samples;
padding and cropping belong to the data pipeline, where the true length is known and the frame labels
are built) and returns ``L = frames`` feature vectors per clip. An encoder's backbone has its own
native frame count (HTSAT: 32 per 10 s); :func:`resize_frames` maps it to ``L``:

- ``L`` smaller than native: adaptive average pooling, so each output frame is the mean of the native
  frames it covers, which keeps the global embedding (the mean over frames, FLAM §3) unchanged when
  ``native % L == 0``;
- ``L`` larger: interpolation along time, ``linear`` (``align_corners=False``: output frame ``l`` is
  centred at ``(l + 0.5) / L`` of the clip) or ``nearest``, which for an integer ratio repeats each
  native frame, exactly what LAION-CLAP's ``fine_grained_embedding`` does (its ``interpolate`` helper
  is a repeat, despite the name).
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

UPSAMPLE_MODES: dict[str, dict[str, object]] = {
    "linear": {"mode": "linear", "align_corners": False},
    "nearest": {"mode": "nearest"},
}
"""Ways to produce more frames than the backbone has, name -> ``F.interpolate`` arguments."""


def check_upsample(upsample: str) -> None:
    if upsample not in UPSAMPLE_MODES:
        raise ValueError(f"upsample must be one of {sorted(UPSAMPLE_MODES)}; got {upsample!r}")


def check_frames(frames: int) -> None:
    if isinstance(frames, bool) or not isinstance(frames, int) or frames < 1:
        raise ValueError(f"frames (L, output frames per clip) must be a positive int; got {frames!r}")


def clip_samples(sample_rate: int, clip_seconds: float) -> int:
    """Samples in one clip; refuses a duration that is not a whole number of samples."""
    n = sample_rate * clip_seconds
    if sample_rate <= 0 or clip_seconds <= 0 or abs(n - round(n)) > 1e-6:
        raise ValueError(
            f"clip_seconds * sample_rate must be a positive whole number of samples; "
            f"got {clip_seconds} s * {sample_rate} Hz = {n}"
        )
    return int(round(n))


def check_clip(audio: Tensor, num_samples: int, sample_rate: int, encoder: str) -> None:
    """Raise a ValueError that says what to do if ``audio`` is not ``[B, num_samples]`` floats."""
    if audio.ndim != 2:
        raise ValueError(
            f"{encoder} expects mono waveforms shaped [batch, samples]; got shape {tuple(audio.shape)}. "
            "Mix down channels and stack clips along dim 0."
        )
    if audio.shape[1] != num_samples:
        raise ValueError(
            f"{encoder} expects clips of exactly {num_samples} samples ({num_samples / sample_rate:g} s at "
            f"{sample_rate} Hz); got {audio.shape[1]}. Resample to {sample_rate} Hz and pad/crop in the data "
            "pipeline."
        )
    if not audio.is_floating_point():
        raise ValueError(f"{encoder} expects a floating-point waveform; got dtype {audio.dtype}")


def resize_frames(x: Tensor, frames: int, upsample: str = "linear") -> Tensor:
    """``[B, T, C]`` -> ``[B, frames, C]``: identity, adaptive mean pooling or interpolation (module doc)."""
    native = x.shape[1]
    if frames == native:
        return x
    y = x.transpose(1, 2)
    if frames < native:
        y = F.adaptive_avg_pool1d(y, frames)
    else:
        y = F.interpolate(y, size=frames, **UPSAMPLE_MODES[upsample])  # type: ignore[arg-type]
    return y.transpose(1, 2)
