"""The training loop reads nothing back from the device between logging steps (issue 14).

With fused Adam the non-finite guard runs on the device, so a step that is not a logging step makes
no host read at all; with the default optimizer the guard reads one fused flag per step and nothing
else. Both are counted with :mod:`tests.train.host_syncs`.
"""

import pytest
import torch

from flamkit.config.compose import compose
from flamkit.train import loop
from tests.train.host_syncs import READS, count_host_reads
from tests.train.tiny import TINY_RUN

TINY = [
    *TINY_RUN,
    "train.max_steps=6",
    "train.log_every=3",
    "train.grad_accum=2",  # the accumulated terms must not sync either
]


def test_sync_free_steps_read_nothing_from_the_device(tmp_path, monkeypatch):
    cfg = compose("quickstart", [*TINY, f"run.root={tmp_path}", "optim.fused=true"])
    with count_host_reads(monkeypatch) as counts:
        result = loop.train(cfg)
    assert result.step == 6 and counts["steps"] == 6
    reads = {k: v for k, v in counts.items() if k != "steps"}
    assert sum(reads.values()) == 0, f"host reads inside steps: {reads}"
    assert result.metrics["train/loss"] == result.metrics["train/loss"]  # the window was read (not NaN)


def test_host_guard_reads_one_flag_per_step(tmp_path, monkeypatch):
    """The counter does count: the default optimizer's guard is one ``bool`` per step, nothing more."""
    cfg = compose("quickstart", [*TINY, f"run.root={tmp_path}"])
    with count_host_reads(monkeypatch, methods=("__bool__", "__float__", "tolist", "nonzero")) as counts:
        loop.train(cfg)
    assert counts["__bool__"] == 6 and counts["__float__"] == counts["tolist"] == counts["nonzero"] == 0, dict(counts)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU: torch.cuda.set_sync_debug_mode")
def test_cuda_steps_do_not_synchronise(tmp_path, monkeypatch):
    cfg = compose("quickstart", [*TINY, f"run.root={tmp_path}", "optim.fused=true", "train.device=cuda", "train.log_every=6"])
    original = loop._train_step
    seen = {"n": 0}

    def strict(*args, **kwargs):
        seen["n"] += 1
        if seen["n"] <= 2:  # first steps: allocator warm-up, cuDNN autotuning
            return original(*args, **kwargs)
        torch.cuda.set_sync_debug_mode("error")
        try:
            return original(*args, **kwargs)
        finally:
            torch.cuda.set_sync_debug_mode("default")

    monkeypatch.setattr(loop, "_train_step", strict)
    assert loop.train(cfg).step == 6


def test_reads_cover_the_calls_that_sync():
    assert {"item", "__bool__", "__float__", "tolist", "cpu"} <= set(READS)
