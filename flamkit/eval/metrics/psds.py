"""PSDS without cross-triggers (alpha_CT = 0), exact and scalable.

sed_scores_eval computes PSDS per (clip, class) in Python, builds for every one of them a dict of
all other classes' ground truth (C^2 work per clip) and keeps a dict of numpy arrays per
(clip, class): at 10,000 clips x 400 classes that is millions of small objects and gigabytes. With
alpha_CT = 0 cross-triggers do not enter PSDS, so each class can be scored on its own:

1. A (clip, class) pair without ground truth of that class only produces false positives; their
   count changes by +1 at each local maximum of the score curve and -1 at each local minimum
   (sed_scores_eval's ``acceleration_fn``). This is vectorised over all clips at once.
2. Pairs with ground truth (a few per clip) go through sed_scores_eval's own
   ``onset_offset_curves`` and intersection ``statistics_fn``, so the DTC/GTC logic, including its
   rounding, is literally the reference's.
3. Per class, the deltas are accumulated over clips into TP/FP counts per threshold and the
   per-class PSD-ROC is formed (cummax over TPR, unique eFPR, cut at e_max); the class ROCs are
   combined as PSDS defines: mean TPR minus alpha_ST times the (population) standard deviation
   over classes, at the union of all eFPR values, integrated up to e_max and divided by it.

Tests prove equality with ``sed_scores_eval.intersection_based.psds`` on random sets.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from sed_scores_eval.base_modules.cy_detection import onset_offset_curves
from sed_scores_eval.intersection_based.intermediate_statistics import statistics_fn

from flamkit.eval.metrics.frame_scores import FrameScores
from flamkit.eval.metrics.ground_truth import GroundTruth
from flamkit.eval.metrics.roc import staircase_auc

SECONDS_PER_UNIT = {"second": 1.0, "minute": 60.0, "hour": 3600.0}


@dataclass
class PsdsResult:
    """PSDS value, per-class PSDS and the effective PSD-ROC (TPR over eFPR per unit of time)."""

    psds: float
    per_class: dict[str, float]
    etpr: np.ndarray
    efpr: np.ndarray
    engine: str
    excluded_classes: list[str] = field(default_factory=list)  # no ground truth: not scorable


def psds_native(
    scores: FrameScores,
    ground_truth: GroundTruth,
    durations: dict[str, float],
    *,
    dtc_threshold: float,
    gtc_threshold: float,
    alpha_st: float,
    max_efpr: float,
    unit_of_time: str = "hour",
    time_decimals: int = 6,
    class_chunk: int = 32,
) -> PsdsResult:
    """PSDS with alpha_CT = 0, equal to ``sed_scores_eval.intersection_based.psds``.

    Every class in ``scores.classes`` must have ground truth (sed_scores_eval asserts the same);
    :func:`flamkit.eval.metrics.sed.psds` removes and reports the others first.
    """
    files, classes = scores.files, scores.classes
    col = {c: k for k, c in enumerate(classes)}
    pair_events: dict[int, dict[int, list[tuple[float, float]]]] = {}  # class -> file -> events
    n_ref = np.zeros(len(classes), dtype=np.int64)
    for i, f in enumerate(files):
        for onset, offset, label in ground_truth.get(f, ()):
            k = col.get(label)
            if k is None:
                raise ValueError(f"ground-truth label {label!r} of {f!r} is not a scored class")
            pair_events.setdefault(k, {}).setdefault(i, []).append((onset, offset))
            n_ref[k] += 1
    if (n_ref == 0).any():
        missing = [classes[k] for k in np.flatnonzero(n_ref == 0)[:10]]
        raise ValueError(f"classes without ground truth cannot be scored by PSDS: {missing}")
    dataset_duration = float(sum(durations[f] for f in files))
    to_unit = SECONDS_PER_UNIT[unit_of_time]

    offsets = scores.offsets
    starts = np.zeros(len(scores.values), dtype=bool)
    starts[offsets[:-1]] = True
    ends = np.zeros(len(scores.values), dtype=bool)
    ends[offsets[1:] - 1] = True
    timestamps = {int(n): np.arange(n + 1, dtype=np.float64) * scores.hop for n in np.unique(scores.lengths)}

    rocs: list[tuple[np.ndarray, np.ndarray]] = []
    for c0 in range(0, len(classes), class_chunk):
        block = np.asarray(scores.values[:, c0 : c0 + class_chunk], dtype=np.float64).T.copy()
        for j, s in enumerate(block):
            k = c0 + j
            gt_files = pair_events[k]
            cp_scores, d_tps, d_fps = _no_target_deltas(s, starts, ends, offsets, gt_files)
            parts_s, parts_tp, parts_fp = [cp_scores], [d_tps], [d_fps]
            for i, events in gt_files.items():
                seg = s[offsets[i] : offsets[i + 1]]
                u, tp, fp = _target_deltas(seg, timestamps[len(seg)], events, dtc_threshold, gtc_threshold, time_decimals)
                parts_s.append(u)
                parts_tp.append(tp)
                parts_fp.append(fp)
            tps, fps = _accumulate(np.concatenate(parts_s), np.concatenate(parts_tp), np.concatenate(parts_fp))
            tpr = tps / max(int(n_ref[k]), 1)
            efpr = fps / dataset_duration * to_unit
            rocs.append(_unique_cummax_sort(tpr, efpr, max_efpr))

    etpr, efpr = _combine(rocs, alpha_st, max_efpr)
    per_class = {c: staircase_auc(t, e, max_x=max_efpr) / max_efpr for c, (t, e) in zip(classes, rocs)}
    return PsdsResult(staircase_auc(etpr, efpr, max_x=max_efpr) / max_efpr, per_class, etpr, efpr, "native")


def _no_target_deltas(s, starts, ends, offsets, gt_files):
    """Change-point scores and FP deltas (+1 local max, -1 local min) of all clips without target events."""
    prev = np.empty_like(s)
    prev[1:] = s[:-1]
    prev[starts] = -np.inf
    nxt = np.empty_like(s)
    nxt[:-1] = s[1:]
    nxt[ends] = -np.inf
    delta = (s > prev).astype(np.int64) - (nxt > s).astype(np.int64)
    keep = delta != 0
    for i in gt_files:
        keep[offsets[i] : offsets[i + 1]] = False
    cp = s[keep]
    return cp, np.zeros(len(cp), dtype=np.float64), delta[keep].astype(np.float64)


def _target_deltas(seg, ts, events, dtc, gtc, decimals):
    """Change-point scores with TP and FP deltas of one clip containing target events (reference code)."""
    unique, onsets, offsets_ = onset_offset_curves(seg, ts)
    gt = np.asarray(events, dtype=np.float64)
    stats = statistics_fn(
        detection_onset_times=onsets,
        detection_offset_times=offsets_,
        target_onset_times=gt[:, 0],
        target_offset_times=gt[:, 1],
        other_onset_times={},
        other_offset_times={},
        dtc_threshold=dtc,
        gtc_threshold=gtc,
        cttc_threshold=None,
        time_decimals=decimals,
    )
    st = np.stack([stats["tps"], stats["fps"]], axis=1).astype(np.float64)
    deltas = st - np.concatenate([st[1:], np.zeros_like(st[:1])])
    change = np.abs(deltas).sum(axis=1) > 0
    return unique[change], deltas[change, 0], deltas[change, 1]


def _accumulate(cp_scores, d_tps, d_fps):
    """TP and FP counts when the threshold falls just below each distinct change-point score, plus +inf (0, 0)."""
    unique, inverse = np.unique(cp_scores, return_inverse=True)
    tps = np.bincount(inverse, weights=d_tps, minlength=len(unique))
    fps = np.bincount(inverse, weights=d_fps, minlength=len(unique))
    tps = np.concatenate([np.cumsum(tps[::-1])[::-1], [0.0]])
    fps = np.concatenate([np.cumsum(fps[::-1])[::-1], [0.0]])
    return tps, fps


def _unique_cummax_sort(tpr, efpr, max_efpr):
    """One class's PSD-ROC: sort by (eFPR, TPR), keep TPR increases, last point per eFPR, cut at e_max."""
    order = np.lexsort((tpr, efpr))
    tpr, efpr = tpr[order], efpr[order]
    cm = np.maximum.accumulate(tpr)
    keep = np.concatenate([[0], np.flatnonzero(cm[1:] > cm[:-1]) + 1])
    tpr, efpr = tpr[keep], efpr[keep]
    last = np.concatenate([efpr[1:] != efpr[:-1], [True]])
    tpr, efpr = tpr[last], efpr[last]
    cut = int(np.searchsorted(efpr, max_efpr, side="right"))
    return tpr[:cut], efpr[:cut]


def _combine(rocs, alpha_st, max_efpr):
    """Effective PSD-ROC over classes: mean - alpha_ST * std of the step-interpolated TPRs, >= 0."""
    grid = np.unique(np.concatenate([e for _, e in rocs]))
    interp = np.empty((len(rocs), len(grid)))
    for r, (tpr, efpr) in enumerate(rocs):
        idx = np.searchsorted(efpr, grid, side="right")
        interp[r] = np.where(idx > 0, tpr[np.maximum(idx - 1, 0)], 0.0)
    etpr = np.maximum(np.mean(interp, axis=0) - alpha_st * np.std(interp, axis=0), 0.0)
    return np.concatenate([etpr, etpr[-1:]]), np.concatenate([grid, [max_efpr]])
