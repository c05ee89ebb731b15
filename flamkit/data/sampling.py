"""Weighted, optionally label-balanced sampling across data sources.

Sampling is with replacement from an endless stream: the paper mixes corpora by weight (C.5, C.6),
which an epoch over their concatenation cannot express. Every draw is a pure function of
(seed, stream, rank, batch index), so a resumed run re-creates exactly the batches it had not
consumed yet, whatever the number of DataLoader workers.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np


def stream_code(name: str) -> int:
    """A stable small integer for a stream name (seeds must not depend on Python's salted hash)."""
    return zlib.crc32(name.encode("utf-8"))


def batch_rng(seed: int, stream: str, rank: int, batch_index: int) -> np.random.Generator:
    return np.random.default_rng([int(seed), stream_code(stream), int(rank), int(batch_index)])


@dataclass
class SourceMixture:
    """Pick a source by weight, then an item: uniformly, or a label uniformly then an item of it.

    Label balancing matters for real corpora where one label has 150 clips and another one.
    """

    sizes: list[int]
    weights: list[float]
    labels: list[list[str] | None]
    balance: bool = False

    def __post_init__(self) -> None:
        if len(self.sizes) != len(self.weights) or len(self.sizes) != len(self.labels):
            raise ValueError("sizes, weights and labels must have one entry per source")
        w = np.asarray(self.weights, dtype=np.float64)
        if (w < 0).any() or not np.isfinite(w).all() or w.sum() <= 0:
            raise ValueError(f"source weights must be non-negative with a positive sum, got {self.weights}")
        for size, weight in zip(self.sizes, self.weights):
            if size == 0 and weight > 0:
                raise ValueError("a source with positive weight has no items")
        self._p = w / w.sum()
        self._groups: list[list[np.ndarray] | None] = []
        for labels in self.labels:
            if self.balance and labels is not None:
                order: dict[str, list[int]] = {}
                for i, lab in enumerate(labels):
                    order.setdefault(lab, []).append(i)
                self._groups.append([np.asarray(v, dtype=np.int64) for _, v in sorted(order.items())])
            else:
                self._groups.append(None)

    def draw(self, rng: np.random.Generator) -> tuple[int, int]:
        s = int(rng.choice(len(self.sizes), p=self._p))
        groups = self._groups[s]
        if groups is not None:
            g = groups[int(rng.integers(len(groups)))]
            return s, int(g[int(rng.integers(len(g)))])
        return s, int(rng.integers(self.sizes[s]))
