import numpy as np
import pytest

from flamkit.data.synth.mixture import apply_fades, loop_to_length


def test_apply_fades_and_loop():
    x = np.ones(100, np.float32)
    y = apply_fades(x, 10)
    assert y[0] == pytest.approx(0.05) and y[9] == pytest.approx(0.95) and y[10] == 1 and y[-1] == pytest.approx(0.05)
    assert apply_fades(np.ones(6, np.float32), 10).max() <= 1.0  # fade capped at half the piece
    x = np.arange(1, 101, dtype=np.float32)
    out = loop_to_length(x, 350, 30, 0)
    np.testing.assert_array_equal(out[:70], x[30:])
    np.testing.assert_array_equal(out[70:170], x)
    xf = loop_to_length(np.ones(100, np.float32), 1000, 10, 8)
    np.testing.assert_allclose(xf, 1.0, atol=1e-6)  # linear cross-fades of a constant stay constant
