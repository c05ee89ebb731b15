"""The embedded sound-event vocabulary: 52 procedural event types, each with paraphrased captions.

Each type is a generator ``(rng, sample_rate) -> audio`` built from :mod:`.primitives`, with its own
spectral and temporal signature (tonal vs noisy, low vs high, steady vs swept vs pulsed, one strike vs
a pattern) and per-instance variation (pitch, duration 0.2-4 s, rate, envelope) drawn from ``rng``.

The split measures generalisation the way the paper's Held-out set does: the types marked
``heldout_type`` (10 of 52, ~20 %) never appear in training, and for every other type the *last*
caption is a paraphrase kept out of training, so ``heldout`` data has both unseen sounds and unseen
descriptions of seen sounds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import soxr

from flamkit.data.embedded import primitives as P

Generator = Callable[[np.random.Generator, int], np.ndarray]
MIN_DESIGN_RATE = 16000


@dataclass(frozen=True)
class EventType:
    name: str
    generate: Generator
    captions: tuple[str, ...]  # the last one is held out from training (unless the whole type is)
    tags: tuple[str, ...]
    heldout_type: bool = False

    @property
    def train_captions(self) -> tuple[str, ...]:
        return () if self.heldout_type else self.captions[:-1]

    @property
    def heldout_captions(self) -> tuple[str, ...]:
        return self.captions if self.heldout_type else self.captions[-1:]


EMBEDDED_EVENTS: dict[str, EventType] = {}


def event(name: str, captions: tuple[str, ...], tags: tuple[str, ...], heldout_type: bool = False):
    def deco(fn: Generator) -> Generator:
        if name in EMBEDDED_EVENTS:
            raise ValueError(f"embedded event type {name!r} defined twice")
        if len(captions) < 3:
            raise ValueError(f"embedded event type {name!r} needs at least 3 captions")
        EMBEDDED_EVENTS[name] = EventType(name, fn, captions, tags, heldout_type)
        return fn

    return deco


def make_event(type_name: str, rng: np.random.Generator, sample_rate: int) -> np.ndarray:
    """One random instance of an embedded event type: float32 mono, peak 0.9, 0.2-4 s."""
    try:
        kind = EMBEDDED_EVENTS[type_name]
    except KeyError:
        raise KeyError(f"unknown embedded event type {type_name!r}; known: {', '.join(sorted(EMBEDDED_EVENTS))}") from None
    # The generators are written for >= 16 kHz (their bands reach 7 kHz); lower rates are made at
    # 16 kHz and resampled, which removes what lies above the lower Nyquist.
    design_rate = max(int(sample_rate), MIN_DESIGN_RATE)
    x = kind.generate(rng, design_rate)[: P.n_samples(4.0, design_rate)]
    if design_rate != sample_rate:
        x = soxr.resample(x, design_rate, int(sample_rate), quality="HQ")
    return P.normalise(x)


def _u(rng: np.random.Generator, lo: float, hi: float) -> float:
    return float(rng.uniform(lo, hi))


# The catalogues register their types with @event when imported (kept out of this file for size).
from flamkit.data.embedded import catalog_tonal  # noqa: E402,F401  (first: tones, then noises)
from flamkit.data.embedded import catalog_noise  # noqa: E402,F401

assert len(EMBEDDED_EVENTS) >= 40
