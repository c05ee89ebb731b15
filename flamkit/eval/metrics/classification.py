"""Zero-shot classification accuracy from audio-to-class-prompt similarities (§5.5).

``similarity[i, k]`` scores clip ``i`` against the prompt of class ``k`` (e.g. "the sound of a dog",
one prompt per class, the template being the caller's); ``targets[i]`` is the clip's class. A
class tied with the true one counts as ranked ahead of it, so a constant model scores 0, not the
accuracy of index order.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

TOP_KS = (1, 5)


def true_class_ranks(similarity: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """0-based rank of each clip's true class among all classes (ties counted against it)."""
    sim = np.asarray(similarity, dtype=np.float64)
    t = np.asarray(targets)
    if sim.ndim != 2:
        raise ValueError(f"similarity must be (clips, classes), got shape {sim.shape}")
    if t.shape != (sim.shape[0],) or not np.issubdtype(t.dtype, np.integer):
        raise ValueError(f"targets must be {sim.shape[0]} integer class indices, got shape {t.shape} dtype {t.dtype}")
    if len(t) and (t.min() < 0 or t.max() >= sim.shape[1]):
        raise ValueError(f"targets must lie in [0, {sim.shape[1]})")
    if not np.isfinite(sim).all():
        raise ValueError("similarity contains non-finite values")
    own = sim[np.arange(len(t)), t]
    return (sim >= own[:, None]).sum(axis=1) - 1


def zero_shot_accuracy(
    similarity: np.ndarray, targets: np.ndarray, class_names: Sequence[str] | None = None, top_ks: Sequence[int] = TOP_KS
) -> dict:
    """``top1``, ``top5`` accuracy, ``per_class`` top-1 accuracy, its mean (``balanced_top1``) and counts.

    Classes without any clip are left out of ``per_class`` and ``balanced_top1`` and listed in
    ``classes_without_clips``.
    """
    ranks = true_class_ranks(similarity, targets)
    n_classes = np.asarray(similarity).shape[1]
    names = list(class_names) if class_names is not None else [str(k) for k in range(n_classes)]
    if len(names) != n_classes:
        raise ValueError(f"{len(names)} class names for {n_classes} classes")
    t = np.asarray(targets)
    out: dict = {"n_clips": int(len(t)), "n_classes": int(n_classes)}
    for k in top_ks:
        out[f"top{k}"] = float(np.mean(ranks < k)) if len(t) else float("nan")
    hits = np.bincount(t, weights=(ranks == 0), minlength=n_classes)
    counts = np.bincount(t, minlength=n_classes)
    out["per_class"] = {names[k]: float(hits[k] / counts[k]) for k in range(n_classes) if counts[k]}
    out["balanced_top1"] = float(np.mean(list(out["per_class"].values()))) if out["per_class"] else float("nan")
    out["classes_without_clips"] = [names[k] for k in range(n_classes) if not counts[k]]
    return out
