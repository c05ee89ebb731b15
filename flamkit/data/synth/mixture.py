"""What the synthesizer returns: a mixture, its labels and how each event was placed; and the two
signal helpers it places with (fades, looping)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from flamkit.data.example import Event, Example


@dataclass
class PlacedEvent:
    """One event clip as placed in a mixture (several pieces when split or repeated)."""

    text: str
    clip_key: str
    pool: str
    mode: str  # drawn: single | split | repeat
    realized_mode: str  # after the fallbacks of step 3
    pieces: list[tuple[int, int]]  # (onset sample, length)
    offset_db: float  # drawn loudness offset over the background
    gain_db: float = 0.0  # applied to the clip, before the mixture scale
    achieved_offset_db: float = 0.0  # == offset_db unless the gain solve was inexact
    exact: bool = True
    frames: tuple[int, int] = (0, 0)  # footprint [first, last) on the activity grid
    activity: np.ndarray | None = field(default=None, repr=False)  # gated (pre-smoothing) activity
    audio: list[np.ndarray] = field(default_factory=list, repr=False)  # faded pieces at unit gain
    power: np.ndarray | None = field(default=None, repr=False)  # unit-gain A-weighted frame power


@dataclass
class Mixture:
    audio: np.ndarray
    sample_rate: int
    seed: int
    index: int
    events: list[Event]
    placed: list[PlacedEvent]
    n_requested: int
    background_key: str | None
    background_gain_db: float
    reference_db: float  # background loudness the offsets refer to (before the mixture scale)
    scale_db: float  # peak-safety scale applied to everything (<= 0)
    stats: Counter
    problems: list[str] = field(default_factory=list)  # bad clips met, by name
    background_stem: np.ndarray | None = field(default=None, repr=False)
    event_stems: list[np.ndarray] | None = field(default=None, repr=False)  # one per ``placed``

    @property
    def key(self) -> str:
        return f"synth/{self.seed}/{self.index}"

    @property
    def caption(self) -> str:
        """The descriptions in order of first onset, e.g. ``"dog barking; door slam"``."""
        return "; ".join(e.text for e in sorted(self.events, key=lambda e: e.segments[0][0]))

    def to_example(self) -> Example:
        return Example(audio=self.audio, sample_rate=self.sample_rate, key=self.key,
                       source="sed_synthetic", events=self.events)

    def metadata(self) -> dict:
        """JSON-able description of the mixture (labels, placement, gains) for sidecars and manifests."""
        return {
            "key": self.key,
            "seed": self.seed,
            "index": self.index,
            "duration_s": len(self.audio) / self.sample_rate,
            "sample_rate": self.sample_rate,
            "caption": self.caption,
            "events": [{"text": e.text, "segments": [[round(float(a), 4), round(float(b), 4)] for a, b in e.segments]}
                       for e in self.events],
            "background": self.background_key,
            "background_gain_db": round(self.background_gain_db, 3),
            "reference_db": round(self.reference_db, 3),
            "scale_db": round(self.scale_db, 3),
            "n_requested": self.n_requested,
            "placed": [{"text": p.text, "clip": p.clip_key, "pool": p.pool, "mode": p.mode,
                        "realized_mode": p.realized_mode,
                        "pieces_s": [[round(o / self.sample_rate, 4), round((o + n) / self.sample_rate, 4)]
                                     for o, n in p.pieces],
                        "offset_db": round(p.offset_db, 3), "gain_db": round(p.gain_db, 3),
                        "achieved_offset_db": round(p.achieved_offset_db, 3)} for p in self.placed],
            "stats": dict(self.stats),
            "problems": list(self.problems),
        }


def apply_fades(x: np.ndarray, n_fade: int) -> np.ndarray:
    """A float32 copy of ``x`` with linear fade-in/out of ``n_fade`` samples (at most half its length)."""
    y = np.array(x, dtype=np.float32, copy=True)
    n = min(int(n_fade), len(y) // 2)
    if n > 0:
        ramp = (np.arange(n, dtype=np.float32) + 0.5) / n
        y[:n] *= ramp
        y[len(y) - n :] *= ramp[::-1]
    return y


def loop_to_length(x: np.ndarray, n: int, start: int, n_xfade: int) -> np.ndarray:
    """``x`` played from ``start`` and looped to ``n`` samples, with linear cross-fades at the seams."""
    x = np.asarray(x, dtype=np.float32)
    xf = min(int(n_xfade), len(x) // 4)
    out = np.zeros(n, dtype=np.float32)
    first = x[start:]
    m = min(n, len(first))
    out[:m] = first[:m]
    pos = m
    if xf > 0:
        ramp = (np.arange(xf, dtype=np.float32) + 0.5) / xf
    while pos < n:
        if xf > 0 and pos >= xf:  # overlap the next copy's head with the current tail
            pos -= xf
            out[pos : pos + xf] *= ramp[::-1]
            head = x[:xf] * ramp
            out[pos : pos + xf] += head[: n - pos]
            m = min(n - pos - xf, len(x) - xf)
            out[pos + xf : pos + xf + m] = x[xf : xf + m]
            pos += xf + m
        else:
            m = min(n - pos, len(x))
            out[pos : pos + m] = x[:m]
            pos += m
    return out
