"""Count the tensor calls that make the host wait for the device, during training steps.

``item``, ``tolist``, ``__bool__``, ``__float__``, ``__int__``, ``__index__``, ``cpu``, ``numpy`` and
``nonzero`` (whose output size the host must learn) each read a device tensor back on a GPU. On a
CPU-only machine the "device" is the CPU, so the counter counts every such call, made while a step
runs: from the start of ``loop._train_step`` until the loop reads its metrics window (a logging step),
leaving out the data pipeline (``loop._next_batches``, host work on host tensors by design).
"""

from __future__ import annotations

from collections import Counter
from contextlib import contextmanager
from typing import Iterator

import torch

from flamkit.train import loop
from flamkit.train.metrics_window import StepMetrics

READS = ("item", "tolist", "__bool__", "__float__", "__int__", "__index__", "cpu", "numpy", "nonzero")


@contextmanager
def count_host_reads(monkeypatch, methods=READS) -> Iterator[Counter]:
    """Patch ``methods`` of torch.Tensor and the loop's phases; yields a Counter of calls made inside steps."""
    counts: Counter = Counter()
    state = {"active": False, "paused": 0, "steps": 0}

    def counting(name, original):
        def wrapper(self, *args, **kwargs):
            if state["active"] and not state["paused"]:
                counts[name] += 1
            return original(self, *args, **kwargs)

        return wrapper

    for name in methods:
        monkeypatch.setattr(torch.Tensor, name, counting(name, getattr(torch.Tensor, name)))

    train_step, next_batches, read = loop._train_step, loop._next_batches, StepMetrics.read

    def step(*args, **kwargs):
        state["active"] = True
        state["steps"] += 1
        return train_step(*args, **kwargs)

    def batches(*args, **kwargs):
        state["paused"] += 1
        try:
            return next_batches(*args, **kwargs)
        finally:
            state["paused"] -= 1

    def reading(self):
        state["active"] = False  # a logging step: reading the window is the interval's one transfer
        return read(self)

    monkeypatch.setattr(loop, "_train_step", step)
    monkeypatch.setattr(loop, "_next_batches", batches)
    monkeypatch.setattr(StepMetrics, "read", reading)
    counts["steps"] = 0
    try:
        yield counts
    finally:
        counts["steps"] = state["steps"]
