"""Atomic, self-validating training checkpoints.

A checkpoint is a folder ``ckpt-<step>/`` holding ``model.safetensors`` (weights), ``model.yaml``
(the model config, so a checkpoint can be loaded without its run), ``state.pt`` (optimizer,
scheduler, grad scaler, step, every rank's RNG states, the data streams' positions) and
``manifest.json`` (sha256 of each file). It is written under a temporary name, fsynced and renamed,
so a crash leaves either the old set of checkpoints or the new one. Loading verifies the manifest
and falls back to the previous checkpoint, with a warning, when the newest is truncated or corrupt.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

log = logging.getLogger(__name__)
PREFIX = "ckpt-"
BEST = "best"


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_file(path: Path) -> None:
    with open(path, "rb") as f:
        os.fsync(f.fileno())


def write_checkpoint(folder: Path, weights: dict[str, torch.Tensor], model_yaml: str, state: dict[str, Any]) -> Path:
    """Write a checkpoint folder atomically (tmp folder, fsync, rename); returns its final path."""
    folder = Path(folder)
    tmp = folder.with_name(folder.name + ".tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    save_file({k: v.detach().contiguous().cpu() for k, v in weights.items()}, str(tmp / "model.safetensors"))
    (tmp / "model.yaml").write_text(model_yaml)
    torch.save(state, tmp / "state.pt")
    manifest = {name: _sha256(tmp / name) for name in ("model.safetensors", "model.yaml", "state.pt")}
    (tmp / "manifest.json").write_text(json.dumps(manifest, indent=1))
    for name in (*manifest, "manifest.json"):
        _fsync_file(tmp / name)
    _fsync_dir(tmp)
    if folder.exists():
        shutil.rmtree(folder)
    os.replace(tmp, folder)
    _fsync_dir(folder.parent)
    return folder


def is_valid(folder: Path) -> tuple[bool, str]:
    """Whether every file listed in the manifest exists with its recorded hash."""
    manifest = folder / "manifest.json"
    if not manifest.is_file():
        return False, "no manifest.json (incomplete write)"
    try:
        expected = json.loads(manifest.read_text())
    except json.JSONDecodeError as exc:
        return False, f"manifest.json is corrupt ({exc})"
    for name, digest in expected.items():
        f = folder / name
        if not f.is_file():
            return False, f"{name} is missing"
        if _sha256(f) != digest:
            return False, f"{name} does not match its sha256 (truncated or corrupt)"
    return True, ""


def step_of(folder: Path) -> int:
    return int(folder.name[len(PREFIX):])


def list_checkpoints(ckpt_dir: Path) -> list[Path]:
    """Step checkpoints, oldest first (``best`` and temporary folders excluded)."""
    if not ckpt_dir.is_dir():
        return []
    found = [p for p in ckpt_dir.iterdir() if p.is_dir() and p.name.startswith(PREFIX) and p.name[len(PREFIX):].isdigit()]
    return sorted(found, key=step_of)


def newest_valid(ckpt_dir: Path) -> Path | None:
    """The newest checkpoint that passes its manifest; invalid newer ones are warned about and skipped."""
    for folder in reversed(list_checkpoints(Path(ckpt_dir))):
        ok, why = is_valid(folder)
        if ok:
            return folder
        log.warning("checkpoint %s is unusable (%s); falling back to the previous one", folder, why)
    return None


def prune(ckpt_dir: Path, keep_last: int) -> None:
    for folder in list_checkpoints(Path(ckpt_dir))[:-keep_last] if keep_last > 0 else []:
        shutil.rmtree(folder, ignore_errors=True)


@dataclass
class Loaded:
    folder: Path
    weights: dict[str, torch.Tensor]
    model_yaml: str
    state: dict[str, Any]


def load_checkpoint(folder: Path, with_state: bool = True) -> Loaded:
    folder = Path(folder)
    ok, why = is_valid(folder)
    if not ok:
        raise ValueError(f"checkpoint {folder} is unusable: {why}")
    state = torch.load(folder / "state.pt", map_location="cpu", weights_only=False) if with_state else {}
    return Loaded(folder, load_file(str(folder / "model.safetensors")), (folder / "model.yaml").read_text(), state)


def resolve_checkpoint(path: str | Path, prefer: str = "best") -> Path:
    """A checkpoint folder from a checkpoint path, a run folder or its ``checkpoints/`` folder.

    ``prefer="best"`` (evaluation, detection) takes the run's ``best`` checkpoint (lowest validation
    SED loss) when it has one, else the newest; ``prefer="last"`` (initialising a next stage, as FLAM
    from FLAM-Global) takes the newest valid one: the weights the run ended with. A stage-1 run that
    only trains the global loss is not selected on a frame-wise loss it never optimised.
    """
    if prefer not in ("best", "last"):
        raise ValueError(f"prefer must be 'best' or 'last', got {prefer!r}")
    p = Path(path).expanduser()
    if (p / "manifest.json").is_file():
        return p
    for ckpt_dir in (p / "checkpoints", p):
        best = ckpt_dir / BEST
        if prefer == "best" and best.is_dir() and is_valid(best)[0]:
            return best
        newest = newest_valid(ckpt_dir)
        if newest is not None:
            return newest
    raise FileNotFoundError(
        f"no valid flamkit checkpoint at {p}: give a run folder (runs/EXP/HASH), its checkpoints/ folder, "
        "or a ckpt-<step> folder"
    )
