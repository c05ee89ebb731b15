"""The byte-bounded LRU store against a naive list model of the same rule."""

import numpy as np
import pytest

from flamkit.lru import ByteBoundedLRU


class NaiveLRU:
    """Oldest first in a plain list; evict from the front while the sizes sum past the budget."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.items: list[tuple[object, object, int]] = []
        self.evictions = 0

    def lookup(self, key):
        for i, (k, v, s) in enumerate(self.items):
            if k == key:
                self.items.append(self.items.pop(i))
                return v
        return None

    def put(self, key, value, size) -> bool:
        if size > self.max_bytes:
            return False
        self.items = [it for it in self.items if it[0] != key]
        self.items.append((key, value, size))
        while sum(s for _, _, s in self.items) > self.max_bytes:
            self.items.pop(0)
            self.evictions += 1
        return True


@pytest.mark.parametrize("seed", range(5))
def test_matches_naive_model_on_random_operations(seed):
    rng = np.random.default_rng(seed)
    fast, slow = ByteBoundedLRU(100), NaiveLRU(100)
    for step in range(400):
        key = int(rng.integers(12))
        if rng.random() < 0.5:
            assert fast.lookup(key) == slow.lookup(key), step
        else:
            size = int(rng.integers(0, 120))
            assert fast.put(key, (key, step), size) == slow.put(key, (key, step), size), step
        assert [k for k, _, _ in slow.items] == list(fast._items), step
        assert fast.bytes == sum(s for _, _, s in slow.items) <= fast.max_bytes
        assert fast.evictions == slow.evictions


def test_oversized_item_is_not_kept_and_keeps_the_others():
    lru = ByteBoundedLRU(10)
    assert lru.put("a", 1, 6)
    assert not lru.put("b", 2, 11)
    assert "a" in lru and "b" not in lru and lru.bytes == 6


def test_replacing_a_key_counts_its_size_once_and_budget_can_shrink():
    lru = ByteBoundedLRU(10)
    lru.put("a", 1, 4)
    lru.put("a", 2, 5)
    assert len(lru) == 1 and lru.bytes == 5 and lru.lookup("a") == 2
    lru.put("b", 3, 5)
    lru.max_bytes = 5
    lru.put("c", 4, 5)  # the next put enforces the smaller budget
    assert list(lru._items) == ["c"] and lru.evictions == 2
    lru.clear()
    assert len(lru) == 0 and lru.bytes == 0
