import numpy as np
import pytest

from flamkit.data.synth.loudness import (
    AWeightedLoudness,
    a_weighting_db,
    active_loudness_db,
    frame_grid,
    solve_gain_db,
)

# IEC 61672-1:2013 Table 3, A-weighting at the nominal one-third-octave frequencies (exact base-10
# frequencies 1000 * 10^(n/10)), rounded to 0.1 dB by the standard.
IEC_TABLE = {
    -20: -70.4, -19: -63.4, -18: -56.7, -17: -50.5, -16: -44.7, -15: -39.4, -14: -34.6, -13: -30.2,
    -12: -26.2, -11: -22.5, -10: -19.1, -9: -16.1, -8: -13.4, -7: -10.9, -6: -8.6, -5: -6.6, -4: -4.8,
    -3: -3.2, -2: -1.9, -1: -0.8, 0: 0.0, 1: 0.6, 2: 1.0, 3: 1.2, 4: 1.3, 5: 1.2, 6: 1.0, 7: 0.5,
    8: -0.1, 9: -1.1, 10: -2.5, 11: -4.3, 12: -6.6, 13: -9.3,
}


def test_a_curve_matches_iec_table():
    n = np.array(sorted(IEC_TABLE))
    freqs = 1000.0 * 10.0 ** (n / 10.0)
    expected = np.array([IEC_TABLE[k] for k in n])
    np.testing.assert_allclose(a_weighting_db(freqs), expected, atol=0.051)
    assert a_weighting_db(1000.0) == pytest.approx(0.0, abs=1e-3)
    assert a_weighting_db(0.0) == -np.inf


def _naive_levels(x: np.ndarray, sr: int, n_frames: int) -> np.ndarray:
    """Independent reference: per frame, cut the 50 ms window centred on the frame centre (zeros
    outside the signal), A-weight it by zero-phase filtering in float64 and take 10 log10 mean(y^2)."""
    w = int(round(0.05 * sr))
    hop = sr / 50.0
    out = []
    for l in range(n_frames):
        start = int(np.floor((l + 0.5) * hop - w / 2 + 0.5))
        frame = np.zeros(w)
        for k in range(w):
            if 0 <= start + k < len(x):
                frame[k] = x[start + k]
        spec = np.fft.fft(frame)
        f = np.abs(np.fft.fftfreq(w, 1.0 / sr))
        y = np.fft.ifft(spec * 10.0 ** (a_weighting_db(f) / 20.0)).real
        out.append(10 * np.log10(max(np.mean(y**2), 1e-15)))
    return np.array(out)


@pytest.mark.parametrize("sr", [48000, 16000, 44100, 11025])
def test_frame_levels_match_naive_reference(sr):
    rng = np.random.default_rng(0)
    x = np.zeros(int(0.7 * sr), np.float32)
    x[int(0.1 * sr) : int(0.45 * sr)] = rng.standard_normal(int(0.45 * sr) - int(0.1 * sr)) * 0.1
    x[int(0.6 * sr)] = 0.9  # an impulse
    meter = AWeightedLoudness(sr)
    n = meter.grid.num_frames(len(x))
    assert n == 35
    got = meter.frame_db(x)
    ref = _naive_levels(x.astype(np.float64), sr, n)
    mask = ref > -140
    np.testing.assert_allclose(got[mask], ref[mask], atol=1e-3)


@pytest.mark.parametrize("sr,freq", [(48000, 100.0), (48000, 1000.0), (48000, 4000.0), (48000, 10000.0),
                                     (48000, 1234.5), (16000, 1000.0), (16000, 4000.0), (16000, 7000.0),
                                     (32000, 12500.0)])
def test_sine_level_is_rms_plus_a_weight(sr, freq):
    t = np.arange(sr) / sr
    amp = 0.5
    x = (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    levels = AWeightedLoudness(sr).frame_db(x)[3:-3]  # away from the zero-padded edges
    expected = 20 * np.log10(amp / np.sqrt(2)) + a_weighting_db(freq)
    np.testing.assert_allclose(levels, expected, atol=0.1)


def test_full_scale_convention():
    sr = 48000
    t = np.arange(sr) / sr
    square = np.sign(np.sin(2 * np.pi * 1000 * t + 0.1)).astype(np.float32)
    sine = np.sin(2 * np.pi * 1000 * t).astype(np.float32)
    meter = AWeightedLoudness(sr)
    # a full-scale 1 kHz sine reads -3.01 dB; the square's harmonics are A-weighted (+0.x dB at 3-5 kHz)
    assert np.median(meter.frame_db(sine)) == pytest.approx(-3.01, abs=0.02)
    assert -0.5 < np.median(meter.frame_db(square)) < 0.5


def test_grid_geometry_48k():
    g = frame_grid(48000)
    assert (g.window, g.hop) == (2400, 960.0)
    assert g.num_frames(480000) == 500
    assert list(g.starts(0, 3)) == [-720, 240, 1200]


@pytest.mark.parametrize("sr", [48000, 16000, 22050, 11025])
def test_footprint_matches_brute_force(sr):
    g = frame_grid(sr)
    rng = np.random.default_rng(1)
    starts = g.starts(0, 600)
    for _ in range(200):
        a = int(rng.integers(0, 5 * sr))
        b = a + int(rng.integers(1, sr))
        hit = np.flatnonzero((starts < b) & (starts + g.window > a))
        assert g.footprint(a, b) == (hit[0], hit[-1] + 1)


def test_offset_and_partial_frames_equal_placing_on_canvas():
    sr = 16000
    rng = np.random.default_rng(2)
    piece = rng.standard_normal(3000).astype(np.float32)
    canvas = np.zeros(sr, np.float32)
    canvas[5000:8000] = piece
    meter = AWeightedLoudness(sr)
    full = meter.frame_power(canvas)
    first, last = meter.grid.footprint(5000, 8000)
    part = meter.frame_power(piece, first, last - first, offset=5000)
    np.testing.assert_allclose(part, full[first:last], rtol=1e-5)
    assert np.all(full[:first] == 0) and np.all(full[last:] == 0)


def test_active_loudness_is_power_mean_of_active_frames():
    p = np.array([1e-2, 1e-4, 1e-9, 0.0])
    assert active_loudness_db(p, -70) == pytest.approx(10 * np.log10((1e-2 + 1e-4) / 2))
    assert active_loudness_db(p, 0) is None


def test_solve_gain_is_exact_against_brute_force():
    rng = np.random.default_rng(3)
    for _ in range(300):
        n = int(rng.integers(1, 60))
        power = 10 ** (rng.uniform(-12, -1, n))
        power[rng.random(n) < 0.2] = 0.0
        if not power.any():
            assert solve_gain_db(power, -20, -70) is None
            continue
        target = rng.uniform(-69, 0)
        sol = solve_gain_db(power, target, -70)
        assert sol.exact
        assert active_loudness_db(power * 10 ** (sol.gain_db / 10), -70) == pytest.approx(target, abs=1e-9)


def test_solve_gain_below_threshold_is_flagged():
    sol = solve_gain_db(np.array([1.0, 0.5]), -80.0, -70.0)
    assert not sol.exact
    assert sol.loudness_db == pytest.approx(-70.0, abs=1e-4)
    assert active_loudness_db(np.array([1.0, 0.5]) * 10 ** (sol.gain_db / 10), -70) == pytest.approx(sol.loudness_db)
