"""A byte-bounded LRU memo of deterministic data items (decoded clips, rendered mixtures).

Why: when a frozen encoder's features are memoised (models/audio/feature_cache.py), what remains
of a CPU training step is mostly making the waveform again - decoding and resampling a FLAC file,
rendering a mixture - only for the encoder to find its features already known. Items that are pure
functions of their key can be kept instead. Values are returned as copies, so an augmenter that
edits an example never changes the memo, and a memo hit is exactly what computing it would give.
"""

from __future__ import annotations

import copy
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

import numpy as np

T = TypeVar("T")


def _nbytes(value: Any) -> int:
    if isinstance(value, np.ndarray):
        return int(value.nbytes)
    audio = getattr(value, "audio", None)
    return int(audio.nbytes) + 1024 if isinstance(audio, np.ndarray) else 1024


class ByteLRU(Generic[T]):
    """``get(key, make)``: the memoised ``make()``; least recently used items go past ``max_mb``."""

    def __init__(self, max_mb: float) -> None:
        self.max_bytes = int(float(max_mb) * 2**20)
        self.bytes = 0
        self.hits = 0
        self.misses = 0
        self._items: OrderedDict[Hashable, tuple[T, int]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: Hashable, make: Callable[[], T]) -> T:
        if self.max_bytes <= 0:
            return make()
        item = self._items.get(key)
        if item is not None:
            self._items.move_to_end(key)
            self.hits += 1
            return copy.deepcopy(item[0])
        self.misses += 1
        value = make()
        size = _nbytes(value)
        if size <= self.max_bytes:
            self._items[key] = (copy.deepcopy(value), size)
            self.bytes += size
            while self.bytes > self.max_bytes:
                _, (_, old) = self._items.popitem(last=False)
                self.bytes -= old
        return value
