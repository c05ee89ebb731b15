"""The cross-rank forms of the loss heads read the same fields as the heads themselves."""

from __future__ import annotations

import torch

from flamkit.distributed import heads as dheads
from flamkit.losses.heads import PriorHead, SedOutputs


def _outputs(prior_text_ids):
    ids = torch.tensor([11, 12, 13, -1])
    return SedOutputs(torch.zeros(1, 2, 3), torch.zeros(4, 3), ids, torch.ones(4), torch.zeros(4),
                      torch.tensor([[11]]), torch.ones(1, 1, 2, dtype=torch.bool), prior_text_ids)


def test_ring_prior_fits_the_batch_texts_not_the_drawn_negatives(monkeypatch):
    seen = []
    monkeypatch.setattr(dheads, "ring_prior_loss", lambda bias, ids, *rest: seen.append(ids.tolist()) or bias.sum())
    dheads._prior(PriorHead(), _outputs(torch.tensor([11, -1, -1, -1])))
    dheads._prior(PriorHead(), _outputs(None))
    assert seen == [[11, -1, -1, -1], [11, 12, 13, -1]]
