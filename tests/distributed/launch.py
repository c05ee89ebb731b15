"""Run a function on W gloo ranks in spawned processes and collect what each rank returns.

Used by the distributed tests and benchmarks/ring_sed.py. The worker is ``fn(rank, world, *args)``;
it must be importable by name (a module-level function), since ``spawn`` pickles it. Each rank's
return value comes back through ``torch.save`` in a temporary folder, in rank order.
"""

from __future__ import annotations

import os
import socket
import tempfile
import time
from datetime import timedelta
from typing import Any, Callable

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

__all__ = ["free_port", "run_world"]


def free_port() -> int:
    """A TCP port that was free a moment ago (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _entry(rank: int, world: int, port: int, outdir: str, fn: Callable[..., Any], args: tuple, threads: int) -> None:
    torch.set_num_threads(threads)
    dist.init_process_group(
        "gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=world, timeout=timedelta(seconds=60)
    )
    try:
        result = fn(rank, world, *args)
        torch.save(result, os.path.join(outdir, f"{rank}.pt"))
    finally:
        dist.destroy_process_group()


def run_world(fn: Callable[..., Any], world: int, *args: Any, timeout: float = 120.0, threads: int = 1) -> list[Any]:
    """Run ``fn(rank, world, *args)`` on ``world`` gloo ranks; return the ranks' results in rank order.

    A rank that raises makes this raise with its traceback; a world still running after ``timeout``
    seconds (a deadlocked collective) is terminated and reported.
    """
    os.environ.setdefault("OMP_NUM_THREADS", str(threads))
    with tempfile.TemporaryDirectory(prefix="flamkit-world-") as outdir:
        ctx = mp.start_processes(
            _entry, args=(world, free_port(), outdir, fn, args, threads), nprocs=world, join=False, start_method="spawn"
        )
        deadline = time.monotonic() + timeout
        while not ctx.join(timeout=max(0.1, deadline - time.monotonic())):
            if time.monotonic() >= deadline:
                for p in ctx.processes:
                    if p.is_alive():
                        p.terminate()
                raise TimeoutError(f"world of {world} ranks running {fn.__name__} did not finish in {timeout:.0f} s")
        return [torch.load(os.path.join(outdir, f"{r}.pt"), weights_only=False) for r in range(world)]
