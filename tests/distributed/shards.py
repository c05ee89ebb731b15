"""Sharded test batches for the distributed losses, and the worker that runs every loss on them.

One world per W runs every case (spawning gloo processes costs seconds on a small machine); the
results are cached per W for the whole pytest session and checked by test_ring_sed.py and
test_clip.py against the single-process functions on the union batch.

Case ``mixed`` is built to expose each ring bug read in the public FLAM release:
* d != L, so normalising remote blocks by d instead of L changes the value;
* every rank's scales lie in their own range ((r + 1) to 1.5 (r + 1)), so pairing a block's
  scales, biases or ids with another rank's embeddings changes the value;
* "dog barks" sits at slot 1 and 3 of rank 0 and slot 0 / slot 2 of ranks 1 / 3, "rain falls" and
  "people talk" at different slots of ranks 1 and 2: comparing ids only at equal slot indices
  would count them again.
It also has padding in the middle of a rank's slots, a clip without events, a clip with two
overlapping events of one id, events whose id is in no slot, uneven B_r and K_r, and two ids whose
32-bit halves are a signalling NaN and a denormal in float32, which a lossy id transport would alter.
"""

from __future__ import annotations

import functools
from typing import Any

import torch
import torch.distributed as dist
import torch.nn.functional as F

from flamkit.distributed import distributed_clip_loss, exchange_bidir, exchange_next, gather_with_grad, ring_prior_loss, ring_sed_loss
from flamkit.distributed.ring_sed import _ring, pack_block, unpack_block
from flamkit.textids import text_id
from tests.distributed.launch import run_world


def _signed(u: int) -> int:
    return u - (1 << 64) if u >= 1 << 63 else u


# High half / low half chosen so that the float32 lanes are NaN payloads or denormals.
SNAN_ID = _signed((0x7F800001 << 32) | 0x7FA00002)
DENORM_ID = _signed((0xFF800003 << 32) | 0x00000001)
SPECIAL = {"SNAN": SNAN_ID, "DENORM": DENORM_ID}

L, D, E = 5, 8, 3  # d != L on purpose (see the module docstring)

# Slot descriptions per rank for the mixed case (worlds of W < 4 use the first W rows, W > 4 repeat them).
MIXED_SLOTS = [
    ["pad", "dog barks", "pad", "dog barks", "glass breaks"],
    ["dog barks", "rain falls", "SNAN", "people talk"],
    ["wind blows", "people talk", "rain falls", "thunder", "pad", "DENORM"],
    ["thunder", "bird sings", "dog barks"],
]
MIXED_CLIPS = [3, 2, 4, 1]
EVENT_VOCAB = ["dog barks", "rain falls", "glass breaks", "people talk", "wind blows", "thunder", "bird sings",
               "siren wails", "SNAN", "DENORM"]  # "siren wails" is in no slot


def _id(name: str) -> int:
    if name == "pad":
        return -1
    return SPECIAL[name] if name in SPECIAL else text_id(name)


def _unit(g: torch.Generator, *shape: int) -> torch.Tensor:
    return F.normalize(torch.randn(*shape, generator=g, dtype=torch.float64), dim=-1)


def _shard(g: torch.Generator, rank: int, slots: list[str], clips: int, events: list[list[str]] | None = None) -> dict:
    K = len(slots)
    if events is None:
        events = []
        for _ in range(clips):
            n = int(torch.randint(0, E + 1, (1,), generator=g))
            events.append([EVENT_VOCAB[int(i)] for i in torch.randint(0, len(EVENT_VOCAB), (n,), generator=g)])
    ev_ids = torch.full((clips, E), -1, dtype=torch.int64)
    masks = torch.zeros(clips, E, L, dtype=torch.bool)
    for i, names in enumerate(events):
        for e, name in enumerate(names):
            ev_ids[i, e] = _id(name)
            masks[i, e] = torch.rand(L, generator=g) > 0.5
            masks[i, e, int(torch.randint(0, L, (1,), generator=g))] = True  # never an empty event
    return {
        "frames": _unit(g, clips, L, D),
        "texts": _unit(g, K, D),
        "ids": torch.tensor([_id(s) for s in slots], dtype=torch.int64),
        "scale": (rank + 1) * (1.0 + 0.5 * torch.rand(K, generator=g, dtype=torch.float64)),
        "bias": torch.randn(K, generator=g, dtype=torch.float64) - 2.0,
        "event_ids": ev_ids,
        "event_masks": masks,
        "audio": _unit(g, clips, D),
        "text": _unit(g, clips, D),
    }


def mixed(world: int, seed: int = 0) -> list[dict]:
    g = torch.Generator().manual_seed(seed)
    shards = [_shard(g, r, MIXED_SLOTS[r % 4], MIXED_CLIPS[r % 4]) for r in range(world)]
    # Rank 0: clip 0 without events, clip 1 with two overlapping "rain falls" events (a slot of
    # ranks 1 and 2 only, so its positives are remote for W > 1) and an event in no slot.
    s = shards[0]
    s["event_ids"][0] = -1
    s["event_masks"][0] = False
    s["event_ids"][1] = torch.tensor([_id("rain falls"), _id("rain falls"), _id("siren wails")])
    s["event_masks"][1] = torch.tensor([[1, 1, 0, 0, 0], [0, 1, 1, 0, 0], [1, 0, 0, 0, 1]], dtype=torch.bool)
    # The last clip of every rank hears a dog, whose first slot is on rank 0.
    for sh in shards:
        sh["event_ids"][-1, 0] = _id("dog barks")
        sh["event_masks"][-1, 0] = torch.tensor([0, 1, 1, 1, 0], dtype=torch.bool)
    return shards


def pad_rank(world: int, seed: int = 1) -> list[dict]:
    """Rank 0's slots are all padding (its clips still have events matching other ranks' texts)."""
    shards = mixed(world, seed)
    shards[0]["ids"][:] = -1
    return shards


def no_texts(world: int, seed: int = 2) -> list[dict]:
    shards = mixed(world, seed)
    for s in shards:
        s["ids"][:] = -1
    return shards


def equal(world: int, seed: int = 3) -> list[dict]:
    """The paper's layout: equal shards, K_r = 5 B_r slots, ids drawn from a small vocabulary."""
    g = torch.Generator().manual_seed(seed)
    shards = []
    for r in range(world):
        pick = torch.randint(0, 8, (10,), generator=g)
        names = ["pad" if torch.rand(1, generator=g) < 0.2 else EVENT_VOCAB[int(i)] for i in pick]
        shards.append(_shard(g, r, names, 2))
    return shards


def bf16(world: int, seed: int = 4) -> list[dict]:
    shards = mixed(world, seed)
    for s in shards:
        for key in ("frames", "texts", "scale", "bias", "audio", "text"):
            s[key] = s[key].to(torch.bfloat16)
    return shards


def memory(world: int, seed: int = 5) -> list[dict]:
    """Many slots, small d: one block's B_r x K x L logits outnumber every input tensor."""
    g = torch.Generator().manual_seed(seed)
    return [_shard(g, r, [EVENT_VOCAB[(r + k) % 8] if k % 3 else "pad" for k in range(24)], 3) for r in range(world)]


CASES = {"mixed": mixed, "pad_rank": pad_rank, "no_texts": no_texts, "equal": equal, "bf16": bf16}


def union(shards: list[dict]) -> dict:
    """The single-process batch: clips and slots concatenated rank-major."""
    return {k: torch.cat([s[k] for s in shards]) for k in shards[0]}


def _leaf(x: torch.Tensor) -> torch.Tensor:
    return x.detach().clone().requires_grad_(x.is_floating_point())


def run_losses(s: dict, sed=ring_sed_loss, prior=ring_prior_loss, clip=distributed_clip_loss) -> dict[str, Any]:
    """Value and gradients of every loss on one shard (or, with the functional losses, the union)."""
    out: dict[str, Any] = {}
    for detach in (True, False):
        f, t, sc, b = (_leaf(s[k]) for k in ("frames", "texts", "scale", "bias"))
        v = sed(f, t, s["ids"], sc, b, s["event_ids"], s["event_masks"], detach_bias=detach)
        v.backward()
        out[f"sed_detach{detach}"] = {"value": v.detach(), "frames": f.grad, "texts": t.grad, "scale": sc.grad, "bias": b.grad}
    b = _leaf(s["bias"])
    v = prior(b, s["ids"], s["event_ids"], s["event_masks"])
    v.backward()
    out["prior"] = {"value": v.detach(), "bias": b.grad}
    a, t = _leaf(s["audio"]), _leaf(s["text"])
    scale = torch.tensor(14.3, dtype=torch.float64, requires_grad=True)
    v = clip(a, t, scale)
    v.backward()
    out["clip"] = {"value": v.detach(), "audio": a.grad, "text": t.grad, "logit_scale": scale.grad}
    return out


def combined(s: dict) -> dict[str, Any]:
    """The training objective in one backward (CLIP + 200 SED + prior): its ring, gathers and
    all_reduce must interleave identically on every rank, and the gradients add up."""
    f, t, sc, b, a, tx = (_leaf(s[k]) for k in ("frames", "texts", "scale", "bias", "audio", "text"))
    scale = torch.tensor(14.3, dtype=torch.float64, requires_grad=True)
    loss = (distributed_clip_loss(a, tx, scale) + 200 * ring_sed_loss(f, t, s["ids"], sc, b, s["event_ids"], s["event_masks"])
            + ring_prior_loss(b, s["ids"], s["event_ids"], s["event_masks"]))
    loss.backward()
    return {"frames": f.grad, "texts": t.grad, "scale": sc.grad, "bias": b.grad, "audio": a.grad, "text": tx.grad,
            "logit_scale": scale.grad}


def _saved_numels(s: dict) -> int:
    """Largest tensor the ring's autograd graph keeps for backward."""
    sizes: list[int] = []

    def pack(x: torch.Tensor) -> torch.Tensor:
        sizes.append(x.numel())
        return x

    f, t, sc = _leaf(s["frames"]), _leaf(s["texts"]), _leaf(s["scale"])
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda x: x):
        v = ring_sed_loss(f, t, s["ids"], sc, s["bias"], s["event_ids"], s["event_masks"])
    v.backward()
    return max(sizes)


def probe_comm(rank: int, world: int) -> dict[str, Any]:
    """Gradients through each transport, with rank-dependent weights so a misrouted gradient shows.

    Rank r sends tensors filled with r (and 10 + r); the loss weights what it received from rank s by
    (s + 1) (or (s + 1)^2), so each input's gradient names the rank it went to.
    """
    out: dict[str, Any] = {}
    rows = rank + 1  # uneven rows for the gather
    x = torch.full((rows, 2), float(rank), dtype=torch.float64, requires_grad=True)
    gathered = gather_with_grad(x)
    weight = torch.cat([torch.full((s + 1, 2), float((s + 1) * (rank + 1))) for s in range(world)]).double()
    (gathered * weight).sum().backward()
    out["gather"] = (gathered.detach(), x.grad)
    a = torch.full((3,), float(rank), dtype=torch.float64, requires_grad=True)
    n = exchange_next(a)
    (n * (rank + 1)).sum().backward()
    out["next"] = (n.detach(), a.grad)
    if world >= 3:
        to_prev = torch.full((3,), float(rank), dtype=torch.float64, requires_grad=True)
        to_next = torch.full((3,), 10.0 + rank, dtype=torch.float64, requires_grad=True)
        from_prev, from_next = exchange_bidir(to_prev, to_next)
        ((from_prev * (rank + 1)).sum() + (from_next * (rank + 1) ** 2).sum()).backward()
        out["bidir"] = (from_prev.detach(), from_next.detach(), to_prev.grad, to_next.grad)
    return out


def worker(rank: int, world: int) -> dict[str, Any]:
    results: dict[str, Any] = {name: run_losses(build(world)[rank]) for name, build in CASES.items()}
    if world > 1:
        results["comm"] = probe_comm(rank, world)
    results["combined"] = combined(mixed(world)[rank])
    # Which blocks arrive, from whom: ids identify the origin rank, so a mispaired block shows.
    block = pack_block(torch.zeros(2, D, dtype=torch.float64), torch.full((2,), float(rank), dtype=torch.float64),
                       torch.zeros(2, dtype=torch.float64), torch.tensor([1000 + rank, SNAN_ID]), 2, torch.float64)
    results["ring"] = [(origin, unpack_block(b, D)[3].tolist(), float(unpack_block(b, D)[1][0])) for b, origin in _ring(block, None)]
    results["memory"] = _saved_numels(memory(world)[rank])
    if world == 1:  # the same shard through the functional losses, in this process: must be bit-equal
        from flamkit.losses.functional import clip_loss, prior_loss, sed_loss

        results["functional"] = run_losses(mixed(1)[0], sed=sed_loss, prior=prior_loss, clip=clip_loss)
    if world > 1:
        s = mixed(world)[rank]
        frames = s["frames"][:, :-1] if rank == 1 else s["frames"]
        masks = s["event_masks"][..., :-1] if rank == 1 else s["event_masks"]
        try:
            ring_sed_loss(frames, s["texts"], s["ids"], s["scale"], s["bias"], s["event_ids"], masks)
            results["error"] = None
        except ValueError as err:
            results["error"] = str(err)
    return results


@functools.lru_cache(maxsize=None)
def world_results(world: int) -> list[dict[str, Any]]:
    """Every rank's results for a world of ``world`` gloo ranks (run once per session)."""
    return run_world(worker, world, timeout=120)
