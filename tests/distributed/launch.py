"""Run a function on W gloo ranks in fresh processes and collect what each rank returns.

Used by the distributed tests and benchmarks/ring_sed.py. The worker is ``fn(rank, world, *args)``;
it must be importable by name (a module-level function), since it is pickled. Each rank's return
value comes back through ``torch.save`` in a temporary folder, in rank order.

Processes come from a fork server that has imported torch and the worker's module once: importing
torch in every spawned rank costs seconds each on a small machine, and forking the test process
itself is unsafe once it has run torch (its thread pools do not survive a fork). The server has run
nothing, so its forks are clean.
"""

from __future__ import annotations

import os
import socket
import sys
import tempfile
import time
from datetime import timedelta
from typing import Any, Callable

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from multiprocessing import forkserver

_START = "forkserver"

__all__ = ["free_port", "run_world"]


def free_port() -> int:
    """A TCP port that was free a moment ago (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ensure_server(modules: list[str]) -> None:
    """Start the fork server (once) with our sys.path and ``modules`` imported.

    Python 3.11's fork server ignores the parent's sys.path (it starts as a fresh interpreter), so
    the path goes in through PYTHONPATH for the start; otherwise a stray top-level ``tests`` package
    in site-packages could shadow ours. Modules named after the server started are imported per rank.
    """
    mp.get_context(_START).set_forkserver_preload(["torch", "torch.distributed", *modules])
    old = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join([p for p in sys.path if p] + ([old] if old else []))
    try:
        forkserver.ensure_running()
    finally:
        if old is None:
            del os.environ["PYTHONPATH"]
        else:
            os.environ["PYTHONPATH"] = old


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
    _ensure_server([__name__, fn.__module__])
    with tempfile.TemporaryDirectory(prefix="flamkit-world-") as outdir:
        ctx = mp.start_processes(
            _entry, args=(world, free_port(), outdir, fn, args, threads), nprocs=world, join=False, start_method=_START
        )
        deadline = time.monotonic() + timeout
        while not ctx.join(timeout=max(0.1, deadline - time.monotonic())):
            if time.monotonic() >= deadline:
                for p in ctx.processes:
                    if p.is_alive():
                        p.terminate()
                raise TimeoutError(f"world of {world} ranks running {fn.__name__} did not finish in {timeout:.0f} s")
        return [torch.load(os.path.join(outdir, f"{r}.pt"), weights_only=False) for r in range(world)]
