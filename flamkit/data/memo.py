"""A byte-bounded LRU memo of deterministic data items (decoded clips, rendered mixtures).

Why: when a frozen encoder's features are memoised (models/audio/feature_cache.py), what remains
of a CPU training step is mostly making the waveform again - decoding and resampling a FLAC file,
rendering a mixture - only for the encoder to find its features already known. Items that are pure
functions of their key can be kept instead. Values are returned as copies, so an augmenter that
edits an example never changes the memo, and a memo hit is exactly what computing it would give.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

import numpy as np

from flamkit.lru import ByteBoundedLRU

T = TypeVar("T")


def _nbytes(value: Any) -> int:
    if isinstance(value, np.ndarray):
        return int(value.nbytes)
    audio = getattr(value, "audio", None)
    return int(audio.nbytes) + 1024 if isinstance(audio, np.ndarray) else 1024


class ByteLRU(Generic[T]):
    """``get(key, make)``: the memoised ``make()``; least recently used items go past ``max_mb``."""

    def __init__(self, max_mb: float) -> None:
        self._store: ByteBoundedLRU[T] = ByteBoundedLRU(int(float(max_mb) * 2**20))
        self.hits = 0
        self.misses = 0

    @property
    def bytes(self) -> int:
        return self._store.bytes

    def __len__(self) -> int:
        return len(self._store)

    def get(self, key: Hashable, make: Callable[[], T]) -> T:
        if self._store.max_bytes <= 0:
            return make()
        if key in self._store:
            self.hits += 1
            return copy.deepcopy(self._store.lookup(key))
        self.misses += 1
        value = make()
        size = _nbytes(value)
        if size <= self._store.max_bytes:
            self._store.put(key, copy.deepcopy(value), size)
        return value
