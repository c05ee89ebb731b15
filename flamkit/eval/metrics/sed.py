"""The paper's closed-set SED metrics (C.7) on frame scores: PSDS1, MPAUC and segment AUROC.

Each metric runs on one of two engines that give the same numbers (tests prove it):

- ``"sed_scores_eval"``: the reference package, called as DCASE baselines call it;
- ``"native"``: vectorised numpy (:mod:`~flamkit.eval.metrics.psds`, :mod:`~flamkit.eval.metrics.roc`)
  for sets where the reference is too slow or too memory-hungry (10,000 clips x 400 classes).

``engine="auto"`` uses the reference up to :data:`REFERENCE_MAX_CELLS` (clips x classes) and the
native engine above. Classes without any ground-truth event cannot be scored (sed_scores_eval
asserts): they are left out and listed in the result, never dropped silently.

Scores come in already computed (either scoring mode, already median-filtered if wanted:
:func:`~flamkit.eval.metrics.frame_scores.median_filter_scores`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from flamkit.eval.metrics.frame_scores import FrameScores
from flamkit.eval.metrics.ground_truth import GroundTruth
from flamkit.eval.metrics.psds import PsdsResult, psds_native
from flamkit.eval.metrics.roc import segment_auroc_native

# PSDS1 as in C.7 (and DCASE): DTC 0.7, GTC 0.7, alpha_ST 1, alpha_CT 0, e_max 100 per hour.
PSDS1 = {"dtc_threshold": 0.7, "gtc_threshold": 0.7, "alpha_st": 1.0, "max_efpr": 100.0}
MPAUC_SEGMENT_LENGTH = 1.0
MPAUC_MAX_FPR = 0.1
REFERENCE_MAX_CELLS = 50_000  # clips x classes up to which engine="auto" uses sed_scores_eval


@dataclass
class AurocResult:
    """Mean over classes with a defined AUROC, per-class values, and what was left out and why."""

    mean: float
    per_class: dict[str, float]
    engine: str
    excluded_classes: list[str] = field(default_factory=list)  # no ground truth at all
    undefined_classes: list[str] = field(default_factory=list)  # positive in every segment: no FPR


def default_durations(scores: FrameScores) -> dict[str, float]:
    """Each clip's scored span (frames x hop), for sets without a durations table."""
    return {f: float(n) * scores.hop for f, n in zip(scores.files, scores.lengths)}


def _prepare(scores: FrameScores, ground_truth: GroundTruth, durations: dict[str, float] | None):
    """Check files and labels match, drop (and list) classes without ground truth."""
    gt_files, sc_files = set(ground_truth), set(scores.files)
    if gt_files != sc_files:
        missing, extra = sorted(gt_files - sc_files), sorted(sc_files - gt_files)
        raise ValueError(
            f"scored clips and ground-truth files differ: {len(missing)} ground-truth file(s) not scored "
            f"(e.g. {missing[:3]}), {len(extra)} scored clip(s) without ground truth (e.g. {extra[:3]}). "
            "Score exactly the ground-truth files (sanitize_ground_truth reports missing audio); list "
            "clips without events in the TSV with empty onset/offset/label."
        )
    classes = set(scores.classes)
    present = {label for events in ground_truth.values() for _, _, label in events}
    unknown = sorted(present - classes)
    if unknown:
        raise ValueError(f"ground-truth labels that are not scored classes: {unknown[:10]} (sanitize_ground_truth(classes=...) excludes and reports them)")
    for f, events in ground_truth.items():
        last: dict[str, float] = {}
        for onset, offset, label in sorted(events, key=lambda e: (e[2], e[0])):
            if label in last and onset <= last[label]:
                raise ValueError(
                    f"{f!r}: overlapping or touching {label!r} events (at {onset} s); "
                    "run sanitize_ground_truth first, which merges them and reports it"
                )
            last[label] = offset
    excluded = [c for c in scores.classes if c not in present]
    kept = [c for c in scores.classes if c in present]
    if not kept:
        raise ValueError("no scored class has a ground-truth event")
    if excluded:
        scores = scores.select_classes(kept)
    durations = default_durations(scores) if durations is None else durations
    missing_d = [f for f in scores.files if f not in durations]
    if missing_d:
        raise ValueError(f"no duration for {len(missing_d)} clip(s), e.g. {missing_d[:3]}")
    return scores, durations, excluded


def _choose(engine: str, engines: dict[str, Callable], scores: FrameScores) -> str:
    if engine == "auto":
        return "sed_scores_eval" if scores.n_files * len(scores.classes) <= REFERENCE_MAX_CELLS else "native"
    if engine not in engines:
        raise ValueError(f"unknown engine {engine!r}; choose from {sorted(engines)} or 'auto'")
    return engine


# --- PSDS ---------------------------------------------------------------------------------------
def _psds_reference(scores, ground_truth, durations, *, dtc_threshold, gtc_threshold, alpha_st, max_efpr) -> PsdsResult:
    from sed_scores_eval import intersection_based

    value, per_class, (etpr, efpr), _ = intersection_based.psds(
        scores.to_sed_scores_eval(),
        {f: [tuple(e) for e in ground_truth[f]] for f in scores.files},
        {f: durations[f] for f in scores.files},
        dtc_threshold=dtc_threshold,
        gtc_threshold=gtc_threshold,
        cttc_threshold=None,
        alpha_ct=0.0,
        alpha_st=alpha_st,
        max_efpr=max_efpr,
    )
    return PsdsResult(float(value), {k: float(v) for k, v in per_class.items()}, etpr, efpr, "sed_scores_eval")


def _psds_native(scores, ground_truth, durations, **kw) -> PsdsResult:
    return psds_native(scores, ground_truth, durations, **kw)


PSDS_ENGINES: dict[str, Callable[..., PsdsResult]] = {"sed_scores_eval": _psds_reference, "native": _psds_native}


def psds(
    scores: FrameScores,
    ground_truth: GroundTruth,
    durations: dict[str, float] | None = None,
    *,
    dtc_threshold: float = PSDS1["dtc_threshold"],
    gtc_threshold: float = PSDS1["gtc_threshold"],
    alpha_st: float = PSDS1["alpha_st"],
    max_efpr: float = PSDS1["max_efpr"],
    engine: str = "auto",
) -> PsdsResult:
    """Intersection-based PSDS without cross-triggers (alpha_CT = 0); defaults give PSDS1.

    ``durations`` (seconds per clip) default to each clip's scored span. eFPR is per hour.
    """
    scores, durations, excluded = _prepare(scores, ground_truth, durations)
    name = _choose(engine, PSDS_ENGINES, scores)
    result = PSDS_ENGINES[name](
        scores, ground_truth, durations, dtc_threshold=dtc_threshold, gtc_threshold=gtc_threshold, alpha_st=alpha_st, max_efpr=max_efpr
    )
    result.excluded_classes = excluded
    return result


# --- segment-based AUROC ------------------------------------------------------------------------
def _auroc_reference(scores, ground_truth, durations, *, segment_length, max_fpr) -> dict[str, float]:
    from sed_scores_eval import segment_based

    per_class, _ = segment_based.auroc(
        scores.to_sed_scores_eval(),
        {f: [tuple(e) for e in ground_truth[f]] for f in scores.files},
        {f: durations[f] for f in scores.files},
        segment_length=segment_length,
        max_fpr=max_fpr,
    )
    return {c: float(per_class[c]) for c in scores.classes}


def _auroc_native(scores, ground_truth, durations, *, segment_length, max_fpr) -> dict[str, float]:
    return segment_auroc_native(scores, ground_truth, durations, segment_length=segment_length, max_fpr=max_fpr)


AUROC_ENGINES: dict[str, Callable[..., dict[str, float]]] = {"sed_scores_eval": _auroc_reference, "native": _auroc_native}


def segment_auroc(
    scores: FrameScores,
    ground_truth: GroundTruth,
    durations: dict[str, float] | None = None,
    *,
    segment_length: float | None = None,
    max_fpr: float | None = None,
    engine: str = "auto",
) -> AurocResult:
    """Segment-based ROC AUC per class and its mean (sed_scores_eval ``segment_based.auroc``).

    ``segment_length`` defaults to the frame hop (C.7's AUROC: 0.3125 s for L = 32). A segment's
    score is the max over the frames overlapping it; it is positive when an event overlaps it.
    With ``max_fpr`` the partial area is divided by ``max_fpr`` (no McClish correction; see
    :mod:`flamkit.eval.metrics.roc`). Classes positive in every segment have no ROC: they are
    listed in ``undefined_classes`` and left out of the mean (sed_scores_eval would return NaN).
    """
    scores, durations, excluded = _prepare(scores, ground_truth, durations)
    name = _choose(engine, AUROC_ENGINES, scores)
    seg = scores.hop if segment_length is None else float(segment_length)
    per_class = AUROC_ENGINES[name](scores, ground_truth, durations, segment_length=seg, max_fpr=max_fpr)
    undefined = [c for c, v in per_class.items() if not np.isfinite(v)]
    defined = [v for v in per_class.values() if np.isfinite(v)]
    mean = float(np.mean(defined)) if defined else float("nan")
    return AurocResult(mean, per_class, name, excluded, undefined)


def mpauc(
    scores: FrameScores,
    ground_truth: GroundTruth,
    durations: dict[str, float] | None = None,
    *,
    segment_length: float = MPAUC_SEGMENT_LENGTH,
    max_fpr: float = MPAUC_MAX_FPR,
    engine: str = "auto",
) -> AurocResult:
    """MPAUC (MAESTRO's metric, C.7): mean over classes of the 1 s segment-based partial AUROC up to FPR 0.1."""
    return segment_auroc(scores, ground_truth, durations, segment_length=segment_length, max_fpr=max_fpr, engine=engine)
