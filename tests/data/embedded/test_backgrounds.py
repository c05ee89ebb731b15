import numpy as np
import pytest

from flamkit.data.embedded import EMBEDDED_BACKGROUNDS, make_background

SR = 16000


def test_backgrounds():
    for name in EMBEDDED_BACKGROUNDS:
        x = make_background(name, np.random.default_rng(0), SR, 3.0)
        assert len(x) == 3 * SR and np.isfinite(x).all() and np.max(np.abs(x)) == pytest.approx(0.9, abs=1e-5)
        # a background is a texture: no 0.5 s stretch is near-silent
        rms = np.sqrt(np.mean(x.reshape(6, -1) ** 2, axis=1))
        assert rms.min() > 0.05 * rms.max(), name


def test_low_rates_and_unknown_name():
    x = make_background("rain", np.random.default_rng(0), 8000, 2.0)
    assert len(x) == 16000 and np.isfinite(x).all()
    with pytest.raises(KeyError, match="unknown embedded background"):
        make_background("lava", np.random.default_rng(0), SR, 1.0)
