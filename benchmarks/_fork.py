"""Measure a function in a forked child: each measurement gets a fresh process (so its peak memory is
its own) while sharing what the parent prepared (fork copies it, nothing is pickled but the result).

A *meter* is started in the child before the function runs and returns the callable that reads it
after: ``meter() -> stop``, ``stop() -> tuple`` of readings. Benchmarks differ in what they read
(the child's own high-water mark, its worker processes' memory); the fork, timing and pipe are here.
"""

from __future__ import annotations

import multiprocessing as mp
import time
from typing import Any, Callable

Meter = Callable[[], Callable[[], tuple]]


def _child(fn: Callable[[], Any], meter: Meter, conn) -> None:
    stop = meter()
    t0 = time.perf_counter()
    value = fn()
    dt = time.perf_counter() - t0
    conn.send((dt, value, *stop()))
    conn.close()


def measure_in_fork(fn: Callable[[], Any], meter: Meter) -> tuple:
    """``(seconds, fn's return value, *the meter's readings)`` of ``fn()`` run in a forked child."""
    ctx = mp.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    p = ctx.Process(target=_child, args=(fn, meter, child))
    p.start()
    out = parent.recv()
    p.join()
    return out
