"""Test-session set-up shared by tests/ and plugins/*/tests: the checkout's plugins are visible.

``make install`` installs every ``plugins/*/pyproject.toml`` into the environment, and then this does
nothing. A plugin of this checkout that is not installed (a venv made with ``pip install -e .``
only, or one shared with another checkout) is made visible to the session the quick way
(:mod:`tests.plugin_env`: its folder on ``sys.path`` and a dist-info with its entry points), for this
process and, through ``PYTHONPATH``, for the ``flamkit`` subprocesses tests start. So the tests
always exercise this checkout's plugins, and the environment is never changed.
"""

from __future__ import annotations

import importlib
import importlib.metadata as md
import os
import shutil
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent
_SITE: list[str] = []


def pytest_configure(config) -> None:
    from tests.plugin_env import fake_install

    missing = []
    for pyproject in sorted(ROOT.glob("plugins/*/pyproject.toml")):
        dist = tomllib.loads(pyproject.read_text())["project"]["name"]
        try:
            md.distribution(dist)
        except md.PackageNotFoundError:
            missing.append(pyproject.parent)
    if not missing:
        return
    site = tempfile.mkdtemp(prefix="flamkit-test-plugins-")
    _SITE.append(site)
    for root in missing:
        fake_install(root, Path(site))
    paths = [str(p) for p in missing] + [site]
    sys.path[:0] = paths
    os.environ["PYTHONPATH"] = os.pathsep.join(paths + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p])
    importlib.invalidate_caches()


def pytest_unconfigure(config) -> None:
    for site in _SITE:
        shutil.rmtree(site, ignore_errors=True)
