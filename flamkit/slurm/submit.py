"""``flamkit launch``: validate every point, then submit the sweep as ONE job array through submitit.

:func:`prepare` does everything that can fail without SLURM (profile, composition, validation,
run folders); :func:`launch` refuses to start a run whose previous job is still queued or running
(two jobs in one run folder would corrupt it), submits, writes the sweep record and each run
folder's ``slurm.json``, and returns at once with the job ids - it never waits for the jobs.

The sbatch script is submitit's own (``_make_sbatch_string``, the function its SlurmExecutor writes
the batch file with), so ``--dry-run`` prints byte for byte what ``sbatch`` receives.
"""

from __future__ import annotations

import shlex
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

from omegaconf import DictConfig

from flamkit.config.compose import ConfigError
from flamkit.slurm import jobs
from flamkit.slurm.clusters import ClusterProfile, default_cluster_name, list_profiles, load_profile
from flamkit.slurm.record import SweepRecord, record_dir
from flamkit.slurm.resolve import ResolvedPoint, resolve_points, warnings_for
from flamkit.slurm.runlog import RunLog
from flamkit.slurm.sweeps import LaunchRequest, short_labels
from flamkit.slurm.task import TrainTask

TaskFactory = Callable[[DictConfig, DictConfig], Any]


def _extra_flags(flags: dict[str, Any]) -> dict[str, Any]:
    """Requeueable even where the cluster's JobRequeue default is 0; the profile's ``sbatch`` flags win.
    ``flag: true`` is a bare ``--flag``; ``false``/``null`` leave it out (``requeue: false`` -> ``--no-requeue``)."""
    merged = {"requeue": True, **dict(flags)}
    if merged.get("requeue") is False:
        merged["no-requeue"] = True
    return {k: v for k, v in merged.items() if v is not None and v is not False}


def sbatch_parameters(profile: ClusterProfile, job_name: str) -> dict[str, Any]:
    """submitit SlurmExecutor parameters (its native sbatch names) for a profile."""
    params: dict[str, Any] = {
        "job_name": job_name,
        "time": profile.time,
        "nodes": profile.nodes,
        "ntasks_per_node": profile.ntasks_per_node,
        "cpus_per_task": profile.cpus_per_task,
        "signal_delay_s": profile.signal_delay_s,
        "array_parallelism": profile.array_parallelism,
        "setup": list(profile.setup) or None,
        "additional_parameters": _extra_flags(profile.sbatch),
    }
    for key in ("partition", "account", "qos", "constraint", "exclude", "mem"):
        value = getattr(profile, key)
        if value is not None:
            params[key] = value
    if profile.gpus_per_node:
        params["gpus_per_node"] = profile.gpus_per_node
    return params


def python_command(profile: ClusterProfile) -> str:
    return profile.python or shlex.quote(sys.executable)


def submitit_command(folder: Path, profile: ClusterProfile) -> str:
    """The job's command line, as SlurmExecutor builds it (``_submitit_command_str``)."""
    return " ".join([python_command(profile), "-u -m submitit.core._submit", shlex.quote(str(folder))])


def sbatch_script(profile: ClusterProfile, folder: Path, n_points: int, job_name: str) -> str:
    """The batch file submitit writes for this sweep (an array when there is more than one point)."""
    from submitit.slurm.slurm import _make_sbatch_string

    return _make_sbatch_string(command=submitit_command(folder, profile), folder=folder,
                               map_count=n_points if n_points > 1 else None, **sbatch_parameters(profile, job_name))


def make_executor(profile: ClusterProfile, folder: Path, job_name: str):
    import submitit

    ex = submitit.SlurmExecutor(folder=folder, max_num_timeout=profile.max_requeues if profile.max_requeues is not None else 3,
                                python=python_command(profile))
    ex.update_parameters(**sbatch_parameters(profile, job_name))
    return ex


def submit_array(tasks: Sequence[Any], profile: ClusterProfile, folder: Path, job_name: str) -> list[str]:
    """Submit ``tasks`` as one job array (a plain job when there is one); returns the job ids, in order."""
    ex = make_executor(profile, folder, job_name)
    with ex.batch():
        submitted = [ex.submit(t) for t in tasks]
    return [str(j.job_id) for j in submitted]


@dataclass
class Prepared:
    request: LaunchRequest
    profile: ClusterProfile
    points: list[ResolvedPoint]
    record: SweepRecord
    job_name: str
    warnings: list[str] = field(default_factory=list)

    def script(self) -> str:
        return sbatch_script(self.profile, self.record.logs / "%j", len(self.points), self.job_name)


def prepare(request: LaunchRequest) -> Prepared:
    """Profile + every point composed, validated and placed; raises ConfigError/ClusterError on any problem."""
    name = request.cluster or default_cluster_name()
    if not name:
        raise ConfigError("name a cluster profile: cluster=NAME (or set $FLAMKIT_CLUSTER). Profiles: "
                          + (", ".join(list_profiles()) or "none (see slurm/example_gpu.yaml)"))
    profile = load_profile(name, request.cluster_overrides)
    points = resolve_points(request.points, max_requeues=profile.max_requeues)
    roots = {str(p.cfg.run.root) for p in points}
    if len(roots) != 1:
        raise ConfigError(f"the points of one sweep must share run.root (got {sorted(roots)})")
    folder = record_dir(Path(roots.pop()), request.name, [p.config_hash for p in points])
    record = SweepRecord.load(folder) if (folder / "sweep.json").is_file() else SweepRecord(folder, {})
    return Prepared(request, profile, points, record, job_name=f"{profile.job_name}-{request.name}",
                    warnings=warnings_for(points))


def _running_elsewhere(prep: Prepared) -> list[str]:
    """'<job> <state> (<what>)' for every earlier job of these runs that is still queued or running."""
    owners: dict[str, str] = {}
    for p in prep.points:
        jid = RunLog(p.run_dir).latest_job_id()
        if jid:
            owners[jid] = str(p.run_dir)
    for jid in prep.record.latest_job_ids():
        owners.setdefault(jid, str(prep.record.folder))
    states = jobs.job_states(owners)
    return [f"{j} {info.state} ({owners[j]})" for j, info in sorted(states.items()) if info.active]


def launch(prep: Prepared, command: Sequence[str], task_factory: TaskFactory = TrainTask) -> list[str]:
    """Submit the prepared sweep; returns the job ids (one per point, in point order). Does not wait."""
    busy = _running_elsewhere(prep)
    if busy:
        raise ConfigError("these runs already have a job queued or running; two jobs in one run folder would corrupt it. "
                          "Wait, or `flamkit cancel` them first:\n  - " + "\n  - ".join(busy))
    rec = prep.record
    rec.data.update({
        "name": prep.request.name,
        "sweep": prep.request.sweep,
        "cluster": prep.profile.describe(),
        "points": [
            {"index": p.index, "label": label, "experiment": p.point.experiment, "overrides": list(p.point.overrides),
             "config_hash": p.config_hash, "run_dir": str(p.run_dir), "max_steps": int(p.cfg.train.max_steps)}
            for p, label in zip(prep.points, short_labels([q.point for q in prep.points]))
        ],
    })
    rec.save()  # before submitting: a job that starts at once must find its record
    tasks = [task_factory(p.cfg, p.reference) for p in prep.points]
    job_ids = submit_array(tasks, prep.profile, rec.logs / "%j", prep.job_name)
    rec.add_launch(job_ids, command)
    rec.save()
    for p, jid in zip(prep.points, job_ids):
        RunLog(p.run_dir).add_submission(jid, str(rec.folder))
    return job_ids
