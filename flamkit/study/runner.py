"""Run a study: train its stages in order, evaluate each one's final checkpoint, collect the numbers.

Every stage is an ordinary run (``runs/<experiment>/<name>-<hash>/``): running a study again finds
the finished runs by their config hash and only re-evaluates them, and an interrupted study resumes
the stage it was in. Each stage is scored at its *final* checkpoint, not its ``best``: the reported
model was never selected on the evaluation set (nor on anything else).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

from omegaconf import DictConfig, OmegaConf

from flamkit.checkpoints import choose_checkpoint, step_of
from flamkit.config.compose import ConfigError, compose
from flamkit.config.checks import check_config, eval_task_items
from flamkit.eval.checkpoint_eval import EvalRunError, evaluate_checkpoint
from flamkit.eval.configs import load_eval_config
from flamkit.eval.holdout_guard import eval_conflicts
from flamkit.eval.runner import markdown
from flamkit.study.spec import Stage, StudySpec
from flamkit.train.loop import train  # also registers every component kind a stage's config names
from flamkit.train.rundir import run_folder
from flamkit.train.tb import TBLogger


@dataclass
class StageResult:
    stage: Stage
    run_dir: Path
    checkpoint: Path
    step: int
    eval_dir: Path
    scalars: dict[str, float]  # of the study's task and mode: present_auroc, f1@0.5, ...
    curve: dict[str, list[float]]  # thresholds, f1, precision, recall
    kind: str  # the sed task's set kind: open_vocabulary or closed_set
    seconds_train: float
    seconds_eval: float
    also: dict[str, dict[str, float]] = field(default_factory=dict)  # also_tasks: task -> scalars (same mode)


@dataclass
class StudyResult:
    spec: StudySpec
    stages: list[StageResult]
    overrides: list[str]
    run_root: Path
    extra: dict[str, Any] = field(default_factory=dict)

    def by_name(self) -> dict[str, StageResult]:
        return {r.stage.name: r for r in self.stages}


def stage_overrides(spec: StudySpec, stage: Stage, user: Sequence[str], init_run: Path | None) -> list[str]:
    """The overrides a stage is composed with: the study's, the stage's, the user's, then its init."""
    out = [*spec.overrides, *stage.overrides, *user]
    if stage.init is not None:
        if init_run is None:
            raise ConfigError(f"stage {stage.name}: its init stage {stage.init!r} has no run yet")
        out.append(f"flam_global={init_run}")
    return out


def compose_stage(spec: StudySpec, stage: Stage, user: Sequence[str], init_run: Path | None) -> tuple[DictConfig, DictConfig]:
    """The stage's config and its reference (without the user's overrides: the run folder's name shows those)."""
    cfg = compose(stage.experiment, stage_overrides(spec, stage, user, init_run))
    reference = compose(stage.experiment, stage_overrides(spec, stage, [], init_run))
    return cfg, reference


def validate_study(spec: StudySpec, user: Sequence[str]) -> None:
    """Compose and validate every stage and the evaluation before anything trains.

    Init runs stand in as placeholders; the evaluation config must load and hold the study's task,
    and none of its held-out tasks may score labels a stage trains on (flamkit/eval/holdout_guard.py).
    """
    eval_cfg, _ = load_eval_config(spec.eval, list(spec.eval_overrides))
    tasks = dict(eval_task_items(eval_cfg))
    if spec.task not in tasks:
        raise ConfigError(f"{spec.path}: task {spec.task!r} is not in eval config {spec.eval!r} (it has: {sorted(tasks)})")
    held_plain = OmegaConf.to_container(eval_cfg, resolve=True)
    for stage in spec.stages:
        placeholder = Path(f"runs/{stage.init}/placeholder") if stage.init else None
        try:
            cfg = compose(stage.experiment, stage_overrides(spec, stage, user, placeholder))
        except ConfigError as exc:
            raise ConfigError(f"{spec.path}: stage {stage.name} ({stage.experiment}): {exc}") from exc
        cfg.train.init_from = None  # the placeholder is not a checkpoint yet
        check_config(cfg)
        conflicts = eval_conflicts(held_plain, OmegaConf.to_container(cfg, resolve=True), f"stage {stage.name}")
        if conflicts:
            raise ConfigError(f"{spec.path}: the evaluation would score labels the model trains on:\n  - " + "\n  - ".join(conflicts))


def _eval_scalars(metrics: dict[str, Any], task: str, mode: str, where: Path) -> tuple[dict[str, float], dict[str, list[float]]]:
    tasks = metrics.get("tasks", {})
    if task not in tasks:
        raise ConfigError(f"{where}: the evaluation has no task {task!r} (it has: {sorted(tasks)}); fix the study's task:")
    scalars = {k.split("/", 1)[1]: float(v) for k, v in tasks[task]["scalars"].items() if k.startswith(f"{mode}/")}
    if not scalars:
        raise ConfigError(f"{where}: task {task!r} has no scores in mode {mode!r}; fix the study's mode:")
    curve = tasks[task]["details"]["modes"][mode]["f1_curve"]
    return scalars, {k: curve[k] for k in ("thresholds", "f1", "precision", "recall")}


def run_study(
    spec: StudySpec,
    user_overrides: Sequence[str] = (),
    echo: Callable[[str], None] = print,
    skip_train: bool = False,
    eval_overrides: Sequence[str] = (),
) -> StudyResult:
    """Train (or find) every stage, evaluate its final checkpoint, and return the numbers.

    ``eval_overrides`` (``LABEL.KEY=VALUE``, e.g. ``heldout.max_clips=16``) follow the study's own.
    """
    import dataclasses

    if eval_overrides:
        spec = dataclasses.replace(spec, eval_overrides=(*spec.eval_overrides, *eval_overrides))
    validate_study(spec, user_overrides)
    results: list[StageResult] = []
    runs: dict[str, Path] = {}
    run_root: Path | None = None
    n = len(spec.stages)
    for i, stage in enumerate(spec.stages, 1):
        cfg, reference = compose_stage(spec, stage, user_overrides, runs.get(stage.init) if stage.init else None)
        run_root = Path(cfg.run.root)
        init = f", initialised from {stage.init}'s final weights" if stage.init else ""
        echo(f"\n== stage {i}/{n}: train {stage.label} (experiment={stage.experiment}{init}, {cfg.train.max_steps} steps)")
        t0 = time.perf_counter()
        run_dir = run_folder(cfg, reference) if skip_train else train(cfg, reference).run_dir
        seconds_train = time.perf_counter() - t0
        try:
            checkpoint = choose_checkpoint(run_dir).folder  # the rule of every command: the final checkpoint
        except FileNotFoundError:
            checkpoint = None
        if checkpoint is None or step_of(checkpoint) != int(cfg.train.max_steps):
            got = "no checkpoint" if checkpoint is None else f"step {step_of(checkpoint)}"
            raise RuntimeError(f"stage {stage.name}: {run_dir} has {got}, not the final step {cfg.train.max_steps}; "
                               "train it to the end (run the study again without --skip-train)")
        runs[stage.name] = run_dir
        echo(f"\n== stage {i}/{n}: evaluate {stage.label} at step {step_of(checkpoint)} on eval={spec.eval}")
        t0 = time.perf_counter()
        try:
            # results go where `flamkit eval` puts them: RUN/eval/NAME (NAME+qx with query expansion)
            done = evaluate_checkpoint(run_dir, spec.eval, spec.eval_overrides, tensorboard=TBLogger, echo=echo,
                                       query_expansion=spec.query_expansion)
        except EvalRunError as exc:
            raise RuntimeError(f"stage {stage.name}: flamkit eval failed: {exc}") from None
        eval_dir = done.out_dir
        echo(markdown(done.doc))
        echo(f"results in {eval_dir}")
        seconds_eval = time.perf_counter() - t0
        metrics = json.loads((eval_dir / "metrics.json").read_text())
        scalars, curve = _eval_scalars(metrics, spec.task, spec.mode, eval_dir / "metrics.json")
        kind = str(metrics["tasks"][spec.task]["details"].get("kind", "closed_set"))
        also = {t: _eval_scalars(metrics, t, spec.mode, eval_dir / "metrics.json")[0] for t in spec.also_tasks}
        results.append(StageResult(stage, run_dir, checkpoint, step_of(checkpoint), eval_dir, scalars, curve, kind,
                                   seconds_train, seconds_eval, also))
    assert run_root is not None
    return StudyResult(spec, results, list(user_overrides), run_root)
