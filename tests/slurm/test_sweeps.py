"""Sweep files and grid syntax -> points, with the errors a user meets."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from flamkit.config.compose import ConfigError
from flamkit.slurm.sweeps import SweepPoint, expand_grid, load_sweep, parse_launch_args

REPO = Path(__file__).resolve().parents[2]
ABLATIONS = ["flam", "flam_no_text_scale", "flam_no_text_bias", "flam_no_text_scale_bias", "flam_L128",
             "flam_no_global", "flam_no_closed_set", "flam_no_global_init"]


@pytest.fixture
def exp_dir(tmp_path, monkeypatch):
    (tmp_path / "sweeps").mkdir()
    monkeypatch.setenv("FLAMKIT_EXPERIMENTS", str(tmp_path))
    return tmp_path


def _sweep(exp_dir: Path, name: str, data) -> None:
    (exp_dir / "sweeps" / f"{name}.yaml").write_text(yaml.safe_dump(data) if not isinstance(data, str) else data)


def test_grid_is_the_cartesian_product_in_order():
    assert expand_grid(["seed=0,1", "size=cpu", "model.frames=32,128"]) == [
        ("seed=0", "size=cpu", "model.frames=32"), ("seed=0", "size=cpu", "model.frames=128"),
        ("seed=1", "size=cpu", "model.frames=32"), ("seed=1", "size=cpu", "model.frames=128"),
    ]
    assert expand_grid([]) == [()]


def test_grid_quoting_lists_and_range():
    assert expand_grid(["run.name='a,b'"]) == [("run.name='a,b'",)]  # quoted: one value
    assert expand_grid(["x=[1,2]"]) == [("x=[1,2]",)]  # a list value, not a sweep
    assert expand_grid(["seed=range(0,3)"]) == [("seed=0",), ("seed=1",), ("seed=2",)]
    assert expand_grid(["+extra=1,2"]) == [("+extra=1",), ("+extra=2",)]


def test_grid_rejects_glob_and_bad_syntax():
    with pytest.raises(ConfigError, match="glob"):
        expand_grid(["size=glob(*)"])
    with pytest.raises(ConfigError, match="cannot parse override 'seed=0,,1'"):
        expand_grid(["seed=0,,1"])


def test_repo_ablations_sweep_lists_every_ablation():
    points = [p["experiment"] for p in yaml.safe_load((REPO / "experiments/sweeps/ablations.yaml").read_text())["points"]]
    assert sorted(points) == sorted(ABLATIONS)


def test_every_ablation_has_an_experiment_file():
    missing = [e for e in ABLATIONS if not (REPO / "experiments" / f"{e}.yaml").is_file()]
    assert not missing, f"experiments/ lacks {missing}"


def test_sweep_file_with_command_line_grid(exp_dir):
    _sweep(exp_dir, "abl", {"overrides": ["size=cpu"], "points": ["a", {"experiment": "b", "overrides": ["x=1"]}]})
    req = parse_launch_args(["sweep=abl", "seed=0,1", "cluster=local", "cluster.time=5"])
    assert req.cluster == "local" and req.cluster_overrides == ["cluster.time=5"] and req.name == "abl"
    assert req.points == [
        SweepPoint("a", ("size=cpu", "seed=0")), SweepPoint("a", ("size=cpu", "seed=1")),
        SweepPoint("b", ("size=cpu", "x=1", "seed=0")), SweepPoint("b", ("size=cpu", "x=1", "seed=1")),
    ]


def test_points_without_experiment_take_the_command_line_one(exp_dir):
    _sweep(exp_dir, "seeds", {"points": [{"overrides": ["seed=0"]}, {"overrides": {"seed": 1}}]})
    req = parse_launch_args(["experiment=quickstart", "sweep=seeds", "train.max_steps=4"])
    assert req.points == [SweepPoint("quickstart", ("seed=0", "train.max_steps=4")),
                          SweepPoint("quickstart", ("seed=1", "train.max_steps=4"))]
    assert req.name == "seeds"
    with pytest.raises(ConfigError, match="names no experiment"):
        parse_launch_args(["sweep=seeds"])


def test_experiment_conflict_is_an_error(exp_dir):
    _sweep(exp_dir, "abl", {"points": ["flam"]})
    with pytest.raises(ConfigError, match="drop experiment= from the command line"):
        parse_launch_args(["experiment=quickstart", "sweep=abl"])


def test_experiment_grid_and_name():
    req = parse_launch_args(["experiment=flam,flam_L128", "seed=0,1"])
    assert [p.label for p in req.points] == [
        "experiment=flam seed=0", "experiment=flam seed=1", "experiment=flam_L128 seed=0", "experiment=flam_L128 seed=1"]
    assert req.name == "flam+flam_L128"
    assert parse_launch_args(["experiment=quickstart"]).name == "quickstart"


def test_duplicate_points_are_an_error():
    with pytest.raises(ConfigError, match="listed twice"):
        parse_launch_args(["experiment=quickstart", "seed=1,1"])


@pytest.mark.parametrize("content, match", [
    ("points: []\n", "non-empty `points:`"),
    ("points: [a]\nextra: 1\n", "unknown keys"),
    ("points: [{experiment: a, overides: [x=1]}]\n", r"points\[0\]"),
    ("points: [{experiment: a, overrides: 3}]\n", "overrides must be a list"),
    ("points: [\n", "not valid YAML"),
])
def test_bad_sweep_files(exp_dir, content, match):
    _sweep(exp_dir, "bad", content)
    with pytest.raises(ConfigError, match=match):
        load_sweep("bad")


def test_unknown_sweep_lists_available(exp_dir):
    _sweep(exp_dir, "one", {"points": ["a"]})
    with pytest.raises(ConfigError, match=r"sweep 'two' not found.*Available sweeps: one"):
        parse_launch_args(["sweep=two"])


def test_argument_errors():
    with pytest.raises(ConfigError, match="experiment=NAME and/or sweep=NAME"):
        parse_launch_args(["seed=1"])
    with pytest.raises(ConfigError, match="is not KEY=VALUE"):
        parse_launch_args(["experiment=a", "--oops"])


def test_short_labels_show_what_differs():
    from flamkit.slurm.sweeps import short_labels

    grid = [SweepPoint("quickstart", ("seed=0", "train.max_steps=4")), SweepPoint("quickstart", ("seed=1", "train.max_steps=4"))]
    assert short_labels(grid) == ["seed=0", "seed=1"]
    abl = [SweepPoint("flam", ("size=cpu",)), SweepPoint("flam_L128", ("size=cpu",))]
    assert short_labels(abl) == ["flam", "flam_L128"]
    assert short_labels([SweepPoint("flam", ("size=cpu",))]) == ["flam size=cpu"]
    assert short_labels([SweepPoint("flam", ("seed=1",)), SweepPoint("flam", ("seed=1", "x=2"))]) == ["flam", "x=2"]
