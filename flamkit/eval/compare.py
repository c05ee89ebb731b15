"""One table across runs: the config keys in which they differ and their metrics, best value marked.

How a lab member reads an ablation sweep. Each run folder contributes its ``config.yaml`` (the
identity keys of :mod:`flamkit.run_identity`, flattened) and its metrics: the scalars of every
``<run>/eval/<name>/metrics.json``, or, for a run never evaluated, the last value of each ``val/``
scalar in its TensorBoard log. A metric's best value is the highest, or the lowest for losses and
error rates (:func:`metric_direction`); quantities that are not scores (thresholds, counts) are
shown but never ranked.
"""

from __future__ import annotations

import csv
import fnmatch
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from omegaconf import OmegaConf

from flamkit.run_identity import flatten, identity

MISSING = "-"
# Last path component of a metric name -> direction. Checked in order; the first match wins.
_LOWER = ("loss", "error", "eer", "efpr", "fpr", "medr", "mean_rank", "median_rank")
_UNRANKED = ("threshold", "seconds", "count", "step")  # and names starting with n_ (counts)
_HIGHER = ("psds", "auroc", "auc", "spearman", "f1", "precision", "recall", "r@", "map", "top", "accuracy", "acc")


def metric_direction(name: str) -> int:
    """+1 when higher is better, -1 when lower is better, 0 when the quantity is not ranked."""
    leaf = name.rsplit("/", 1)[-1].lower()
    if leaf.startswith("n_") or any(u in leaf for u in _UNRANKED):
        return 0
    if any(x in leaf for x in _LOWER):
        return -1
    if any(h in leaf for h in _HIGHER):
        return 1
    return 0


@dataclass
class RunEntry:
    name: str
    path: Path
    config: dict[str, Any]
    metrics: dict[str, float]
    source: str  # where the metrics came from
    notes: list[str] = field(default_factory=list)


class CompareError(ValueError):
    """A run folder that cannot be compared; the message names it."""


def _eval_metrics(run: Path, eval_name: str | None) -> tuple[dict[str, float], str]:
    files = sorted((run / "eval").glob("*/metrics.json")) if (run / "eval").is_dir() else []
    if eval_name is not None:
        files = [f for f in files if f.parent.name == eval_name]
    out: dict[str, float] = {}
    for f in files:
        try:
            doc = json.loads(f.read_text())
        except json.JSONDecodeError as exc:
            raise CompareError(f"{f}: not valid JSON ({exc}); re-run flamkit eval") from None
        prefix = "" if eval_name is not None else f"{f.parent.name}/"
        for k, v in (doc.get("scalars") or {}).items():
            out[prefix + k] = float("nan") if v is None else float(v)
    names = ", ".join(f.parent.name for f in files)
    return out, f"eval: {names}" if files else ""


def _tensorboard_metrics(run: Path, prefix: str = "val/") -> dict[str, float]:
    """Last value (highest step) of every ``val/`` scalar in ``<run>/tb``."""
    tb = run / "tb"
    if not tb.is_dir():
        return {}
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(tb), size_guidance={"scalars": 0})
    acc.Reload()
    out = {}
    for tag in acc.Tags().get("scalars", []):
        if tag.startswith(prefix):
            events = acc.Scalars(tag)
            if events:
                out[tag] = float(max(events, key=lambda e: (e.step, e.wall_time)).value)
    return out


def load_run(path: str | Path, eval_name: str | None = None) -> RunEntry:
    run = Path(path).expanduser()
    cfg_file = run / "config.yaml"
    if not cfg_file.is_file():
        raise CompareError(f"{run}: not a run folder (no config.yaml); give runs/EXPERIMENT/RUN folders")
    config = flatten(identity(OmegaConf.to_container(OmegaConf.load(cfg_file), resolve=False)))
    metrics, source = _eval_metrics(run, eval_name)
    notes = []
    if not metrics:
        metrics = _tensorboard_metrics(run)
        source = "tensorboard (last val/ scalars)" if metrics else "none"
        if eval_name is not None:
            notes.append(f"{run}: no eval/{eval_name}/metrics.json; using {source}")
    return RunEntry(f"{run.parent.name}/{run.name}", run, config, metrics, source, notes)


@dataclass
class Table:
    runs: list[RunEntry]
    keys: list[str]  # differing config keys
    metrics: list[str]
    best: dict[str, set[int]]  # metric -> indices of runs holding its best value
    unranked: list[str]

    def config_value(self, i: int, key: str) -> str:
        v = self.runs[i].config.get(key, MISSING)
        return json.dumps(v) if isinstance(v, (list, dict)) else str(v)

    def metric_value(self, i: int, metric: str) -> float | None:
        return self.runs[i].metrics.get(metric)


def build_table(runs: list[RunEntry], patterns: list[str] | None = None) -> Table:
    """Differing config keys (in config order) and the metrics matching ``patterns`` (fnmatch; all when None)."""
    keys: list[str] = []
    for r in runs:
        keys += [k for k in r.config if k not in keys]
    differing = [k for k in keys if len({json.dumps(r.config.get(k, MISSING), sort_keys=True, default=str) for r in runs}) > 1]
    metrics: list[str] = []
    for r in runs:
        metrics += [m for m in r.metrics if m not in metrics]
    if patterns:
        metrics = [m for m in metrics if any(fnmatch.fnmatchcase(m, p) or fnmatch.fnmatchcase(m.split("/", 1)[-1], p) for p in patterns)]
    best: dict[str, set[int]] = {}
    unranked = []
    for m in metrics:
        direction = metric_direction(m)
        values = [(i, r.metrics.get(m)) for i, r in enumerate(runs)]
        values = [(i, v) for i, v in values if v is not None and math.isfinite(v)]
        if direction == 0:
            unranked.append(m)
            continue
        if values:
            target = max(v * direction for _, v in values)
            best[m] = {i for i, v in values if v * direction == target}
    return Table(runs, differing, metrics, best, unranked)


def _fmt(v: float | None) -> str:
    if v is None or not math.isfinite(v):
        return "n/a"
    return f"{v:.4f}"


def to_markdown(table: Table) -> str:
    head = ["run", *table.keys, *table.metrics]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for i, r in enumerate(table.runs):
        cells = [r.name] + [table.config_value(i, k) for k in table.keys]
        for m in table.metrics:
            s = _fmt(table.metric_value(i, m)) if m in r.metrics else MISSING
            cells.append(f"**{s}**" if i in table.best.get(m, set()) else s)
        lines.append("| " + " | ".join(cells) + " |")
    notes = ["", "Bold: best per metric (lowest for losses and error rates, highest otherwise); "
             f"n/a: undefined for that run; {MISSING}: not measured."]
    if table.unranked:
        notes.append(f"Not ranked: {', '.join(table.unranked)}.")
    if not table.keys:
        notes.append("The runs' configs do not differ in any identity key.")
    notes += [f"{r.name}: metrics from {r.source}" for r in table.runs]
    for r in table.runs:
        notes += r.notes
    return "\n".join(lines + notes)


def write_csv(table: Table, path: Path) -> None:
    """Plain values; ``best_in`` lists the metrics for which the row holds the best value."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["run", "path", *table.keys, *table.metrics, "best_in"])
        for i, r in enumerate(table.runs):
            values = ["" if (v := table.metric_value(i, m)) is None or not math.isfinite(v) else repr(v) for m in table.metrics]
            best_in = ";".join(m for m in table.metrics if i in table.best.get(m, set()))
            w.writerow([r.name, str(r.path), *[table.config_value(i, k) for k in table.keys], *values, best_in])
