"""Small audio files for data tests: every format, channel count and rate, and the broken kinds."""

from __future__ import annotations

import os

import numpy as np
import soundfile as sf


def tone(seconds: float, sample_rate: int, freq: float = 440.0, channels: int = 1, amp: float = 0.5) -> np.ndarray:
    """float32 [T] (mono) or [T, C]: a sine whose channel c has amplitude amp * (c + 1) / channels."""
    t = np.arange(int(round(seconds * sample_rate))) / sample_rate
    x = (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    if channels == 1:
        return x
    return np.stack([x * (c + 1) / channels for c in range(channels)], axis=1).astype(np.float32)


def write(path: str | os.PathLike, audio: np.ndarray, sample_rate: int, **kw) -> str:
    sf.write(os.fspath(path), audio, sample_rate, **kw)
    return os.fspath(path)


def truncated(path: str | os.PathLike, source: str | os.PathLike, keep: float = 0.5) -> str:
    """A copy of ``source`` cut to ``keep`` of its bytes (a download that stopped half way)."""
    data = open(source, "rb").read()
    open(path, "wb").write(data[: int(len(data) * keep)])
    return os.fspath(path)


def text_as_wav(path: str | os.PathLike) -> str:
    open(path, "w").write("this is a text file, not audio\n")
    return os.fspath(path)


def nan_wav(path: str | os.PathLike, sample_rate: int = 16000, seconds: float = 0.5) -> str:
    x = tone(seconds, sample_rate)
    x[100] = np.nan
    x[200] = np.inf
    return write(path, x, sample_rate, subtype="FLOAT")


def zero_length(path: str | os.PathLike, sample_rate: int = 16000) -> str:
    return write(path, np.zeros((0, 1), np.float32), sample_rate)
