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

import numpy as np
import soxr

# The catalogues register their types with event_types.event when imported (kept apart for size);
# importing them here makes EMBEDDED_EVENTS whole. Tones first, then noises (the registry's order).
from flamkit.data.embedded import catalog_tonal  # noqa: F401,I001
from flamkit.data.embedded import catalog_noise  # noqa: F401,I001
from flamkit.data.embedded import primitives as P
from flamkit.data.embedded.event_types import EMBEDDED_EVENTS, EventType, Generator, event  # noqa: F401  (re-exported)

MIN_DESIGN_RATE = 16000


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


assert len(EMBEDDED_EVENTS) >= 40
