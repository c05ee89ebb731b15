"""The SED mixture synthesizer as an augmenter: any example becomes one event of a §4.2 mixture.

The ``sed_synthetic`` source draws every event of a mixture from its pools. This augmenter starts
from an example another source produced (a clean sound effect from an ``audio_text`` source, say)
and makes it one event of a 10 s mixture: its caption is the event's description, its tags ride on
the event (for the ``caption`` augmenter, C.6), and ``N - 1`` further events come from the configured
pools over a background, all placed, gained, faded and relabelled by the same
:class:`~flamkit.data.synth.mixer.MixtureSynthesizer` (its ``render(index, given=...)``), with every
number in the same ``synth`` overrides of :class:`~flamkit.data.synth.mixer.SynthConfig`.

Decisions:

* **Already SED examples pass through unchanged.** A stream may mix sources (``sed_strong`` clips
  and sound effects to be mixed); only examples without events are mixed. An example's events
  would otherwise have to be re-timed inside a new mixture, which the loudness relabelling cannot do
  for labels it did not compute.
* **Leading and trailing digital silence is trimmed** before the clip is placed: ``audio_text``
  pads a short clip with zeros to ``clip_seconds``, and the padding is not part of the sound (it
  would occupy the placement, and the 3-concurrent limit, for nothing).
* **Deterministic from the rng.** The mixture is ``render(index, given=[clip])`` with ``index``
  drawn from the example's rng, so it is a pure function of that draw, like every other augmenter.
* **Unusable inputs raise** :class:`~flamkit.data.source.DataError` (skipped, counted, reported by
  the training pipeline): no caption, all-silent or non-finite audio, an undecodable background,
  or a clip whose relabelled activity is empty (e.g. a train of single-frame clicks that C.4's
  blip rule removes): a mixture without the example's sound is not the example.
"""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Mapping
from typing import Any

import numpy as np

from flamkit.data.example import Example
from flamkit.data.source import DataError
from flamkit.data.sources.synthetic import attach_tags, manifest_pools, synth_config, synth_config_problems
from flamkit.data.synth.clips import ArrayClip, ClipError, check_audio
from flamkit.data.synth.mixer import Mixture, MixtureSynthesizer
from flamkit.registry import AUGMENTERS

INDEX_RANGE = 2**62  # mixture indices drawn per example: collisions are as rare as equal 62-bit draws


def trim_silence(audio: np.ndarray) -> np.ndarray:
    """``audio`` without its leading and trailing exact zeros (padding); empty if every sample is 0."""
    nonzero = np.flatnonzero(audio)
    if len(nonzero) == 0:
        return audio[:0]
    return audio[nonzero[0] : nonzero[-1] + 1]


@AUGMENTERS.register("mixture")
class MixtureAugment:
    """Make an example without events one event of an SED mixture; examples with events pass through.

    ``events`` / ``general_events`` / ``backgrounds``: JSONL or CSV manifests (one or a list), read as
    ``sed_synthetic`` reads them (the §4.2 rule or a ``kind`` column; ``general_events`` is the 20 %
    general-audio pool). ``synth`` overrides :class:`~flamkit.data.synth.mixer.SynthConfig` fields
    (``sample_rate`` and ``duration_s`` come from the model and ``data.clip_seconds``);
    ``balance_labels`` draws the other events' descriptions uniformly (``balance_texts``). The
    example counts as one of the mixture's ``N ~ U{min_events..max_events}`` events and is placed
    first, so it is always in the mixture; ``N - 1`` events are drawn from the pools.
    """

    def __init__(
        self,
        events: str | list[str],
        sample_rate: int,
        clip_seconds: float = 10.0,
        backgrounds: str | list[str] | None = None,
        general_events: str | list[str] | None = None,
        synth: dict[str, Any] | None = None,
        balance_labels: bool = False,
        strict: bool = True,
    ) -> None:
        config = synth_config("mixture", synth, sample_rate, clip_seconds, balance_labels)
        pools = manifest_pools("mixture", events, backgrounds, general_events, strict)
        self.tags_by_clip = pools.tags_by_clip
        self.synth = MixtureSynthesizer(pools.events, pools.backgrounds, config, seed=0)

    @staticmethod
    def config_problems(kwargs: Mapping[str, Any]) -> list[str]:
        """For ``flamkit validate``: the keys inside ``synth``."""
        return synth_config_problems(kwargs.get("synth"))

    def given_clip(self, example: Example) -> ArrayClip:
        """The example as a clip for the synthesizer: its caption, padding trimmed; DataError if unusable."""
        if example.caption is None or not example.caption.strip():
            raise DataError(f"{example.key}: the mixture augmenter needs a caption to describe the example as "
                            "an event, and this example has none (nor events)", example.key)
        try:
            audio = check_audio(np.asarray(example.audio, dtype=np.float32), example.key)  # empty, NaN, all zero
        except ClipError as exc:
            raise DataError(f"{exc}; the mixture augmenter cannot make it an event", example.key) from exc
        return ArrayClip(trim_silence(audio), example.sample_rate, (example.caption,), pool="given",
                         key=f"given:{example.key}")

    def mix(self, example: Example, rng: np.random.Generator, stems: bool = False) -> Mixture:
        """The mixture with ``example`` as an event (a ``ClipError`` becomes a :class:`DataError`)."""
        clip = self.given_clip(example)
        index = int(rng.integers(INDEX_RANGE))
        try:
            return self.synth.render(index, stems=stems, given=[clip])
        except ClipError as exc:
            raise DataError(f"{example.key}: mixture {index}: {exc}", example.key) from exc

    def __call__(self, example: Example, rng: np.random.Generator) -> Example:
        if example.events:
            return example
        mixture = self.mix(example, rng)
        given = next((p for p in mixture.placed if p.pool == "given"), None)
        if given is None:  # only a random crop that is digital silence can keep it out
            raise DataError(f"{example.key}: the example could not be placed in its mixture "
                            f"({dict(mixture.stats)})", example.key)
        if given.text not in {e.text for e in mixture.events}:
            raise DataError(f"{example.key}: no frame of the example stays labelled after relabelling "
                            "(below the -70 dB gate or removed by C.4 smoothing)", example.key)
        tags = ChainMap({given.clip_key: tuple(example.tags)}, self.tags_by_clip)
        return Example(mixture.audio, mixture.sample_rate, key=example.key, source=example.source,
                       events=attach_tags(mixture, tags))
