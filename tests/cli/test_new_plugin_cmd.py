"""``flamkit new-plugin``: the skeleton installs, shows up in ``flamkit list`` and passes its own tests."""

import json
import subprocess
import sys

from flamkit.cli import main
from flamkit.cli.new_plugin_cmd import PluginNames, check_name, skeleton_files
from tests.plugin_env import fake_install, plugin_env


def test_skeleton_installs_registers_and_passes_its_tests(tmp_path, capsys):
    assert main(["new-plugin", "acme_lab", "--dir", str(tmp_path)]) == 0
    root = tmp_path / "acme_lab"
    assert "pip install -e" in capsys.readouterr().out
    files = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    assert files == sorted(skeleton_files(PluginNames("acme_lab")))
    assert "flamkit_acme_lab/conf/loss/acme_lab_dcl.yaml" in files and "tests/test_acme_lab.py" in files
    assert not any("{{" in (root / f).read_text() for f in files)

    site = tmp_path / "site"
    assert fake_install(root, site) == "flamkit-acme-lab"
    env = plugin_env(root, site)
    listed = subprocess.run([sys.executable, "-m", "flamkit.cli", "list", "--json"], capture_output=True, text=True, env=env)
    assert listed.returncode == 0, listed.stderr
    data = json.loads(listed.stdout)
    sources = {e["name"]: e["source"] for kind in ("audio_encoder", "loss") for e in data["registries"][kind]}
    assert sources["acme_lab_mel_conv"] == sources["acme_lab_dcl"] == "flamkit-acme-lab"
    tests = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
                           capture_output=True, text=True, env=env, cwd=root)
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert "3 passed" in tests.stdout


def test_bad_names_and_existing_folders_are_refused(tmp_path, capsys):
    assert check_name("Acme") and check_name("1lab") and check_name("my-lab") and check_name("class")
    assert check_name("my_lab2") is None
    assert main(["new-plugin", "My-Lab", "--dir", str(tmp_path)]) == 2
    assert "lower-case" in capsys.readouterr().err
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "x").write_text("mine")
    assert main(["new-plugin", "taken", "--dir", str(tmp_path)]) == 2
    assert "not empty" in capsys.readouterr().err and (tmp_path / "taken" / "x").read_text() == "mine"
