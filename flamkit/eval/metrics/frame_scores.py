"""Frame-level SED scores of a closed class set, stored compactly, and what metrics need from them.

A model emits, per clip, an ``(L, C)`` array of scores (probabilities or logits; any monotone score
works for the threshold-free metrics). Frame ``j`` of a clip covers ``[j * hop, (j + 1) * hop)``
seconds, e.g. ``hop = 10 / 32 = 0.3125`` for L = 32 over 10 s. :class:`FrameScores` concatenates all
clips' frames into one ``(total_frames, C)`` float32 array so that 10,000 clips x 400 classes costs
one allocation (512 MB at L = 32) rather than 10,000 pandas DataFrames; clips may differ in length.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.ndimage import median_filter

from flamkit.eval.metrics.ground_truth import GroundTruth


@dataclass(frozen=True)
class FrameScores:
    """Scores of ``n_files`` clips against one shared class list.

    values: ``(total_frames, n_classes)`` float32, clip ``i`` at rows ``offsets[i]:offsets[i + 1]``.
    offsets: ``(n_files + 1,)`` int64, starting at 0.
    files: clip names (the ground-truth keys), unique.
    classes: class names (column order).
    hop: frame length in seconds.
    """

    values: np.ndarray
    offsets: np.ndarray
    files: tuple[str, ...]
    classes: tuple[str, ...]
    hop: float

    def __post_init__(self) -> None:
        v, o = self.values, self.offsets
        if v.ndim != 2 or v.shape[1] != len(self.classes):
            raise ValueError(f"values must be (frames, {len(self.classes)} classes), got shape {v.shape}")
        if o.ndim != 1 or len(o) != len(self.files) + 1 or o[0] != 0 or o[-1] != len(v):
            raise ValueError(f"offsets must run from 0 to {len(v)} with one entry per file plus one")
        if np.any(np.diff(o) < 1):
            empty = [self.files[i] for i in np.flatnonzero(np.diff(o) < 1)[:5]]
            raise ValueError(f"every clip needs at least one frame; empty: {empty}")
        if len(set(self.files)) != len(self.files):
            raise ValueError("file names must be unique")
        if len(set(self.classes)) != len(self.classes):
            raise ValueError("class names must be unique")
        if not self.hop > 0:
            raise ValueError(f"hop must be positive, got {self.hop}")
        step = max(1, (1 << 22) // max(1, v.shape[1]))  # rows per check: bounded temporary memory
        for start in range(0, len(v), step):
            finite = np.isfinite(v[start : start + step]).all(axis=1)
            if not finite.all():
                bad = start + int(np.flatnonzero(~finite)[0])
                i = int(np.searchsorted(o, bad, side="right") - 1)
                raise ValueError(f"non-finite score in clip {self.files[i]!r} frame {bad - o[i]}")

    # --- construction -------------------------------------------------------------------------
    @classmethod
    def from_dense(cls, scores: np.ndarray, files: Sequence[str], classes: Sequence[str], hop: float) -> FrameScores:
        """From an ``(n_files, L, n_classes)`` array (all clips L frames)."""
        scores = np.asarray(scores)
        if scores.ndim != 3:
            raise ValueError(f"scores must be (files, frames, classes), got shape {scores.shape}")
        n, length, c = scores.shape
        values = np.ascontiguousarray(scores.reshape(n * length, c), dtype=np.float32)
        return cls(values, np.arange(n + 1, dtype=np.int64) * length, tuple(files), tuple(classes), float(hop))

    @classmethod
    def from_arrays(cls, scores: Mapping[str, np.ndarray], classes: Sequence[str], hop: float) -> FrameScores:
        """From ``{file: (L_file, n_classes) array}``; clips may have different frame counts."""
        files = tuple(scores)
        arrays = [np.asarray(scores[f], dtype=np.float32) for f in files]
        for f, a in zip(files, arrays):
            if a.ndim != 2 or a.shape[1] != len(classes):
                raise ValueError(f"scores of {f!r} must be (frames, {len(classes)}), got shape {a.shape}")
        lengths = np.array([len(a) for a in arrays], dtype=np.int64)
        offsets = np.concatenate([[0], np.cumsum(lengths)])
        values = np.concatenate(arrays) if arrays else np.zeros((0, len(classes)), np.float32)
        return cls(values, offsets, files, tuple(classes), float(hop))

    # --- access ---------------------------------------------------------------------------------
    @property
    def n_files(self) -> int:
        return len(self.files)

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)

    def clip(self, i: int) -> np.ndarray:
        """``(L_i, n_classes)`` view of clip ``i``."""
        return self.values[self.offsets[i] : self.offsets[i + 1]]

    def timestamps(self, i: int) -> np.ndarray:
        """Frame boundaries of clip ``i`` in seconds, ``L_i + 1`` values (sed_scores_eval's convention)."""
        return np.arange(self.lengths[i] + 1, dtype=np.float64) * self.hop

    def dense(self) -> np.ndarray | None:
        """``(n_files, L, n_classes)`` view when all clips have the same length, else None."""
        lengths = self.lengths
        if len(lengths) and np.all(lengths == lengths[0]):
            return self.values.reshape(len(lengths), int(lengths[0]), self.values.shape[1])
        return None

    def with_values(self, values: np.ndarray) -> FrameScores:
        return FrameScores(values, self.offsets, self.files, self.classes, self.hop)

    def select_classes(self, classes: Sequence[str]) -> FrameScores:
        """A copy restricted to ``classes`` (in that order)."""
        index = {c: k for k, c in enumerate(self.classes)}
        missing = [c for c in classes if c not in index]
        if missing:
            raise KeyError(f"classes not scored: {missing[:10]}")
        cols = np.array([index[c] for c in classes], dtype=np.int64)
        return FrameScores(np.ascontiguousarray(self.values[:, cols]), self.offsets, self.files, tuple(classes), self.hop)

    def select_files(self, files: Sequence[str]) -> FrameScores:
        """A copy restricted to ``files`` (in that order)."""
        index = {f: i for i, f in enumerate(self.files)}
        missing = [f for f in files if f not in index]
        if missing:
            raise KeyError(f"files not scored: {missing[:10]}")
        return FrameScores.from_arrays({f: self.clip(index[f]) for f in files}, self.classes, self.hop)

    def to_sed_scores_eval(self) -> dict[str, pd.DataFrame]:
        """``{file: DataFrame}`` in sed_scores_eval's format (onset, offset, one column per class).

        One DataFrame per clip: fine for DCASE-sized sets, memory-heavy at 10k clips x 400 classes,
        which is why the native engines in :mod:`flamkit.eval.metrics.sed` exist.
        """
        from sed_scores_eval.base_modules.scores import create_score_dataframe

        classes = list(self.classes)
        return {f: create_score_dataframe(self.clip(i).astype(np.float64), self.timestamps(i), classes) for i, f in enumerate(self.files)}

    def file_layouts(self) -> Iterator[tuple[int, np.ndarray]]:
        """Yield ``(L, file indices)`` for each distinct clip length, so work can be vectorised per length."""
        lengths = self.lengths
        for length in np.unique(lengths):
            yield int(length), np.flatnonzero(lengths == length)


def median_filter_scores(
    scores: FrameScores, size: int = 3, *, inplace: bool = False, chunk_elements: int = 1 << 22
) -> FrameScores:
    """Median filter of ``size`` frames along time within each clip (C.7: 3 frames, after MGA-CLAP).

    Edges repeat the end frame (scipy ``mode="nearest"``, as :func:`flamkit.scoring.median_filter`;
    for size 3 identical to the ``reflect`` mode of the DCASE baselines). Works a block of clips at
    a time; ``inplace=True`` overwrites ``scores.values`` so that no second full copy is made.
    """
    if size < 1 or size % 2 == 0:
        raise ValueError(f"median filter size must be a positive odd number of frames, got {size}")
    if size == 1:
        return scores
    out = scores.values if inplace else np.empty_like(scores.values)
    n_classes = scores.values.shape[1]
    for length, idx in scores.file_layouts():
        per_chunk = max(1, chunk_elements // (length * n_classes))  # clips per block
        for start in range(0, len(idx), per_chunk):
            chunk = idx[start : start + per_chunk]
            rows = (scores.offsets[chunk][:, None] + np.arange(length)[None, :]).reshape(-1)
            block = scores.values[rows].reshape(len(chunk), length, n_classes)
            out[rows] = median_filter(block, size=(1, size, 1), mode="nearest").reshape(-1, n_classes)
    return scores.with_values(out)


def segment_mask(events: Sequence[tuple[float, float]], n_segments: int, segment_length: float, decimals: int = 6) -> np.ndarray:
    """``(n_segments,)`` bool: segment ``k`` = ``[k, k + 1) * segment_length`` overlaps an event.

    Strict overlap on both sides (an event ending exactly at a boundary does not mark the next
    segment) with boundaries rounded to ``decimals``: sed_scores_eval's segment-based rule, and the
    same as :func:`flamkit.data.example.segments_to_frames` for frames.
    """
    bounds = np.round(np.arange(n_segments + 1) * segment_length, decimals)
    mask = np.zeros(n_segments, dtype=bool)
    for onset, offset in events:
        mask |= (bounds[:-1] < offset) & (bounds[1:] > onset)
    return mask


def frame_labels(scores: FrameScores, ground_truth: GroundTruth, file_indices: np.ndarray | None = None) -> np.ndarray:
    """``(frames, n_classes)`` bool frame labels for the given clips (all by default), rows in clip order.

    Labels not in ``scores.classes`` are ignored here (sanitize the ground truth first to have
    them reported).
    """
    idx = np.arange(scores.n_files) if file_indices is None else np.asarray(file_indices)
    lengths = scores.lengths[idx]
    starts = np.concatenate([[0], np.cumsum(lengths)])
    out = np.zeros((int(starts[-1]), len(scores.classes)), dtype=bool)
    col = {c: k for k, c in enumerate(scores.classes)}
    for j, i in enumerate(idx):
        for onset, offset, label in ground_truth.get(scores.files[i], ()):
            k = col.get(label)
            if k is not None:
                out[starts[j] : starts[j + 1], k] |= segment_mask([(onset, offset)], int(lengths[j]), scores.hop)
    return out
