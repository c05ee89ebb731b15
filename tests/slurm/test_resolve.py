"""Every point composed and validated before submission; problems name their point."""

from __future__ import annotations

from pathlib import Path

import pytest

from flamkit.config.compose import ConfigError
from flamkit.slurm.resolve import resolve_points
from flamkit.slurm.sweeps import SweepPoint, expand_points, load_sweep


def test_points_resolve_to_distinct_run_folders(tmp_path):
    pts = [SweepPoint("quickstart", (f"run.root={tmp_path}", f"seed={s}")) for s in (0, 1)]
    a, b = resolve_points(pts, max_requeues=7)
    assert a.config_hash != b.config_hash
    assert a.run_dir.parent == b.run_dir.parent == tmp_path / "quickstart"
    assert b.run_dir.name == f"seed-1-{b.config_hash}" and a.run_dir.name == f"default-{a.config_hash}"
    assert a.cfg.train.max_requeues == 7 and Path(a.cfg.run.root).is_absolute()


def test_relative_run_root_is_made_absolute_without_changing_identity(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (rel,) = resolve_points([SweepPoint("quickstart", ("run.root=myruns",))])
    (absolute,) = resolve_points([SweepPoint("quickstart", (f"run.root={tmp_path / 'myruns'}",))])
    assert rel.cfg.run.root == str(tmp_path / "myruns") and rel.config_hash == absolute.config_hash


def test_a_point_override_of_max_requeues_wins(tmp_path):
    (p,) = resolve_points([SweepPoint("quickstart", (f"run.root={tmp_path}", "train.max_requeues=1"))], max_requeues=9)
    assert p.cfg.train.max_requeues == 1


def test_every_problem_names_its_point(tmp_path):
    pts = [SweepPoint("quickstart", (f"run.root={tmp_path}",)),
           SweepPoint("quickstart", (f"run.root={tmp_path}", "model.audio.bogus=1")),
           SweepPoint("quickstart", (f"run.root={tmp_path}", "train.bogus=1")),
           SweepPoint("nope", ()),
           SweepPoint("quickstart", (f"run.root={tmp_path}", f"train.init_from={tmp_path / 'missing'}"))]
    with pytest.raises(ConfigError) as exc:
        resolve_points(pts)
    msg = str(exc.value)
    assert "4 of 5 sweep point(s) cannot run; nothing was submitted" in msg
    assert "point 1 (experiment=quickstart" in msg and "model.audio.bogus" in msg
    assert "point 2 (" in msg and "train.bogus" in msg
    assert "point 3 (experiment=nope)" in msg and "not found" in msg
    assert "point 4 (" in msg and "train.init_from=" in msg and "no valid flamkit checkpoint" in msg
    assert "point 0" not in msg


def test_points_with_the_same_identity_are_rejected(tmp_path):
    pts = [SweepPoint("quickstart", (f"run.root={tmp_path}", "train.log_every=5")),
           SweepPoint("quickstart", (f"run.root={tmp_path}", "train.log_every=7"))]  # logging cadence: same run
    with pytest.raises(ConfigError, match="resolve to the same config"):
        resolve_points(pts)


def test_the_ablation_sweep_resolves_at_cpu_size(tmp_path):
    points = expand_points(load_sweep("ablations"), ["size=cpu", f"run.root={tmp_path}"])
    resolved = resolve_points(points)
    assert len({r.config_hash for r in resolved}) == len(points) == 8
    assert {r.point.experiment for r in resolved} == {
        "flam", "flam_no_text_scale", "flam_no_text_bias", "flam_no_text_scale_bias", "flam_L128",
        "flam_no_global", "flam_no_closed_set", "flam_no_global_init"}


def test_warning_when_a_flam_point_has_no_flam_global(tmp_path):
    from flamkit.slurm.resolve import warnings_for

    pts = resolve_points([SweepPoint("flam_no_global_init", ("size=cpu", f"run.root={tmp_path}")),
                          SweepPoint("flam", ("size=cpu", f"run.root={tmp_path}"))])
    (w,) = warnings_for(pts)
    assert "flam start(s) from scratch" in w and "flam_no_global_init" not in w
    assert warnings_for(pts[:1]) == []
