"""Plugin discovery with a throwaway plugin package installed into a private site dir."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

PLUGIN_PY = """
from flamkit.registry import LOSSES, AUGMENTERS

@LOSSES.register("toy_loss")
class ToyLoss:
    '''A loss from a throwaway plugin.'''
    stream = "global"

def setup():
    @AUGMENTERS.register("toy_aug")
    def toy_aug(p: float = 0.5):
        '''An augmenter registered by a setup function.'''
        return None
"""


def _make_plugin(root: Path, broken: bool = False) -> Path:
    """A dist-info with a flamkit.plugins entry point, placed on a private sys.path entry."""
    site = root / "site"
    pkg = site / "toyplugin"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text(PLUGIN_PY if not broken else "raise ImportError('missing dependency xyz')\n")
    dist = site / "toyplugin-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: toyplugin\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[flamkit.plugins]\ntoy = toyplugin\ntoy_setup = toyplugin:setup\n")
    return site


def _flamkit(args, site: Path):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(site), *sys.path]))
    return subprocess.run([sys.executable, "-m", "flamkit.cli", *args], capture_output=True, text=True, env=env)


def test_installed_plugin_appears_in_list(tmp_path):
    site = _make_plugin(tmp_path)
    out = _flamkit(["list", "--json"], site)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    losses = {e["name"]: e for e in data["registries"]["loss"]}
    augs = {e["name"]: e for e in data["registries"]["augmenter"]}
    assert losses["toy_loss"]["source"] == "toyplugin"
    assert augs["toy_aug"]["source"] == "toyplugin"
    assert losses["clip"]["source"] == "core"
    assert {p["name"] for p in data["plugins"]} >= {"toy", "toy_setup"}


def test_broken_plugin_is_named(tmp_path):
    site = _make_plugin(tmp_path, broken=True)
    out = _flamkit(["list"], site)
    assert out.returncode != 0
    assert "plugin 'toy'" in out.stderr and "missing dependency xyz" in out.stderr


def test_config_listed_module_registers(tmp_path, monkeypatch):
    mod = tmp_path / "inrepo_plugin.py"
    mod.write_text(textwrap.dedent('''
        from flamkit.registry import HEADS
        @HEADS.register("inrepo_head")
        def inrepo_head(in_dim: int):
            """In-repo plugin head."""
    '''))
    monkeypatch.syspath_prepend(str(tmp_path))
    from flamkit import plugins
    from flamkit.registry import HEADS

    plugins.discover(["inrepo_plugin"])
    assert HEADS.entry("inrepo_head").source == "inrepo_plugin"
