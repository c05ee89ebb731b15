"""Sparsemax against a naive sort-based float64 reference, the simplex-projection conditions, and gradcheck."""

import pytest
import torch

from flamkit_mga_clap.sparsemax import sparsemax


def naive_sparsemax(z: list[float]) -> list[float]:
    """Martins & Astudillo's algorithm with explicit loops: sort, find the support size k, threshold."""
    zs = sorted(z, reverse=True)
    k = 0
    for j in range(1, len(zs) + 1):
        if 1 + j * zs[j - 1] > sum(zs[:j]):
            k = j
    tau = (sum(zs[:k]) - 1) / k
    return [max(0.0, v - tau) for v in z]


CASES = [
    [0.0],
    [1.0, 1.0],
    [3.0, 0.0, -1.0],
    [0.1, 0.2, 0.3, 0.25],
    [1e-4, 2e-4, -3e-4, 0.0, 5e-5],  # the codebook's scale: nearly uniform
    [5.0, 4.9, -2.0, 0.0, 4.95, -7.0],
    [100.0, -100.0, 0.0],
]


@pytest.mark.parametrize("z", CASES)
def test_matches_the_naive_reference(z):
    got = sparsemax(torch.tensor(z, dtype=torch.float64))
    assert got.tolist() == pytest.approx(naive_sparsemax(z), abs=1e-12)


def test_rows_are_projections_onto_the_simplex():
    """KKT of min ||p - z||^2 on the simplex: p >= 0, sum 1, z_i - p_i = tau on the support, z_i <= tau off it."""
    g = torch.Generator().manual_seed(0)
    z = torch.randn(6, 4, 50, generator=g, dtype=torch.float64) * torch.tensor([0.001, 1.0, 10.0]).repeat(2)[:, None, None]
    p = sparsemax(z)
    assert p.shape == z.shape and bool((p >= 0).all())
    assert torch.allclose(p.sum(-1), torch.ones(6, 4, dtype=torch.float64), atol=1e-12)
    for row_z, row_p in zip(z.reshape(-1, 50), p.reshape(-1, 50)):
        on = row_p > 0
        tau = (row_z[on] - row_p[on])
        assert torch.allclose(tau, tau[0].expand_as(tau), atol=1e-12)
        assert bool((row_z[~on] <= tau[0] + 1e-12).all())
    assert bool((p[[1, 2, 4, 5]] == 0).any(-1).all())  # spread-out scores give exact zeros: sparse
    assert bool((p[[0, 3]] > 0).all())  # scores far closer than 1/50 keep every entry (nearly uniform)
    batched = sparsemax(z.reshape(-1, 50)).reshape(z.shape)
    assert torch.equal(batched, p)
    assert torch.allclose(sparsemax(z + 3.0), p, atol=1e-12)  # shift invariance


def test_gradient_is_the_projection_jacobian():
    g = torch.Generator().manual_seed(1)
    z = (torch.randn(3, 7, generator=g, dtype=torch.float64) * 2).requires_grad_()
    assert torch.autograd.gradcheck(sparsemax, (z,), eps=1e-6, atol=1e-7)
    out = sparsemax(z)
    grad = torch.randn(3, 7, generator=g, dtype=torch.float64)
    (dz,) = torch.autograd.grad(out, z, grad)
    for r in range(3):  # J = I - 1 1^T / |S| on the support S, 0 elsewhere
        on = out[r] > 0
        want = torch.where(on, grad[r] - grad[r][on].mean(), torch.zeros_like(grad[r]))
        assert torch.allclose(dz[r], want, atol=1e-12)


def test_float32_and_empty_input():
    z = torch.tensor([[0.5, 0.1, -0.3]], dtype=torch.float32)
    assert sparsemax(z).dtype == torch.float32
    assert sparsemax(z)[0].tolist() == pytest.approx(naive_sparsemax([0.5, 0.1, -0.3]), abs=1e-6)
    with pytest.raises(ValueError, match="at least one entry"):
        sparsemax(torch.zeros(2, 0))
