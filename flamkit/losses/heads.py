"""Loss heads: the registered terms of the training objective L = sum_h weight_h * L_h (§5.1).

Each head consumes one batch stream: ``global`` (audio-text pairs, for CLIP/SigLIP) or ``sed``
(clips with timed events, for the frame loss and the prior). The loop computes each stream's model
outputs once and hands them to every head that reads that stream. A head computes the loss of the
batch it is given; under torch.distributed the objective (:mod:`flamkit.train.step`) calls instead the
cross-rank form of the core heads (:mod:`flamkit.distributed.heads`), whose contract makes DDP's
gradient averaging exact. The cross-rank forms build on this module's functions, so they sit one
layer above it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import torch
from torch import Tensor, nn

from flamkit.losses import functional as LF
from flamkit.registry import LOSSES


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
    prior_text_ids: Tensor | None = None  # [K]: text_ids less the slots filled with negatives beyond the batch


def prior_ids(out: SedOutputs) -> Tensor:
    """The slots the prior loss fits: the batch's own descriptions (flamkit/data/negatives.py)."""
    return out.text_ids if out.prior_text_ids is None else out.prior_text_ids


class LossHead(nn.Module):
    stream: ClassVar[str]


@LOSSES.register("clip")
class ClipHead(LossHead):
    """Symmetric InfoNCE on clip embeddings with CLIP's global logit scale (eq. 1)."""

    stream = "global"

    def forward(self, out: GlobalOutputs) -> Tensor:
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
        return LF.siglip_loss(out.audio, out.text, self.log_scale.exp(), self.bias)


@LOSSES.register("sed")
class SedHead(LossHead):
    """Frame-wise sigmoid loss with per-text scale and bias (eqs. 4-5); across ranks, the ring form.

    ``detach_bias=False`` is the C.9 scalar-bias ablation, whose bias the SED loss trains.
    """

    stream = "sed"

    def __init__(self, detach_bias: bool = True) -> None:
        super().__init__()
        self.detach_bias = detach_bias

    def forward(self, out: SedOutputs) -> Tensor:
        args = (out.frames, out.texts, out.text_ids, out.scale, out.bias, out.event_ids, out.event_masks)
        return LF.sed_loss(*args, detach_bias=self.detach_bias)


@LOSSES.register("prior")
class PriorHead(LossHead):
    """Cross-entropy of sigmoid(beta(y)) against the batch's positive-frame fraction (eq. 10)."""

    stream = "sed"

    def forward(self, out: SedOutputs) -> Tensor:
        return LF.prior_loss(out.bias, prior_ids(out), out.event_ids, out.event_masks)
