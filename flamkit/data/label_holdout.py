"""A fixed, seeded split of a corpus's *labels* into a training part and a held-out part.

Why: a model meant for sounds it was never shown must have its recipe chosen on labels it was not
trained on, and a corpus's own test labels must be looked at once, at the end. Holding out a
fraction of the *training* labels gives that validation set without touching the test split:
``holdout: {fraction: 0.15, seed: 0, part: train}`` on every training source and
``part: holdout`` on the validation source. Which labels are held out depends only on the label
text and the seed (a hash), not on the file order or on which other labels exist, so two sources
built from different manifests agree on every label they share.

``backgrounds: true`` splits a mixture source's *backgrounds* the same way, by their label, so that
the held-out part is also heard over backgrounds never trained on: the paper's Held-out set has
"acoustic events and audio backgrounds ... unseen during training" (§5.2), and the debian-sfx `dev`
split has its own backgrounds too. Without it every background stays on both sides.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

PARTS = ("train", "holdout")


@dataclass(frozen=True)
class LabelHoldout:
    fraction: float
    seed: int = 0
    part: str = "train"
    backgrounds: bool = False

    def __post_init__(self) -> None:
        if not 0.0 < self.fraction < 1.0:
            raise ValueError(f"holdout.fraction must be in (0, 1); got {self.fraction}")
        if self.part not in PARTS:
            raise ValueError(f"holdout.part must be one of {PARTS}; got {self.part!r}")

    def held_out(self, label: str) -> bool:
        """Whether ``label`` (compared stripped and case-folded) is in the held-out part."""
        digest = hashlib.blake2b(f"{self.seed}\0{label.strip().casefold()}".encode(), digest_size=8).digest()
        return int.from_bytes(digest, "big") / 2**64 < self.fraction

    def keeps(self, label: str) -> bool:
        return self.held_out(label) == (self.part == "holdout")


def label_holdout(spec: Mapping[str, Any] | None, where: str) -> LabelHoldout | None:
    """The :class:`LabelHoldout` of a source's ``holdout`` argument (None: keep every label)."""
    if spec is None:
        return None
    unknown = set(spec) - {"fraction", "seed", "part", "backgrounds"}
    if unknown or "fraction" not in spec:
        raise ValueError(f"{where}: holdout takes fraction (required), seed, part and backgrounds; got keys {sorted(spec)}")
    backgrounds = spec.get("backgrounds", False)
    if not isinstance(backgrounds, bool):
        raise ValueError(f"{where}: holdout.backgrounds must be true or false; got {backgrounds!r}")
    try:
        return LabelHoldout(float(spec["fraction"]), int(spec.get("seed", 0)), str(spec.get("part", "train")), backgrounds)
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from exc
