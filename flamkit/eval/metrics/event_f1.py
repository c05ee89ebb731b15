"""Event-based (collar-based) F1 of detected events: what a user of ``flamkit detect`` experiences.

Frame metrics say how many *frames* are right; a person reading ``events.tsv`` asks whether each
sound was found as one event at about the right time. This is DCASE's collar-based rule (Mesaros
et al. 2016, ``sed_eval`` / ``sed_scores_eval.collar_based``): a detected event is a hit when a
reference event of the same label starts within ``onset_collar`` seconds of it and ends within
``max(offset_collar, offset_collar_rate * reference duration)`` seconds of it; every reference and
every detection is matched at most once (a maximum one-to-one matching, so the count does not depend
on the order of the events). F1 = 2 TP / (2 TP + FP + FN), micro-averaged over clips and labels.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

Event = tuple[float, float, str]  # onset, offset (seconds), label


@dataclass(frozen=True)
class EventCounts:
    tp: int
    fp: int
    fn: int

    @property
    def f1(self) -> float:
        """2 TP / (2 TP + FP + FN); 1.0 when there was nothing to find and nothing was detected."""
        denom = 2 * self.tp + self.fp + self.fn
        return 1.0 if denom == 0 else 2 * self.tp / denom

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else float("nan")

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else float("nan")

    def __add__(self, other: EventCounts) -> EventCounts:
        return EventCounts(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn)


def _matches(ref: tuple[float, float], det: tuple[float, float], onset_collar: float, offset_collar: float,
             offset_collar_rate: float) -> bool:
    tolerance = max(offset_collar, offset_collar_rate * (ref[1] - ref[0]))
    return abs(det[0] - ref[0]) <= onset_collar and abs(det[1] - ref[1]) <= tolerance


def _max_matching(edges: list[list[int]], n_right: int) -> int:
    """Size of a maximum bipartite matching (augmenting paths; the sets of one clip and label are small)."""
    owner = [-1] * n_right

    def augment(left: int, seen: list[bool]) -> bool:
        for right in edges[left]:
            if not seen[right]:
                seen[right] = True
                if owner[right] == -1 or augment(owner[right], seen):
                    owner[right] = left
                    return True
        return False

    return sum(augment(left, [False] * n_right) for left in range(len(edges)))


def clip_event_counts(reference: Iterable[Event], detected: Iterable[Event], onset_collar: float = 0.2,
                      offset_collar: float = 0.2, offset_collar_rate: float = 0.2) -> EventCounts:
    """Hits, false alarms and misses of one clip's detections against its reference events."""
    refs: dict[str, list[tuple[float, float]]] = defaultdict(list)
    dets: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for on, off, label in reference:
        refs[label].append((float(on), float(off)))
    for on, off, label in detected:
        dets[label].append((float(on), float(off)))
    tp = fp = fn = 0
    for label in set(refs) | set(dets):
        r, d = refs.get(label, []), dets.get(label, [])
        edges = [[j for j, dj in enumerate(d) if _matches(ri, dj, onset_collar, offset_collar, offset_collar_rate)] for ri in r]
        hits = _max_matching(edges, len(d))
        tp, fp, fn = tp + hits, fp + len(d) - hits, fn + len(r) - hits
    return EventCounts(tp, fp, fn)


def event_counts(reference: Mapping[str, Iterable[Event]], detected: Mapping[str, Iterable[Event]],
                 **collars: float) -> dict[str, EventCounts]:
    """Per-clip counts over every clip of ``reference`` (a detection in an unknown clip is an error)."""
    unknown = set(detected) - set(reference)
    if unknown:
        raise ValueError(f"detections for clips without a reference: {sorted(unknown)[:5]}")
    return {clip: clip_event_counts(events, detected.get(clip, ()), **collars) for clip, events in reference.items()}
