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
from flamkit.run_identity import NON_IDENTITY, config_hash, flatten, followers, git_commit, identity  # noqa: F401


def config_delta(cfg: DictConfig, reference: DictConfig) -> dict[str, Any]:
    """Flattened identity keys whose value in ``cfg`` differs from ``reference`` (the experiment's defaults).

    A key that only follows another changed key (a plain ``${that.key}`` in both configs when they
    were composed, like every source's ``holdout.seed: ${data.holdout.seed}``) is left out: the
    change is named once, where it was made, not once per follower. It still counts in the hash.
    """
    a, b = flatten(identity(cfg)), flatten(identity(reference))
    changed = {k: v for k, v in sorted(a.items()) if b.get(k, object()) != v}
    mine, theirs = followers(cfg), followers(reference)

    def follows_a_change(key: str) -> bool:
        source = mine.get(key)
        return source is not None and theirs.get(key) == source and source in changed

    return {k: v for k, v in changed.items() if not follows_a_change(k)}


def _short_keys(keys: list[str]) -> list[str]:
    """Each dotted key's shortest tail that no other key in ``keys`` ends with (``seed``, ``holdout.seed``)."""
    out = []
    for key in keys:
        parts = key.split(".")
        for n in range(1, len(parts) + 1):
            tail = ".".join(parts[-n:])
            if not any(o != key and (o == tail or o.endswith("." + tail)) for o in keys):
                break
        out.append(tail)
    return out


def readable(delta: dict[str, Any], max_len: int = 60) -> str:
    """``frames-128+seed-3``: each changed key by its shortest unambiguous tail, then its value."""
    names = _short_keys(list(delta))
    parts = [re.sub(r"[^A-Za-z0-9._-]", "", f"{k}-{v}") for k, v in zip(names, delta.values())]
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
