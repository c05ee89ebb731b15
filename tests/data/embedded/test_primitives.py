import numpy as np
import pytest

from flamkit.data.embedded import primitives as P

SR = 16000


def _slope(x):
    """Fitted power-spectrum slope in dB per decade between 100 Hz and 5 kHz."""
    spec = np.abs(np.fft.rfft(x)) ** 2
    f = np.fft.rfftfreq(len(x), 1 / SR)
    band = (f > 100) & (f < 5000)
    return np.polyfit(np.log10(f[band]), 10 * np.log10(spec[band] + 1e-20), 1)[0]


@pytest.mark.parametrize("exponent", [0.0, 1.0, 2.0])
def test_coloured_noise_slope(exponent):
    x = P.coloured(np.random.default_rng(0), 4 * SR, exponent)
    assert np.sqrt(np.mean(x**2)) == pytest.approx(1.0, rel=1e-6)
    assert _slope(x) == pytest.approx(-10 * exponent, abs=1.0)


def test_shaped_noise_follows_its_centre():
    n = 2 * SR
    x = P.shaped_noise(np.random.default_rng(0), n, SR, np.full(n, 2000.0), 0.5)
    spec = np.abs(np.fft.rfft(x)) ** 2
    f = np.fft.rfftfreq(n, 1 / SR)
    assert 1700 < np.sum(f * spec) / np.sum(spec) < 2300


def test_pluck_pitch_and_decay():
    x = P.pluck(np.random.default_rng(0), 220.0, SR, SR)
    spec = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    f = np.fft.rfftfreq(len(x), 1 / SR)
    assert abs(f[np.argmax(spec[f < 1000])] - 220) < 5
    assert np.abs(x[-1000:]).max() < 0.3 * np.abs(x[:1000]).max()


def test_sweep_gate_and_harmonics():
    f = P.sweep(100, 1000, 11)
    assert f[0] == pytest.approx(100) and f[-1] == pytest.approx(1000) and f[5] == pytest.approx(np.sqrt(1e5))
    g = P.gate(SR, SR, [(0.1, 0.2)])
    assert g[:1500].max() == 0 and g[2000:4500].min() == 1 and g[5000:].max() == 0
    ph = P.phase(3000.0, 100, SR)
    assert np.allclose(P.harmonics(ph, (1.0, 1.0, 1.0), SR, 3000.0), np.sin(ph) + np.sin(2 * ph))  # 9 kHz dropped
    assert P.normalise(np.array([0.0, 2.0, -4.0])).max() <= 0.9 + 1e-6
