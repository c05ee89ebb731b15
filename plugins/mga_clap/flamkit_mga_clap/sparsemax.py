"""Sparsemax (Martins & Astudillo, 2016): the Euclidean projection onto the probability simplex.

MGA-CLAP weighs its codebook entries with sparsemax instead of softmax (its eq. 3): each global
embedding is then a combination of a few codewords, not a blur of all 4096. For scores ``z``,

    sparsemax(z)_i = max(0, z_i - tau(z)),   tau chosen so that the outputs sum to 1:

with ``z`` sorted decreasingly, ``k = max{j : 1 + j z_(j) > sum_{i<=j} z_(i)}`` entries stay positive
and ``tau = (sum_{i<=k} z_(i) - 1) / k``. Its Jacobian on the support S is ``I - 1 1^T / |S|``, so the
backward pass is ``g_i - mean_{j in S} g_j`` on S and 0 elsewhere (written out below rather than left to
autograd through the sort, which would keep the sort's indices and several [N, E] buffers alive).
"""

from __future__ import annotations

import torch
from torch import Tensor


class _Sparsemax(torch.autograd.Function):
    @staticmethod
    def forward(ctx, z: Tensor) -> Tensor:  # z: [..., E], sparsemax over the last dimension
        z = z - z.max(dim=-1, keepdim=True).values  # shift-invariant; keeps the cumulative sums small
        zs = torch.sort(z, dim=-1, descending=True).values
        ranks = torch.arange(1, z.shape[-1] + 1, device=z.device, dtype=z.dtype)
        cumsum = zs.cumsum(dim=-1)
        support = 1 + ranks * zs > cumsum  # true on a prefix of the sorted entries
        k = support.sum(dim=-1, keepdim=True)  # >= 1: the largest entry always qualifies
        tau = (cumsum.gather(-1, k - 1) - 1) / k.to(z.dtype)
        out = (z - tau).clamp_min(0)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad: Tensor) -> Tensor:
        (out,) = ctx.saved_tensors
        on = out > 0
        mean = (grad * on).sum(dim=-1, keepdim=True) / on.sum(dim=-1, keepdim=True).to(grad.dtype)
        return torch.where(on, grad - mean, torch.zeros_like(grad))


def sparsemax(z: Tensor) -> Tensor:
    """Sparsemax over the last dimension: non-negative, sums to 1, exactly zero below the threshold."""
    if z.shape[-1] == 0:
        raise ValueError("sparsemax needs at least one entry along the last dimension")
    return _Sparsemax.apply(z)
