"""The frame-wise SED loss (eqs. 4-5) and the prior loss (eq. 10) over a batch sharded across ranks.

Each rank holds B_r clips (frames, events) and K_r text slots (embeddings, ids, scales, biases).
The SED loss needs every clip against every text: B x K x L logits in all, which is what §3.3 avoids
holding on one device. Instead the text slots travel around the ring (SigLIP's chunked loss): at each
hop a rank receives one block of K slots, scores its own clips against it and passes it on, so it never
holds more than one block's B_r x K x L logits. Events never travel: whether a frame is positive for a
text is decided on the clip's own rank from the text id that arrived with the block.

Exactness. The union batch is the clips concatenated rank-major and the slots concatenated
rank-major (each rank's K_r slots, padding included). A slot counts iff its id is not padding and no
earlier slot in that order has the same id, exactly :func:`~flamkit.losses.functional.unique_slots`
on the union, so descriptions present on several ranks (at any slot index) count once. Rank r returns
W / (B K_unique L) times the loss summed over its clips and all kept slots, so the mean over ranks is
``sed_loss(union)`` and, because every rank backpropagates its own value and the ring returns the
text gradients to the text's rank, the gradients on r's inputs are W times the single-process ones:
DDP's averaging then yields the exact gradient.

Memory. Every block's loss is an autograd Function that keeps only its inputs and recomputes the
logits in backward, so neither pass holds the B_r x K_max x L terms (a few buffers, updated in place)
of more than one block at a time, and autograd keeps none of them (K_max: the largest K_r; ranks pad
their blocks to it, the padding slots take no part). The price is one more logits computation per
block in backward.

One packet per hop, one dtype: the block is ``[texts | scale | bias | id]`` in the compute dtype
(float32, or float64 for checks). The int64 ids are bit-cast into 8 bytes of float lanes (two float32
or one float64), which a copy carries losslessly; casting them by value would round 64-bit hashes.
bf16 texts are sent upcast to float32: the loss is computed in float32 anyway, and their gradients
then return in float32 rather than being rounded to bf16 on every hop.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import Tensor

from flamkit.distributed.comm import all_gather_rows, exchange_bidir, exchange_next, world
from flamkit.losses.functional import frame_targets, prior_loss, sed_loss

__all__ = ["ring_sed_loss", "ring_prior_loss", "first_occurrence", "positive_counts", "pack_block", "unpack_block"]

PAD_ID = -1


def _compute_dtype(*tensors: Tensor) -> torch.dtype:
    # Mirrors flamkit.losses.functional: float64 stays float64, everything else computes in float32.
    return torch.float64 if any(t.dtype == torch.float64 for t in tensors) else torch.float32


def first_occurrence(ids: Tensor) -> Tensor:
    """[N] bool: True at the first position of each distinct non-padding id.

    The rule of :func:`~flamkit.losses.functional.unique_slots` in O(N log N) instead of an N x N
    comparison, which matters when N is every slot of every rank.
    """
    n = ids.numel()
    sorted_ids, order = torch.sort(ids, stable=True)  # stable: equal ids keep their original order
    starts = torch.ones(n, dtype=torch.bool, device=ids.device)
    starts[1:] = sorted_ids[1:] != sorted_ids[:-1]
    keep = torch.empty_like(starts)
    keep[order] = starts
    return keep & (ids != PAD_ID)


def positive_counts(slot_ids: Tensor, event_ids: Tensor, event_masks: Tensor) -> Tensor:
    """[N] int64: for each slot id, the (clip, frame) pairs of these clips labelled +1 for it.

    Equals ``frame_targets(slot_ids, event_ids, event_masks).sum((0, 2))`` without the B x N x L
    tensor: a frame is positive for an id if any event of the clip with that id is active there, so
    we take the union of each clip's same-id masks once, count its frames, and look the slot ids up.
    """
    if event_ids.dim() != 2 or event_masks.dim() != 3 or event_masks.shape[:2] != event_ids.shape:
        raise ValueError(
            f"event_ids must be [B, E] and event_masks [B, E, L]; got {tuple(event_ids.shape)} and {tuple(event_masks.shape)}"
        )
    real = event_ids != PAD_ID
    same = (event_ids[:, :, None] == event_ids[:, None, :]) & real[:, :, None] & real[:, None, :]  # [B, E, E]
    union = torch.einsum("bef,bfl->bel", same.to(torch.float32), event_masks.to(torch.float32)) > 0
    earlier_twin = (same & torch.ones_like(same).tril(diagonal=-1)).any(dim=2)
    first = real & ~earlier_twin  # one representative per (clip, id)
    frames_on = union.sum(dim=2).to(torch.int64)[first]
    ids_on = event_ids[first]
    counts = torch.zeros(slot_ids.shape, dtype=torch.int64, device=slot_ids.device)
    if ids_on.numel() == 0:
        return counts
    uniq, inverse = torch.unique(ids_on, sorted=True, return_inverse=True)
    per_id = torch.zeros(uniq.shape, dtype=torch.int64, device=slot_ids.device).index_add_(0, inverse, frames_on)
    pos = torch.searchsorted(uniq, slot_ids).clamp(max=uniq.numel() - 1)
    hit = (uniq[pos] == slot_ids) & (slot_ids != PAD_ID)
    return torch.where(hit, per_id[pos], counts)


def _id_lanes(dtype: torch.dtype) -> int:
    return 8 // torch.empty((), dtype=dtype).element_size()


def pack_block(texts: Tensor, scale: Tensor, bias: Tensor, ids: Tensor, rows: int, dtype: torch.dtype) -> Tensor:
    """[rows, d + 2 + lanes] in ``dtype``: texts | scale | bias | id bit-cast; rows past K are padding (id -1)."""
    k, _ = texts.shape
    pad = rows - k
    ids = ids.to(device=texts.device, dtype=torch.int64)
    ids = torch.cat([ids, ids.new_full((pad,), PAD_ID)])
    lanes = ids[:, None].contiguous().view(dtype)  # [rows, 8 / itemsize], the same 8 bytes
    body = torch.cat([texts.to(dtype), scale.to(dtype)[:, None], bias.to(dtype)[:, None]], dim=1)
    return torch.cat([F.pad(body, (0, 0, 0, pad)), lanes], dim=1)


def unpack_block(block: Tensor, d: int) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """(texts [K, d], scale [K], bias [K], ids [K] int64) from a packed block."""
    ids = block[:, d + 2 :].detach().contiguous().view(torch.int64)[:, 0]
    return block[:, :d], block[:, d], block[:, d + 1], ids


class _BlockSED(torch.autograd.Function):
    """Summed SED loss of the local clips against one block of slots, recomputing logits in backward.

    Saves only its inputs; each pass builds the block's B x K x L terms in a few buffers, updated
    in place, and frees them before the next block.
    """

    @staticmethod
    def forward(  # type: ignore[override]
        ctx, frames: Tensor, block: Tensor, event_ids: Tensor, event_masks: Tensor, keep: Tensor, train_bias: bool
    ) -> Tensor:
        ctx.save_for_backward(frames, block, event_ids, event_masks, keep)
        ctx.train_bias = train_bias
        signed = _signed_logits(frames, block, event_ids, event_masks)[-1]  # the other terms are freed here
        per_slot = F.logsigmoid(signed).sum(dim=(0, 2))  # log sigmoid(z h), summed over clips and frames
        return -(per_slot * keep.to(per_slot.dtype)).sum()

    @staticmethod
    def backward(ctx, grad: Tensor):  # type: ignore[override]
        frames, block, event_ids, event_masks, keep = ctx.saved_tensors
        texts, scale, cos, sign, g = _signed_logits(frames, block, event_ids, event_masks)
        # d/dh -log sigmoid(z h) = -z sigmoid(-z h); dropped slots carry weight 0. In place on z h.
        g.neg_().sigmoid_().mul_(sign).neg_()
        del sign
        g.mul_((keep.to(g.dtype) * grad)[None, :, None])
        grad_block = None
        if ctx.needs_input_grad[1]:
            grad_scale = torch.einsum("bkl,bkl->k", g, cos)
            grad_bias = g.sum(dim=(0, 2)) if ctx.train_bias else torch.zeros_like(scale)
        del cos
        g.mul_(scale[None, :, None])  # now d loss / d cos
        grad_frames = torch.einsum("bkl,kd->bld", g, texts) if ctx.needs_input_grad[0] else None
        if ctx.needs_input_grad[1]:
            lanes = block.shape[1] - texts.shape[1] - 2
            grad_texts = torch.einsum("bkl,bld->kd", g, frames)
            no_grad_ids = block.new_zeros(block.shape[0], lanes)
            grad_block = torch.cat([grad_texts, grad_scale[:, None], grad_bias[:, None], no_grad_ids], dim=1)
        return grad_frames, grad_block, None, None, None, None


def _signed_logits(frames: Tensor, block: Tensor, event_ids: Tensor, event_masks: Tensor):
    """(texts, scale, cos, z, z * h) for one block: z = +-1 labels, h the logits of eq. 5, [B, K, L]."""
    texts, scale, bias, ids = unpack_block(block, frames.shape[-1])
    sign = frame_targets(ids, event_ids, event_masks).to(frames.dtype).mul_(2.0).sub_(1.0)
    cos = torch.einsum("bld,kd->bkl", frames, texts)
    signed = torch.addcmul(bias[None, :, None], cos, scale[None, :, None]).mul_(sign)
    return texts, scale, cos, sign, signed


@dataclass(frozen=True)
class _Layout:
    """What every rank knows about the union batch after two small collectives."""

    total_clips: int
    slots: int  # K_max: every block is padded to this many rows
    keep: Tensor  # [W, K_max] bool: slot counts in the union (first occurrence, rank-major then slot)
    ids: Tensor  # [W, K_max] int64, -1 where padded

    @property
    def n_unique(self) -> int:
        return int(self.keep.sum())


def _layout(
    B: int, L: int, d: int, dtype_code: int, text_ids: Tensor, device: torch.device, group: dist.ProcessGroup | None, what: str
) -> _Layout:
    """Gather (B_r, K_r, L, d, dtype) and the padded ids of every rank; check they fit one batch.

    ``device`` is where the collectives run (the embeddings' device: NCCL wants CUDA tensors).
    """
    rank, size = world(group)
    text_ids = text_ids.to(device)
    meta = torch.tensor([[B, text_ids.shape[0], L, d, dtype_code]], dtype=torch.int64, device=device)
    metas, _ = all_gather_rows(meta, group, rows=[1] * size)
    for name, col in (("frame count L", 2), ("embedding size d", 3), ("compute dtype (float64 or not)", 4)):
        if (metas[:, col] != metas[rank, col]).any():
            raise ValueError(
                f"{what}: ranks disagree on the {name}: {metas[:, col].tolist()} (rank order); "
                "every rank must pass shards of one batch layout"
            )
    k_max = int(metas[:, 1].max())
    ids = torch.cat([text_ids.to(torch.int64), text_ids.new_full((k_max - text_ids.shape[0],), PAD_ID, dtype=torch.int64)])
    all_ids, _ = all_gather_rows(ids[None], group, rows=[1] * size)
    keep = first_occurrence(all_ids.reshape(-1)).view(size, k_max)
    return _Layout(total_clips=int(metas[:, 0].sum()), slots=k_max, keep=keep, ids=all_ids)


def _ring(block: Tensor, group: dist.ProcessGroup | None):
    """Yield (block, origin rank) for every other rank's block, one hop at a time.

    Bidirectional hops bring the blocks of r-h and r+h; for an even world one last one-way hop brings
    r - W/2. What came from prev keeps travelling to next and vice versa, so each block visits every
    rank once, and it carries its own scale, bias and ids, so they cannot be paired with another
    rank's embeddings.
    """
    rank, size = world(group)
    n_bidir, odd = divmod(size - 1, 2)
    to_prev = to_next = block
    for hop in range(1, n_bidir + 1):
        from_prev, from_next = exchange_bidir(to_prev, to_next, group)
        yield from_prev, (rank - hop) % size
        yield from_next, (rank + hop) % size
        to_prev, to_next = from_next, from_prev
    if odd:
        yield exchange_next(to_next, group), (rank - n_bidir - 1) % size


def _check_sed_shapes(frames: Tensor, texts: Tensor, text_ids: Tensor, scale: Tensor, bias: Tensor, event_masks: Tensor) -> None:
    if frames.dim() != 3:
        raise ValueError(f"ring_sed_loss wants frames [B, L, d]; got {tuple(frames.shape)}")
    B, L, d = frames.shape
    K = texts.shape[0]
    if texts.dim() != 2 or texts.shape[1] != d or text_ids.shape != (K,) or scale.shape != (K,) or bias.shape != (K,):
        raise ValueError(
            f"ring_sed_loss shapes disagree: frames {tuple(frames.shape)}, texts {tuple(texts.shape)}, "
            f"text_ids {tuple(text_ids.shape)}, scale {tuple(scale.shape)}, bias {tuple(bias.shape)}"
        )
    if event_masks.dim() != 3 or event_masks.shape[0] != B or event_masks.shape[-1] != L:
        raise ValueError(f"event_masks must be [B={B}, E, L={L}]; got {tuple(event_masks.shape)}")


def ring_sed_loss(
    frames: Tensor,
    texts: Tensor,
    text_ids: Tensor,
    scale: Tensor,
    bias: Tensor,
    event_ids: Tensor,
    event_masks: Tensor,
    *,
    detach_bias: bool = True,
    group: dist.ProcessGroup | None = None,
) -> Tensor:
    """:func:`~flamkit.losses.functional.sed_loss` of the union batch, each rank passing its shard.

    Arguments are those of ``sed_loss`` for the local clips and slots (K_r may differ per rank; L and
    d may not). Returns this rank's share: the mean over ranks equals ``sed_loss`` on the union (clips
    and slots concatenated rank-major) and the gradients on local inputs are W times the
    single-process ones (see the module docstring). Every rank must call it, and backpropagate it,
    in the same order, since its backward runs the ring again. With one process: ``sed_loss`` itself.
    """
    rank, size = world(group)
    if size == 1:
        return sed_loss(frames, texts, text_ids, scale, bias, event_ids, event_masks, detach_bias=detach_bias)
    _check_sed_shapes(frames, texts, text_ids, scale, bias, event_masks)
    B, L, d = frames.shape
    dtype = _compute_dtype(frames, texts, scale, bias)
    layout = _layout(B, L, d, int(dtype == torch.float64), text_ids, frames.device, group, "ring_sed_loss")
    n_unique = layout.n_unique
    if n_unique == 0:  # as sed_loss: zero gradients to every input it trains (the bias too unless detached)
        return (frames.sum() + texts.sum() + scale.sum() + (0.0 if detach_bias else bias.sum())).to(dtype) * 0.0
    block = pack_block(texts, scale, bias.detach() if detach_bias else bias, text_ids, layout.slots, dtype)
    frames_c = frames.to(dtype)
    train_bias = not detach_bias

    def block_loss(received: Tensor, origin: int) -> Tensor:
        return _BlockSED.apply(frames_c, received, event_ids, event_masks, layout.keep[origin], train_bias)

    total = block_loss(block, rank)
    for received, origin in _ring(block, group):
        total = total + block_loss(received, origin)
    return total * (size / (layout.total_clips * n_unique * L))


def ring_prior_loss(
    bias: Tensor,
    text_ids: Tensor,
    event_ids: Tensor,
    event_masks: Tensor,
    group: dist.ProcessGroup | None = None,
) -> Tensor:
    """:func:`~flamkit.losses.functional.prior_loss` of the union batch, each rank passing its shard.

    zbar_k counts positives over the clips of *all* ranks. It is a vector of integers keyed by slot,
    additive over clips, so one all_reduce of [W x K_max] int64 counts gives it exactly, in one
    collective no larger than the id gather the de-duplication needs anyway, where carrying counts
    around the ring would take W - 1 sequential hops for the same numbers. Each rank then scores its own
    kept slots; the contract is that of :func:`ring_sed_loss`. With one process: ``prior_loss`` itself.
    """
    rank, size = world(group)
    if size == 1:
        return prior_loss(bias, text_ids, event_ids, event_masks)
    if event_masks.dim() != 3 or bias.dim() != 1 or bias.shape != text_ids.shape:
        raise ValueError(
            f"ring_prior_loss wants bias [K], text_ids [K], event_masks [B, E, L]; got {tuple(bias.shape)}, "
            f"{tuple(text_ids.shape)}, {tuple(event_masks.shape)}"
        )
    B, _, L = event_masks.shape
    dtype = _compute_dtype(bias)
    layout = _layout(B, L, 0, 0, text_ids, bias.device, group, "ring_prior_loss")
    n_unique = layout.n_unique
    if n_unique == 0:
        return bias.sum().to(dtype) * 0.0
    counts = positive_counts(layout.ids.reshape(-1), event_ids.to(bias.device), event_masks.to(bias.device))
    dist.all_reduce(counts, op=dist.ReduceOp.SUM, group=group)
    K = text_ids.shape[0]
    zbar = counts.view(size, layout.slots)[rank, :K].to(dtype) / (layout.total_clips * L)
    b = bias.to(dtype)
    per_text = -(zbar * F.logsigmoid(b) + (1.0 - zbar) * F.logsigmoid(-b))
    return (per_text * layout.keep[rank, :K].to(dtype)).sum() * (size / n_unique)
