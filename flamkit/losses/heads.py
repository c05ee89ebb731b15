"""Loss heads: the registered terms of the training objective L = sum_h weight_h * L_h (§5.1).

Each head consumes one batch stream: ``global`` (audio-text pairs, for CLIP/SigLIP) or ``sed``
(clips with timed events, for the frame loss and the prior). The loop computes each stream's model
outputs once and hands them to every head that reads that stream. Under torch.distributed the heads
switch to the cross-rank formulations of :mod:`flamkit.distributed`, whose contract makes DDP's
gradient averaging exact.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import torch
import torch.distributed as dist
from torch import Tensor, nn

from flamkit.losses import functional as LF
from flamkit.registry import LOSSES


def _distributed() -> bool:
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


@dataclass
class GlobalOutputs:
    """Clip-level embeddings of an audio-text batch (pairs on the diagonal)."""

    audio: Tensor  # [B, d]
    text: Tensor  # [B, d]
    clip_scale: Tensor  # CLIP's alpha (exponentiated)


@dataclass
class SedOutputs:
    """Frame embeddings and per-text heads of an SED batch, with its labels."""

    frames: Tensor  # [B, L, d]
    texts: Tensor  # [K, d]
    text_ids: Tensor  # [K]
    scale: Tensor  # [K]
    bias: Tensor  # [K]
    event_ids: Tensor  # [B, E]
    event_masks: Tensor  # [B, E, L]


class LossHead(nn.Module):
    stream: ClassVar[str]


@LOSSES.register("clip")
class ClipHead(LossHead):
    """Symmetric InfoNCE on clip embeddings with CLIP's global logit scale (eq. 1)."""

    stream = "global"

    def forward(self, out: GlobalOutputs) -> Tensor:
        if _distributed():
            from flamkit.distributed import distributed_clip_loss

            return distributed_clip_loss(out.audio, out.text, out.clip_scale)
        return LF.clip_loss(out.audio, out.text, out.clip_scale)


@LOSSES.register("siglip")
class SigLipHead(LossHead):
    """Sigmoid pair loss on clip embeddings (eq. 2) with its own scale and bias (SigLIP's init)."""

    stream = "global"

    def __init__(self, scale_init: float = math.log(10.0), bias_init: float = -10.0) -> None:
        super().__init__()
        self.log_scale = nn.Parameter(torch.tensor(float(scale_init)))
        self.bias = nn.Parameter(torch.tensor(float(bias_init)))

    def forward(self, out: GlobalOutputs) -> Tensor:
        if _distributed():
            # SigLIP's pairs factorise like CLIP's rows: gather texts with gradients, score local rows.
            from flamkit.distributed import gather_with_grad

            rank, world = dist.get_rank(), dist.get_world_size()
            texts = gather_with_grad(out.text)
            B = out.audio.shape[0]
            logits = self.log_scale.exp() * (out.audio.float() @ texts.float().T) + self.bias
            z = -torch.ones_like(logits)
            z[torch.arange(B), rank * B + torch.arange(B)] = 1.0
            # Each rank returns its rows' share scaled so that the mean over ranks is eq. 2 on the union.
            return -torch.nn.functional.logsigmoid(z * logits).sum() / B
        return LF.siglip_loss(out.audio, out.text, self.log_scale.exp(), self.bias)


@LOSSES.register("sed")
class SedHead(LossHead):
    """Frame-wise sigmoid loss with per-text scale and bias (eqs. 4-5), ring-computed across ranks.

    ``detach_bias=False`` is the C.9 scalar-bias ablation, whose bias the SED loss trains.
    """

    stream = "sed"

    def __init__(self, detach_bias: bool = True) -> None:
        super().__init__()
        self.detach_bias = detach_bias

    def forward(self, out: SedOutputs) -> Tensor:
        args = (out.frames, out.texts, out.text_ids, out.scale, out.bias, out.event_ids, out.event_masks)
        if _distributed():
            from flamkit.distributed import ring_sed_loss

            return ring_sed_loss(*args, detach_bias=self.detach_bias)
        return LF.sed_loss(*args, detach_bias=self.detach_bias)


@LOSSES.register("prior")
class PriorHead(LossHead):
    """Cross-entropy of sigmoid(beta(y)) against the batch's positive-frame fraction (eq. 10)."""

    stream = "sed"

    def forward(self, out: SedOutputs) -> Tensor:
        if _distributed():
            from flamkit.distributed import ring_prior_loss

            return ring_prior_loss(out.bias, out.text_ids, out.event_ids, out.event_masks)
        return LF.prior_loss(out.bias, out.text_ids, out.event_ids, out.event_masks)
