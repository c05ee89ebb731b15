"""Frame-level metrics per captioned event: present-event AUROC (§5.2), Spearman rho (C.11), F1 curves (Fig. 3).

These metrics look at (clip, event description) pairs and the model's frame outputs for them.
:class:`EventFrames` holds one row per pair whose description occurs in the clip's ground truth;
it is built from closed-set :class:`FrameScores` or, for open-vocabulary sets where every clip
has its own descriptions, from per-clip score arrays. Frame ``j`` is positive when an event of
that description overlaps ``[j, j + 1) * hop`` (the training label rule of
:func:`flamkit.data.example.segments_to_frames`).

Present-event AUROC. §5.2: "for open-vocabulary SED datasets, we calculate AUROC by only computing
true positive and false positive rates over the events that actually occur in an audio clip". We
read this as: pool all (frame score, frame label) pairs of all present (clip, description) pairs
into one ROC (``pooled``, the headline number): a frame where a present event is inactive is a
negative; descriptions absent from a clip are never scored. ``label_mean`` (per-description ROC,
pooled over the clips containing it, then averaged) is reported alongside; for open-vocabulary sets
most descriptions occur once, so it is close to a per-event average.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.stats import rankdata

from flamkit.eval.metrics.frame_scores import FrameScores, frame_labels, segment_mask
from flamkit.eval.metrics.ground_truth import GroundTruth
from flamkit.eval.metrics.roc import roc_auc


@dataclass(frozen=True)
class EventFrames:
    """One row per (clip, description present in it): frame scores, frame labels, valid length.

    scores: ``(P, L_max)`` float32 (padding beyond ``lengths`` is ignored); targets: ``(P, L_max)`` bool.
    """

    scores: np.ndarray
    targets: np.ndarray
    lengths: np.ndarray
    files: tuple[str, ...]
    labels: tuple[str, ...]

    @property
    def valid(self) -> np.ndarray:
        return np.arange(self.scores.shape[1])[None, :] < self.lengths[:, None]

    @classmethod
    def from_frame_scores(cls, scores: FrameScores, ground_truth: GroundTruth) -> EventFrames:
        """Pairs (clip, class) for every class with an event in the clip (closed-set scores)."""
        col = {c: k for k, c in enumerate(scores.classes)}
        file_index = {f: i for i, f in enumerate(scores.files)}
        rows_i, rows_k = [], []
        for f, events in ground_truth.items():
            if f not in file_index:
                raise ValueError(f"ground-truth file {f!r} has no scores")
            for k in sorted({col[label] for _, _, label in events if label in col}):
                rows_i.append(file_index[f])
                rows_k.append(k)
        if not rows_i:
            raise ValueError("no ground-truth event matches a scored class")
        rows_i_a, rows_k_a = np.asarray(rows_i), np.asarray(rows_k)
        lengths = scores.lengths[rows_i_a]
        width = int(lengths.max())
        out_s = np.zeros((len(rows_i), width), dtype=np.float32)
        out_t = np.zeros((len(rows_i), width), dtype=bool)
        for r, (i, k) in enumerate(zip(rows_i, rows_k)):
            n = int(lengths[r])
            out_s[r, :n] = scores.clip(i)[:, k]
        labels_by_file = {}
        for i in np.unique(rows_i_a):
            labels_by_file[int(i)] = frame_labels(scores, ground_truth, np.array([i]))
        for r, (i, k) in enumerate(zip(rows_i, rows_k)):
            out_t[r, : int(lengths[r])] = labels_by_file[i][:, k]
        return cls(out_s, out_t, lengths, tuple(scores.files[i] for i in rows_i), tuple(scores.classes[k] for k in rows_k))

    @classmethod
    def from_clip_scores(
        cls, clip_scores: Mapping[str, tuple[np.ndarray, Sequence[str]]], ground_truth: GroundTruth, hop: float,
        absent: bool = False,
    ) -> EventFrames:
        """From ``{clip: ((L, k) scores, k descriptions)}``: open-vocabulary clips scored on their own descriptions.

        Every description in a clip's ground truth must be among its scored descriptions. Extra
        scored descriptions (sampled absent labels) are ignored, or with ``absent`` kept as rows
        whose every frame is negative, after the clip's present ones.
        """
        rows_s, rows_t, lengths, files, labels = [], [], [], [], []
        for f, events in ground_truth.items():
            if not events:
                continue
            if f not in clip_scores:
                raise ValueError(f"ground-truth clip {f!r} has no scores")
            arr, names = clip_scores[f]
            arr = np.asarray(arr, dtype=np.float32)
            if arr.ndim != 2 or arr.shape[1] != len(names):
                raise ValueError(f"scores of {f!r} must be (frames, {len(names)} descriptions), got {arr.shape}")
            index = {n: k for k, n in enumerate(names)}
            by_label: dict[str, list[tuple[float, float]]] = {}
            for onset, offset, label in events:
                by_label.setdefault(label, []).append((onset, offset))
            for label, segs in by_label.items():
                if label not in index:
                    raise ValueError(f"clip {f!r}: ground-truth event {label!r} was not scored")
                rows_s.append(arr[:, index[label]])
                rows_t.append(segment_mask(segs, len(arr), hop))
                lengths.append(len(arr))
                files.append(f)
                labels.append(label)
            if absent:
                for name in names:
                    if name not in by_label:
                        rows_s.append(arr[:, index[name]])
                        rows_t.append(np.zeros(len(arr), dtype=bool))
                        lengths.append(len(arr))
                        files.append(f)
                        labels.append(name)
        if not rows_s:
            raise ValueError("ground truth has no events")
        width = max(lengths)
        out_s = np.zeros((len(rows_s), width), dtype=np.float32)
        out_t = np.zeros((len(rows_s), width), dtype=bool)
        for r, (s, t) in enumerate(zip(rows_s, rows_t)):
            out_s[r, : len(s)], out_t[r, : len(t)] = s, t
        return cls(out_s, out_t, np.asarray(lengths, dtype=np.int64), tuple(files), tuple(labels))


# --- present-event AUROC --------------------------------------------------------------------------
@dataclass
class PresentEventAuroc:
    pooled: float  # one ROC over all frames of all present (clip, description) pairs: the §5.2 number
    label_mean: float  # mean over descriptions of per-description AUROC (pooled over its clips)
    n_pairs: int
    n_labels: int  # descriptions with a defined AUROC (positive and negative frames)
    n_labels_undefined: int  # descriptions active in all (or no) frames of their clips: left out of label_mean


def present_event_auroc(events: EventFrames) -> PresentEventAuroc:
    """AUROC over the events that occur in each clip (§5.2), with sed_scores_eval's staircase ties."""
    valid = events.valid
    pooled = roc_auc(events.scores[valid], events.targets[valid])
    labels = np.asarray(events.labels, dtype=object)
    order = np.argsort(labels, kind="stable")
    uniq, starts = np.unique(labels[order], return_index=True)
    bounds = np.append(starts, len(order))
    per_label = []
    for a, b in zip(bounds[:-1], bounds[1:]):
        rows = order[a:b]
        v = valid[rows]
        per_label.append(roc_auc(events.scores[rows][v], events.targets[rows][v]))
    per = np.asarray(per_label, dtype=np.float64)
    ok = np.isfinite(per)
    return PresentEventAuroc(
        float(pooled),
        float(per[ok].mean()) if ok.any() else float("nan"),
        len(events.labels),
        int(ok.sum()),
        int((~ok).sum()),
    )


# --- Spearman rho (C.11) --------------------------------------------------------------------------
@dataclass
class SpearmanResult:
    mean: float
    median: float
    count: int  # pairs with a defined rho
    n_constant_truth: int  # ground truth constant over the clip's frames: rho undefined, left out
    n_constant_scores: int  # model output constant over the clip (truth not constant): undefined, left out
    per_event: np.ndarray  # (P,) rho per pair, NaN where undefined


def spearman_per_event(events: EventFrames) -> SpearmanResult:
    """Spearman rho between each pair's frame scores and its binary frame labels (C.11).

    Ranks with averaged ties (as scipy.stats.spearmanr). Pairs whose labels are constant (an event
    covering the whole clip) or whose scores are constant have no rho: they are counted, not averaged.
    """
    rho = np.full(len(events.lengths), np.nan)
    const_truth = np.zeros(len(rho), dtype=bool)
    const_score = np.zeros(len(rho), dtype=bool)
    for n in np.unique(events.lengths):
        rows = np.flatnonzero(events.lengths == n)
        s = events.scores[rows, :n].astype(np.float64)
        t = events.targets[rows, :n]
        ct = t.all(axis=1) | ~t.any(axis=1)
        cs = (s == s[:, :1]).all(axis=1)
        const_truth[rows] = ct
        const_score[rows] = cs & ~ct
        rs = rankdata(s, axis=1)
        rt = rankdata(t, axis=1)
        rs -= rs.mean(axis=1, keepdims=True)
        rt -= rt.mean(axis=1, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            r = (rs * rt).sum(axis=1) / np.sqrt((rs**2).sum(axis=1) * (rt**2).sum(axis=1))
        rho[rows] = np.where(ct | cs, np.nan, np.clip(r, -1.0, 1.0))
    ok = np.isfinite(rho)
    return SpearmanResult(
        float(rho[ok].mean()) if ok.any() else float("nan"),
        float(np.median(rho[ok])) if ok.any() else float("nan"),
        int(ok.sum()),
        int(const_truth.sum()),
        int(const_score.sum()),
        rho,
    )


# --- frame-wise precision / recall / F1 against the threshold (Fig. 3) -----------------------------
DEFAULT_THRESHOLDS = np.round(np.linspace(0.0, 1.0, 101), 2)


@dataclass
class PRFCurve:
    """Micro precision, recall and F1 over all frames and pairs; a frame is detected when score > threshold."""

    thresholds: np.ndarray
    tp: np.ndarray
    fp: np.ndarray
    fn: np.ndarray

    @property
    def precision(self) -> np.ndarray:
        """NaN where nothing is detected."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.tp / (self.tp + self.fp)

    @property
    def recall(self) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.tp / (self.tp + self.fn)

    @property
    def f1(self) -> np.ndarray:
        """2 TP / (2 TP + FP + FN): 0 when nothing correct is detected."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return 2 * self.tp / (2 * self.tp + self.fp + self.fn)

    def best(self) -> dict[str, float]:
        """Threshold with the highest F1 (the lowest such threshold on ties) and its P, R, F1."""
        f1 = np.nan_to_num(self.f1, nan=-1.0)
        j = int(np.argmax(f1))
        return {
            "threshold": float(self.thresholds[j]),
            "f1": float(self.f1[j]),
            "precision": float(self.precision[j]),
            "recall": float(self.recall[j]),
        }

    def __add__(self, other: PRFCurve) -> PRFCurve:
        if not np.array_equal(self.thresholds, other.thresholds):
            raise ValueError("cannot add curves over different thresholds")
        return PRFCurve(self.thresholds, self.tp + other.tp, self.fp + other.fp, self.fn + other.fn)


def prf_curve(scores: np.ndarray, targets: np.ndarray, thresholds: np.ndarray = DEFAULT_THRESHOLDS) -> PRFCurve:
    """Counts of TP/FP/FN at each threshold over all given (score, label) entries, in one pass."""
    th = np.asarray(thresholds, dtype=np.float64)
    if th.ndim != 1 or len(th) == 0 or np.any(np.diff(th) <= 0):
        raise ValueError("thresholds must be a non-empty strictly increasing 1-d array")
    s = np.asarray(scores).ravel()
    t = np.asarray(targets, dtype=bool).ravel()
    if s.shape != t.shape:
        raise ValueError(f"scores and targets differ in size: {s.shape} vs {t.shape}")
    below = np.searchsorted(th, s, side="left")  # number of thresholds strictly below each score
    pos_hist = np.bincount(below[t], minlength=len(th) + 1)
    neg_hist = np.bincount(below[~t], minlength=len(th) + 1)
    # detected at threshold j  <=>  score > th[j]  <=>  below > j
    tp = np.cumsum(pos_hist[::-1])[::-1][1:]
    fp = np.cumsum(neg_hist[::-1])[::-1][1:]
    return PRFCurve(th, tp.astype(np.int64), fp.astype(np.int64), (int(t.sum()) - tp).astype(np.int64))


def event_prf_curve(events: EventFrames, thresholds: np.ndarray = DEFAULT_THRESHOLDS) -> PRFCurve:
    """F1 curve over the frames of present (clip, description) pairs (open-vocabulary sets)."""
    v = events.valid
    return prf_curve(events.scores[v], events.targets[v], thresholds)


def closed_set_prf_curve(
    scores: FrameScores, ground_truth: GroundTruth, thresholds: np.ndarray = DEFAULT_THRESHOLDS, *, chunk_files: int = 256
) -> PRFCurve:
    """F1 curve over all (frame, class) pairs of a closed-set evaluation, ``chunk_files`` clips at a time."""
    total: PRFCurve | None = None
    for start in range(0, scores.n_files, chunk_files):
        idx = np.arange(start, min(start + chunk_files, scores.n_files))
        vals = scores.values[scores.offsets[idx[0]] : scores.offsets[idx[-1] + 1]]
        part = prf_curve(vals, frame_labels(scores, ground_truth, idx), thresholds)
        total = part if total is None else total + part
    assert total is not None
    return total
