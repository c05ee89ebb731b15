"""Atomic, self-validating training checkpoints: writing them (reading is :mod:`flamkit.checkpoints`).

A checkpoint is a folder ``ckpt-<step>/`` holding ``model.safetensors`` (weights), ``model.yaml``
(the model config, so a checkpoint can be loaded without its run), ``state.pt`` (optimizer,
scheduler, grad scaler, step, every rank's RNG states, the data streams' positions), where some
modules still hold their packages' weights, ``packaged.json`` (which ones, left out of the weights:
:mod:`flamkit.models.packaged`) and ``manifest.json`` (sha256 of each file). It is written under a
temporary name, fsynced and renamed, so a crash leaves either the old set of checkpoints or the new
one. Loading verifies the manifest and falls back to the previous checkpoint, with a warning, when
the newest is truncated or corrupt.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import save_file

# Reading lives one layer down, where evaluation and inference can import it; re-exported for the loop.
from flamkit.checkpoints import (  # noqa: F401
    BEST,
    PACKAGED_FILE,
    PREFIX,
    CheckpointChoice,
    Loaded,
    choose_checkpoint,
    is_valid,
    list_checkpoints,
    load_checkpoint,
    newest_valid,
    sha256,
    step_of,
)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_file(path: Path) -> None:
    with open(path, "rb") as f:
        os.fsync(f.fileno())


def write_checkpoint(
    folder: Path,
    weights: dict[str, torch.Tensor],
    model_yaml: str,
    state: dict[str, Any],
    packaged: dict[str, dict[str, str]] | None = None,
) -> Path:
    """Write a checkpoint folder atomically (tmp folder, fsync, rename); returns its final path.

    ``packaged``: the modules ``weights`` leaves out because their installed packages hold them
    (:func:`flamkit.models.packaged.split_packaged`), written as ``packaged.json``.
    """
    folder = Path(folder)
    tmp = folder.with_name(folder.name + ".tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    save_file({k: v.detach().contiguous().cpu() for k, v in weights.items()}, str(tmp / "model.safetensors"))
    (tmp / "model.yaml").write_text(model_yaml)
    torch.save(state, tmp / "state.pt")
    names = ["model.safetensors", "model.yaml", "state.pt"]
    if packaged:
        (tmp / PACKAGED_FILE).write_text(json.dumps(packaged, indent=1, sort_keys=True))
        names.append(PACKAGED_FILE)
    manifest = {name: sha256(tmp / name) for name in names}
    (tmp / "manifest.json").write_text(json.dumps(manifest, indent=1))
    for name in (*manifest, "manifest.json"):
        _fsync_file(tmp / name)
    _fsync_dir(tmp)
    if folder.exists():
        shutil.rmtree(folder)
    os.replace(tmp, folder)
    _fsync_dir(folder.parent)
    return folder


def prune(ckpt_dir: Path, keep_last: int) -> None:
    for folder in list_checkpoints(Path(ckpt_dir))[:-keep_last] if keep_last > 0 else []:
        shutil.rmtree(folder, ignore_errors=True)


