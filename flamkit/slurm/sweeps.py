"""Sweeps: which runs one ``flamkit launch`` submits, as a list of points (experiment + overrides).

Points come from two places, multiplied together:

* a sweep file ``experiments/sweeps/NAME.yaml`` (``sweep=NAME``)::

      description: the paper's ablations (C.9, C.10, C.12)
      overrides: [seed=0]            # optional, applied to every point
      points:
        - experiment: flam
        - experiment: flam_L128
        - {experiment: flam, overrides: [optim.lr=1e-4]}
        - overrides: [seed=1]        # no experiment: the one given as experiment=NAME

* grid syntax on the command line, Hydra's multirun syntax: ``seed=0,1,2`` or
  ``model.frames=32,128`` or ``seed=range(0,3)`` or ``experiment=flam,flam_L128``; several of them make
  the cartesian product. Quote a value that contains a comma (``key='a,b'``) to keep it one value.

Overrides apply in this order, later winning: the sweep's ``overrides``, the point's ``overrides``,
the command line. The same grid syntax works inside a sweep file's overrides.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

import yaml

from flamkit.config.compose import ConfigError, experiments_dir

SWEEPS_SUBDIR = "sweeps"


@dataclass(frozen=True)
class SweepPoint:
    """One run of a sweep, before composition: an experiment and its overrides (Hydra syntax)."""

    experiment: str
    overrides: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return " ".join([f"experiment={self.experiment}", *self.overrides])


@dataclass
class LaunchRequest:
    """A ``flamkit launch`` command line taken apart."""

    sweep: str | None
    cluster: str | None
    cluster_overrides: list[str] = field(default_factory=list)
    points: list[SweepPoint] = field(default_factory=list)

    @property
    def name(self) -> str:
        """The sweep's name, or the experiments' when points come from the command line only."""
        if self.sweep:
            return self.sweep
        exps = sorted({p.experiment for p in self.points})
        return exps[0] if len(exps) == 1 else "+".join(exps)


def short_labels(points: Sequence[SweepPoint]) -> list[str]:
    """Labels that show what tells the points apart: the experiment (when they differ or there is
    one point) and the overrides not shared by every point, e.g. ``seed=1`` or ``flam_L128``."""
    if len(points) <= 1:
        return [" ".join([p.experiment, *p.overrides]) for p in points]
    common = set(points[0].overrides).intersection(*(p.overrides for p in points[1:]))
    same_exp = len({p.experiment for p in points}) == 1
    out = []
    for p in points:
        parts = ([] if same_exp else [p.experiment]) + [o for o in p.overrides if o not in common]
        out.append(" ".join(parts) or p.experiment)
    return out


def sweeps_dir() -> Path:
    return experiments_dir() / SWEEPS_SUBDIR


def list_sweeps() -> list[str]:
    d = sweeps_dir()
    return sorted(p.stem for p in d.glob("*.yaml")) if d.is_dir() else []


def _override_list(value: Any, where: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):  # {key: value} form
        return [f"{k}={_yaml_scalar(v)}" for k, v in value.items()]
    if isinstance(value, list) and all(isinstance(v, (str, int, float)) for v in value):
        return [str(v) for v in value]
    raise ConfigError(f"{where}: overrides must be a list of 'key=value' strings or a mapping, got {value!r}")


def _yaml_scalar(v: Any) -> str:
    if isinstance(v, str):
        return v
    return yaml.safe_dump(v, default_flow_style=True).strip().removesuffix("...").strip()


def load_sweep(name: str, default_experiment: str | None = None) -> list[SweepPoint]:
    """The points of ``experiments/sweeps/NAME.yaml`` (grid syntax in them not yet expanded)."""
    path = sweeps_dir() / f"{name}.yaml"
    if not path.is_file():
        raise ConfigError(f"sweep {name!r} not found: no {path}. Available sweeps: {', '.join(list_sweeps()) or 'none'}")
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc})") from exc
    if not isinstance(data, dict) or not isinstance(data.get("points"), list) or not data["points"]:
        raise ConfigError(f"{path}: a sweep file is a mapping with a non-empty `points:` list")
    unknown = set(data) - {"description", "overrides", "points"}
    if unknown:
        raise ConfigError(f"{path}: unknown keys {sorted(unknown)}; a sweep file has description, overrides, points")
    common = _override_list(data.get("overrides"), f"{path}: overrides")
    points = []
    for i, raw in enumerate(data["points"]):
        where = f"{path}: points[{i}]"
        if isinstance(raw, str):
            raw = {"experiment": raw}
        if not isinstance(raw, dict) or set(raw) - {"experiment", "overrides"}:
            raise ConfigError(f"{where}: a point is an experiment name or {{experiment: NAME, overrides: [...]}}, got {raw!r}")
        exp = raw.get("experiment")
        if exp is not None and default_experiment is not None:
            raise ConfigError(
                f"{where} names experiment {exp!r} and the command line says experiment={default_experiment}; "
                f"sweep {name!r} chooses each point's experiment, so drop experiment= from the command line"
            )
        exp = exp or default_experiment
        if not exp:
            raise ConfigError(f"{where} names no experiment; add `experiment:` to it or pass experiment=NAME")
        points.append(SweepPoint(str(exp), tuple(common + _override_list(raw.get("overrides"), where))))
    return points


def expand_grid(overrides: Sequence[str], where: str = "command line") -> list[tuple[str, ...]]:
    """Hydra multirun syntax -> the list of plain override tuples it stands for (cartesian product)."""
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import HydraException

    if not overrides:
        return [()]
    parser = OverridesParser.create()
    axes: list[list[str]] = []
    for text in overrides:
        try:
            (ov,) = parser.parse_overrides([text])
        except HydraException as exc:
            raise ConfigError(f"{where}: cannot parse override {text!r}: {exc}") from exc
        if not ov.is_sweep_override():
            axes.append([text])
            continue
        if "glob(" in text or "interval(" in text:
            raise ConfigError(f"{where}: {text!r}: glob() and interval() are not supported in launch grids; list the values: key=a,b,c")
        try:
            values = list(ov.sweep_string_iterator())
        except Exception as exc:  # Hydra raises several types for unsupported sweeps
            raise ConfigError(f"{where}: cannot expand {text!r}: {exc}") from exc
        if not values:
            raise ConfigError(f"{where}: {text!r} expands to no values")
        axes.append([f"{ov.get_key_element()}={v}" for v in values])
    return [tuple(combo) for combo in itertools.product(*axes)]


def expand_points(points: Iterable[SweepPoint], overrides: Sequence[str] = ()) -> list[SweepPoint]:
    """Each point times the grid of its own overrides plus the command-line ``overrides``."""
    out = []
    for p in points:
        for combo in expand_grid([*p.overrides, *overrides], where=p.label):
            out.append(SweepPoint(p.experiment, combo))
    return out


def parse_launch_args(args: Sequence[str]) -> LaunchRequest:
    """Split ``experiment=``, ``sweep=``, ``cluster=``, ``cluster.KEY=`` from the config overrides."""
    experiment = sweep = cluster = None
    cluster_overrides, rest = [], []
    for a in args:
        key = a.split("=", 1)[0]
        if "=" not in a:
            raise ConfigError(f"argument {a!r} is not KEY=VALUE (flamkit launch experiment=NAME [sweep=NAME] [cluster=NAME] [key=value ...])")
        if key == "experiment":
            experiment = a.split("=", 1)[1]
        elif key == "sweep":
            sweep = a.split("=", 1)[1]
        elif key == "cluster":
            cluster = a.split("=", 1)[1]
        elif key.startswith("cluster."):
            cluster_overrides.append(a)
        else:
            rest.append(a)
    experiments = [None]
    if experiment:
        experiments = [c[0].split("=", 1)[1] for c in expand_grid([f"experiment={experiment}"])]
    if sweep:
        if len(experiments) > 1:
            raise ConfigError("experiment=a,b and sweep= together are ambiguous; put the experiments in the sweep file")
        base = load_sweep(sweep, experiments[0])
    else:
        if experiments == [None]:
            raise ConfigError("name what to launch: experiment=NAME and/or sweep=NAME (sweeps: " + ", ".join(list_sweeps()) + ")")
        base = [SweepPoint(str(e)) for e in experiments]
    points = expand_points(base, rest)
    seen: dict[SweepPoint, int] = {}
    for i, p in enumerate(points):
        if p in seen:
            raise ConfigError(f"point {i} ({p.label}) is listed twice (also point {seen[p]}); each run must be distinct")
        seen[p] = i
    return LaunchRequest(sweep=sweep, cluster=cluster, cluster_overrides=cluster_overrides, points=points)
