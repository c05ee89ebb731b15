"""``slurm.json`` in a run folder: the SLURM history of one run, across launches and requeues.

Three lists, appended to and never rewritten in place (the file is replaced atomically):

* ``submissions``: each ``flamkit launch`` that submitted this run (job id, sweep record, time);
* ``starts``: each time a job started training it (job id, SLURM restart count, host, ranks);
* ``stops``: each time it stopped on a signal before its budget (step, job state, what was done:
  ``requeue``, ``leave`` - SLURM requeued or cancelled it itself - or ``give_up``).

``flamkit status RUN_DIR`` reads it to find the run's job; the task reads it to count requeues.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any

FILENAME = "slurm.json"
REQUEUED_BY_FLAMKIT = "requeue"


def now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


class RunLog:
    def __init__(self, run_dir: str | Path) -> None:
        self.run_dir = Path(run_dir)
        self.path = self.run_dir / FILENAME

    def read(self) -> dict[str, list[dict[str, Any]]]:
        data: dict[str, Any] = {}
        if self.path.is_file():
            try:
                data = json.loads(self.path.read_text())
            except json.JSONDecodeError as exc:
                raise ValueError(f"{self.path} is corrupt ({exc}); move it away to start a fresh SLURM history") from exc
        return {k: list(data.get(k, [])) for k in ("submissions", "starts", "stops")}

    @contextmanager
    def _locked(self):
        """The launcher and a job that starts at once may both append: serialise read-modify-write."""
        self.run_dir.mkdir(parents=True, exist_ok=True)
        with open(self.run_dir / f".{FILENAME}.lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _append(self, key: str, entry: dict[str, Any]) -> None:
        with self._locked():
            data = self.read()
            data[key].append({"time": now(), **entry})
            tmp = self.path.with_name(f".{FILENAME}.{os.getpid()}.tmp")
            tmp.write_text(json.dumps(data, indent=1, default=str))
            os.replace(tmp, self.path)

    def add_submission(self, job_id: str, record: str | None) -> None:
        self._append("submissions", {"job_id": job_id, "record": record})

    def add_start(self, job_id: str | None, restart: int, host: str, world_size: int) -> None:
        self._append("starts", {"job_id": job_id, "restart": restart, "host": host, "world_size": world_size})

    def add_stop(self, job_id: str | None, step: int, action: str, reason: str) -> None:
        self._append("stops", {"job_id": job_id, "step": step, "action": action, "reason": reason})

    def requeue_count(self) -> int:
        """Requeues flamkit itself asked SLURM for (the ones ``max_requeues`` limits)."""
        return sum(1 for s in self.read()["stops"] if s.get("action") == REQUEUED_BY_FLAMKIT)

    def latest_job_id(self) -> str | None:
        """The job of the newest submission (or of the newest start, for runs not launched by flamkit)."""
        data = self.read()
        for key in ("submissions", "starts"):
            ids = [e["job_id"] for e in data[key] if e.get("job_id")]
            if ids:
                return ids[-1]
        return None
