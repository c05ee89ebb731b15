"""Training statistics kept on the device between logging steps, read with one transfer per interval.

Every ``float(loss)``, ``bool(torch.isfinite(loss))`` or ``tensor.item()`` in a training step makes the
host wait for the device to finish the step (a device-to-host sync), which stalls a GPU's queue. So
the loop keeps the loss terms, the finiteness of each step, the gradient norm and the per-text head
statistics as device tensors here, updates them with device ops only, and reads them in a single
``tolist()`` at ``train.log_every`` (:meth:`StepMetrics.read`).

Counting rules (the same whether the guard is decided on the device or the host, see
:mod:`flamkit.train.loop`):

* ``loss/<term>`` is the mean of the term over the interval's *finite* steps (NaN when none was);
* ``nonfinite`` counts the interval's skipped steps, ``in_row`` the current run of consecutive
  skipped steps (it carries over intervals) and ``max_in_row`` the longest run seen in the interval,
  which the loop compares with ``train.max_nonfinite_in_row`` when it reads the window;
* ``grad_norm`` is the last finite step's; the head statistics are those of the last micro-batch that
  had real texts (as before: alpha/beta mean, min and max over the SED batch's real slots).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Optional

import torch
from torch import Tensor

HEAD_STATS = tuple(f"heads/{n}_{s}" for n in ("alpha", "beta") for s in ("mean", "min", "max"))


@dataclass
class WindowReading:
    """What one :meth:`StepMetrics.read` returns: host numbers for the interval just ended."""

    terms: dict[str, float]
    finite_steps: int
    nonfinite: int
    in_row: int
    max_in_row: int
    grad_norm: float
    heads: Optional[dict[str, float]]


class StepMetrics:
    """Device-side accumulators of one logging interval (plus the run of non-finite steps across intervals)."""

    def __init__(self, device: torch.device, in_row: int = 0) -> None:
        self.device = device
        self.in_row = torch.tensor(float(in_row), device=device)
        self._reset()

    def _zero(self, value: float = 0.0) -> Tensor:
        return torch.tensor(value, device=self.device)

    def _reset(self) -> None:
        self.terms: dict[str, Tensor] = {}
        self.finite_steps = self._zero()
        self.nonfinite = self._zero()
        self.max_in_row = self.in_row.clone()
        self.grad_norm = self._zero(float("nan"))
        self.heads = torch.full((len(HEAD_STATS),), float("nan"), device=self.device)
        self.heads_seen = self._zero()

    def record_step(self, terms: Mapping[str, Tensor], finite: Tensor) -> None:
        """Add one optimizer step's terms (already averaged over its micro-batches) and its finiteness."""
        f = finite.to(self.device, torch.float32)
        for k, v in terms.items():
            v = v.detach().float()
            # where, not multiply: a NaN term of a skipped step must not poison the sum.
            kept = torch.where(f > 0, v, torch.zeros_like(v))
            self.terms[k] = self.terms[k] + kept if k in self.terms else kept
        self.finite_steps = self.finite_steps + f
        self.nonfinite = self.nonfinite + (1.0 - f)
        self.in_row = (self.in_row + 1.0) * (1.0 - f)
        self.max_in_row = torch.maximum(self.max_in_row, self.in_row)

    def record_grad_norm(self, norm: Tensor, finite: Tensor) -> None:
        self.grad_norm = torch.where(finite.to(self.device, torch.bool), norm.detach().float(), self.grad_norm)

    def record_heads(self, outputs: Mapping[str, Any]) -> None:
        """alpha(y) and beta(y) mean/min/max over the real (non-padding) texts of the SED batch, on the device."""
        sed = outputs.get("sed")
        if sed is None:
            return
        real = sed.text_ids != -1
        n = real.sum().float()
        stats = []
        for values in (sed.scale, sed.bias):
            v = values.detach().float()
            inf = torch.full_like(v, float("inf"))
            stats += [
                torch.where(real, v, torch.zeros_like(v)).sum() / n.clamp_min(1.0),
                torch.where(real, v, inf).min(),
                torch.where(real, v, -inf).max(),
            ]
        seen = n > 0
        self.heads = torch.where(seen, torch.stack(stats), self.heads)
        self.heads_seen = torch.maximum(self.heads_seen, seen.float())

    def read(self) -> WindowReading:
        """The interval's numbers in one device-to-host transfer; starts the next interval."""
        names = sorted(self.terms)
        flat = torch.cat(
            [
                torch.stack([self.terms[k] for k in names] + [self.finite_steps, self.nonfinite, self.in_row,
                                                                self.max_in_row, self.grad_norm, self.heads_seen]),
                self.heads,
            ]
        ).tolist()
        n = len(names)
        finite_steps, nonfinite, in_row, max_in_row, grad_norm, heads_seen = flat[n : n + 6]
        heads = dict(zip(HEAD_STATS, flat[n + 6 :])) if heads_seen > 0 else None
        terms = {k: (flat[i] / finite_steps if finite_steps > 0 else float("nan")) for i, k in enumerate(names)}
        self._reset()
        return WindowReading(terms, int(finite_steps), int(nonfinite), int(in_row), int(max_in_row), grad_norm, heads)

    def state_dict(self) -> dict[str, Any]:
        """The unread interval, so that a resumed run reads (and rewinds its schedule) where the straight run does."""
        keys = ("finite_steps", "nonfinite", "in_row", "max_in_row", "grad_norm", "heads", "heads_seen")
        state: dict[str, Any] = {k: getattr(self, k).detach().cpu() for k in keys}
        state["terms"] = {k: v.detach().cpu() for k, v in self.terms.items()}
        return state

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        for k, v in state.items():
            if k == "terms":
                self.terms = {t: x.to(self.device) for t, x in v.items()}
            else:
                setattr(self, k, v.to(self.device))
