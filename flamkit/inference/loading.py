"""Load a trained FLAM model for inference from a run folder or a checkpoint.

A checkpoint carries its own ``model.yaml``, so the model is rebuilt from the checkpoint alone
(registered components by name) and its weights are loaded strictly: a checkpoint that does not
match the architecture it names is an error, never a partially initialised model. Plugins listed in
the run's ``config.yaml`` are imported first so that their components can be found.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from omegaconf import OmegaConf

from flamkit.models.flam import FlamModel, build_model
from flamkit.train.checkpoint import BEST, PREFIX, load_checkpoint, resolve_checkpoint


@dataclass
class LoadedModel:
    """A model in eval mode and where it came from."""

    model: FlamModel
    checkpoint: Path  # the ckpt-<step> (or best) folder
    step: int
    run_dir: Path | None  # the run folder holding the checkpoint, when it sits in one


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


def _run_plugins(run_dir: Path | None) -> list[str]:
    if run_dir is None:
        return []
    cfg = OmegaConf.load(run_dir / "config.yaml")
    return [str(p) for p in cfg.get("plugins") or []]


def load_checkpoint_model(run_or_checkpoint: str | Path, device: str | torch.device = "cpu") -> LoadedModel:
    """Build the checkpoint's model, load its weights strictly, move it to ``device``, eval mode.

    ``run_or_checkpoint``: a run folder (its ``best`` checkpoint, else the newest valid one), its
    ``checkpoints/`` folder, or one ``ckpt-<step>`` folder.
    """
    from flamkit import plugins

    folder = resolve_checkpoint(run_or_checkpoint)
    run_dir = run_dir_of(folder)
    plugins.discover(_run_plugins(run_dir))
    loaded = load_checkpoint(folder, with_state=False)
    model = build_model(OmegaConf.create(loaded.model_yaml))
    try:
        model.load_state_dict(loaded.weights, strict=True)
    except RuntimeError as exc:
        raise ValueError(
            f"checkpoint {folder}: its weights do not match the model its model.yaml describes "
            f"(was a registered component changed since training?): {exc}"
        ) from None
    model.to(device).eval()
    return LoadedModel(model, folder, checkpoint_step(folder), run_dir)


def load_model(run_or_checkpoint: str | Path, device: str | torch.device = "cpu") -> FlamModel:
    """The model of a run or checkpoint, on ``device``, in eval mode (see :func:`load_checkpoint_model`)."""
    return load_checkpoint_model(run_or_checkpoint, device).model
