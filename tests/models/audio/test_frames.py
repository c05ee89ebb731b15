"""Input checks and native-frames -> L mapping, against naive loops."""

from __future__ import annotations

import math

import pytest
import torch

from flamkit.models.audio.frames import check_clip, check_frames, check_upsample, clip_samples, resize_frames


def _x(b: int, t: int, c: int) -> torch.Tensor:
    return torch.randn(b, t, c, generator=torch.Generator().manual_seed(t * 31 + c), dtype=torch.float64)


def naive_adaptive_mean(x: torch.Tensor, n: int) -> torch.Tensor:
    b, t, c = x.shape
    out = torch.zeros(b, n, c, dtype=x.dtype)
    for i in range(n):
        start, end = (i * t) // n, math.ceil((i + 1) * t / n)
        out[:, i] = x[:, start:end].mean(dim=1)
    return out


def naive_linear(x: torch.Tensor, n: int) -> torch.Tensor:
    """Output frame i sits at (i + 0.5) / n of the clip; the native frame j at (j + 0.5) / T."""
    b, t, c = x.shape
    out = torch.zeros(b, n, c, dtype=x.dtype)
    for i in range(n):
        pos = min(max((i + 0.5) * t / n - 0.5, 0.0), t - 1.0)
        lo = int(math.floor(pos))
        hi = min(lo + 1, t - 1)
        w = pos - lo
        out[:, i] = (1 - w) * x[:, lo] + w * x[:, hi]
    return out


def test_identity_when_native() -> None:
    x = _x(2, 32, 5)
    assert resize_frames(x, 32) is x


@pytest.mark.parametrize("t, n", [(32, 8), (32, 1), (125, 32), (32, 20)])
def test_fewer_frames_average(t: int, n: int) -> None:
    x = _x(2, t, 5)
    torch.testing.assert_close(resize_frames(x, n), naive_adaptive_mean(x, n))


def test_pooling_by_a_divisor_keeps_the_global_mean() -> None:
    x = _x(3, 32, 4)
    torch.testing.assert_close(resize_frames(x, 8).mean(1), x.mean(1))


@pytest.mark.parametrize("t, n", [(32, 128), (125, 128), (32, 33)])
def test_more_frames_linear(t: int, n: int) -> None:
    x = _x(2, t, 3)
    torch.testing.assert_close(resize_frames(x, n, "linear"), naive_linear(x, n))


def test_more_frames_nearest_repeats_like_laion_clap() -> None:
    x = _x(2, 32, 3)
    torch.testing.assert_close(resize_frames(x, 128, "nearest"), x.repeat_interleave(4, dim=1))


def test_check_clip_messages() -> None:
    check_clip(torch.zeros(2, 100), 100, 10, "Enc")
    with pytest.raises(ValueError, match=r"exactly 100 samples \(10 s at 10 Hz\); got 99"):
        check_clip(torch.zeros(2, 99), 100, 10, "Enc")
    with pytest.raises(ValueError, match=r"\[batch, samples\]; got shape \(2, 1, 100\)"):
        check_clip(torch.zeros(2, 1, 100), 100, 10, "Enc")
    with pytest.raises(ValueError, match="floating-point"):
        check_clip(torch.zeros(2, 100, dtype=torch.int16), 100, 10, "Enc")


@pytest.mark.parametrize("bad", [0, -3, 2.5, True, "32"])
def test_check_frames_rejects(bad: object) -> None:
    with pytest.raises(ValueError, match="frames"):
        check_frames(bad)  # type: ignore[arg-type]


def test_check_upsample_and_clip_samples() -> None:
    with pytest.raises(ValueError, match="linear"):
        check_upsample("cubic")
    assert clip_samples(48000, 10.0) == 480000
    assert clip_samples(16000, 10) == 160000
    with pytest.raises(ValueError, match="whole number"):
        clip_samples(44100, 10.00001)
