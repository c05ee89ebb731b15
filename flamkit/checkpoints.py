"""Reading what training leaves on disk: checkpoint folders, and which one a path means.

A checkpoint is a folder ``ckpt-<step>/`` (or ``best/``) holding ``model.safetensors``,
``model.yaml``, ``state.pt`` and ``manifest.json`` (sha256 of each file); :mod:`flamkit.train.checkpoint`
writes them. Evaluation, inference, the next training stage and studies all read them, so reading
lives here, below all of them, and none of them imports :mod:`flamkit.train`.

**The checkpoint rule** (:func:`choose_checkpoint`, used by ``flamkit eval``, ``detect``, ``index``,
``search``, ``study``, ``flamkit.load`` and ``train.init_from`` / ``flam_global=``): a checkpoint
folder means itself; a run folder, or its ``checkpoints/`` folder, means its *final* checkpoint, the
newest ``ckpt-<step>`` that passes its manifest: the weights the run ended with. ``best`` (lowest
validation SED loss) is used only when named, as ``RUN/checkpoints/best``: a stage trained on the
global loss alone was never selected on the SED loss that ``best`` ranks.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file

log = logging.getLogger(__name__)
PREFIX = "ckpt-"
BEST = "best"
PACKAGED_FILE = "packaged.json"  # written by training when modules are left out (flamkit.models.packaged)


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


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
        if sha256(f) != digest:
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


@dataclass
class Loaded:
    folder: Path
    weights: dict[str, torch.Tensor]
    model_yaml: str
    state: dict[str, Any]
    # Modules left out of ``weights`` because their packages hold them: prefix -> source, sha256.
    # Complete the weights with flamkit.models.packaged.fill_packaged before loading them.
    packaged: dict[str, dict[str, str]] = field(default_factory=dict)


def load_checkpoint(folder: Path, with_state: bool = True) -> Loaded:
    folder = Path(folder)
    ok, why = is_valid(folder)
    if not ok:
        raise ValueError(f"checkpoint {folder} is unusable: {why}")
    state = torch.load(folder / "state.pt", map_location="cpu", weights_only=False) if with_state else {}
    packaged_file = folder / PACKAGED_FILE  # absent in checkpoints written before it existed
    packaged = json.loads(packaged_file.read_text()) if packaged_file.is_file() else {}
    return Loaded(folder, load_file(str(folder / "model.safetensors")), (folder / "model.yaml").read_text(), state, packaged)


@dataclass(frozen=True)
class CheckpointChoice:
    """The checkpoint a path means, and why: every command prints :meth:`describe`."""

    folder: Path
    reason: str

    def describe(self) -> str:
        return f"checkpoint: {self.folder} ({self.reason})"


def choose_checkpoint(path: str | Path) -> CheckpointChoice:
    """The one rule from a path to a checkpoint folder (see the module docstring)."""
    p = Path(path).expanduser()
    if (p / "manifest.json").is_file():
        return CheckpointChoice(p, "the checkpoint folder given")
    for ckpt_dir in (p / "checkpoints", p):
        steps = list_checkpoints(ckpt_dir)
        newest = newest_valid(ckpt_dir)
        if newest is not None:
            skipped = len(steps) - 1 - steps.index(newest)
            note = f"; {skipped} newer unusable checkpoint(s) skipped" if skipped else ""
            return CheckpointChoice(
                newest,
                f"a run folder means its final checkpoint, step {step_of(newest)}{note}; "
                f"name {ckpt_dir / BEST} for the lowest validation loss",
            )
    raise FileNotFoundError(
        f"no valid flamkit checkpoint at {p}: give a run folder (runs/EXP/NAME), its checkpoints/ folder, "
        "or a checkpoint folder (ckpt-<step> or best)"
    )


def run_dir_of(checkpoint: Path) -> Path | None:
    """``runs/EXP/NAME`` for ``runs/EXP/NAME/checkpoints/ckpt-N``; None for a checkpoint outside a run."""
    parent = checkpoint.resolve().parent
    if parent.name == "checkpoints" and (parent.parent / "config.yaml").is_file():
        return parent.parent
    return None


def checkpoint_step(checkpoint: Path) -> int:
    """The training step of a checkpoint: from its folder name, or its saved state for ``best``."""
    name = checkpoint.name
    if name.startswith(PREFIX) and name[len(PREFIX):].isdigit():
        return int(name[len(PREFIX):])
    state = torch.load(checkpoint / "state.pt", map_location="cpu", weights_only=False, mmap=True)
    if "step" not in state:
        raise ValueError(f"checkpoint {checkpoint} ({BEST!r} or renamed) has no step in state.pt")
    return int(state["step"])
