"""Optimizers and learning-rate schedules, registered by name (C.5, C.6)."""

from __future__ import annotations

import math
from typing import Iterable, Sequence

import torch
from torch.optim.lr_scheduler import LambdaLR

from flamkit.registry import OPTIMIZERS, SCHEDULES


@OPTIMIZERS.register("adam")
def adam(
    params: Iterable[torch.nn.Parameter],
    lr: float = 1e-4,
    betas: Sequence[float] = (0.9, 0.99),
    eps: float = 1e-8,
    weight_decay: float = 0.0,
) -> torch.optim.Optimizer:
    """Adam with the paper's betas (0.9, 0.99) and lr 1e-4."""
    return torch.optim.Adam(params, lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay)


@OPTIMIZERS.register("adamw")
def adamw(
    params: Iterable[torch.nn.Parameter],
    lr: float = 1e-4,
    betas: Sequence[float] = (0.9, 0.99),
    eps: float = 1e-8,
    weight_decay: float = 0.01,
) -> torch.optim.Optimizer:
    """AdamW (decoupled weight decay), for plugins and experiments that want it."""
    return torch.optim.AdamW(params, lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay)


def warmup_linear_factor(step: int, warmup_steps: int, max_steps: int, warmup: str = "cosine") -> float:
    """LR multiplier: warmup to 1 over ``warmup_steps`` (cosine or linear), then linear decay to 0 at ``max_steps``."""
    if warmup_steps > 0 and step < warmup_steps:
        frac = (step + 1) / warmup_steps
        return 0.5 * (1.0 - math.cos(math.pi * frac)) if warmup == "cosine" else frac
    span = max(1, max_steps - warmup_steps)
    return max(0.0, 1.0 - (step - warmup_steps) / span)


@SCHEDULES.register("warmup_linear")
def warmup_linear(optimizer: torch.optim.Optimizer, max_steps: int, warmup_steps: int = 3200, warmup: str = "cosine") -> LambdaLR:
    """C.5: cosine warmup (3200 steps) then linear decay to zero at the step budget.

    Budgets shorter than the warmup (CPU smoke runs) warm up over a tenth of the budget instead, so a
    tiny run still reaches its peak learning rate.
    """
    if warmup not in ("cosine", "linear"):
        raise ValueError(f"sched.warmup must be 'cosine' or 'linear', got {warmup!r}")
    w = warmup_steps if warmup_steps < max_steps else max(1, max_steps // 10)
    return LambdaLR(optimizer, lambda s: warmup_linear_factor(s, w, max_steps, warmup))


@SCHEDULES.register("constant")
def constant(optimizer: torch.optim.Optimizer, max_steps: int) -> LambdaLR:
    """A flat learning rate (for debugging and plugin tests)."""
    del max_steps
    return LambdaLR(optimizer, lambda s: 1.0)
