"""One least-recently-used store bounded by bytes, for every memo of the package.

Why one: three memos keep exact values that are costly to make again (a frozen trunk's features,
decoded clips, rendered mixtures). They differ in what they key, how they size and copy a value and
whether they lock, not in how they forget, so the forgetting lives here once: an item larger than
the whole budget is not kept, and past the budget the least recently used items go first.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, Optional, TypeVar

V = TypeVar("V")


class ByteBoundedLRU(Generic[V]):
    """``key -> value`` with a byte size each; ``max_bytes`` may be raised or lowered at any time."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = int(max_bytes)
        self.bytes = 0
        self.evictions = 0
        self._items: OrderedDict[Hashable, tuple[V, int]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._items

    def lookup(self, key: Hashable) -> Optional[V]:
        """The value, now the most recently used; ``None`` when absent."""
        item = self._items.get(key)
        if item is None:
            return None
        self._items.move_to_end(key)
        return item[0]

    def put(self, key: Hashable, value: V, size: int) -> bool:
        """Keep ``value`` (``size`` bytes) unless it alone exceeds the budget; True when kept."""
        size = int(size)
        if size > self.max_bytes:
            return False
        old = self._items.pop(key, None)
        if old is not None:
            self.bytes -= old[1]
        self._items[key] = (value, size)
        self.bytes += size
        while self.bytes > self.max_bytes:
            _, (_, gone) = self._items.popitem(last=False)
            self.bytes -= gone
            self.evictions += 1
        return True

    def clear(self) -> None:
        self._items.clear()
        self.bytes = 0
