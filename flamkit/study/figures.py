"""A study's figures: F1/precision/recall against the threshold per model (Fig. 3) and example
detections of every model over the ground truth on the same held-out clips (Fig. 2)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from flamkit.inference.detector import load

if TYPE_CHECKING:
    from flamkit.study.runner import StudyResult

MAX_LABELS_PER_CLIP = 3


def curves_figure(result: StudyResult, path: Path) -> Path:
    from flamkit.eval.plots import threshold_curves_figure

    first = result.stages[0].curve
    fig = threshold_curves_figure(
        np.asarray(first["thresholds"]),
        {r.stage.label: {k: np.asarray(r.curve[k]) for k in ("f1", "precision", "recall")} for r in result.stages},
    )
    for ax in fig.axes:
        ax.axvline(0.5, color="grey", lw=0.6, ls="--")
    fig.suptitle(f"{result.spec.name}: frame-wise F1, precision and recall against the threshold ({result.spec.mode} scores)", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    _close(fig)
    return path


def example_clips(result: StudyResult, count: int, sample_rate: int, clip_seconds: float):
    """The first ``count`` clips with events of the study's evaluation set, as the eval drew them."""
    from flamkit.eval.configs import load_eval_config
    from flamkit.eval.tasks.base import EvalInputError
    from flamkit.eval.tasks.sed_data import sed_set_from_source

    cfg, _ = load_eval_config(result.spec.eval, list(result.spec.eval_overrides))
    node = cfg.get(result.spec.task)
    if node is None or node.get("source") is None:
        raise EvalInputError(f"eval {result.spec.eval}: task {result.spec.task} has no data source to draw examples from")
    sedset = sed_set_from_source(
        dict(node.source), f"{result.spec.task}.source", sample_rate, clip_seconds,
        node.get("max_clips"), int(node.get("seed", 0)), None,
    )
    return [c for c in sedset.clips if sedset.ground_truth[c.key]][:count], sedset.ground_truth


def examples_figures(result: StudyResult, folder: Path, count: int) -> list[Path]:
    """One figure per clip: spectrogram, then each model's probabilities for the clip's own descriptions."""
    import matplotlib.pyplot as plt

    from flamkit.data.example import Example
    from flamkit.eval.metrics.frame_scores import segment_mask
    from flamkit.eval.plots import draw_probabilities, draw_spectrogram

    if count <= 0:
        return []
    detectors = [load(r.checkpoint, query_expansion=result.spec.query_expansion) for r in result.stages]
    clips, gt = example_clips(result, count, detectors[0].sample_rate, detectors[0].clip_seconds)
    paths = []
    for n, clip in enumerate(clips):
        events = gt[clip.key]
        firsts: dict[str, float] = {}
        for on, _, label in sorted(events):
            firsts.setdefault(label, on)
        labels = sorted(firsts, key=firsts.get)[:MAX_LABELS_PER_CLIP]
        rows = len(detectors) + 1
        fig, axes = plt.subplots(rows, 1, figsize=(9, 1.7 * rows), sharex=True)
        sr0 = detectors[0].sample_rate
        example = Example(audio=clip.load(sr0), sample_rate=sr0, key=clip.key)
        draw_spectrogram(axes[0], example)
        axes[0].set_title(f"held-out clip {clip.key}: shaded = ground truth, line = model probability", fontsize=8)
        for ax, det, r in zip(axes[1:], detectors, result.stages):
            audio = example.audio if det.sample_rate == sr0 else clip.load(det.sample_rate)
            fp = det.frame_probabilities(audio, det.sample_rate, queries=labels, mode=result.spec.mode, median=3)
            n_frames = fp.probs.shape[1]
            truth = np.stack([segment_mask([(a, b) for a, b, lab in events if lab == c], n_frames, fp.frame_seconds) for c in labels])
            draw_probabilities(ax, fp.centers, labels, fp.probs, truth)
            ax.set_ylabel(r.stage.label, fontsize=8)
        axes[1].legend(fontsize=7, loc="upper right")
        axes[-1].set_xlabel("time (s)")
        axes[-1].set_xlim(0, example.duration)
        fig.tight_layout()
        path = folder / f"example_{n}.png"
        fig.savefig(path, dpi=100)
        _close(fig)
        paths.append(path)
    return paths


def _close(fig) -> None:
    import matplotlib.pyplot as plt

    plt.close(fig)
