"""The local SLURM cluster for tests marked ``slurm``: skip without one, FAIL without one in CI.

CI (``.ci/run``) starts ``../shared/slurm-local/start.sh`` and sets FLAMKIT_REQUIRE_SLURM=1, so a
cluster that did not come up fails the run instead of silently skipping the tests that matter.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path
from typing import Callable, Iterable

import pytest

from flamkit.slurm import jobs

REPO = Path(__file__).resolve().parents[2]
TERMINAL = {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "OUT_OF_MEMORY", "NODE_FAIL", "PREEMPTED", "BOOT_FAIL", "DEADLINE"}


@pytest.fixture(scope="session")
def slurm_cluster() -> None:
    ok, why = jobs.cluster_answers()
    if ok:
        return
    if os.environ.get("FLAMKIT_REQUIRE_SLURM") == "1":
        pytest.fail(f"FLAMKIT_REQUIRE_SLURM=1 but no SLURM cluster answers `sinfo` ({why})", pytrace=False)
    pytest.skip(f"no SLURM cluster answers `sinfo` ({why}); start one: bash ../shared/slurm-local/start.sh")


@pytest.fixture
def job_env(monkeypatch, slurm_cluster) -> None:
    """Jobs inherit the submitting environment (sbatch --export=ALL): make the checkout importable there."""
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    monkeypatch.chdir(REPO)


def wait_until(pred: Callable[[], bool], timeout: float, what: str, every: float = 0.5) -> None:
    t0 = time.monotonic()
    while not pred():
        if time.monotonic() - t0 > timeout:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(every)


HOLD_BEFORE_RELEASE_S = 10  # > KillWait (5 s): the requeued job's previous incarnation must be gone


def release_requeued(job_ids: Iterable[str], pending_since: dict[str, float]) -> None:
    """SLURM holds a requeued job for ~2 minutes (BeginTime); an operator may start it sooner. Not at
    once, though: started while its previous incarnation is still completing, SLURM kills it ("Job
    credential revoked"). Release a job only after it has been seen held for HOLD_BEFORE_RELEASE_S."""
    now = time.monotonic()
    for jid in job_ids:
        out = subprocess.run(["squeue", "-h", "-j", jid, "-o", "%T %r"], capture_output=True, text=True).stdout.split()
        if out[:2] != ["PENDING", "BeginTime"]:
            pending_since.pop(jid, None)
            continue
        first = pending_since.setdefault(jid, now)
        if now - first >= HOLD_BEFORE_RELEASE_S:
            subprocess.run(["scontrol", "update", f"jobid={jid}", "StartTime=now"], capture_output=True)
            pending_since.pop(jid, None)


def wait_finished(job_ids: list[str], timeout: float) -> dict[str, str]:
    """Wait until every job is in a terminal state (starting requeued ones early); returns the states."""
    states: dict[str, str] = {}
    pending_since: dict[str, float] = {}

    def done() -> bool:
        release_requeued(job_ids, pending_since)
        states.update({j: i.state for j, i in jobs.job_states(job_ids).items()})
        return all(states.get(j) in TERMINAL for j in job_ids)

    wait_until(done, timeout, f"jobs {job_ids} to finish (last states {states})", every=1.0)
    return states


def job_log(folder: Path, job_id: str) -> str:
    """stdout+stderr of task 0 of a submitit job, for assertion messages."""
    parts = []
    for f in sorted(Path(folder).glob(f"{job_id}_0_log.*")):
        parts.append(f"--- {f.name}\n{f.read_text(errors='replace')[-3000:]}")
    return "\n".join(parts) or f"(no log for {job_id} in {folder})"
