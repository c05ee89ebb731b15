"""A study evaluates each stage at the checkpoint the one rule picks for its run folder, and says so."""

import dataclasses

import pytest
import torch

from flamkit.checkpoints import choose_checkpoint
from flamkit.eval.checkpoint_eval import EvalRunError
from flamkit.study import runner
from flamkit.study.spec import load_study
from flamkit.train.checkpoint import write_checkpoint


def test_a_stage_is_evaluated_at_its_run_folders_final_checkpoint(tmp_path, monkeypatch):
    spec = load_study("quickstart")
    made = {}

    def fake_run_folder(cfg, reference):  # a finished run: checkpoints at the last step and a `best`
        run = tmp_path / str(cfg.experiment)
        steps = int(cfg.train.max_steps)
        for name, step in (("best", 1), (f"ckpt-{steps - 1:08d}", steps - 1), (f"ckpt-{steps:08d}", steps)):
            write_checkpoint(run / "checkpoints" / name, {"w": torch.zeros(1)}, "", {"step": step})
        made[run] = steps
        return run

    evaluated, echoed = [], []

    def fake_evaluate(checkpoint, name, overrides, tensorboard, echo, query_expansion):
        assert query_expansion is None  # the study file names none
        evaluated.append(checkpoint)
        echo(choose_checkpoint(checkpoint).describe())
        raise EvalRunError("stop here")

    monkeypatch.setattr(runner, "run_folder", fake_run_folder)
    monkeypatch.setattr(runner, "evaluate_checkpoint", fake_evaluate)
    with pytest.raises(RuntimeError, match="stop here"):
        runner.run_study(spec, ["run.root=" + str(tmp_path)], echo=echoed.append, skip_train=True)
    (run, steps), = made.items()
    assert evaluated == [run]
    assert f"checkpoint: {run / 'checkpoints' / f'ckpt-{steps:08d}'} (a run folder means its final checkpoint" in "\n".join(echoed)


def test_a_study_whose_held_out_eval_the_stages_train_on_fails_before_training():
    """debian_sfx_select with data.holdout.seed=1 but the eval's seed-0 split: refused up front, fix named."""
    from flamkit.config.compose import ConfigError
    from flamkit.study.runner import validate_study
    from flamkit.study.spec import load_study

    spec = load_study("debian_sfx_select")
    # data=debian_sfx: the stages read the manifest the eval splits, so the split mismatch is found
    # by path alone, corpus built or not (data=debian_sfx_plus is caught by labels, tests/eval)
    validate_study(spec, ["data=debian_sfx"])
    with pytest.raises(ConfigError, match=r"--eval _holdout\.seed=1"):
        validate_study(spec, ["data=debian_sfx", "data.holdout.seed=1"])
    validate_study(dataclasses.replace(spec, eval_overrides=("_holdout.seed=1",)), ["data=debian_sfx", "data.holdout.seed=1"])
