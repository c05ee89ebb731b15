"""The SLURM machinery on the real local cluster, with a model-free training function.

These check what only a real controller can: that SIGUSR2 reaches flamkit's handler and not
submitit's, that an array task requeues itself by its ``<array>_<task>`` id and resumes with no lost
or repeated step, that ``scontrol requeue`` is left to SLURM, and that a cancelled job stays
cancelled. The real training loop's bit-identical resume is tested in test_cluster_training.py.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from flamkit.slurm import jobs
from flamkit.slurm.clusters import load_profile
from flamkit.slurm.runlog import RunLog
from flamkit.slurm.status import cancel
from flamkit.slurm.submit import sbatch_script, submit_array
from flamkit.slurm.task import TrainTask
from flamkit.train.rundir import run_folder
from tests.slurm.conftest import REPO, job_log, wait_finished, wait_until
from tests.slurm.fakes import counting_train, fake_config

pytestmark = pytest.mark.slurm


def _steps(run_dir: Path) -> list[int]:
    f = run_dir / "steps.log"
    return [int(x) for x in f.read_text().split()] if f.is_file() else []


def _profile(**over):
    return load_profile("local", [f"cluster.{k}={v}" for k, v in over.items()], dirs=[REPO / "slurm"])


def test_usr2_requeues_an_array_task_which_resumes_exactly(tmp_path, job_env):
    cfgs = [fake_config(tmp_path / "runs", max_steps=30, step_s=0.25, seed=s) for s in (0, 1)]
    folder = tmp_path / "logs" / "%j"
    t0 = time.monotonic()
    ids = submit_array([TrainTask(c, c, train_fn=counting_train) for c in cfgs], _profile(), folder, "flamkit-test")
    submit_s = time.monotonic() - t0
    assert submit_s < 10, f"submission took {submit_s:.1f} s; launch must not wait for the jobs"
    base = jobs.base_id(ids[0])
    assert ids == [f"{base}_0", f"{base}_1"]
    run_dirs = [run_folder(c, c) for c in cfgs]

    # The script submitit wrote is the one --dry-run prints.
    written = (tmp_path / "logs" / base / f"{base}_submission.sh").read_text()
    assert written == sbatch_script(_profile(), folder, 2, "flamkit-test")

    wait_until(lambda: len(_steps(run_dirs[1])) >= 5, 90, "task 1 to train 5 steps")
    subprocess.run(["scancel", "--signal=USR2", ids[1]], check=True)  # a preemption notice / time limit warning
    wait_until(lambda: RunLog(run_dirs[1]).read()["stops"], 60, "task 1 to stop on SIGUSR2")
    states = wait_finished(ids, 240)
    assert states == {ids[0]: "COMPLETED", ids[1]: "COMPLETED"}, job_log(tmp_path / "logs" / ids[1], ids[1])
    assert _steps(run_dirs[0]) == list(range(1, 31))
    assert _steps(run_dirs[1]) == list(range(1, 31)), "a requeued run lost or repeated steps"
    log = RunLog(run_dirs[1]).read()
    assert [s["action"] for s in log["stops"]] == ["requeue"] and log["stops"][0]["job_id"] == ids[1]
    assert [s["restart"] for s in log["starts"]] == [0, 1]
    assert RunLog(run_dirs[0]).read()["stops"] == []


def test_scontrol_requeue_is_left_to_slurm(tmp_path, job_env):
    cfg = fake_config(tmp_path / "runs", max_steps=30, step_s=0.25)
    (jid,) = submit_array([TrainTask(cfg, cfg, train_fn=counting_train)], _profile(), tmp_path / "logs" / "%j", "flamkit-test")
    run_dir = run_folder(cfg, cfg)
    wait_until(lambda: len(_steps(run_dir)) >= 5, 90, "the job to train 5 steps")
    subprocess.run(["scontrol", "requeue", jid], check=True)  # what a preemption in REQUEUE mode does
    states = wait_finished([jid], 240)
    assert states[jid] == "COMPLETED", job_log(tmp_path / "logs" / jid, jid)
    log = RunLog(run_dir).read()
    assert [s["action"] for s in log["stops"]] == ["leave"] and "requeued the job itself" in log["stops"][0]["reason"]
    assert len(log["starts"]) == 2
    assert _steps(run_dir) == list(range(1, 31))  # the SIGTERM stop checkpointed before KillWait ran out


def test_cancelled_job_stays_cancelled(tmp_path, job_env):
    cfg = fake_config(tmp_path / "runs", max_steps=400, step_s=0.25)
    (jid,) = submit_array([TrainTask(cfg, cfg, train_fn=counting_train)], _profile(), tmp_path / "logs" / "%j", "flamkit-test")
    run_dir = run_folder(cfg, cfg)
    RunLog(run_dir).add_submission(jid, None)
    wait_until(lambda: len(_steps(run_dir)) >= 3, 90, "the job to train 3 steps")
    assert cancel(str(run_dir)) == [jid]
    wait_until(lambda: RunLog(run_dir).read()["stops"], 30, "the run to stop on the cancel's SIGTERM")
    time.sleep(3)
    assert jobs.job_states([jid])[jid].state == "CANCELLED"
    (stop,) = RunLog(run_dir).read()["stops"]
    assert stop["action"] == "leave" and "cancelled" in stop["reason"]
    assert RunLog(run_dir).requeue_count() == 0


@pytest.mark.slow
def test_time_limit_requeues_until_done(tmp_path, job_env):
    """A 2-minute limit with SIGUSR2 30 s before it (SLURM may send it up to a minute earlier): the run
    needs more than one job, and finishes with every step done once."""
    cfg = fake_config(tmp_path / "runs", max_steps=200, step_s=0.5, max_requeues=6)
    prof = _profile(time=2, signal_delay_s=30)
    (jid,) = submit_array([TrainTask(cfg, cfg, train_fn=counting_train)], prof, tmp_path / "logs" / "%j", "flamkit-test")
    states = wait_finished([jid], 420)
    run_dir = run_folder(cfg, cfg)
    assert states[jid] == "COMPLETED", job_log(tmp_path / "logs" / jid, jid)
    log = RunLog(run_dir)
    assert log.requeue_count() >= 1 and all(s["action"] == "requeue" for s in log.read()["stops"])
    assert _steps(run_dir) == list(range(1, 201))


def test_launch_record_guard_cancel_and_relaunch(tmp_path, job_env):
    """launch writes the record; a second launch of running runs is refused; cancel stops the array; launching
    again resumes the same run folders."""
    from flamkit.config.compose import ConfigError
    from flamkit.slurm.record import SweepRecord, record_dir
    from flamkit.slurm.resolve import ResolvedPoint
    from flamkit.slurm.status import collect
    from flamkit.slurm.submit import Prepared, launch
    from flamkit.slurm.sweeps import LaunchRequest, SweepPoint
    from flamkit.train.rundir import config_hash

    root = tmp_path / "runs"
    cfgs = [fake_config(root, max_steps=40, step_s=0.25, seed=s) for s in (0, 1)]
    points = [ResolvedPoint(i, SweepPoint("fake", (f"seed={i}",)), c, c, run_folder(c, c), config_hash(c))
              for i, c in enumerate(cfgs)]
    folder = record_dir(root, "fakes", [p.config_hash for p in points])

    def prepared() -> Prepared:
        rec = SweepRecord.load(folder) if (folder / "sweep.json").is_file() else SweepRecord(folder, {})
        return Prepared(LaunchRequest("fakes", "local", [], [p.point for p in points]), _profile(), points, rec, "flamkit-test")

    def factory(cfg, ref):
        return TrainTask(cfg, ref, train_fn=counting_train)

    t0 = time.monotonic()
    ids = launch(prepared(), ["test"], task_factory=factory)
    assert time.monotonic() - t0 < 10
    rec = SweepRecord.load(folder)
    assert rec.latest_job_ids() == ids and [p["run_dir"] for p in rec.points] == [str(p.run_dir) for p in points]
    assert rec.data["cluster"]["name"] == "local" and rec.data["cluster"]["partition"] == "debug"
    for p, jid in zip(points, ids):
        assert RunLog(p.run_dir).read()["submissions"][0]["job_id"] == jid

    with pytest.raises(ConfigError, match="already have a job queued or running"):
        launch(prepared(), ["test"], task_factory=factory)

    wait_until(lambda: all(len(_steps(p.run_dir)) >= 3 for p in points), 90, "both runs to train 3 steps")
    assert cancel(str(folder), root) == [jobs.base_id(ids[0])]  # the whole array at once
    states = wait_finished(ids, 60)
    assert set(states.values()) == {"CANCELLED"}
    wait_until(lambda: all(RunLog(p.run_dir).read()["stops"] for p in points), 30, "both runs to record their stop")
    time.sleep(2)
    done_before = [len(_steps(p.run_dir)) for p in points]
    assert all(0 < n < 40 for n in done_before)

    ids2 = launch(prepared(), ["test"], task_factory=factory)
    assert ids2 != ids and SweepRecord.load(folder).latest_job_ids() == ids2
    states = wait_finished(ids2, 180)
    assert set(states.values()) == {"COMPLETED"}, job_log(folder / "logs" / ids2[0], ids2[0])
    for p in points:
        assert _steps(p.run_dir) == list(range(1, 41)), "relaunch lost or repeated steps"
    _, rows = collect(str(folder), root)
    assert [r.state for r in rows] == ["COMPLETED", "COMPLETED"] and [r.job_id for r in rows] == ids2
