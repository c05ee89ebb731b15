"""The embedded-default-sized model (``size=cpu``: small_cnn + pretrained MiniLM, 256-d) with random
audio-side weights, for speed benchmarks: speed does not depend on what the weights learned."""

from __future__ import annotations

import math

import torch

from flamkit.models.flam import FlamModel, build_model

CPU_SIZE_MODEL = {
    "audio": {"name": "small_cnn", "sample_rate": 16000},
    "text": {"name": "minilm", "pretrained": True},
    "projection": {"name": "mlp", "hidden": 256},
    "scale": {"name": "per_text_scale"},
    "bias": {"name": "per_text_bias"},
    "frames": 32,
    "embed_dim": 256,
    "clip_scale_init": math.log(1 / 0.07),
    "clip_scale_max": 100.0,
    "max_text_tokens": 77,
}


def default_model(seed: int = 0) -> FlamModel:
    import flamkit.components  # noqa: F401
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        return build_model(CPU_SIZE_MODEL).eval()
