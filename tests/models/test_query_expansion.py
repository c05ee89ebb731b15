"""Neighbour query expansion: the blend against a float64 loop reference, its edge cases, its parsing,
and how FlamModel applies it (eval mode only, padding untouched, bank rebuilt with new weights)."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from flamkit.models.flam import build_model
from flamkit.models.query_expansion import QueryExpansion, expand_features
from tests.models.configs import flam_config


def _reference(queries: np.ndarray, bank: np.ndarray, k: int, tau: float, weight: float) -> np.ndarray:
    """The module docstring's formula with loops in float64."""
    out = np.zeros_like(queries, dtype=np.float64)
    for n, q in enumerate(queries.astype(np.float64)):
        cos = [float(q @ b) / (math.sqrt(q @ q) * math.sqrt(b @ b)) for b in bank.astype(np.float64)]
        nearest = sorted(range(len(bank)), key=lambda i: -cos[i])[:k]
        z = sum(math.exp(cos[i] / tau) for i in nearest)
        blend = sum(math.exp(cos[i] / tau) / z * bank[i].astype(np.float64) for i in nearest)
        out[n] = (1 - weight) * q + weight * blend
    return out


@pytest.mark.parametrize("k,tau,weight", [(1, 0.1, 0.5), (5, 0.05, 0.3), (20, 0.1, 0.5), (50, 1.0, 1.0)])
def test_blend_matches_a_float64_loop(k, tau, weight):
    rng = np.random.default_rng(k)
    queries, bank = rng.normal(size=(7, 12)), rng.normal(size=(30, 12)) * rng.uniform(0.5, 2.0, size=(30, 1))
    got = expand_features(torch.tensor(queries), torch.tensor(bank), QueryExpansion(k, tau, weight))
    np.testing.assert_allclose(got.numpy(), _reference(queries, bank, min(k, 30), tau, weight), rtol=1e-10, atol=1e-12)


def test_edge_cases():
    rng = np.random.default_rng(0)
    q, bank = torch.tensor(rng.normal(size=(4, 8))), torch.tensor(rng.normal(size=(10, 8)))
    assert torch.equal(expand_features(q, bank, QueryExpansion(weight=0.0)), q)
    nearest = (F.normalize(q, dim=-1) @ F.normalize(bank, dim=-1).T).argmax(-1)
    assert torch.allclose(expand_features(q, bank, QueryExpansion(k=1, weight=1.0)), bank[nearest])
    # a trained description is its own nearest neighbour: with a small tau it stays (almost) itself
    own = expand_features(bank[:3], bank, QueryExpansion(k=5, tau=0.01, weight=0.5))
    assert torch.allclose(own, bank[:3], atol=1e-6)
    with pytest.raises(ValueError, match="at least one"):
        expand_features(q, bank[:0], QueryExpansion())


def test_parse_and_its_errors():
    assert QueryExpansion.parse(None) is None and QueryExpansion.parse("none") is None and QueryExpansion.parse("off") is None
    assert QueryExpansion.parse("default") == QueryExpansion(20, 0.1, 0.5)
    assert QueryExpansion.parse("k=5, tau=0.2,weight=0.3") == QueryExpansion(5, 0.2, 0.3)
    assert QueryExpansion.parse({"k": 3}) == QueryExpansion(3, 0.1, 0.5)
    with pytest.raises(ValueError, match=r"--qx: unknown key\(s\) \['temperature'\]"):
        QueryExpansion.parse("temperature=0.1", "--qx")
    with pytest.raises(ValueError, match="KEY=VALUE"):
        QueryExpansion.parse("k20", "--qx")
    with pytest.raises(ValueError, match="k must be a whole number"):
        QueryExpansion.parse("k=0")
    with pytest.raises(ValueError, match="tau must be > 0"):
        QueryExpansion(tau=0.0)
    with pytest.raises(ValueError, match=r"weight must be in \[0, 1\]"):
        QueryExpansion(weight=1.5)
    with pytest.raises(ValueError, match="invalid literal"):
        QueryExpansion.parse("k=two")


def _model():
    torch.manual_seed(0)
    audio, text = {"name": "small_cnn", "sample_rate": 16000}, {"name": "minilm"}
    return build_model(dict(flam_config(audio, text, hidden=64, embed_dim=32), freeze=["text_encoder"]))


BANK = ["a dog barking", "rain on a roof", "glass breaking", "a car horn", "footsteps on gravel"]


def test_model_expands_in_eval_mode_only_and_leaves_padding():
    m = _model().eval()
    queries = ["a puppy yapping", "", "breaking glass"]
    plain = m.encode_text(queries)
    spec = QueryExpansion(k=2, tau=0.1, weight=0.5)
    m.set_query_expansion(spec, BANK + ["a dog barking", "  "])  # duplicates and blanks are dropped
    assert m.query_expansion == spec
    expanded = m.encode_text(queries)
    feats = m._text_features(queries)
    blended = expand_features(feats, m._text_features(BANK), spec)
    assert torch.allclose(expanded.emb[0], F.normalize(m.text_projection(blended[:1]), dim=-1)[0], atol=1e-6)
    assert torch.allclose(expanded.scale[2], m.scale_head(blended[2:3])[0]) and torch.allclose(expanded.bias[2], m.bias_head(blended[2:3])[0])
    assert torch.equal(expanded.emb[1], plain.emb[1])  # the padding slot is not moved toward anything
    assert not torch.allclose(expanded.emb[0], plain.emb[0])
    m.train()
    assert torch.allclose(m.encode_text(queries).emb, plain.emb)  # training never expands
    m.eval()
    m.set_query_expansion(None)
    assert m.query_expansion is None and torch.allclose(m.encode_text(queries).emb, plain.emb)


def test_bank_follows_new_weights_and_needs_descriptions():
    m = _model().eval()
    m.set_query_expansion(QueryExpansion(k=2), BANK)
    m.encode_text(["thunder"])
    assert m._expansion_bank is not None
    m.load_state_dict(m.state_dict())
    assert m._expansion_bank is None  # recomputed from the loaded weights on next use
    with pytest.raises(ValueError, match="descriptions the model trained on"):
        m.set_query_expansion(QueryExpansion(), ["", " "])
