"""MGA-CLAP's schedule: linear warmup then cosine, against the published formula written out."""

import math

import pytest
import torch

from flamkit_mga_clap.schedule import mga_warmup_cosine


def published(step: int, base: float, warmup: int, steps: int) -> float:
    if step < warmup:
        return base * (step + 1) / warmup
    return 0.5 * (1 + math.cos(math.pi * (step - warmup) / (steps - warmup))) * base


def test_lr_follows_the_published_curve():
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=5e-5)
    sched = mga_warmup_cosine(opt, max_steps=50, warmup_fraction=0.2)
    for step in range(50):
        assert opt.param_groups[0]["lr"] == pytest.approx(published(step, 5e-5, 10, 50), rel=1e-12, abs=1e-20)
        opt.step()
        sched.step()
    opt2 = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    mga_warmup_cosine(opt2, max_steps=100, warmup_steps=3)
    assert opt2.param_groups[0]["lr"] == pytest.approx(1 / 3)
    with pytest.raises(ValueError, match="warmup_fraction"):
        mga_warmup_cosine(opt2, max_steps=10, warmup_fraction=1.0)
