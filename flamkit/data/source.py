"""What a data source and an augmenter are, and the error that marks an unusable item.

A source is indexable: ``get(index, rng)`` returns an :class:`~flamkit.data.example.Example`, using
``rng`` for any randomness (crop position, mixture layout), so an item is reproducible from its
draw. ``labels()`` gives one label per item when the source can be label-balanced.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np

from flamkit.data.example import Example


class DataError(RuntimeError):
    """An item that cannot be used (unreadable file, NaN samples, silence...). The message names it.

    The training pipeline skips such items, counts them and reports them; a run stops once the
    fraction of skipped items exceeds ``data.max_skip_ratio``.
    """

    def __init__(self, message: str, key: str = "") -> None:
        super().__init__(message)
        self.key = key


@runtime_checkable
class DataSource(Protocol):
    name: str

    def __len__(self) -> int: ...

    def get(self, index: int, rng: np.random.Generator) -> Example: ...

    def labels(self) -> list[str] | None: ...


@runtime_checkable
class Augmenter(Protocol):
    def __call__(self, example: Example, rng: np.random.Generator) -> Example: ...
