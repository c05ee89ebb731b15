"""The data memo: exact copies, bounded by bytes, and invisible to what the sources return."""

import numpy as np

from flamkit.data.example import Example
from flamkit.data.memo import ByteLRU


def test_hits_are_equal_independent_copies():
    memo = ByteLRU(1.0)
    calls = []

    def make():
        calls.append(1)
        return Example(np.arange(10, dtype=np.float32), 10, key="k", caption="c")

    a = memo.get("k", make)
    b = memo.get("k", make)
    assert len(calls) == 1 and memo.hits == 1 and memo.misses == 1
    np.testing.assert_array_equal(a.audio, b.audio)
    b.audio[0] = 99.0
    b.caption = "changed"
    c = memo.get("k", make)
    assert c.audio[0] == 0.0 and c.caption == "c"


def test_bounded_by_bytes_least_recent_first():
    memo = ByteLRU(3 * 4096 / 2**20)  # room for three 4 kB arrays
    for k in range(4):
        memo.get(k, lambda: np.zeros(1024, np.float32))
    assert len(memo) == 3 and memo.bytes == 3 * 4096
    memo.get(1, lambda: np.ones(1024, np.float32))  # still there: a hit, not the new value
    assert memo.hits == 1
    disabled = ByteLRU(0)
    disabled.get("x", lambda: np.zeros(3))
    assert len(disabled) == 0 and disabled.misses == 0
