"""``flamkit launch --dry-run``, and the CLI's errors, without a cluster."""

from __future__ import annotations

import yaml

from flamkit.cli import main as flamkit


def test_dry_run_prints_the_array_script_and_every_config(tmp_path, capsys):
    rc = flamkit(["launch", "experiment=quickstart", "seed=0,1", "cluster=local", "cluster.time=01:00:00",
                  f"run.root={tmp_path}", "--dry-run"])
    out = capsys.readouterr().out
    assert rc == 0
    assert "#SBATCH --array=0-1%2" in out and "#SBATCH --time=60" in out and "#SBATCH --signal=USR2@30" in out
    assert "#SBATCH --partition=debug" in out and "#SBATCH --requeue" in out
    assert out.count("# ---- point ") == 2 and "experiment=quickstart seed=1" in out
    configs = out.split("# ---- point ")[1:]
    seeds = [yaml.safe_load(c.split("\n", 3)[3].split("\n# dry run")[0])["seed"] for c in configs]
    assert seeds == [0, 1]
    assert "nothing submitted" in out
    assert not (tmp_path / "sweeps").exists() and not (tmp_path / "quickstart").exists()  # wrote nothing


def test_invalid_point_fails_before_submitting(tmp_path, capsys):
    rc = flamkit(["launch", "experiment=quickstart", "model.frames=32,oops", "cluster=local", f"run.root={tmp_path}", "--dry-run"])
    err = capsys.readouterr().err
    assert rc == 2 and "point 1 (experiment=quickstart model.frames=oops " in err and "model.frames=oops" in err and "nothing was submitted" in err


def test_unknown_cluster_lists_profiles(tmp_path, capsys):
    rc = flamkit(["launch", "experiment=quickstart", "cluster=nowhere", "--dry-run"])
    err = capsys.readouterr().err
    assert rc == 2 and "'nowhere' not found" in err and "local" in err


def test_cluster_is_required(monkeypatch, capsys):
    monkeypatch.delenv("FLAMKIT_CLUSTER", raising=False)
    assert flamkit(["launch", "experiment=quickstart", "--dry-run"]) == 2
    assert "cluster=NAME" in capsys.readouterr().err


def test_status_and_cancel_of_nothing(tmp_path, capsys):
    assert flamkit(["status", str(tmp_path / "nothing"), "--root", str(tmp_path)]) == 2
    assert flamkit(["cancel", "nosuchsweep", "--root", str(tmp_path)]) == 2
    assert "neither a sweep record folder" in capsys.readouterr().err


def test_dry_run_of_a_sweep_file(tmp_path, capsys):
    rc = flamkit(["launch", "experiment=quickstart", "sweep=seeds", "cluster=local", f"run.root={tmp_path}", "--dry-run"])
    out = capsys.readouterr().out
    assert rc == 0 and "#SBATCH --array=0-2%3" in out and "#SBATCH --job-name=flamkit-seeds" in out
    assert [line.split(": ", 1)[1] for line in out.splitlines() if line.startswith("# ---- point")] == [
        f"experiment=quickstart seed={s} run.root={tmp_path}" for s in (0, 1, 2)]
