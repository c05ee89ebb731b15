"""Install a plugin's source folder into a private site dir the quick way, for tests.

``pip install -e`` takes seconds and changes the shared environment; what flamkit needs from an
installation is only the package on ``sys.path`` and a ``*.dist-info`` carrying the entry points of
the plugin's ``pyproject.toml``. Subprocesses given :func:`plugin_env` see the plugin as installed.
"""

from __future__ import annotations

import os
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def fake_install(plugin_root: Path, site: Path) -> str:
    """Write a dist-info for ``plugin_root``'s pyproject into ``site``; return the distribution name."""
    meta = tomllib.loads((plugin_root / "pyproject.toml").read_text())["project"]
    dist = meta["name"]
    info = site / f"{dist.replace('-', '_')}-{meta['version']}.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {meta['version']}\n")
    groups = meta.get("entry-points", {})
    lines = []
    for group, eps in groups.items():
        lines.append(f"[{group}]")
        lines.extend(f"{k} = {v}" for k, v in eps.items())
    (info / "entry_points.txt").write_text("\n".join(lines) + "\n")
    return dist


def plugin_env(*paths: Path) -> dict[str, str]:
    """Environment for a subprocess that imports this checkout's flamkit plus ``paths``, offline, 1 thread."""
    pythonpath = [str(p) for p in paths] + [str(REPO)] + [p for p in sys.path if p]
    return dict(os.environ, PYTHONPATH=os.pathsep.join(pythonpath), OMP_NUM_THREADS="1",
                HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
