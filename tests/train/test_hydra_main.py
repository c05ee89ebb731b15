"""``python -m flamkit.train.hydra_main``: flamkit training under @hydra.main and Hydra multiruns."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
import yaml

from flamkit.slurm.runlog import RunLog
from flamkit.train.hydra_main import make_main
from tests.slurm.conftest import slurm_cluster  # noqa: F401  (the fixture: skip/fail without a cluster)
from tests.slurm.fakes import counting_train

FAKE_EXPERIMENT = {"experiment": "fake", "seed": 0,
                   "train": {"max_steps": 3, "max_requeues": 3, "step_s": 0.0},
                   "run": {"root": "runs", "name": None, "tensorboard": False}}


@pytest.fixture
def fake_experiments(tmp_path, monkeypatch):
    exp = tmp_path / "experiments"
    exp.mkdir()
    (exp / "fake.yaml").write_text(yaml.safe_dump(FAKE_EXPERIMENT))
    monkeypatch.setenv("FLAMKIT_EXPERIMENTS", str(exp))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _run(monkeypatch, *args: str, train_fn=counting_train):
    monkeypatch.setattr(sys, "argv", ["hydra_main", *args])
    make_main(train_fn)()


def _steps(run_dir: Path) -> list[int]:
    return [int(x) for x in (run_dir / "steps.log").read_text().split()]


def test_multirun_with_the_basic_launcher_trains_each_point(fake_experiments, monkeypatch):
    _run(monkeypatch, "--config-name", "fake", "-m", "seed=0,1", "train.max_steps=4")
    runs = sorted((fake_experiments / "runs" / "fake").iterdir())
    assert len(runs) == 2 and {yaml.safe_load((r / "config.yaml").read_text())["seed"] for r in runs} == {0, 1}
    for r in runs:
        assert _steps(r) == [1, 2, 3, 4]
        assert RunLog(r).read()["starts"][0]["job_id"] is None  # not under SLURM here
    assert (fake_experiments / "multirun").is_dir()  # Hydra's own sweep folder, as usual


def test_single_run_finds_the_same_folder_again(fake_experiments, monkeypatch):
    _run(monkeypatch, "--config-name", "fake", "seed=5")
    _run(monkeypatch, "--config-name", "fake", "seed=5", "train.max_steps=3")  # same config: same folder
    (run,) = (fake_experiments / "runs" / "fake").iterdir()
    assert run.name.startswith("seed-5-") and _steps(run) == [1, 2, 3]


def test_missing_config_name_is_explained(fake_experiments, monkeypatch, capsys):
    with pytest.raises(BaseException) as exc:
        _run(monkeypatch, "seed=1")
    text = str(exc.value) + capsys.readouterr().err
    assert "--config-name" in text


@pytest.mark.slurm
@pytest.mark.skipif(importlib.util.find_spec("hydra_plugins.hydra_submitit_launcher") is None,
                    reason="hydra-submitit-launcher is not installed (pip install hydra-submitit-launcher)")
def test_multirun_with_the_submitit_slurm_launcher(fake_experiments, monkeypatch, slurm_cluster):
    repo = Path(__file__).resolve().parents[2]
    monkeypatch.setenv("PYTHONPATH", str(repo))
    _run(monkeypatch, "--config-name", "fake", "-m", "seed=0,1", "hydra/launcher=submitit_slurm",
         "hydra.launcher.partition=debug", "hydra.launcher.timeout_min=5", "hydra.launcher.cpus_per_task=1",
         "hydra.launcher.mem_gb=1", f"hydra.launcher.submitit_folder={fake_experiments / 'submitit'}/%j")
    runs = sorted((fake_experiments / "runs" / "fake").iterdir())
    assert len(runs) == 2
    for r in runs:
        assert _steps(r) == [1, 2, 3]
        (start,) = RunLog(r).read()["starts"]
        assert start["job_id"] and "_" in start["job_id"]  # an array task of the launcher's job array


def test_same_config_same_run_folder_as_flamkit_launch(tmp_path, monkeypatch):
    """A real experiment: the Hydra entry point and `flamkit launch` resolve one config to one folder."""
    from flamkit.slurm.resolve import resolve_points
    from flamkit.slurm.sweeps import SweepPoint
    from tests.slurm.fakes import folder_only

    monkeypatch.chdir(tmp_path)
    over = ["seed=3", "train.max_steps=7", f"run.root={tmp_path / 'runs'}"]
    _run(monkeypatch, "--config-name", "quickstart", *over, train_fn=folder_only)
    (made,) = (tmp_path / "runs" / "quickstart").iterdir()
    (expected,) = resolve_points([SweepPoint("quickstart", tuple(over))])
    assert made == expected.run_dir


@pytest.mark.slurm
@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("hydra_plugins.hydra_submitit_launcher") is None,
                    reason="hydra-submitit-launcher is not installed (pip install hydra-submitit-launcher)")
def test_real_training_under_the_submitit_slurm_launcher(tmp_path, monkeypatch, slurm_cluster):
    from flamkit.train import checkpoint as ckpt

    repo = Path(__file__).resolve().parents[2]
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PYTHONPATH", ":".join(filter(None, [str(repo), __import__("os").environ.get("PYTHONPATH")])))
    _run(monkeypatch, "--config-name", "quickstart", "-m", "seed=0", "train.max_steps=2", "train.val_every=2",
         "train.ckpt_every=2", "data.val_clips=8", f"run.root={tmp_path / 'runs'}",
         "hydra/launcher=submitit_slurm", "hydra.launcher.partition=debug", "hydra.launcher.timeout_min=10",
         "hydra.launcher.cpus_per_task=1", "hydra.launcher.mem_gb=2",
         f"hydra.launcher.submitit_folder={tmp_path / 'submitit'}/%j", train_fn=None)
    (run,) = (tmp_path / "runs" / "quickstart").iterdir()
    assert [ckpt.step_of(c) for c in ckpt.list_checkpoints(run / "checkpoints")] == [2]
    (start,) = RunLog(run).read()["starts"]
    assert start["job_id"]
