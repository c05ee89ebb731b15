"""Small random SED sets shared by the metric tests (seeded, explicit generators)."""

from __future__ import annotations

import numpy as np

from flamkit.eval.metrics.frame_scores import FrameScores, frame_labels
from flamkit.eval.metrics.ground_truth import sanitize_ground_truth


def random_set(
    seed: int,
    n_files: int = 40,
    n_classes: int = 5,
    length: int | tuple[int, int] = 32,
    hop: float = 0.3125,
    max_events: int = 3,
    separation: float = 2.0,
    decimals: int | None = 2,
    extra_duration: float = 0.0,
):
    """(FrameScores, ground truth, durations, frame labels): scores = sigmoid(noise + separation * (label - 0.5)).

    ``length`` may be a (low, high) range for clips of different frame counts; ``decimals`` rounds
    scores to create ties; ``extra_duration`` makes clips longer than their scored span.
    """
    rng = np.random.default_rng(seed)
    classes = [f"class {k}" for k in range(n_classes)]
    files = [f"clip{i:04d}.wav" for i in range(n_files)]
    lengths = [length] * n_files if isinstance(length, int) else list(rng.integers(length[0], length[1] + 1, n_files))
    gt, durations = {}, {}
    for i, f in enumerate(files):
        span = lengths[i] * hop
        durations[f] = span + extra_duration
        events = []
        for _ in range(int(rng.integers(0, max_events + 1))):
            onset = float(np.round(rng.uniform(0, span * 0.9), 3))
            offset = float(np.round(min(durations[f], onset + rng.uniform(0.2, span / 2)), 3))
            events.append((onset, offset, classes[int(rng.integers(n_classes))]))
        gt[f] = events
    # every class gets at least one event so sed_scores_eval accepts the set
    for k, c in enumerate(classes):
        gt[files[k % n_files]].append((0.5, 1.5, c))
    gt, _ = sanitize_ground_truth(gt, classes=classes)
    empty = {f: np.zeros((int(n), n_classes), np.float32) for f, n in zip(files, lengths)}
    fs0 = FrameScores.from_arrays(empty, classes, hop)
    labels = frame_labels(fs0, gt)
    s = 1 / (1 + np.exp(-(rng.normal(size=labels.shape) + separation * (labels - 0.5))))
    if decimals is not None:
        s = np.round(s, decimals)
    return fs0.with_values(s.astype(np.float32)), gt, durations, labels
