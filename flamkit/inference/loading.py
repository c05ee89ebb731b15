"""Load a trained FLAM model for inference from a run folder or a checkpoint.

A checkpoint carries its own ``model.yaml``, so the model is rebuilt from the checkpoint alone
(registered components by name) and its weights are loaded strictly: a checkpoint that does not
match the architecture it names is an error, never a partially initialised model.
"""

from __future__ import annotations

from pathlib import Path

import torch
from omegaconf import OmegaConf

from flamkit.models.flam import FlamModel, build_model
from flamkit.train.checkpoint import load_checkpoint, resolve_checkpoint


def load_model(run_or_checkpoint: str | Path, device: str | torch.device = "cpu") -> FlamModel:
    """The model of a run folder (its best, else newest valid checkpoint), its ``checkpoints/`` folder
    or a ``ckpt-<step>`` folder, on ``device``, in eval mode."""
    from flamkit import plugins

    plugins.discover()  # core components and installed plugins, whose encoders a checkpoint may name
    folder = resolve_checkpoint(run_or_checkpoint)
    loaded = load_checkpoint(folder, with_state=False)
    model = build_model(OmegaConf.create(loaded.model_yaml))
    try:
        model.load_state_dict(loaded.weights, strict=True)
    except RuntimeError as exc:
        raise ValueError(
            f"checkpoint {folder}: its weights do not match the model its model.yaml describes "
            f"(was a registered component changed since training?): {exc}"
        ) from None
    return model.to(device).eval()
