"""Poolings: how a sequence of projected embeddings becomes one embedding (registry ``pooling``).

FLAM's global audio embedding is the L2-normalised mean of its frame embeddings (§3), and its text
embedding is the projection of the text encoder's pooled features. Other models aggregate
differently: MGA-CLAP (Li et al., 2024) pools audio frames *and* text tokens through one codebook
shared by both modalities. A pooling component is that rule, chosen in the config (``model.pooling``)
and shared by both towers, so such a model is a plugin rather than a fork of :mod:`flamkit.models.flam`.

The contract:

* ``forward(x, mask=None) -> [N, d]``. ``x`` is ``[N, L, d]``: the *projected, not yet normalised*
  frame (or token) embeddings, so a pooling may use their norms; the model L2-normalises the result.
  ``mask`` (``[N, L]`` bool, True = a real item) is given for text tokens and is None for audio.
* ``text_tokens`` (class attribute): False keeps the text side as FLAM has it (the projection of the
  encoder's pooled features); True makes the model ask its text encoder for token features
  (:class:`TokenFeatures`, via ``encode_tokens(texts)``), project every token and pool them here.
* Built with ``dim`` (the shared embedding width, ``model.embed_dim``) injected when the signature
  takes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Optional

import torch.nn.functional as F
from torch import Tensor, nn

from flamkit.registry import POOLINGS


@dataclass
class TokenFeatures:
    """Token-level output of a text encoder, for poolings that pool words (``encode_tokens``)."""

    tokens: Tensor  # [K, N, D_t] last hidden states
    mask: Tensor  # [K, N] bool: True for content tokens (not padding, not [CLS]/[SEP]-style specials)
    pooled: Tensor  # [K, D_t] the encoder's usual pooled features (what forward(texts) returns)


class Pooling(nn.Module):
    """Base class of poolings; subclasses set ``text_tokens`` and implement ``forward``."""

    text_tokens: ClassVar[bool] = False

    def forward(self, x: Tensor, mask: Optional[Tensor] = None) -> Tensor:  # pragma: no cover - interface
        raise NotImplementedError


@POOLINGS.register("mean")
class MeanPooling(Pooling):
    """FLAM's rule (§3): the mean of the L2-normalised items (masked items left out); text as before.

    With no mask this is exactly the original ``F.normalize(frames).mean(1)``, so models built before
    poolings existed compute bit-identical embeddings.
    """

    text_tokens = False

    def __init__(self) -> None:  # explicit: no config keys (nn.Module's own __init__ takes **kwargs)
        super().__init__()

    def forward(self, x: Tensor, mask: Optional[Tensor] = None) -> Tensor:
        unit = F.normalize(x, dim=-1)
        if mask is None:
            return unit.mean(dim=1)
        m = mask.to(unit.dtype).unsqueeze(-1)
        return (unit * m).sum(dim=1) / m.sum(dim=1).clamp_min(1.0)
