"""A model's identity: what decides whether stored embeddings are comparable with its outputs.

Frame embeddings in an index and cached text embeddings are only meaningful for the model that made
them. The identity is the SHA-256 of the model config (canonical JSON: sorted keys, interpolations
resolved) and of every tensor of the state dict (name, dtype, shape, bytes, in name order). It
depends on the weights, not on the file that holds them: the same weights saved as ``best`` and as
``ckpt-300`` are one model, and re-saving a checkpoint does not change it. Hashing ~100 MB of weights
takes a fraction of a second, paid once per process.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Mapping

import torch


def canonical_config(model_cfg: Any) -> str:
    """Canonical JSON of a model config given as YAML text, a DictConfig or a dict ("" for none)."""
    if model_cfg is None:
        return ""
    from omegaconf import DictConfig, OmegaConf

    if isinstance(model_cfg, str):
        model_cfg = OmegaConf.create(model_cfg)
    if isinstance(model_cfg, DictConfig):
        model_cfg = OmegaConf.to_container(model_cfg, resolve=True)
    return json.dumps(model_cfg, sort_keys=True, separators=(",", ":"), default=str)


def weights_identity(state: Mapping[str, torch.Tensor], model_cfg: Any = None) -> str:
    """Hex SHA-256 of the canonical config and the tensors of ``state`` (see the module docstring)."""
    h = hashlib.sha256()
    h.update(b"flamkit-model-v1\0")
    h.update(canonical_config(model_cfg).encode())
    for name in sorted(state):
        t = state[name].detach().cpu().contiguous()
        h.update(f"\0{name}\0{t.dtype}\0{tuple(t.shape)}\0".encode())
        if t.numel():
            h.update(t.reshape(-1).view(torch.uint8).numpy().data)
    return h.hexdigest()


def model_identity(model: torch.nn.Module, model_cfg: Any = None) -> str:
    return weights_identity(model.state_dict(), model_cfg)
