"""Model identity: the weights and config decide it, not the file that holds them."""

import torch

from flamkit.inference.identity import canonical_config, model_identity, weights_identity
from tests.inference.rigged import model_config, rigged_model


def test_identity_depends_on_weights_and_config_only():
    cfg = model_config()
    a, b = rigged_model(), rigged_model()
    assert model_identity(a, cfg) == model_identity(b, cfg)
    assert model_identity(a, cfg) != model_identity(a, model_config(bias_init=-9.0))
    state = {k: v.clone() for k, v in a.state_dict().items()}
    assert weights_identity(state, cfg) == model_identity(a, cfg)
    state["bias_head.value"] += 1e-6
    assert weights_identity(state, cfg) != model_identity(a, cfg)
    renamed = {("x." + k): v for k, v in a.state_dict().items()}
    assert weights_identity(renamed, cfg) != model_identity(a, cfg)


def test_config_is_canonical():
    yaml_text = "b: 1\na: {y: 2, x: 3}\n"
    assert canonical_config(yaml_text) == canonical_config({"a": {"x": 3, "y": 2}, "b": 1}) == '{"a":{"x":3,"y":2},"b":1}'
    assert weights_identity({"w": torch.zeros(2)}, yaml_text) == weights_identity({"w": torch.zeros(2)}, {"a": {"x": 3, "y": 2}, "b": 1})
    assert weights_identity({"w": torch.zeros(2)}) != weights_identity({"w": torch.zeros(2, dtype=torch.float64)})
