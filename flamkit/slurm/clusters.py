"""Cluster profiles: what a lab's SLURM cluster needs in every sbatch script, in one small YAML file.

A profile names the partition, account, QOS, constraint, time limit, node and GPU counts, CPUs,
memory and the setup lines (``module load ...``) of a job. Profiles are looked up by name in layers,
each overriding the keys of the one before:

1. ``slurm/NAME.yaml`` at the repo root (shared with the lab, committed),
2. ``~/.config/flamkit/clusters/NAME.yaml`` (personal: your account, your QOS),
3. each folder of ``$FLAMKIT_CLUSTERS`` (``os.pathsep``-separated), later folders winning,
4. command-line overrides ``cluster.KEY=VALUE`` (values parsed as YAML: ``cluster.time=120``,
   ``cluster.setup=['module load cuda/12.4']``).

A name found in no layer is an error listing the profiles that exist. An unknown key is an error
naming the file and the closest valid key, so a typo never silently drops a setting.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import yaml

CLUSTERS_ENV = "FLAMKIT_CLUSTERS"
DEFAULT_CLUSTER_ENV = "FLAMKIT_CLUSTER"


class _Loader(yaml.SafeLoader):
    """YAML without sexagesimal numbers: ``time: 01:30:00`` stays the string SLURM means, not 5400."""


_Loader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag not in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver("tag:yaml.org,2002:int", re.compile(r"^[-+]?(?:0|[1-9][0-9_]*)$"), list("-+0123456789"))
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*\.[0-9_]*(?:[eE][-+]?[0-9]+)?|\.[0-9_]+(?:[eE][-+]?[0-9]+)?|\.(?:inf|Inf|INF))$|^\.(?:nan|NaN|NAN)$"),
    list("-+0123456789."),
)


def _yaml(text: str) -> Any:
    return yaml.load(text, Loader=_Loader)


class ClusterError(ValueError):
    """A profile that cannot be found or read; the message names the file/key and the fix."""


@dataclass(frozen=True)
class ClusterProfile:
    """One cluster's sbatch settings. ``None`` leaves the flag out (the cluster's default applies)."""

    name: str = "?"
    partition: str | None = None
    account: str | None = None
    qos: str | None = None
    constraint: str | None = None
    exclude: str | None = None
    time: int = 60  # minutes (``HH:MM:SS`` and ``D-HH:MM:SS`` are accepted in files)
    nodes: int = 1
    gpus_per_node: int = 0
    tasks_per_node: int | None = None  # None: one task per GPU (gpus_per_node), or 1 without GPUs
    cpus_per_task: int = 4
    mem: str | None = None  # SLURM's --mem per node, e.g. "64G"; None: the partition's default
    setup: tuple[str, ...] = ()  # shell lines run before srun: module loads, conda activate, exports
    signal_delay_s: int = 120  # SIGUSR2 this long before the time limit: one step + one checkpoint must fit
    max_requeues: int | None = None  # None: train.max_requeues of the config decides
    array_parallelism: int = 64  # array tasks running at once
    job_name: str = "flamkit"
    python: str | None = None  # command that runs python in the job (e.g. a container); None: this one
    sbatch: Mapping[str, Any] = field(default_factory=dict)  # any other #SBATCH flag, e.g. {mail-type: END}
    source: tuple[str, ...] = ()  # the files this profile was read from, for messages

    @property
    def ntasks_per_node(self) -> int:
        """One process per GPU; CPU jobs run ``tasks_per_node`` processes (1 unless set)."""
        if self.tasks_per_node is not None:
            return self.tasks_per_node
        return max(1, self.gpus_per_node)

    @property
    def world_size(self) -> int:
        return self.nodes * self.ntasks_per_node

    def describe(self) -> dict[str, Any]:
        """JSON-friendly view for the sweep record and ``--dry-run``."""
        out = dataclasses.asdict(self)
        out["setup"] = list(self.setup)
        out["source"] = list(self.source)
        out["sbatch"] = dict(self.sbatch)
        out["ntasks_per_node"] = self.ntasks_per_node
        return out


_FIELDS = {f.name: f for f in dataclasses.fields(ClusterProfile) if f.name not in ("name", "source")}
_INT_FIELDS = {"nodes", "gpus_per_node", "tasks_per_node", "cpus_per_task", "signal_delay_s", "max_requeues", "array_parallelism"}
_STR_FIELDS = {"partition", "account", "qos", "constraint", "exclude", "mem", "job_name", "python"}


def repo_clusters_dir() -> Path:
    """``slurm/`` of the checkout being run from (cwd first, like ``experiments/``)."""
    cwd = Path.cwd() / "slurm"
    if cwd.is_dir():
        return cwd.resolve()
    return Path(__file__).resolve().parents[2] / "slurm"


def search_dirs() -> list[Path]:
    """Profile folders, lowest precedence first."""
    dirs = [repo_clusters_dir(), Path.home() / ".config" / "flamkit" / "clusters"]
    for part in os.environ.get(CLUSTERS_ENV, "").split(os.pathsep):
        if part.strip():
            dirs.append(Path(part).expanduser())
    return dirs


def list_profiles(dirs: Sequence[Path] | None = None) -> list[str]:
    names = set()
    for d in dirs if dirs is not None else search_dirs():
        if d.is_dir():
            names.update(p.stem for p in d.glob("*.yaml"))
    return sorted(names)


def _slurm_seconds(text: str) -> int | None:
    """Seconds of a SLURM time string (sbatch --time formats), or None when it is not one."""
    m = re.fullmatch(r"(\d+)-(\d+)(?::(\d+))?(?::(\d+))?", text)
    if m:
        d, h, mi, se = (int(x) if x else 0 for x in m.groups())
        return ((d * 24 + h) * 60 + mi) * 60 + se
    parts = text.split(":")
    if not 1 <= len(parts) <= 3 or not all(p.isdigit() for p in parts):
        return None
    nums = [int(p) for p in parts]
    if len(nums) == 1:
        return nums[0] * 60
    if len(nums) == 2:  # minutes:seconds
        return nums[0] * 60 + nums[1]
    return (nums[0] * 60 + nums[1]) * 60 + nums[2]


def parse_minutes(value: Any, where: str) -> int:
    """SLURM time as whole minutes: 90, "90", "01:30:00", "1-00:00:00", "30:00" (MM:SS)."""
    if isinstance(value, bool):
        raise ClusterError(f"{where}: time must be minutes or [D-]HH:MM:SS, got {value!r}")
    if isinstance(value, int):
        minutes = value
    elif isinstance(value, str) and value.strip().isdigit():
        minutes = int(value.strip())
    elif isinstance(value, str):
        total_s = _slurm_seconds(value.strip())
        if total_s is None:
            raise ClusterError(f"{where}: time {value!r} is not one of SLURM's formats: M, M:S, H:M:S, D-H, D-H:M, D-H:M:S")
        minutes = -(-total_s // 60)
    else:
        raise ClusterError(f"{where}: time must be minutes or [D-]HH:MM:SS, got {value!r}")
    if minutes <= 0:
        raise ClusterError(f"{where}: time must be positive, got {value!r}")
    return minutes


def _coerce(key: str, value: Any, where: str) -> Any:
    """Check one profile value's type; returns the normalised value."""
    if key not in _FIELDS:
        close = difflib.get_close_matches(key, list(_FIELDS), n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ClusterError(f"{where}: unknown cluster key {key!r}.{hint} Valid keys: {', '.join(sorted(_FIELDS))}")
    if key == "time":
        return parse_minutes(value, f"{where}: time")
    if value is None:
        if key in _STR_FIELDS or key in ("tasks_per_node", "max_requeues"):
            return None
        raise ClusterError(f"{where}: {key} cannot be null")
    if key in _INT_FIELDS:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ClusterError(f"{where}: {key} must be a non-negative integer, got {value!r}")
        if key in ("nodes", "cpus_per_task", "array_parallelism", "tasks_per_node") and value == 0:
            raise ClusterError(f"{where}: {key} must be at least 1")
        return value
    if key in _STR_FIELDS:
        if isinstance(value, (dict, list)):
            raise ClusterError(f"{where}: {key} must be a string, got {value!r}")
        return str(value)
    if key == "setup":
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            raise ClusterError(f"{where}: setup must be a list of shell lines, got {value!r}")
        return tuple(value)
    if key == "sbatch":
        if not isinstance(value, Mapping):
            raise ClusterError(f"{where}: sbatch must be a mapping of extra #SBATCH flags, got {value!r}")
        return dict(value)
    return value


def _read_file(path: Path) -> dict[str, Any]:
    try:
        data = _yaml(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise ClusterError(f"{path}: not valid YAML ({exc})") from exc
    if not isinstance(data, dict):
        raise ClusterError(f"{path}: a cluster profile is a mapping of keys (partition: ..., time: ...), got {type(data).__name__}")
    return {k: _coerce(str(k), v, str(path)) for k, v in data.items()}


def parse_overrides(overrides: Iterable[str]) -> dict[str, Any]:
    """``cluster.KEY=VALUE`` strings -> {KEY: value}; values are YAML (``120``, ``null``, ``[a, b]``)."""
    out: dict[str, Any] = {}
    for o in overrides:
        if not o.startswith("cluster.") or "=" not in o:
            raise ClusterError(f"cluster override {o!r}: write cluster.KEY=VALUE, e.g. cluster.time=120")
        key, raw = o[len("cluster."):].split("=", 1)
        try:
            value = _yaml(raw) if raw != "" else None
        except yaml.YAMLError as exc:
            raise ClusterError(f"cluster override {o!r}: value is not valid YAML ({exc})") from exc
        out[key] = _coerce(key, value, f"command line {o!r}")
    return out


def load_profile(name: str, overrides: Iterable[str] = (), dirs: Sequence[Path] | None = None) -> ClusterProfile:
    """The profile ``name`` merged across the search folders, then the command-line overrides."""
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", name or ""):
        raise ClusterError(f"cluster={name!r}: a profile name is letters, digits, '_', '-', '.'")
    dirs = list(dirs) if dirs is not None else search_dirs()
    values: dict[str, Any] = {}
    sources: list[str] = []
    for d in dirs:
        f = d / f"{name}.yaml"
        if f.is_file():
            values.update(_read_file(f))
            sources.append(str(f))
    if not sources:
        raise ClusterError(
            f"cluster profile {name!r} not found (looked in: {', '.join(str(d) for d in dirs)}). "
            f"Available: {', '.join(list_profiles(dirs)) or 'none'}. Copy slurm/example_gpu.yaml to "
            f"~/.config/flamkit/clusters/{name}.yaml and edit it."
        )
    cli = parse_overrides(overrides)
    values.update(cli)
    if cli:
        sources.append("command line")
    profile = ClusterProfile(name=name, source=tuple(sources), **values)
    if profile.time * 60 <= profile.signal_delay_s + 60:
        raise ClusterError(
            f"cluster {name!r} ({', '.join(sources)}): time={profile.time} min with signal_delay_s={profile.signal_delay_s} "
            "would have SLURM send SIGUSR2 at the job's start (it may send it up to 60 s early, and a process still "
            "starting dies of it); give time more than signal_delay_s + 60 s"
        )
    return profile


def default_cluster_name() -> str | None:
    return os.environ.get(DEFAULT_CLUSTER_ENV) or None
