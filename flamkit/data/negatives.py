"""Negatives beyond the batch: training descriptions absent from a batch, to fill its free text slots.

Why: the SED loss (eq. 4) scores every frame against the K = 5B text slots of §3.3, and only the
batch's own descriptions fill them (the rest is padding that the loss masks out). So each frame
meets as negatives only the labels that happen to share its batch, about 140 of 385 debian-sfx
training labels at B = 32, while a closed-set evaluation asks it about every label at once, and an
absent label whose cosine drifts above 0 is a false alarm at 0.5 (eq. 21). ``data.negatives = N``
adds N slots and fills every free slot with another training description, absent from every clip
of the batch. K = 5B + N is still fixed, so shapes stay static and the ring of
:mod:`flamkit.distributed.ring_sed` exchanges blocks of one size.

A drawn description must really be absent. The caption augmenter may show an event by one of its
tags instead of its label (C.6), so a description is drawn only if none of the strings that name
its sound (its label and every tag of its clips, :attr:`NegativePool.aliases`) is the text or a tag
of an event in the batch. The prior loss (eq. 10) does not see these slots
(:attr:`flamkit.data.collate.SedBatch.prior_text_ids`): beta fits the positive fraction of the
batch's own descriptions, as in the paper, and the extra slots only add negatives to eq. 4.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from flamkit.textids import normalize_text, text_id


@dataclass(frozen=True)
class NegativePool:
    """Descriptions that may fill free slots, each with the ids of every string naming its sound."""

    texts: tuple[str, ...]
    aliases: tuple[frozenset[int], ...]

    @classmethod
    def from_families(cls, families: Mapping[str, Iterable[str]]) -> "NegativePool":
        """``families``: description -> other strings for the same sound (its tags). Descriptions
        are normalised and merged (two spellings of one label are one entry), sorted for a fixed order."""
        merged: dict[str, set[int]] = {}
        for text, others in families.items():
            key = normalize_text(text)
            if not key:
                continue
            ids = merged.setdefault(key, {text_id(key)})
            ids.update(text_id(o) for o in others if normalize_text(o))
        texts = tuple(sorted(merged))
        return cls(texts, tuple(frozenset(merged[t]) for t in texts))

    def __len__(self) -> int:
        return len(self.texts)

    def draw(self, taken: set[int], n: int, rng: np.random.Generator) -> list[str]:
        """Up to ``n`` distinct descriptions none of whose aliases is in ``taken``, in random order."""
        if n <= 0:
            return []
        free = [i for i, ids in enumerate(self.aliases) if taken.isdisjoint(ids)]
        if not free:
            return []
        pick = rng.choice(len(free), size=min(n, len(free)), replace=False)
        return [self.texts[free[int(j)]] for j in pick]


def batch_rng(keys: Sequence[str], seed: int) -> np.random.Generator:
    """A generator that is a function of the batch's clip keys and ``seed`` alone: the same batch
    draws the same negatives after a resume, in any worker process, and different ranks' batches differ."""
    digest = hashlib.blake2b(("\0".join(keys) + f"\0{seed}").encode("utf-8"), digest_size=8).digest()
    return np.random.default_rng(int.from_bytes(digest, "little"))


def alias_families(groups: Iterable[tuple[Iterable[str], Iterable[str]]]) -> dict[str, set[str]]:
    """Description -> the other strings that name its sound, from groups of (descriptions, tags) that
    each name one sound (a clip, an event type). Descriptions may be drawn; tags only exclude."""
    out: dict[str, set[str]] = {}
    for texts, tags in groups:
        texts = list(texts)
        names = set(texts) | set(tags)
        for text in texts:
            out.setdefault(text, set()).update(names - {text})
    return out


def merge_families(parts: Iterable[Mapping[str, Iterable[str]] | None]) -> dict[str, set[str]]:
    """The union of several sources' description families (None: a source that offers none)."""
    return alias_families(([text], others) for part in parts for text, others in (part or {}).items())
