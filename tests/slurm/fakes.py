"""Test doubles for the SLURM machinery: a training function that behaves like ``train()`` towards
signals, checkpoints and run folders (stop at a step boundary, checkpoint, return REQUEUE_EXIT;
resume from the checkpoint), without a model; and SLURM operations that record what was asked.

``counting_train`` appends every executed step to ``steps.log`` in the run folder, so a test can
check that a requeued run lost no step and repeated none.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from flamkit.train.loop import TrainResult
from flamkit.train.rundir import run_folder, write_run_info
from flamkit.train.signals import REQUEUE_EXIT, StopFlag


def fake_config(root: str | Path, max_steps: int = 6, step_s: float = 0.0, experiment: str = "fake",
                seed: int = 0, max_requeues: int = 3) -> DictConfig:
    return OmegaConf.create({
        "experiment": experiment,
        "seed": seed,
        "train": {"max_steps": max_steps, "max_requeues": max_requeues, "step_s": step_s},
        "run": {"root": str(root), "name": None, "tensorboard": False},
    })


def counting_train(cfg: DictConfig, reference: DictConfig | None) -> TrainResult:
    run_dir = run_folder(cfg, reference)
    write_run_info(run_dir, cfg)
    state_file = run_dir / "fake_state.json"
    step = json.loads(state_file.read_text())["step"] if state_file.is_file() else 0
    stop = StopFlag().install()
    try:
        while step < int(cfg.train.max_steps):
            if stop.raised:
                state_file.write_text(json.dumps({"step": step}))
                return TrainResult(run_dir, step, REQUEUE_EXIT)
            time.sleep(float(cfg.train.step_s))
            step += 1
            with open(run_dir / "steps.log", "a") as f:
                f.write(f"{step}\n")
        state_file.write_text(json.dumps({"step": step}))
        return TrainResult(run_dir, step, 0, {"train/loss": 1.0 / step})
    finally:
        stop.uninstall()


def always_stops(cfg: DictConfig, reference: DictConfig | None) -> TrainResult:
    """A run that is signalled at once every time it starts (a job that keeps hitting its limit)."""
    run_dir = run_folder(cfg, reference)
    run_dir.mkdir(parents=True, exist_ok=True)
    return TrainResult(run_dir, 0, REQUEUE_EXIT)


class RecordingOps:
    """SLURM operations that answer with fixed states and record requeue calls."""

    def __init__(self, job_id: str | None = "77_1", live: str | None = "RUNNING", accounted: str | None = None,
                 fail_requeue: str | None = None) -> None:
        self._job_id, self.live, self.accounted, self.fail_requeue = job_id, live, accounted, fail_requeue
        self.requeued: list[str] = []

    def job_id(self) -> str | None:
        return self._job_id

    def restart_count(self) -> int:
        return len(self.requeued)

    def export_distributed(self) -> None:
        pass

    def live_state(self, job_id: str) -> str | None:
        return self.live

    def accounted_state(self, job_id: str) -> str | None:
        return self.accounted

    def requeue(self, job_id: str) -> None:
        if self.fail_requeue:
            from flamkit.slurm.jobs import SlurmCommandError

            raise SlurmCommandError(self.fail_requeue)
        self.requeued.append(job_id)


def folder_only(cfg: DictConfig, reference: DictConfig | None) -> TrainResult:
    """Trains nothing: creates and returns the run folder ``train()`` would use for this config."""
    run_dir = run_folder(cfg, reference)
    write_run_info(run_dir, cfg)
    return TrainResult(run_dir, 0, 0)
