"""The training loop end to end: resume after an interruption is bit-identical to no interruption."""

import signal

import pytest
import torch
from safetensors.torch import load_file

from flamkit.config.compose import compose
from flamkit.data.trained_descriptions import read_descriptions, trained_descriptions
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
    cfg = compose("quickstart", [*TINY, f"run.root={tmp_path / 'a'}"])
    assert read_descriptions(run) == trained_descriptions(cfg, 16000, float(cfg.data.clip_seconds))  # for query expansion
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


def _tb_tags(run_dir):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(run_dir / "tb"), size_guidance={"images": 0, "audio": 0, "scalars": 0, "tensors": 0})
    acc.Reload()
    return acc


@pytest.mark.slow
def test_tensorboard_run_has_scalars_figures_audio_and_hparams(tmp_path):
    result = _train(tmp_path / "tb")
    acc = _tb_tags(result.run_dir)
    scalars = set(acc.Tags()["scalars"])
    for tag in ("loss/clip", "loss/sed", "loss/prior", "train/loss", "train/lr", "train/grad_norm",
                "heads/alpha_mean", "heads/beta_mean", "throughput/samples_per_s", "throughput/audio_hours_per_s",
                "data/skipped", "val/frame_auroc", "val/sed_loss"):
        assert tag in scalars, f"{tag} missing from {sorted(scalars)}"
    assert any(m.startswith("memory/") for m in scalars)
    assert any(t.startswith("val/clip") for t in acc.Tags()["images"])
    assert any(t.endswith("_audio") for t in acc.Tags()["audio"])
    # hparams live in the run's own writer (no timestamped sub-run), with the fixed key set
    assert [p.name for p in (result.run_dir / "tb").iterdir() if p.is_dir()] == []
    from tensorboard.plugins.hparams import plugin_data_pb2

    content = acc.PluginTagToContent("hparams")
    exp = plugin_data_pb2.HParamsPluginData.FromString(content["_hparams_/experiment"]).experiment
    from flamkit.train.tb import HPARAM_KEYS

    assert {h.name for h in exp.hparam_infos} == set(HPARAM_KEYS)


@pytest.mark.slow
def test_nonfinite_losses_are_skipped_then_stop_the_run(tmp_path, monkeypatch):
    from flamkit.losses.heads import PriorHead

    calls = {"n": 0}
    original = PriorHead.forward

    def sometimes_nan(self, out):
        calls["n"] += 1
        value = original(self, out)
        return value * float("nan") if calls["n"] in (2,) or calls["n"] >= 4 else value

    monkeypatch.setattr(PriorHead, "forward", sometimes_nan)
    cfg = compose("quickstart", [*TINY, f"run.root={tmp_path}", "train.max_nonfinite_in_row=1", "train.val_every=100"])
    with pytest.raises(loop.TrainingStopped, match="non-finite losses in a row"):
        loop.train(cfg)
    run = next((tmp_path / "quickstart").iterdir())
    state = torch.load(next((run / "checkpoints").iterdir()) / "state.pt", weights_only=False)
    assert state["counters"]["nonfinite_steps"] == 3  # step 2 skipped alone, then steps 4 and 5 in a row
    assert state["step"] == 5


@pytest.mark.slow
def test_gradient_accumulation_consumes_micro_batches(tmp_path):
    cfg = compose("quickstart", [*TINY, f"run.root={tmp_path}", "train.grad_accum=2", "train.max_steps=2", "train.val_every=100"])
    result = loop.train(cfg)
    state = torch.load(result.run_dir / "checkpoints" / "ckpt-00000002" / "state.pt", weights_only=False)
    assert state["positions"] == {"global": 4, "sed": 4}
