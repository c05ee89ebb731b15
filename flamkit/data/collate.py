"""Batch collation: lists of :class:`~flamkit.data.example.Example` to the tensors the losses take.

:func:`collate_sed` builds the text slots of §3.1/§3.3: the union of the batch's event
descriptions, de-duplicated by :func:`~flamkit.textids.text_id`, in ``K = slots_per_clip * B``
slots padded with id -1. Two events of one clip with the same description become one event row
whose frame mask is the union, so ``event_ids``/``event_masks`` say exactly what
:func:`flamkit.losses.functional.sed_loss` expects. A batch whose union does not fit in K slots is
never truncated (that would silently turn positives into nothing); ``on_overflow`` decides between
growing K and failing.

:func:`collate_audio_text` builds the (audio, caption) pairs of the global CLIP loss (eq. 1).

Both are plain functions with keyword configuration, so a data loader takes
``functools.partial(collate_sed, num_frames=128)``.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Callable, Literal, Sequence

import numpy as np
import torch

from flamkit.data.example import Example
from flamkit.data.negatives import NegativePool, batch_rng
from flamkit.textids import PAD_ID, normalize_text, text_id

__all__ = ["SedBatch", "AudioTextBatch", "collate_sed", "collate_audio_text", "stack_audio"]


def _move(batch, device: torch.device | str, non_blocking: bool):
    """A copy of a batch dataclass with every tensor field on ``device`` (other fields shared)."""
    moved = {}
    for f in fields(batch):
        value = getattr(batch, f.name)
        moved[f.name] = value.to(device, non_blocking=non_blocking) if isinstance(value, torch.Tensor) else value
    return type(batch)(**moved)


def _pin(batch):
    """A copy of a batch dataclass with every tensor field in page-locked memory (other fields shared)."""
    return type(batch)(**{f.name: _pinned(getattr(batch, f.name)) for f in fields(batch)})


def _pinned(value):
    return value.pin_memory() if isinstance(value, torch.Tensor) else value


@dataclass
class SedBatch:
    """A batch for the frame-wise losses (eqs. 4-5 and 10).

    ``texts[k]`` is the normalised description of slot k ('' for padding), ``text_ids[k]`` its id
    (-1 for padding); the first ``n_texts`` slots hold the unique descriptions (the batch's own,
    then any drawn negatives). ``event_ids[i, e]``
    is the id of clip i's e-th distinct description (-1 padding) and ``event_masks[i, e]`` its
    active frames.
    """

    audio: torch.Tensor  # float32 [B, T]
    texts: list[str]  # [K]
    text_ids: torch.Tensor  # int64 [K]
    event_ids: torch.Tensor  # int64 [B, E]
    event_masks: torch.Tensor  # bool [B, E, L]
    keys: list[str]  # [B]
    # text_ids without the slots filled with negatives beyond the batch (flamkit/data/negatives.py):
    # the ids the prior loss (eq. 10) fits; None when no slot was filled, i.e. text_ids itself.
    prior_text_ids: torch.Tensor | None = None

    @property
    def n_texts(self) -> int:
        """Number of unique (non-padding) descriptions."""
        return int((self.text_ids != PAD_ID).sum())

    def real_slots(self) -> list[int]:
        """Indices of the non-padding slots, computed once while ``text_ids`` is on the host.

        :meth:`to` hands the list to the moved copy, so a training step on a GPU never reads
        ``text_ids`` back from the device (a host sync) to learn which texts to encode.
        """
        cached = self.__dict__.get("_real_slots")
        if cached is None:
            cached = (self.text_ids != PAD_ID).nonzero().flatten().tolist()
            self.__dict__["_real_slots"] = cached
        return cached

    def to(self, device: torch.device | str, non_blocking: bool = False) -> "SedBatch":
        slots = self.real_slots() if self.text_ids.device.type == "cpu" else self.__dict__.get("_real_slots")
        moved = _move(self, device, non_blocking)
        if slots is not None:
            moved.__dict__["_real_slots"] = slots
        return moved

    def pin_memory(self) -> "SedBatch":
        """Page-locked copy (DataLoader ``pin_memory=True``): host-to-device copies run asynchronously."""
        slots = self.real_slots()
        pinned = _pin(self)
        pinned.__dict__["_real_slots"] = slots
        return pinned


@dataclass
class AudioTextBatch:
    """A batch of (audio, caption) pairs for the global contrastive loss (eq. 1)."""

    audio: torch.Tensor  # float32 [B, T]
    captions: list[str]  # [B], normalised
    caption_ids: torch.Tensor  # int64 [B]
    keys: list[str]  # [B]

    def to(self, device: torch.device | str, non_blocking: bool = False) -> "AudioTextBatch":
        return _move(self, device, non_blocking)

    def pin_memory(self) -> "AudioTextBatch":
        """Page-locked copy (DataLoader ``pin_memory=True``): host-to-device copies run asynchronously."""
        return _pin(self)


def stack_audio(examples: Sequence[Example]) -> torch.Tensor:
    """float32 [B, T]. Every clip must have the first clip's length and sample rate: cropping or
    padding is the data source's decision (it knows where the events are), not the collator's."""
    if not examples:
        raise ValueError("cannot collate an empty batch")
    first = examples[0]
    for ex in examples:
        audio = np.asarray(ex.audio)
        if audio.ndim != 1:
            raise ValueError(f"example {ex.key!r}: audio must be mono [T]; got shape {audio.shape}")
        if ex.sample_rate != first.sample_rate:
            raise ValueError(
                f"example {ex.key!r} has sample rate {ex.sample_rate} Hz but {first.key!r} has {first.sample_rate} Hz; "
                "resample in the data source so a batch shares one rate"
            )
        if len(audio) != len(first.audio):
            raise ValueError(
                f"example {ex.key!r} has {len(audio)} samples but {first.key!r} has {len(first.audio)}; "
                "crop or pad clips to one length in the data source before collation"
            )
    return torch.from_numpy(np.stack([np.asarray(ex.audio, dtype=np.float32) for ex in examples]))


def _grow(n_unique: int, slots: int, batch_size: int, keys: list[str]) -> int:
    return -(-n_unique // batch_size) * batch_size  # the next multiple of B that fits


def _fail(n_unique: int, slots: int, batch_size: int, keys: list[str]) -> int:
    raise ValueError(
        f"SED batch has {n_unique} unique event descriptions but only {slots} text slots "
        f"(slots_per_clip={slots // batch_size} x B={batch_size}); clips: {keys}. "
        "Raise slots_per_clip, or collate with on_overflow='grow'."
    )


OVERFLOW: dict[str, Callable[[int, int, int, list[str]], int]] = {"grow": _grow, "error": _fail}


def collate_sed(
    examples: Sequence[Example],
    *,
    num_frames: int = 32,
    slots_per_clip: int = 5,
    on_overflow: Literal["grow", "error"] = "grow",
    negatives: NegativePool | None = None,
    extra_slots: int = 0,
    negative_seed: int = 0,
) -> SedBatch:
    """Collate SED examples into the union-of-descriptions layout of §3.1 with K = slots_per_clip * B slots (§3.3).

    Descriptions are normalised (:func:`~flamkit.textids.normalize_text`) and de-duplicated by id,
    in order of first appearance (clip order, then event order). An event whose mask is empty at
    this frame rate still enters the union: the clip is annotated with it, so its frames are
    negatives for that text, as for every other clip.

    With ``negatives``, K grows by ``extra_slots`` and every slot left free after the union is filled
    with a description drawn from the pool that no event of the batch names
    (:mod:`flamkit.data.negatives`), seeded by the clip keys and ``negative_seed``; ``prior_text_ids``
    then leaves them out of the prior loss.
    """
    if on_overflow not in OVERFLOW:
        raise ValueError(f"on_overflow must be one of {sorted(OVERFLOW)}; got {on_overflow!r}")
    if num_frames < 1 or slots_per_clip < 1:
        raise ValueError(f"num_frames and slots_per_clip must be >= 1; got {num_frames} and {slots_per_clip}")
    audio = stack_audio(examples)
    B = len(examples)

    union: dict[int, str] = {}  # id -> normalised text, insertion-ordered
    rows: list[dict[int, np.ndarray]] = []  # per clip: id -> merged [L] mask
    for ex in examples:
        clip: dict[int, np.ndarray] = {}
        for n, event in enumerate(ex.events):
            text = normalize_text(event.text)
            if not text:
                raise ValueError(f"example {ex.key!r}: event {n} has an empty description; drop it or name it in the data source")
            tid = text_id(text)
            mask = np.asarray(event.frame_mask(num_frames, ex.duration), dtype=bool)
            clip[tid] = clip[tid] | mask if tid in clip else mask
            union.setdefault(tid, text)
        rows.append(clip)

    keys = [ex.key for ex in examples]
    K = slots_per_clip * B
    if len(union) > K:
        K = OVERFLOW[on_overflow](len(union), K, B, keys)

    own = len(union)
    if negatives is not None:
        if extra_slots < 0:
            raise ValueError(f"extra_slots must be >= 0; got {extra_slots}")
        K += extra_slots
        taken = set(union)
        for ex in examples:
            for event in ex.events:
                taken.update(text_id(t) for t in event.tags if normalize_text(t))
        for text in negatives.draw(taken, K - own, batch_rng(keys, negative_seed)):
            union[text_id(text)] = text

    texts = list(union.values()) + [""] * (K - len(union))
    text_ids = torch.full((K,), PAD_ID, dtype=torch.int64)
    text_ids[: len(union)] = torch.tensor(list(union), dtype=torch.int64)
    prior_text_ids = None
    if len(union) > own:
        prior_text_ids = text_ids.clone()
        prior_text_ids[own:] = PAD_ID

    E = max(1, max(len(r) for r in rows))
    event_ids = torch.full((B, E), PAD_ID, dtype=torch.int64)
    event_masks = torch.zeros((B, E, num_frames), dtype=torch.bool)
    for i, clip in enumerate(rows):
        for e, (tid, mask) in enumerate(clip.items()):
            event_ids[i, e] = tid
            event_masks[i, e] = torch.from_numpy(mask)
    batch = SedBatch(audio=audio, texts=texts, text_ids=text_ids, event_ids=event_ids, event_masks=event_masks, keys=keys,
                     prior_text_ids=prior_text_ids)
    batch.__dict__["_real_slots"] = list(range(len(union)))  # known here, on the host (SedBatch.real_slots)
    return batch


def collate_audio_text(examples: Sequence[Example]) -> AudioTextBatch:
    """Collate (audio, caption) examples; captions are normalised like SED descriptions (C.5 lower-cases them)."""
    audio = stack_audio(examples)
    captions = []
    for ex in examples:
        caption = normalize_text(ex.caption or "")
        if not caption:
            raise ValueError(f"example {ex.key!r} has no caption; an audio-text batch needs one per clip")
        captions.append(caption)
    return AudioTextBatch(
        audio=audio,
        captions=captions,
        caption_ids=torch.tensor([text_id(c) for c in captions], dtype=torch.int64),
        keys=[ex.key for ex in examples],
    )
