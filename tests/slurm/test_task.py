"""The SLURM task without a cluster: requeue decisions, requeue counting, signals before training."""

from __future__ import annotations

import json
import os
import signal

import pytest

from flamkit.slurm.runlog import RunLog
from flamkit.slurm.task import RequeueLimitReached, StopDecision, TrainTask, decide_after_stop
from flamkit.train.rundir import run_folder
from flamkit.train.signals import REQUEUE_EXIT
from tests.slurm.fakes import RecordingOps, always_stops, counting_train, fake_config


@pytest.mark.parametrize(
    "live, accounted, done, limit, action",
    [
        ("RUNNING", None, 0, 3, "requeue"),  # --signal=USR2@delay before the time limit, or a manual USR2
        ("RUNNING", None, 3, 3, "give_up"),  # the limit counts flamkit's own requeues
        ("RUNNING", None, 2, 3, "requeue"),
        ("COMPLETING", "CANCELLED", 0, 3, "leave"),  # scancel / flamkit cancel: must stay cancelled
        ("COMPLETING", "REQUEUED", 0, 3, "leave"),  # scontrol requeue / preemption in REQUEUE mode
        ("PENDING", None, 0, 3, "leave"),
        ("COMPLETING", "TIMEOUT", 0, 3, "requeue"),  # SIGTERM at the limit without an earlier USR2
        ("COMPLETING", "TIMEOUT", 5, 3, "give_up"),
        ("COMPLETING", "PREEMPTED", 1, 3, "requeue"),
        ("COMPLETING", None, 0, 3, "leave"),  # no accounting: a cancel cannot be told apart, so never requeue
        ("COMPLETING", "NODE_FAIL", 0, 3, "leave"),
        (None, None, 0, 3, "leave"),
        ("RUNNING", None, 0, 0, "give_up"),  # max_requeues=0: never requeue
    ],
)
def test_decide_after_stop(live, accounted, done, limit, action):
    d = decide_after_stop(live, accounted, done, limit)
    assert isinstance(d, StopDecision) and d.action == action, d
    assert d.reason


def test_finished_run_returns_its_result(tmp_path):
    cfg = fake_config(tmp_path, max_steps=3)
    out = TrainTask(cfg, cfg, train_fn=counting_train, ops=RecordingOps())()
    assert out["step"] == 3 and out["exit_code"] == 0 and out["metrics"] == {"train/loss": pytest.approx(1 / 3)}
    log = RunLog(out["run_dir"]).read()
    assert [s["job_id"] for s in log["starts"]] == ["77_1"] and log["stops"] == []


def test_stop_requeues_and_counts(tmp_path):
    cfg = fake_config(tmp_path, max_steps=3, max_requeues=2)
    ops = RecordingOps(job_id="12_3", live="RUNNING")
    run_dir = run_folder(cfg, cfg)
    for expected in (1, 2):
        with pytest.raises(SystemExit) as exc:
            TrainTask(cfg, cfg, train_fn=always_stops, ops=ops)()
        assert exc.value.code == REQUEUE_EXIT
        assert ops.requeued == ["12_3"] * expected
        assert RunLog(run_dir).requeue_count() == expected
    # The third stop exceeds max_requeues=2: no requeue, a clear error (the job fails, checkpoint kept).
    with pytest.raises(RequeueLimitReached, match=r"max_requeues=2"):
        TrainTask(cfg, cfg, train_fn=always_stops, ops=ops)()
    assert ops.requeued == ["12_3", "12_3"]
    stops = RunLog(run_dir).read()["stops"]
    assert [s["action"] for s in stops] == ["requeue", "requeue", "give_up"]
    assert RunLog(run_dir).requeue_count() == 2


def test_cancelled_job_is_not_requeued(tmp_path):
    cfg = fake_config(tmp_path)
    ops = RecordingOps(live="COMPLETING", accounted="CANCELLED")
    with pytest.raises(SystemExit):
        TrainTask(cfg, cfg, train_fn=always_stops, ops=ops)()
    assert ops.requeued == []
    (stop,) = RunLog(run_folder(cfg, cfg)).read()["stops"]
    assert stop["action"] == "leave" and "cancelled" in stop["reason"]


def test_failed_requeue_is_recorded_not_counted(tmp_path):
    cfg = fake_config(tmp_path)
    ops = RecordingOps(fail_requeue="scontrol: Requested operation is presently disabled")
    with pytest.raises(SystemExit):
        TrainTask(cfg, cfg, train_fn=always_stops, ops=ops)()
    log = RunLog(run_folder(cfg, cfg))
    assert log.read()["stops"][0]["action"] == "requeue_failed" and "presently disabled" in log.read()["stops"][0]["reason"]
    assert log.requeue_count() == 0


def test_signal_before_training_starts_is_not_lost(tmp_path):
    """USR2 while the task is still setting up: the loop's flag inherits it and stops at once."""
    cfg = fake_config(tmp_path, max_steps=50)
    ops = RecordingOps()
    before = signal.getsignal(signal.SIGUSR2)

    def signalled_during_setup(c, r):
        os.kill(os.getpid(), signal.SIGUSR2)  # arrives before the loop installs its own StopFlag
        return counting_train(c, r)

    with pytest.raises(SystemExit):
        TrainTask(cfg, cfg, train_fn=signalled_during_setup, ops=ops)()
    run_dir = run_folder(cfg, cfg)
    assert json.loads((run_dir / "fake_state.json").read_text())["step"] == 0
    assert ops.requeued == ["77_1"]
    assert signal.getsignal(signal.SIGUSR2) == before  # the task restored the handler it replaced


def test_task_is_checkpointable_without_state(tmp_path):
    """submitit's own USR2 handler (before our first line) resubmits the task unchanged."""
    cfg = fake_config(tmp_path)
    task = TrainTask(cfg, cfg, train_fn=counting_train, ops=RecordingOps())
    delayed = task.checkpoint()
    assert delayed.function is task and delayed.args == () and delayed.kwargs == {}


@pytest.mark.parametrize("env, expected", [
    # one node, 4 GPUs listed by SLURM as 4-7 (no device cgroup): rank 2 keeps GPU 6
    ({"SLURM_NTASKS": "4", "SLURM_JOB_NUM_NODES": "1", "SLURM_PROCID": "2", "SLURM_LOCALID": "2",
      "SLURM_NODEID": "0", "SLURM_JOB_NODELIST": "gpu07", "CUDA_VISIBLE_DEVICES": "4,5,6,7"},
     {"RANK": "2", "WORLD_SIZE": "4", "LOCAL_RANK": "2", "MASTER_ADDR": "gpu07", "CUDA_VISIBLE_DEVICES": "6"}),
    # two nodes x 8 GPUs: global rank 9 is local rank 1 on the second node; the master is the first node
    ({"SLURM_NTASKS": "16", "SLURM_JOB_NUM_NODES": "2", "SLURM_PROCID": "9", "SLURM_LOCALID": "1",
      "SLURM_NODEID": "1", "SLURM_JOB_NODELIST": "gpu[01-02]", "CUDA_VISIBLE_DEVICES": "0,1,2,3,4,5,6,7"},
     {"RANK": "9", "WORLD_SIZE": "16", "LOCAL_RANK": "1", "MASTER_ADDR": "gpu01", "CUDA_VISIBLE_DEVICES": "1"}),
    # CPU job with 2 tasks: no GPU variable to narrow
    ({"SLURM_NTASKS": "2", "SLURM_JOB_NUM_NODES": "1", "SLURM_PROCID": "1", "SLURM_LOCALID": "1",
      "SLURM_NODEID": "0", "SLURM_JOB_NODELIST": "localhost"},
     {"RANK": "1", "WORLD_SIZE": "2", "LOCAL_RANK": "1", "MASTER_ADDR": "localhost"}),
])
def test_distributed_environment_from_slurm(monkeypatch, env, expected):
    from flamkit.slurm.task import SlurmOps

    monkeypatch.setattr(os, "environ", os.environ.copy())  # export() adds variables; keep them in this test
    for key in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT",
                "CUDA_VISIBLE_DEVICES", "SLURM_ARRAY_JOB_ID", "SLURM_ARRAY_TASK_ID"):
        os.environ.pop(key, None)
    monkeypatch.setenv("SUBMITIT_EXECUTOR", "slurm")
    monkeypatch.setenv("SLURM_JOB_ID", "4242")
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    SlurmOps().export_distributed()
    assert {k: os.environ.get(k) for k in expected} == expected
    assert 20000 <= int(os.environ["MASTER_PORT"]) <= 60000  # derived from the job id: the same on every rank
    port = os.environ["MASTER_PORT"]
    del os.environ["MASTER_PORT"]
    SlurmOps().export_distributed()
    assert os.environ["MASTER_PORT"] == port


def test_no_distributed_environment_outside_slurm(monkeypatch):
    from flamkit.slurm.task import SlurmOps

    monkeypatch.setattr(os, "environ", os.environ.copy())
    os.environ.pop("SLURM_JOB_ID", None)
    os.environ.pop("RANK", None)
    SlurmOps().export_distributed()
    assert "RANK" not in os.environ and SlurmOps().job_id() is None


def test_array_job_id(monkeypatch):
    from flamkit.slurm.task import SlurmOps

    monkeypatch.setenv("SLURM_JOB_ID", "101")
    monkeypatch.setenv("SLURM_ARRAY_JOB_ID", "99")
    monkeypatch.setenv("SLURM_ARRAY_TASK_ID", "2")
    monkeypatch.setenv("SLURM_RESTART_COUNT", "3")
    assert SlurmOps().job_id() == "99_2" and SlurmOps().restart_count() == 3


class _FaultHandlerSpy:
    """Stands in for :mod:`faulthandler` (pytest keeps the real one on for its own crash reports)."""

    def __init__(self) -> None:
        self.enabled = False
        self.calls: list[tuple[str, dict]] = []

    def is_enabled(self) -> bool:
        return self.enabled

    def enable(self, **kwargs) -> None:
        self.enabled = True
        self.calls.append(("enable", kwargs))

    def disable(self) -> None:
        self.enabled = False
        self.calls.append(("disable", {}))


def test_native_crash_tracebacks_are_on_while_the_task_runs(tmp_path, monkeypatch):
    import flamkit.slurm.task as task_module

    spy = _FaultHandlerSpy()
    monkeypatch.setattr(task_module, "faulthandler", spy)
    seen: list[bool] = []

    def train_and_look(cfg, reference):
        seen.append(spy.is_enabled())
        return counting_train(cfg, reference)

    cfg = fake_config(tmp_path, max_steps=2)
    TrainTask(cfg, cfg, train_fn=train_and_look, ops=RecordingOps())()
    assert seen == [True], "faulthandler must be on while training runs"
    assert spy.calls == [("enable", {"all_threads": True}), ("disable", {})], "and back off afterwards"
