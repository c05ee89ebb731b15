"""The SLURM commands flamkit runs (sinfo, sacct, squeue, scontrol, scancel), each in one place.

Job ids are strings as SLURM and submitit write them: ``1234`` for a job, ``1234_5`` for task 5 of
array job 1234. State comes from ``sacct`` (accounting: it knows finished jobs) and falls back to
``squeue`` (queued and running jobs only) where accounting is off.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from typing import Iterable, Sequence

TIMEOUT_S = 60
ACTIVE_STATES = frozenset({"PENDING", "RUNNING", "REQUEUED", "REQUEUE_HOLD", "REQUEUE_FED", "CONFIGURING",
                           "COMPLETING", "SUSPENDED", "RESIZING", "SIGNALING", "STAGE_OUT", "STOPPED"})


class SlurmCommandError(RuntimeError):
    """A SLURM command failed; the message carries its stderr."""


@dataclass(frozen=True)
class JobInfo:
    job_id: str
    state: str  # PENDING, RUNNING, COMPLETED, FAILED, CANCELLED, TIMEOUT, REQUEUED, ... or UNKNOWN
    exit_code: str = ""
    elapsed: str = ""
    nodes: str = ""
    source: str = "sacct"

    @property
    def active(self) -> bool:
        return self.state in ACTIVE_STATES


def _run(cmd: Sequence[str], check: bool = True) -> subprocess.CompletedProcess:
    if shutil.which(cmd[0]) is None:
        raise SlurmCommandError(f"{cmd[0]} not found: run this on a machine with the SLURM client commands (a login node)")
    proc = subprocess.run(list(cmd), capture_output=True, text=True, timeout=TIMEOUT_S)
    if check and proc.returncode != 0:
        raise SlurmCommandError(f"`{' '.join(cmd)}` failed (exit {proc.returncode}): {proc.stderr.strip() or proc.stdout.strip()}")
    return proc


def cluster_answers() -> tuple[bool, str]:
    """Whether ``sinfo`` reaches a controller; the reason when it does not."""
    if shutil.which("sinfo") is None:
        return False, "sinfo is not installed"
    try:
        proc = subprocess.run(["sinfo", "-h", "-o", "%P %a"], capture_output=True, text=True, timeout=20)
    except subprocess.TimeoutExpired:
        return False, "sinfo timed out"
    if proc.returncode != 0:
        return False, f"sinfo failed: {proc.stderr.strip()}"
    if not proc.stdout.strip():
        return False, "sinfo lists no partition"
    return True, ""


def base_id(job_id: str) -> str:
    """``1234_5`` -> ``1234``."""
    return str(job_id).split("_", 1)[0]


def _expand(job_id: str) -> list[str]:
    """sacct/squeue ids to single ids: ``12_[0-3%2]`` -> 12_0..12_3, ``12_4`` -> 12_4, ``12`` -> 12."""
    m = re.fullmatch(r"(\d+)_\[([0-9,\-]+)(?:%\d+)?\]", job_id)
    if not m:
        return [job_id]
    out = []
    for part in m.group(2).split(","):
        lo, _, hi = part.partition("-")
        out.extend(f"{m.group(1)}_{i}" for i in range(int(lo), int(hi or lo) + 1))
    return out


def parse_sacct(text: str) -> dict[str, JobInfo]:
    """``sacct -n -P -X -o JobID,State,ExitCode,Elapsed,NodeList`` output -> {job id: info} (last row wins)."""
    out: dict[str, JobInfo] = {}
    for line in text.splitlines():
        parts = line.split("|")
        if len(parts) < 2 or not parts[0] or "." in parts[0]:
            continue
        state = parts[1].split()[0] if parts[1] else "UNKNOWN"  # "CANCELLED by 0" -> CANCELLED
        info = dict(zip(("exit_code", "elapsed", "nodes"), parts[2:5]))
        for jid in _expand(parts[0]):
            out[jid] = JobInfo(jid, state, source="sacct", **info)
    return out


def parse_squeue(text: str) -> dict[str, JobInfo]:
    """``squeue -h -o %i|%T|%M|%N`` output -> {job id: info}."""
    out: dict[str, JobInfo] = {}
    for line in text.splitlines():
        parts = line.strip().split("|")
        if len(parts) < 2 or not parts[0]:
            continue
        for jid in _expand(parts[0]):
            out[jid] = JobInfo(jid, parts[1], elapsed=parts[2] if len(parts) > 2 else "",
                               nodes=parts[3] if len(parts) > 3 else "", source="squeue")
    return out


def job_states(job_ids: Iterable[str]) -> dict[str, JobInfo]:
    """State of each job id (UNKNOWN when neither sacct nor squeue knows it)."""
    ids = sorted({str(j) for j in job_ids if j})
    if not ids:
        return {}
    bases = sorted({base_id(j) for j in ids})
    found: dict[str, JobInfo] = {}
    sacct = _run(["sacct", "-n", "-P", "-X", "-o", "JobID,State,ExitCode,Elapsed,NodeList", "-j", ",".join(bases)], check=False)
    if sacct.returncode == 0:
        found.update(parse_sacct(sacct.stdout))
    for b in bases:  # one call per job: squeue fails outright when any id it is given is gone
        queue = _run(["squeue", "-h", "-o", "%i|%T|%M|%N", "-j", b], check=False)
        if queue.returncode == 0:  # squeue is live; sacct may lag a few seconds behind it
            found.update(parse_squeue(queue.stdout))
    return {j: found.get(j, JobInfo(j, "UNKNOWN", source="none")) for j in ids}


def live_state(job_id: str) -> str | None:
    """The controller's current JobState of one job (``scontrol show job``), None if unknown."""
    proc = _run(["scontrol", "show", "job", "-o", str(job_id)], check=False)
    m = re.search(r"\bJobState=(\S+)", proc.stdout)
    return m.group(1) if m else None


def accounted_state(job_id: str) -> str | None:
    """The accounting state of one job (``sacct``), None where accounting is off or silent."""
    proc = _run(["sacct", "-n", "-P", "-X", "-o", "JobID,State", "-j", str(job_id)], check=False)
    if proc.returncode != 0:
        return None
    info = parse_sacct(proc.stdout).get(str(job_id))
    return info.state if info else None


def requeue(job_id: str) -> None:
    _run(["scontrol", "requeue", str(job_id)])


def cancel(job_ids: Iterable[str]) -> None:
    ids = [str(j) for j in job_ids]
    if ids:
        _run(["scancel", *ids])
