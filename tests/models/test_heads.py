"""Projection and per-text heads: the training-time input noise (``input_noise``)."""

import pytest
import torch

from flamkit.models.heads import MLP, per_text_bias, per_text_scale, projection_mlp


def test_noise_only_in_training_and_zero_noise_is_the_plain_mlp():
    torch.manual_seed(0)
    head = projection_mlp(in_dim=16, out_dim=4, hidden=8, input_noise=0.5)
    plain = projection_mlp(in_dim=16, out_dim=4, hidden=8)
    plain.load_state_dict(head.state_dict())
    x = torch.randn(5, 16)
    head.eval()
    torch.testing.assert_close(head(x), plain.eval()(x), rtol=0, atol=0)
    plain.train()
    torch.testing.assert_close(plain(x), plain.eval()(x), rtol=0, atol=0)
    head.train()
    assert not torch.allclose(head(x), plain(x))


def test_noise_scale_is_sigma_times_each_inputs_rms():
    """The noise is read off the first layer's input through a hook, in float64, for a large and a small input."""
    torch.manual_seed(1)
    sigma, dim = 0.3, 4096
    head = MLP(dim, dim, dim, input_noise=sigma).double().train()
    seen = {}
    head.fc1.register_forward_pre_hook(lambda mod, args: seen.__setitem__("x", args[0]))
    x = torch.cat([torch.full((1, dim), 2.0), torch.full((1, dim), -0.1)]).double()
    head(x)
    noise = seen["x"] - x
    rms = x.pow(2).mean(dim=-1).sqrt()
    ratio = noise.std(dim=-1) / rms
    assert torch.allclose(ratio, torch.full_like(ratio, sigma), rtol=0.05)
    assert noise.mean(dim=-1).abs().max() < 0.05 * sigma * rms.max()


def test_negative_noise_is_refused():
    with pytest.raises(ValueError, match="input_noise"):
        projection_mlp(in_dim=4, out_dim=2, input_noise=-0.1)


@pytest.mark.parametrize("factory", [per_text_scale, per_text_bias])
def test_per_text_heads_take_the_same_input_noise(factory):
    torch.manual_seed(2)
    noisy, plain = factory(in_dim=8, hidden=4, input_noise=0.5), factory(in_dim=8, hidden=4)
    torch.nn.init.normal_(noisy.mlp.fc2.weight)  # the zero-initialised last layer would hide the input
    plain.load_state_dict(noisy.state_dict())
    x = torch.randn(6, 8)
    torch.testing.assert_close(noisy.eval()(x), plain.eval()(x), rtol=0, atol=0)
    assert noisy.mlp.input_noise == 0.5 and plain.mlp.input_noise == 0.0
    assert not torch.allclose(noisy.train()(x), plain.train()(x))
