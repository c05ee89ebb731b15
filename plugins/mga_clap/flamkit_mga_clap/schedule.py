"""MGA-CLAP's learning-rate schedule: linear warmup, then a cosine decay to zero.

The published training (``pretrain.py`` with ``cosine_lr``, the WavCaps convention) warms up over 2 of
its 10 epochs: ``lr(s) = base * (s + 1) / W`` for ``s < W``, then
``base * (1 + cos(pi * (s - W) / (S - W))) / 2``. flamkit counts steps, not epochs, so the warmup is
a fraction of the step budget (0.2 = 2/10), which keeps the shape at every ``size``.
"""

from __future__ import annotations

import math
from typing import Optional

import torch
from torch.optim.lr_scheduler import LambdaLR

from flamkit.registry import SCHEDULES


def warmup_cosine_factor(step: int, warmup_steps: int, max_steps: int) -> float:
    """The LR multiplier at ``step`` (0-based)."""
    if step < warmup_steps:
        return (step + 1) / warmup_steps
    span = max(1, max_steps - warmup_steps)
    return 0.5 * (1.0 + math.cos(math.pi * min(step - warmup_steps, span) / span))


@SCHEDULES.register("mga_warmup_cosine")
def mga_warmup_cosine(
    optimizer: torch.optim.Optimizer, max_steps: int, warmup_fraction: float = 0.2, warmup_steps: Optional[int] = None
) -> LambdaLR:
    """Linear warmup over ``warmup_steps`` (default: ``warmup_fraction`` of the budget), cosine decay to 0."""
    if not 0.0 <= warmup_fraction < 1.0:
        raise ValueError(f"sched.warmup_fraction must be in [0, 1), got {warmup_fraction}")
    w = int(round(warmup_fraction * max_steps)) if warmup_steps is None else int(warmup_steps)
    return LambdaLR(optimizer, lambda s: warmup_cosine_factor(s, w, max_steps))
