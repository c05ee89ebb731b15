"""Evaluate one checkpoint on an evaluation config: what ``flamkit eval`` and studies both run.

The checkpoint is chosen by the one rule of :func:`flamkit.checkpoints.choose_checkpoint` (a run
folder means its final checkpoint) and the choice is echoed with its reason. Results go to
``metrics.json``, ``metrics.md`` and PNG plots in the output folder and, when a ``tensorboard``
factory is given, to the run's TensorBoard at the checkpoint's step (the caller owns the logger's
kind, so evaluation needs nothing from training).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import torch
from omegaconf import OmegaConf

from flamkit.checkpoints import choose_checkpoint, run_dir_of
from flamkit.config.compose import ConfigError
from flamkit.eval.configs import apply_overrides, list_eval_configs, load_eval_config
from flamkit.eval.holdout_guard import eval_conflicts
from flamkit.eval.inference import AudioLoadError
from flamkit.eval.metrics.ground_truth import GroundTruthError
from flamkit.eval.runner import build_tasks, metrics_document, run_tasks, write_outputs
from flamkit.eval.tasks.base import EvalContext, EvalInputError
from flamkit.inference.loading import LoadedModel, expand_queries, load_checkpoint_model
from flamkit.models.query_expansion import QueryExpansion
from flamkit.run_identity import git_commit


class EvalRunError(Exception):
    """A problem the user fixes (bad path, config, input); the message says what and how."""


@dataclass
class EvalRun:
    loaded: LoadedModel
    doc: dict[str, Any]  # the metrics document written to metrics.json
    out_dir: Path
    tensorboard: Path | None  # the TensorBoard folder written to, if any


def eval_folder_name(name: str, query_expansion: QueryExpansion | None) -> str:
    """``eval/<name>`` of a run; ``<name>+qx`` with query expansion, so both results can sit side by side."""
    return f"{name}+qx" if query_expansion is not None else name


def evaluate_checkpoint(
    checkpoint: str | Path,
    name: str | None,
    overrides: Sequence[str] = (),
    out: Path | None = None,
    device: str = "auto",
    batch_size: int = 16,
    workers: int = 0,
    loader_threads: int = 2,
    tensorboard: Callable[[Path], Any] | None = None,
    echo: Callable[[str], None] = print,
    query_expansion: QueryExpansion | None = None,
) -> EvalRun:
    """Evaluate ``checkpoint`` on eval config ``name`` (None: the run config's ``eval:`` section),
    with every query expanded toward the run's training descriptions if ``query_expansion`` is given."""
    try:
        choice = choose_checkpoint(checkpoint)
        run_dir = run_dir_of(choice.folder)
        if name:
            eval_cfg, cfg_path = load_eval_config(name, list(overrides))
            name = cfg_path.stem  # eval=path/to/x.yaml writes to eval/x
        else:
            section = OmegaConf.load(run_dir / "config.yaml").get("eval") if run_dir else None
            if not section:
                raise EvalRunError(
                    f"name an eval config: eval=NAME (available: {', '.join(list_eval_configs())}); "
                    f"{'the run config has no eval: section' if run_dir else 'the checkpoint is not inside a run folder'}"
                )
            eval_cfg, cfg_path, name = apply_overrides(section, list(overrides)), run_dir / "config.yaml", "config"
        tasks = build_tasks(eval_cfg)
        if run_dir is not None and (run_dir / "config.yaml").is_file():
            run_cfg = OmegaConf.to_container(OmegaConf.load(run_dir / "config.yaml"), resolve=True)
            conflicts = eval_conflicts(OmegaConf.to_container(eval_cfg, resolve=True), run_cfg, str(run_dir))
            if conflicts:
                raise EvalRunError("the evaluation would score labels the model was trained on:\n  - " + "\n  - ".join(conflicts))
    except (ConfigError, EvalInputError, FileNotFoundError) as exc:
        raise EvalRunError(str(exc)) from None
    name = eval_folder_name(name, query_expansion)
    out_dir = out or (run_dir / "eval" / name if run_dir else None)
    if out_dir is None:
        raise EvalRunError(f"checkpoint {choice.folder} is not inside a run folder: give --out DIR for the results")

    device = ("cuda" if torch.cuda.is_available() else "cpu") if device == "auto" else device
    if workers > 1 and not str(device).startswith("cpu"):
        raise EvalRunError(f"--workers {workers} runs CPU processes; on {device} leave it at 0 (batches run on the GPU)")
    echo(choice.describe())
    try:
        loaded = load_checkpoint_model(choice.folder, device)
        expansion = expand_queries(loaded, query_expansion)
    except (ValueError, FileNotFoundError) as exc:
        raise EvalRunError(str(exc)) from None
    if expansion:
        echo(expansion)
    echo(f"evaluating {loaded.checkpoint} (step {loaded.step}) on {device} with eval config {cfg_path}")
    ctx = EvalContext(loaded.model, batch_size=batch_size, workers=workers, loader_threads=loader_threads, log=echo)
    try:
        results = run_tasks(tasks, ctx)
    except (EvalInputError, GroundTruthError, AudioLoadError) as exc:
        raise EvalRunError(str(exc)) from None
    header = {
        "eval": name,
        "eval_config_file": str(cfg_path),
        "checkpoint": str(loaded.checkpoint),
        "step": loaded.step,
        "run": str(run_dir) if run_dir else None,
        "device": str(device),
        "inference": {
            "batch_size": batch_size,
            "workers": workers,
            "query_expansion": asdict(query_expansion) if query_expansion else None,
        },
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "flamkit": git_commit(),
    }
    doc = metrics_document(results, header, eval_cfg)
    tb_dir = run_dir / "tb" if run_dir is not None and tensorboard is not None else None
    tb = tensorboard(tb_dir) if tb_dir is not None else None
    try:
        write_outputs(results, doc, Path(out_dir), tb, loaded.step, tb_prefix=f"eval/{name}")
    finally:
        if tb is not None:
            tb.close()
    return EvalRun(loaded, doc, Path(out_dir), tb_dir)
