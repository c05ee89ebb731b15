"""Named evaluation configs: ``flamkit/conf/eval/NAME.yaml`` and plugins' ``conf/eval/NAME.yaml``.

An evaluation config is a mapping of task label -> ``{name: registered task, **kwargs}``. Values
left as ``???`` (e.g. a dataset's location) must be given on the command line as ``LABEL.KEY=VALUE``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from omegaconf import DictConfig, OmegaConf

from flamkit.config.compose import ConfigError


def eval_config_dirs() -> list[Path]:
    """flamkit's own eval configs first, then each loaded plugin's ``conf/eval``."""
    from flamkit import plugins
    from flamkit.config.compose import _search_path

    plugins.discover()
    dirs = [Path(__file__).resolve().parents[1] / "conf" / "eval"]
    dirs += [Path(p[len("file://"):]) / "eval" for p in _search_path() if p.startswith("file://")]
    return [d for d in dirs if d.is_dir()]


def list_eval_configs() -> list[str]:
    return sorted({p.stem for d in eval_config_dirs() for p in d.glob("*.yaml")})


def eval_config_path(name: str) -> Path:
    """The file of eval config ``name`` (or ``name`` itself when it is a path to a .yaml file)."""
    p = Path(name).expanduser()
    if p.suffix in (".yaml", ".yml") and p.is_file():
        return p
    for d in eval_config_dirs():
        if (d / f"{name}.yaml").is_file():
            return d / f"{name}.yaml"
    raise ConfigError(f"eval config {name!r} not found; available: {', '.join(list_eval_configs()) or '(none)'} (or give a path to a .yaml file)")


def apply_overrides(cfg: DictConfig, overrides: Sequence[str]) -> DictConfig:
    """``LABEL.KEY=VALUE`` overrides (YAML values: lists as ``[a,b]``) merged into ``cfg``."""
    bad = [o for o in overrides if "=" not in o or o.startswith(("+", "~"))]
    if bad:
        raise ConfigError(f"overrides must look like LABEL.KEY=VALUE (e.g. sed.audio_dir=/data/x); got {bad}")
    try:
        return OmegaConf.merge(cfg, OmegaConf.from_dotlist(list(overrides)))
    except Exception as exc:
        raise ConfigError(f"cannot apply overrides {list(overrides)}: {exc}") from None


def load_eval_config(name: str, overrides: Sequence[str] = ()) -> tuple[DictConfig, Path]:
    path = eval_config_path(name)
    cfg = OmegaConf.load(path)
    if not isinstance(cfg, DictConfig) or not cfg:
        raise ConfigError(f"{path}: an eval config must map task labels to {{name: TASK, ...}}")
    return apply_overrides(cfg, overrides), path
