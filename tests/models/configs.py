"""Model configs for the model tests: one FLAM layout, the encoders and widths each test needs."""

from __future__ import annotations

import math
from typing import Any


def flam_config(
    audio: dict[str, Any],
    text: dict[str, Any],
    *,
    hidden: int,
    embed_dim: int,
    scale: str = "per_text_scale",
    bias: str = "per_text_bias",
    frames: int = 32,
) -> dict[str, Any]:
    """A ``model:`` node as the base config lays it out (CLIP's initial scale 1/0.07, 77 text tokens)."""
    return {
        "audio": audio,
        "text": text,
        "projection": {"name": "mlp", "hidden": hidden},
        "scale": {"name": scale},
        "bias": {"name": bias},
        "frames": frames,
        "embed_dim": embed_dim,
        "clip_scale_init": math.log(1 / 0.07),
        "clip_scale_max": 100.0,
        "max_text_tokens": 77,
    }
