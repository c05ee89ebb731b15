"""A digest of a module's tensors that is recomputed only when one of them was written.

The feature memo keys a frozen backbone's outputs by it (:mod:`flamkit.models.audio.feature_cache`),
and checkpoints use it to tell whether a packaged module still holds its package's weights
(:mod:`flamkit.models.packaged`).
"""

from __future__ import annotations

import hashlib

import torch
from torch import nn


class ModuleFingerprint:
    """A digest of a module's parameters and buffers, recomputed only when one of them changed.

    In-place writes (``copy_`` in ``load_state_dict``, an optimizer step) bump a tensor's version
    counter, so comparing the counters tells whether the cached digest still holds.
    """

    def __init__(self, module: nn.Module) -> None:
        self.module = module
        self._versions: tuple[int, ...] | None = None
        self._ids: tuple[int, ...] | None = None
        self._digest = ""

    def __call__(self) -> str:
        tensors = [*self.module.parameters(), *self.module.buffers()]
        versions = tuple(t._version for t in tensors)
        ids = tuple(id(t) for t in tensors)
        if versions != self._versions or ids != self._ids:
            h = hashlib.blake2b(digest_size=16)
            for name, t in [*self.module.named_parameters(), *self.module.named_buffers()]:
                h.update(name.encode())
                h.update(t.detach().to("cpu").contiguous().reshape(-1).view(torch.uint8).numpy().tobytes())
            self._digest, self._versions, self._ids = h.hexdigest(), versions, ids
        return self._digest
