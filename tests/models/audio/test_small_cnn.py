"""The small CPU encoder: interface, shapes for L = 32 / 128, determinism, bf16, gradients, size."""

from __future__ import annotations

import pytest
import torch

from flamkit.models.audio.frames import resize_frames
from flamkit.models.audio.small_cnn import SmallCNN
from flamkit.registry import AUDIO_ENCODERS

N = 160000


def _audio(b: int, seed: int = 0) -> torch.Tensor:
    return 0.1 * torch.randn(b, N, generator=torch.Generator().manual_seed(seed))


@pytest.fixture(scope="module")
def model() -> SmallCNN:
    torch.manual_seed(0)
    return SmallCNN().eval()


def test_registered_with_the_interface(model: SmallCNN) -> None:
    assert AUDIO_ENCODERS.get("small_cnn") is SmallCNN
    assert (model.sample_rate, model.frames, model.out_dim, model.clip_seconds) == (16000, 32, 384, 10.0)
    assert model.native_frames == 125  # 1001 spectrogram frames / 8


def test_parameter_count_is_a_few_million(model: SmallCNN) -> None:
    n = sum(p.numel() for p in model.parameters())
    assert 2_000_000 <= n <= 5_000_000
    assert n == 2_461_616


def test_shapes_for_32_and_128_and_determinism(model: SmallCNN) -> None:
    with torch.no_grad():
        out = model(_audio(3))
    assert out.shape == (3, 32, 384) and torch.isfinite(out).all()
    torch.manual_seed(0)
    again = SmallCNN().eval()
    wide = SmallCNN(frames=128).eval()
    wide.load_state_dict(again.state_dict())
    with torch.no_grad():
        torch.testing.assert_close(again(_audio(3)), out, rtol=0, atol=0)
        out128 = wide(_audio(3))
        native = SmallCNN(frames=125).eval()
        native.load_state_dict(again.state_dict())
        full = native(_audio(3))
    assert out128.shape == (3, 128, 384)
    torch.testing.assert_close(out128, resize_frames(full, 128), rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(out, resize_frames(full, 32), rtol=1e-5, atol=1e-5)


def test_bf16_autocast(model: SmallCNN) -> None:
    x = _audio(2)
    with torch.no_grad():
        ref = model(x)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            out = model(x)
    assert out.shape == (2, 32, 384) and torch.isfinite(out).all()
    assert torch.nn.functional.cosine_similarity(out.float(), ref, dim=-1).min() > 0.98


def test_gradient_reaches_the_first_layer() -> None:
    torch.manual_seed(2)
    model = SmallCNN().train()
    model(_audio(4, seed=5)).square().mean().backward()
    for name in ("cnn.0.0.weight", "bn0.weight", "bridge.0.weight", "temporal.3.conv.weight"):
        grad = model.get_parameter(name).grad
        assert grad is not None and torch.isfinite(grad).all() and grad.abs().sum() > 0, name


@pytest.mark.parametrize(
    "audio, match",
    [(torch.zeros(2, N + 1), "exactly 160000 samples"), (torch.zeros(2, 2, N), r"\[batch, samples\]")],
)
def test_wrong_input_raises(model: SmallCNN, audio: torch.Tensor, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        model(audio)


def test_other_sample_rate_and_bad_config() -> None:
    m = SmallCNN(sample_rate=32000, n_fft=1024, hop_length=320, fmax=16000.0)
    assert m.clip_samples == 320000 and m.native_frames == 125
    with pytest.raises(ValueError, match="channels"):
        SmallCNN(channels=[8, 16])
    with pytest.raises(ValueError, match="too small"):
        SmallCNN(n_mels=8)
    with pytest.raises(ValueError, match="upsample"):
        SmallCNN(upsample="cubic")
