"""Text-audio retrieval metrics from a similarity matrix: R@1, R@5, R@10 and mAP@10 both ways.

Input is ``similarity[t, a]`` between caption ``t`` and audio ``a`` and ``caption_audio[t]``, the audio
each caption describes, so several captions per audio (Clotho and AudioCaps have 5) are natural.

- Text-to-audio: each caption has one relevant audio. R@k is the fraction of captions whose audio
  ranks in the top k; mAP@10 is the mean over captions of 1/rank if rank <= 10 else 0 (DCASE 2022
  task 6b's definition for one relevant item).
- Audio-to-text: an audio's relevant items are all its captions. R@k is the fraction of audios with
  at least one caption in the top k (the convention of audio-text retrieval papers, e.g. LAION-CLAP);
  mAP@10 is the mean over audios of AP@10 = (1 / min(R, 10)) * sum over relevant captions ranked
  r_1 < r_2 < ... <= 10 of (i / r_i), R = number of captions of the audio. For R <= 10 (5 for
  Clotho/AudioCaps) this is LAION-CLAP's audio-to-text mAP@10 with its ranks sorted.

Ties are broken against the relevant item: a relevant item ranks behind every irrelevant one with
an equal score (and relevant items among themselves by index). A constant similarity matrix
therefore scores (near) zero rather than rewarding the index order.
"""

from __future__ import annotations

import numpy as np

KS = (1, 5, 10)
MAP_K = 10


def _validated(similarity: np.ndarray, caption_audio: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    sim = np.asarray(similarity, dtype=np.float64)
    ca = np.asarray(caption_audio)
    if sim.ndim != 2:
        raise ValueError(f"similarity must be (captions, audios), got shape {sim.shape}")
    if ca.shape != (sim.shape[0],) or not np.issubdtype(ca.dtype, np.integer):
        raise ValueError(f"caption_audio must be {sim.shape[0]} integer audio indices, got shape {ca.shape} dtype {ca.dtype}")
    if len(ca) and (ca.min() < 0 or ca.max() >= sim.shape[1]):
        raise ValueError(f"caption_audio indices must lie in [0, {sim.shape[1]})")
    if not np.isfinite(sim).all():
        raise ValueError("similarity contains non-finite values")
    return sim, ca.astype(np.int64)


def text_to_audio_ranks(similarity: np.ndarray, caption_audio: np.ndarray, *, chunk: int = 1024) -> np.ndarray:
    """0-based rank of each caption's audio among all audios (ties counted against it)."""
    sim, ca = _validated(similarity, caption_audio)
    ranks = np.empty(len(ca), dtype=np.int64)
    for s in range(0, len(ca), chunk):
        block = sim[s : s + chunk]
        target = block[np.arange(len(block)), ca[s : s + chunk]]
        ranks[s : s + chunk] = (block >= target[:, None]).sum(axis=1) - 1
    return ranks


def audio_to_text_ranks(similarity: np.ndarray, caption_audio: np.ndarray, *, chunk: int = 1024) -> list[np.ndarray]:
    """For each audio, the sorted 0-based ranks of its captions among all captions.

    Caption p of audio a ranks behind every caption with a higher score for a, every irrelevant
    caption with an equal score, and every relevant caption with an equal score and lower index.
    """
    sim, ca = _validated(similarity, caption_audio)
    n_cap = sim.shape[0]
    own = sim[np.arange(n_cap), ca]  # each caption's score for its own audio
    at_least = np.empty(n_cap, dtype=np.int64)  # captions scoring >= own[p] for audio ca[p]
    for s in range(0, n_cap, chunk):
        block = sim[:, ca[s : s + chunk]].T
        at_least[s : s + chunk] = (block >= own[s : s + chunk, None]).sum(axis=1)
    order = np.argsort(ca, kind="stable")
    bounds = np.searchsorted(ca[order], np.arange(sim.shape[1] + 1))
    out = []
    for a in range(sim.shape[1]):
        caps = order[bounds[a] : bounds[a + 1]]  # ascending caption index
        sc = own[caps]
        # relevant captions tied with p at or after p in index order are not ahead of it
        tied_after = (sc[None, :] == sc[:, None]) & (caps[None, :] >= caps[:, None])
        out.append(np.sort(at_least[caps] - tied_after.sum(axis=1)))
    return out


def retrieval_metrics(similarity: np.ndarray, caption_audio: np.ndarray) -> dict[str, float]:
    """``t2a_R@1, t2a_R@5, t2a_R@10, t2a_mAP@10, a2t_R@1, ..., a2t_mAP@10`` and counts.

    Audios without a caption have nothing to retrieve: they are left out of the audio-to-text
    means and counted in ``n_audios_without_captions``.
    """
    sim, ca = _validated(similarity, caption_audio)
    out: dict[str, float] = {"n_captions": int(sim.shape[0]), "n_audios": int(sim.shape[1])}
    t2a = text_to_audio_ranks(sim, ca)
    for k in KS:
        out[f"t2a_R@{k}"] = float(np.mean(t2a < k)) if len(t2a) else float("nan")
    out[f"t2a_mAP@{MAP_K}"] = float(np.mean(np.where(t2a < MAP_K, 1.0 / (t2a + 1), 0.0))) if len(t2a) else float("nan")
    a2t = [r for r in audio_to_text_ranks(sim, ca) if len(r)]
    out["n_audios_without_captions"] = int(sim.shape[1] - len(a2t))
    best = np.array([r[0] for r in a2t])
    for k in KS:
        out[f"a2t_R@{k}"] = float(np.mean(best < k)) if len(a2t) else float("nan")
    out[f"a2t_mAP@{MAP_K}"] = float(np.mean([average_precision_at_k(r, MAP_K) for r in a2t])) if a2t else float("nan")
    return out


def average_precision_at_k(sorted_ranks: np.ndarray, k: int = MAP_K) -> float:
    """AP@k of one query from the sorted 0-based ranks of its relevant items (normalised by min(R, k))."""
    r = np.asarray(sorted_ranks)
    hits = r[r < k]
    if len(r) == 0:
        return float("nan")
    return float(np.sum(np.arange(1, len(hits) + 1) / (hits + 1)) / min(len(r), k))
