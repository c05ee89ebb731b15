"""MGA-CLAP's frame and word projections (``frame_proj`` / ``word_proj`` in its ``ASE`` model).

LayerNorm -> Linear -> GELU -> LayerNorm -> Linear, applied to every frame (every word), where
flamkit's default ``mlp`` is Linear -> ReLU -> Linear. The normalisations matter here because the
projected embeddings are compared with the codebook *before* L2 normalisation, so their scale
enters the codeword affinities. ``hidden`` defaults to the output width, as in MGA-CLAP.
"""

from __future__ import annotations

from typing import Optional

from torch import nn

from flamkit.registry import HEADS


@HEADS.register("mga_projection")
def mga_projection(in_dim: int, out_dim: int, hidden: Optional[int] = None) -> nn.Sequential:
    """LN -> Linear -> GELU -> LN -> Linear to the shared space (MGA-CLAP's frame/word projection)."""
    hidden = out_dim if hidden is None else hidden
    return nn.Sequential(
        nn.LayerNorm(in_dim), nn.Linear(in_dim, hidden), nn.GELU(), nn.LayerNorm(hidden), nn.Linear(hidden, out_dim)
    )
