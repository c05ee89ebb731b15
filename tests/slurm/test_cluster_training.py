"""Real training on the local SLURM cluster: a 2-point array sweep, 2-task gloo DDP, and preemption.

The issue's "done when": ``flamkit launch experiment=quickstart`` with two points returns at once,
both runs finish and appear in one TensorBoard view, and a requeued run resumes to the same
parameters as an uninterrupted one (bit-identical safetensors weights).
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from flamkit.cli import main as flamkit
from flamkit.slurm import jobs
from flamkit.slurm.record import SweepRecord
from flamkit.slurm.runlog import RunLog
from flamkit.slurm.status import collect, run_progress
from tests.slurm.conftest import REPO, job_log, wait_finished, wait_until

pytestmark = pytest.mark.slurm

TINY = ["train.max_steps=4", "train.val_every=4", "train.ckpt_every=4", "train.log_every=1", "data.val_clips=8"]


def _launch(capsys, *args: str) -> tuple[SweepRecord, list[str], float]:
    t0 = time.monotonic()
    rc = flamkit(["launch", *args])
    took = time.monotonic() - t0
    out = capsys.readouterr()
    assert rc == 0, out.err
    record = SweepRecord.load(Path(out.out.split("record: ", 1)[1].split()[0]))
    return record, record.latest_job_ids(), took


def _final_weights(run_dir: Path, step: int) -> Path:
    return Path(run_dir) / "checkpoints" / f"ckpt-{step:08d}" / "model.safetensors"


def test_two_point_sweep_is_one_array_and_one_tensorboard_view(tmp_path, job_env, capsys):
    root = tmp_path / "runs"
    record, ids, took = _launch(capsys, "experiment=quickstart", "seed=0,1", "cluster=local", f"run.root={root}", *TINY)
    # launch returned without waiting: the runs had not finished when it did
    unfinished = [p for p in record.points if run_progress(Path(p["run_dir"])).step != 4]
    assert unfinished, "launch seems to have waited for the jobs"
    base = jobs.base_id(ids[0])
    assert ids == [f"{base}_0", f"{base}_1"], "two points must be one job array"
    states = wait_finished(ids, 420)
    assert set(states.values()) == {"COMPLETED"}, job_log(record.logs / ids[1], ids[1])
    run_dirs = [Path(p["run_dir"]) for p in record.points]
    assert len(set(run_dirs)) == 2 and all(d.parent == root / "quickstart" for d in run_dirs)
    for d in run_dirs:
        assert _final_weights(d, 4).is_file()

    # One TensorBoard root (the run root) shows both runs with their training scalars.
    from tensorboard.backend.event_processing.event_multiplexer import EventMultiplexer

    mux = EventMultiplexer().AddRunsFromDirectory(str(root))
    mux.Reload()
    runs_with_loss = [r for r, tags in mux.Runs().items() if "train/loss" in tags.get("scalars", [])]
    assert sorted(Path(root, r).parent for r in runs_with_loss) == sorted(run_dirs)

    _, rows = collect(str(record.folder), root)
    assert [(r.state, r.progress.step, r.progress.max_steps) for r in rows] == [("COMPLETED", 4, 4)] * 2
    print(f"\nlaunch returned in {took:.1f} s")


def test_two_task_gloo_ddp_job(tmp_path, job_env, capsys):
    root = tmp_path / "runs"
    record, (jid,), _ = _launch(capsys, "experiment=quickstart", "cluster=local", "cluster.tasks_per_node=2",
                                "train.device=cpu", f"run.root={root}", *TINY)
    assert "_" not in jid  # one point: a plain job, two tasks
    states = wait_finished([jid], 420)
    assert states[jid] == "COMPLETED", job_log(record.logs / jid, jid)
    run_dir = Path(record.points[0]["run_dir"])
    assert json.loads((run_dir / "run.json").read_text())["world_size"] == 2
    assert [s["world_size"] for s in RunLog(run_dir).read()["starts"]] == [2]
    assert _final_weights(run_dir, 4).is_file()
    # both ranks ran (submitit writes one result per task)
    assert sorted(p.name for p in (record.logs / jid).glob(f"{jid}_*_result.pkl")) == [f"{jid}_0_result.pkl", f"{jid}_1_result.pkl"]


@pytest.mark.parametrize("interrupt", ["usr2", "scontrol_requeue"])
def test_requeued_training_resumes_bit_identically(tmp_path, job_env, capsys, interrupt):
    steps = 12
    # Small batches: a SLURM requeue sends SIGTERM and SIGKILL KillWait (5 s here) later, so the step
    # in flight, the checkpoint and the stop record must fit in 5 s even on a loaded 2-core machine.
    over = [f"train.max_steps={steps}", f"train.ckpt_every={steps}", f"train.val_every={steps}", "train.log_every=1",
            "data.val_clips=8", "budget.flam_batch=4"]
    root = tmp_path / "runs"
    record, (jid,), _ = _launch(capsys, "experiment=quickstart", "cluster=local", f"run.root={root}", *over)
    run_dir = Path(record.points[0]["run_dir"])
    wait_until(lambda: (run_progress(run_dir).logged_step or 0) >= 3, 300, "the job to log step 3")
    cmd = ["scancel", "--signal=USR2", jid] if interrupt == "usr2" else ["scontrol", "requeue", jid]
    subprocess.run(cmd, check=True)
    try:
        wait_until(lambda: RunLog(run_dir).read()["stops"], 120, "the run to checkpoint and stop")
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{job_log(record.logs / jid, jid)}") from None
    # The same config trained without interruption (run.root is not part of the config's identity),
    # started only now so that it does not slow the interrupted job's race against KillWait.
    reference = subprocess.Popen([sys.executable, "-m", "flamkit.cli", "train", "experiment=quickstart",
                                  f"run.root={tmp_path / 'uninterrupted'}", *over],
                                 cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    stop = RunLog(run_dir).read()["stops"][0]
    assert 3 <= stop["step"] < steps
    assert stop["action"] == ("requeue" if interrupt == "usr2" else "leave"), stop
    states = wait_finished([jid], 420)
    assert states[jid] == "COMPLETED", job_log(record.logs / jid, jid)
    assert reference.wait(timeout=420) == 0, reference.stderr.read()[-3000:]
    assert len(RunLog(run_dir).read()["starts"]) == 2

    (ref_dir,) = (tmp_path / "uninterrupted" / "quickstart").iterdir()
    assert ref_dir.name == run_dir.name  # same config, same folder name
    a, b = _final_weights(run_dir, steps), _final_weights(ref_dir, steps)
    wa, wb = load_file(str(a)), load_file(str(b))
    assert wa.keys() == wb.keys()
    differing = [k for k in wa if wa[k].dtype != wb[k].dtype or not torch.equal(wa[k], wb[k])]
    assert not differing, f"resumed run differs from the uninterrupted one in {differing[:5]}"
    assert hashlib.sha256(a.read_bytes()).hexdigest() == hashlib.sha256(b.read_bytes()).hexdigest()
