"""The FLAM objectives as plain functions (paper eqs. 1, 2, 4-5 and 10).

These are the single-process definitions; :mod:`flamkit.distributed` computes the same values
across ranks. Every function takes already L2-normalised embeddings and *exponentiated* scales,
so the caller decides how scales are parameterised (global scalar, per-text MLP, ...).

Conventions shared by :func:`sed_loss` and :func:`prior_loss`:

* ``text_ids[k] == -1`` marks a padding slot: it takes no part in the loss.
* Slots that share an id describe the same text: only the first such slot counts (the union of the
  batch's descriptions, §3.1), so duplicates neither double the negatives nor the normaliser.
* ``event_ids[i, e] == -1`` marks a padding event; ``event_masks[i, e, l]`` is True where event ``e``
  of clip ``i`` is active at frame ``l``.
* ``z[i, k, l] = +1`` iff clip ``i`` has an event whose id equals ``text_ids[k]`` and that event is
  active at frame ``l``; otherwise ``-1``. An event whose id is in no slot is never a positive.
"""

from __future__ import annotations

import functools

import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = ["clip_loss", "siglip_loss", "sed_loss", "prior_loss", "unique_slots", "frame_targets"]


def float32_logits(fn):
    """Run a loss with autocast off: under bf16 autocast a matmul would cast its float32 inputs back to
    bf16, and the logits (scale x cosine, scale up to 100) would keep 8 bits of mantissa."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        # a tensor argument, or the first tensor field of an outputs dataclass (the cross-rank heads)
        tensors = [a for a in args if isinstance(a, Tensor)] + [
            v for a in args if hasattr(a, "__dataclass_fields__") for v in vars(a).values() if isinstance(v, Tensor)
        ]
        first = tensors[0] if tensors else None
        kind = first.device.type if first is not None else "cpu"
        if not torch.is_autocast_enabled(kind):
            return fn(*args, **kwargs)
        with torch.autocast(device_type=kind, enabled=False):
            return fn(*args, **kwargs)

    return wrapper


def _compute_dtype(*tensors: Tensor) -> torch.dtype:
    """float64 stays float64 (for checks); half precisions are upcast to float32 for the reductions."""
    return torch.float64 if any(t.dtype == torch.float64 for t in tensors) else torch.float32


@float32_logits
def clip_loss(audio: Tensor, text: Tensor, logit_scale: Tensor | float) -> Tensor:
    """Symmetric InfoNCE over the B x B similarity matrix (eq. 1); pairs are on the diagonal."""
    if audio.shape != text.shape or audio.dim() != 2:
        raise ValueError(f"clip_loss wants audio and text of one shape [B, d]; got {tuple(audio.shape)} and {tuple(text.shape)}")
    dtype = _compute_dtype(audio, text)
    logits = logit_scale * (audio.to(dtype) @ text.to(dtype).T)
    labels = torch.arange(audio.shape[0], device=audio.device)
    return 0.5 * (F.cross_entropy(logits, labels) + F.cross_entropy(logits.T, labels))


@float32_logits
def siglip_loss(audio: Tensor, text: Tensor, logit_scale: Tensor | float, logit_bias: Tensor | float) -> Tensor:
    """Sigmoid pair loss (eq. 2): the sum over all B x B pairs divided by B."""
    if audio.shape != text.shape or audio.dim() != 2:
        raise ValueError(f"siglip_loss wants audio and text of one shape [B, d]; got {tuple(audio.shape)} and {tuple(text.shape)}")
    dtype = _compute_dtype(audio, text)
    logits = logit_scale * (audio.to(dtype) @ text.to(dtype).T) + logit_bias
    z = 2.0 * torch.eye(audio.shape[0], device=audio.device, dtype=dtype) - 1.0
    return -F.logsigmoid(z * logits).sum() / audio.shape[0]


def _check_events(fn: str, text_ids: Tensor, event_ids: Tensor, event_masks: Tensor, B: int | None = None, L: int | None = None) -> None:
    """Shape and dtype checks shared by the label-using functions; the message says which argument is wrong."""
    if text_ids.dim() != 1 or text_ids.is_floating_point():
        raise ValueError(f"{fn}: text_ids must be an int64 [K] tensor (-1 = padding slot); got {text_ids.dtype} {tuple(text_ids.shape)}")
    if event_ids.dim() != 2 or event_ids.is_floating_point():
        raise ValueError(f"{fn}: event_ids must be an int64 [B, E] tensor (-1 = padding event); got {event_ids.dtype} {tuple(event_ids.shape)}")
    if event_masks.dim() != 3 or event_masks.shape[:2] != event_ids.shape:
        raise ValueError(
            f"{fn}: event_masks must be [B, E, L] with [B, E] = event_ids.shape {tuple(event_ids.shape)}; got {tuple(event_masks.shape)}"
        )
    if B is not None and event_ids.shape[0] != B:
        raise ValueError(f"{fn}: event_ids must have one row per clip (B={B}); got {tuple(event_ids.shape)}")
    if L is not None and event_masks.shape[2] != L:
        raise ValueError(f"{fn}: event_masks must have L={L} frames like frames [B, L, d]; got {tuple(event_masks.shape)}")


def unique_slots(text_ids: Tensor) -> Tensor:
    """[K] bool: True for the first slot of each distinct non-padding id."""
    valid = text_ids != -1
    same = text_ids[:, None] == text_ids[None, :]
    earlier = torch.ones_like(same).tril(diagonal=-1)  # earlier[k, j]: j < k
    has_earlier_twin = (same & earlier & valid[None, :]).any(dim=1)
    return valid & ~has_earlier_twin


def frame_targets(text_ids: Tensor, event_ids: Tensor, event_masks: Tensor) -> Tensor:
    """[B, K, L] bool: the positives z = +1 of §3.1 for every slot (padding slots are all False)."""
    _check_events("frame_targets", text_ids, event_ids, event_masks)
    real = event_ids != -1
    match = (event_ids[:, :, None] == text_ids[None, None, :]) & real[:, :, None] & (text_ids != -1)[None, None, :]
    # [B,E,K] x [B,E,L] -> [B,K,L]: a slot is positive at a frame if any matching event is active there.
    hits = torch.einsum("bek,bel->bkl", match.to(torch.float32), event_masks.to(torch.float32))
    return hits > 0


@float32_logits
def sed_loss(
    frames: Tensor,
    texts: Tensor,
    text_ids: Tensor,
    scale: Tensor,
    bias: Tensor,
    event_ids: Tensor,
    event_masks: Tensor,
    *,
    detach_bias: bool = True,
) -> Tensor:
    """Frame-wise sigmoid loss with per-text logit scale and bias (eqs. 4-5).

    ``frames`` [B, L, d] and ``texts`` [K, d] are L2-normalised; ``scale`` [K] > 0 and ``bias`` [K].
    Returns the mean over B x K_unique x L of ``-log sigmoid(z * (scale_k cos(f_il, t_k) + bias_k))``.

    ``bias`` receives no gradient (§3.2: the bias is fitted by :func:`prior_loss` alone). The
    scalar-bias ablation of C.9 trains its bias through this loss: pass ``detach_bias=False``.
    """
    if frames.dim() != 3:
        raise ValueError(f"sed_loss: frames must be [B, L, d] frame embeddings; got {tuple(frames.shape)}")
    B, L, d = frames.shape
    if texts.dim() != 2 or texts.shape[1] != d:
        raise ValueError(f"sed_loss: texts must be [K, d={d}] (d as in frames {tuple(frames.shape)}); got {tuple(texts.shape)}")
    K = texts.shape[0]
    for name, t in (("text_ids", text_ids), ("scale", scale), ("bias", bias)):
        if t.shape != (K,):
            raise ValueError(f"sed_loss: {name} must be [K={K}], one per text slot; got {tuple(t.shape)}")
    _check_events("sed_loss", text_ids, event_ids, event_masks, B=B, L=L)
    dtype = _compute_dtype(frames, texts, scale, bias)
    keep = unique_slots(text_ids)
    # A device count, not int(): reading it would make the host wait for the device. With no unique
    # slot the masked sum is 0 and the clamped divisor 1: the loss is 0 with the graph kept, so
    # every rank runs the same backward.
    n_unique = keep.sum()
    z = frame_targets(text_ids, event_ids, event_masks).to(dtype) * 2.0 - 1.0  # [B, K, L]
    b = bias.detach() if detach_bias else bias
    cos = torch.einsum("bld,kd->bkl", frames.to(dtype), texts.to(dtype))
    logits = scale.to(dtype)[None, :, None] * cos + b.to(dtype)[None, :, None]
    per_pair = -F.logsigmoid(z * logits) * keep.to(dtype)[None, :, None]
    loss = per_pair.sum() / (n_unique.clamp_min(1) * (B * L))
    # Nothing to classify: 0 with a graph through every input, so every rank runs the same backward.
    return torch.where(n_unique > 0, loss, (frames.sum() + texts.sum() + scale.sum()).to(dtype) * 0.0)


@float32_logits
def prior_loss(bias: Tensor, text_ids: Tensor, event_ids: Tensor, event_masks: Tensor) -> Tensor:
    """Binary cross-entropy of sigmoid(bias_k) against zbar_k, the batch's positive fraction (eq. 10).

    zbar_k is the fraction of (clip, frame) pairs labelled +1 for text k over all B clips and L
    frames; the mean runs over the batch's unique texts (padding and duplicates excluded).
    """
    _check_events("prior_loss", text_ids, event_ids, event_masks)
    if bias.shape != text_ids.shape:
        raise ValueError(f"prior_loss: bias must be [K={text_ids.shape[0]}], one per text slot like text_ids; got {tuple(bias.shape)}")
    B, _, L = event_masks.shape
    keep = unique_slots(text_ids)
    n_unique = keep.sum()  # on the device (see sed_loss); 0 unique slots give a loss of 0
    dtype = _compute_dtype(bias)
    zbar = frame_targets(text_ids, event_ids, event_masks).to(dtype).sum(dim=(0, 2)) / (B * L)  # [K]
    b = bias.to(dtype)
    per_text = -(zbar * F.logsigmoid(b) + (1.0 - zbar) * F.logsigmoid(-b))
    loss = (per_text * keep.to(dtype)).sum() / n_unique.clamp_min(1)
    return torch.where(n_unique > 0, loss, bias.sum().to(dtype) * 0.0)
