"""SED mixtures synthesized on the fly (§4.2, C.4) from an events manifest and a backgrounds manifest.

Item ``i`` is mixture ``i`` of :class:`~flamkit.data.synth.mixer.MixtureSynthesizer` with this
source's ``seed``: a pure function of (seed, i), the very mixture ``flamkit data synth`` writes as
file ``i`` with the same seed and settings, so a rendered dataset and on-the-fly training agree.
``size`` is the virtual length: the stream draws items from ``[0, size)``, so ``size: 1000000``
is the paper's 1 M training mixtures and a small ``size`` a fixed validation set.
"""

from __future__ import annotations

import difflib
import logging
import os
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, Sequence

import numpy as np

from flamkit.data.example import Event, Example
from flamkit.data.label_holdout import LabelHoldout, label_holdout
from flamkit.data.memo import ByteLRU
from flamkit.data.negatives import alias_families
from flamkit.data.manifest import format_problems, read_manifest
from flamkit.data.source import DataError
from flamkit.data.synth.clips import ClipError, FileClip
from flamkit.data.synth.mixer import Mixture, MixtureSynthesizer, SynthConfig
from flamkit.data.synth.pools import clips_from_rows, row_texts, split_pool
from flamkit.registry import DATA_SOURCES

log = logging.getLogger(__name__)


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


def _row_label(row: dict[str, Any]) -> str:
    """What a label hold-out splits on: the row's ``label``, else its first description."""
    label = row.get("label")
    if isinstance(label, str) and label.strip():
        return label
    texts = row_texts(row)
    return texts[0] if texts else ""


FIXED_SYNTH_KEYS = ("sample_rate", "duration_s")  # the model's rate and data.clip_seconds


def synth_config_problems(synth: Any) -> list[str]:
    """What is wrong with a ``synth:`` dict of :class:`SynthConfig` overrides, one sentence per key.

    Components that take ``synth`` expose this as ``config_problems`` so that ``flamkit validate``
    reports a mistyped synthesizer key before anything is built (the signature check stops at
    ``synth`` itself, a dict).
    """
    if synth is None:
        return []
    if not isinstance(synth, Mapping):
        return [f"synth: expected a mapping of SynthConfig fields, got {type(synth).__name__}"]
    known = [f.name for f in fields(SynthConfig)]
    problems = []
    for key in synth:
        if key in FIXED_SYNTH_KEYS:
            problems.append(f"synth.{key} is set by flamkit (the model's rate, clip_seconds); remove it")
        elif key not in known:
            close = difflib.get_close_matches(str(key), known, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            problems.append(f"synth.{key}: not a SynthConfig field.{hint} Known: {', '.join(k for k in known if k not in FIXED_SYNTH_KEYS)}")
    if not problems:
        try:
            SynthConfig(**synth).validate()
        except (TypeError, ValueError) as exc:
            problems.append(f"synth: {exc}")
    return problems


def synth_config(what: str, synth: Mapping[str, Any] | None, sample_rate: int, clip_seconds: float,
                 balance_labels: bool = False) -> SynthConfig:
    """The :class:`SynthConfig` of a component: its ``synth`` overrides at the model's rate and clip length."""
    problems = synth_config_problems(synth)
    if problems:
        raise ValueError(f"{what}: bad synth keys: " + "; ".join(problems) + " (see flamkit.data.synth.mixer.SynthConfig)")
    overrides = dict(synth or {})
    if balance_labels:
        overrides["balance_texts"] = True
    return SynthConfig(**overrides, sample_rate=int(sample_rate), duration_s=float(clip_seconds)).validate()


@dataclass
class ManifestPools:
    """Event and background clips read from manifests, with each event clip's tags by clip key."""

    events: list[FileClip]
    backgrounds: list[FileClip]
    tags_by_clip: dict[str, tuple[str, ...]]


def manifest_pools(what: str, events: str | Sequence[str] | None, backgrounds: str | Sequence[str] | None,
                   general_events: str | Sequence[str] | None = None, strict: bool = True,
                   holdout: LabelHoldout | None = None) -> ManifestPools:
    """Clips of the event, general-event and background manifests, split by the §4.2 rule (or ``kind``).

    Built exactly as ``render_dataset`` builds its synthesizer's clips, so a source and a render with
    the same manifests, seed and settings make the same mixtures. Malformed rows and rows whose audio
    file is missing fail (``strict``) or are dropped with a warning listing them; no event clip at all, or a backgrounds manifest without a
    background, is a :class:`ValueError` naming ``what`` and the files.
    """

    def rows(paths: list[str]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for p in paths:
            table = read_manifest(p, strict=strict)  # as render_dataset reads them
            if table.problems:
                log.warning("%s: skipping bad manifest rows\n%s", what, format_problems(table.problems))
            out.extend(table.rows)
        return out

    ev_rows = split_pool(rows(_paths(events))).events
    gen_rows = split_pool(rows(_paths(general_events))).events
    bg_rows = split_pool(rows(_paths(backgrounds))).backgrounds
    where = ""
    if holdout is not None:
        ev_rows = [r for r in ev_rows if holdout.keeps(_row_label(r))]
        gen_rows = [r for r in gen_rows if holdout.keeps(_row_label(r))]
        if holdout.backgrounds:  # else every background stays on both sides
            bg_rows = [r for r in bg_rows if holdout.keeps(_row_label(r))]
        where = (f" after holdout (fraction {holdout.fraction}, seed {holdout.seed}, part {holdout.part!r}"
                 f"{', backgrounds too' if holdout.backgrounds else ''}): change its seed or fraction")
    if not ev_rows and not gen_rows:
        raise ValueError(f"{what}: no event clips in {_paths(events) + _paths(general_events)}{where}")
    if backgrounds is not None and not bg_rows:
        raise ValueError(f"{what}: no background clips in {_paths(backgrounds)}{where}")
    ev = clips_from_rows(ev_rows)
    gen = clips_from_rows(gen_rows, pool="general")
    tags = {c.key: _row_tags(r) for c, r in zip(ev + gen, ev_rows + gen_rows)}
    return ManifestPools(ev + gen, clips_from_rows(bg_rows, pool="background"), tags)


def attach_tags(mixture: Mixture, tags_by_clip: Mapping[str, tuple[str, ...]]) -> list[Event]:
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
    ``holdout`` (``{fraction, seed, part, backgrounds}``, :mod:`flamkit.data.label_holdout`) keeps only
    the event labels of one part of a seeded label split, to validate on training-corpus labels never
    trained on; with ``backgrounds: true`` the backgrounds are split by their label the same way.
    ``memo_mb`` keeps that many MB of rendered mixtures in memory (:mod:`flamkit.data.memo`; 0 = render
    every time): a mixture is a function of its index, so a kept one is exactly the one rendered.
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
        holdout: dict[str, Any] | None = None,
        memo_mb: float = 0.0,
        name: str = "sed_synthetic",
    ) -> None:
        if int(size) < 1:
            raise ValueError(f"sed_synthetic: size must be >= 1, got {size}")
        self.name = name
        self.size = int(size)
        config = synth_config("sed_synthetic", synth, sample_rate, clip_seconds, balance_labels)
        pools = manifest_pools("sed_synthetic", events, backgrounds, general_events, strict,
                               label_holdout(holdout, "sed_synthetic"))
        self.tags_by_clip = pools.tags_by_clip
        self._families = alias_families((clip.texts, pools.tags_by_clip.get(clip.key, ())) for clip in pools.events)
        self.n_event_clips = len(pools.events)
        self.synth = MixtureSynthesizer(pools.events, pools.backgrounds, config, seed=int(seed))
        self._memo: ByteLRU[Example] = ByteLRU(memo_mb)

    @staticmethod
    def config_problems(kwargs: Mapping[str, Any]) -> list[str]:
        """For ``flamkit validate``: the keys inside ``synth`` (see :func:`synth_config_problems`)."""
        return synth_config_problems(kwargs.get("synth"))

    def __len__(self) -> int:
        return self.size

    def labels(self) -> None:
        return None  # each mixture holds many labels; balance with balance_labels instead

    def descriptions(self) -> dict[str, set[str]]:
        """Every event description the mixtures can hold, with the tags of its clips (data.negatives)."""
        return {text: set(names) for text, names in self._families.items()}

    def get(self, index: int, rng: np.random.Generator) -> Example:
        """Mixture ``index`` (``rng`` is unused: the mixture is a function of (seed, index) alone)."""
        if not 0 <= index < self.size:
            raise IndexError(f"{self.name}: index {index} outside [0, {self.size})")
        return self._memo.get(int(index), lambda: self._render(int(index)))

    def _render(self, index: int) -> Example:
        try:
            mixture = self.synth.render(index)
        except ClipError as exc:
            raise DataError(f"{self.name} mixture {index}: {exc}", f"{self.name}/{index}") from exc
        example = mixture.to_example()
        example.source = self.name
        example.events = attach_tags(mixture, self.tags_by_clip)
        return example
