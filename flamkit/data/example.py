"""The unit every data source emits and every augmenter transforms.

An :class:`Example` is one clip of mono audio plus what is known about it: a caption and tags
(audio-text corpora) and/or timed events (SED). Frame labels are not stored: they are derived for
whatever frame count L the model uses, from each event's activity at ``ACTIVITY_RATE`` Hz or from
its segments, so one dataset serves L=32 and L=128 alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

ACTIVITY_RATE = 50  # Hz: the resolution of A-weighted RMS relabelling (C.4: hop 1200 at 48 kHz)


@dataclass
class Event:
    """One labelled sound event inside a clip.

    ``segments`` are (onset, offset) seconds where the event is active. ``activity`` (optional) is
    the finer per-50-Hz-frame activity after loudness relabelling; when present it is the truth and
    ``segments`` are its runs. ``tags`` are alternative short descriptions of the same sound (the
    caption augmenter may use one instead of ``text``, C.6).
    """

    text: str
    segments: list[tuple[float, float]]
    activity: np.ndarray | None = None
    tags: list[str] = field(default_factory=list)

    def frame_mask(self, num_frames: int, duration: float) -> np.ndarray:
        """[L] bool: frame l (covering [l, l+1) * duration / L) is active if the event is active in any part of it."""
        if self.activity is not None and len(self.activity):
            return activity_to_frames(self.activity, num_frames, duration)
        return segments_to_frames(self.segments, num_frames, duration)


@dataclass
class Example:
    """A clip and its annotations. ``key`` names where it came from, for error messages."""

    audio: np.ndarray  # float32 [T], mono
    sample_rate: int
    key: str
    source: str = ""
    caption: str | None = None
    tags: list[str] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)

    @property
    def duration(self) -> float:
        return len(self.audio) / float(self.sample_rate)


def segments_to_frames(segments: list[tuple[float, float]], num_frames: int, duration: float) -> np.ndarray:
    """[L] bool from (onset, offset) seconds: a frame is positive if an active segment overlaps it.

    Any overlap counts (the DCASE convention of flooring onsets and ceiling offsets), so a short
    event is never lost between frames.
    """
    mask = np.zeros(num_frames, dtype=bool)
    hop = duration / num_frames
    for onset, offset in segments:
        onset, offset = max(0.0, float(onset)), min(duration, float(offset))
        if offset <= onset:
            continue
        first = int(np.floor(onset / hop))
        last = int(np.ceil(offset / hop))  # exclusive
        mask[max(0, first) : min(num_frames, last)] = True
    return mask


def activity_to_frames(activity: np.ndarray, num_frames: int, duration: float) -> np.ndarray:
    """[L] bool from a bool activity sampled at ACTIVITY_RATE: frame l is positive if an active activity
    frame (``[k, k+1) / ACTIVITY_RATE`` seconds) overlaps it, the rule of :func:`segments_to_frames`.

    So a frame is never negative while its event sounds in part of it, for any L: coarser frames (L=32)
    take every 20 ms frame they touch, finer ones (L > 500 over 10 s) are all positive under an active
    20 ms frame. Overlaps within 1e-9 frames of a boundary are rounding, not overlap.
    """
    active = np.flatnonzero(np.asarray(activity, dtype=bool))
    mask = np.zeros(num_frames, dtype=bool)
    if len(active) == 0:
        return mask
    per = num_frames / (float(duration) * ACTIVITY_RATE)  # model frames per activity frame
    first = np.clip(np.floor(active * per + 1e-9).astype(np.int64), 0, num_frames)
    last = np.clip(np.ceil((active + 1) * per - 1e-9).astype(np.int64), 0, num_frames)  # exclusive
    edges = np.zeros(num_frames + 1, dtype=np.int64)
    np.add.at(edges, first, 1)
    np.add.at(edges, last, -1)
    return np.cumsum(edges[:-1]) > 0


def activity_to_segments(activity: np.ndarray, rate: float = ACTIVITY_RATE) -> list[tuple[float, float]]:
    """Runs of True in ``activity`` as (onset, offset) seconds."""
    a = np.concatenate([[False], np.asarray(activity, dtype=bool), [False]])
    edges = np.flatnonzero(a[1:] != a[:-1])
    return [(s / rate, e / rate) for s, e in zip(edges[::2], edges[1::2])]
