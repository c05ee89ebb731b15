"""Stable ids for text descriptions.

The SED loss de-duplicates descriptions within a batch and, in the ring, across ranks by id alone, so
an id must mean the same description in every clip, batch, process and run. Python's ``hash()`` is
salted per process; we use the first 8 bytes of BLAKE2b of the normalised text instead.
"""

from __future__ import annotations

import hashlib
import re
from typing import Iterable

import torch

_WS = re.compile(r"\s+")
PAD_ID = -1


def normalize_text(text: str) -> str:
    """Lower-case, trim and collapse whitespace: 'Dog  Barking ' and 'dog barking' are one description."""
    return _WS.sub(" ", text.strip().lower())


def text_id(text: str) -> int:
    """Signed 64-bit id of the normalised description; never equal to the padding id -1."""
    digest = hashlib.blake2b(normalize_text(text).encode("utf-8"), digest_size=8).digest()
    value = int.from_bytes(digest, "little", signed=True)
    return value if value != PAD_ID else PAD_ID - 1


def text_ids(texts: Iterable[str]) -> torch.Tensor:
    """int64 tensor of :func:`text_id` for each text."""
    return torch.tensor([text_id(t) for t in texts], dtype=torch.int64)
