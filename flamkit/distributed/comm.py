"""Communication primitives with gradients: all-gather and ring neighbour exchange.

The distributed losses need two autograd-aware transports:

* :func:`gather_with_grad`: every rank receives every rank's rows; in the backward pass each rank
  gets *its own slice of the gradient summed over all ranks*, since every rank's loss may depend on
  every gathered row (the local-loss formulation of CLIP).
* :func:`exchange_bidir` / :func:`exchange_next`: one hop of a ring (SigLIP's chunked loss, FLAM §3.3).
  The backward pass of a hop is the same hop run with the directions reversed, so a gradient always
  returns to the rank that sent the tensor.

Ranks here are ranks *within* ``group``; point-to-point calls are given global ranks, as
torch.distributed wants.
"""

from __future__ import annotations

import torch
import torch.distributed as dist
from torch import Tensor

__all__ = ["world", "gather_counts", "gather_with_grad", "all_gather_rows", "exchange_bidir", "exchange_next"]


def world(group: dist.ProcessGroup | None = None) -> tuple[int, int]:
    """(rank, world size) within ``group``; (0, 1) when torch.distributed is not initialised."""
    if not (dist.is_available() and dist.is_initialized()):
        return 0, 1
    return dist.get_rank(group), dist.get_world_size(group)


def _global_rank(group: dist.ProcessGroup | None, rank: int) -> int:
    return rank if group is None else dist.get_global_rank(group, rank)


def gather_counts(n: int, group: dist.ProcessGroup | None = None, device: torch.device | str = "cpu") -> list[int]:
    """Every rank's ``n`` in rank order (one tiny all_gather)."""
    _, size = world(group)
    mine = torch.tensor([n], dtype=torch.int64, device=device)
    counts = [torch.empty_like(mine) for _ in range(size)]
    dist.all_gather(counts, mine, group=group)
    return [int(c) for c in counts]


def all_gather_rows(
    x: Tensor, group: dist.ProcessGroup | None = None, rows: list[int] | None = None
) -> tuple[Tensor, list[int]]:
    """All-gather along dim 0 without gradient, allowing a different row count on each rank.

    Returns the rank-major concatenation and the row count of every rank (gathered first unless
    ``rows`` gives them). Ranks pad to the largest count for the collective (gloo needs equal sizes)
    and the padding is stripped afterwards.
    """
    _, size = world(group)
    if rows is None:
        rows = gather_counts(x.shape[0], group, x.device)
    top = max(rows)
    padded = x.new_zeros((top, *x.shape[1:]))
    padded[: x.shape[0]] = x
    parts = [torch.empty_like(padded) for _ in range(size)]
    dist.all_gather(parts, padded, group=group)
    return torch.cat([p[:r] for p, r in zip(parts, rows)], dim=0), rows


class _GatherWithGrad(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: Tensor, group: dist.ProcessGroup | None, rows: list[int] | None) -> Tensor:  # type: ignore[override]
        rank, _ = world(group)
        out, rows = all_gather_rows(x.detach(), group, rows)
        ctx.group = group
        ctx.start = sum(rows[:rank])
        ctx.n = x.shape[0]
        return out

    @staticmethod
    def backward(ctx, grad: Tensor):  # type: ignore[override]
        # Every rank's loss may use every gathered row: sum the gradients over ranks, keep our rows.
        # (all_reduce rather than reduce_scatter: gloo has no reduce_scatter, and rows may be uneven.)
        total = grad.contiguous().clone()
        dist.all_reduce(total, op=dist.ReduceOp.SUM, group=ctx.group)
        return total[ctx.start : ctx.start + ctx.n], None, None


def gather_with_grad(x: Tensor, group: dist.ProcessGroup | None = None, rows: list[int] | None = None) -> Tensor:
    """All-gather ``x`` along dim 0 (rank-major) so that gradients flow back to the owning rank.

    Backward gives rank r the rows of ``sum_over_ranks(d loss_s / d gathered)`` that came from r, so
    when each rank backpropagates its own loss, r's inputs receive the gradient of the *sum* of the
    ranks' losses. ``rows`` (every rank's row count, from :func:`gather_counts`) saves a collective
    when known. With one process (or none initialised) ``x`` is returned unchanged.
    """
    _, size = world(group)
    if size == 1:
        return x
    return _GatherWithGrad.apply(x, group, rows)


def _p2p(ops: list[tuple[object, Tensor, int]], group: dist.ProcessGroup | None) -> None:
    reqs = dist.batch_isend_irecv([dist.P2POp(op, t, _global_rank(group, peer), group) for op, t, peer in ops])
    for req in reqs:
        req.wait()


def _neighbours(group: dist.ProcessGroup | None) -> tuple[int, int]:
    rank, size = world(group)
    return (rank - 1) % size, (rank + 1) % size


def _swap_bidir(to_prev: Tensor, to_next: Tensor, group: dist.ProcessGroup | None) -> tuple[Tensor, Tensor]:
    prev, nxt = _neighbours(group)
    from_prev, from_next = torch.empty_like(to_next), torch.empty_like(to_prev)
    _p2p(
        [(dist.isend, to_prev.contiguous(), prev), (dist.isend, to_next.contiguous(), nxt),
         (dist.irecv, from_prev, prev), (dist.irecv, from_next, nxt)],
        group,
    )
    return from_prev, from_next


def _shift_next(to_next: Tensor, group: dist.ProcessGroup | None, reverse: bool = False) -> Tensor:
    prev, nxt = _neighbours(group)
    if reverse:
        prev, nxt = nxt, prev
    received = torch.empty_like(to_next)
    _p2p([(dist.isend, to_next.contiguous(), nxt), (dist.irecv, received, prev)], group)
    return received


class _ExchangeBidir(torch.autograd.Function):
    @staticmethod
    def forward(ctx, to_prev: Tensor, to_next: Tensor, group: dist.ProcessGroup | None):  # type: ignore[override]
        ctx.group = group
        return _swap_bidir(to_prev, to_next, group)

    @staticmethod
    def backward(ctx, grad_from_prev: Tensor, grad_from_next: Tensor):  # type: ignore[override]
        # What came from prev was prev's `to_next`: its gradient goes back to prev, and what prev sends
        # us in return is the gradient of the tensor we sent to prev. The same hop, so the same call.
        grad_to_prev, grad_to_next = _swap_bidir(grad_from_prev, grad_from_next, ctx.group)
        return grad_to_prev, grad_to_next, None


class _ExchangeNext(torch.autograd.Function):
    @staticmethod
    def forward(ctx, to_next: Tensor, group: dist.ProcessGroup | None) -> Tensor:  # type: ignore[override]
        ctx.group = group
        return _shift_next(to_next, group)

    @staticmethod
    def backward(ctx, grad: Tensor):  # type: ignore[override]
        return _shift_next(grad, ctx.group, reverse=True), None


def exchange_bidir(to_prev: Tensor, to_next: Tensor, group: dist.ProcessGroup | None = None) -> tuple[Tensor, Tensor]:
    """One bidirectional ring hop: send ``to_prev`` to rank-1 and ``to_next`` to rank+1.

    Returns ``(from_prev, from_next)``: what rank-1 sent to its next and rank+1 sent to its prev.
    All four tensors have one shape on every rank. Gradients travel the reverse way. Needs three
    ranks or more: with two, prev and next are one rank and the two messages could not be told apart.
    """
    if world(group)[1] < 3:
        raise ValueError("exchange_bidir needs a world of 3 ranks or more; use exchange_next with 2")
    return _ExchangeBidir.apply(to_prev, to_next, group)


def exchange_next(to_next: Tensor, group: dist.ProcessGroup | None = None) -> Tensor:
    """One unidirectional ring hop: send ``to_next`` to rank+1, return what rank-1 sent."""
    return _ExchangeNext.apply(to_next, group)
