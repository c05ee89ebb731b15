"""The sbatch script of a launch (what --dry-run prints), without a cluster."""

from __future__ import annotations

import sys
from pathlib import Path

from flamkit.slurm.clusters import ClusterProfile
from flamkit.slurm.submit import sbatch_parameters, sbatch_script


def _flags(script: str) -> dict[str, str]:
    out = {}
    for line in script.splitlines():
        if line.startswith("#SBATCH --"):
            key, _, value = line[len("#SBATCH --"):].partition("=")
            out[key] = value
    return out


def test_gpu_array_script(tmp_path):
    prof = ClusterProfile(name="g", partition="gpu", account="lab", qos="high", constraint="a100", time=1440, nodes=2,
                          gpus_per_node=8, cpus_per_task=10, mem="0", setup=("module load cuda/12.4",),
                          signal_delay_s=180, array_parallelism=3, sbatch={"mail-type": "END"})
    script = sbatch_script(prof, tmp_path / "logs" / "%j", n_points=8, job_name="flamkit-ablations")
    f = _flags(script)
    assert f["array"] == "0-7%3"
    assert f["signal"] == "USR2@180"  # SIGUSR2 3 minutes before the limit, to every task
    assert (f["partition"], f["account"], f["qos"], f["constraint"]) == ("gpu", "lab", "high", "a100")
    assert (f["time"], f["nodes"], f["ntasks-per-node"], f["gpus-per-node"], f["cpus-per-task"], f["mem"]) == (
        "1440", "2", "8", "8", "10", "0")
    assert "requeue" in f and f["mail-type"] == "END" and f["job-name"] == "flamkit-ablations"
    assert f["output"].endswith("%A_%a_0_log.out")  # array logs: one folder per array task
    lines = script.splitlines()
    assert lines.index("module load cuda/12.4") < next(i for i, l in enumerate(lines) if l.startswith("srun"))
    srun = next(l for l in lines if l.startswith("srun"))
    assert "-m submitit.core._submit" in srun and sys.executable in srun


def test_single_point_cpu_script_has_no_array_and_no_gpus(tmp_path):
    prof = ClusterProfile(name="l", partition="debug", time=30, tasks_per_node=2, cpus_per_task=1, mem="2G")
    f = _flags(sbatch_script(prof, tmp_path / "%j", n_points=1, job_name="flamkit-q"))
    assert "array" not in f and "gpus-per-node" not in f
    assert f["ntasks-per-node"] == "2" and f["mem"] == "2G" and f["signal"] == "USR2@120"
    assert "account" not in f and "qos" not in f  # None leaves the cluster's default


def test_python_command_can_be_a_container(tmp_path):
    prof = ClusterProfile(name="c", python="apptainer exec img.sif python")
    script = sbatch_script(prof, tmp_path / "%j", 2, "j")
    assert "apptainer exec img.sif python -u -m submitit.core._submit" in script


def test_profile_sbatch_flags_win_over_defaults():
    params = sbatch_parameters(ClusterProfile(name="c", sbatch={"gres": "gpu:4", "comment": None}), "j")
    assert params["additional_parameters"] == {"requeue": True, "gres": "gpu:4"}
    params = sbatch_parameters(ClusterProfile(name="c", sbatch={"requeue": False}), "j")
    assert params["additional_parameters"] == {"no-requeue": True}
