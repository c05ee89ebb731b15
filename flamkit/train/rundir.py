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

import hashlib
import json
import re
import subprocess
from pathlib import Path
from typing import Any, Iterable

from omegaconf import DictConfig, OmegaConf

# Keys that change neither the trained weights nor the metrics.
NON_IDENTITY = (
    "run",
    "data.num_workers",
    "train.log_every",
    "train.val_every",
    "train.figures_every",
    "train.num_figure_clips",
    "train.resume",
    "train.device",
    "train.max_requeues",
    "train.ckpt_every",
    "train.keep_last",
    "model.audio.cache_gb",  # memoising a frozen trunk's features is exact (models/audio/feature_cache.py)
    "model.audio.cache_dir",
)

# Keys added to the schema after runs existed, with the value that reproduces those runs: a config at
# that value hashes as if the key were absent, so existing runs keep their folders and resume.
HASH_NEUTRAL_DEFAULTS: dict[str, Any] = {
    "model.pooling": {"name": "mean"},
    "data.holdout": None,
    "data.mixtures": 100000,
}


def _get(tree: dict[str, Any], dotted: str) -> Any:
    node: Any = tree
    for p in dotted.split("."):
        if not isinstance(node, dict) or p not in node:
            return None
        node = node[p]
    return node


def _drop(tree: dict[str, Any], dotted: str) -> None:
    *parents, leaf = dotted.split(".")
    node: Any = tree
    for p in parents:
        node = node.get(p) if isinstance(node, dict) else None
        if node is None:
            return
    if isinstance(node, dict):
        node.pop(leaf, None)


def identity(cfg: DictConfig | dict[str, Any]) -> dict[str, Any]:
    tree = OmegaConf.to_container(cfg, resolve=True) if isinstance(cfg, DictConfig) else json.loads(json.dumps(cfg))
    for key in NON_IDENTITY:
        _drop(tree, key)
    for key, value in HASH_NEUTRAL_DEFAULTS.items():
        if _get(tree, key) == value:
            _drop(tree, key)
    return tree


def config_hash(cfg: DictConfig | dict[str, Any], length: int = 10) -> str:
    blob = json.dumps(identity(cfg), sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:length]


def _flatten(tree: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(tree, dict):
        out: dict[str, Any] = {}
        for k, v in tree.items():
            out.update(_flatten(v, f"{prefix}{k}."))
        return out
    return {prefix[:-1]: tree}


def config_delta(cfg: DictConfig, reference: DictConfig) -> dict[str, Any]:
    """Flattened identity keys whose value in ``cfg`` differs from ``reference`` (the experiment's defaults)."""
    a, b = _flatten(identity(cfg)), _flatten(identity(reference))
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


def git_commit(cwd: Path | None = None) -> dict[str, Any]:
    """The commit the code runs from and whether the tree had uncommitted changes."""
    cwd = cwd or Path(__file__).resolve().parents[2]
    try:
        sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, check=True).stdout.strip()
        dirty = bool(
            subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=cwd, capture_output=True, text=True).stdout.strip()
        )
        return {"commit": sha, "dirty": dirty}
    except (OSError, subprocess.CalledProcessError):
        return {"commit": None, "dirty": None}


def write_run_info(folder: Path, cfg: DictConfig, extra: Iterable[tuple[str, Any]] = ()) -> None:
    """Save the resolved config and the code version inside the run folder."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.yaml").write_text(OmegaConf.to_yaml(cfg, resolve=True))
    info = {"hash": config_hash(cfg), "git": git_commit(), **dict(extra)}
    (folder / "run.json").write_text(json.dumps(info, indent=2, default=str))
