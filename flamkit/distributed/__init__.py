"""Losses over a batch sharded across ranks, equal to the single-process losses on the union batch.

:func:`distributed_clip_loss` (eq. 1, local-loss formulation), :func:`ring_sed_loss` (eqs. 4-5, texts
travelling around a ring, §3.3) and :func:`ring_prior_loss` (eq. 10). Each returns this rank's share:
the mean over ranks is the single-process loss on the union batch and the gradients on local inputs
are W times the single-process ones, so DDP's gradient averaging gives the exact gradient.
"""

from flamkit.distributed.clip import distributed_clip_loss
from flamkit.distributed.comm import exchange_bidir, exchange_next, gather_with_grad, world
from flamkit.distributed.ring_sed import ring_prior_loss, ring_sed_loss

__all__ = [
    "distributed_clip_loss",
    "ring_sed_loss",
    "ring_prior_loss",
    "gather_with_grad",
    "exchange_bidir",
    "exchange_next",
    "world",
]
