"""A study's report: ``<run root>/studies/<name>/report.md``, ``summary.json`` and the figures.

Every number in it is read from the stages' ``metrics.json``; the claims are checked against those
numbers (:mod:`flamkit.study.claims`), so a report can say that a claim does not hold.
"""

from __future__ import annotations

import dataclasses
import json
import os
import platform
from pathlib import Path
from typing import Sequence

from flamkit.study.claims import METRIC_NAMES, Outcome, calibration_gap, check_claims
from flamkit.study.runner import StudyResult

COLUMNS = ("psds1", "psds1_class_mean", "mpauc", "auroc", "present_auroc", "present_auroc_label_mean",
           "auroc_with_absent", "spearman", "best_f1", "best_f1_threshold",
           "f1@0.5", "precision@0.5", "recall@0.5", "calibration_gap")


def report_dir(result: StudyResult) -> Path:
    return result.run_root / "studies" / result.spec.name


def table_rows(result: StudyResult, task: str | None = None) -> tuple[list[str], list[list[str]]]:
    """Markdown table cells: one row per stage, the columns its evaluation produced, 3 decimals.

    ``task``: one of the study's ``also_tasks`` instead of its main task.
    """
    scalars_of = (lambda r: r.scalars) if task is None else (lambda r: r.also[task])
    have = [c for c in COLUMNS if c == "calibration_gap" or all(c in scalars_of(r) for r in result.stages)]
    header = ["model", *(METRIC_NAMES[c] for c in have), "steps"]
    rows = []
    for r in result.stages:
        values = {**scalars_of(r), "calibration_gap": calibration_gap(scalars_of(r))}
        cells = [f"{values[c]:.2f}" if c == "best_f1_threshold" else f"{values[c]:.3f}" for c in have]
        rows.append([r.stage.label, *cells, str(r.step)])
    return header, rows


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _legend(result: StudyResult) -> str:
    closed = result.stages[0].kind == "closed_set"
    text = (
        "Frame AUROC: over the frames of every event a clip contains (§5.2); Spearman rho: per event (C.11); "
        + ("PSDS1, MPAUC, AUROC (segments): every clip scored against every class (C.7); F1, precision, recall: "
           "over all (frame, class) pairs; " if closed else "F1, precision, recall: frame-wise over those events; ")
        + "best F1 - F1@0.5: what deciding at 0.5 costs against the best threshold chosen on this very set (0 = calibrated)."
    )
    return text


_ALSO_LEGEND = (
    "Open vocabulary (§5.2, Table 1) where the task says so: each clip scored on its own labels plus sampled absent "
    "ones; frame AUROC over the present events' frames, frame AUROC (+absent) and F1/P/R over present and absent pairs."
)


def outcomes(result: StudyResult) -> list[Outcome]:
    return check_claims(
        result.spec.claims, {r.stage.name: r.scalars for r in result.stages}, {r.stage.name: r.stage.label for r in result.stages}
    )


def write_report(result: StudyResult, extra_sections: Sequence[str] = (), examples: int | None = None,
                 folder: Path | None = None) -> Path:
    """Write the report folder (default :func:`report_dir`); returns the path of ``report.md``."""
    from flamkit.study.figures import curves_figure, examples_figures
    from flamkit.run_identity import git_commit

    folder = report_dir(result) if folder is None else Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    spec = result.spec
    curves = curves_figure(result, folder / "f1_precision_recall.png")
    count = spec.examples if examples is None else examples
    example_paths = examples_figures(result, folder, count) if count else []
    claims = outcomes(result)
    header, rows = table_rows(result)
    git = git_commit()
    lines = [
        f"# Study `{spec.name}`",
        "",
        spec.description,
        "",
        f"Evaluation `{spec.eval}` (task `{spec.task}`, `{spec.mode}` scores), each model at its final checkpoint"
        + (f", every query expanded toward the model's training descriptions ({spec.query_expansion.describe()}; "
           "flamkit/models/query_expansion.py)." if spec.query_expansion else "."),
        f"Study file `{spec.path.name}`; overrides: `{' '.join([*spec.overrides, *result.overrides]) or 'none'}`; "
        f"flamkit {git['commit'] or 'unknown'}{' (uncommitted changes)' if git['dirty'] else ''}; "
        f"{platform.machine()}, {os.cpu_count()} CPU cores.",
        "",
        "## Metrics",
        "",
        markdown_table(header, rows),
        "",
        _legend(result),
        "",
    ]
    for task in spec.also_tasks:
        lines += [f"### Task `{task}`", "", markdown_table(*table_rows(result, task)), "", _ALSO_LEGEND, ""]
    if claims:
        lines += ["## Claims, checked against the numbers above", ""]
        lines += [f"- **{'holds' if o.holds else 'does NOT hold'}**: {o.statement}" for o in claims]
        lines += [""]
    lines += ["## F1, precision and recall against the threshold", "", f"![curves]({curves.name})", ""]
    if example_paths:
        lines += ["## Example detections on held-out clips", ""]
        lines += [f"![example {i}]({p.name})" for i, p in enumerate(example_paths)]
        lines += [""]
    lines += list(extra_sections)
    lines += ["## Runs", "", "| model | run folder | checkpoint | train s | eval s |", "|---|---|---|---|---|"]
    lines += [f"| {r.stage.label} | `{r.run_dir}` | `{r.checkpoint.name}` | {r.seconds_train:.0f} | {r.seconds_eval:.0f} |"
              for r in result.stages]
    lines += ["", f"TensorBoard: `tensorboard --logdir {result.run_root}`", ""]
    path = folder / "report.md"
    path.write_text("\n".join(lines))
    summary = {
        "study": spec.name,
        "eval": spec.eval,
        "task": spec.task,
        "mode": spec.mode,
        "query_expansion": dataclasses.asdict(spec.query_expansion) if spec.query_expansion else None,
        "overrides": [*spec.overrides, *result.overrides],
        "git": git,
        "models": {
            r.stage.name: {"label": r.stage.label, "run": str(r.run_dir), "checkpoint": str(r.checkpoint), "step": r.step,
                           "scalars": r.scalars, "calibration_gap": calibration_gap(r.scalars),
                           "also": {t: {**v, "calibration_gap": calibration_gap(v)} for t, v in r.also.items()}}
            for r in result.stages
        },
        "claims": [{"kind": o.claim.kind, **o.claim.args, "holds": o.holds, "statement": o.statement} for o in claims],
        **result.extra,
    }
    (folder / "summary.json").write_text(json.dumps(summary, indent=2, default=str))
    return path
