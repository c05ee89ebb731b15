"""distributed_clip_loss on gloo worlds of 1-4 ranks against clip_loss on the union batch.

Contract: the mean over ranks of the values equals clip_loss on the rows concatenated rank-major;
audio/text gradients on each rank are W x the single-process rows; logit_scale, replicated, has
per-rank gradients whose sum / W (DDP's average) is the single-process gradient.
"""

from __future__ import annotations

import math

import pytest
import torch

from flamkit.distributed import distributed_clip_loss
from flamkit.losses.functional import clip_loss
from tests.distributed.shards import CASES, mixed, union, world_results


def naive_clip(audio: torch.Tensor, text: torch.Tensor, scale: float) -> float:
    """Eq. 1 with explicit loops."""
    a, t = audio.double().tolist(), text.double().tolist()
    n = len(a)
    s = [[scale * sum(x * y for x, y in zip(a[i], t[j])) for j in range(n)] for i in range(n)]
    rows = sum(math.log(sum(math.exp(v) for v in s[i])) - s[i][i] for i in range(n))
    cols = sum(math.log(sum(math.exp(s[i][j]) for i in range(n))) - s[j][j] for j in range(n))
    return 0.5 * (rows + cols) / n


def _reference(shards: list[dict], dtype: torch.dtype) -> dict:
    u = union(shards)
    a = u["audio"].to(dtype).requires_grad_()
    t = u["text"].to(dtype).requires_grad_()
    scale = torch.tensor(14.3, dtype=torch.float64, requires_grad=True)
    v = clip_loss(a, t, scale)
    v.backward()
    return {"value": v.detach(), "audio": a.grad, "text": t.grad, "logit_scale": scale.grad}


def test_clip_loss_matches_naive_loops() -> None:
    u = union(mixed(4))
    assert clip_loss(u["audio"], u["text"], 14.3).item() == pytest.approx(naive_clip(u["audio"], u["text"], 14.3), rel=1e-12)


def test_without_process_group_it_is_clip_loss() -> None:
    s = mixed(1)[0]
    assert torch.equal(distributed_clip_loss(s["audio"], s["text"], 14.3), clip_loss(s["audio"], s["text"], 14.3))


@pytest.mark.distributed
@pytest.mark.parametrize("world", [1, 2, 3, 4])
@pytest.mark.parametrize("case", ["mixed", "equal", "bf16"])
def test_distributed_clip_matches_union_batch(world: int, case: str) -> None:
    shards = CASES[case](world)
    results = [r[case]["clip"] for r in world_results(world)]
    low = case == "bf16"
    ref = _reference(shards, torch.float32 if low else torch.float64)
    tol = dict(rtol=1e-5, atol=1e-6) if low else dict(rtol=1e-9, atol=1e-12)
    torch.testing.assert_close(sum(r["value"] for r in results) / world, ref["value"], **tol)
    torch.testing.assert_close(sum(r["logit_scale"] for r in results) / world, ref["logit_scale"], **tol)
    start = 0
    for rank, (s, r) in enumerate(zip(shards, results)):
        rows = slice(start, start + s["audio"].shape[0])
        start = rows.stop
        for key in ("audio", "text"):
            assert r[key].dtype == s[key].dtype
            expect = ref[key][rows]
            if low:
                torch.testing.assert_close(r[key].float() / world, expect, rtol=1e-2, atol=1e-2 * float(ref[key].abs().max()))
            else:
                torch.testing.assert_close(r[key] / world, expect, **tol, msg=lambda m: f"rank {rank} d/d{key}: {m}")
    if case == "mixed":
        u = union(shards)
        assert ref["value"].item() == pytest.approx(naive_clip(u["audio"], u["text"], 14.3), rel=1e-12)
