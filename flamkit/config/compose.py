"""Compose a run config: an experiment file from ``experiments/`` plus command-line overrides.

Experiments are Hydra primary configs. Each one starts its defaults list with ``/flamkit`` (the
base config in :mod:`flamkit.conf`, one group per concern) and overrides groups or values; an
ablation starts from the experiment it ablates (``- flam``). Config groups shipped by plugins
(a ``conf/`` folder inside the plugin's package) join the search path automatically.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Sequence

from hydra import compose as hydra_compose
from hydra import initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from omegaconf import DictConfig, OmegaConf

from flamkit import plugins
from flamkit.config.schema import register_schema
from flamkit.run_identity import record_followers

EXPERIMENTS_ENV = "FLAMKIT_EXPERIMENTS"


class ConfigError(ValueError):
    """A config that cannot be composed or validated; the message names the key and the fix."""


def experiments_dir() -> Path:
    """Where experiment files live: $FLAMKIT_EXPERIMENTS, ./experiments, or the repo's experiments/."""
    candidates = []
    if os.environ.get(EXPERIMENTS_ENV):
        candidates.append(Path(os.environ[EXPERIMENTS_ENV]))
    candidates.append(Path.cwd() / "experiments")
    candidates.append(Path(__file__).resolve().parents[2] / "experiments")
    for c in candidates:
        if c.is_dir():
            return c.resolve()
    raise ConfigError(
        "no experiments folder found (looked at: " + ", ".join(str(c) for c in candidates) + "). "
        f"Run from the flamkit checkout or set {EXPERIMENTS_ENV}=/path/to/experiments."
    )


def list_experiments() -> list[str]:
    return sorted(p.stem for p in experiments_dir().glob("*.yaml"))


def _search_path() -> list[str]:
    """flamkit's own groups first, then each loaded plugin's ``conf`` package if it has one."""
    paths = ["pkg://flamkit.conf"]
    for info in plugins.loaded():
        top = info.target.split(":")[0].split(".")[0]
        spec = importlib.util.find_spec(top)
        if spec and spec.submodule_search_locations:
            for loc in spec.submodule_search_locations:
                if (Path(loc) / "conf").is_dir():
                    paths.append(f"file://{Path(loc) / 'conf'}")
    return paths


def split_experiment_arg(args: Sequence[str], default: str | None = None) -> tuple[str, list[str]]:
    """Pull ``experiment=NAME`` out of command-line overrides."""
    name, rest = default, []
    for a in args:
        if a.startswith("experiment="):
            name = a.split("=", 1)[1]
        else:
            rest.append(a)
    if not name:
        raise ConfigError("name an experiment: experiment=NAME (one of: " + ", ".join(list_experiments()) + ")")
    return name, rest


def compose(experiment: str, overrides: Sequence[str] = ()) -> DictConfig:
    """The resolved config of ``experiment`` with ``overrides`` applied (Hydra override syntax)."""
    plugins.discover()
    register_schema()
    exp_dir = experiments_dir()
    if not (exp_dir / f"{experiment}.yaml").is_file():
        raise ConfigError(
            f"experiment {experiment!r} not found in {exp_dir}. Available: {', '.join(list_experiments())}"
        )
    search = "hydra.searchpath=[" + ",".join(_search_path()) + "]"
    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(config_dir=str(exp_dir), version_base="1.3"):
            cfg = hydra_compose(config_name=experiment, overrides=[search, *overrides])
    except Exception as exc:  # Hydra's messages name the key; add which experiment and how to list options
        raise ConfigError(f"cannot compose experiment {experiment!r} with overrides {list(overrides)}: {exc}") from exc
    finally:
        GlobalHydra.instance().clear()
    extra = list(cfg.get("plugins") or [])
    if extra:
        plugins.discover(extra)
    record_followers(cfg)  # before resolving forgets them: run folder names use them
    OmegaConf.resolve(cfg)
    return cfg
