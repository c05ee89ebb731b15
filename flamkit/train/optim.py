"""Optimizers and learning-rate schedules, registered by name (C.5, C.6)."""

from __future__ import annotations

import math
import warnings
from typing import Any, Iterable, Optional, Sequence

import torch
from torch.optim.lr_scheduler import LambdaLR

from flamkit.registry import OPTIMIZERS, SCHEDULES


def _kernel_options(params: list[torch.nn.Parameter], fused: Optional[bool], foreach: Optional[bool]) -> dict[str, Any]:
    """``fused``/``foreach`` for torch's Adam(W), falling back to ``foreach`` where fused kernels do not run.

    None leaves torch's own choice (today's behaviour: foreach on CUDA, the per-tensor loop on CPU).
    Fused Adam runs on CUDA and, in torch >= 2.4, on CPU, for floating-point parameters; elsewhere the
    request falls back with a warning rather than failing a long job at its first step.
    """
    if fused and foreach:
        raise ValueError("optim.fused and optim.foreach are alternatives: set one of them")
    out: dict[str, Any] = {}
    if foreach is not None:
        out["foreach"] = bool(foreach)
    if fused:
        from torch.optim.optimizer import _get_fused_kernels_supported_devices

        devices = {p.device.type for p in params}
        supported = set(_get_fused_kernels_supported_devices())
        if devices <= supported and all(p.is_floating_point() for p in params):
            out["fused"] = True
        else:
            warnings.warn(
                f"optim.fused=true: torch {torch.__version__} has no fused Adam for parameters on {sorted(devices)} "
                f"(fused runs on {sorted(supported)}); using foreach instead",
                stacklevel=3,
            )
            out["foreach"] = True
    elif fused is not None:
        out["fused"] = False
    return out


@OPTIMIZERS.register("adam")
def adam(
    params: Iterable[torch.nn.Parameter],
    lr: float = 1e-4,
    betas: Sequence[float] = (0.9, 0.99),
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    fused: Optional[bool] = None,
    foreach: Optional[bool] = None,
) -> torch.optim.Optimizer:
    """Adam with the paper's betas (0.9, 0.99) and lr 1e-4.

    ``fused=True`` runs one kernel for all parameters and lets the training loop skip a non-finite
    step on the device (no host sync per step); ``foreach=True`` batches the per-tensor ops.
    """
    params = list(params)
    return torch.optim.Adam(params, lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, **_kernel_options(params, fused, foreach))


@OPTIMIZERS.register("adamw")
def adamw(
    params: Iterable[torch.nn.Parameter],
    lr: float = 1e-4,
    betas: Sequence[float] = (0.9, 0.99),
    eps: float = 1e-8,
    weight_decay: float = 0.01,
    fused: Optional[bool] = None,
    foreach: Optional[bool] = None,
) -> torch.optim.Optimizer:
    """AdamW (decoupled weight decay), for plugins and experiments that want it; ``fused``/``foreach`` as for adam."""
    params = list(params)
    return torch.optim.AdamW(params, lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, **_kernel_options(params, fused, foreach))


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
