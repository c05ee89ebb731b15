"""Run folders named by what the run computes: ``runs/<experiment>/<readable>-<hash>/``.

The hash covers the resolved config minus the keys that do not change the result (logging cadence,
paths, worker counts, resume policy), so launching the same config again - a requeued SLURM job, a
re-run after a crash - finds its own folder and resumes, and a different config never lands in
another run's folder. The readable part lists the values that differ from the experiment's
defaults (the config delta), like ``frames-128+seed-3``; only the hash decides identity. Names use
no ``=`` or ``,`` so a folder can be passed back unquoted as a Hydra override value
(``flam_global=runs/flam_global/<name>``) or on a shell line.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Iterable

from omegaconf import DictConfig, OmegaConf

# What makes two runs the same run, shared with evaluation's comparisons (re-exported here).
from flamkit.run_identity import NON_IDENTITY, config_hash, flatten, git_commit, identity  # noqa: F401


def config_delta(cfg: DictConfig, reference: DictConfig) -> dict[str, Any]:
    """Flattened identity keys whose value in ``cfg`` differs from ``reference`` (the experiment's defaults)."""
    a, b = flatten(identity(cfg)), flatten(identity(reference))
    return {k: v for k, v in sorted(a.items()) if b.get(k, object()) != v}


def readable(delta: dict[str, Any], max_len: int = 60) -> str:
    parts = [re.sub(r"[^A-Za-z0-9._-]", "", f"{k.split('.')[-1]}-{v}") for k, v in delta.items()]
    text = "+".join(parts) or "default"
    return text[:max_len].rstrip("+") or "default"


def run_folder(cfg: DictConfig, reference: DictConfig | None = None, root: str | Path | None = None) -> Path:
    """The folder of this config's run: an existing one with the same hash, else a new name."""
    root = Path(root or cfg.run.root)
    h = config_hash(cfg)
    exp_dir = root / str(cfg.experiment)
    if exp_dir.is_dir():
        for existing in exp_dir.iterdir():
            if existing.is_dir() and existing.name.endswith(f"-{h}"):
                return existing
    name = cfg.run.get("name") or readable(config_delta(cfg, reference) if reference is not None else {})
    return exp_dir / f"{name}-{h}"


def write_run_info(folder: Path, cfg: DictConfig, extra: Iterable[tuple[str, Any]] = ()) -> None:
    """Save the resolved config and the code version inside the run folder."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.yaml").write_text(OmegaConf.to_yaml(cfg, resolve=True))
    info = {"hash": config_hash(cfg), "git": git_commit(), **dict(extra)}
    (folder / "run.json").write_text(json.dumps(info, indent=2, default=str))
