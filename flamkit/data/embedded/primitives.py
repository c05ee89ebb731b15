"""Signal building blocks for the embedded sound vocabulary: tones, sweeps, coloured and shaped noise,
envelopes, modal strikes, plucked strings, pulse patterns. All vectorised numpy/scipy, float64 inside,
deterministic given the ``numpy.random.Generator`` passed in."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import scipy.signal as ss

TAU = 2.0 * np.pi


def n_samples(seconds: float, sr: int) -> int:
    return max(1, int(round(seconds * sr)))


def times(n: int, sr: int) -> np.ndarray:
    return np.arange(n) / float(sr)


def phase(freq: np.ndarray | float, n: int, sr: int) -> np.ndarray:
    """Running phase of an oscillator whose instantaneous frequency is ``freq`` (Hz, scalar or [n])."""
    f = np.broadcast_to(np.asarray(freq, dtype=np.float64), (n,))
    return TAU * np.cumsum(f) / sr


def harmonics(ph: np.ndarray, amps: Sequence[float], sr: int, f0: np.ndarray | float) -> np.ndarray:
    """Sum of ``amps[h-1] * sin(h * phase)``, dropping harmonics above Nyquist (no aliasing)."""
    out = np.zeros_like(ph)
    f0max = float(np.max(f0))
    for h, a in enumerate(amps, 1):
        if a and h * f0max < 0.45 * sr:
            out += a * np.sin(h * ph)
    return out


def sweep(f_start: float, f_end: float, n: int, exponential: bool = True) -> np.ndarray:
    """Instantaneous frequency of a sweep over ``n`` samples."""
    u = np.linspace(0.0, 1.0, n)
    if exponential:
        return f_start * (f_end / f_start) ** u
    return f_start + (f_end - f_start) * u


def white(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.standard_normal(n)


def coloured(rng: np.random.Generator, n: int, exponent: float) -> np.ndarray:
    """Noise with power spectrum ~ 1/f^exponent (0 white, 1 pink, 2 brown), unit RMS."""
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n)
    f[0] = f[1] if n > 1 else 1.0
    x = np.fft.irfft(spec / f ** (exponent / 2.0), n)
    return x / (np.sqrt(np.mean(x**2)) + 1e-12)


def butter(x: np.ndarray, sr: int, low: float | None = None, high: float | None = None, order: int = 4) -> np.ndarray:
    """Butterworth band/low/high-pass (``low``/``high`` in Hz, either may be None)."""
    nyq = 0.5 * sr
    low = low if low is None or low > 1.0 else None
    high = high if high is None or high < 0.98 * nyq else None
    if low and high:
        sos = ss.butter(order, [low, high], btype="bandpass", fs=sr, output="sos")
    elif low:
        sos = ss.butter(order, low, btype="highpass", fs=sr, output="sos")
    elif high:
        sos = ss.butter(order, high, btype="lowpass", fs=sr, output="sos")
    else:
        return x
    return ss.sosfilt(sos, x)


def shaped_noise(rng: np.random.Generator, n: int, sr: int, centre: np.ndarray, width_oct: float) -> np.ndarray:
    """Noise whose passband (Gaussian in log-frequency, ``width_oct`` octaves wide) follows ``centre``
    [n] Hz over time: a random-phase STFT with a time-varying mask, then its inverse."""
    nper = 512 if sr >= 32000 else 256
    hop = nper // 4
    n_frames = n // hop + 2
    f = np.fft.rfftfreq(nper, 1.0 / sr)
    fc = np.interp(np.arange(n_frames) * hop, np.arange(n), np.asarray(centre, dtype=np.float64))
    logf = np.log2(np.maximum(f, 1.0))[:, None]
    mask = np.exp(-0.5 * ((logf - np.log2(fc)[None, :]) / (width_oct / 2.0)) ** 2)
    spec = mask * np.exp(1j * rng.uniform(0, TAU, mask.shape)) * rng.rayleigh(1.0, mask.shape)
    _, x = ss.istft(spec, fs=sr, nperseg=nper, noverlap=nper - hop, boundary=True)
    x = np.asarray(x[:n], dtype=np.float64)
    if len(x) < n:
        x = np.pad(x, (0, n - len(x)))
    return x / (np.sqrt(np.mean(x**2)) + 1e-12)


def ramp_env(n: int, sr: int, attack: float, release: float) -> np.ndarray:
    """Flat envelope with linear attack and release (seconds)."""
    env = np.ones(n)
    a, r = min(n_samples(attack, sr), n // 2), min(n_samples(release, sr), n // 2)
    env[:a] = np.linspace(0, 1, a, endpoint=False)
    env[n - r :] = np.linspace(1, 0, r)
    return env


def decay_env(n: int, sr: int, tau: float, attack: float = 0.002) -> np.ndarray:
    """Percussive envelope: short linear attack then exp(-t / tau)."""
    t = times(n, sr)
    env = np.exp(-t / tau)
    a = min(n_samples(attack, sr), n)
    env[:a] *= np.linspace(0, 1, a, endpoint=False)
    return env


def swell_env(n: int, peak_at: float = 0.5, power: float = 2.0) -> np.ndarray:
    """Rise to a peak at fraction ``peak_at`` of the length, then fall (a whoosh shape)."""
    u = np.linspace(0.0, 1.0, n)
    rise = np.clip(u / max(peak_at, 1e-3), 0, 1)
    fall = np.clip((1 - u) / max(1 - peak_at, 1e-3), 0, 1)
    return np.minimum(rise, fall) ** power


def gate(n: int, sr: int, spans: Sequence[tuple[float, float]], ramp: float = 0.004) -> np.ndarray:
    """0/1 mask that is 1 on each (start, duration) span, with short linear ramps (no clicks)."""
    out = np.zeros(n)
    r = n_samples(ramp, sr)
    for start, dur in spans:
        a, b = n_samples(start, sr), n_samples(start + dur, sr)
        a, b = min(a, n), min(b, n)
        if b - a < 2:
            continue
        seg = np.ones(b - a)
        k = min(r, (b - a) // 2)
        if k:
            seg[:k] = np.linspace(0, 1, k, endpoint=False)
            seg[-k:] = np.linspace(1, 0, k)
        out[a:b] = np.maximum(out[a:b], seg)
    return out


def modal(n: int, sr: int, freqs: Sequence[float], amps: Sequence[float], taus: Sequence[float],
          rng: np.random.Generator | None = None) -> np.ndarray:
    """A struck object: decaying sinusoidal partials (bells, bars, drums), random initial phases."""
    t = times(n, sr)
    out = np.zeros(n)
    for f, a, tau in zip(freqs, amps, taus):
        if 20.0 < f < 0.45 * sr:
            ph = rng.uniform(0, TAU) if rng is not None else 0.0
            out += a * np.exp(-t / tau) * np.sin(TAU * f * t + ph)
    a = min(n_samples(0.001, sr), n)
    out[:a] *= np.linspace(0, 1, a, endpoint=False)
    return out


def pluck(rng: np.random.Generator, f0: float, n: int, sr: int, decay: float = 0.996) -> np.ndarray:
    """Karplus-Strong plucked string (a noise burst through a damped comb/averaging loop)."""
    period = max(2, int(round(sr / f0)))
    x = np.zeros(n)
    x[:period] = rng.uniform(-1, 1, min(period, n))
    # y[k] = x[k] + decay/2 (y[k-P] + y[k-P-1])
    a = np.zeros(period + 2)
    a[0] = 1.0
    a[period] = a[period + 1] = -decay / 2.0
    return ss.lfilter([1.0], a, x)


def place(n: int, sr: int, onsets: Sequence[float], sound: np.ndarray, gains: Sequence[float] | None = None) -> np.ndarray:
    """``sound`` added at each onset (seconds), scaled by ``gains``; truncated at the end."""
    out = np.zeros(n)
    gains = gains if gains is not None else [1.0] * len(onsets)
    for t0, g in zip(onsets, gains):
        a = n_samples(t0, sr) if t0 > 0 else 0
        if a >= n:
            continue
        m = min(len(sound), n - a)
        out[a : a + m] += g * sound[:m]
    return out


def normalise(x: np.ndarray, peak: float = 0.9) -> np.ndarray:
    """float32, peak-normalised to ``peak`` (the mixer sets loudness; this only fixes the scale)."""
    x = np.asarray(x, dtype=np.float64)
    x = x - np.mean(x) if len(x) > 1 else x
    m = np.max(np.abs(x)) if len(x) else 0.0
    return (x * (peak / m) if m > 0 else x).astype(np.float32)
