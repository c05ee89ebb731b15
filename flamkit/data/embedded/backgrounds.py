"""Procedural backgrounds for the embedded default data: coloured noises, mains hum, rain, wind,
traffic, a fan and a murmuring crowd. Stationary-ish textures of any length, so events stand out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import soxr

from flamkit.data.embedded import primitives as P
from flamkit.data.embedded.vocabulary import MIN_DESIGN_RATE

BackgroundGenerator = Callable[[np.random.Generator, int, int], np.ndarray]  # (rng, sr, n) -> audio


@dataclass(frozen=True)
class BackgroundType:
    name: str
    generate: BackgroundGenerator
    captions: tuple[str, ...]


EMBEDDED_BACKGROUNDS: dict[str, BackgroundType] = {}


def background(name: str, captions: tuple[str, ...]):
    def deco(fn: BackgroundGenerator) -> BackgroundGenerator:
        EMBEDDED_BACKGROUNDS[name] = BackgroundType(name, fn, captions)
        return fn

    return deco


def make_background(name: str, rng: np.random.Generator, sample_rate: int, seconds: float) -> np.ndarray:
    """``seconds`` of background ``name``, float32 mono, peak 0.9."""
    try:
        kind = EMBEDDED_BACKGROUNDS[name]
    except KeyError:
        raise KeyError(f"unknown embedded background {name!r}; known: {', '.join(sorted(EMBEDDED_BACKGROUNDS))}") from None
    design_rate = max(int(sample_rate), MIN_DESIGN_RATE)  # as for events: made at >= 16 kHz
    x = kind.generate(rng, design_rate, P.n_samples(seconds, design_rate))
    if design_rate != sample_rate:
        x = soxr.resample(x, design_rate, int(sample_rate), quality="HQ")
    return P.normalise(x[: P.n_samples(seconds, sample_rate)])


def _slow(rng: np.random.Generator, n: int, sr: int, cutoff: float, depth: float) -> np.ndarray:
    """A slowly wandering gain around 1 (random low-passed noise)."""
    m = P.butter(P.white(rng, n), sr, None, cutoff, order=2)
    return 1.0 + depth * m / (np.max(np.abs(m)) + 1e-9)


@background("white_noise", ("steady white noise", "a constant hiss"))
def _white(rng, sr, n):
    return P.white(rng, n)


@background("pink_noise", ("steady pink noise", "a soft broadband noise"))
def _pink(rng, sr, n):
    return P.coloured(rng, n, 1.0)


@background("brown_noise", ("a deep brown noise", "a low steady roar"))
def _brown(rng, sr, n):
    return P.butter(P.coloured(rng, n, 2.0), sr, 20, None, order=2)


@background("mains_hum", ("electrical mains hum", "a humming transformer"))
def _hum(rng, sr, n):
    f = 50.0 if rng.random() < 0.5 else 60.0
    t = P.times(n, sr)
    amps = rng.uniform(0.2, 1.0, 8) / np.arange(1, 9)
    tone = sum(a * np.sin(P.TAU * f * h * t + rng.uniform(0, P.TAU)) for h, a in enumerate(amps, 1))
    return tone + 0.05 * P.coloured(rng, n, 1.0)


@background("rain", ("rain falling steadily", "a rain shower"))
def _rain(rng, sr, n):
    bed = P.butter(P.coloured(rng, n, 0.5), sr, 400, None, order=2)
    drops = np.zeros(n)
    count = int(n / sr * 400)
    drops[rng.integers(0, n, count)] = rng.uniform(-1, 1, count) * 4
    drops = P.butter(drops, sr, 2000, None, order=2)
    return bed * _slow(rng, n, sr, 0.3, 0.2) + drops


@background("wind", ("wind blowing", "a gusty wind"))
def _wind(rng, sr, n):
    centre = 300 * _slow(rng, n, sr, 0.2, 0.6)
    return P.shaped_noise(rng, n, sr, centre, 2.5) * _slow(rng, n, sr, 0.25, 0.7)


@background("traffic", ("distant traffic", "a road with passing cars far away"))
def _traffic(rng, sr, n):
    x = P.butter(P.coloured(rng, n, 1.5), sr, 30, 1500)
    return x * _slow(rng, n, sr, 0.15, 0.6)


@background("fan", ("a fan whirring", "an air conditioner running"))
def _fan(rng, sr, n):
    t = P.times(n, sr)
    f = rng.uniform(90, 130)
    return P.butter(P.coloured(rng, n, 1.0), sr, None, 2500) + 0.2 * np.sin(P.TAU * f * t) + 0.1 * np.sin(P.TAU * 2 * f * t)


@background("crowd_murmur", ("a murmuring crowd", "indistinct chatter of many people"))
def _crowd(rng, sr, n):
    out = np.zeros(n)
    for _ in range(6):  # voice-like formant noise, syllabically modulated
        lo = rng.uniform(300, 700)
        voice = P.butter(P.white(rng, n), sr, lo, lo * rng.uniform(3, 5), order=2)
        env = np.clip(P.butter(P.white(rng, n), sr, None, 4.0, order=2), 0, None)
        out += voice * env / (np.max(env) + 1e-9)
    return out
