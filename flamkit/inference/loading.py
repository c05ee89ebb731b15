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

from flamkit import plugins
from flamkit.checkpoints import CheckpointChoice, checkpoint_step, choose_checkpoint, load_checkpoint, run_dir_of
from flamkit.data.trained_descriptions import read_descriptions, trained_descriptions
from flamkit.models.flam import FlamModel, build_model
from flamkit.models.packaged import fill_packaged
from flamkit.models.query_expansion import QueryExpansion

__all__ = ["LoadedModel", "load_checkpoint_model", "load_model", "run_dir_of", "checkpoint_step", "expand_queries"]


@dataclass
class LoadedModel:
    """A model in eval mode and where it came from."""

    model: FlamModel
    checkpoint: Path  # the ckpt-<step> (or best) folder
    step: int
    run_dir: Path | None  # the run folder holding the checkpoint, when it sits in one
    choice: CheckpointChoice  # which checkpoint the given path meant, and why (commands print it)


def _run_plugins(run_dir: Path | None) -> list[str]:
    if run_dir is None:
        return []
    cfg = OmegaConf.load(run_dir / "config.yaml")
    return [str(p) for p in cfg.get("plugins") or []]


def load_checkpoint_model(run_or_checkpoint: str | Path, device: str | torch.device = "cpu") -> LoadedModel:
    """Build the checkpoint's model, load its weights strictly, move it to ``device``, eval mode.

    ``run_or_checkpoint``: a run folder or its ``checkpoints/`` folder (the run's final checkpoint,
    :func:`flamkit.checkpoints.choose_checkpoint`), or one checkpoint folder (``ckpt-<step>``, ``best``).
    """
    choice = choose_checkpoint(run_or_checkpoint)
    folder = choice.folder
    run_dir = run_dir_of(folder)
    plugins.discover(_run_plugins(run_dir))
    loaded = load_checkpoint(folder, with_state=False)
    model = build_model(OmegaConf.create(loaded.model_yaml))
    weights = fill_packaged(model, loaded.weights, loaded.packaged, folder)
    try:
        model.load_state_dict(weights, strict=True)
    except RuntimeError as exc:
        raise ValueError(
            f"checkpoint {folder}: its weights do not match the model its model.yaml describes "
            f"(was a registered component changed since training?): {exc}"
        ) from None
    model.to(device).eval()
    return LoadedModel(model, folder, checkpoint_step(folder), run_dir, choice)


def disable_feature_memo(model: torch.nn.Module) -> None:
    """Turn off per-clip memoising of frozen encoder features (``cache_gb``, e.g. the aisfx trunk).

    Training and evaluation revisit the same clips, so the memo saves work there; detection and
    indexing see each window of a user's recordings once, where a memo would only grow memory (and
    write features under the training machine's ``cache_dir``).
    """
    for module in model.modules():
        if hasattr(module, "cache_gb"):
            module.cache_gb = 0.0


def load_model(run_or_checkpoint: str | Path, device: str | torch.device = "cpu") -> FlamModel:
    """The model of a run or checkpoint, on ``device``, in eval mode (see :func:`load_checkpoint_model`)."""
    return load_checkpoint_model(run_or_checkpoint, device).model


def training_descriptions(loaded: LoadedModel) -> list[str]:
    """The descriptions the loaded model trained on: its run's ``descriptions.json``, else listed from
    the run's ``config.yaml`` (runs trained before the file was written)."""
    if loaded.run_dir is None:
        raise ValueError(
            f"checkpoint {loaded.checkpoint} is not inside a run folder, so the descriptions it trained on are "
            "unknown: query expansion needs its run folder (descriptions.json or config.yaml)"
        )
    texts = read_descriptions(loaded.run_dir)
    if texts is None:
        cfg = OmegaConf.load(loaded.run_dir / "config.yaml")
        texts = trained_descriptions(cfg, loaded.model.sample_rate, loaded.model.clip_seconds)
    if not texts:
        raise ValueError(
            f"run {loaded.run_dir} lists no descriptions it trained on (no descriptions.json, and no source of its "
            "data.streams.sed offers them), so there is nothing to expand queries toward"
        )
    return texts


def expand_queries(loaded: LoadedModel, spec: QueryExpansion | None) -> str | None:
    """Turn on query expansion toward the run's training descriptions; returns a line saying so (None: off)."""
    if spec is None:
        loaded.model.set_query_expansion(None)
        return None
    texts = training_descriptions(loaded)
    loaded.model.set_query_expansion(spec, texts)
    return f"query expansion ({spec.describe()}) toward the {len(texts)} descriptions the model trained on"
