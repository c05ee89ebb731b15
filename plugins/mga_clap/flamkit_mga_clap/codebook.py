"""MGA-CLAP's modality-shared codebook (Li et al., 2024, §3.2, eqs. 2-3) as a flamkit pooling.

One learned codebook ``C`` (``entries`` x ``dim``, 4096 x embed_dim in the paper) is shared by the
audio and the text tower. A sequence of projected embeddings ``x_1..x_L`` (audio frames, or the words
of a caption) becomes one global embedding in three steps:

1. affinity of every item with every codeword: ``a_{l,e} = <x_l, c_e> / (sqrt(dim) * T)`` with the
   temperature ``T = 1000`` of the published code;
2. max over the sequence: ``s_e = max_l a_{l,e}``, how strongly *some* frame (word) expresses codeword e;
3. sparse weights ``w = sparsemax(s)`` and the embedding ``sum_e w_e c_e``; the model normalises it.

Because both modalities are expressed in the same few codewords, a frame and a word that activate the
same codeword are pulled together, which is how MGA-CLAP gets frame-word alignment from a clip-level
loss. The frame embeddings used for detection are the projected frames themselves (not pooled).

Faithful details of the published code (github.com/Ming-er/MGA-CLAP, ``models/ase_model.py``):

* masked positions (padding, [CLS], [SEP]) are not excluded but *multiplied by zero*: they score 0,
  so for text ``s_e`` is ``max(0, max over words)``, since [SEP] is always there;
* the codebook is initialised N(0, 1) and not normalised;
* the affinities are computed in float32 (at least) even under bf16 autocast: after the division by
  ``sqrt(dim) * 1000`` they are of order 1e-3, and bf16's 8-bit mantissa would erase the differences
  sparsemax selects on (the published code ran fp16 autocast, whose mantissa has 11 bits).
"""

from __future__ import annotations

import math
from typing import Optional

import torch
from torch import Tensor, nn

from flamkit.models.pooling import Pooling
from flamkit.registry import POOLINGS
from flamkit_mga_clap.sparsemax import sparsemax


@POOLINGS.register("mga_codebook")
class SharedCodebook(Pooling):
    """MGA-CLAP's shared codebook: max-pooled codeword affinities -> sparsemax -> codeword mixture."""

    text_tokens = True  # the text side pools word embeddings through the same codebook

    def __init__(self, dim: int, entries: int = 4096, temperature: float = 1000.0) -> None:
        super().__init__()
        if entries < 1 or temperature <= 0:
            raise ValueError(f"mga_codebook needs entries >= 1 and temperature > 0; got {entries}, {temperature}")
        self.dim = dim
        self.temperature = float(temperature)
        self.codebook = nn.Parameter(torch.randn(entries, dim))

    def weights(self, x: Tensor, mask: Optional[Tensor] = None) -> Tensor:
        """``[N, entries]`` sparse codeword weights of the sequences ``x`` ``[N, L, dim]`` (rows sum to 1)."""
        if x.shape[-1] != self.dim:
            raise ValueError(f"mga_codebook has dim {self.dim}, got embeddings of width {x.shape[-1]}")
        dtype = torch.promote_types(x.dtype, torch.float32)  # float32 at least, float64 kept (tests)
        with torch.autocast(device_type=x.device.type, enabled=False):
            scores = x.to(dtype) @ self.codebook.to(dtype).T / math.sqrt(self.dim)  # [N, L, E]
            if mask is not None:
                scores = scores * mask.unsqueeze(-1).to(scores.dtype)  # as published: masked items score 0
            pooled = (scores / self.temperature).max(dim=1).values  # [N, E]
            return sparsemax(pooled)

    def forward(self, x: Tensor, mask: Optional[Tensor] = None) -> Tensor:
        w = self.weights(x, mask)
        with torch.autocast(device_type=x.device.type, enabled=False):
            return w @ self.codebook.to(w.dtype)

    def extra_repr(self) -> str:
        return f"entries={self.codebook.shape[0]}, dim={self.dim}, temperature={self.temperature:g}"
