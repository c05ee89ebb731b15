"""What one SLURM array task runs: torch.distributed from SLURM, ``train()``, and requeue on a stop signal.

Signals. submitit's job entry point installs its own handlers (SIGUSR2: checkpoint-and-requeue,
SIGTERM: log and ignore) before it calls us. :class:`TrainTask` replaces them with flamkit's
:class:`~flamkit.train.signals.StopFlag` as its first action, so from then on a signal only sets a
flag: the training loop (whose own flag inherits one that arrived early) agrees on it across ranks at
the next step boundary, checkpoints and returns ``REQUEUE_EXIT``. Only in the moment between the
job's start and our first line does submitit's handler act; for that moment the task is a submitit
``Checkpointable`` whose ``checkpoint()`` resubmits it unchanged - the training state lives in the run
folder, never in the pickled callable - so even then the job is requeued and resumes.

Requeue. After ``REQUEUE_EXIT`` rank 0 asks the controller what is happening to the job
(:func:`decide_after_stop`): still RUNNING means SLURM warned us of the time limit (``--signal``) or
someone sent SIGUSR2 (a preemption notice), so flamkit requeues it with ``scontrol requeue`` - up
to ``train.max_requeues`` times, counted in the run folder's ``slurm.json``. A job SLURM is already
ending is left alone when it was cancelled (``flamkit cancel`` / ``scancel`` must stay cancelled) or
requeued by SLURM itself (preemption in REQUEUE mode, ``scontrol requeue``), and requeued by flamkit
when it timed out or was preempted without requeue. The requeued job composes nothing: it runs this
same pickled task, whose config hash finds the run folder, and ``train.resume=auto`` resumes it from
the checkpoint written at the stop - no lost or repeated steps.

Crashes. A job that dies in native code (a segfault, or glibc aborting on a corrupted heap) leaves
only "srun: task 0: Aborted" in SLURM's log; the task turns on :mod:`faulthandler` for its whole
life, so the job's stderr also holds every thread's Python traceback at the moment of the crash.
"""

from __future__ import annotations

import faulthandler
import logging
import os
import socket
import sys
from dataclasses import dataclass
from typing import Any, Callable

import submitit
from omegaconf import DictConfig

from flamkit.slurm import jobs
from flamkit.slurm.runlog import REQUEUED_BY_FLAMKIT, RunLog
from flamkit.train.rundir import run_folder
from flamkit.train.signals import REQUEUE_EXIT, StopFlag

log = logging.getLogger("flamkit.slurm")

TrainFn = Callable[[DictConfig, "DictConfig | None"], Any]  # -> flamkit.train.loop.TrainResult


class RequeueLimitReached(RuntimeError):
    """The run stopped on a signal once more than ``train.max_requeues`` allows; its checkpoint is kept."""


@dataclass(frozen=True)
class StopDecision:
    action: str  # "requeue" | "leave" | "give_up"
    reason: str


REQUEUED_STATES = frozenset({"PENDING", "REQUEUED", "REQUEUE_HOLD", "REQUEUE_FED"})
RESTARTABLE_STATES = frozenset({"TIMEOUT", "PREEMPTED", "DEADLINE"})


def decide_after_stop(live: str | None, accounted: str | None, requeues_done: int, max_requeues: int) -> StopDecision:
    """What to do with a job whose training stopped on a signal, from the controller's view of it.

    ``live`` is scontrol's JobState now; ``accounted`` is sacct's (consulted when the job is no longer
    RUNNING: scontrol then only says COMPLETING, for a cancel and a requeue alike).
    """

    def requeue_or_give_up(why: str) -> StopDecision:
        if requeues_done >= max_requeues:
            return StopDecision("give_up", f"{why}, but the run was already requeued {requeues_done} times "
                                           f"(train.max_requeues={max_requeues})")
        return StopDecision(REQUEUED_BY_FLAMKIT, f"{why}: requeue {requeues_done + 1} of at most {max_requeues}")

    if live == "RUNNING":
        return requeue_or_give_up("SLURM signalled the running job (time limit near, or preemption notice)")
    if live in REQUEUED_STATES or accounted in REQUEUED_STATES:
        return StopDecision("leave", f"SLURM requeued the job itself (state {accounted or live})")
    if accounted == "CANCELLED":
        return StopDecision("leave", "the job was cancelled; not requeued")
    if accounted in RESTARTABLE_STATES:
        return requeue_or_give_up(f"the job ended with {accounted}")
    return StopDecision("leave", f"the job is ending (state {live or '?'}, accounting {accounted or 'unavailable'}); "
                                 "not requeued, since only a cancel or a SLURM requeue end a job this way")


class SlurmOps:
    """The job's view of SLURM: its id, distributed environment and the controller commands."""

    def job_id(self) -> str | None:
        if os.environ.get("SLURM_ARRAY_JOB_ID") and os.environ.get("SLURM_ARRAY_TASK_ID"):
            return f"{os.environ['SLURM_ARRAY_JOB_ID']}_{os.environ['SLURM_ARRAY_TASK_ID']}"
        return os.environ.get("SLURM_JOB_ID")

    def restart_count(self) -> int:
        return int(os.environ.get("SLURM_RESTART_COUNT", "0") or 0)

    def export_distributed(self) -> None:
        """RANK/WORLD_SIZE/LOCAL_RANK/MASTER_ADDR/MASTER_PORT from the SLURM task, for ``distenv.setup``.

        One process per GPU: when the task sees several GPUs (``--gpus-per-node``), it keeps the one
        at its local rank. The entry is taken from CUDA_VISIBLE_DEVICES as SLURM set it (which may
        read ``4,5,6,7`` on a shared node), not the bare local rank.
        """
        if not os.environ.get("SLURM_JOB_ID") or os.environ.get("SUBMITIT_EXECUTOR") != "slurm":
            return  # not a submitit SLURM task (a unit test, a laptop): a single process
        env = submitit.helpers.TorchDistributedEnvironment().export(set_cuda_visible_devices=False, overwrite=True)
        visible = [d for d in os.environ.get("CUDA_VISIBLE_DEVICES", "").split(",") if d.strip()]
        if len(visible) > 1:
            os.environ["CUDA_VISIBLE_DEVICES"] = visible[env.local_rank % len(visible)]

    def live_state(self, job_id: str) -> str | None:
        return jobs.live_state(job_id)

    def accounted_state(self, job_id: str) -> str | None:
        return jobs.accounted_state(job_id)

    def requeue(self, job_id: str) -> None:
        jobs.requeue(job_id)


def _rank() -> int:
    return int(os.environ.get("RANK", "0"))


def _dist_ready() -> bool:
    import torch.distributed as dist

    return dist.is_available() and dist.is_initialized()


def _barrier() -> None:
    if _dist_ready():
        import torch.distributed as dist

        dist.barrier()


def _broadcast(obj: Any) -> Any:
    if not _dist_ready():
        return obj
    import torch.distributed as dist

    box = [obj]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def _default_train(cfg: DictConfig, reference: DictConfig | None) -> Any:
    from flamkit.train.loop import train

    return train(cfg, reference)


class TrainTask(submitit.helpers.Checkpointable):
    """The pickled callable of one sweep point. ``train_fn`` and ``ops`` are replaceable for tests."""

    def __init__(self, cfg: DictConfig, reference: DictConfig | None, train_fn: TrainFn | None = None,
                 ops: SlurmOps | None = None) -> None:
        self.cfg = cfg
        self.reference = reference
        self.train_fn = train_fn or _default_train
        self.ops = ops or SlurmOps()

    def __call__(self) -> dict[str, Any]:
        early = StopFlag().install()  # first: from here on submitit's USR2/TERM handlers are out of play
        was_enabled = faulthandler.is_enabled()
        faulthandler.enable(all_threads=True)
        try:
            return self._run()
        finally:
            early.uninstall()
            if not was_enabled:
                faulthandler.disable()

    def _run(self) -> dict[str, Any]:
        self.ops.export_distributed()
        job_id = self.ops.job_id()
        run_dir = run_folder(self.cfg, self.reference)
        if _rank() == 0:
            RunLog(run_dir).add_start(job_id, self.ops.restart_count(), socket.gethostname(),
                                      int(os.environ.get("WORLD_SIZE", "1")))
            print(f"flamkit: job {job_id} trains {run_dir}", flush=True)
        result = self.train_fn(self.cfg, self.reference)
        if result.exit_code != REQUEUE_EXIT:
            _teardown()
            return {"run_dir": str(result.run_dir), "step": int(result.step), "exit_code": int(result.exit_code),
                    "metrics": dict(result.metrics)}
        _barrier()  # rank 0 has written the checkpoint before anyone decides anything
        decision = self._stop(result, job_id) if _rank() == 0 else None
        decision = _broadcast(decision)
        _teardown()
        if decision.action == "give_up":
            raise RequeueLimitReached(
                f"run {result.run_dir} stopped at step {result.step}: {decision.reason}. Its checkpoint is kept; "
                "launch the same command again to continue it (or raise cluster.max_requeues)."
            )
        # No result is written: the job is requeued (or cancelled) and submitit's pickle stays pending.
        raise SystemExit(REQUEUE_EXIT)

    def _stop(self, result: Any, job_id: str | None) -> StopDecision:
        runlog = RunLog(result.run_dir)
        if job_id is None:
            decision = StopDecision("leave", "not running under SLURM; nothing to requeue")
        else:
            live = self.ops.live_state(job_id)
            accounted = self.ops.accounted_state(job_id) if live != "RUNNING" else None
            decision = decide_after_stop(live, accounted, runlog.requeue_count(), int(self.cfg.train.max_requeues))
            if decision.action == REQUEUED_BY_FLAMKIT:
                try:
                    self.ops.requeue(job_id)
                except jobs.SlurmCommandError as exc:
                    decision = StopDecision("requeue_failed", f"{decision.reason}; but {exc}")
        runlog.add_stop(job_id, int(result.step), decision.action, decision.reason)
        print(f"flamkit: stopped at step {result.step} on a signal: {decision.action} ({decision.reason})",
              file=sys.stderr, flush=True)
        return decision


def _teardown() -> None:
    from flamkit.train import distenv

    distenv.teardown()
