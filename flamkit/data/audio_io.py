"""Reading audio files for training and detection: decode, check, down-mix, resample, crop.

Every failure is a :class:`~flamkit.data.source.DataError` whose message starts with the file name
and says what is wrong (not found, format not recognised, corrupt or truncated, zero-length,
NaN/inf samples), so the training pipeline can skip and report the item and ``flamkit data check``
can group problems by reason.

Decoding is libsndfile through ``soundfile`` (WAV, FLAC, OGG/Vorbis, MP3 and the rest of
``soundfile.available_formats()``); resampling is soxr at "HQ" quality, the resampler the paper's
data preparation needs for 48 kHz models fed 8-96 kHz sources. Channels are down-mixed by their
mean, which keeps the level of a source present in every channel and does not clip.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Iterator

import numpy as np
import soundfile as sf
import soxr

from flamkit.data.source import DataError

RESAMPLE_QUALITY = "HQ"

# Why a file is unusable, as ``DataError.reason``: ``flamkit data check`` groups problems by it.
REASONS = {
    "not_found": "file not found",
    "not_a_file": "not a regular file",
    "empty_file": "empty file (0 bytes)",
    "unsupported_format": "format not recognised",
    "corrupt": "corrupt or unreadable",
    "truncated": "truncated",
    "zero_length": "zero-length audio",
    "non_finite": "NaN or infinite samples",
    "silent": "all-silent audio",
}


def data_error(path: str, reason: str, message: str) -> DataError:
    """A :class:`DataError` for ``path`` carrying a machine-readable ``reason`` (a key of REASONS)."""
    err = DataError(f"{path}: {message}", path)
    err.reason = reason  # type: ignore[attr-defined]
    return err


def reason_of(exc: BaseException) -> str:
    return getattr(exc, "reason", "other")

# libsndfile notes "data : 64000 (should be 31978)" in its log when a WAV's data chunk is cut short.
_SHORT_CHUNK = re.compile(r"^\s*data\s*:\s*(\d+)\s*\(should be (\d+)\)", re.MULTILINE)


@dataclass(frozen=True)
class AudioInfo:
    """What the file header says, read without decoding the audio."""

    path: str
    frames: int
    sample_rate: int
    channels: int
    format: str
    subtype: str

    @property
    def duration(self) -> float:
        return self.frames / float(self.sample_rate) if self.sample_rate > 0 else 0.0


def _not_found_or_none(path: str) -> None:
    if not os.path.exists(path):
        raise data_error(path, "not_found", "file not found")
    if not os.path.isfile(path):
        raise data_error(path, "not_a_file", "is a folder or special file, not an audio file")
    if os.path.getsize(path) == 0:
        raise data_error(path, "empty_file", "empty file (0 bytes)")


def decode_error(path: str, exc: Exception) -> DataError:
    text = str(exc)
    if "Format not recognised" in text or "unknown format" in text.lower():
        return data_error(
            path,
            "unsupported_format",
            "format not recognised by libsndfile (not an audio file, or a format it cannot read: "
            f"readable formats are {', '.join(sorted(sf.available_formats()))})",
        )
    return data_error(path, "corrupt", f"corrupt or unreadable audio ({type(exc).__name__}: {text.strip()})")


def info(path: str | os.PathLike) -> AudioInfo:
    """Header facts (frames, rate, channels, duration) without decoding; :class:`DataError` if unreadable.

    A WAV whose data chunk is shorter than its header declares is reported as truncated here.
    Compressed formats (FLAC, OGG, MP3) can only be proven intact by decoding: see :func:`load_audio`.
    """
    path = os.fspath(path)
    _not_found_or_none(path)
    try:
        with sf.SoundFile(path) as f:
            meta = AudioInfo(path, int(f.frames), int(f.samplerate), int(f.channels), f.format, f.subtype)
            log = f.extra_info
    except Exception as exc:  # LibsndfileError, RuntimeError, TypeError: all mean "cannot open"
        raise decode_error(path, exc) from exc
    short = _SHORT_CHUNK.search(log or "")
    if short:
        raise data_error(
            path,
            "truncated",
            f"truncated or corrupt file: the header declares {short.group(1)} bytes of audio data, "
            f"the file holds {short.group(2)}",
        )
    if meta.channels < 1 or meta.sample_rate < 1:
        raise data_error(path, "corrupt", f"invalid header ({meta.channels} channels at {meta.sample_rate} Hz)")
    return meta


def check_samples(path: str, data: np.ndarray) -> None:
    if data.shape[0] == 0:
        raise data_error(path, "zero_length", "zero-length audio (no samples)")
    finite = np.isfinite(data)
    if not finite.all():
        bad = int((~finite).sum())
        first = int(np.argwhere(~finite)[0][0])
        raise data_error(path, "non_finite", f"{bad} NaN or infinite sample(s), the first at frame {first}; re-export the file")


def downmix(data: np.ndarray) -> np.ndarray:
    """[T] or [T, C] -> float32 [T], the mean over channels."""
    data = np.asarray(data, dtype=np.float32)
    if data.ndim == 1:
        return data
    if data.ndim != 2:
        raise ValueError(f"expected audio [T] or [T, C], got shape {data.shape}")
    return data[:, 0].copy() if data.shape[1] == 1 else data.mean(axis=1, dtype=np.float32)


def resample(audio: np.ndarray, from_rate: int, to_rate: int) -> np.ndarray:
    """soxr HQ resampling of [T] or [T, C] float32; a no-op when the rates agree."""
    if int(from_rate) == int(to_rate):
        return np.asarray(audio, dtype=np.float32)
    out = soxr.resample(np.asarray(audio, dtype=np.float32), int(from_rate), int(to_rate), quality=RESAMPLE_QUALITY)
    return np.asarray(out, dtype=np.float32)


def load_audio(path: str | os.PathLike, sample_rate: int, mono: bool = True) -> np.ndarray:
    """Decode ``path`` to float32 at ``sample_rate``: [T] when ``mono`` (channel mean), else [T, C].

    Raises :class:`DataError` naming the file for a missing, unreadable, unsupported, truncated or
    zero-length file and for NaN/inf samples (checked before resampling, which would smear them).
    """
    path = os.fspath(path)
    if int(sample_rate) <= 0:
        raise ValueError(f"sample_rate must be positive, got {sample_rate}")
    meta = info(path)
    try:
        data, rate = sf.read(path, dtype="float32", always_2d=True)
    except Exception as exc:
        raise decode_error(path, exc) from exc
    return finish_decoded(meta, data, rate, sample_rate, mono)


def finish_decoded(meta: AudioInfo, data: np.ndarray, rate: int, sample_rate: int, mono: bool = True) -> np.ndarray:
    """Checks, down-mix and resampling of decoded [T, C] audio; shared by every decoder backend."""
    path = meta.path
    check_samples(path, data)
    # MP3 headers estimate the length; a decode far shorter than declared means a cut-off file.
    tolerance = max(2048, meta.frames // 100)
    if data.shape[0] < meta.frames - tolerance:
        raise data_error(
            path,
            "truncated",
            f"truncated or corrupt file: the header declares {meta.frames} frames, only {data.shape[0]} could be decoded",
        )
    audio = downmix(data) if mono else np.asarray(data, dtype=np.float32)
    return resample(audio, int(rate), int(sample_rate))


def crop_or_pad(
    audio: np.ndarray, length: int, rng: np.random.Generator | None, random_pad: bool = True
) -> tuple[np.ndarray, int]:
    """Exactly ``length`` samples of ``audio`` [T] and the source sample now at output sample 0.

    Longer audio: a window starting at a uniformly random offset (``rng=None``: offset 0).
    Shorter audio: the whole clip placed at a uniformly random position in zeros (``rng=None`` or
    ``random_pad=False``: at the start), and the returned offset is minus that position.
    Either way an event at ``t`` seconds in the source is at ``t - offset / sample_rate`` in the
    output, so labels are shifted by one formula.
    """
    length = int(length)
    if length <= 0:
        raise ValueError(f"length must be positive, got {length}")
    n = len(audio)
    if n >= length:
        offset = int(rng.integers(0, n - length + 1)) if rng is not None else 0
        return np.ascontiguousarray(audio[offset : offset + length], dtype=np.float32), offset
    start = int(rng.integers(0, length - n + 1)) if (rng is not None and random_pad) else 0
    out = np.zeros(length, dtype=np.float32)
    out[start : start + n] = audio
    return out, -start


def shift_segments(
    segments: list[tuple[float, float]], offset_seconds: float, duration: float
) -> list[tuple[float, float]]:
    """Segments moved by ``-offset_seconds`` and clipped to [0, duration]; empty ones dropped."""
    out = []
    for onset, offset in segments:
        a, b = max(0.0, onset - offset_seconds), min(duration, offset - offset_seconds)
        if b > a:
            out.append((a, b))
    return out


def peak_db(audio: np.ndarray) -> float:
    """Peak level in dB full scale; -inf for all-zero audio."""
    peak = float(np.max(np.abs(audio))) if len(audio) else 0.0
    return 20.0 * np.log10(peak) if peak > 0 else -np.inf


def is_silent(audio: np.ndarray, threshold_db: float = -60.0) -> bool:
    """True when the *peak* level is below ``threshold_db`` dBFS (or the audio is empty).

    Peak, not RMS: a short click in a long quiet file is an event, not silence.
    """
    return peak_db(audio) < float(threshold_db)


def iter_blocks(
    path: str | os.PathLike,
    sample_rate: int,
    block_seconds: float,
    overlap_seconds: float = 0.0,
    read_frames: int = 65536,
) -> Iterator[tuple[float, np.ndarray]]:
    """(start seconds, float32 mono block) over a long file, in memory bounded by one block.

    Blocks are ``block_seconds`` long at ``sample_rate`` and start every
    ``block_seconds - overlap_seconds``; the last block is shorter when the file does not fill
    it (callers pad it). Decoding reads ``read_frames`` at a time and resamples with one soxr
    stream across reads, so block edges carry no resampling seams: concatenating the blocks'
    non-overlapping parts equals ``load_audio`` up to float rounding.
    """
    path = os.fspath(path)
    block = int(round(block_seconds * sample_rate))
    overlap = int(round(overlap_seconds * sample_rate))
    if block <= 0 or overlap < 0 or overlap >= block:
        raise ValueError(
            f"need 0 <= overlap_seconds < block_seconds and a block of at least one sample, got "
            f"block_seconds={block_seconds}, overlap_seconds={overlap_seconds} at {sample_rate} Hz"
        )
    hop = block - overlap
    meta = info(path)
    if meta.frames == 0:
        raise data_error(path, "zero_length", "zero-length audio (no samples)")
    stream = None if meta.sample_rate == sample_rate else soxr.ResampleStream(
        meta.sample_rate, sample_rate, 1, dtype="float32", quality=RESAMPLE_QUALITY
    )
    buf = np.zeros(0, dtype=np.float32)
    emitted = 0  # output samples before buf[0]
    decoded = 0
    try:
        with sf.SoundFile(path) as f:
            while True:
                data = f.read(read_frames, dtype="float32", always_2d=True)
                last = data.shape[0] < read_frames
                decoded += data.shape[0]
                if data.shape[0]:
                    check_samples(path, data)
                chunk = downmix(data)
                if stream is not None:
                    chunk = stream.resample_chunk(chunk, last=last)
                buf = np.concatenate([buf, chunk]) if len(buf) else np.asarray(chunk, dtype=np.float32)
                while len(buf) >= block:
                    yield emitted / sample_rate, buf[:block].copy()
                    buf = buf[hop:]
                    emitted += hop
                if last:
                    break
    except DataError:
        raise
    except Exception as exc:
        raise decode_error(path, exc) from exc
    if decoded == 0:
        raise data_error(path, "zero_length", "zero-length audio (no samples)")
    # The tail: emit it unless it only repeats the overlap of the block before.
    if len(buf) > (overlap if emitted > 0 else 0):
        yield emitted / sample_rate, buf.copy()
