"""A deliberately naive float64 reference for the FLAM objectives, written from the paper's text.

Every quantity is an explicit Python loop over the indices of the equation it implements, in
numpy float64, with math.log / math.exp on scalars, and the gradients are derived by hand (not by
autograd), so this file shares no code and no vectorisation trick with ``flamkit.losses``.

Paper: /work/shared/paper/FLAM-ICML2025.txt
* eq. 1 (CLIP): -1/(2B) sum_i [ log softmax_j(a e_i^a . e_j^t)_i + log softmax_j(a e_j^a . e_i^t)_i ]
* eq. 2 (SigLIP): -1/B sum_i sum_j log sigma(z_ij (a e_i^a . e_j^t + b)), z_ij = +1 iff i == j
* eqs. 4-5 (SED): -1/(BKL) sum_i sum_k sum_l log sigma(z_ikl h(X_i, l, Y_k)),
  h = alpha(y) e^{a,loc}_{i,l} . e^t(y) + beta(y), over the union Y of the batch's descriptions (§3.1)
* eq. 10 (prior): -1/K sum_k [ zbar_k log sigma(beta_k) + (1 - zbar_k) log sigma(-beta_k) ],
  zbar_k = 1/(BL) sum_i sum_l (z_ikl + 1) / 2

The tensor layout (slots, -1 padding, event rows) is the contract of issue 2 item 5; the union is
built here as an explicit dict from id to the first slot that carries it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

PAD = -1


def log_sigmoid(x: float) -> float:
    """log(1 / (1 + exp(-x))), written in the two branches that never overflow."""
    if x >= 0:
        return -math.log1p(math.exp(-x))
    return x - math.log1p(math.exp(x))


def sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def dot(u: np.ndarray, v: np.ndarray) -> float:
    total = 0.0
    for c in range(len(u)):
        total += float(u[c]) * float(v[c])
    return total


def log_sum_exp(values: list[float]) -> float:
    m = max(values)
    return m + math.log(sum(math.exp(v - m) for v in values))


@dataclass
class Result:
    """A loss value and the hand-derived gradient of that value w.r.t. each named input."""

    value: float
    grads: dict[str, np.ndarray | float] = field(default_factory=dict)


# --------------------------------------------------------------------------------------------- eq. 1
def clip(audio: np.ndarray, text: np.ndarray, alpha: float) -> Result:
    B, d = audio.shape
    s = [[dot(audio[i], text[j]) for j in range(B)] for i in range(B)]
    value = 0.0
    for i in range(B):
        row = [alpha * s[i][j] for j in range(B)]  # audio i against every text
        col = [alpha * s[j][i] for j in range(B)]  # text i against every audio
        value += (alpha * s[i][i] - log_sum_exp(row)) + (alpha * s[i][i] - log_sum_exp(col))
    value = -value / (2 * B)

    # d value / d logit[a][b], logit[a][b] = alpha * s[a][b]; logit[a][b] sits in row a and column b.
    g = [[0.0] * B for _ in range(B)]
    for a in range(B):
        row_lse = log_sum_exp([alpha * s[a][j] for j in range(B)])
        for b in range(B):
            col_lse = log_sum_exp([alpha * s[j][b] for j in range(B)])
            p_row = math.exp(alpha * s[a][b] - row_lse)
            p_col = math.exp(alpha * s[a][b] - col_lse)
            g[a][b] = -((2.0 if a == b else 0.0) - p_row - p_col) / (2 * B)
    return Result(value, _bilinear_grads(audio, text, alpha, s, g))


# --------------------------------------------------------------------------------------------- eq. 2
def siglip(audio: np.ndarray, text: np.ndarray, alpha: float, beta: float) -> Result:
    B, d = audio.shape
    s = [[dot(audio[i], text[j]) for j in range(B)] for i in range(B)]
    value = 0.0
    g = [[0.0] * B for _ in range(B)]
    for i in range(B):
        for j in range(B):
            z = 1.0 if i == j else -1.0
            h = alpha * s[i][j] + beta
            value -= log_sigmoid(z * h)
            g[i][j] = -z * sigmoid(-z * h) / B  # d/dh of -log sigma(z h), over B
    value /= B
    grads = _bilinear_grads(audio, text, alpha, s, g)
    grads["logit_bias"] = sum(g[i][j] for i in range(B) for j in range(B))
    return Result(value, grads)


def _bilinear_grads(audio, text, alpha, s, g) -> dict:
    """Chain rule through logit[i][j] = alpha * audio_i . text_j for the two pairwise losses."""
    B, d = audio.shape
    ga = np.zeros((B, d))
    gt = np.zeros((B, d))
    gs = 0.0
    for i in range(B):
        for j in range(B):
            for c in range(d):
                ga[i, c] += g[i][j] * alpha * text[j, c]
                gt[j, c] += g[i][j] * alpha * audio[i, c]
            gs += g[i][j] * s[i][j]
    return {"audio": ga, "text": gt, "logit_scale": gs}


# ------------------------------------------------------------------------------------- §3.1 labels
def union_of_descriptions(text_ids: np.ndarray) -> dict[int, int]:
    """The set Y of §3.1 as {id: first slot carrying it}; padding slots (-1) are not descriptions."""
    first: dict[int, int] = {}
    for k in range(len(text_ids)):
        tid = int(text_ids[k])
        if tid == PAD:
            continue
        if tid not in first:
            first[tid] = k
    return first


def labels(union: dict[int, int], event_ids: np.ndarray, event_masks: np.ndarray) -> dict[int, list[list[int]]]:
    """z[id][i][l] in {-1, +1}: +1 iff clip i lists an event with that id that is active at frame l."""
    B, E, L = event_masks.shape
    z: dict[int, list[list[int]]] = {}
    for tid in union:
        z[tid] = [[-1] * L for _ in range(B)]
        for i in range(B):
            for e in range(E):
                if int(event_ids[i, e]) != tid:  # padding events (-1) never match a description
                    continue
                for l in range(L):
                    if bool(event_masks[i, e, l]):
                        z[tid][i][l] = 1
    return z


def frame_targets(text_ids: np.ndarray, event_ids: np.ndarray, event_masks: np.ndarray) -> np.ndarray:
    """[B, K, L] bool for every slot: a duplicate slot repeats its description's labels; padding is all False."""
    union = union_of_descriptions(text_ids)
    z = labels(union, event_ids, event_masks)
    B, _, L = event_masks.shape
    K = len(text_ids)
    out = np.zeros((B, K, L), dtype=bool)
    for k in range(K):
        tid = int(text_ids[k])
        if tid == PAD:
            continue
        for i in range(B):
            for l in range(L):
                out[i, k, l] = z[tid][i][l] == 1
    return out


# ------------------------------------------------------------------------------------------ eqs. 4-5
def sed(
    frames: np.ndarray,
    texts: np.ndarray,
    text_ids: np.ndarray,
    scale: np.ndarray,
    bias: np.ndarray,
    event_ids: np.ndarray,
    event_masks: np.ndarray,
) -> Result:
    """Eq. 4 over the union; grads for frames, texts, scale and bias (the bias gradient is what the
    loss *would* give it; the stop-gradient of §3.2 is the caller's business)."""
    B, L, d = frames.shape
    K = len(text_ids)
    union = union_of_descriptions(text_ids)
    z = labels(union, event_ids, event_masks)
    n = B * len(union) * L
    grads = {"frames": np.zeros((B, L, d)), "texts": np.zeros((K, d)), "scale": np.zeros(K), "bias": np.zeros(K)}
    if n == 0:
        return Result(0.0, grads)
    value = 0.0
    for tid, k in union.items():
        for i in range(B):
            for l in range(L):
                cos = dot(frames[i, l], texts[k])
                h = scale[k] * cos + bias[k]  # eq. 5
                zz = z[tid][i][l]
                value -= log_sigmoid(zz * h)
                g = -zz * sigmoid(-zz * h) / n  # d/dh of the term, normalised
                for c in range(d):
                    grads["frames"][i, l, c] += g * scale[k] * texts[k, c]
                    grads["texts"][k, c] += g * scale[k] * frames[i, l, c]
                grads["scale"][k] += g * cos
                grads["bias"][k] += g
    return Result(value / n, grads)


# -------------------------------------------------------------------------------------------- eq. 10
def prior(bias: np.ndarray, text_ids: np.ndarray, event_ids: np.ndarray, event_masks: np.ndarray) -> Result:
    B, E, L = event_masks.shape
    union = union_of_descriptions(text_ids)
    z = labels(union, event_ids, event_masks)
    grad = np.zeros(len(text_ids))
    if not union:
        return Result(0.0, {"bias": grad})
    value = 0.0
    for tid, k in union.items():
        zbar = 0.0
        for i in range(B):
            for l in range(L):
                zbar += 0.5 * (z[tid][i][l] + 1)
        zbar /= B * L
        b = float(bias[k])
        value -= zbar * log_sigmoid(b) + (1.0 - zbar) * log_sigmoid(-b)
        # d/db of -(zbar log s(b) + (1 - zbar) log s(-b)) = s(b) - zbar
        grad[k] = (sigmoid(b) - zbar) / len(union)
    return Result(value / len(union), {"bias": grad})


def sed_from_clips(
    frames: np.ndarray,
    clips: list[list[tuple[str, np.ndarray]]],
    text_params: dict[str, tuple[np.ndarray, float, float]],
) -> float:
    """Eq. 4 straight from per-clip annotations, with no slots, ids or padding at all.

    ``clips[i]`` lists clip i's events as (description, [L] bool mask), the description already
    normalised; ``text_params[y] = (e^t(y), alpha(y), beta(y))``. The union Y is the set of the
    descriptions; z_ikl = +1 iff some event of clip i with description Y_k is active at l.
    """
    B, L, _ = frames.shape
    union: list[str] = []
    for events in clips:
        for text, _ in events:
            if text not in union:
                union.append(text)
    if not union:
        return 0.0
    value = 0.0
    for y in union:
        t, alpha, beta = text_params[y]
        for i in range(B):
            for l in range(L):
                z = -1
                for text, mask in clips[i]:
                    if text == y and bool(mask[l]):
                        z = 1
                value -= log_sigmoid(z * (alpha * dot(frames[i, l], t) + beta))
    return value / (B * len(union) * L)
