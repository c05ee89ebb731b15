"""Cluster profiles: layered lookup, command-line overrides, SLURM time formats, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from flamkit.slurm.clusters import ClusterError, load_profile, parse_minutes, repo_clusters_dir

REPO_SLURM = Path(__file__).resolve().parents[2] / "slurm"


def _write(d: Path, name: str, text: str) -> Path:
    d.mkdir(parents=True, exist_ok=True)
    (d / f"{name}.yaml").write_text(text)
    return d


def test_repo_profiles_load():
    local = load_profile("local", dirs=[REPO_SLURM])
    assert local.partition == "debug" and local.gpus_per_node == 0 and local.ntasks_per_node == 1
    gpu = load_profile("example_gpu", dirs=[REPO_SLURM])
    assert gpu.gpus_per_node == 8 and gpu.ntasks_per_node == 8 and gpu.time == 24 * 60
    assert gpu.world_size == 8 and any(line.startswith("module load") for line in gpu.setup)


def test_repo_dir_is_found_from_the_checkout():
    assert (repo_clusters_dir() / "local.yaml").is_file()


def test_layers_override_in_order(tmp_path):
    repo = _write(tmp_path / "repo", "c", "partition: gpu\ntime: 60\ngpus_per_node: 4\nsetup: [module load a]\n")
    user = _write(tmp_path / "user", "c", "account: mylab\ntime: 02:00:00\n")
    env = _write(tmp_path / "env", "c", "qos: high\n")
    p = load_profile("c", ["cluster.time=15", "cluster.nodes=2", "cluster.setup=['module load b', 'export X=1']"],
                     dirs=[repo, user, env])
    assert (p.partition, p.account, p.qos, p.time, p.nodes, p.gpus_per_node) == ("gpu", "mylab", "high", 15, 2, 4)
    assert p.setup == ("module load b", "export X=1")
    assert p.world_size == 8  # one rank per GPU on each node
    assert p.source[-1] == "command line" and len(p.source) == 4


def test_user_only_profile_and_defaults(tmp_path):
    user = _write(tmp_path / "user", "mine", "partition: p\n")
    p = load_profile("mine", dirs=[tmp_path / "nothing", user])
    assert p.partition == "p" and p.time == 60 and p.ntasks_per_node == 1 and p.max_requeues is None


def test_env_var_folders(tmp_path, monkeypatch):
    a = _write(tmp_path / "a", "x", "partition: from_a\n")
    b = _write(tmp_path / "b", "x", "partition: from_b\n")
    monkeypatch.setenv("FLAMKIT_CLUSTERS", f"{a}:{b}")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert load_profile("x").partition == "from_b"


def test_unknown_key_names_file_and_suggests(tmp_path):
    d = _write(tmp_path, "c", "partiton: gpu\n")
    with pytest.raises(ClusterError, match=r"c\.yaml.*'partiton'.*Did you mean 'partition'"):
        load_profile("c", dirs=[d])
    with pytest.raises(ClusterError, match=r"cluster\.gpus_per_nod=.*Did you mean 'gpus_per_node'"):
        load_profile("c", ["cluster.gpus_per_nod=2"], dirs=[_write(tmp_path / "ok", "c", "partition: p\n")])


@pytest.mark.parametrize("text, match", [
    ("nodes: 0\n", "nodes must be at least 1"),
    ("gpus_per_node: two\n", "gpus_per_node must be a non-negative integer"),
    ("setup: {a: 1}\n", "setup must be a list"),
    ("time: soon\n", "not one of SLURM's formats"),
    ("- a\n- b\n", "a cluster profile is a mapping"),
    ("time: [\n", "not valid YAML"),
])
def test_bad_values_are_reported(tmp_path, text, match):
    d = _write(tmp_path, "c", text)
    with pytest.raises(ClusterError, match=match):
        load_profile("c", dirs=[d])


def test_missing_profile_lists_available(tmp_path):
    d = _write(tmp_path, "alpha", "partition: a\n")
    with pytest.raises(ClusterError, match=r"'beta' not found.*Available: alpha"):
        load_profile("beta", dirs=[d])


def test_bad_override_syntax(tmp_path):
    d = _write(tmp_path, "c", "partition: a\n")
    with pytest.raises(ClusterError, match="cluster.KEY=VALUE"):
        load_profile("c", ["cluster.time"], dirs=[d])


@pytest.mark.parametrize("value, minutes", [
    (90, 90), ("90", 90), ("01:30:00", 90), ("30:00", 30), ("00:00:30", 1), ("1-00:00:00", 1440),
    ("1-12", 36 * 60), ("1-12:30", 36 * 60 + 30), ("2:00:01", 121),
])
def test_slurm_time_formats(value, minutes):
    assert parse_minutes(value, "t") == minutes


def test_unquoted_hms_in_yaml_is_not_sexagesimal(tmp_path):
    d = _write(tmp_path, "c", "time: 01:30:00\n")  # YAML 1.1 would read 5400
    assert load_profile("c", dirs=[d]).time == 90
    assert load_profile("c", ["cluster.time=02:00:00"], dirs=[d]).time == 120


def test_time_limit_must_leave_room_before_the_signal(tmp_path):
    d = _write(tmp_path, "c", "time: 2\nsignal_delay_s: 60\n")
    with pytest.raises(ClusterError, match="SIGUSR2 at the job's start"):
        load_profile("c", dirs=[d])
    assert load_profile("c", ["cluster.signal_delay_s=30"], dirs=[d]).time == 2
