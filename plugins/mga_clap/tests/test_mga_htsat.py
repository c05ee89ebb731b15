"""The locality-aware HTSAT: the value path against a per-token float64 loop, locality, and compatibility."""

import pytest
import torch
import torch.nn.functional as F

from flamkit.models.audio.htsat import HTSAT
from flamkit_mga_clap.htsat_mga import LocalityAwareHTSAT, drop_stripes, value_path

TINY = dict(sample_rate=16000, n_fft=512, hop_length=160, fmax=8000.0, embed_dim=8, depths=(1, 1, 1, 2),
            num_heads=(1, 1, 2, 2), drop_path_rate=0.0)


def _encoder(**kw):
    torch.manual_seed(0)
    return LocalityAwareHTSAT(**{**TINY, "spec_augment": False, **kw}).eval()


def naive_value_path(block, x):
    """Token by token in float64: v = x + proj(W_v LN1(x)); out = v + LN2(v)."""
    width = block.attn.qkv.out_features // 3
    Wv, bv = block.attn.qkv.weight[2 * width :], block.attn.qkv.bias[2 * width :]
    P, bp = block.attn.proj.weight, block.attn.proj.bias

    def ln(t, norm):
        mu = t.mean()
        var = ((t - mu) ** 2).mean()
        return (t - mu) / torch.sqrt(var + norm.eps) * norm.weight + norm.bias

    out = torch.empty_like(x)
    B, H, W, _ = x.shape
    for b in range(B):
        for h in range(H):
            for w in range(W):
                t = x[b, h, w]
                v = t + P @ (Wv @ ln(t, block.norm1) + bv) + bp
                out[b, h, w] = v + ln(v, block.norm2)
    return out


def test_value_path_is_the_token_wise_formula_and_is_local():
    enc = _encoder().double()
    block = enc.stages[-1].blocks[-1]
    g = torch.Generator().manual_seed(0)
    x = torch.randn(2, *block.input_resolution, block.norm1.normalized_shape[0], generator=g, dtype=torch.float64)
    with torch.no_grad():
        got = value_path(block, x)
        assert torch.allclose(got, naive_value_path(block, x), atol=1e-10)
        poked = x.clone()
        poked[1, 2, 3] += torch.randn(x.shape[-1], generator=g, dtype=torch.float64)  # not a constant: LN removes those
        changed = (value_path(block, poked) - got).abs().sum(-1) > 1e-12
        assert changed.nonzero().tolist() == [[1, 2, 3]]  # only the poked token moves
        mixed = (block(poked) - block(x)).abs().sum(-1) > 1e-12
        assert bool(mixed[1].all()) and not bool(mixed[0].any())  # the ordinary block: its whole window (8 x 8)


def test_frames_shape_and_plain_htsat_compatibility():
    enc = _encoder()
    torch.manual_seed(0)
    plain = HTSAT(**TINY).eval()
    assert enc.state_dict().keys() == plain.state_dict().keys()  # LAION/FLAM-Global HTSAT checkpoints load
    enc.load_state_dict(plain.state_dict())
    audio = torch.randn(2, 160000) * 0.1
    with torch.no_grad():
        out = enc(audio)
        assert out.shape == (2, 32, enc.out_dim) and enc.out_dim == 64
        enc.locality_aware = False
        assert torch.equal(enc(audio), plain(audio))  # everything but the last block is HTSAT's
        enc.locality_aware = True
        assert not torch.allclose(out, plain(audio))
        # The last block's output is the value path of its input, then the final LayerNorm.
        x = plain.pos_drop(plain.patch_embed(plain.wav_to_image(
            plain.bn0(plain.frontend(audio).transpose(1, 2).unsqueeze(-1)).squeeze(-1).transpose(1, 2))))
        for stage in plain.stages[:-1]:
            x = stage(x)
        x = plain.stages[-1].downsample(x)
        for block in plain.stages[-1].blocks[:-1]:
            x = block(x)
        want = plain.latent_to_frames(plain.norm(value_path(plain.stages[-1].blocks[-1], x)))
        assert torch.allclose(out, want, atol=1e-6)


def test_spec_augment_zeroes_stripes_in_training_only():
    torch.manual_seed(3)
    x = torch.ones(64, 100, 16)
    y = drop_stripes(x, 1, width=20, stripes=2)
    assert bool(((y == 0).all(dim=2) | (y == 1).all(dim=2)).all())  # whole time steps, every bin
    dropped = (y[:, :, 0] == 0).sum(dim=1)
    assert int(dropped.max()) <= 2 * 19 and int(dropped.min()) >= 0 and 0 < float(dropped.float().mean()) < 2 * 19
    for b in range(64):  # at most two runs of zeros (overlapping stripes merge), 19 steps each at most
        runs, n = [], 0
        for v in (y[b, :, 0] == 0).tolist() + [False]:
            if v:
                n += 1
            elif n:
                runs.append(n)
                n = 0
        assert len(runs) <= 2 and sum(runs) <= 2 * 19
    z = drop_stripes(x, 2, width=8, stripes=2)
    assert bool(((z == 0).all(dim=1) | (z == 1).all(dim=1)).all())  # whole bins
    enc = _encoder(spec_augment=True)
    audio = torch.randn(1, 160000) * 0.1
    with torch.no_grad():
        assert torch.equal(enc(audio), enc(audio))  # eval: no stripes
        enc.train()
        torch.manual_seed(0)
        a = enc(audio)
        enc.spec_augment = False
        torch.manual_seed(0)
        assert not torch.allclose(a, enc(audio))


def test_bad_stripe_width():
    with pytest.raises(ValueError, match="time_drop_width"):
        LocalityAwareHTSAT(**TINY, time_drop_width=0)
