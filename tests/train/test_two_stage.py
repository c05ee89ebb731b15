"""FLAM-Global then FLAM initialised from it, and the loop under torchrun."""

import os
import subprocess
import sys

import pytest
import torch
from safetensors.torch import load_file

from flamkit.config.compose import compose
from flamkit.train import loop

TINY = ["data.streams.global.batch_size=2", "data.streams.sed.batch_size=2", "train.val_every=100",
        "train.log_every=1", "budget.warmup_steps=1"]


@pytest.mark.slow
def test_flam_initialised_from_flam_global(tmp_path):
    stage1 = loop.train(compose("flam_global", [*TINY, "size=cpu", "train.max_steps=2", "train.val_every=1", "data.val_clips=2", f"run.root={tmp_path}"]))
    cfg = compose("flam", [*TINY, "size=cpu", "train.max_steps=1", f"run.root={tmp_path}", f"flam_global={stage1.run_dir}"])
    assert cfg.train.init_from == str(stage1.run_dir)
    # Capture the weights FLAM starts from: they must be FLAM-Global's final ones (not its `best`:
    # validation every step tags one by SED loss, which FLAM-Global never trained).
    seen = {}
    original = loop.load_initial_weights

    def spy(model, source):
        report = original(model, source)
        seen.update({k: v.clone() for k, v in model.state_dict().items()})
        return report

    loop.load_initial_weights = spy
    try:
        stage2 = loop.train(cfg)
    finally:
        loop.load_initial_weights = original
    final1 = load_file(str(stage1.run_dir / "checkpoints" / "ckpt-00000002" / "model.safetensors"))
    assert all(torch.equal(seen[k], final1[k]) for k in final1)
    assert stage2.run_dir != stage1.run_dir and stage2.step == 1


@pytest.mark.slow
@pytest.mark.distributed
def test_train_under_torchrun(tmp_path):
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2",
           "-m", "flamkit.cli", "train", "experiment=quickstart", *TINY, "train.max_steps=2", f"run.root={tmp_path}"]
    env = dict(os.environ, OMP_NUM_THREADS="1")
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    run = next((tmp_path / "quickstart").iterdir())
    import json

    assert json.loads((run / "run.json").read_text())["world_size"] == 2
    assert (run / "checkpoints" / "ckpt-00000002" / "manifest.json").is_file()
