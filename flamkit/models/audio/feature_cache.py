"""A process-wide memo of a frozen backbone's outputs, keyed by the exact input waveform.

Why: a pretrained audio backbone kept frozen computes the same features every time it sees the same
clip, and on a CPU it is most of a training step (the aisfx CNN: about 0.25 s per 10 s clip on two
cores, against a few milliseconds for everything trained on top of it). Training streams revisit
their clips (a finite set of synthetic mixtures, every event clip of a corpus), the study trains
three models from the same frozen weights in one process, and evaluation scores the same clips for
each of them; remembering the backbone's output turns all of that into one pass over the clips.

Correctness rules:

- the key is the BLAKE2b digest of the clip's float32 samples plus a fingerprint of the backbone
  (its weights and buffers, recomputed whenever any of them changes in place, as ``load_state_dict``
  does), so a hit is bit-for-bit what the backbone would compute now;
- values are stored exactly (float32, no rounding), so results never depend on whether the memo was
  warm: a run resumed in a fresh process, or an evaluation in another process, gets the same numbers;
- it is used only while the backbone is frozen and in eval mode (the encoder checks), never when its
  weights train;
- memory is bounded (least recently used entries go first) and hits, misses and evictions are counted;
- optionally (``directory``) every computed value is also written to disk, one ``.npy`` per clip
  under the backbone's fingerprint, written atomically, so other processes (the next experiment of a
  sweep, ``flamkit eval``) start warm. Files are exact float32 copies, so they change no number.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from flamkit.lru import ByteBoundedLRU

log = logging.getLogger(__name__)


@dataclass
class CacheStats:
    hits: int = 0
    disk_hits: int = 0
    misses: int = 0
    evictions: int = 0


class FeatureCache:
    """LRU memo ``(backbone fingerprint, clip digest) -> features`` bounded by ``max_bytes``."""

    def __init__(self, max_bytes: int, directory: str | os.PathLike[str] | None = None) -> None:
        self.directory = Path(directory).expanduser() if directory else None
        self.stats = CacheStats()
        self._store: ByteBoundedLRU[Tensor] = ByteBoundedLRU(max_bytes)

    @property
    def max_bytes(self) -> int:
        return self._store.max_bytes

    @max_bytes.setter
    def max_bytes(self, value: int) -> None:
        self._store.max_bytes = int(value)

    @property
    def bytes(self) -> int:
        return self._store.bytes

    def __len__(self) -> int:
        return len(self._store)

    def clear(self) -> None:
        self._store.clear()

    def _put(self, key: tuple[str, str], value: Tensor) -> None:
        self._store.put(key, value, value.numel() * value.element_size())
        self.stats.evictions = self._store.evictions

    def features(self, fingerprint: str, audio: Tensor, compute: Callable[[Tensor], Tensor]) -> Tensor:
        """``compute(audio)`` row by row from the memo; only the rows never seen are computed (batched)."""
        digests = [clip_digest(row) for row in audio]
        out: list[Tensor | None] = []
        missing: list[int] = []
        for i, d in enumerate(digests):
            hit = self._store.lookup((fingerprint, d))
            if hit is None and self.directory is not None:
                hit = self._read(fingerprint, d)
                if hit is not None:
                    self.stats.disk_hits += 1
                    self._put((fingerprint, d), hit)
            if hit is None:
                missing.append(i)
                out.append(None)
            else:
                out.append(hit)
        self.stats.hits += len(digests) - len(missing)
        self.stats.misses += len(missing)
        if missing:
            computed = compute(audio[missing])
            for j, i in enumerate(missing):
                value = computed[j].detach().to("cpu", torch.float32).clone()
                out[i] = value
                self._put((fingerprint, digests[i]), value)
                if self.directory is not None:
                    try:
                        self._write(fingerprint, digests[i], value)
                    except OSError as exc:  # read-only or full disk: keep going in memory
                        log.warning("feature cache: cannot write under %s (%s); memoising in memory only", self.directory, exc)
                        self.directory = None
        return torch.stack([t for t in out if t is not None]).to(audio.device)

    def _path(self, fingerprint: str, digest: str) -> Path:
        assert self.directory is not None
        return self.directory / fingerprint / digest[:2] / f"{digest}.npy"

    def _read(self, fingerprint: str, digest: str) -> Tensor | None:
        path = self._path(fingerprint, digest)
        try:
            return torch.from_numpy(np.load(path, allow_pickle=False))
        except (FileNotFoundError, ValueError, OSError):
            return None  # absent, or a torn write from a killed process: recompute

    def _write(self, fingerprint: str, digest: str, value: Tensor) -> None:
        path = self._path(fingerprint, digest)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        with open(tmp, "wb") as f:
            np.save(f, value.numpy(), allow_pickle=False)
        os.replace(tmp, path)


def clip_digest(row: Tensor) -> str:
    """BLAKE2b of one clip's samples as float32 (its shape is implied by the encoder's clip length)."""
    data = row.detach().to("cpu", torch.float32).contiguous().numpy()
    return hashlib.blake2b(np.ascontiguousarray(data).tobytes(), digest_size=16).hexdigest()


_SHARED: FeatureCache | None = None


def shared_cache(max_gb: float, directory: str | None = None) -> FeatureCache:
    """The process's one memo, grown to the largest ``max_gb`` any encoder asked for.

    One memo per process (not per encoder instance) is what lets the stages of a study, and the
    evaluation of each, reuse what an earlier model of the same frozen backbone computed. A
    ``directory`` given by any encoder is kept (the first one wins).
    """
    global _SHARED
    want = int(max_gb * 2**30)
    if _SHARED is None:
        _SHARED = FeatureCache(want, directory)
    else:
        _SHARED.max_bytes = max(_SHARED.max_bytes, want)
        if _SHARED.directory is None and directory:
            _SHARED.directory = Path(directory).expanduser()
    return _SHARED
