"""The process's place in a distributed job, from torchrun's or SLURM/submitit's environment.

One code path for all launchers: torchrun and submitit (``TorchDistributedEnvironment().export()``)
both leave RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR and MASTER_PORT in the environment; a plain
``python`` run has none and is rank 0 of 1.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class DistEnv:
    rank: int
    world_size: int
    local_rank: int
    device: torch.device

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1


def pick_device(name: str, local_rank: int) -> torch.device:
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda":
        if not torch.cuda.is_available():
            raise RuntimeError("train.device=cuda but no CUDA device is visible; use train.device=cpu or auto")
        return torch.device("cuda", local_rank % torch.cuda.device_count())
    return torch.device(name)


def setup(device: str = "auto") -> DistEnv:
    """Initialise torch.distributed when the environment describes several processes."""
    if dist.is_available() and dist.is_initialized():  # a launcher (or test harness) set the group up
        world, rank = dist.get_world_size(), dist.get_rank()
    else:
        world, rank = int(os.environ.get("WORLD_SIZE", "1")), int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    dev = pick_device(device, local_rank)
    if world > 1 and not dist.is_initialized():
        if dev.type == "cuda":
            torch.cuda.set_device(dev)
        dist.init_process_group(backend="nccl" if dev.type == "cuda" else "gloo", rank=rank, world_size=world)
    return DistEnv(rank, world, local_rank, dev)


def teardown() -> None:
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def all_true(flag: bool, env: DistEnv) -> bool:
    """True on every rank iff ``flag`` is True on every rank."""
    if not env.distributed:
        return flag
    t = torch.tensor([0 if flag else 1], device=env.device if env.device.type == "cuda" else "cpu")
    dist.all_reduce(t)
    return int(t.item()) == 0


def all_true_tensor(flag: torch.Tensor, env: DistEnv) -> torch.Tensor:
    """``flag`` (a bool device tensor) AND-ed over ranks, without the host reading it (an async collective)."""
    if not env.distributed:
        return flag
    t = flag.to(torch.int32)
    dist.all_reduce(t, op=dist.ReduceOp.MIN)
    return t.bool()


def any_true(flag: bool, env: DistEnv) -> bool:
    """True on every rank iff ``flag`` is True on at least one rank."""
    if not env.distributed:
        return flag
    t = torch.tensor([1 if flag else 0], device=env.device if env.device.type == "cuda" else "cpu")
    dist.all_reduce(t)
    return int(t.item()) > 0
