"""A study's claims, checked against its measured numbers (never asserted as fixed text).

* ``above``: ``model``'s ``metric`` exceeds ``baseline``'s by at least ``margin``
  (FLAM's frame AUROC far above FLAM-Global's, Table 1);
* ``calibrated``: ``model``'s F1 at the fixed threshold 0.5 is within ``tolerance`` of its best F1
  over all thresholds: the unbiased classifier's decision boundary is 0.5 for every text (eq. 7, §5.3);
* ``worse_calibrated``: ``model`` loses more F1 at 0.5 against its best than ``than`` does
  (Fig. 3: without per-text bias, F1 depends on picking a threshold).
"""

from __future__ import annotations

from dataclasses import dataclass

from flamkit.study.spec import Claim

METRIC_NAMES = {
    "psds1": "PSDS1",
    "psds1_class_mean": "PSDS1 class mean",
    "mpauc": "MPAUC",
    "auroc": "AUROC (segments)",
    "present_auroc": "frame AUROC",
    "present_auroc_label_mean": "frame AUROC (label mean)",
    "auroc_with_absent": "frame AUROC (+absent)",
    "spearman": "Spearman rho",
    "best_f1": "best F1",
    "best_f1_threshold": "at threshold",
    "f1@0.5": "F1@0.5",
    "precision@0.5": "P@0.5",
    "recall@0.5": "R@0.5",
    "calibration_gap": "best F1 - F1@0.5",
}


def calibration_gap(scalars: dict[str, float]) -> float:
    """F1 lost by deciding at 0.5 instead of the best threshold (0 for a perfectly placed boundary)."""
    return float(scalars["best_f1"] - scalars["f1@0.5"])


@dataclass(frozen=True)
class Outcome:
    claim: Claim
    holds: bool
    statement: str  # the claim with the measured numbers in it


def check_claims(claims: tuple[Claim, ...], scalars: dict[str, dict[str, float]], labels: dict[str, str]) -> list[Outcome]:
    """Each claim evaluated on ``scalars[stage][metric]``; the statement quotes the numbers it used."""
    out = []
    for c in claims:
        a = c.args
        if c.kind == "above":
            m, b = scalars[a["model"]][a["metric"]], scalars[a["baseline"]][a["metric"]]
            holds = m - b >= float(a["margin"]) - 1e-9  # inclusive, despite float rounding
            name = METRIC_NAMES.get(a["metric"], a["metric"])
            text = (f"{labels[a['model']]}'s {name} {m:.3f} vs {labels[a['baseline']]}'s {b:.3f}: "
                    f"{m - b:+.3f} (claim: at least {float(a['margin']):+.3f})")
        elif c.kind == "calibrated":
            s = scalars[a["model"]]
            gap = calibration_gap(s)
            holds = gap <= float(a["tolerance"]) + 1e-9
            text = (f"{labels[a['model']]}: F1@0.5 {s['f1@0.5']:.3f} vs best F1 {s['best_f1']:.3f} at threshold "
                    f"{s['best_f1_threshold']:.2f}: {gap:.3f} lost at 0.5 (claim: at most {float(a['tolerance']):.3f})")
        else:  # worse_calibrated
            gm, gt = calibration_gap(scalars[a["model"]]), calibration_gap(scalars[a["than"]])
            holds = gm > gt
            text = (f"{labels[a['model']]} loses {gm:.3f} F1 at threshold 0.5 (best at "
                    f"{scalars[a['model']]['best_f1_threshold']:.2f}), {labels[a['than']]} {gt:.3f} "
                    f"(claim: {labels[a['model']]} loses more)")
        if a.get("text"):
            text = f"{a['text']}: {text}"
        out.append(Outcome(c, bool(holds), text))
    return out
