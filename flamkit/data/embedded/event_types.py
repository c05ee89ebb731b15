"""The embedded event types and the ``@event`` decorator the catalogues register them with.

Kept apart from :mod:`.vocabulary` so that the catalogues (:mod:`.catalog_tonal`,
:mod:`.catalog_noise`) import this module and :mod:`.vocabulary` imports them: one direction, no circle.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

Generator = Callable[[np.random.Generator, int], np.ndarray]


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


def _u(rng: np.random.Generator, lo: float, hi: float) -> float:
    return float(rng.uniform(lo, hi))
