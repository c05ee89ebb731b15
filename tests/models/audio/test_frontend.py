"""The log-mel front end against a naive float64 slaney filterbank / DFT reference and by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from flamkit.models.audio import frontend as fe
from tests.models.audio import reference as ref

CONFIGS = [  # (sr, n_fft, n_mels, fmin, fmax): LAION-CLAP's 48 kHz HTSAT, the 16 kHz small CNN, odd ones
    (48000, 1024, 64, 50.0, 14000.0),
    (16000, 512, 64, 50.0, 8000.0),
    (22050, 2048, 128, 0.0, 11025.0),
    (8000, 256, 20, 300.0, 3400.0),
]


@pytest.mark.parametrize("cfg", CONFIGS)
def test_filterbank_matches_naive_slaney(cfg: tuple) -> None:
    ours = fe.slaney_mel_filterbank(*cfg)
    naive = ref.mel_filterbank(*cfg)
    assert ours.dtype == np.float32 and ours.shape == naive.shape
    np.testing.assert_allclose(ours, naive, rtol=1e-5, atol=1e-7 * naive.max())


def test_slaney_scale_anchor_points() -> None:
    # Linear part: 200/3 Hz per mel; the break at 1 kHz is mel 15; 27 mels per factor 6.4 above it.
    np.testing.assert_allclose(fe.hz_to_mel_slaney([0.0, 200.0 / 3.0, 1000.0, 6400.0]), [0, 1, 15, 42], atol=1e-12)
    hz = np.array([0.0, 50.0, 999.0, 1000.0, 1001.0, 14000.0, 24000.0])
    np.testing.assert_allclose(fe.mel_to_hz_slaney(fe.hz_to_mel_slaney(hz)), hz, rtol=1e-12, atol=1e-9)
    for f in hz:
        assert fe.hz_to_mel_slaney(f) == pytest.approx(ref.hz_to_mel(f), rel=1e-12, abs=1e-12)


def test_slaney_norm_gives_unit_area_triangles() -> None:
    """Independent of any implementation: each filter integrates to 1 over Hz (checked where wide)."""
    sr, n_fft, n_mels, fmin, fmax = CONFIGS[0]
    fb = fe.slaney_mel_filterbank(sr, n_fft, n_mels, fmin, fmax).astype(np.float64)
    corners = ref.mel_corners(sr, n_mels, fmin, fmax)
    bin_hz = sr / n_fft
    wide = [m for m in range(n_mels) if corners[m + 2] - corners[m] > 10 * bin_hz]
    assert len(wide) >= 20  # the 21 widest of 64 at 48 kHz / 1024 points
    for m in wide:
        assert fb[m].sum() * bin_hz == pytest.approx(1.0, rel=0.02)
    # Peak of filter m at its centre frequency corner m+1, zero outside (corner m, corner m+2).
    freqs = np.arange(n_fft // 2 + 1) * bin_hz
    for m in range(n_mels):
        outside = (freqs <= corners[m]) | (freqs >= corners[m + 2])
        assert np.all(fb[m][outside] == 0)


@pytest.mark.parametrize("cfg", [(48000, 1024, 480, 64, 50.0, 14000.0), (16000, 512, 160, 64, 50.0, 8000.0)])
def test_log_mel_matches_naive_dft(cfg: tuple) -> None:
    sr, n_fft, hop, n_mels, fmin, fmax = cfg
    rng = np.random.default_rng(0)
    x = rng.standard_normal(3 * hop + 37) * 0.3  # a few frames; length not a multiple of hop
    module = fe.LogMelFrontend(sr, n_fft, hop, n_fft, n_mels, fmin, fmax)
    ours = module(torch.tensor(x, dtype=torch.float32)[None])[0].double().numpy()
    naive = ref.log_mel(x, sr, n_fft, hop, n_mels, fmin, fmax)
    assert ours.shape == naive.shape == (module.num_frames(len(x)), n_mels)
    np.testing.assert_allclose(ours, naive, atol=1e-4)  # dB; float32 STFT vs float64 DFT (~5e-6 seen)


def test_pure_tone_lands_in_the_mel_bin_around_it() -> None:
    sr, f0 = 48000, 3000.0
    t = np.arange(sr // 10) / sr
    module = fe.LogMelFrontend()
    out = module(torch.tensor(np.sin(2 * math.pi * f0 * t), dtype=torch.float32)[None])[0]
    corners = ref.mel_corners(sr, 64, 50.0, 14000.0)
    expected = {m for m in range(64) if corners[m] < f0 < corners[m + 2]}
    assert int(out[5].argmax()) in expected


def test_amin_floor_and_ref() -> None:
    module = fe.LogMelFrontend(ref=10.0)
    out = module(torch.zeros(1, 4800))
    # silence: every bin clamps to amin = 1e-10 -> -100 dB, minus 10*log10(ref=10) = 10 dB
    torch.testing.assert_close(out, torch.full_like(out, -110.0))


def test_float32_under_bf16_autocast_and_buffers_not_in_state_dict() -> None:
    module = fe.LogMelFrontend()
    x = torch.randn(2, 4800, generator=torch.Generator().manual_seed(1))
    plain = module(x)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        auto = module(x.bfloat16())
    assert auto.dtype == torch.float32
    torch.testing.assert_close(auto, module(x.bfloat16().float()))
    assert plain.dtype == torch.float32
    assert module.state_dict() == {}  # derived from the config, never loaded from a checkpoint


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"fmax": 30000.0}, "fmax"),
        ({"fmin": 500.0, "fmax": 400.0}, "fmin"),
        ({"win_length": 2048}, "win_length"),
        ({"pad_mode": "circular"}, "pad_mode"),
        ({"hop_length": 0}, "hop_length"),
    ],
)
def test_bad_config_raises(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        fe.LogMelFrontend(**kwargs)


def test_rejects_non_batched_input() -> None:
    with pytest.raises(ValueError, match=r"\[B, T\]"):
        fe.LogMelFrontend()(torch.zeros(4800))
