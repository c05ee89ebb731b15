"""Batch streams: sources + augmenters + collation, sharded by rank and worker, resumable exactly.

A stream produces batch ``b`` of rank ``r`` from :func:`~flamkit.data.sampling.batch_rng` alone;
DataLoader worker ``w`` of ``n`` makes batches ``b = start + w, start + w + n, ...`` and the loader
returns them in order, so the sequence does not depend on the worker count. The loop records how
many batches it consumed; resuming restarts the stream there.
"""

from __future__ import annotations

import signal
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Sequence

import numpy as np
import torch
from torch.utils.data import DataLoader, IterableDataset, get_worker_info

from flamkit.data.example import Example
from flamkit.data.sampling import SourceMixture, batch_rng
from flamkit.data.source import Augmenter, DataError, DataSource


@dataclass
class Skipped:
    source: str
    key: str
    reason: str


@dataclass
class StreamBatch:
    """A collated batch plus its place in the stream and the items skipped while making it."""

    index: int
    data: Any
    skipped: list[Skipped] = field(default_factory=list)
    drawn: int = 0

    def pin_memory(self) -> "StreamBatch":
        """What DataLoader(pin_memory=True) calls: the collated batch in page-locked memory."""
        pin = getattr(self.data, "pin_memory", None)
        return StreamBatch(self.index, pin() if callable(pin) else self.data, self.skipped, self.drawn)


class BatchStream(IterableDataset):
    """An endless, deterministic stream of collated batches for one rank."""

    def __init__(
        self,
        name: str,
        sources: Sequence[DataSource],
        weights: Sequence[float],
        collate: Callable[[list[Example]], Any],
        batch_size: int,
        seed: int,
        rank: int = 0,
        augmenters: Sequence[Augmenter] = (),
        balance_labels: bool = False,
        start_batch: int = 0,
        max_attempts: int = 20,
    ) -> None:
        super().__init__()
        self.name = name
        self.sources = list(sources)
        self.mixture = SourceMixture(
            [len(s) for s in self.sources], list(weights), [s.labels() for s in self.sources], balance_labels
        )
        self.collate = collate
        self.batch_size = batch_size
        self.seed = seed
        self.rank = rank
        self.augmenters = list(augmenters)
        self.start_batch = start_batch
        self.max_attempts = max_attempts

    def example(self, rng: np.random.Generator, skipped: list[Skipped]) -> Example:
        """One usable example; unusable draws are recorded and replaced by the next draw."""
        for _ in range(self.max_attempts):
            s, i = self.mixture.draw(rng)
            item_rng = np.random.default_rng(rng.integers(0, 2**63 - 1))
            try:
                ex = self.sources[s].get(i, item_rng)
                for aug in self.augmenters:
                    ex = aug(ex, item_rng)
                return ex
            except DataError as exc:
                skipped.append(Skipped(self.sources[s].name, exc.key or f"#{i}", str(exc)))
        raise DataError(
            f"stream {self.name!r}: {self.max_attempts} draws in a row were unusable; last: "
            f"{skipped[-1].key}: {skipped[-1].reason}. Run `flamkit data check` on the manifests."
        )

    def make_batch(self, index: int) -> StreamBatch:
        rng = batch_rng(self.seed, self.name, self.rank, index)
        skipped: list[Skipped] = []
        examples = [self.example(rng, skipped) for _ in range(self.batch_size)]
        return StreamBatch(index, self.collate(examples), skipped, drawn=len(examples) + len(skipped))

    def __iter__(self) -> Iterator[StreamBatch]:
        info = get_worker_info()
        wid, nw = (info.id, info.num_workers) if info else (0, 1)
        b = self.start_batch + wid
        while True:
            yield self.make_batch(b)
            b += nw


def _worker_init(_: int) -> None:
    # Preemption signals are for the main process: it checkpoints and exits; workers just die with it.
    for sig in (signal.SIGUSR2, signal.SIGTERM):
        signal.signal(sig, signal.SIG_IGN)
    torch.set_num_threads(1)


def make_loader(stream: BatchStream, num_workers: int = 0, pin_memory: bool = False, prefetch_factor: int = 2) -> DataLoader:
    """``pin_memory`` puts batches in page-locked memory (copied to a GPU asynchronously, only with CUDA);
    each of ``num_workers`` keeps ``prefetch_factor`` batches ready, so the step never waits for data."""
    return DataLoader(
        stream,
        batch_size=None,
        num_workers=num_workers,
        worker_init_fn=_worker_init if num_workers > 0 else None,
        persistent_workers=num_workers > 0,
        prefetch_factor=prefetch_factor if num_workers > 0 else None,
        pin_memory=pin_memory and torch.cuda.is_available(),
    )
