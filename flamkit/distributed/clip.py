"""The global CLIP loss (eq. 1) over a batch sharded across ranks, in the local-loss formulation.

Every rank gathers all audio and text embeddings (with gradients) but scores only its own rows:
its B_r audio rows against all N texts and its B_r text rows against all N audio clips, so it holds
B_r x N logits instead of N x N. Rank r returns W / N times the cross-entropy *summed* over its rows,
so the mean over ranks is exactly ``clip_loss`` on the concatenated batch even when ranks hold
different numbers of rows. Gradients: :func:`~flamkit.distributed.comm.gather_with_grad` returns to
each rank the sum over ranks of the gradients for its rows, so local inputs get W times the
single-process gradient. ``logit_scale`` is replicated and not gathered: rank r's gradient is that of
its own share, and the shares sum to W times the loss, so the sum over ranks / W (DDP's average) is
the single-process gradient.
"""

from __future__ import annotations

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import Tensor

from flamkit.distributed.comm import gather_counts, gather_with_grad, world
from flamkit.losses.functional import clip_loss

__all__ = ["distributed_clip_loss"]


def distributed_clip_loss(
    audio: Tensor, text: Tensor, logit_scale: Tensor | float, group: dist.ProcessGroup | None = None
) -> Tensor:
    """This rank's share of ``clip_loss`` on the union batch (rows concatenated rank-major).

    ``audio`` and ``text`` are this rank's [B_r, d] L2-normalised pairs; ``logit_scale`` is the
    exponentiated scale, the same on every rank. With one process: ``clip_loss`` itself.
    """
    rank, size = world(group)
    if size == 1:
        return clip_loss(audio, text, logit_scale)
    if audio.shape != text.shape or audio.dim() != 2:
        raise ValueError(
            f"distributed_clip_loss wants audio and text of one shape [B, d]; got {tuple(audio.shape)} and {tuple(text.shape)}"
        )
    dtype = torch.float64 if torch.float64 in (audio.dtype, text.dtype) else torch.float32
    audio_c, text_c = audio.to(dtype), text.to(dtype)
    rows = gather_counts(audio.shape[0], group, audio.device)
    all_audio = gather_with_grad(audio_c, group, rows)
    all_text = gather_with_grad(text_c, group, rows)
    start, n_total = sum(rows[:rank]), sum(rows)
    labels = torch.arange(start, start + audio.shape[0], device=audio.device)
    per_audio = logit_scale * (audio_c @ all_text.T)
    per_text = logit_scale * (text_c @ all_audio.T)
    summed = F.cross_entropy(per_audio, labels, reduction="sum") + F.cross_entropy(per_text, labels, reduction="sum")
    return 0.5 * summed * (size / n_total)
