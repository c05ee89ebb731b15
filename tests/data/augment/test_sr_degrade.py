import numpy as np
import pytest

from flamkit.config.validate import AUGMENTER_INJECTED, Slot, check_component
from flamkit.data.augment.sr_degrade import SampleRateDegrade
from flamkit.data.example import Event, Example
from flamkit.registry import AUGMENTERS


def band_energy(x, sr, lo, hi):
    spec = np.abs(np.fft.rfft(x)) ** 2
    f = np.fft.rfftfreq(len(x), 1 / sr)
    return float(spec[(f >= lo) & (f < hi)].sum())


def two_tones(sr=48000, seconds=0.5):
    t = np.arange(int(sr * seconds)) / sr
    return (0.3 * np.sin(2 * np.pi * 1000 * t) + 0.3 * np.sin(2 * np.pi * 20000 * t)).astype(np.float32)


def test_round_trip_removes_the_top_band_keeps_rate_length_and_labels():
    ex = Example(two_tones(), 48000, key="k", caption="c", events=[Event("e", [(0.1, 0.2)])])
    out = SampleRateDegrade(p=1.0)(ex, np.random.default_rng(0))
    assert out.sample_rate == 48000 and out.audio.shape == ex.audio.shape and out.audio.dtype == np.float32
    assert out.events == ex.events and out.caption == "c"
    # 20 kHz is above the Nyquist frequency of both 16 and 32 kHz; 1 kHz is below both.
    assert band_energy(out.audio, 48000, 19000, 21000) < 1e-4 * band_energy(ex.audio, 48000, 19000, 21000)
    assert band_energy(out.audio, 48000, 900, 1100) == pytest.approx(band_energy(ex.audio, 48000, 900, 1100), rel=0.02)


def test_probability_is_as_configured():
    ex = Example(two_tones(seconds=0.05), 48000, key="k")
    aug = SampleRateDegrade(p=0.3)
    rng = np.random.default_rng(1)
    n = 2000
    changed = sum(aug(ex, rng) is not ex for _ in range(n))
    sd = np.sqrt(n * 0.3 * 0.7)
    assert abs(changed - 0.3 * n) < 4 * sd


def test_rates_at_or_above_the_clip_rate_are_skipped():
    aug = SampleRateDegrade(p=1.0, rates=(16000, 32000))
    ex16 = Example(np.random.default_rng(0).standard_normal(1600).astype(np.float32), 16000, key="k")
    assert aug(ex16, np.random.default_rng(0)) is ex16
    t = np.arange(3200) / 32000
    ex32 = Example((0.3 * np.sin(2 * np.pi * 12000 * t)).astype(np.float32), 32000, key="k")
    for seed in range(5):  # only 16 kHz is below 32 kHz: the 12 kHz tone is always removed
        out = aug(ex32, np.random.default_rng(seed))
        assert band_energy(out.audio, 32000, 11000, 13000) < 1e-3 * band_energy(ex32.audio, 32000, 11000, 13000)


def test_both_rates_are_drawn():
    aug = SampleRateDegrade(p=1.0)
    t = np.arange(4800) / 48000
    ex = Example((0.3 * np.sin(2 * np.pi * 12000 * t)).astype(np.float32), 48000, key="k")
    kept = [band_energy(aug(ex, np.random.default_rng(s)).audio, 48000, 11000, 13000) > 1.0 for s in range(200)]
    # 12 kHz survives 32 kHz (Nyquist 16 kHz) and not 16 kHz (Nyquist 8 kHz): about half each way.
    assert 70 < sum(kept) < 130


def test_deterministic_and_validated():
    ex = Example(two_tones(seconds=0.1), 48000, key="k")
    a = SampleRateDegrade(p=1.0)(ex, np.random.default_rng(5)).audio
    b = SampleRateDegrade(p=1.0)(ex, np.random.default_rng(5)).audio
    np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="p must be"):
        SampleRateDegrade(p=1.5)
    slot = Slot("data.streams.global.augment[0]", AUGMENTERS, AUGMENTER_INJECTED)
    assert check_component(slot, {"name": "sr_degrade", "p": 0.3, "rates": [16000, 32000]}) == []
    assert check_component(slot, {"name": "sr_degrade", "prob": 0.3})
