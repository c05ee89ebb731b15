"""Detected events from frame probabilities, and writing them as DCASE TSV or JSON.

An event is a maximal run of consecutive frames whose probability is above the threshold; its onset
is the start of the first frame, its offset the end of the last (clipped to the recording's duration),
its ``peak`` and ``mean`` the maximum and mean probability over the run. Runs shorter than
``min_duration`` seconds are dropped (after the median filter, which has already removed one-frame
blips).
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

TSV_COLUMNS = ("filename", "onset", "offset", "event_label", "peak", "mean")
"""DCASE's four columns (``filename onset offset event_label``) then two extra ones, which the DCASE
readers that select columns by name (sed_eval, sed_scores_eval, pandas) ignore."""


@dataclass(frozen=True)
class DetectedEvent:
    file: str  # the path given (or the ``name`` passed with an array)
    onset: float  # seconds
    offset: float  # seconds
    label: str  # the query as written
    peak: float  # maximum frame probability in the event
    mean: float  # mean frame probability in the event

    @property
    def duration(self) -> float:
        return self.offset - self.onset


def runs_above(x: np.ndarray, threshold: float) -> list[tuple[int, int]]:
    """Half-open ``[start, end)`` index runs where ``x > threshold``."""
    above = np.concatenate([[False], np.asarray(x) > threshold, [False]])
    edges = np.flatnonzero(above[1:] != above[:-1])
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2])]


def events_from_probabilities(
    probs: np.ndarray,
    labels: Sequence[str],
    frame_seconds: float,
    duration: float,
    threshold: float = 0.5,
    min_duration: float = 0.0,
    file: str = "",
) -> list[DetectedEvent]:
    """Events of ``probs`` ``[K, N]`` (frame ``i`` covers ``[i, i + 1) * frame_seconds``), by onset then label."""
    probs = np.atleast_2d(np.asarray(probs))
    if probs.shape[0] != len(labels):
        raise ValueError(f"{probs.shape[0]} probability rows for {len(labels)} labels")
    if not 0.0 <= threshold <= 1.0:
        raise ValueError(f"threshold is a probability in [0, 1]; got {threshold}")
    if min_duration < 0:
        raise ValueError(f"min_duration must be >= 0 seconds; got {min_duration}")
    events = []
    for k, label in enumerate(labels):
        for a, b in runs_above(probs[k], threshold):
            onset, offset = a * frame_seconds, min(b * frame_seconds, duration)
            if offset - onset + 1e-9 < min_duration:
                continue
            run = probs[k, a:b]
            events.append(DetectedEvent(file, onset, offset, label, float(run.max()), float(run.mean())))
    return sorted(events, key=lambda e: (e.file, e.onset, e.label))


def _tsv_field(text: str) -> str:
    """Tabs and newlines would break the table; a label or path holding one is written with spaces."""
    return text.replace("\t", " ").replace("\n", " ").replace("\r", " ")


def format_tsv(events: Iterable[DetectedEvent]) -> str:
    """The events as a DCASE TSV table with a header line (times to the microsecond, so frame-grid times such as 0.3125 s are exact)."""
    lines = ["\t".join(TSV_COLUMNS)]
    for e in events:
        lines.append(
            f"{_tsv_field(e.file)}\t{e.onset:.6f}\t{e.offset:.6f}\t{_tsv_field(e.label)}\t{e.peak:.4f}\t{e.mean:.4f}"
        )
    return "\n".join(lines) + "\n"


def write_tsv(events: Iterable[DetectedEvent], path: str | Path) -> None:
    Path(path).write_text(format_tsv(events))


def read_tsv(path: str | Path) -> list[DetectedEvent]:
    """Read back what :func:`write_tsv` wrote."""
    rows = Path(path).read_text().splitlines()
    if not rows or tuple(rows[0].split("\t")) != TSV_COLUMNS:
        raise ValueError(f"{path}: not a flamkit events TSV (expected the header {' '.join(TSV_COLUMNS)})")
    out = []
    for i, row in enumerate(rows[1:], start=2):
        f = row.split("\t")
        if len(f) != len(TSV_COLUMNS):
            raise ValueError(f"{path}, line {i}: expected {len(TSV_COLUMNS)} tab-separated fields, got {len(f)}")
        out.append(DetectedEvent(f[0], float(f[1]), float(f[2]), f[3], float(f[4]), float(f[5])))
    return out


def write_json(events: Iterable[DetectedEvent], path: str | Path, failed: Sequence[tuple[str, str]] = ()) -> None:
    """``{"events": [{file, onset, offset, label, peak, mean}, ...], "failed": [{file, error}, ...]}``."""
    doc = {
        "events": [{k: (round(v, 6) if isinstance(v, float) and math.isfinite(v) else v) for k, v in asdict(e).items()} for e in events],
        "failed": [{"file": f, "error": msg} for f, msg in failed],
    }
    Path(path).write_text(json.dumps(doc, indent=1) + "\n")

