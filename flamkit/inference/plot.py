"""The detection figure (the paper's Fig. 2 for recordings of any length) and its streamed spectrogram.

:func:`flamkit.eval.plots.frame_probability_figure` draws a 10 s clip from its whole waveform; a
one-hour recording cannot be held in memory for that, and an FFT every 256 samples would give a
million columns to draw. :class:`CoarseSpectrogram` is fed the streamed blocks instead and keeps at
most ``max_columns`` columns, each the mean power spectrum of up to 8 windows spread over its time
span, so memory is bounded by the figure, not by the recording.
"""

from __future__ import annotations

import math
from typing import Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

WINDOWS_PER_COLUMN = 8


class CoarseSpectrogram:
    """Power spectrogram (dB) of a stream of ``(start_sample, block)`` pieces, overlaps allowed."""

    def __init__(self, sample_rate: int, expected_samples: int, max_columns: int = 2000, n_fft: int = 512) -> None:
        self.sample_rate = int(sample_rate)
        self.n_fft = int(n_fft)
        self.hop = max(self.n_fft // 2, int(math.ceil(max(expected_samples, 1) / max_columns)))
        self._window = np.hanning(self.n_fft).astype(np.float32)
        self._buf = np.zeros(0, dtype=np.float32)
        self._pos = 0  # global index of _buf[0]
        self._seen = 0  # samples received so far (the end of the stream's covered part)
        self._columns: list[np.ndarray] = []

    def feed(self, start: int, block: np.ndarray) -> None:
        """Add a block starting at global sample ``start``; only its samples not seen before are used."""
        new = block[max(0, self._seen - start) :]
        if not len(new):
            return
        self._seen = max(self._seen, start + len(block))
        self._buf = np.concatenate([self._buf, new.astype(np.float32, copy=False)])
        span = max(self.hop, self.n_fft)
        while len(self._buf) >= span:
            self._column(self._buf[:span])
            self._buf = self._buf[self.hop :]
            self._pos += self.hop

    def _column(self, segment: np.ndarray) -> None:
        if len(segment) < self.n_fft:
            segment = np.pad(segment, (0, self.n_fft - len(segment)))
        m = max(1, min(WINDOWS_PER_COLUMN, len(segment) // self.n_fft))
        starts = np.linspace(0, len(segment) - self.n_fft, m).astype(int)
        frames = np.stack([segment[s : s + self.n_fft] for s in starts]) * self._window
        self._columns.append((np.abs(np.fft.rfft(frames, axis=1)) ** 2).mean(axis=0).astype(np.float32))

    def result(self) -> np.ndarray:
        """``[n_fft // 2 + 1, columns]`` in dB; the unfinished tail becomes a last column."""
        if len(self._buf) > 0:
            self._column(self._buf)
            self._buf = self._buf[:0]
        if not self._columns:
            return np.full((self.n_fft // 2 + 1, 1), -100.0, dtype=np.float32)
        return 10 * np.log10(np.stack(self._columns, axis=1) + 1e-10)


def detection_figure(
    spectrogram: np.ndarray,
    sample_rate: int,
    duration: float,
    probs: np.ndarray,
    labels: Sequence[str],
    frame_seconds: float,
    events: Sequence = (),
    threshold: float = 0.5,
    title: str = "",
):
    """Spectrogram on top; below, one probability curve per query with its detected events shaded."""
    probs = np.atleast_2d(probs)
    width = float(np.clip(6 + duration / 20, 8, 24))
    fig, (ax_s, ax_p) = plt.subplots(2, 1, figsize=(width, 4.8), sharex=True, gridspec_kw={"height_ratios": [1, 1.2]})
    end = max(duration, 1e-3)
    top = spectrogram.max() if spectrogram.size else 0.0
    ax_s.imshow(spectrogram, origin="lower", aspect="auto", extent=(0, end, 0, sample_rate / 2000), cmap="magma",
                vmin=top - 80, vmax=top, interpolation="nearest")
    ax_s.set_ylabel("kHz")
    ax_s.set_title(title, fontsize=8)
    t = (np.arange(probs.shape[1]) + 0.5) * frame_seconds
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for k, label in enumerate(labels):
        c = colors[k % len(colors)]
        ax_p.plot(np.minimum(t, end), probs[k], color=c, lw=1, label=label if len(label) <= 40 else label[:39] + "…")
        for e in events:
            if e.label == label:
                ax_p.axvspan(e.onset, e.offset, color=c, alpha=0.15, lw=0)
    ax_p.axhline(threshold, color="grey", lw=0.5, ls="--")
    ax_p.set_ylim(-0.02, 1.02)
    ax_p.set_xlim(0, end)
    ax_p.set_xlabel("time (s)")
    ax_p.set_ylabel("probability")
    if len(labels):
        ax_p.legend(fontsize=7, loc="upper right")
    fig.tight_layout()
    return fig
