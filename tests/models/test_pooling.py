"""The pooling hook: the default mean is FLAM's rule bit for bit; a token pooling sees the text's words."""

import math

import pytest
import torch
import torch.nn.functional as F
from omegaconf import OmegaConf

from flamkit.config.compose import ConfigError
from flamkit.config.validate import validate
from flamkit.models.flam import build_model
from flamkit.models.pooling import MeanPooling, Pooling
from flamkit.registry import POOLINGS


@POOLINGS.register("test_masked_max")
class MaskedMax(Pooling):
    """Max over the real items, per dimension: a pooling that reads text tokens (test only)."""

    text_tokens = True

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, x, mask=None):
        if mask is not None:
            x = x.masked_fill(~mask.unsqueeze(-1), float("-inf"))
        return x.max(dim=1).values


def _cfg(pooling=None):
    cfg = {
        "audio": {"name": "small_cnn", "sample_rate": 16000, "channels": [4, 4, 4, 4], "hidden": 16, "temporal_blocks": 0},
        "text": {"name": "minilm"},
        "projection": {"name": "mlp", "hidden": 16},
        "scale": {"name": "per_text_scale", "hidden": 8},
        "bias": {"name": "per_text_bias", "hidden": 8},
        "frames": 8,
        "embed_dim": 12,
        "clip_scale_init": math.log(1 / 0.07),
        "clip_scale_max": 100.0,
        "max_text_tokens": 77,
    }
    if pooling is not None:
        cfg["pooling"] = pooling
    return cfg


def test_mean_pooling_against_a_loop():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(3, 5, 4, generator=g, dtype=torch.float64)
    mask = torch.tensor([[1, 1, 0, 0, 0], [1, 1, 1, 1, 1], [0, 0, 0, 0, 0]], dtype=torch.bool)
    assert torch.equal(MeanPooling()(x), F.normalize(x, dim=-1).mean(1))
    out = MeanPooling()(x, mask)
    for n in range(3):
        kept = [x[n, i] / x[n, i].norm() for i in range(5) if mask[n, i]]
        want = sum(kept) / len(kept) if kept else torch.zeros(4, dtype=torch.float64)
        assert torch.allclose(out[n], want, atol=1e-12)


def test_default_is_the_mean_bit_for_bit():
    torch.manual_seed(0)
    model = build_model(_cfg())  # no model.pooling: a config saved before poolings existed
    assert isinstance(model.pooling, MeanPooling)
    audio = torch.randn(2, 160000) * 0.1
    model.eval()
    a = model.encode_audio(audio)
    projected = model.audio_projection(model.audio_encoder(audio))
    frames = F.normalize(projected, dim=-1)
    assert torch.equal(a.frames, frames)
    assert torch.equal(a.clip, F.normalize(frames.mean(dim=1), dim=-1))  # §3, as before the hook
    torch.manual_seed(0)
    explicit = build_model(_cfg({"name": "mean"}))
    assert explicit.state_dict().keys() == model.state_dict().keys()  # old checkpoints load strictly


def test_token_pooling_reads_words_and_keeps_heads_on_pooled_features():
    torch.manual_seed(0)
    model = build_model(_cfg({"name": "test_masked_max"})).eval()
    assert model.pooling.dim == 12  # injected: model.embed_dim
    texts = ["a dog barks twice", "glass"]
    with torch.no_grad():
        t = model.encode_text(texts)
        tok = model.text_encoder.encode_tokens(texts)
        proj = model.text_projection(tok.tokens)
        for k, text in enumerate(texts):
            words = proj[k][tok.mask[k]]
            assert len(words) == len(model.text_encoder.tokenizer.tokenize(text))  # no [CLS], [SEP], padding
            assert torch.allclose(t.emb[k], F.normalize(words.max(0).values, dim=-1), atol=1e-6)
        feats = model.text_encoder(texts)
        assert torch.allclose(tok.pooled, feats, atol=1e-6)  # the heads see what they always saw
        assert torch.allclose(t.scale, model.scale_head(feats)) and torch.allclose(t.bias, model.bias_head(feats))


def test_token_pooling_needs_an_encoder_with_tokens():
    from flamkit.models.flam import FlamModel

    class NoTokens(torch.nn.Module):
        out_dim = 4

    with pytest.raises(ValueError, match="has no encode_tokens"):
        FlamModel(torch.nn.Identity(), NoTokens(), torch.nn.Identity(), torch.nn.Identity(),
                  torch.nn.Identity(), torch.nn.Identity(), pooling=MaskedMax(4))


def test_validate_names_the_pooling_key():
    from flamkit.config.compose import compose

    cfg = compose("quickstart", [])
    assert cfg.model.pooling == {"name": "mean"}
    validate(cfg)
    bad = compose("quickstart", ["model.pooling.name=meen"])
    with pytest.raises(ConfigError, match=r"model\.pooling\.name: pooling 'meen' is not registered.*'mean'"):
        validate(bad)
    injected = compose("quickstart", ["+model.pooling.dim=3"])
    with pytest.raises(ConfigError, match=r"model\.pooling\.dim: set by flamkit"):
        validate(injected)
    legacy = OmegaConf.create(OmegaConf.to_container(cfg))
    del legacy.model["pooling"]
    validate(legacy)  # a config saved before poolings existed is still valid
