"""Under bf16 autocast the losses compute their logits in float32 (issue 14).

Inputs exactly representable in bf16 isolate the loss's own arithmetic: with autocast on, a matmul
would run in bf16 (8-bit mantissa; logits scaled by up to 100 lose ~0.4 each); the losses turn
autocast off, so they equal the float32 values within 1e-6 relative.
"""

import torch
import torch.nn.functional as F

from flamkit.losses.functional import clip_loss, prior_loss, sed_loss


def _bf16_exact(*shape):
    return F.normalize(torch.randn(*shape), dim=-1).bfloat16().float()


def test_losses_under_bf16_autocast_equal_float32():
    torch.manual_seed(0)
    B, L, K, d = 8, 16, 6, 64
    audio, text, frames, texts = _bf16_exact(B, d), _bf16_exact(B, d), _bf16_exact(B, L, d), _bf16_exact(K, d)
    text_ids = torch.tensor([0, 1, 2, 3, -1, -1])
    event_ids = torch.randint(0, 4, (B, 2))
    event_masks = torch.rand(B, 2, L) > 0.5
    scale, bias = torch.full((K,), 10.0), torch.full((K,), -2.0)
    args = (frames, texts, text_ids, scale, bias, event_ids, event_masks)
    exact = (clip_loss(audio, text, 100.0), sed_loss(*args), prior_loss(bias, text_ids, event_ids, event_masks))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        mixed = (clip_loss(audio, text, 100.0), sed_loss(*args), prior_loss(bias, text_ids, event_ids, event_masks))
        in_bf16 = 100.0 * (audio @ text.T)
    assert in_bf16.dtype == torch.bfloat16  # what autocast would have done to the logits
    for e, m in zip(exact, mixed):
        assert m.dtype == torch.float32
        torch.testing.assert_close(m, e, rtol=1e-6, atol=1e-6)
