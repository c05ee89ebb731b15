"""What makes a run the run it is: its config's identity and hash, and the code version it ran.

:mod:`flamkit.train.rundir` names run folders by :func:`config_hash`; :mod:`flamkit.eval.compare`
tabulates runs by the keys of :func:`identity`; ``flamkit eval`` and study reports record
:func:`git_commit`. It sits in the base layer so that evaluation needs nothing from training.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

# Keys that change neither the trained weights nor the metrics.
NON_IDENTITY = (
    "run",
    "data.num_workers",
    "data.pin_memory",  # how batches reach the device, not which batches
    "data.prefetch_factor",
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
    # issue 14's speed keys, at the values that reproduce the runs before them
    "optim.fused": None,
    "optim.foreach": None,
    "train.compile": False,
    "train.compile_backend": "inductor",
    "train.find_unused_parameters": "true",
    "train.static_graph": False,
    # the aisfx trunk's output options (issue 13), at the package's own
    "model.audio.layers": [4],
    "model.audio.mel_pool": "mean",
    # negatives beyond the batch (issue 13, sixth session); off reproduces every earlier run
    "data.negatives": 0,
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


_REFERENCE = re.compile(r"^\$\{([A-Za-z_][\w.]*)\}$")
_FOLLOWERS_ATTR = "_flamkit_followers"


def record_followers(cfg: DictConfig) -> None:
    """Remember, on an *unresolved* config, which keys are a plain ``${other.key}`` (key -> other.key).

    Resolving a config (as composition does) forgets that ``data.streams.sed.sources.mix.holdout.seed``
    only follows ``data.holdout.seed``; a run folder's readable name needs it, to name a change once.
    The map rides on the object (not in the config, so neither the hash nor config.yaml sees it) and
    is lost by copies; :func:`followers` then returns an empty map and names only get longer.
    """
    raw = flatten(OmegaConf.to_container(cfg, resolve=False))
    found = {k: m.group(1) for k, v in raw.items() if isinstance(v, str) and (m := _REFERENCE.match(v))}
    object.__setattr__(cfg, _FOLLOWERS_ATTR, found)


def followers(cfg: DictConfig) -> dict[str, str]:
    """The map :func:`record_followers` left on ``cfg`` (empty if none)."""
    return dict(getattr(cfg, _FOLLOWERS_ATTR, None) or {})


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


def flatten(tree: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(tree, dict):
        out: dict[str, Any] = {}
        for k, v in tree.items():
            out.update(flatten(v, f"{prefix}{k}."))
        return out
    return {prefix[:-1]: tree}


def git_commit(cwd: Path | None = None) -> dict[str, Any]:
    """The commit the code runs from and whether the tree had uncommitted changes."""
    cwd = cwd or Path(__file__).resolve().parents[1]
    try:
        sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, check=True).stdout.strip()
        dirty = bool(
            subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=cwd, capture_output=True, text=True).stdout.strip()
        )
        return {"commit": sha, "dirty": dirty}
    except (OSError, subprocess.CalledProcessError):
        return {"commit": None, "dirty": None}
