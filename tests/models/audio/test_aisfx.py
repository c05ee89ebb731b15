"""The aisfx encoder against the aisfx package's own model and a naive float64 front end."""

from __future__ import annotations

import socket

import numpy as np
import pytest
import torch

from flamkit.models.audio.aisfx import (
    HOP,
    LOG_MAX,
    LOG_SCALE,
    N_FFT,
    N_MELS,
    SAMPLE_RATE,
    AisfxEncoder,
    AisfxFrontend,
    AisfxTrunk,
    htk_mel_filterbank_l1,
    load_packaged_trunk_state,
    packaged_checkpoint,
)
from flamkit.models.audio.feature_cache import FeatureCache
from flamkit.models.fingerprint import ModuleFingerprint
from flamkit.models.flam import build_model

aisfx = pytest.importorskip("aisfx", reason="aisfx ships the pretrained weights (make install adds it)")


@pytest.fixture(scope="module")
def package_model():
    """The package's own CrossNet, loaded the package's own way (aisfx.inference.load_bestModel)."""
    from aisfx.inference import load_bestModel

    weights, ds_dict = torch.load(packaged_checkpoint(), map_location="cpu", weights_only=False)
    return load_bestModel(weights, ds_dict, "cpu")


@pytest.fixture(scope="module")
def trunk():
    t = AisfxTrunk()
    t.load_state_dict(load_packaged_trunk_state())
    return t.eval()


def _spec(batch: int, frames: int, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.rand(batch, frames, N_MELS, generator=g) * 0.8


def _package_frames(package_model, spec: torch.Tensor) -> torch.Tensor:
    """The package's EmbeddingNet up to (not including) its max over time: [B, 512, T']."""
    net = package_model.embedding_net
    x = spec.unsqueeze(1)
    x = net.conv_block1(x, pool_size=(2, 2), pool_type=net.pool_type)
    x = net.conv_block2(x, pool_size=(2, 2), pool_type=net.pool_type)
    x = net.conv_block3(x, pool_size=(2, 2), pool_type=net.pool_type)
    x = net.conv_block4(x, pool_size=(1, 1), pool_type=net.pool_type)
    return torch.mean(x, dim=3)


def test_clip_embedding_equals_package_model(package_model, trunk):
    """Max over our frames == the package's get_embedding (its 2 s blocks of 100 frames), 1e-5."""
    spec = _spec(3, 100)
    with torch.no_grad():
        ref = package_model.get_embedding(spec)
        ours = trunk(spec).amax(dim=2)
    assert ref.shape == ours.shape == (3, 512)
    torch.testing.assert_close(ours, ref, rtol=1e-5, atol=1e-5)


def test_frames_equal_package_model_on_10s(package_model, trunk):
    spec = _spec(2, 431, seed=1)  # a 10 s clip at 44.1 kHz, hop 1024
    with torch.no_grad():
        ref = _package_frames(package_model, spec)
        ours = trunk(spec)
    assert ours.shape == ref.shape == (2, 512, 53)
    torch.testing.assert_close(ours, ref, rtol=1e-5, atol=1e-5)


def test_weights_load_without_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the aisfx encoder tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    enc = AisfxEncoder(frames=32, pretrained=True)
    ref = load_packaged_trunk_state()
    for name, value in enc.trunk.state_dict().items():
        torch.testing.assert_close(value, ref[name], rtol=0, atol=0)


def _naive_logmel(audio: np.ndarray) -> np.ndarray:
    """float64, loops: peak-normalise, zero-pad n_fft/2, periodic Hann, |rfft|^2, L1 HTK mel, log10(1+1e4 x)."""
    x = audio.astype(np.float64)
    x = x / np.abs(x).max()
    padded = np.concatenate([np.zeros(N_FFT // 2), x, np.zeros(N_FFT // 2)])
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(N_FFT) / N_FFT)
    n_frames = 1 + len(x) // HOP
    freqs = np.arange(N_FFT // 2 + 1) * SAMPLE_RATE / N_FFT
    mel = lambda f: 2595.0 * np.log10(1.0 + f / 700.0)  # noqa: E731
    corners_mel = np.linspace(mel(0.0), mel(SAMPLE_RATE / 2), N_MELS + 2)
    corners = 700.0 * (10 ** (corners_mel / 2595.0) - 1.0)
    fb = np.zeros((N_MELS, len(freqs)))
    for m in range(N_MELS):
        lo, mid, hi = corners[m], corners[m + 1], corners[m + 2]
        for k, f in enumerate(freqs):
            if lo < f < hi:
                fb[m, k] = (f - lo) / (mid - lo) if f <= mid else (hi - f) / (hi - mid)
        fb[m] /= fb[m].sum()
    out = np.zeros((n_frames, N_MELS))
    for t in range(n_frames):
        frame = padded[t * HOP : t * HOP + N_FFT] * window
        power = np.abs(np.fft.rfft(frame)) ** 2
        out[t] = np.log10(fb @ power * LOG_SCALE + 1.0) / LOG_MAX
    return out


def test_frontend_equals_naive_reference():
    rng = np.random.default_rng(0)
    t = np.arange(SAMPLE_RATE) / SAMPLE_RATE
    audio = (0.3 * np.sin(2 * np.pi * 440 * t) + 0.05 * rng.standard_normal(t.size)).astype(np.float32)
    ours = AisfxFrontend()(torch.from_numpy(audio)[None])[0].double().numpy()
    ref = _naive_logmel(audio)
    assert ours.shape == ref.shape == (1 + SAMPLE_RATE // HOP, N_MELS)
    np.testing.assert_allclose(ours, ref, atol=2e-5, rtol=0)


def test_filterbank_rows_sum_to_one_and_are_triangles():
    fb = htk_mel_filterbank_l1(SAMPLE_RATE, N_FFT, N_MELS, 0.0, SAMPLE_RATE / 2)
    np.testing.assert_allclose(fb.sum(axis=1), 1.0, atol=1e-12)
    peaks = fb.argmax(axis=1)
    assert np.all(np.diff(peaks) >= 0), "filters are ordered by frequency"


def test_peak_normalisation_makes_level_irrelevant():
    audio = torch.randn(1, SAMPLE_RATE) * 0.01
    fe = AisfxFrontend()
    torch.testing.assert_close(fe(audio), fe(audio * 30.0), rtol=1e-5, atol=1e-5)
    silent = fe(torch.zeros(1, SAMPLE_RATE))
    assert torch.isfinite(silent).all() and float(silent.abs().max()) == 0.0


def test_encoder_shapes_and_any_L():
    enc = AisfxEncoder(frames=128, pretrained=False, adapter_blocks=1).eval()
    with torch.no_grad():
        out = enc(torch.randn(2, SAMPLE_RATE * 10) * 0.1)
    assert out.shape == (2, 128, 512)
    assert enc.native_frames == 53
    with pytest.raises(ValueError, match="44100"):
        AisfxEncoder(sample_rate=48000, pretrained=False)
    with pytest.raises(ValueError, match="441000 samples"):
        enc(torch.randn(1, 48000))


def _model(freeze: list[str], cache_gb: float = 0.0) -> torch.nn.Module:
    cfg = {
        "frames": 32, "max_text_tokens": 32, "embed_dim": 32, "clip_scale_init": 2.65, "clip_scale_max": 100.0,
        "audio": {"name": "aisfx", "pretrained": True, "adapter_blocks": 1, "cache_gb": cache_gb},
        "text": {"name": "minilm", "pretrained": True},
        "projection": {"name": "mlp", "hidden": 32}, "scale": {"name": "per_text_scale", "hidden": 16},
        "bias": {"name": "per_text_bias", "hidden": 16}, "freeze": freeze,
    }
    return build_model(cfg)


def test_frozen_partly_frozen_and_fine_tuned_from_config():
    frozen = _model(["audio_encoder.trunk"]).train()
    enc = frozen.audio_encoder
    assert not any(p.requires_grad for p in enc.trunk.parameters())
    assert all(p.requires_grad for p in enc.adapter.parameters())
    assert not enc.trunk.training and enc.trunk_frozen()

    partly = _model(["audio_encoder.trunk.conv_block1", "audio_encoder.trunk.conv_block2"]).train()
    trunk = partly.audio_encoder.trunk
    assert not any(p.requires_grad for p in trunk.conv_block1.parameters())
    assert all(p.requires_grad for p in trunk.conv_block4.parameters())
    assert not partly.audio_encoder.trunk_frozen()  # its output is not memoised while any trunk weight trains
    assert trunk.frozen_prefix() == 2  # the fixed blocks' output can be

    tuned = _model([]).train()
    assert all(p.requires_grad for p in tuned.audio_encoder.parameters())
    audio = torch.randn(2, SAMPLE_RATE * 10) * 0.1
    tuned.audio_encoder(audio).sum().backward()
    assert tuned.audio_encoder.trunk.conv_block1.conv1.weight.grad is not None


def test_frozen_prefix_counts_the_fixed_blocks_before_the_first_read_layer():
    trunk = AisfxTrunk().eval()
    assert trunk.frozen_prefix() == 0  # every block trainable
    trunk.requires_grad_(False)
    assert trunk.frozen_prefix() == 3  # block 4 is read: never memoised as a prefix
    trunk.conv_block2.conv1.weight.requires_grad_(True)
    assert trunk.frozen_prefix() == 1
    trunk.requires_grad_(False)
    trunk.conv_block3.train()  # batch statistics: not a function of the clip alone
    assert trunk.frozen_prefix() == 2
    wide = AisfxTrunk(layers=(2, 4)).eval().requires_grad_(False)
    assert wide.frozen_prefix() == 1


def _partly_frozen(blocks: int, cache_gb: float) -> AisfxEncoder:
    torch.manual_seed(0)
    enc = AisfxEncoder(frames=32, pretrained=True, adapter_blocks=1, cache_gb=cache_gb).train()
    for number, block in enumerate(enc.trunk.blocks(), start=1):
        if number <= blocks:
            block.requires_grad_(False).eval()
    return enc


def test_fixed_leading_blocks_are_memoised_while_the_last_block_trains():
    """Same features and the same gradients as recomputing every block; only the trained block's weights get them."""
    from flamkit.models.audio import feature_cache

    audio = torch.randn(3, SAMPLE_RATE * 10) * 0.1
    plain = _partly_frozen(3, cache_gb=0.0).eval()  # eval: BatchNorm of block 4 from its running statistics
    memo = _partly_frozen(3, cache_gb=0.5).eval()
    memo.load_state_dict(plain.state_dict())
    feature_cache._SHARED = None
    try:
        want = plain(audio)
        want.square().mean().backward()
        got = memo(audio)
        torch.testing.assert_close(got, want, rtol=0, atol=1e-6)
        got.square().mean().backward()
        for (name, p), q in zip(plain.trunk.named_parameters(), memo.trunk.parameters()):
            if name.startswith("conv_block4"):
                torch.testing.assert_close(q.grad, p.grad, rtol=1e-5, atol=1e-8)
            else:
                assert p.grad is None and q.grad is None, name
        cache = feature_cache._SHARED
        assert cache is not None and cache.stats.misses == 3 and cache.stats.hits == 0
        again = memo(audio[[1]])
        assert cache.stats.hits == 1
        torch.testing.assert_close(again, got[[1]], rtol=0, atol=0)

        # A trained block 4 moves the output but not the memo's key; a changed block 1 moves both.
        with torch.no_grad():
            memo.trunk.conv_block4.conv1.weight.mul_(1.01)
        moved = memo(audio[[1]])
        assert cache.stats.hits == 2 and not torch.equal(moved, got[[1]])
        with torch.no_grad():
            memo.trunk.conv_block1.conv1.weight.mul_(1.01)
        memo(audio[[1]])
        assert cache.stats.misses == 4
    finally:
        feature_cache._SHARED = None


def test_prefix_memo_needs_the_memo_on_and_a_fixed_prefix():
    from flamkit.models.audio import feature_cache

    feature_cache._SHARED = None
    audio = torch.randn(1, SAMPLE_RATE * 10) * 0.1
    _partly_frozen(3, cache_gb=0.0)(audio)  # memo off: recomputed, nothing stored
    assert feature_cache._SHARED is None
    _partly_frozen(0, cache_gb=0.5)(audio)  # nothing fixed: nothing to memoise
    assert feature_cache._SHARED is None


def test_cache_gives_identical_features_and_counts_hits():
    enc = AisfxEncoder(frames=32, pretrained=True, adapter_blocks=1)
    enc.trunk.requires_grad_(False)
    enc.eval()
    audio = torch.randn(3, SAMPLE_RATE * 10) * 0.1
    with torch.no_grad():
        plain = enc(audio)
    enc.cache_gb = 0.5
    from flamkit.models.audio import feature_cache

    feature_cache._SHARED = None
    with torch.no_grad():
        first = enc(audio)
        second = enc(audio[[2, 0]])
    cache = feature_cache._SHARED
    assert cache is not None and cache.stats.misses == 3 and cache.stats.hits == 2
    torch.testing.assert_close(first, plain, rtol=0, atol=0)
    torch.testing.assert_close(second, plain[[2, 0]], rtol=0, atol=0)
    feature_cache._SHARED = None


def test_fingerprint_follows_weight_changes():
    trunk = AisfxTrunk()
    fp = ModuleFingerprint(trunk)
    before = fp()
    assert fp() == before
    trunk.load_state_dict(load_packaged_trunk_state())
    assert fp() != before


def test_feature_cache_lru_and_disk(tmp_path):
    calls = []

    def compute(a: torch.Tensor) -> torch.Tensor:
        calls.append(a.shape[0])
        return a[:, :4] * 2

    audio = torch.arange(30, dtype=torch.float32).reshape(3, 10)
    row_bytes = 4 * 4
    cache = FeatureCache(max_bytes=2 * row_bytes, directory=tmp_path)
    out = cache.features("fp", audio, compute)
    torch.testing.assert_close(out, audio[:, :4] * 2)
    assert calls == [3] and len(cache) == 2 and cache.stats.evictions == 1
    fresh = FeatureCache(max_bytes=10 * row_bytes, directory=tmp_path)  # another process: reads the files
    again = fresh.features("fp", audio, compute)
    torch.testing.assert_close(again, out, rtol=0, atol=0)
    assert calls == [3] and fresh.stats.disk_hits == 3
    other = fresh.features("other-weights", audio[:1], compute)  # another backbone: never a hit
    assert calls == [3, 1] and other.shape == (1, 4)


def test_frozen_bf16_trunk_is_close_to_fp32_and_keyed_apart():
    from flamkit.models.audio import feature_cache

    enc32 = AisfxEncoder(frames=32, pretrained=True, adapter_blocks=0, cache_gb=0.5)
    enc16 = AisfxEncoder(frames=32, pretrained=True, adapter_blocks=0, cache_gb=0.5, frozen_precision="bf16")
    for enc in (enc32, enc16):
        enc.trunk.requires_grad_(False)
        enc.eval()
    audio = torch.randn(2, SAMPLE_RATE * 10) * 0.1
    feature_cache._SHARED = None
    with torch.no_grad():
        a, b = enc32.trunk_features(audio), enc16.trunk_features(audio)
    assert a.dtype == b.dtype == torch.float32
    rel = float((a - b).norm() / a.norm())
    assert 0 < rel < 0.06  # bf16 differs, but only by rounding; and it never reads fp32's memo entries
    assert feature_cache._SHARED.stats.misses == 4
    feature_cache._SHARED = None
    with pytest.raises(ValueError, match="frozen_precision"):
        AisfxEncoder(pretrained=False, frozen_precision="fp16")


def test_inference_turns_the_memo_off():
    """Detection sees each window once: flamkit.load's models never memoise (flamkit.inference.loading)."""
    from flamkit.inference.loading import disable_feature_memo
    from flamkit.models.audio import feature_cache

    model = _model(["text_encoder", "audio_encoder.trunk"], cache_gb=1.0).eval()
    disable_feature_memo(model)
    feature_cache._SHARED = None
    with torch.no_grad():
        model.audio_encoder(torch.randn(1, SAMPLE_RATE * 10) * 0.1)
    assert model.audio_encoder.cache_gb == 0.0 and feature_cache._SHARED is None


def test_wider_trunk_features_equal_a_loop_over_the_package_blocks(package_model):
    """layers=[3, 4] and mel_pool=mean_max: block 3 and block 4 outputs, mean and max over mel, stacked."""
    wide = AisfxTrunk(layers=(3, 4), mel_pool="mean_max")
    wide.load_state_dict(load_packaged_trunk_state())
    wide.eval()
    spec = _spec(2, 431)
    net = package_model.embedding_net
    with torch.no_grad():
        x3 = net.conv_block3(net.conv_block2(net.conv_block1(spec.unsqueeze(1), pool_size=(2, 2), pool_type=net.pool_type),
                                             pool_size=(2, 2), pool_type=net.pool_type), pool_size=(2, 2), pool_type=net.pool_type)
        x4 = net.conv_block4(x3, pool_size=(1, 1), pool_type=net.pool_type)
        expected = torch.cat([x3.mean(3), x3.amax(3), x4.mean(3), x4.amax(3)], dim=1)
        got = wide(spec)
    assert wide.out_dim == 2 * (256 + 512) and got.shape == (2, 1536, 53)
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-5)
    low = AisfxTrunk(layers=(2, 4))  # block 2 has 107 steps here: averaged over windows to block 4's 53
    low.load_state_dict(load_packaged_trunk_state())
    with torch.no_grad():
        x2 = net.conv_block2(net.conv_block1(spec.unsqueeze(1), pool_size=(2, 2), pool_type=net.pool_type),
                             pool_size=(2, 2), pool_type=net.pool_type).mean(3)
        steps, target = x2.shape[-1], 53
        pooled = torch.stack([x2[..., (i * steps) // target: -((-(i + 1) * steps) // target)].mean(-1) for i in range(target)], -1)
        torch.testing.assert_close(low.eval()(spec)[:, :128], pooled, rtol=1e-5, atol=1e-5)
    for bad in ((4, 3), (0, 4), ()):
        with pytest.raises(ValueError, match="layers must be increasing"):
            AisfxTrunk(layers=bad)
    with pytest.raises(ValueError, match="mel_pool"):
        AisfxTrunk(mel_pool="max")


def test_wider_features_feed_the_adapter_and_are_memoised_apart():
    from flamkit.models.audio import feature_cache

    feature_cache._SHARED = None
    audio = torch.randn(2, SAMPLE_RATE * 10) * 0.1
    plain = AisfxEncoder(frames=16, adapter_blocks=1, cache_gb=0.5)
    wide = AisfxEncoder(frames=16, adapter_blocks=1, cache_gb=0.5, layers=[3, 4], mel_pool="mean_max")
    for enc in (plain, wide):
        enc.trunk.requires_grad_(False)
        enc.eval()
    assert isinstance(plain.input, torch.nn.Identity) and wide.input.in_channels == 1536
    with torch.no_grad():
        assert plain.trunk_features(audio).shape == (2, 512, 53)
        assert wide.trunk_features(audio).shape == (2, 1536, 53)  # not plain's memoised [2, 512, 53]
        assert wide(audio).shape == (2, 16, 512)
    assert feature_cache._SHARED.stats.misses == 4 and feature_cache._SHARED.stats.hits == 2
    feature_cache._SHARED = None


@pytest.mark.parametrize("output", ["logits", "hidden"])
def test_class_heads_equal_the_package_classifiers(package_model, trunk, output):
    """Read at the max over time, each head gives what the package's own fc[i] gives on its embedding (1e-5);
    at every frame they give per-frame outputs of the same heads (a loop over frames; 1e-4, since the
    batched matmul sums in another order and logits reach tens)."""
    from flamkit.models.audio.aisfx import AisfxClassHeads

    heads = AisfxClassHeads(output)
    spec = _spec(2, 100, seed=3)
    with torch.no_grad():
        frames = trunk(spec)  # [2, 512, T']
        emb = package_model.get_embedding(spec)
        refs = []
        for name in heads.libraries:
            fc = package_model.fc[package_model.getDatasetIdx(name)]
            refs.append(fc[:-1](emb) if output == "hidden" else fc(emb))
        ref = torch.cat(refs, dim=1)
        ours = heads(frames.amax(dim=2, keepdim=True))[..., 0]
        per_frame = heads(frames)
        loop = torch.stack([heads(frames[:, :, t : t + 1])[..., 0] for t in range(frames.shape[2])], dim=2)
    assert ref.shape == ours.shape == (2, heads.out_dim)
    assert heads.out_dim == (9 * 128 if output == "hidden" else 378)
    torch.testing.assert_close(ours, ref, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(per_frame, loop, rtol=1e-4, atol=1e-4)
    assert not any(p.requires_grad for p in heads.parameters())


def test_class_heads_feed_the_adapter_stay_frozen_and_keep_the_memo():
    from flamkit.models.audio import feature_cache

    feature_cache._SHARED = None
    audio = torch.randn(2, SAMPLE_RATE * 10) * 0.1
    plain = AisfxEncoder(frames=16, adapter_blocks=1, cache_gb=0.5)
    enc = AisfxEncoder(frames=16, adapter_blocks=1, cache_gb=0.5, class_heads="hidden")
    assert enc.input.in_channels == 512 + 9 * 128
    for e in (plain, enc):
        e.trunk.requires_grad_(False)
        e.eval()
    with torch.no_grad():
        plain.trunk_features(audio)
        out = enc(audio)
    assert out.shape == (2, 16, 512)
    # the heads read the memoised trunk output: the second encoder computes no trunk pass
    assert feature_cache._SHARED.stats.misses == 2 and feature_cache._SHARED.stats.hits == 2
    feature_cache._SHARED = None
    trained = {n for n, p in enc.named_parameters() if p.requires_grad}
    assert trained and not any(n.startswith("class_heads.") for n in trained)
    enc.requires_grad_(True)  # what fine-tuning everything does to the trunk...
    enc.class_heads.requires_grad_(False)  # ...and build_model's freeze leaves the heads as they are
    assert enc.class_heads.out_dim == 1152


def test_class_heads_refuse_what_they_cannot_read():
    with pytest.raises(ValueError, match="class_heads must be one of"):
        AisfxEncoder(frames=16, class_heads="probabilities")
    with pytest.raises(ValueError, match="pretrained=true"):
        AisfxEncoder(frames=16, pretrained=False, class_heads="logits")
    with pytest.raises(ValueError, match="layers=\\[4\\], mel_pool=mean"):
        AisfxEncoder(frames=16, layers=[3, 4], class_heads="logits")
