"""The descriptions a run trained on: listed from its config, kept as ``descriptions.json`` in its folder.

Why: query expansion (flamkit/models/query_expansion.py) pulls an unseen query toward the training
descriptions nearest to it, so inference needs that list. Training writes it into the run folder,
so a run folder carries it to machines without the training manifests; for runs trained before the
file existed, it is listed again from the run's resolved ``config.yaml``.
"""

from __future__ import annotations

import json
from pathlib import Path

from omegaconf import DictConfig

from flamkit.data.build import stream_sources
from flamkit.data.negatives import NegativePool, merge_families

DESCRIPTIONS_FILE = "descriptions.json"


def trained_descriptions(cfg: DictConfig, sample_rate: int, clip_seconds: float) -> list[str]:
    """The event descriptions the SED stream's sources can show, normalised and sorted: what the
    per-text heads were fitted on. Sources without a ``descriptions()`` method add nothing, so an
    empty list means that no source offers one."""
    scfg = ((cfg.get("data") or {}).get("streams") or {}).get("sed")
    if scfg is None:
        return []
    sources, _ = stream_sources(scfg, "sed", sample_rate, clip_seconds)
    offered = (s.descriptions() if callable(getattr(s, "descriptions", None)) else None for s in sources)
    return list(NegativePool.from_families(merge_families(offered)).texts)


def write_descriptions(run_dir: Path, descriptions: list[str]) -> Path:
    path = Path(run_dir) / DESCRIPTIONS_FILE
    path.write_text(json.dumps({"descriptions": list(descriptions)}, indent=0) + "\n")
    return path


def read_descriptions(run_dir: Path) -> list[str] | None:
    """The run folder's list, or None when it has none; a malformed file is an error naming it."""
    path = Path(run_dir) / DESCRIPTIONS_FILE
    if not path.is_file():
        return None
    try:
        texts = json.loads(path.read_text())["descriptions"]
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{path}: not a descriptions file ({{\"descriptions\": [...]}}): {exc}; delete it to list them from config.yaml") from None
    if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
        raise ValueError(f"{path}: \"descriptions\" must be a list of strings; delete it to list them from config.yaml")
    return texts
