"""Status of launched runs from their folders (checkpoints, TensorBoard, slurm.json) and SLURM states."""

from __future__ import annotations

import json

import pytest
import torch
from omegaconf import OmegaConf

from flamkit.slurm import status as st
from flamkit.slurm.jobs import JobInfo
from flamkit.slurm.record import SweepRecord
from flamkit.slurm.runlog import RunLog
from flamkit.train import checkpoint as ckpt


def _run_dir(root, name, max_steps=10, ckpt_steps=(), scalars=()):
    d = root / "fake" / name
    d.mkdir(parents=True)
    (d / "config.yaml").write_text(OmegaConf.to_yaml(OmegaConf.create({"train": {"max_steps": max_steps}})))
    for s in ckpt_steps:
        ckpt.write_checkpoint(d / "checkpoints" / f"{ckpt.PREFIX}{s:08d}", {"w": torch.zeros(2)}, "m: 1\n", {"step": s})
    if scalars:
        from torch.utils.tensorboard import SummaryWriter

        w = SummaryWriter(str(d / "tb"))
        for step, tag, value in scalars:
            w.add_scalar(tag, value, step)
        w.close()
    return d


def test_run_progress_reads_checkpoints_and_tensorboard(tmp_path):
    d = _run_dir(tmp_path, "a", max_steps=10, ckpt_steps=(4, 8),
                 scalars=[(5, "train/loss", 2.0), (9, "train/loss", 1.5), (8, "val/sed_loss", 0.7)])
    p = st.run_progress(d)
    assert (p.step, p.logged_step, p.max_steps) == (8, 9, 10)
    assert p.metrics == {"train/loss": 1.5, "val/sed_loss": pytest.approx(0.7)}


def test_run_progress_of_an_empty_folder(tmp_path):
    p = st.run_progress(tmp_path)
    assert (p.step, p.logged_step, p.max_steps, p.metrics) == (None, None, None, {})


def _record(tmp_path, run_dirs, job_ids):
    rec = SweepRecord(tmp_path / "runs" / "sweeps" / "abl-0123456789", {
        "name": "abl", "cluster": {"name": "local"},
        "points": [{"label": f"experiment=fake seed={i}", "run_dir": str(d)} for i, d in enumerate(run_dirs)],
    })
    rec.add_launch(job_ids, ["flamkit", "launch"])
    rec.save()
    return rec


def test_collect_a_sweep_by_folder_and_by_name(tmp_path, monkeypatch):
    a = _run_dir(tmp_path / "runs", "a", max_steps=10, ckpt_steps=(10,), scalars=[(10, "train/loss", 0.5)])
    b = _run_dir(tmp_path / "runs", "b", max_steps=10, ckpt_steps=(3,))
    RunLog(b).add_stop("5_1", 3, "give_up", "already requeued 3 times (train.max_requeues=3)")
    rec = _record(tmp_path, [a, b], ["5_0", "5_1"])
    monkeypatch.setattr(st.jobs, "job_states", lambda ids: {
        "5_0": JobInfo("5_0", "UNKNOWN", source="none"), "5_1": JobInfo("5_1", "FAILED")})
    for target in (str(rec.folder), "abl"):
        record, rows = st.collect(target, tmp_path / "runs")
        assert record.folder == rec.folder
        assert [(r.job_id, r.state) for r in rows] == [("5_0", "COMPLETED"), ("5_1", "FAILED")]
    assert "max_requeues=3" in rows[1].note
    table = st.format_table(rows)
    assert "10/10" in table and "3/10" in table and "train/loss=0.5" in table and "notes:" in table


def test_collect_a_run_folder(tmp_path, monkeypatch):
    d = _run_dir(tmp_path, "r", ckpt_steps=(2,))
    RunLog(d).add_submission("9", None)
    monkeypatch.setattr(st.jobs, "job_states", lambda ids: {"9": JobInfo("9", "RUNNING")})
    record, (row,) = st.collect(str(d), tmp_path)
    assert record is None and (row.job_id, row.state, row.progress.step) == ("9", "RUNNING", 2)


def test_status_without_slurm_commands_still_reports_folders(tmp_path, monkeypatch):
    d = _run_dir(tmp_path, "r", ckpt_steps=(2,))
    RunLog(d).add_submission("9", None)

    def no_slurm(ids):
        raise st.jobs.SlurmCommandError("sacct not found")

    monkeypatch.setattr(st.jobs, "job_states", no_slurm)
    _, (row,) = st.collect(str(d), tmp_path)
    assert row.state == "UNKNOWN" and row.progress.step == 2 and "sacct not found" in row.note


def test_unknown_target(tmp_path):
    with pytest.raises(st.TargetError, match="neither a sweep record folder"):
        st.collect("nope", tmp_path)


def test_cancel_whole_array_or_single_tasks(tmp_path, monkeypatch):
    a, b = _run_dir(tmp_path / "runs", "a"), _run_dir(tmp_path / "runs", "b")
    rec = _record(tmp_path, [a, b], ["5_0", "5_1"])
    cancelled = []
    monkeypatch.setattr(st.jobs, "cancel", lambda ids: cancelled.append(list(ids)))
    monkeypatch.setattr(st.jobs, "job_states", lambda ids: {j: JobInfo(j, "RUNNING") for j in ids})
    assert st.cancel(str(rec.folder)) == ["5"]  # every task active: the array id
    monkeypatch.setattr(st.jobs, "job_states", lambda ids: {"5_0": JobInfo("5_0", "COMPLETED"), "5_1": JobInfo("5_1", "PENDING")})
    assert st.cancel(str(rec.folder)) == ["5_1"]
    assert cancelled == [["5"], ["5_1"]]
    assert [c["job_ids"] for c in json.loads((rec.folder / "sweep.json").read_text())["cancels"]] == [["5"], ["5_1"]]
