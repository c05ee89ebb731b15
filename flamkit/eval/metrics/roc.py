"""ROC curves and (partial) AUC under sed_scores_eval's conventions, vectorised.

sed_scores_eval integrates ROC curves as a *staircase*: the curve through the operating points
(one per distinct score, plus (0, 0) for "nothing detected") is integrated with the TPR of the
left point, so a tied positive/negative pair adds nothing (a constant score gives AUC 0, not 0.5).
With ``max_fpr`` the area up to that FPR is divided by ``max_fpr`` (no McClish correction, unlike
scikit-learn's ``roc_auc_score(max_fpr=...)``): this is how the DCASE 2024 task 4 baseline computes
MAESTRO's MPAUC with ``segment_based.auroc(..., max_fpr=0.1)``. Both AUROC metrics here follow it,
so our numbers are comparable with DCASE-reported ones.
"""

from __future__ import annotations

import numpy as np

from flamkit.eval.metrics.frame_scores import FrameScores, segment_mask
from flamkit.eval.metrics.ground_truth import GroundTruth


def staircase_auc(y: np.ndarray, x: np.ndarray, max_x: float | None = None) -> float:
    """Area under a staircase curve through points sorted by x (sed_scores_eval.base_modules.curves).

    ``x`` must be sorted ascending (ties ordered by ascending y). Up to the last point when
    ``max_x`` is None, else up to ``max_x`` (holding the last value).
    """
    if max_x is None:
        widths, heights = np.diff(x), y[:-1]
    else:
        cut = int(np.searchsorted(x, max_x, side="right"))
        widths, heights = np.diff(np.concatenate([x[:cut], [max_x]])), y[:cut]
    if len(widths) == 0:
        return 0.0
    return float(np.cumsum(heights * widths)[-1])  # sequential sum, as sed_scores_eval's sum()


def roc_curve(scores: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(tpr, fpr, thresholds) over all operating points, sorted by FPR, starting at (0, 0).

    Point ``i`` counts samples with score >= ``thresholds[i]`` as positive (the first threshold is
    +inf). Requires at least one positive and one negative.
    """
    scores = np.asarray(scores, dtype=np.float64).ravel()
    labels = np.asarray(labels, dtype=bool).ravel()
    if scores.shape != labels.shape:
        raise ValueError(f"scores and labels differ in size: {scores.shape} vs {labels.shape}")
    n_pos = int(labels.sum())
    n_neg = len(labels) - n_pos
    if n_pos == 0 or n_neg == 0:
        raise ValueError(f"ROC needs positives and negatives, got {n_pos} positive and {n_neg} negative")
    unique, inverse = np.unique(scores, return_inverse=True)
    pos = np.bincount(inverse, weights=labels, minlength=len(unique))[::-1]
    tot = np.bincount(inverse, minlength=len(unique))[::-1]
    tps = np.concatenate([[0.0], np.cumsum(pos)])
    fps = np.concatenate([[0.0], np.cumsum(tot - pos)])
    return tps / n_pos, fps / n_neg, np.concatenate([[np.inf], unique[::-1]])


def roc_auc(scores: np.ndarray, labels: np.ndarray, max_fpr: float | None = None) -> float:
    """Staircase ROC AUC (normalised partial AUC when ``max_fpr`` is given); NaN if one class is absent."""
    labels = np.asarray(labels, dtype=bool)
    if labels.all() or not labels.any():
        return float("nan")
    tpr, fpr, _ = roc_curve(scores, labels)
    area = staircase_auc(tpr, fpr, max_x=max_fpr)
    return area / (1.0 if max_fpr is None else max_fpr)


def _segment_layout(n_frames: int, hop: float, n_segments: int, segment_length: float, decimals: int):
    """Frame ranges [on_k, off_k) whose max is segment k's score (sed_scores_eval segment_based._worker)."""
    ts = np.round(np.arange(n_frames + 1) * hop, decimals)
    bounds = np.round(np.arange(n_segments + 1) * segment_length, decimals)
    on = np.maximum(np.searchsorted(ts, bounds[:-1], side="right") - 1, 0)
    off = np.minimum(np.searchsorted(ts, bounds[1:], side="left"), n_frames)
    return on, off


def segment_scores_and_labels(
    scores: FrameScores,
    ground_truth: GroundTruth,
    durations: dict[str, float],
    segment_length: float,
    classes: slice,
    decimals: int = 6,
) -> tuple[np.ndarray, np.ndarray]:
    """Segment scores (max over overlapping frames) and labels for a slice of classes, all clips.

    Returns ``(n_segments_total, n_classes_in_slice)`` float64 scores and bool labels. Clip ``i``
    has ``ceil(duration_i / segment_length)`` segments; a segment past the scored frames gets score
    0, as in sed_scores_eval.
    """
    col = {c: k for k, c in enumerate(scores.classes)}
    class_ids = np.arange(len(scores.classes))[classes]
    n_seg = np.array([int(np.ceil(durations[f] / segment_length)) for f in scores.files], dtype=np.int64)
    seg_start = np.concatenate([[0], np.cumsum(n_seg)])
    out = np.zeros((int(seg_start[-1]), len(class_ids)), dtype=np.float64)
    labels = np.zeros(out.shape, dtype=bool)
    lengths = scores.lengths
    dense = scores.dense()
    layouts: dict[tuple[int, int], list[int]] = {}
    for i in range(scores.n_files):
        layouts.setdefault((int(lengths[i]), int(n_seg[i])), []).append(i)
    for (n_frames, n_segments), files in layouts.items():
        idx = np.asarray(files)
        if dense is not None and len(idx) == scores.n_files:
            block = dense[:, :, classes]  # view, no copy
        else:
            rows = (scores.offsets[idx][:, None] + np.arange(n_frames)[None, :]).reshape(-1)
            block = scores.values[rows, classes].reshape(len(idx), n_frames, len(class_ids))
        on, off = _segment_layout(n_frames, scores.hop, n_segments, segment_length, decimals)
        seg_rows = seg_start[idx]
        for k in range(n_segments):
            if off[k] > on[k]:
                out[seg_rows + k] = block[:, on[k] : off[k]].max(axis=1)
    lo, hi = (int(class_ids[0]), int(class_ids[-1]) + 1) if len(class_ids) else (0, 0)
    for i, f in enumerate(scores.files):
        by_class: dict[int, list[tuple[float, float]]] = {}
        for onset, offset, label in ground_truth.get(f, ()):
            k = col.get(label)
            if k is not None and lo <= k < hi:
                by_class.setdefault(k - lo, []).append((onset, offset))
        for k, events in by_class.items():
            labels[seg_start[i] : seg_start[i + 1], k] = segment_mask(events, int(n_seg[i]), segment_length, decimals)
    return out, labels


def segment_auroc_native(
    scores: FrameScores,
    ground_truth: GroundTruth,
    durations: dict[str, float],
    *,
    segment_length: float,
    max_fpr: float | None = None,
    class_chunk: int = 32,
    decimals: int = 6,
) -> dict[str, float]:
    """Per-class segment-based (partial) AUROC, equal to sed_scores_eval ``segment_based.auroc``.

    Processes ``class_chunk`` classes at a time so memory stays at one chunk of segment scores.
    A class with no positive (or no negative) segment gets NaN.
    """
    out: dict[str, float] = {}
    for c0 in range(0, len(scores.classes), class_chunk):
        sl = slice(c0, min(c0 + class_chunk, len(scores.classes)))
        seg, lab = segment_scores_and_labels(scores, ground_truth, durations, segment_length, sl, decimals)
        for j, name in enumerate(scores.classes[sl]):
            out[name] = roc_auc(seg[:, j], lab[:, j], max_fpr=max_fpr)
    return out
