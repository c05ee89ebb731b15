"""The hard-negative loss against explicit loops of the published formula (float64), and its limits."""

import math

import pytest
import torch
import torch.nn.functional as F

from flamkit.losses.functional import clip_loss
from flamkit.losses.heads import GlobalOutputs
from flamkit_mga_clap.loss import HardNegativeContrastive, hard_negative_nce, hard_negative_weights


def naive_direction(S: list[list[float]], beta: float, denominator: str, eps: float = 1e-7) -> float:
    """One direction, loops only. 'published': row j's sum at column j (the published broadcast)."""
    B = len(S)
    z = [[S[i][j] - max(S[i]) for j in range(B)] for i in range(B)]
    E = [[math.exp(beta * z[i][j]) for j in range(B)] for i in range(B)]
    total = 0.0
    for i in range(B):
        acc = 0.0
        for j in range(B):
            if i == j:
                w = 1.0
            else:
                r = j if denominator == "published" else i
                D = sum(E[r][k] for k in range(B)) - E[i][j]
                w = (B - 1) * E[i][j] / D
            acc += w * math.exp(z[i][j])
        total += -(z[i][i] - math.log(eps + acc))
    return total / B


def naive_regulariser(e: list[list[float]]) -> float:
    flat = [v for row in e for v in row]
    return sum(abs(v) for v in flat) / len(flat) / math.sqrt(sum(v * v for v in flat))


def _batch(B: int, d: int = 6, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    a = F.normalize(torch.randn(B, d, generator=g, dtype=torch.float64), dim=-1)
    t = F.normalize(torch.randn(B, d, generator=g, dtype=torch.float64) + 0.5 * a, dim=-1)
    return a, t


@pytest.mark.parametrize("denominator", ["published", "row"])
@pytest.mark.parametrize("B", [1, 2, 5])
def test_head_matches_the_loops(denominator, B):
    a, t = _batch(B)
    scale = torch.tensor(1 / 0.07, dtype=torch.float64)
    head = HardNegativeContrastive(beta=0.15, denominator=denominator, embed_reg=True)
    got = head(GlobalOutputs(audio=a, text=t, clip_scale=scale))
    S = (scale * a @ t.T).tolist()
    ST = [list(col) for col in zip(*S)]
    want = 0.5 * (naive_direction(S, 0.15, denominator) + naive_direction(ST, 0.15, denominator))
    want += naive_regulariser(a.tolist()) + naive_regulariser(t.tolist())
    assert float(got) == pytest.approx(want, rel=1e-9, abs=1e-12)


def test_the_two_denominators_differ_and_beta_zero_row_is_infonce():
    a, t = _batch(6, seed=3)
    logits = 14.0 * a @ t.T
    assert float(hard_negative_nce(logits, 0.15, "published")) != pytest.approx(float(hard_negative_nce(logits, 0.15, "row")), rel=1e-6)
    # beta = 0 with the row denominator: every negative weighs (B-1)/(B-1) = 1, i.e. plain InfoNCE (eq. 1).
    plain = 0.5 * (hard_negative_nce(logits, 0.0, "row", eps=0.0) + hard_negative_nce(logits.T, 0.0, "row", eps=0.0))
    assert float(plain) == pytest.approx(float(clip_loss(a, t, torch.tensor(14.0, dtype=torch.float64))), rel=1e-12)


def test_harder_negatives_weigh_more_and_gradients_flow_through_the_weights():
    a, t = _batch(5, seed=5)
    logits = (10.0 * a @ t.T).requires_grad_()
    z = logits.detach() - logits.detach().max(dim=1, keepdim=True).values
    w = hard_negative_weights(z, 0.15, "row")
    for i in range(5):
        neg = [j for j in range(5) if j != i]
        by_logit = sorted(neg, key=lambda j: float(z[i, j]))
        assert [float(w[i, j]) for j in by_logit] == sorted(float(w[i, j]) for j in neg)  # monotone in similarity
        assert float(w[i, i]) == 1.0
    # Gradients: the row maxima are constants (detached, as published); the weights are not detached.
    m = logits.detach().max(dim=1, keepdim=True).values

    def fixed_shift(s, detach_weights=False):
        zz = s - m
        w = hard_negative_weights(zz.detach() if detach_weights else zz, 0.15, "published")
        return -(zz.diagonal() - torch.log(1e-7 + (w * zz.exp()).sum(1))).mean()

    assert torch.autograd.gradcheck(fixed_shift, (logits,), eps=1e-6, atol=1e-7)
    (got,) = torch.autograd.grad(hard_negative_nce(logits, 0.15, "published"), logits)
    (want,) = torch.autograd.grad(fixed_shift(logits), logits)
    (without,) = torch.autograd.grad(fixed_shift(logits, detach_weights=True), logits)
    assert torch.allclose(got, want, atol=1e-12) and not torch.allclose(got, without, atol=1e-6)
    # The row form is shift-invariant (up to eps), so its gradient is the whole formula's.
    assert torch.autograd.gradcheck(lambda s: hard_negative_nce(s, 0.15, "row", eps=0.0), (logits,), eps=1e-6, atol=1e-7)


def test_bad_denominator_is_rejected():
    with pytest.raises(ValueError, match="published' or 'row'"):
        HardNegativeContrastive(denominator="rows")
