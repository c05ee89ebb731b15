"""The composed FLAM model: shapes, the global embedding rule, head initialisation, gradient routing."""

import pytest
import torch
import torch.nn.functional as F

from flamkit.losses.functional import prior_loss, sed_loss
from flamkit.models.flam import build_model
from tests.models.configs import flam_config


def _cfg(scale="per_text_scale", bias="per_text_bias", frames=32):
    audio, text = {"name": "small_cnn", "sample_rate": 16000}, {"name": "minilm"}
    return flam_config(audio, text, hidden=64, embed_dim=32, scale=scale, bias=bias, frames=frames)


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return build_model(_cfg())


def test_embeddings_shapes_and_global_rule(model):
    audio = torch.randn(2, 16000 * 10) * 0.1
    a = model.encode_audio(audio)
    assert a.frames.shape == (2, 32, 32) and a.clip.shape == (2, 32)
    assert torch.allclose(a.frames.norm(dim=-1), torch.ones(2, 32), atol=1e-5)
    assert torch.allclose(a.clip, F.normalize(a.frames.mean(1), dim=-1), atol=1e-6)  # §3: mean of frames


def test_heads_start_at_paper_values(model):
    model.eval()  # no dropout: the same text must embed identically
    t = model.encode_text(["a dog barking", "glass breaking", "a dog barking"])
    assert torch.allclose(t.scale, torch.full((3,), 10.0), atol=1e-4)  # exp(log 10), C.6
    assert torch.allclose(t.bias, torch.full((3,), -8.0), atol=1e-6)  # C.6
    assert torch.equal(t.emb[0], t.emb[2])
    assert float(model.clip_scale().detach()) == pytest.approx(1 / 0.07, rel=1e-5)


def test_scalar_ablation_heads():
    m = build_model(_cfg(scale="scalar_scale", bias="scalar_bias"))
    t = m.encode_text(["x", "y"])
    assert torch.allclose(t.scale, torch.full((2,), 10.0)) and torch.allclose(t.bias, torch.full((2,), -10.0))


def test_bias_mlp_is_trained_by_prior_only(model):
    """SED gives the bias no gradient; the prior trains the bias MLP but not the text encoder (detached input)."""
    model.zero_grad()
    a = model.encode_audio(torch.randn(2, 160000) * 0.1)
    t = model.encode_text(["a", "b"])
    ids = torch.tensor([1, 2])
    ev, masks = torch.tensor([[1], [-1]]), torch.zeros(2, 1, 32, dtype=torch.bool)
    masks[0, 0, :5] = True
    sed_loss(a.frames, t.emb, ids, t.scale, t.bias, ev, masks).backward(retain_graph=True)
    assert all(p.grad is None or p.grad.abs().sum() == 0 for p in model.bias_head.parameters())
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in model.scale_head.parameters())
    model.zero_grad()
    prior_loss(t.bias, ids, ev, masks).backward()
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in model.bias_head.parameters())
    assert all(p.grad is None for p in model.text_encoder.parameters())


def test_frame_probabilities_and_L128():
    m = build_model(_cfg(frames=128))
    probs = m.frame_probabilities(torch.randn(1, 160000) * 0.1, ["a beep", "noise"])
    assert probs.shape == (1, 2, 128) and bool(((probs >= 0) & (probs <= 1)).all())


def test_frozen_text_encoder_is_cached_untrained_and_in_eval_mode():
    cfg = dict(_cfg(), freeze=["text_encoder"])
    m = build_model(cfg)
    m.train()
    assert not m.text_encoder.training and m.audio_encoder.training
    assert all(not p.requires_grad for p in m.text_encoder.parameters())
    first = m.encode_text(["a dog barking", "rain"])
    calls = {"n": 0}
    original = m.text_encoder.forward

    def counting(texts):
        calls["n"] += len(texts)
        return original(texts)

    m.text_encoder.forward = counting
    again = m.encode_text(["rain", "a dog barking", "thunder"])
    assert calls["n"] == 1  # only the new text went through the encoder
    # The same cached features; the projection's matmul over 3 rows instead of 2 may sum in another order.
    torch.testing.assert_close(again.emb[0], first.emb[1], rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(again.emb[1], first.emb[0], rtol=1e-5, atol=1e-6)
    again.emb.sum().backward()  # projection and heads still train
    assert m.text_projection.fc1.weight.grad is not None
    with pytest.raises(ValueError, match="no submodule"):
        m.freeze(["txt_encoder"])


def test_frozen_features_do_not_depend_on_batch_mates():
    """A resumed process starts with an empty cache: cached features must be a function of the text alone."""
    cfg = dict(_cfg(), freeze=["text_encoder"])
    a, b = build_model(cfg), build_model(cfg)
    b.load_state_dict(a.state_dict())
    a.encode_text(["a dog barks"])
    b.encode_text(["a dog barks", "a very long description of several distinct sounds happening one after another"])
    assert torch.equal(a._text_cache["a dog barks"], b._text_cache["a dog barks"])


def test_locked_text_side_keeps_the_text_encoders_space():
    """model.text_projection {name: identity}: the text embedding is the encoder's own, normalised."""
    cfg = _cfg()
    cfg["embed_dim"] = 384  # MiniLM's width
    cfg["text_projection"] = {"name": "identity"}
    cfg["freeze"] = ["text_encoder"]
    m = build_model(cfg).eval()
    texts = ["a dog barking", "glass breaking"]
    t = m.encode_text(texts)
    feats = m.text_encoder(texts)
    assert torch.allclose(t.emb, F.normalize(feats, dim=-1), atol=1e-6)
    assert not any(p.requires_grad for n, p in m.named_parameters() if n.startswith(("text_encoder", "text_projection")))
    assert isinstance(m.audio_projection, torch.nn.Module) and sum(p.numel() for p in m.audio_projection.parameters()) > 0
    a = m.encode_audio(torch.randn(1, 16000 * 10) * 0.1)
    assert a.frames.shape == (1, 32, 384)


def test_identity_projection_needs_matching_widths():
    cfg = _cfg()  # embed_dim 32, MiniLM is 384 wide
    cfg["text_projection"] = {"name": "identity"}
    with pytest.raises(ValueError, match=r"model.embed_dim=384"):
        build_model(cfg)
