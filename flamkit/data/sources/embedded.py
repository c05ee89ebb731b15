"""The embedded default data as a source: procedural events and backgrounds made in code, no download.

``mode: sed``: mixtures of the split's procedural events over its procedural backgrounds, made by
the same synthesizer as for real corpora (item i = mixture (seed, i)). ``mode: audio_text``: one
procedural event over a quiet background, captioned with one of its type's captions for the split,
its tags in ``Example.tags`` — the audio-text pairs of the global loss. ``split: heldout`` holds
event types and caption paraphrases never used in training (:mod:`flamkit.data.embedded`), so the
quickstart measures generalisation to unseen descriptions as the paper's Held-out set does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Callable, Literal

import numpy as np

from flamkit.data.audio_io import crop_or_pad
from flamkit.data.embedded import EMBEDDED_EVENTS, embedded_pools
from flamkit.data.example import Example
from flamkit.data.negatives import alias_families
from flamkit.data.sources.synthetic import attach_tags, synth_config, synth_config_problems
from flamkit.data.synth.mixer import MixtureSynthesizer, apply_fades
from flamkit.registry import DATA_SOURCES

Mode = Literal["sed", "audio_text"]
Split = Literal["train", "heldout", "heldout_types", "heldout_captions"]


def _rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64)))) if len(x) else 0.0


@DATA_SOURCES.register("embedded")
class EmbeddedSource:
    """Procedural events (52 types) and backgrounds: SED mixtures or audio-text pairs, train or held out.

    ``size`` is the virtual length in ``sed`` mode; in ``audio_text`` mode there is one item per
    event instance (``n_instances_per_type`` per type). ``background_db`` is the background's level
    relative to the event in ``audio_text`` mode (RMS over the event's span, in dB).
    """

    def __init__(
        self,
        sample_rate: int,
        clip_seconds: float = 10.0,
        mode: Mode = "sed",
        split: Split = "train",
        size: int = 10000,
        seed: int = 0,
        n_instances_per_type: int = 8,
        synth: dict[str, Any] | None = None,
        background_db: float = -25.0,
        name: str = "embedded",
    ) -> None:
        getters: dict[str, Callable[[int, np.random.Generator], Example]] = {
            "sed": self._get_sed,
            "audio_text": self._get_audio_text,
        }
        if mode not in getters:
            raise ValueError(f"embedded: mode={mode!r}; choose one of {', '.join(getters)}")
        self.name = name
        self.mode = mode
        self.split = split
        self.sample_rate = int(sample_rate)
        self.clip_samples = int(round(float(clip_seconds) * self.sample_rate))
        self.background_db = float(background_db)
        self.pools = embedded_pools(split, self.sample_rate, int(n_instances_per_type), int(seed))
        # A clip's first tag is its type's identifier (e.g. "engine_idle"), not a description.
        self.tags_by_clip = {c.key: tuple(c.tags[1:]) for c in self.pools.events}
        self.size = int(size) if mode == "sed" else len(self.pools.events)
        if self.size < 1:
            raise ValueError(f"embedded: size must be >= 1, got {size}")
        if mode == "sed":
            config = synth_config("embedded", synth, self.sample_rate, float(clip_seconds))
            self.synth = MixtureSynthesizer(self.pools.events, self.pools.backgrounds, config, seed=int(seed))
        self._get = getters[mode]

    @staticmethod
    def config_problems(kwargs: Mapping[str, Any]) -> list[str]:
        """For ``flamkit validate``: the keys inside ``synth`` (see :func:`synth_config_problems`)."""
        return synth_config_problems(kwargs.get("synth"))

    def __len__(self) -> int:
        return self.size

    def labels(self) -> list[str] | None:
        """The event type of each audio-text item (for label balancing); None for mixtures (many labels each)."""
        if self.mode != "audio_text":
            return None
        return [c.tags[0] if c.tags else c.texts[0] for c in self.pools.events]

    def descriptions(self) -> dict[str, set[str]]:
        """Every description the events can carry, each with the other captions and tags of its event
        type (for ``data.negatives``: a type shown by one caption must not be a negative by another)."""
        by_type: dict[str, tuple[set[str], set[str]]] = {}
        for c in self.pools.events:
            texts, tags = by_type.setdefault(c.tags[0] if c.tags else c.key, (set(), set()))
            texts.update(c.texts)
            tags.update(c.tags[1:])
        return alias_families(by_type.values())

    def captions(self, clip: Any) -> tuple[str, ...]:
        """The captions of a clip's event type that belong to this split."""
        kind = EMBEDDED_EVENTS.get(clip.tags[0]) if clip.tags else None
        if kind is None:
            return tuple(clip.texts)
        return (kind.train_captions if self.split == "train" else kind.heldout_captions) or tuple(clip.texts)

    def get(self, index: int, rng: np.random.Generator) -> Example:
        if not 0 <= index < self.size:
            raise IndexError(f"{self.name}: index {index} outside [0, {self.size})")
        return self._get(int(index), rng)

    def _get_sed(self, index: int, rng: np.random.Generator) -> Example:
        mixture = self.synth.render(index)
        example = mixture.to_example()
        example.source = self.name
        example.events = attach_tags(mixture, self.tags_by_clip)
        return example

    def _get_audio_text(self, index: int, rng: np.random.Generator) -> Example:
        clip = self.pools.events[index]
        event = apply_fades(np.asarray(clip.load(self.sample_rate)), int(0.01 * self.sample_rate))
        event = event[: self.clip_samples]
        bg_clip = self.pools.backgrounds[int(rng.integers(len(self.pools.backgrounds)))]
        background, _ = crop_or_pad(np.asarray(bg_clip.load(self.sample_rate)), self.clip_samples, rng)
        onset = int(rng.integers(0, self.clip_samples - len(event) + 1))
        bg_rms = _rms(background[onset : onset + len(event)])
        gain = _rms(event) * 10 ** (self.background_db / 20.0) / bg_rms if bg_rms > 0 else 0.0
        audio = (background * np.float32(gain)).astype(np.float32)
        audio[onset : onset + len(event)] += event
        peak = float(np.max(np.abs(audio)))
        if peak > 0.99:
            audio *= np.float32(0.99 / peak)
        captions = self.captions(clip)
        caption = captions[int(rng.integers(len(captions)))]
        tags = list(self.tags_by_clip[clip.key])
        return Example(audio, self.sample_rate, key=clip.key, source=self.name, caption=caption, tags=tags)
