"""One forward pass of the objective: every stream's model outputs, then every loss head.

Wrapping model and loss heads in one module gives DDP a single ``forward`` to hook (its gradient
reducer is armed there), while the heads stay independent, registered components.
"""

from __future__ import annotations

from typing import Any, Mapping

import torch
from torch import Tensor, nn

from flamkit.distributed.heads import head_loss
from flamkit.losses.heads import GlobalOutputs, LossHead, SedOutputs
from flamkit.models.flam import FlamModel


def global_outputs(model: FlamModel, batch: Any) -> GlobalOutputs:
    audio = model.encode_audio(batch.audio).clip
    text = model.encode_text(batch.captions).emb
    return GlobalOutputs(audio=audio, text=text, clip_scale=model.clip_scale())


def sed_outputs(model: FlamModel, batch: Any) -> SedOutputs:
    """Frames of every clip; text heads only for real slots (padding slots are masked out by the loss)."""
    frames = model.encode_audio(batch.audio).frames
    # The real slots are known on the host (SedBatch.real_slots, kept from before the batch moved):
    # asking the device tensor would make the host wait for the queue.
    slots = batch.real_slots() if hasattr(batch, "real_slots") else (batch.text_ids != -1).nonzero().flatten().tolist()
    real = torch.tensor(slots, dtype=torch.long).to(frames.device, non_blocking=True)
    t = model.encode_text([batch.texts[i] for i in slots]) if slots else None
    K = len(batch.texts)
    emb = frames.new_zeros(K, frames.shape[-1])
    scale, bias = frames.new_ones(K), frames.new_zeros(K)
    if t is not None:
        emb = emb.index_copy(0, real, t.emb.to(emb.dtype))
        scale = scale.index_copy(0, real, t.scale.to(scale.dtype))
        bias = bias.index_copy(0, real, t.bias.to(bias.dtype))
    return SedOutputs(frames, emb, batch.text_ids, scale, bias, batch.event_ids, batch.event_masks,
                      getattr(batch, "prior_text_ids", None))


STREAM_OUTPUTS = {"global": global_outputs, "sed": sed_outputs}


class Objective(nn.Module):
    """L = sum_h w_h L_h over the loss heads, each fed the outputs of the stream it reads."""

    def __init__(self, model: FlamModel, heads: Mapping[str, LossHead], weights: Mapping[str, float]) -> None:
        super().__init__()
        self.model = model
        self.heads = nn.ModuleDict(dict(heads))
        self.weights = dict(weights)
        unknown = {h.stream for h in heads.values()} - set(STREAM_OUTPUTS)
        if unknown:
            raise ValueError(f"loss heads read unknown stream(s) {sorted(unknown)}; known: {sorted(STREAM_OUTPUTS)}")

    @property
    def streams(self) -> list[str]:
        """The batch streams the active (non-zero weight) heads read."""
        return sorted({h.stream for label, h in self.heads.items() if self.weights[label] != 0.0})

    def forward(self, batches: Mapping[str, Any]) -> tuple[Tensor, dict[str, Tensor], dict[str, Any]]:
        outputs = {s: STREAM_OUTPUTS[s](self.model, batches[s]) for s in self.streams}
        terms: dict[str, Tensor] = {}
        total: Tensor | None = None
        for label, head in self.heads.items():
            w = self.weights[label]
            if w == 0.0:
                continue
            value = head_loss(head, outputs[head.stream])  # the cross-rank form under torch.distributed
            terms[label] = value
            total = w * value if total is None else total + w * value
        if total is None:
            raise ValueError("every loss head has weight 0: nothing to train")
        return total, terms, outputs


def to_device(batch: Any, device: torch.device, non_blocking: bool = False) -> Any:
    """``non_blocking`` copies overlap with the device's queue when the batch is in pinned memory (data.pin_memory)."""
    return batch.to(device, non_blocking=non_blocking) if hasattr(batch, "to") else batch
