"""Ring SED loss against an all-gather SED loss: time and peak memory per rank, forward + backward.

The all-gather baseline gathers every rank's texts, ids, scales and biases to every rank and scores
the local clips against all of them at once (B_r x K_total x L logits, kept by autograd for backward);
the ring (flamkit.distributed.ring_sed_loss) scores one K_r block per hop and recomputes it in backward.
Both give the same value (checked and printed). Each (implementation, W, B_r) runs in its own freshly
spawned gloo world, so each process's peak RSS belongs to that implementation alone.

Memory on the CPU: in a separate world whose ranks set glibc's mmap threshold to 64 KiB (so freed
tensors return to the OS and RSS follows the live tensors), the peak RSS of one forward + backward
(ru_maxrss) minus the RSS just before it; with it, the analytic size of the largest logits tensor each
implementation creates. Times come from separate worlds with the default allocator. This script runs
gloo on the CPU only (a GPU version would use NCCL, one GPU per rank, and torch.cuda.max_memory_allocated).

Run from the repository root:
    PYTHONPATH=$PWD OMP_NUM_THREADS=1 python benchmarks/ring_sed.py --worlds 2 4 --clips 32 64
"""

from __future__ import annotations

import argparse
import ctypes
import resource
import statistics
import time

import psutil
import torch
import torch.distributed as dist
import torch.nn.functional as F

from flamkit.distributed import gather_with_grad, ring_sed_loss, world
from flamkit.distributed.comm import all_gather_rows, gather_counts
from flamkit.losses.functional import sed_loss
from tests.distributed.launch import run_world

EVENTS = 5
M_MMAP_THRESHOLD = -3  # glibc mallopt parameter


def gather_sed_loss(frames, texts, text_ids, scale, bias, event_ids, event_masks):
    """The baseline: everything gathered, the full B_r x K_total x L at once, same contract as the ring."""
    _, size = world()
    all_texts = gather_with_grad(texts)
    all_scale = gather_with_grad(scale)
    all_bias, _ = all_gather_rows(bias.detach())
    all_ids, _ = all_gather_rows(text_ids)
    total_clips = sum(gather_counts(frames.shape[0]))
    # sed_loss normalises by the local B_r; the contract wants W / B_total.
    local = sed_loss(frames, all_texts, all_ids, all_scale, all_bias, event_ids, event_masks)
    return local * (size * frames.shape[0] / total_clips)


IMPLS = {"ring": ring_sed_loss, "gather": gather_sed_loss}


def shard(rank: int, world_size: int, clips: int, slots: int, L: int, d: int, seed: int) -> dict:
    g = torch.Generator().manual_seed(seed * 1000 + rank)
    vocab = torch.randint(0, 2**62, (slots * world_size,), generator=g)  # ~ some ids repeat across ranks
    ids = vocab[torch.randint(0, vocab.numel(), (slots,), generator=g)]
    ids[torch.rand(slots, generator=g) < 0.1] = -1
    ev_ids = ids[torch.randint(0, slots, (clips, EVENTS), generator=g)]
    return {
        "frames": F.normalize(torch.randn(clips, L, d, generator=g), dim=-1),
        "texts": F.normalize(torch.randn(slots, d, generator=g), dim=-1),
        "ids": ids,
        "scale": 1.0 + torch.rand(slots, generator=g) * 10,
        "bias": torch.randn(slots, generator=g) - 5,
        "event_ids": ev_ids,
        "event_masks": torch.rand(clips, EVENTS, L, generator=g) > 0.7,
    }


def _step(loss_fn, s: dict) -> float:
    frames = s["frames"].clone().requires_grad_()
    texts = s["texts"].clone().requires_grad_()
    scale = s["scale"].clone().requires_grad_()
    loss = loss_fn(frames, texts, s["ids"], scale, s["bias"], s["event_ids"], s["event_masks"])
    loss.backward()
    return loss.item()


def time_worker(rank: int, world_size: int, impl: str, clips: int, slots: int, L: int, d: int, iters: int, seed: int) -> dict:
    """Median seconds of one forward + backward after a warm-up; the value, for the cross-check."""
    s = shard(rank, world_size, clips, slots, L, d, seed)
    value = _step(IMPLS[impl], s)
    times = []
    for _ in range(iters):
        dist.barrier()
        t0 = time.perf_counter()
        _step(IMPLS[impl], s)
        times.append(time.perf_counter() - t0)
    return {"value": value, "time": statistics.median(times)}


def memory_worker(rank: int, world_size: int, impl: str, clips: int, slots: int, L: int, d: int, seed: int) -> dict:
    """Peak RSS of one forward + backward above the RSS before it.

    Sets glibc's mmap threshold to 64 KiB first, so every tensor of that size or more is its own
    mapping, returned to the OS when freed, and RSS follows the live tensors. The process is warmed up on a tiny batch first (autograd engine, gloo buffers),
    so the measured step's peak is the first of its size and lands in ru_maxrss.
    """
    ctypes.CDLL("libc.so.6").mallopt(M_MMAP_THRESHOLD, 65536)
    _step(IMPLS[impl], shard(rank, world_size, 2, 2 * slots // clips, L, d, seed))
    s = shard(rank, world_size, clips, slots, L, d, seed)
    dist.barrier()
    rss_before = psutil.Process().memory_info().rss
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    _step(IMPLS[impl], s)
    peak_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    # If the process peak predates the step (peak_after == peak_before), the delta is only an upper bound.
    return {"peak_delta": peak_after - rss_before, "exact": peak_after > peak_before}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--worlds", type=int, nargs="+", default=[2, 4])
    ap.add_argument("--clips", type=int, nargs="+", default=[32, 64], help="B_r, clips per rank")
    ap.add_argument("--slots-per-clip", type=int, default=5, help="K_r = this x B_r (the paper's 5)")
    ap.add_argument("--frames", type=int, default=32, help="L")
    ap.add_argument("--dim", type=int, default=512, help="d")
    ap.add_argument("--iters", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1, help="torch threads per rank")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    L, d = args.frames, args.dim
    print(f"CPU gloo, {args.threads} thread(s) per rank, {psutil.cpu_count()} CPUs, torch {torch.__version__}; "
          f"L={L} d={d} K_r={args.slots_per_clip} B_r; median of {args.iters} fwd+bwd after 1 warm-up")
    print(f"{'W':>2} {'B_r':>4} {'K_tot':>6} {'impl':>6} {'time/rank s (each rank)':>34} "
          f"{'peak RSS delta MB (each rank)':>36} {'largest logits MB':>18}")
    for W in args.worlds:
        for B in args.clips:
            K = args.slots_per_clip * B
            res, mem = {}, {}
            for impl in IMPLS:
                res[impl] = run_world(time_worker, W, impl, B, K, L, d, args.iters, args.seed, timeout=1800, threads=args.threads)
                mem[impl] = run_world(memory_worker, W, impl, B, K, L, d, args.seed, timeout=1800, threads=args.threads)
                largest = B * (K if impl == "ring" else K * W) * L * 4 / 2**20
                times = " ".join(f"{r['time']:.3f}" for r in res[impl])
                peaks = " ".join(f"{'' if r['exact'] else '<='}{r['peak_delta'] / 2**20:.1f}" for r in mem[impl])
                print(f"{W:>2} {B:>4} {K * W:>6} {impl:>6} {times:>34} {peaks:>36} {largest:>18.2f}")
            diff = max(abs(a["value"] - b["value"]) for a, b in zip(res["ring"], res["gather"]))
            t_ratio = max(r["time"] for r in res["ring"]) / max(r["time"] for r in res["gather"])
            m_ratio = max(r["peak_delta"] for r in mem["ring"]) / max(r["peak_delta"] for r in mem["gather"])
            print(f"   ring/gather: time {t_ratio:.2f}x (slowest rank), peak RSS delta {m_ratio:.2f}x (largest rank), "
                  f"largest logits {1 / W:.2f}x; |value difference| {diff:.1e}")


if __name__ == "__main__":
    main()
