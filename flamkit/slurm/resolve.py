"""Sweep points -> resolved, validated configs with their run folders, before anything is submitted.

Every point is composed and validated (:func:`flamkit.config.validate.validate`), its
``train.init_from`` checked to be a usable checkpoint, and its run folder found by config hash. All
problems of all points are collected and raised together, each naming its point, so a typo in one
ablation fails in seconds on the login node rather than after hours in the queue. Two points with
the same config hash (they would train into the same folder at once) are an error too.

The configs are resolved here, once: the job trains exactly what was validated, even if the
experiment files change while it waits in the queue.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from omegaconf import DictConfig, OmegaConf, open_dict

from flamkit.checkpoints import choose_checkpoint
from flamkit.config.compose import ConfigError, compose
import flamkit.train.loop  # noqa: F401  (registers every kind a run config names, as train() has them)
from flamkit.config.checks import check_config
from flamkit.slurm.sweeps import SweepPoint
from flamkit.train.rundir import config_hash, run_folder


@dataclass
class ResolvedPoint:
    index: int
    point: SweepPoint
    cfg: DictConfig
    reference: DictConfig  # the experiment without overrides: the run folder's readable name is the delta
    run_dir: Path
    config_hash: str


def _check_init_from(cfg: DictConfig) -> str | None:
    init = OmegaConf.select(cfg, "train.init_from")
    if not init:
        return None
    try:
        choose_checkpoint(init)
    except (FileNotFoundError, ValueError) as exc:
        return f"train.init_from={init}: {exc} (relative paths are read from the folder you launch in)"
    return None


PROBE = "/flamkit-probe/flam_global"


def warnings_for(points: Sequence[ResolvedPoint]) -> list[str]:
    """Things that are valid but probably not meant: FLAM points with no FLAM-Global run to start from.

    An experiment "uses" ``flam_global`` when setting it changes ``train.init_from`` (found by
    composing it once with a probe value), so this follows the experiment files, not their names.
    """
    unset = sorted({p.point.experiment for p in points if OmegaConf.select(p.cfg, "flam_global") is None
                    and not OmegaConf.select(p.cfg, "train.init_from")})
    users = [e for e in unset if OmegaConf.select(compose(e, [f"flam_global={PROBE}"]), "train.init_from") == PROBE]
    if not users:
        return []
    return [f"flam_global is not set, so {', '.join(users)} start(s) from scratch instead of a FLAM-Global run "
            "(the paper's FLAM stage): pass flam_global=runs/flam_global/<run> unless that is what you want"]


def resolve_points(points: Sequence[SweepPoint], max_requeues: int | None = None) -> list[ResolvedPoint]:
    """Compose, validate and place every point; raise one ConfigError listing every problem."""
    resolved: list[ResolvedPoint] = []
    problems: list[str] = []
    references: dict[str, DictConfig] = {}
    for i, point in enumerate(points):
        where = f"point {i} ({point.label})"
        try:
            cfg = compose(point.experiment, point.overrides)
            if point.experiment not in references:
                references[point.experiment] = compose(point.experiment, [])
            check_config(cfg)
        except ConfigError as exc:
            problems.append(f"{where}: {exc}")
            continue
        bad_init = _check_init_from(cfg)
        if bad_init:
            problems.append(f"{where}: {bad_init}")
            continue
        with open_dict(cfg):  # neither key is part of the config hash
            cfg.run.root = str(Path(str(cfg.run.root)).expanduser().resolve())
            if max_requeues is not None and not any(o.startswith("train.max_requeues=") for o in point.overrides):
                cfg.train.max_requeues = int(max_requeues)
        reference = references[point.experiment]
        resolved.append(ResolvedPoint(i, point, cfg, reference, run_folder(cfg, reference), config_hash(cfg)))
    by_hash: dict[str, ResolvedPoint] = {}
    for r in resolved:
        if r.config_hash in by_hash:
            other = by_hash[r.config_hash]
            problems.append(f"point {r.index} ({r.point.label}) and point {other.index} ({other.point.label}) resolve to "
                            f"the same config (hash {r.config_hash}) and would train into one folder; drop one")
        by_hash[r.config_hash] = r
    if problems:
        raise ConfigError(f"{len(problems)} of {len(points)} sweep point(s) cannot run; nothing was submitted:\n  - "
                          + "\n  - ".join(problems))
    return resolved
