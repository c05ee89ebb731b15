"""The training loop end to end: resume after an interruption is bit-identical to no interruption."""

import signal

import pytest
import torch
from safetensors.torch import load_file

from flamkit.config.compose import compose
from flamkit.train import loop
from flamkit.train.signals import REQUEUE_EXIT

TINY = [
    "data.streams.global.batch_size=2",
    "data.streams.sed.batch_size=2",
    "train.max_steps=6",
    "train.val_every=3",
    "train.ckpt_every=100",
    "train.log_every=1",
    "data.val_clips=3",
    "budget.warmup_steps=2",
]


def _train(root, stop_at=None):
    """Train the tiny quickstart; with ``stop_at``, SIGUSR2 arrives during step ``stop_at`` and we resume."""
    cfg = compose("quickstart", [*TINY, f"run.root={root}"])
    if stop_at is None:
        return loop.train(cfg)
    original = loop._train_step
    calls = {"n": 0}

    def interrupted(*args, **kwargs):
        out = original(*args, **kwargs)
        calls["n"] += 1
        if calls["n"] == stop_at:
            signal.raise_signal(signal.SIGUSR2)  # what SLURM sends before preemption
        return out

    loop._train_step = interrupted
    try:
        first = loop.train(cfg)
    finally:
        loop._train_step = original
    assert first.exit_code == REQUEUE_EXIT and first.step == stop_at
    second = loop.train(cfg)  # a requeued job: same config -> same folder -> resume
    assert second.run_dir == first.run_dir
    return second


def _final_weights(result):
    return load_file(str(result.run_dir / "checkpoints" / f"ckpt-{result.step:08d}" / "model.safetensors"))


def _assert_identical(a, b):
    assert a.keys() == b.keys()
    diff = [k for k in a if not torch.equal(a[k], b[k])]
    assert not diff, f"{len(diff)} tensors differ, e.g. {diff[:3]}"


@pytest.mark.slow
def test_resume_is_bit_identical_single_process(tmp_path):
    straight = _train(tmp_path / "a")
    resumed = _train(tmp_path / "b", stop_at=3)
    assert straight.step == resumed.step == 6
    _assert_identical(_final_weights(straight), _final_weights(resumed))
    run = straight.run_dir
    assert (run / "config.yaml").is_file() and (run / "run.json").is_file()
    assert any((run / "tb").iterdir())
    assert "val/frame_auroc" in straight.metrics


def _rank_fn(rank, world, root, stop_at):
    torch.manual_seed(0)
    result = _train(root, stop_at)
    return {k: v.clone() for k, v in _final_weights(result).items()} if rank == 0 else None


@pytest.mark.slow
@pytest.mark.distributed
def test_resume_is_bit_identical_two_ranks(tmp_path):
    from tests.distributed.launch import run_world

    straight = run_world(_rank_fn, 2, str(tmp_path / "a"), None, timeout=600)[0]
    resumed = run_world(_rank_fn, 2, str(tmp_path / "b"), 3, timeout=600)[0]
    _assert_identical(straight, resumed)
