"""Frame scores (eq. 21's decision rule at 0.5, eq. 8) and the C.7 median filter."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.ndimage
import torch

from flamkit.scoring import SCORE_MODES, frame_scores, median_filter


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def test_unbiased_matches_its_definition_elementwise():
    g = torch.Generator().manual_seed(0)
    B, K, L = 2, 3, 5
    cos = torch.rand(B, K, L, generator=g, dtype=torch.float64) * 2 - 1
    scale = torch.rand(K, generator=g, dtype=torch.float64) * 20 + 1
    bias = torch.rand(K, generator=g, dtype=torch.float64) * -12
    got = frame_scores(cos, scale, bias)
    for b in range(B):
        for k in range(K):
            for l in range(L):
                p = sigmoid(scale[k].item() * cos[b, k, l].item() + bias[k].item())
                q = sigmoid(bias[k].item())  # p(z=1|y)
                assert got[b, k, l].item() == pytest.approx(p / (p + q), rel=1e-12)


@pytest.mark.parametrize("beta", [-20.0, -8.0, -2.0, 0.0, 3.0])
@pytest.mark.parametrize("alpha", [1.0, 10.0, 80.0])
def test_unbiased_crosses_one_half_exactly_where_p_equals_the_prior(alpha, beta):
    """p = sigmoid(alpha cos + beta) equals sigmoid(beta) at cos = 0: that is where s is 0.5 (eq. 21)."""
    cos = torch.linspace(-1, 1, 201, dtype=torch.float64)[None, :]  # K = 1, L = 201, cos[100] = 0
    s = frame_scores(cos, torch.tensor([alpha], dtype=torch.float64), torch.tensor([beta], dtype=torch.float64))[0]
    assert s[100].item() == pytest.approx(0.5, abs=1e-12)
    assert (s[:100] < 0.5).all() and (s[101:] > 0.5).all()
    p = torch.sigmoid(alpha * cos[0] + beta)
    assert torch.equal(s > 0.5, p > sigmoid(beta))
    assert (s.diff() >= 0).all()


def test_the_printed_eq7_denominator_would_cap_scores_below_one_half():
    """Why flamkit does not use p / (p + p(z=-1|y)): with beta = -8 even a clear positive stays below 0.5."""
    alpha, beta, cos = 10.0, -8.0, 1.0
    p = sigmoid(alpha * cos + beta)
    assert p / (p + (1 - sigmoid(beta))) < 0.5
    s = frame_scores(torch.tensor([[cos]]), torch.tensor([alpha]), torch.tensor([beta]))
    assert s.item() > 0.99


def test_approximate_is_sigmoid_of_scaled_cosine_and_the_limit_of_unbiased():
    g = torch.Generator().manual_seed(1)
    cos = torch.rand(4, 3, 7, generator=g, dtype=torch.float64) * 2 - 1
    scale = torch.rand(3, generator=g, dtype=torch.float64) * 10 + 1
    expected = torch.sigmoid(scale[:, None] * cos)
    torch.testing.assert_close(frame_scores(cos, scale, torch.zeros(3), mode="approximate"), expected, rtol=0, atol=1e-15)
    very_negative = torch.full((3,), -40.0, dtype=torch.float64)
    torch.testing.assert_close(frame_scores(cos, scale, very_negative), expected, rtol=0, atol=1e-9)
    near_paper = torch.full((3,), -8.0, dtype=torch.float64)  # C.3: "neglectable difference" at beta ~ -8
    assert (frame_scores(cos, scale, near_paper) - expected).abs().max() < 5e-3


def test_broadcasting_of_per_text_scale_and_bias():
    g = torch.Generator().manual_seed(2)
    cos = torch.rand(2, 3, 4, generator=g) * 2 - 1
    per_clip_scale = torch.rand(2, 3, generator=g) * 5 + 1  # [B, K]
    bias = torch.tensor([-8.0, -4.0, 0.0])
    got = frame_scores(cos, per_clip_scale, bias)
    for b in range(2):
        for k in range(3):
            torch.testing.assert_close(got[b, k], frame_scores(cos[b, k][None], per_clip_scale[b, k : k + 1], bias[k : k + 1])[0])
    scalar = frame_scores(cos, 10.0, -8.0)
    torch.testing.assert_close(scalar, frame_scores(cos, torch.full((3,), 10.0), torch.full((3,), -8.0)))
    assert torch.isfinite(frame_scores(cos, torch.full((3,), 100.0), torch.full((3,), -30.0))).all()


def test_score_errors():
    cos = torch.zeros(3, 4)
    with pytest.raises(ValueError, match="mode must be one of"):
        frame_scores(cos, 1.0, 0.0, mode="calibrated")
    with pytest.raises(ValueError, match=r"scale must be per text \[K=3\]"):
        frame_scores(cos, torch.ones(4), torch.zeros(3))
    with pytest.raises(ValueError, match=r"\[\.\.\., K, L\]"):
        frame_scores(torch.zeros(4), 1.0, 0.0)
    assert set(SCORE_MODES) == {"unbiased", "approximate"}


def naive_median(x: np.ndarray, size: int) -> np.ndarray:
    """1-D running median with edge replication, by hand."""
    half = size // 2
    out = np.empty_like(x)
    for i in range(len(x)):
        window = [x[min(max(j, 0), len(x) - 1)] for j in range(i - half, i + half + 1)]
        out[i] = sorted(window)[half]
    return out


@pytest.mark.parametrize("size", [1, 3, 5, 7])
def test_median_filter_against_naive_loop_and_scipy(size):
    rng = np.random.default_rng(size)
    x = rng.standard_normal((3, 4, 11))
    x[0, 0, :4] = 0.25  # ties
    for dim in range(3):
        got = median_filter(torch.tensor(x), size=size, dim=dim).numpy()
        footprint = [1, 1, 1]
        footprint[dim] = size
        np.testing.assert_array_equal(got, scipy.ndimage.median_filter(x, size=footprint, mode="nearest"))
        moved = np.moveaxis(x, dim, -1)
        expected = np.apply_along_axis(naive_median, -1, moved, size)
        np.testing.assert_array_equal(got, np.moveaxis(expected, -1, dim))


def test_median_filter_short_and_odd_inputs():
    x = torch.tensor([0.0, 1.0])
    assert median_filter(x, size=5).tolist() == [0.0, 1.0]  # edge-replicated windows: [0,0,0,1,1] and [0,0,1,1,1]
    assert median_filter(torch.tensor([0.0, 9.0, 0.0, 0.0, 5.0]), size=3).tolist() == [0.0, 0.0, 0.0, 0.0, 5.0]
    assert median_filter(torch.zeros(2, 0), dim=-1).shape == (2, 0)
    for bad in (0, 2, -3):
        with pytest.raises(ValueError, match="positive odd"):
            median_filter(x, size=bad)
