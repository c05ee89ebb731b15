"""Clip providers for the mixture synthesizer: audio files loaded lazily, or arrays in memory.

A provider has a ``key`` (for error messages and manifests), ``texts`` (one is drawn per use), a
``pool`` name (the 80/20 sound-effect / general-audio choice of §4.2) and ``load(sample_rate)``
returning float32 mono audio at that rate. Files are decoded with soundfile, down-mixed to mono by
averaging channels and resampled with soxr (HQ); decoded clips are kept in a per-process LRU cache
bounded in bytes, because a 10 s mixture reuses a background and up to 10 events and FLAC decoding
costs more than synthesising the mixture.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Protocol, Sequence

import numpy as np
import soundfile as sf
import soxr

from flamkit.lru import ByteBoundedLRU


class ClipError(ValueError):
    """A clip that cannot be used: unreadable, empty, silent or non-finite. The message names the file."""


def check_audio(audio: np.ndarray, key: str) -> np.ndarray:
    """Reject empty, non-finite or all-zero audio with a message naming ``key``."""
    if audio.size == 0:
        raise ClipError(f"{key}: zero-length audio")
    if not np.all(np.isfinite(audio)):
        raise ClipError(f"{key}: audio contains NaN or infinite samples")
    if not np.any(audio):
        raise ClipError(f"{key}: audio is all-silent (every sample is 0)")
    return audio


def to_mono(audio: np.ndarray) -> np.ndarray:
    """[T] or [T, C] -> float32 [T] (channel mean)."""
    audio = np.asarray(audio, dtype=np.float32)
    if audio.ndim == 2:
        audio = audio.mean(axis=1, dtype=np.float32) if audio.shape[1] > 1 else audio[:, 0]
    elif audio.ndim != 1:
        raise ValueError(f"expected audio [T] or [T, C], got shape {audio.shape}")
    return np.ascontiguousarray(audio)


def resample(audio: np.ndarray, from_rate: int, to_rate: int) -> np.ndarray:
    if int(from_rate) == int(to_rate):
        return audio
    return soxr.resample(audio, int(from_rate), int(to_rate), quality="HQ").astype(np.float32, copy=False)


def read_audio(path: str, sample_rate: int) -> np.ndarray:
    """Decode ``path`` to float32 mono at ``sample_rate``; :class:`ClipError` naming the file on failure."""
    try:
        data, rate = sf.read(path, dtype="float32", always_2d=True)
    except Exception as exc:  # soundfile raises LibsndfileError, RuntimeError, TypeError, OSError...
        raise ClipError(f"{path}: cannot decode audio ({type(exc).__name__}: {exc})") from exc
    audio = check_audio(to_mono(data), path)
    return check_audio(resample(audio, rate, sample_rate), path)


class AudioCache:
    """LRU cache of decoded clips keyed by (path, sample_rate), bounded by ``max_bytes``; thread-safe."""

    def __init__(self, max_bytes: int = 512 << 20) -> None:
        self._store: ByteBoundedLRU[np.ndarray] = ByteBoundedLRU(max_bytes)
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    @property
    def max_bytes(self) -> int:
        return self._store.max_bytes

    def get(self, path: str, sample_rate: int) -> np.ndarray:
        key = (path, int(sample_rate))
        with self._lock:
            hit = self._store.lookup(key)
            if hit is not None:
                self.hits += 1
                return hit
        audio = read_audio(path, sample_rate)
        audio.setflags(write=False)  # shared between callers
        with self._lock:
            self.misses += 1
            self._store.put(key, audio, audio.nbytes)
        return audio

    def __getstate__(self) -> dict:  # a copy in another process starts empty (and gets its own lock)
        return {"max_bytes": self.max_bytes}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["max_bytes"])

    def clear(self) -> None:
        with self._lock:
            self._store.clear()


DEFAULT_CACHE = AudioCache()


class Clip(Protocol):
    key: str
    texts: tuple[str, ...]
    pool: str

    def load(self, sample_rate: int) -> np.ndarray: ...


@dataclass
class FileClip:
    """An audio file with its descriptions. ``cache=None`` decodes on every load."""

    path: str
    texts: tuple[str, ...]
    pool: str = "sfx"
    duration_s: float | None = None
    key: str = ""
    cache: AudioCache | None = field(default=DEFAULT_CACHE, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.texts = _as_texts(self.texts, self.key or self.path)
        self.key = self.key or self.path

    def load(self, sample_rate: int) -> np.ndarray:
        if self.cache is None:
            return read_audio(self.path, sample_rate)
        return self.cache.get(self.path, sample_rate)


@dataclass
class ArrayClip:
    """Audio already in memory (the embedded default data). Resampled copies are memoised per rate."""

    audio: np.ndarray
    sample_rate: int
    texts: tuple[str, ...]
    pool: str = "sfx"
    key: str = ""
    tags: tuple[str, ...] = ()
    _by_rate: dict[int, np.ndarray] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.key = self.key or f"array:{id(self):x}"
        self.texts = _as_texts(self.texts, self.key)
        self.audio = to_mono(self.audio)

    @property
    def duration_s(self) -> float:
        return len(self.audio) / float(self.sample_rate)

    def load(self, sample_rate: int) -> np.ndarray:
        out = self._by_rate.get(int(sample_rate))
        if out is None:
            out = check_audio(resample(self.audio, self.sample_rate, sample_rate), self.key)
            out.setflags(write=False)
            self._by_rate[int(sample_rate)] = out
        return out


def _as_texts(texts: str | Sequence[str], key: str) -> tuple[str, ...]:
    if isinstance(texts, str):
        texts = (texts,)
    out = tuple(t.strip() for t in texts if isinstance(t, str) and t.strip())
    if not out:
        raise ClipError(f"{key}: no text description (caption/text/label is empty)")
    return out
