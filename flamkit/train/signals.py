"""Stop-on-signal at step boundaries (preemption, time limits).

SLURM sends SIGUSR2 before preemption or the time limit (``--signal=USR2@120``; USR1 is avoided
because NCCL may use it). The handler only sets a flag; the loop asks every rank at the next step
boundary (:func:`flamkit.train.distenv.any_true`), checkpoints, and exits with :data:`REQUEUE_EXIT`
so the launcher requeues the job. SIGTERM is treated the same way.
"""

from __future__ import annotations

import signal
from types import FrameType

REQUEUE_EXIT = 3  # exit status of a run that stopped on a signal after checkpointing


class StopFlag:
    def __init__(self) -> None:
        self.signum: int | None = None
        self._previous: dict[int, object] = {}

    def _handler(self, signum: int, frame: FrameType | None) -> None:
        self.signum = signum

    def install(self, signals: tuple[int, ...] = (signal.SIGUSR2, signal.SIGTERM)) -> "StopFlag":
        """Handle ``signals`` from now on. A StopFlag installed over another one that already caught
        a signal starts raised: a SLURM task installs its flag first (replacing submitit's handlers),
        so a signal that arrives while the training loop is still being built is not lost."""
        for s in signals:
            previous = signal.signal(s, self._handler)
            self._previous[s] = previous
            outer = getattr(previous, "__self__", None)
            if isinstance(outer, StopFlag) and outer.raised and self.signum is None:
                self.signum = outer.signum
        return self

    def uninstall(self) -> None:
        for s, h in self._previous.items():
            signal.signal(s, h)  # type: ignore[arg-type]
        self._previous.clear()

    @property
    def raised(self) -> bool:
        return self.signum is not None
