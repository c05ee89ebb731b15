"""Run an evaluation config's tasks; write metrics.json, metrics.md, PNG plots and TensorBoard entries.

An evaluation config maps task labels to registered tasks: ``{sed: {name: sed, audio_dir: ...},
clotho: {name: retrieval, manifest: ...}}`` (``flamkit/conf/eval/*.yaml``, or a run config's
``eval:`` section). Every node is checked against its task's signature before anything runs, so a
misspelt key fails at once with the allowed keys listed.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from omegaconf import DictConfig, OmegaConf

import flamkit.eval.tasks  # noqa: F401  (registers the core tasks this module builds)
from flamkit.config.compose import ConfigError
from flamkit.config.checks import EVAL_RESERVED, Slot, build_component, check_component, eval_task_items
from flamkit.eval.tasks.base import EvalContext, EvalInputError, EvalTask, TaskResult
from flamkit.registry import EVAL_TASKS

def eval_slot(label: str, where: str = "eval") -> Slot:
    return Slot(f"{where}.{label}", EVAL_TASKS, reserved=EVAL_RESERVED)


def _plain(node: Any) -> Any:
    return OmegaConf.to_container(node, resolve=True) if isinstance(node, DictConfig) else node


def build_tasks(eval_cfg: Mapping[str, Any], where: str = "eval") -> dict[str, EvalTask]:
    """Check every node, then build every task; problems are reported all at once."""
    items = list(eval_task_items(eval_cfg))
    if not items:
        raise ConfigError(f"{where}: no evaluation tasks configured")
    problems = []
    for label, node in items:
        if isinstance(node, DictConfig):
            missing = [k for k in node if OmegaConf.is_missing(node, k)]
            problems += [f"{where}.{label}.{k}: required; set it on the command line: {label}.{k}=VALUE" for k in missing]
            if missing:
                continue
        problems += check_component(eval_slot(label, where), _plain(node))
    if problems:
        raise ConfigError(f"{len(problems)} problem(s) in the evaluation config:\n  - " + "\n  - ".join(problems))
    tasks = {}
    for label, node in items:
        try:
            tasks[label] = build_component(EVAL_TASKS, _plain(node), eval_slot(label, where))
        except EvalInputError as exc:
            raise EvalInputError(f"{where}.{label}: {exc}") from None
    return tasks


def run_tasks(tasks: Mapping[str, EvalTask], ctx: EvalContext) -> dict[str, TaskResult]:
    """Run each task, printing its messages (bad input, padded/split clips) as they come."""
    results = {}
    for label, task in tasks.items():
        ctx.log(f"[{label}] running {type(task).__name__}")
        t0 = time.perf_counter()
        try:
            result = task.run(ctx)
        except EvalInputError as exc:
            raise EvalInputError(f"{label}: {exc}") from None
        result.details["seconds"] = round(time.perf_counter() - t0, 3)
        for m in result.messages:
            ctx.log(f"[{label}] {m}")
        results[label] = result
    return results


def json_safe(obj: Any) -> Any:
    """Plain JSON: NaN/inf -> null, numpy scalars and arrays -> Python numbers and lists."""
    if isinstance(obj, dict):
        return {str(k): json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return json_safe(obj.tolist())
    if isinstance(obj, (np.floating, float)):
        v = float(obj)
        return v if math.isfinite(v) else None
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, (np.bool_,)):
        return bool(obj)
    if isinstance(obj, Path):
        return str(obj)
    return obj


def flat_scalars(results: Mapping[str, TaskResult]) -> dict[str, float]:
    return {f"{label}/{k}": float(v) for label, r in results.items() for k, v in r.scalars.items()}


def metrics_document(results: Mapping[str, TaskResult], header: Mapping[str, Any], tasks_cfg: Mapping[str, Any]) -> dict:
    """The content of metrics.json: header (what was evaluated), flat scalars, then per task all of it."""
    return json_safe(
        {
            **header,
            "scalars": flat_scalars(results),
            "tasks": {
                label: {
                    "config": _plain(tasks_cfg.get(label, {})),
                    "scalars": r.scalars,
                    "messages": r.messages,
                    "details": r.details,
                }
                for label, r in results.items()
            },
        }
    )


def _fmt(v: Any) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "n/a"
    return f"{v:.4f}" if isinstance(v, float) else str(v)


def markdown(doc: Mapping[str, Any]) -> str:
    """metrics.md: one table per task (rows: scoring modes or the task itself; columns: metrics)."""
    lines = [f"# Evaluation `{doc.get('eval', '?')}`", ""]
    if doc.get("checkpoint"):
        lines += [f"checkpoint `{doc['checkpoint']}` (step {doc.get('step')})", ""]
    for label, task in doc["tasks"].items():
        name = (task.get("config") or {}).get("name", "?")
        lines += [f"## {label} (`{name}`)", ""]
        rows: dict[str, dict[str, Any]] = {}
        for key, v in task["scalars"].items():
            row, _, col = key.rpartition("/")
            rows.setdefault(row or label, {})[col] = v
        cols = list(dict.fromkeys(c for r in rows.values() for c in r))
        lines.append("| | " + " | ".join(cols) + " |")
        lines.append("|---" * (len(cols) + 1) + "|")
        for row, vals in rows.items():
            lines.append(f"| {row} | " + " | ".join(_fmt(vals.get(c)) for c in cols) + " |")
        if task["messages"]:
            lines += ["", "Notes:"] + [f"- {m}" for m in task["messages"]]
        lines.append("")
    return "\n".join(lines)


def write_outputs(
    results: Mapping[str, TaskResult], doc: Mapping[str, Any], out_dir: Path, tb: Any = None, step: int = 0, tb_prefix: str = "eval"
) -> list[Path]:
    """metrics.json, metrics.md and one PNG per figure in ``out_dir``; the same scalars and figures in
    ``tb`` (a :class:`~flamkit.train.tb.TBLogger`) under ``tb_prefix/<task>/...`` at ``step``."""
    import matplotlib.pyplot as plt

    out_dir.mkdir(parents=True, exist_ok=True)
    written = [out_dir / "metrics.json", out_dir / "metrics.md"]
    written[0].write_text(json.dumps(doc, indent=1, allow_nan=False))
    written[1].write_text(markdown(doc))
    if tb is not None:
        tb.scalars({f"{tb_prefix}/{k}": v for k, v in flat_scalars(results).items() if math.isfinite(v)}, step)
    for label, r in results.items():
        for name, fig in r.figures.items():
            path = out_dir / f"{label}_{name}.png"
            fig.savefig(path, dpi=100)
            written.append(path)
            if tb is not None:
                tb.figure(f"{tb_prefix}/{label}/{name}", fig, step)  # closes it
            else:
                plt.close(fig)
    if tb is not None:
        tb.flush()
    return written
