"""Frame scores from cosine similarities, and the 3-frame median filter of C.7.

The model's calibrated posterior is p = sigmoid(alpha * cos + beta) (eq. 5, learned by eq. 4), but
its decision threshold p(z=1|y) = sigmoid(beta) differs per text (eq. 21). Two scores put every
text on one threshold of 0.5:

* ``unbiased``: s = p / (p + sigmoid(beta)), eq. 21's rule p > sigmoid(beta) rewritten so that
  s > 0.5 exactly when p > sigmoid(beta). Eqs. 7 and 22 print p(z=-1|y) = 1 - sigmoid(beta) in the
  denominator; with beta near -8 that would keep s below 0.5 almost always, and it contradicts
  eq. 21 and eq. 23 (whose limit is eq. 8). See docs/losses.md.
* ``approximate``: s = sigmoid(alpha * cos) (eq. 8), the limit of ``unbiased`` as beta -> -inf;
  it needs no bias at inference.
"""

from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = ["frame_scores", "median_filter", "SCORE_MODES"]


def _per_text(x: Tensor | float, cos: Tensor) -> Tensor | float:
    """Scale or bias given per text ([..., K]) gets a trailing frame axis to broadcast against [..., K, L]."""
    if isinstance(x, Tensor) and x.dim() > 0:
        return x.to(cos.dtype)[..., None]
    return x


def _unbiased(cos: Tensor, scale: Tensor | float, bias: Tensor | float) -> Tensor:
    logit = scale * cos + bias
    bias = torch.as_tensor(bias, dtype=cos.dtype, device=cos.device)
    # s = p / (p + sigmoid(beta)) = sigmoid(log p - log sigmoid(beta)); in log space it stays exact
    # where p and sigmoid(beta) are both ~1e-4 (beta near -8).
    return torch.sigmoid(F.logsigmoid(logit) - F.logsigmoid(bias))


def _approximate(cos: Tensor, scale: Tensor | float, bias: Tensor | float) -> Tensor:
    return torch.sigmoid(scale * cos)


SCORE_MODES: dict[str, Callable[[Tensor, Tensor | float, Tensor | float], Tensor]] = {
    "unbiased": _unbiased,
    "approximate": _approximate,
}


def frame_scores(cos: Tensor, scale: Tensor | float, bias: Tensor | float, mode: str = "unbiased") -> Tensor:
    """Scores in [0, 1] with decision boundary 0.5 for every text.

    ``cos`` is [..., K, L] (cosine of frame l with text k); ``scale`` (alpha > 0) and ``bias`` (beta)
    are per text, [K] or [..., K] broadcastable against ``cos``'s leading axes, or scalars.
    """
    if mode not in SCORE_MODES:
        raise ValueError(f"frame_scores: mode must be one of {sorted(SCORE_MODES)}; got {mode!r}")
    if cos.dim() < 2:
        raise ValueError(f"frame_scores: cos must be [..., K, L]; got {tuple(cos.shape)}")
    for name, x in (("scale", scale), ("bias", bias)):
        if isinstance(x, Tensor) and x.dim() > 0 and x.shape[-1] not in (1, cos.shape[-2]):
            raise ValueError(f"frame_scores: {name} must be per text [K={cos.shape[-2]}] (cos is {tuple(cos.shape)}); got {tuple(x.shape)}")
    return SCORE_MODES[mode](cos, _per_text(scale, cos), _per_text(bias, cos))


def median_filter(scores: Tensor, size: int = 3, dim: int = -1) -> Tensor:
    """Running median over ``size`` (odd) neighbours along ``dim``, edges replicated (scipy's mode='nearest')."""
    if size < 1 or size % 2 == 0:
        raise ValueError(f"median_filter: size must be a positive odd number; got {size}")
    if scores.dim() == 0:
        raise ValueError("median_filter: scores must have at least one dimension")
    if size == 1 or scores.shape[dim] == 0:
        return scores.clone()
    x = scores.movedim(dim, -1)
    half = size // 2
    padded = torch.cat([x[..., :1].expand(*x.shape[:-1], half), x, x[..., -1:].expand(*x.shape[:-1], half)], dim=-1)
    return padded.unfold(-1, size, 1).median(dim=-1).values.movedim(-1, dim)
