"""Sliding windows over recordings of any length, and stitching per-window frames back together.

A FLAM encoder sees exactly ``clip_seconds`` of audio and returns ``L`` frames, frame ``l`` covering
``[l, l + 1) * clip_seconds / L`` of its window. A recording of any duration is cut into windows that
start every ``hop_frames`` frames (default: half a window, 50 % overlap), so every window starts on
the global frame grid and window ``w``'s frame ``l`` *is* global frame ``w * hop_frames + l``.
Per-frame values (probabilities, embeddings) of overlapping windows are averaged.

The last window is usually partial: it is zero-padded to a full clip, and its frames that start at or
after the end of the audio are excluded from the average (a frame that holds any real audio counts).
A recording of ``n`` samples therefore has ``N = ceil(n / frame_samples)`` frames; the last one may be
shorter than the others and the events that end in it are clipped to the duration.

Windows come from a block iterator: :func:`flamkit.data.audio_io.iter_blocks` for files (decoded
and resampled as a stream, so memory is bounded by one window whatever the duration), or
:func:`array_blocks` with the same rules for audio already in memory.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterator

import numpy as np


@dataclass(frozen=True)
class WindowPlan:
    """Window geometry at the model's sample rate: clip length, frames per clip and the hop."""

    sample_rate: int
    clip_samples: int
    frames: int  # L, frames per window
    hop_frames: int  # windows start every hop_frames frames

    def __post_init__(self) -> None:
        if not 1 <= self.hop_frames <= self.frames:
            raise ValueError(
                f"the window hop must be between 1 frame ({self.frame_seconds:g} s) and a whole window "
                f"({self.clip_samples / self.sample_rate:g} s); got {self.hop_frames} frames"
            )
        exact = self.hop_frames * self.clip_samples / self.frames
        if abs(exact - round(exact)) > 1e-9:
            raise ValueError(
                f"a hop of {self.hop_frames} frames is {exact:g} samples, not a whole number, at "
                f"{self.sample_rate} Hz with {self.frames} frames per {self.clip_samples}-sample window; "
                "choose a hop (or overlap) that is a multiple of a whole number of samples"
            )

    @classmethod
    def for_model(
        cls, sample_rate: int, clip_seconds: float, frames: int, overlap: float = 0.5, hop_seconds: float | None = None
    ) -> "WindowPlan":
        """The plan for a model; ``hop_seconds`` (rounded to whole frames) overrides ``overlap``.

        The hop is then rounded to the nearest one that is also a whole number of samples, so that
        every window starts exactly on the frame grid: a frame of an L = 53 model at 44.1 kHz is
        8320.75 samples, and only a whole window (53 frames) is a whole number of samples, so such
        a model's windows cannot overlap; L = 32 at 44.1 kHz allows every 4th frame (55125 samples).
        """
        clip = int(round(sample_rate * clip_seconds))
        frame_seconds = clip_seconds / frames
        if hop_seconds is not None:
            if not hop_seconds > 0:
                raise ValueError(f"hop must be positive seconds; got {hop_seconds}")
            hop = int(round(hop_seconds / frame_seconds))
            if hop < 1 or hop > frames:
                raise ValueError(
                    f"hop {hop_seconds:g} s must be between one frame ({frame_seconds:g} s) and one window "
                    f"({clip_seconds:g} s)"
                )
        else:
            if not 0.0 <= overlap < 1.0:
                raise ValueError(f"overlap is a fraction of the window in [0, 1); got {overlap}")
            hop = max(1, int(round(frames * (1.0 - overlap))))
        return cls(int(sample_rate), clip, int(frames), whole_sample_hop(clip, int(frames), hop))

    @property
    def frame_samples(self) -> float:
        return self.clip_samples / self.frames

    @property
    def frame_seconds(self) -> float:
        return self.frame_samples / self.sample_rate

    @property
    def hop_samples(self) -> int:
        return int(round(self.hop_frames * self.frame_samples))

    @property
    def overlap_samples(self) -> int:
        return self.clip_samples - self.hop_samples

    def num_frames(self, num_samples: int) -> int:
        """Frames holding any of ``num_samples`` samples: ``ceil(n / frame_samples)``."""
        return int(math.ceil(num_samples / self.frame_samples - 1e-9)) if num_samples > 0 else 0

    def frame_offset(self, start_sample: int) -> int:
        """Global index of the first frame of the window starting at ``start_sample``."""
        w, rest = divmod(int(start_sample), self.hop_samples)
        if rest:
            raise ValueError(f"window start {start_sample} is not on the hop grid ({self.hop_samples} samples)")
        return w * self.hop_frames


def whole_sample_hop(clip_samples: int, frames: int, hop_frames: int) -> int:
    """The hop nearest ``hop_frames`` (ties: the shorter) whose length is a whole number of samples."""
    step = frames // math.gcd(clip_samples, frames)  # the smallest such hop, in frames; it divides ``frames``
    lower = max(step, hop_frames // step * step)
    upper = min(frames, lower + step)
    return lower if hop_frames - lower <= upper - hop_frames else upper


def array_blocks(audio: np.ndarray, block: int, hop: int) -> Iterator[tuple[int, np.ndarray]]:
    """(start sample, block) over mono ``audio`` with :func:`~flamkit.data.audio_io.iter_blocks`'s rules.

    Full blocks start every ``hop`` samples; then the tail, unless it holds nothing but the overlap
    already covered by the block before it (or the audio is empty).
    """
    n = len(audio)
    start = 0
    while start + block <= n:
        yield start, audio[start : start + block]
        start += hop
    if n - start > (block - hop if start > 0 else 0):
        yield start, audio[start:]


class OverlapAverager:
    """Running per-frame sums and counts of ``[n, C]`` rows added at global frame offsets.

    The arrays grow by doubling, so the number of frames need not be known in advance (a streamed
    file's resampled length is only known at its end); memory is ``N x C`` floats, nothing per window.
    """

    def __init__(self, channels: int, capacity: int = 0, dtype: type = np.float64) -> None:
        self.channels = int(channels)
        self._sum = np.zeros((max(int(capacity), 1), self.channels), dtype=dtype)
        self._count = np.zeros(self._sum.shape[0], dtype=np.int32)
        self.frames = 0

    def _reserve(self, n: int) -> None:
        if n <= self._sum.shape[0]:
            return
        size = max(n, 2 * self._sum.shape[0])
        grown = np.zeros((size, self.channels), dtype=self._sum.dtype)
        grown[: self._sum.shape[0]] = self._sum
        count = np.zeros(size, dtype=np.int32)
        count[: self._count.shape[0]] = self._count
        self._sum, self._count = grown, count

    def add(self, offset: int, rows: np.ndarray) -> None:
        n = rows.shape[0]
        if n == 0:
            return
        self._reserve(offset + n)
        self._sum[offset : offset + n] += rows
        self._count[offset : offset + n] += 1
        self.frames = max(self.frames, offset + n)

    def mean(self) -> np.ndarray:
        """``[N, C]`` mean over the windows that covered each frame (every frame is covered at least once)."""
        count = self._count[: self.frames]
        if self.frames and int(count.min()) == 0:
            raise RuntimeError(f"frame {int(np.argmin(count))} was covered by no window (a bug in the window plan)")
        return self._sum[: self.frames] / count[:, None]
