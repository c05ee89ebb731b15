"""In-memory event and background pools of the embedded default data, for :class:`MixtureSynthesizer`.

Splits (see :mod:`.vocabulary`):

* ``train``: the types not held out, each instance described by one of the type's training captions;
* ``heldout_types``: the held-out types (sounds never trained on), any of their captions;
* ``heldout_captions``: the training types described only by their held-out paraphrase;
* ``heldout``: both of the above, as the paper's Held-out set (unseen events and descriptions).

Instances are drawn from ``default_rng([seed, split, crc32(type)])`` so train and held-out instances
differ, and adding a type does not change the others. Every fourth instance goes to the
``general`` pool with a faint noise bed mixed in (general-audio clips are noisier than sound
effects, §4.1), so the synthesizer's 80/20 pool choice has two real pools.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from flamkit.data.embedded import primitives as P
from flamkit.data.embedded.backgrounds import EMBEDDED_BACKGROUNDS, make_background
from flamkit.data.embedded.vocabulary import EMBEDDED_EVENTS, make_event
from flamkit.data.synth.clips import ArrayClip

SPLITS = ("train", "heldout", "heldout_types", "heldout_captions")
_SPLIT_CODE = {"train": 0, "heldout_types": 1, "heldout_captions": 2}


@dataclass(frozen=True)
class EmbeddedPools:
    events: tuple[ArrayClip, ...]
    backgrounds: tuple[ArrayClip, ...]

    @property
    def texts(self) -> list[str]:
        """Distinct event descriptions in this split."""
        return sorted({t for c in self.events for t in c.texts})


def _stable(name: str) -> int:
    return zlib.crc32(name.encode("utf-8"))


def _event_clips(part: str, sample_rate: int, n: int, seed: int) -> list[ArrayClip]:
    clips = []
    for kind in EMBEDDED_EVENTS.values():
        if part == "train":
            captions = kind.train_captions
        elif part == "heldout_types":
            captions = kind.captions if kind.heldout_type else ()
        else:  # heldout_captions
            captions = () if kind.heldout_type else kind.heldout_captions
        if not captions:
            continue
        rng = np.random.default_rng([seed, _SPLIT_CODE[part], _stable(kind.name)])
        for i in range(n):
            audio = make_event(kind.name, rng, sample_rate)
            pool = "sfx"
            if i % 4 == 3:
                pool = "general"
                bed = P.coloured(rng, len(audio), 1.0) * 10 ** (rng.uniform(-40, -25) / 20)
                audio = P.normalise(audio + bed)
            caption = captions[int(rng.integers(len(captions)))]
            clips.append(ArrayClip(audio, sample_rate, (caption,), pool=pool, key=f"embedded/{part}/{kind.name}/{i}",
                                   tags=(kind.name, *kind.tags)))
    return clips


@lru_cache(maxsize=8)
def embedded_pools(
    split: str = "train",
    sample_rate: int = 16000,
    n_instances_per_type: int = 8,
    seed: int = 0,
    n_backgrounds_per_type: int = 2,
    background_seconds: float = 12.0,
) -> EmbeddedPools:
    """Event and background clips of one split (cached: the same arguments return the same object)."""
    if split not in SPLITS:
        raise ValueError(f"split={split!r}; expected one of {', '.join(SPLITS)}")
    parts = ("heldout_types", "heldout_captions") if split == "heldout" else (split,)
    events = [c for part in parts for c in _event_clips(part, sample_rate, n_instances_per_type, seed)]
    bg_split = 0 if split == "train" else 1  # held-out mixtures get unseen background instances
    backgrounds = []
    for kind in EMBEDDED_BACKGROUNDS.values():
        rng = np.random.default_rng([seed, 100 + bg_split, _stable(kind.name)])
        for i in range(n_backgrounds_per_type):
            audio = make_background(kind.name, rng, sample_rate, background_seconds)
            backgrounds.append(ArrayClip(audio, sample_rate, kind.captions, pool="background",
                                         key=f"embedded/{'train' if bg_split == 0 else 'heldout'}/bg/{kind.name}/{i}",
                                         tags=(kind.name,)))
    return EmbeddedPools(tuple(events), tuple(backgrounds))
