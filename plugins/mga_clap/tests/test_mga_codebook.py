"""The shared codebook against explicit loops (float64), its published masking, and its place in the model."""

import math

import pytest
import torch
import torch.nn.functional as F

from flamkit.models.flam import build_model
from flamkit_mga_clap.codebook import SharedCodebook
from test_mga_sparsemax import naive_sparsemax


def naive_pool(x, codebook, mask, temperature):
    """Loops: affinity / (sqrt(d) T), masked items score 0, max over the sequence, sparsemax, mixture."""
    N, L, d = len(x), len(x[0]), len(codebook[0])
    out = []
    for n in range(N):
        pooled = []
        for c in codebook:
            best = -math.inf
            for l in range(L):
                a = sum(x[n][l][i] * c[i] for i in range(d)) / math.sqrt(d)
                if mask is not None and not mask[n][l]:
                    a = 0.0
                best = max(best, a / temperature)
            pooled.append(best)
        w = naive_sparsemax(pooled)
        out.append([sum(w[e] * codebook[e][i] for e in range(len(codebook))) for i in range(d)])
    return out


@pytest.mark.parametrize("temperature", [1000.0, 0.5])
def test_pooling_matches_the_loops(temperature):
    torch.manual_seed(0)
    cb = SharedCodebook(dim=4, entries=9, temperature=temperature).double()
    g = torch.Generator().manual_seed(1)
    x = torch.randn(3, 5, 4, generator=g, dtype=torch.float64) * 30
    mask = torch.tensor([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1], [0, 1, 0, 0, 0]], dtype=torch.bool)
    for m in (None, mask):
        got = cb(x, m)
        want = naive_pool(x.tolist(), cb.codebook.tolist(), None if m is None else m.tolist(), temperature)
        assert torch.allclose(got, torch.tensor(want, dtype=torch.float64), atol=1e-12)
    w = cb.weights(x, mask)
    assert torch.allclose(w.sum(-1), torch.ones(3, dtype=torch.float64), atol=1e-12) and bool((w >= 0).all())


def test_masked_items_score_zero_as_published():
    """Words all anti-aligned with a codeword: their max is negative, but a masked [SEP] scores 0 and wins."""
    cb = SharedCodebook(dim=2, entries=2, temperature=1.0).double()
    with torch.no_grad():
        cb.codebook.copy_(torch.tensor([[1.0, 0.0], [0.0, 1.0]], dtype=torch.float64))
    words = torch.tensor([[[-3.0, 1.0], [-2.0, 1.0], [5.0, 5.0]]], dtype=torch.float64)
    mask = torch.tensor([[True, True, False]])
    scores = cb.weights(words, mask)
    s0, s1 = 0.0, 1.0 / math.sqrt(2)  # codeword 0: max(-3, -2, masked 0) = 0; codeword 1: max(1, 1, 0)
    assert scores[0].tolist() == pytest.approx(naive_sparsemax([s0, s1]), abs=1e-12)


def test_bf16_autocast_keeps_float32_affinities():
    torch.manual_seed(0)
    cb = SharedCodebook(dim=64, entries=256).requires_grad_(False)
    x = torch.randn(2, 8, 64) * 20
    ref = cb(x)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        got = cb(x.bfloat16())
    assert got.dtype == torch.float32
    assert torch.allclose(got, cb(x.bfloat16().float()), atol=1e-6)
    assert torch.allclose(got, ref, atol=0.05 * float(ref.abs().max()))
    with pytest.raises(ValueError, match="dim 64"):
        cb(torch.randn(1, 2, 3))


def test_one_codebook_pools_frames_and_words_in_the_model():
    torch.manual_seed(0)
    model = build_model({
        "audio": {"name": "small_cnn", "sample_rate": 16000, "channels": [4, 4, 4, 4], "hidden": 16, "temporal_blocks": 0},
        "text": {"name": "minilm"},
        "projection": {"name": "mga_projection"},
        "scale": {"name": "scalar_scale"},
        "bias": {"name": "scalar_bias"},
        "pooling": {"name": "mga_codebook", "entries": 32},
        "frames": 8, "embed_dim": 12, "clip_scale_init": 2.0, "clip_scale_max": 100.0, "max_text_tokens": 77,
    }).eval()
    assert model.pooling.codebook.shape == (32, 12)
    with torch.no_grad():
        a = model.encode_audio(torch.randn(2, 160000) * 0.1)
        assert torch.allclose(a.clip, F.normalize(model.pooling(a.projected), dim=-1))
        assert torch.allclose(a.frames, F.normalize(a.projected, dim=-1))  # detection frames: not pooled
        t = model.encode_text(["a dog barks", "rain"])
        tok = model.text_encoder.encode_tokens(["a dog barks", "rain"])
        want = F.normalize(model.pooling(model.text_projection(tok.tokens), tok.mask), dim=-1)
        assert torch.allclose(t.emb, want, atol=1e-6)
    model.train()
    loss = model.encode_audio(torch.randn(2, 160000) * 0.1).clip.sum() + model.encode_text(["x y"]).emb.sum()
    loss.backward()
    assert model.pooling.codebook.grad is not None and model.pooling.codebook.grad.abs().sum() > 0
