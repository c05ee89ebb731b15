"""The transports with gradients: gather_with_grad and the ring hops, on gloo worlds of 2-4 ranks.

Each probe (tests/distributed/shards.py: probe_comm) weights what rank r received from rank s by a
number of (s, r), so a gradient delivered to the wrong rank, or to the wrong input, changes it.
"""

from __future__ import annotations

import pytest
import torch

from flamkit.distributed import exchange_bidir, gather_with_grad
from tests.distributed.shards import world_results


def test_without_process_group_gather_is_identity() -> None:
    x = torch.randn(3, 2)
    assert gather_with_grad(x) is x


def test_bidirectional_exchange_refuses_two_ranks_or_fewer() -> None:
    with pytest.raises(ValueError, match="3 ranks or more"):
        exchange_bidir(torch.zeros(1), torch.zeros(1))


@pytest.mark.distributed
@pytest.mark.parametrize("world", [2, 3, 4])
def test_gather_with_grad_uneven_rows(world: int) -> None:
    for rank, res in enumerate(world_results(world)):
        gathered, grad = res["comm"]["gather"]
        expect = torch.cat([torch.full((s + 1, 2), float(s)) for s in range(world)]).double()
        assert torch.equal(gathered, expect)
        # d/dx_r of sum_q sum (gathered_q * weight_q) with weight_q[rows of r] = (r + 1)(q + 1).
        assert torch.equal(grad, torch.full((rank + 1, 2), float((rank + 1) * sum(q + 1 for q in range(world)))).double())


@pytest.mark.distributed
@pytest.mark.parametrize("world", [2, 3, 4])
def test_exchange_next_returns_gradient_to_sender(world: int) -> None:
    for rank, res in enumerate(world_results(world)):
        received, grad = res["comm"]["next"]
        assert torch.equal(received, torch.full((3,), float((rank - 1) % world)).double())
        assert torch.equal(grad, torch.full((3,), float((rank + 1) % world + 1)).double())


@pytest.mark.distributed
@pytest.mark.parametrize("world", [3, 4, 5])
def test_exchange_bidir_returns_each_gradient_to_its_sender_and_input(world: int) -> None:
    for rank, res in enumerate(world_results(world)):
        from_prev, from_next, grad_to_prev, grad_to_next = res["comm"]["bidir"]
        prev, nxt = (rank - 1) % world, (rank + 1) % world
        assert torch.equal(from_prev, torch.full((3,), 10.0 + prev).double())  # prev's to_next
        assert torch.equal(from_next, torch.full((3,), float(nxt)).double())  # next's to_prev
        # to_prev went to prev, which weights what came from its next by (prev + 1)^2.
        assert torch.equal(grad_to_prev, torch.full((3,), float((prev + 1) ** 2)).double())
        assert torch.equal(grad_to_next, torch.full((3,), float(nxt + 1)).double())
