"""SED mixtures synthesized on the fly (§4.2, C.4) from an events manifest and a backgrounds manifest.

Item ``i`` is mixture ``i`` of :class:`~flamkit.data.synth.mixer.MixtureSynthesizer` with this
source's ``seed``: a pure function of (seed, i), the very mixture ``flamkit data synth`` writes as
file ``i`` with the same seed and settings, so a rendered dataset and on-the-fly training agree.
``size`` is the virtual length: the stream draws items from ``[0, size)``, so ``size: 1000000``
is the paper's 1 M training mixtures and a small ``size`` a fixed validation set.
"""

from __future__ import annotations

import os
from collections import defaultdict
from typing import Any, Sequence

import numpy as np

from flamkit.data.example import Event, Example
from flamkit.data.manifest import read_manifest
from flamkit.data.source import DataError
from flamkit.data.synth.clips import ClipError
from flamkit.data.synth.mixer import Mixture, MixtureSynthesizer, SynthConfig
from flamkit.data.synth.pools import clips_from_rows, split_pool
from flamkit.registry import DATA_SOURCES


def _paths(value: str | Sequence[str] | None) -> list[str]:
    if value is None:
        return []
    return [os.path.expanduser(v) for v in ([value] if isinstance(value, str) else value)]


def _row_tags(row: dict[str, Any], separator: str = ";") -> tuple[str, ...]:
    value = row.get("tags")
    if isinstance(value, (list, tuple)):
        return tuple(str(t).strip() for t in value if str(t).strip())
    if isinstance(value, str):
        return tuple(t.strip() for t in value.split(separator) if t.strip())
    return ()


def attach_tags(mixture: Mixture, tags_by_clip: dict[str, tuple[str, ...]]) -> list[Event]:
    """The mixture's events with ``tags`` from the clips that made them (for the caption augmenter)."""
    by_text: dict[str, list[str]] = defaultdict(list)
    for placed in mixture.placed:
        for tag in tags_by_clip.get(placed.clip_key, ()):
            if tag not in by_text[placed.text]:
                by_text[placed.text].append(tag)
    return [Event(e.text, e.segments, e.activity, list(by_text.get(e.text, []))) for e in mixture.events]


@DATA_SOURCES.register("sed_synthetic")
class SedSyntheticSource:
    """Mixtures of manifest events over manifest backgrounds, made on the fly; item i = mixture (seed, i).

    ``events`` / ``backgrounds`` / ``general_events``: JSONL or CSV manifests (one or a list). The
    §4.2 rule, or a ``kind`` column, selects events from the event manifests and backgrounds from
    the background manifests, so one debian-sfx manifest serves as both. ``general_events`` form
    the 20 % general-audio pool (empty: every event comes from ``events``). ``synth`` overrides
    :class:`~flamkit.data.synth.mixer.SynthConfig` fields (the paper's values are the defaults;
    ``sample_rate`` and ``duration_s`` come from the model and ``clip_seconds``).
    ``balance_labels`` (the synthesizer's ``balance_texts``) draws event descriptions uniformly,
    then one of their clips, instead of clips uniformly (real corpora have 150 clips of one label
    and one of another). Event tags (a ``tags`` column) ride along on each Event. Rows whose
    audio file is missing fail construction (``strict``) or are dropped, as in ``render_dataset``;
    a clip that fails to decode is skipped inside the mixture (counted in its ``stats``).
    """

    def __init__(
        self,
        events: str | list[str],
        sample_rate: int,
        backgrounds: str | list[str] | None = None,
        clip_seconds: float = 10.0,
        size: int = 100000,
        seed: int = 0,
        general_events: str | list[str] | None = None,
        synth: dict[str, Any] | None = None,
        balance_labels: bool = False,
        strict: bool = True,
        name: str = "sed_synthetic",
    ) -> None:
        if int(size) < 1:
            raise ValueError(f"sed_synthetic: size must be >= 1, got {size}")
        self.name = name
        self.size = int(size)
        overrides = dict(synth or {})
        for fixed in ("sample_rate", "duration_s"):
            if fixed in overrides:
                raise ValueError(f"sed_synthetic: synth.{fixed} is set by flamkit (the model's rate, clip_seconds); remove it")
        if balance_labels:
            overrides["balance_texts"] = True
        try:
            config = SynthConfig(**overrides, sample_rate=int(sample_rate), duration_s=float(clip_seconds))
        except TypeError as exc:
            raise ValueError(f"sed_synthetic: bad synth keys ({exc}); see flamkit.data.synth.mixer.SynthConfig") from exc

        def rows(paths: list[str]) -> list[dict[str, Any]]:
            out: list[dict[str, Any]] = []
            for p in paths:
                out.extend(read_manifest(p, strict=strict).rows)  # as render_dataset reads them
            return out

        ev_rows = split_pool(rows(_paths(events))).events
        gen_rows = split_pool(rows(_paths(general_events))).events
        bg_rows = split_pool(rows(_paths(backgrounds))).backgrounds
        if not ev_rows and not gen_rows:
            raise ValueError(f"sed_synthetic: no event clips in {_paths(events) + _paths(general_events)}")
        if backgrounds is not None and not bg_rows:
            raise ValueError(f"sed_synthetic: no background clips in {_paths(backgrounds)}")
        # Built exactly as render_dataset builds its synthesizer, so item i equals rendered file i.
        ev = clips_from_rows(ev_rows)
        gen = clips_from_rows(gen_rows, pool="general")
        self.tags_by_clip = {c.key: _row_tags(r) for c, r in zip(ev + gen, ev_rows + gen_rows)}
        self.n_event_clips = len(ev) + len(gen)
        self.synth = MixtureSynthesizer(ev + gen, clips_from_rows(bg_rows, pool="background"), config, seed=int(seed))

    def __len__(self) -> int:
        return self.size

    def labels(self) -> None:
        return None  # each mixture holds many labels; balance with balance_labels instead

    def get(self, index: int, rng: np.random.Generator) -> Example:
        """Mixture ``index`` (``rng`` is unused: the mixture is a function of (seed, index) alone)."""
        if not 0 <= index < self.size:
            raise IndexError(f"{self.name}: index {index} outside [0, {self.size})")
        try:
            mixture = self.synth.render(int(index))
        except ClipError as exc:
            raise DataError(f"{self.name} mixture {index}: {exc}", f"{self.name}/{index}") from exc
        example = mixture.to_example()
        example.source = self.name
        example.events = attach_tags(mixture, self.tags_by_clip)
        return example
