"""Loudness relabelling of a placed event (§4.2 "RMS-based boundary correction", C.4).

An event clip often contains silence (a gap between two footsteps, a decaying tail). Labelling its
whole placed extent as active would teach the model that silence sounds like the event, so the label
is recomputed from the event's own signal: frames whose A-weighted RMS is below ``threshold_db``
(-70 dB, full scale 1.0, see :mod:`.loudness`) are inactive. The result is smoothed by C.4's two rules,
applied in this order, at the 50 Hz activity rate:

1. a negative run shorter than ``min_gap_frames`` (10 = 200 ms) that has positive frames on *both*
   sides becomes positive (leading and trailing silence is never filled);
2. then, if the event's total active duration (positive frames after rule 1) exceeds
   ``min_total_frames`` (10 = 200 ms), positive runs shorter than ``min_segment_frames`` (2 = 40 ms)
   are removed. A short event (a single click) keeps its short runs: removing them would delete it.

"Shorter than" is strict and "exceeds" is strict, as in the paper's wording.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class RelabelConfig:
    threshold_db: float = -70.0  # frames below are inactive
    min_gap_frames: int = 10  # rule 1: inner negative runs shorter than this are filled
    min_segment_frames: int = 2  # rule 2: positive runs shorter than this are removed ...
    min_total_frames: int = 10  # ... if the event has more active frames than this


def runs(active: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Run-length encoding of a bool array: (starts, lengths, values), one entry per maximal run."""
    a = np.asarray(active, dtype=bool)
    if len(a) == 0:
        e = np.zeros(0, dtype=np.int64)
        return e, e, np.zeros(0, dtype=bool)
    change = np.flatnonzero(a[1:] != a[:-1]) + 1
    starts = np.concatenate([[0], change])
    lengths = np.diff(np.concatenate([starts, [len(a)]]))
    return starts, lengths, a[starts]


def fill_gaps(active: np.ndarray, min_gap_frames: int) -> np.ndarray:
    """Rule 1: negative runs shorter than ``min_gap_frames`` lying between two positive runs become positive."""
    out = np.array(active, dtype=bool, copy=True)
    starts, lengths, values = runs(out)
    if len(starts) < 3:
        return out
    inner = np.zeros(len(starts), dtype=bool)
    inner[1:-1] = True  # a run with neighbours on both sides; a negative one then has positives on both sides
    fill = inner & ~values & (lengths < min_gap_frames)
    for s, n in zip(starts[fill], lengths[fill]):
        out[s : s + n] = True
    return out


def remove_blips(active: np.ndarray, min_segment_frames: int, min_total_frames: int) -> np.ndarray:
    """Rule 2: if more than ``min_total_frames`` frames are active, drop positive runs shorter than ``min_segment_frames``."""
    out = np.array(active, dtype=bool, copy=True)
    if out.sum() <= min_total_frames:
        return out
    starts, lengths, values = runs(out)
    drop = values & (lengths < min_segment_frames)
    for s, n in zip(starts[drop], lengths[drop]):
        out[s : s + n] = False
    return out


def smooth_activity(
    active: np.ndarray, min_gap_frames: int = 10, min_segment_frames: int = 2, min_total_frames: int = 10
) -> np.ndarray:
    """C.4's post-processing: rule 1 (fill short inner gaps), then rule 2 (remove short blips)."""
    return remove_blips(fill_gaps(active, min_gap_frames), min_segment_frames, min_total_frames)


def relabel(levels_db: np.ndarray, config: RelabelConfig = RelabelConfig()) -> np.ndarray:
    """Activity of an event from its own A-weighted frame levels: threshold, then C.4 smoothing."""
    raw = np.asarray(levels_db, dtype=np.float64) >= config.threshold_db
    return smooth_activity(raw, config.min_gap_frames, config.min_segment_frames, config.min_total_frames)
