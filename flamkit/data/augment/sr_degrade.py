"""Sample-rate degradation (C.5): 30% of clips go down to 16 or 32 kHz and back up.

Training audio is 48 kHz but much real audio was recorded or encoded at lower rates; a model that
never saw band-limited audio treats a missing top octave as a feature. The round trip through soxr
removes the content above the lower rate's Nyquist frequency and keeps the clip's rate and length.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from flamkit.data.audio_io import resample
from flamkit.data.example import Example
from flamkit.registry import AUGMENTERS


@AUGMENTERS.register("sr_degrade")
class SampleRateDegrade:
    """With probability ``p``, resample to a rate drawn from ``rates`` and back (soxr HQ).

    Only rates below the clip's own rate are candidates (resampling up and down again removes
    nothing); when none is below it the clip passes through unchanged. The output has exactly the
    input's length (soxr rounds lengths, so the round trip is trimmed or zero-padded by a sample).
    """

    def __init__(self, p: float = 0.3, rates: tuple[int, ...] = (16000, 32000)) -> None:
        if not 0.0 <= float(p) <= 1.0:
            raise ValueError(f"sr_degrade: p must be in [0, 1], got {p}")
        if not rates or any(int(r) <= 0 for r in rates):
            raise ValueError(f"sr_degrade: rates must be positive sample rates, got {list(rates)}")
        self.p = float(p)
        self.rates = tuple(int(r) for r in rates)

    def __call__(self, example: Example, rng: np.random.Generator) -> Example:
        if rng.random() >= self.p:
            return example
        sr = int(example.sample_rate)
        candidates = [r for r in self.rates if r < sr]
        if not candidates:
            return example
        low = candidates[int(rng.integers(len(candidates)))]
        n = len(example.audio)
        audio = resample(resample(example.audio, sr, low), low, sr)
        if len(audio) >= n:
            audio = audio[:n]
        else:
            audio = np.concatenate([audio, np.zeros(n - len(audio), dtype=np.float32)])
        return dataclasses.replace(example, audio=np.ascontiguousarray(audio, dtype=np.float32))
