"""MGA-CLAP's hard-negative-guided contrastive loss (Li et al., 2024, §3.4) as a flamkit loss head.

Symmetric InfoNCE in which every negative's exponential is re-weighted by how hard it is. For one
direction (audio->text; text->audio is the same with the transposed matrix) and logits
``s_ij = alpha * <a_i, t_j>`` (alpha: the model's CLIP scale, MGA-CLAP's 1 / temp), after subtracting
each row's (detached) maximum ``m_i``, ``z_ij = s_ij - m_i``:

    w_ij = (B - 1) exp(beta z_ij) / D_ij   for j != i,      w_ii = 1
    L_i  = -( z_ii - log(eps + sum_j w_ij exp(z_ij)) ),     L = mean_i L_i

so negatives more similar than average count more than once in the denominator (beta = 0.15).
The denominator ``D_ij`` is where the published code and the evident intent differ:

* ``denominator="published"`` (default, what MGA-CLAP and the FLAM paper's MGA-CLAP* were trained
  with): ``torch.sum(E, 1) - E`` with ``E = exp(beta z)``; the row sums broadcast along the *columns*,
  so ``D_ij = sum_k E_jk - E_ij`` uses row j's sum, shifted by row j's maximum;
* ``denominator="row"``: ``D_ij = sum_k E_ik - E_ij``, row i's own sum, so that the weights of row i
  average to about 1 over its negatives.

The weights are not detached (as published). ``embed_reg`` adds the published regulariser
``mean|a| / sqrt(sum a^2) + mean|t| / sqrt(sum t^2)`` over the batch's normalised embeddings.
Positives are the diagonal (the core CLIP head's convention). Like the published code, negatives are
the rank's own batch: under torch.distributed each rank computes its loss locally and DDP averages.
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import Tensor

from flamkit.losses.heads import GlobalOutputs, LossHead
from flamkit.registry import LOSSES

Denominator = Literal["published", "row"]


def hard_negative_weights(z: Tensor, beta: float, denominator: Denominator) -> Tensor:
    """``[B, B]`` weights of the max-shifted logits ``z``; the diagonal (positives) is 1."""
    e = torch.exp(beta * z)
    B = z.shape[0]
    if denominator == "published":
        rest = e.sum(dim=1) - e  # [B] - [B, B]: row j's sum at column j, as the published code broadcasts
    elif denominator == "row":
        rest = e.sum(dim=1, keepdim=True) - e
    else:
        raise ValueError(f"denominator must be 'published' or 'row', got {denominator!r}")
    w = (B - 1) * e / rest
    return torch.where(torch.eye(B, dtype=torch.bool, device=z.device), torch.ones_like(w), w)


def hard_negative_nce(logits: Tensor, beta: float = 0.15, denominator: Denominator = "published", eps: float = 1e-7) -> Tensor:
    """One direction of the loss for a ``[B, B]`` logit matrix with positives on the diagonal."""
    z = logits - logits.max(dim=1, keepdim=True).values.detach()
    w = hard_negative_weights(z, beta, denominator)
    log_prob = z.diagonal() - torch.log(eps + (w * torch.exp(z)).sum(dim=1))
    return -log_prob.mean()


def embedding_regulariser(emb: Tensor) -> Tensor:
    """MGA-CLAP's ``mean|e| / sqrt(sum e^2)`` over a whole batch of embeddings (favours dense ones)."""
    return emb.abs().mean() / emb.pow(2).sum().sqrt()


@LOSSES.register("mga_hard_negative")
class HardNegativeContrastive(LossHead):
    """MGA-CLAP's hard-negative-weighted symmetric InfoNCE (+ its embedding regulariser) on clip embeddings."""

    stream = "global"

    def __init__(self, beta: float = 0.15, denominator: Denominator = "published", embed_reg: bool = True, eps: float = 1e-7) -> None:
        super().__init__()
        if denominator not in ("published", "row"):
            raise ValueError(f"denominator must be 'published' or 'row', got {denominator!r}")
        self.beta = float(beta)
        self.denominator = denominator
        self.embed_reg = embed_reg
        self.eps = float(eps)

    def forward(self, out: GlobalOutputs) -> Tensor:
        a, t, scale = (x.to(torch.promote_types(x.dtype, torch.float32)) for x in (out.audio, out.text, out.clip_scale))
        logits = scale * (a @ t.T)
        loss = 0.5 * (
            hard_negative_nce(logits, self.beta, self.denominator, self.eps)
            + hard_negative_nce(logits.T, self.beta, self.denominator, self.eps)
        )
        if self.embed_reg:
            loss = loss + embedding_regulariser(a) + embedding_regulariser(t)
        return loss
