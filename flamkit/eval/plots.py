"""Figures: frame probabilities over ground truth (the paper's Fig. 2) and threshold curves (Fig. 3)."""

from __future__ import annotations

from typing import Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from flamkit.data.example import Example  # noqa: E402


def _spectrogram(audio: np.ndarray, sample_rate: int, n_fft: int = 1024, hop: int = 256) -> np.ndarray:
    if len(audio) < n_fft:
        audio = np.pad(audio, (0, n_fft - len(audio)))
    frames = np.lib.stride_tricks.sliding_window_view(audio, n_fft)[::hop] * np.hanning(n_fft)
    power = np.abs(np.fft.rfft(frames, axis=1)) ** 2
    return 10 * np.log10(power.T + 1e-10)


def frame_probability_figure(
    example: Example,
    texts: Sequence[str],
    scores: np.ndarray,
    labels: np.ndarray | None = None,
    threshold: float = 0.5,
    hop: float | None = None,
):
    """Spectrogram on top; below, one probability curve per text with its ground truth shaded.

    ``scores`` is ``(texts, frames)``. Frames span the clip evenly unless ``hop`` (seconds per frame)
    is given, as for padded or split clips whose frames do not end exactly at the end of the audio.
    """
    scores = np.atleast_2d(scores)
    L = scores.shape[1]
    duration = example.duration
    step = duration / L if hop is None else float(hop)
    fig, (ax_s, ax_p) = plt.subplots(2, 1, figsize=(8, 4.5), sharex=True, gridspec_kw={"height_ratios": [1, 1.2]})
    draw_spectrogram(ax_s, example)
    ax_s.set_title(example.key, fontsize=8)
    draw_probabilities(ax_p, (np.arange(L) + 0.5) * step, texts, scores, labels, threshold)
    ax_p.set_xlim(0, max(duration, L * step))
    ax_p.set_xlabel("time (s)")
    ax_p.set_ylabel("probability")
    if texts:
        ax_p.legend(fontsize=7, loc="upper right")
    fig.tight_layout()
    return fig


def draw_spectrogram(ax, example: Example) -> None:
    """A log-power spectrogram of ``example`` over its duration, in kHz, 80 dB of range."""
    spec = _spectrogram(example.audio, example.sample_rate)
    ax.imshow(spec, origin="lower", aspect="auto", extent=(0, example.duration, 0, example.sample_rate / 2000), cmap="magma",
              vmin=spec.max() - 80, vmax=spec.max())
    ax.set_ylabel("kHz")


def draw_probabilities(
    ax, times: np.ndarray, texts: Sequence[str], scores: np.ndarray, labels: np.ndarray | None = None, threshold: float = 0.5
) -> None:
    """One probability curve per text at ``times`` (frame centres), its ground truth shaded, the threshold dashed."""
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for k, text in enumerate(texts):
        c = colors[k % len(colors)]
        ax.plot(times, scores[k], color=c, label=text[:40])
        if labels is not None:
            ax.fill_between(times, 0, np.asarray(labels[k], dtype=float), step="mid", color=c, alpha=0.15)
    ax.axhline(threshold, color="grey", lw=0.5, ls="--")
    ax.set_ylim(-0.02, 1.02)


def threshold_curves_figure(thresholds: np.ndarray, curves: dict[str, dict[str, np.ndarray]]):
    """F1, precision and recall against the decision threshold, one line per model or scoring mode."""
    fig, axes = plt.subplots(1, 3, figsize=(11, 3.2), sharex=True)
    for name, c in curves.items():
        for ax, key in zip(axes, ("f1", "precision", "recall")):
            ax.plot(thresholds, c[key], label=name)
    for ax, key in zip(axes, ("F1", "precision", "recall")):
        ax.set_title(key)
        ax.set_xlabel("threshold")
        ax.set_ylim(0, 1.02)
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    return fig
