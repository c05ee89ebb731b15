"""The cross-rank forms of the core loss heads, which the training objective calls under torch.distributed.

:mod:`flamkit.losses.heads` computes each loss on the batch it is given; this module computes the same
loss on the union of every rank's batch (each rank returning its share, see :mod:`flamkit.distributed`).
The table is keyed by the exact head class: a plugin's head, or a subclass that changes ``forward``,
has no cross-rank form here and is computed per rank, as DDP averages it.
"""

from __future__ import annotations

from typing import Any, Callable

import torch
import torch.distributed as dist
from torch import Tensor

from flamkit.distributed.clip import distributed_clip_loss
from flamkit.distributed.comm import gather_with_grad
from flamkit.distributed.ring_sed import ring_prior_loss, ring_sed_loss
from flamkit.losses.functional import float32_logits
from flamkit.losses.heads import ClipHead, GlobalOutputs, LossHead, PriorHead, SedHead, SedOutputs, SigLipHead, prior_ids


def is_distributed() -> bool:
    """Whether a process group of more than one rank is running."""
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def _clip(head: ClipHead, out: GlobalOutputs) -> Tensor:
    return distributed_clip_loss(out.audio, out.text, out.clip_scale)


def _siglip(head: SigLipHead, out: GlobalOutputs) -> Tensor:
    # SigLIP's pairs factorise like CLIP's rows: gather texts with gradients, score local rows.
    rank = dist.get_rank()
    texts = gather_with_grad(out.text)
    B = out.audio.shape[0]
    logits = head.log_scale.exp() * (out.audio.float() @ texts.float().T) + head.bias
    z = -torch.ones_like(logits)
    z[torch.arange(B), rank * B + torch.arange(B)] = 1.0
    # Each rank returns its rows' share scaled so that the mean over ranks is eq. 2 on the union.
    return -torch.nn.functional.logsigmoid(z * logits).sum() / B


def _sed(head: SedHead, out: SedOutputs) -> Tensor:
    args = (out.frames, out.texts, out.text_ids, out.scale, out.bias, out.event_ids, out.event_masks)
    return ring_sed_loss(*args, detach_bias=head.detach_bias)


def _prior(head: PriorHead, out: SedOutputs) -> Tensor:
    return ring_prior_loss(out.bias, prior_ids(out), out.event_ids, out.event_masks)


CROSS_RANK: dict[type, Callable[[Any, Any], Tensor]] = {ClipHead: _clip, SigLipHead: _siglip, SedHead: _sed, PriorHead: _prior}


def head_loss(head: LossHead, outputs: Any) -> Tensor:
    """The head's loss: its cross-rank form under torch.distributed when it has one, else ``head(outputs)``."""
    form = CROSS_RANK.get(type(head))
    if form is not None and is_distributed():
        return float32_logits(form)(head, outputs)  # logits in float32 under bf16 autocast
    return head(outputs)
