"""Text augmentation for audio-text and SED examples (C.5, C.6).

C.5: every caption is lower-cased, and "for each audio, we randomly choose one of its captions and
one of its tags, forming the training text as 'keyword, tag'" (the source has already drawn one
caption). C.6: "we replace LLM-generated captions with random tags 50% of the time" so that short
tag-like queries are seen in training; here that applies to SED event descriptions that carry tags.
The 77-token limit is the tokenizer's (``model.max_text_tokens``); this only cuts strings so long
that they are certainly garbage (a whole file's metadata pasted into a caption column).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from flamkit.data.example import Event, Example
from flamkit.registry import AUGMENTERS


def trim_text(text: str, max_chars: int) -> str:
    """``text`` cut to at most ``max_chars`` characters, at a word boundary when there is one."""
    if len(text) <= max_chars:
        return text
    cut = text[:max_chars]
    space = cut.rfind(" ")
    return (cut[:space] if space > max_chars // 2 else cut).rstrip(" ,;")


def _pick(tags: list[str], rng: np.random.Generator) -> str | None:
    usable = [t.strip() for t in tags if t and t.strip()]
    return usable[int(rng.integers(len(usable)))] if usable else None


@AUGMENTERS.register("caption")
class CaptionAugment:
    """Lower-case; "caption, tag" texts; tags instead of event descriptions; trim absurd lengths.

    For audio-text examples with a caption and tags, with probability ``p_keyword_tag`` the text
    becomes "<caption>, <one random tag>" (C.5 does this for every clip: default 1.0); with
    probability ``p_caption_tag`` the caption is replaced by one random tag instead (C.6, default
    off for the global stream). A clip with tags but no caption gets one random tag as its caption.
    For SED examples, each event with tags has its text replaced by one random tag with
    probability ``p_event_tag`` (C.6: 0.5).
    """

    def __init__(
        self,
        p_keyword_tag: float = 1.0,
        p_caption_tag: float = 0.0,
        p_event_tag: float = 0.5,
        lowercase: bool = True,
        max_chars: int = 300,
    ) -> None:
        for key, p in (("p_keyword_tag", p_keyword_tag), ("p_caption_tag", p_caption_tag), ("p_event_tag", p_event_tag)):
            if not 0.0 <= float(p) <= 1.0:
                raise ValueError(f"caption: {key} must be in [0, 1], got {p}")
        if int(max_chars) < 1:
            raise ValueError(f"caption: max_chars must be positive, got {max_chars}")
        self.p_keyword_tag = float(p_keyword_tag)
        self.p_caption_tag = float(p_caption_tag)
        self.p_event_tag = float(p_event_tag)
        self.lowercase = bool(lowercase)
        self.max_chars = int(max_chars)

    def _finish(self, text: str) -> str:
        text = " ".join(text.split())
        return trim_text(text.lower() if self.lowercase else text, self.max_chars)

    def caption(self, caption: str | None, tags: list[str], rng: np.random.Generator) -> str | None:
        # One uniform draw decides between replacing and combining, so the two probabilities are exact.
        u = rng.random()
        if caption is None or not caption.strip():
            return _pick(tags, rng)
        # A tag equal to the caption (a tags-only row whose caption is one of its tags) adds nothing.
        tag = _pick([t for t in tags if t.strip().lower() != caption.strip().lower()], rng)
        if tag is None:
            return caption
        if u < self.p_caption_tag:
            return tag
        if u < self.p_caption_tag + (1.0 - self.p_caption_tag) * self.p_keyword_tag:
            return f"{caption.strip()}, {tag}"
        return caption

    def event(self, event: Event, rng: np.random.Generator) -> Event:
        text = event.text
        if event.tags and rng.random() < self.p_event_tag:
            text = _pick(event.tags, rng) or text
        return dataclasses.replace(event, text=self._finish(text))

    def __call__(self, example: Example, rng: np.random.Generator) -> Example:
        caption = example.caption
        if example.tags or caption is not None:
            caption = self.caption(caption, list(example.tags), rng)
        events = [self.event(e, rng) for e in example.events]
        return dataclasses.replace(
            example, caption=self._finish(caption) if caption is not None else None, events=events
        )
