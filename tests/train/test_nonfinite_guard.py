"""The non-finite guard decided on the device (fused Adam) skips exactly the steps the host guard skips."""

import pytest
import torch
from safetensors.torch import load_file

from flamkit.config.compose import compose
from flamkit.losses.heads import PriorHead
from flamkit.train import loop
from tests.train.tiny import TINY_RUN

ORIGINAL_PRIOR = PriorHead.forward

TINY = [
    *TINY_RUN,
    "optim.fused=true",
]


def _nan_at(monkeypatch, calls_with_nan):
    calls = {"n": 0}
    original = ORIGINAL_PRIOR

    def sometimes_nan(self, out):
        calls["n"] += 1
        value = original(self, out)
        return value * float("nan") if calls_with_nan(calls["n"]) else value

    monkeypatch.setattr(PriorHead, "forward", sometimes_nan)


def _weights(result):
    return load_file(str(result.run_dir / "checkpoints" / f"ckpt-{result.step:08d}" / "model.safetensors"))


def test_device_guard_matches_host_guard_bit_for_bit(tmp_path, monkeypatch):
    """A NaN at step 2 of 5: the device guard (log_every=1) leaves weights, moments, step count and schedule as the host guard does."""
    _nan_at(monkeypatch, lambda n: n == 2)
    cfg = compose("quickstart", [*TINY, "train.max_steps=5", "train.log_every=1", f"run.root={tmp_path / 'device'}"])
    device = loop.train(cfg)
    monkeypatch.setattr(loop, "_sync_free_guard", lambda *a: False)
    _nan_at(monkeypatch, lambda n: n == 2)
    cfg = compose("quickstart", [*TINY, "train.max_steps=5", "train.log_every=1", f"run.root={tmp_path / 'host'}"])
    host = loop.train(cfg)
    a, b = _weights(device), _weights(host)
    assert [k for k in a if not torch.equal(a[k], b[k])] == []
    for r in (device, host):
        state = torch.load(r.run_dir / "checkpoints" / "ckpt-00000005" / "state.pt", weights_only=False)
        assert state["counters"]["nonfinite_steps"] == 1
        assert state["scheduler"]["last_epoch"] == 4  # 5 steps, 1 skipped: the schedule advanced 4 times
        assert all(float(s["step"]) == 4 for s in state["optimizer"]["state"].values())


@pytest.mark.parametrize("log_every, stop_step, skipped", [(1, 5, 3), (3, 6, 4)])
def test_device_guard_counts_and_stops_at_log_steps(tmp_path, monkeypatch, log_every, stop_step, skipped):
    """NaN at steps 2, 4, 5, 6 with max_nonfinite_in_row=1: read every step, the run stops at step 5 as
    with the host guard; read every 3 steps, the run of 2 is seen at step 6 (documented)."""
    _nan_at(monkeypatch, lambda n: n == 2 or n >= 4)
    overrides = [*TINY, "train.max_steps=6", f"train.log_every={log_every}", "train.max_nonfinite_in_row=1", f"run.root={tmp_path}"]
    with pytest.raises(loop.TrainingStopped, match="non-finite losses in a row"):
        loop.train(compose("quickstart", overrides))
    run = next((tmp_path / "quickstart").iterdir())
    state = torch.load(next((run / "checkpoints").iterdir()) / "state.pt", weights_only=False)
    assert state["step"] == stop_step
    assert state["counters"]["nonfinite_steps"] == skipped
    assert state["scheduler"]["last_epoch"] == stop_step - skipped
