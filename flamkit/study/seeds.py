"""A study over several seeds: mean and spread of every number, and how often each claim holds.

Why: a study's claims are comparisons between single runs, and on debian-sfx one of the three models
(FLAM-Global) moves by 0.02-0.04 frame AUROC between seeds while FLAM moves by 0.005, so whether
"FLAM beats FLAM-Global by 0.10" holds depended on the seed (docs/results.md, tenth session).
``flamkit study NAME --seeds 0,1,2`` runs the study once per seed (``seed=S`` on every stage; each
seed's report in ``studies/NAME/seed-S/``) and writes ``studies/NAME/seeds.md`` and ``seeds.json``:
per model and column the mean, the sample standard deviation (n - 1) and the range, and each claim
with the seeds at which it holds.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from flamkit.study.claims import METRIC_NAMES, Outcome, calibration_gap
from flamkit.study.report import COLUMNS, markdown_table, outcomes, report_dir
from flamkit.study.runner import StudyResult
from flamkit.study.spec import Claim


def parse_seeds(text: str) -> list[int]:
    """``"0,1,2"`` or ``"0-4"`` (or both, ``"0-2,7"``) -> distinct seeds in the order given."""
    seeds: list[int] = []
    for part in (p.strip() for p in text.split(",")):
        m = re.fullmatch(r"(\d+)(?:-(\d+))?", part)
        if m is None or (m.group(2) is not None and int(m.group(2)) < int(m.group(1))):
            raise ValueError(f"--seeds: {part!r} is not a seed or a range A-B with A <= B (e.g. --seeds 0,1,2 or --seeds 0-2)")
        seeds += list(range(int(m.group(1)), int(m.group(2) or m.group(1)) + 1))
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"--seeds: {text!r} names a seed twice")
    if len(seeds) < 2:
        raise ValueError("--seeds: give at least two seeds (one seed is a plain `flamkit study NAME seed=S`)")
    return seeds


@dataclass(frozen=True)
class Spread:
    mean: float
    sd: float  # sample standard deviation (n - 1)
    low: float
    high: float

    @classmethod
    def of(cls, values: Sequence[float]) -> "Spread":
        n = len(values)
        mean = math.fsum(values) / n
        sd = math.sqrt(math.fsum((v - mean) ** 2 for v in values) / (n - 1)) if n > 1 else 0.0
        return cls(mean, sd, min(values), max(values))


def seed_report_dir(result: StudyResult, seed: int) -> Path:
    """Where one seed's own report goes: ``studies/NAME/seed-S/``."""
    return report_dir(result) / f"seed-{seed}"


def _values(result: StudyResult, task: str | None) -> dict[str, dict[str, float]]:
    out = {}
    for r in result.stages:
        scalars = r.scalars if task is None else r.also[task]
        out[r.stage.name] = {**scalars, "calibration_gap": calibration_gap(scalars)}
    return out


def spreads(results: dict[int, StudyResult], task: str | None = None) -> dict[str, dict[str, Spread]]:
    """stage -> column -> Spread over the seeds, for the columns every seed's evaluation produced."""
    per_seed = {s: _values(r, task) for s, r in results.items()}
    first = next(iter(per_seed.values()))
    out: dict[str, dict[str, Spread]] = {}
    for stage, cols in first.items():
        keep = [c for c in COLUMNS if c in cols and all(c in per_seed[s][stage] for s in per_seed)]
        out[stage] = {c: Spread.of([per_seed[s][stage][c] for s in per_seed]) for c in keep}
    return out


def describe(claim: Claim, labels: dict[str, str]) -> str:
    """A claim in words without numbers: its ``text``, else what its kind checks."""
    a = claim.args
    if a.get("text"):
        return str(a["text"])
    if claim.kind == "above":
        return (f"{labels[a['model']]}'s {METRIC_NAMES.get(a['metric'], a['metric'])} at least "
                f"{float(a['margin']):+.3f} over {labels[a['baseline']]}'s")
    if claim.kind == "calibrated":
        return f"{labels[a['model']]} loses at most {float(a['tolerance']):.3f} F1 at 0.5"
    return f"{labels[a['model']]} loses more F1 at 0.5 than {labels[a['than']]}"


def claim_tally(results: dict[int, StudyResult], checked: dict[int, list[Outcome]] | None = None
                ) -> list[tuple[str, list[int], list[int]]]:
    """Each claim in words (:func:`describe`), with the seeds where it holds and those where it does not.

    ``checked``: each seed's :func:`~flamkit.study.report.outcomes`, when the caller has them already."""
    checked = checked or {s: outcomes(r) for s, r in results.items()}
    tally: list[tuple[str, list[int], list[int]]] = []
    for seed, result in results.items():
        labels = {r.stage.name: r.stage.label for r in result.stages}
        for n, o in enumerate(checked[seed]):
            if n == len(tally):
                tally.append((describe(o.claim, labels), [], []))
            (tally[n][1] if o.holds else tally[n][2]).append(seed)
    return tally


def _table(results: dict[int, StudyResult], sp: dict[str, dict[str, Spread]]) -> str:
    first = next(iter(results.values()))
    labels = {r.stage.name: r.stage.label for r in first.stages}
    columns = [c for c in COLUMNS if all(c in cols for cols in sp.values())]
    header = ["model", *(METRIC_NAMES[c] for c in columns)]
    rows = [[labels[stage], *(f"{sp[stage][c].mean:.3f} ± {sp[stage][c].sd:.3f}" for c in columns)] for stage in sp]
    return markdown_table(header, rows)


def write_seed_report(results: dict[int, StudyResult]) -> Path:
    """``studies/NAME/seeds.md`` and ``seeds.json`` over the seeds' results; returns the .md path."""
    seeds = list(results)
    first = results[seeds[0]]
    spec = first.spec
    folder = report_dir(first)
    folder.mkdir(parents=True, exist_ok=True)
    by_task = {None: spreads(results), **{t: spreads(results, t) for t in spec.also_tasks}}
    checked = {s: outcomes(r) for s, r in results.items()}
    lines = [
        f"# Study `{spec.name}` over seeds {', '.join(map(str, seeds))}",
        "",
        f"Evaluation `{spec.eval}` (task `{spec.task}`, `{spec.mode}` scores), final checkpoints. Each cell: mean ± "
        f"sample standard deviation over {len(seeds)} seeds; every stage trained with `seed=S`. Each seed's own "
        "report is in `seed-S/report.md`.",
        "",
        _table(results, by_task[None]),
        "",
    ]
    for task in spec.also_tasks:
        lines += [f"### Task `{task}`", "", _table(results, by_task[task]), ""]
    tally = claim_tally(results, checked)
    if tally:
        lines += ["## Claims, per seed", ""]
        for text, held, failed in tally:
            verdict = "holds at every seed" if not failed else "does NOT hold at any seed" if not held else (
                f"holds at {len(held)} of {len(seeds)} seeds")
            lines.append(f"- **{verdict}**: {text} (holds: {held or 'none'}; does not: {failed or 'none'})")
        lines.append("")
    path = folder / "seeds.md"
    path.write_text("\n".join(lines))
    summary = {
        "study": spec.name,
        "seeds": seeds,
        "eval": spec.eval,
        "task": spec.task,
        "mode": spec.mode,
        "spread": {stage: {c: vars(s) for c, s in cols.items()} for stage, cols in by_task[None].items()},
        "also": {t: {stage: {c: vars(s) for c, s in cols.items()} for stage, cols in by_task[t].items()}
                 for t in spec.also_tasks},
        "claims": [{"claim": text, "holds_at": held, "fails_at": failed,
                    "per_seed": {s: checked[s][n].statement for s in results}}
                   for n, (text, held, failed) in enumerate(tally)],
        "reports": {s: str(seed_report_dir(r, s) / "report.md") for s, r in results.items()},
    }
    (folder / "seeds.json").write_text(json.dumps(summary, indent=2))
    return path
