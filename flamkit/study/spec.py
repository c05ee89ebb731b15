"""Study files: ``experiments/studies/NAME.yaml``, several trained models compared on one evaluation.

A study names its stages (an experiment each, optionally initialised from an earlier stage's final
weights), the overrides every stage shares (``size=cpu``, ``data=debian_sfx``), the evaluation config
all are scored on, and the claims its report checks against the measured numbers::

    description: FLAM vs FLAM-Global vs FLAM without per-text bias
    overrides: [size=cpu]
    eval: embedded_heldout          # a config of flamkit/conf/eval/ (or a path)
    task: heldout                   # the task label of that config whose numbers the report tables
    stages:
      - {name: flam_global, experiment: flam_global, label: FLAM-Global}
      - {name: flam, experiment: flam, init: flam_global, label: FLAM}
    query_expansion: {k: 20, tau: 0.1, weight: 0.5}   # optional (flamkit/models/query_expansion.py)
    claims:
      - {kind: above, model: flam, baseline: flam_global, metric: present_auroc, margin: 0.1}
      - {kind: calibrated, model: flam, tolerance: 0.03}
      - {kind: worse_calibrated, model: flam_no_text_bias, than: flam}
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from omegaconf import OmegaConf

from flamkit.config.compose import ConfigError, experiments_dir, list_experiments
from flamkit.models.query_expansion import QueryExpansion

STUDIES_SUBDIR = "studies"
CLAIM_KINDS = {
    "above": ("model", "baseline", "metric", "margin"),
    "calibrated": ("model", "tolerance"),
    "worse_calibrated": ("model", "than"),
}


@dataclass(frozen=True)
class Stage:
    """One trained model of a study."""

    name: str
    experiment: str
    label: str
    init: Optional[str] = None  # an earlier stage whose final weights start this one (``flam_global=``)
    overrides: tuple[str, ...] = ()


@dataclass(frozen=True)
class Claim:
    kind: str
    args: dict[str, Any]


@dataclass(frozen=True)
class StudySpec:
    name: str
    path: Path
    description: str
    eval: str
    task: str
    stages: tuple[Stage, ...]
    also_tasks: tuple[str, ...] = ()  # more tasks of the same evaluation, each tabled after the main one
    overrides: tuple[str, ...] = ()
    eval_overrides: tuple[str, ...] = ()
    mode: str = "unbiased"
    examples: int = 3
    claims: tuple[Claim, ...] = field(default_factory=tuple)
    query_expansion: Optional[QueryExpansion] = None  # every stage's queries expanded at evaluation

    def stage(self, name: str) -> Stage:
        return next(s for s in self.stages if s.name == name)


def studies_dir() -> Path:
    return experiments_dir() / STUDIES_SUBDIR


def list_studies() -> list[str]:
    folder = studies_dir()
    return sorted(p.stem for p in folder.glob("*.yaml")) if folder.is_dir() else []


def load_study(name_or_path: str) -> StudySpec:
    """Read and check a study file; every problem names the file and the key to fix."""
    path = Path(name_or_path)
    if path.suffix not in (".yaml", ".yml"):
        path = studies_dir() / f"{name_or_path}.yaml"
    if not path.is_file():
        raise ConfigError(f"no study {name_or_path!r} (looked for {path}); available: {', '.join(list_studies()) or 'none'}")
    raw = OmegaConf.to_container(OmegaConf.load(path), resolve=False)
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: a study file is a mapping with stages:, eval:, task:")

    def need(key: str, kind: type) -> Any:
        if key not in raw:
            raise ConfigError(f"{path}: missing key `{key}`")
        if not isinstance(raw[key], kind):
            raise ConfigError(f"{path}: `{key}` must be a {kind.__name__}, got {type(raw[key]).__name__}")
        return raw[key]

    unknown = set(raw) - {"description", "overrides", "eval", "eval_overrides", "task", "also_tasks", "mode", "examples",
                          "stages", "claims", "query_expansion"}
    if unknown:
        raise ConfigError(f"{path}: unknown key(s) {sorted(unknown)}")
    experiments = set(list_experiments())
    stages: list[Stage] = []
    for i, node in enumerate(need("stages", list)):
        where = f"{path}: stages[{i}]"
        if not isinstance(node, dict) or not {"name", "experiment"} <= set(node):
            raise ConfigError(f"{where}: each stage needs name: and experiment:")
        extra = set(node) - {"name", "experiment", "label", "init", "overrides"}
        if extra:
            raise ConfigError(f"{where}: unknown key(s) {sorted(extra)}")
        if node["experiment"] not in experiments:
            raise ConfigError(f"{where}: no experiment {node['experiment']!r} (available: {', '.join(sorted(experiments))})")
        if any(s.name == node["name"] for s in stages):
            raise ConfigError(f"{where}: stage name {node['name']!r} is used twice")
        init = node.get("init")
        if init is not None and not any(s.name == init for s in stages):
            raise ConfigError(f"{where}: init {init!r} is not an earlier stage (earlier: {[s.name for s in stages]})")
        stages.append(Stage(str(node["name"]), str(node["experiment"]), str(node.get("label", node["name"])), init,
                            tuple(str(o) for o in node.get("overrides", []))))
    if not stages:
        raise ConfigError(f"{path}: `stages` is empty")
    names = {s.name for s in stages}
    claims: list[Claim] = []
    for i, node in enumerate(raw.get("claims", []) or []):
        where = f"{path}: claims[{i}]"
        kind = node.get("kind") if isinstance(node, dict) else None
        if kind not in CLAIM_KINDS:
            raise ConfigError(f"{where}: kind must be one of {sorted(CLAIM_KINDS)}, got {kind!r}")
        args = {k: v for k, v in node.items() if k != "kind"}
        if set(args) - set(CLAIM_KINDS[kind]) - {"text"} or set(CLAIM_KINDS[kind]) - set(args):
            raise ConfigError(f"{where}: a `{kind}` claim takes {list(CLAIM_KINDS[kind])} (+ optional text), got {sorted(args)}")
        for key in ("model", "baseline", "than"):
            if key in args and args[key] not in names:
                raise ConfigError(f"{where}: {key} {args[key]!r} is not a stage (stages: {sorted(names)})")
        claims.append(Claim(kind, args))
    mode = str(raw.get("mode", "unbiased"))
    try:
        expansion = QueryExpansion.parse(raw.get("query_expansion"), f"{path}: query_expansion")
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    return StudySpec(
        name=path.stem, path=path, description=str(raw.get("description", "")),
        eval=str(need("eval", str)), task=str(need("task", str)), stages=tuple(stages),
        overrides=tuple(str(o) for o in raw.get("overrides", []) or []),
        eval_overrides=tuple(str(o) for o in raw.get("eval_overrides", []) or []),
        mode=mode, examples=int(raw.get("examples", 3)), claims=tuple(claims),
        also_tasks=tuple(str(t) for t in raw.get("also_tasks", []) or []),
        query_expansion=expansion,
    )
