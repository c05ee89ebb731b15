"""HTSAT: interface, geometry against naive index maps, parameter counts from the architecture, and
a few (slow-ish, ~0.3 s each) CPU forward passes of the tiny model."""

from __future__ import annotations

import pytest
import torch

from flamkit.models.audio.frames import resize_frames
from flamkit.models.audio.htsat import HTSAT
from flamkit.registry import AUDIO_ENCODERS

SR = 48000
N = 10 * SR


def _audio(b: int, seed: int = 0) -> torch.Tensor:
    return 0.1 * torch.randn(b, N, generator=torch.Generator().manual_seed(seed))


@pytest.fixture(scope="module")
def tiny() -> HTSAT:
    torch.manual_seed(0)
    return HTSAT().eval()


@pytest.fixture(scope="module")
def tiny_out(tiny: HTSAT) -> torch.Tensor:
    with torch.no_grad():
        return tiny(_audio(2))


def test_registered_with_the_interface(tiny: HTSAT) -> None:
    assert AUDIO_ENCODERS.get("htsat") is HTSAT
    assert (tiny.sample_rate, tiny.frames, tiny.out_dim, tiny.clip_seconds) == (48000, 32, 768, 10.0)
    assert tiny.native_frames == 32 and tiny.spec_frames == 1001


def test_shape_and_determinism(tiny: HTSAT, tiny_out: torch.Tensor) -> None:
    assert tiny_out.shape == (2, 32, 768) and tiny_out.dtype == torch.float32
    assert torch.isfinite(tiny_out).all()
    torch.manual_seed(0)
    again = HTSAT().eval()
    for (k, a), (_, b) in zip(tiny.state_dict().items(), again.state_dict().items()):
        assert torch.equal(a, b), k
    with torch.no_grad():
        torch.testing.assert_close(again(_audio(2)), tiny_out, rtol=0, atol=0)
    # clips are independent in eval mode: the second clip alone gives the same frames
    with torch.no_grad():
        torch.testing.assert_close(tiny(_audio(2)[1:]), tiny_out[1:], rtol=1e-5, atol=1e-5)


def test_l128_interpolates_the_32_latent_frames(tiny: HTSAT, tiny_out: torch.Tensor) -> None:
    wide = HTSAT(frames=128).eval()
    wide.load_state_dict(tiny.state_dict())
    with torch.no_grad():
        out = wide(_audio(2))
    assert out.shape == (2, 128, 768)
    torch.testing.assert_close(out, resize_frames(tiny_out, 128, "linear"), rtol=1e-5, atol=1e-5)
    # by hand: output frame l = 4k + 2 is centred at native position l / 4 - 3 / 8 = k + 1 / 8
    inner = out[:, 2:126:4]
    torch.testing.assert_close(inner, 0.875 * tiny_out[:, :-1] + 0.125 * tiny_out[:, 1:], rtol=1e-5, atol=1e-5)


def test_bf16_autocast(tiny: HTSAT, tiny_out: torch.Tensor) -> None:
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
        out = tiny(_audio(2))
    assert out.shape == (2, 32, 768) and torch.isfinite(out).all()
    cos = torch.nn.functional.cosine_similarity(out.float(), tiny_out, dim=-1)
    assert cos.min() > 0.99


def test_gradient_reaches_the_first_layer() -> None:
    torch.manual_seed(1)
    model = HTSAT(drop_path_rate=0.0).train()
    model(_audio(1, seed=3)).square().mean().backward()
    for name in ("patch_embed.proj.weight", "bn0.weight", "stages.0.blocks.0.attn.relative_position_bias_table"):
        grad = model.get_parameter(name).grad
        assert grad is not None and torch.isfinite(grad).all() and grad.abs().sum() > 0, name


@pytest.mark.parametrize(
    "audio, match",
    [(torch.zeros(1, N - 1), "exactly 480000 samples"), (torch.zeros(N), r"\[batch, samples\]")],
)
def test_wrong_input_raises(tiny: HTSAT, audio: torch.Tensor, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        tiny(audio)


def test_bad_config_raises() -> None:
    with pytest.raises(ValueError, match="base"):
        HTSAT(variant="huge")
    with pytest.raises(ValueError, match="one positive entry per stage"):
        HTSAT(depths=[2, 2, 6])
    with pytest.raises(ValueError, match="frames"):
        HTSAT(frames=0)
    with pytest.raises(ValueError, match="spectrogram frames"):
        HTSAT(hop_length=400)  # 1201 frames > 1024


def test_wav_to_image_matches_laion_index_map(tiny: HTSAT) -> None:
    """Row ``c * 64 + m`` of the image is mel bin ``m`` of time chunk ``c``; column ``t`` is frame c*256+t."""
    x = torch.randn(1, 1024, 64, dtype=torch.float64)
    img = tiny.wav_to_image(x)
    assert img.shape == (1, 1, 256, 256)
    for c in range(4):
        for m in (0, 17, 63):
            for t in (0, 100, 255):
                assert img[0, 0, c * 64 + m, t] == x[0, c * 256 + t, m]
    # 1001 frames are stretched to 1024 with align_corners=True: first and last frames stay in place
    y = torch.randn(1, 1001, 64, dtype=torch.float64)
    img = tiny.wav_to_image(y)
    torch.testing.assert_close(img[0, 0, 0:64, 0], y[0, 0])
    torch.testing.assert_close(img[0, 0, 192:256, 255], y[0, 1000])


def test_latent_to_frames_matches_laion_regrouping(tiny: HTSAT) -> None:
    """Final 8x8 map: row group c (rows 2c, 2c+1) is time chunk c; frame c*8 + w averages its two rows."""
    x = torch.randn(2, 8, 8, 5, dtype=torch.float64)
    out = tiny.latent_to_frames(x)
    assert out.shape == (2, 32, 5)
    for c in range(4):
        for w in range(8):
            torch.testing.assert_close(out[:, c * 8 + w], (x[:, 2 * c, w] + x[:, 2 * c + 1, w]) / 2)


def _htsat_param_count(embed: int, depths: tuple[int, ...], heads: tuple[int, ...], n_mels: int = 64) -> int:
    """From the architecture: bn0, patch embed (4x4 conv + LN), Swin blocks, patch merges, final LN."""
    total = 2 * n_mels + (16 * embed + embed) + 2 * embed
    for i, (depth, h) in enumerate(zip(depths, heads)):
        d = embed * 2**i
        block = 2 * d + (3 * d * d + 3 * d) + (d * d + d) + 2 * d + (4 * d * d + 4 * d) + (4 * d * d + d) + 225 * h
        total += depth * block
        if i > 0:  # merge from d/2: LayerNorm(2d) + Linear(2d -> d, no bias)
            total += 2 * (2 * d) + 2 * d * d
    return total + 2 * embed * 2 ** (len(depths) - 1)


def test_parameter_counts(tiny: HTSAT) -> None:
    n_tiny = sum(p.numel() for p in tiny.parameters())
    assert n_tiny == _htsat_param_count(96, (2, 2, 6, 2), (4, 8, 16, 32)) == 27_534_488
    # LAION-CLAP's audio branch adds the AudioSet classifier (tscam_conv 527x768x2x3 + head 527x527) and
    # torchlibrosa's frozen STFT kernels (2 x 513 x 1024) and filterbank (513 x 64): ~31.3 M in all.
    laion = n_tiny + (527 * 768 * 2 * 3 + 527) + (527 * 527 + 527) + 2 * 513 * 1024 + 513 * 64
    assert laion == 31_325_143
    with torch.device("meta"):
        base = HTSAT(variant="base")
    assert base.out_dim == 1024
    assert sum(p.numel() for p in base.parameters()) == _htsat_param_count(128, (2, 2, 12, 2), (4, 8, 16, 32))


def test_explicit_overrides_beat_the_preset() -> None:
    with torch.device("meta"):
        model = HTSAT(variant="base", embed_dim=64, depths=[1, 1, 1, 1], num_heads=[2, 2, 4, 4])
    assert (model.embed_dim, model.depths, model.num_heads, model.out_dim) == (64, (1, 1, 1, 1), (2, 2, 4, 4), 512)
