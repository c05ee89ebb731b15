import math

import numpy as np
import pytest
import soundfile as sf
import torch
from omegaconf import OmegaConf

from flamkit.eval.inference import (
    AudioClip,
    AudioLoadError,
    TextEmbedder,
    embed_audio,
    load_audio,
    plan_windows,
    score_frames,
)
from flamkit.models.flam import build_model
from flamkit.scoring import frame_scores
from tests.eval import tone_model as tm

CLIP = int(tm.SR * tm.CLIP_SECONDS)


def random_model(seed: int = 1):
    torch.manual_seed(seed)
    return build_model(OmegaConf.create(tm.model_config())).eval()


def naive_plan(n: int, clip: int, frames: int, tol: int):
    """Explicit loops: windows until the audio is covered; a frame is kept when one of its samples is audio."""
    if n == clip:
        return "exact", 1, frames
    if clip < n <= clip + tol:
        return "trimmed", 1, frames
    windows = 1
    while windows * clip < n:
        windows += 1
    per_frame = clip / frames
    kept = 0
    for j in range(windows * frames):
        first_sample = math.ceil(j * per_frame - 1e-9)
        if first_sample < n:
            kept += 1
    return ("padded" if n < clip else "split"), windows, kept


@pytest.mark.parametrize("n", [1, 2499, 2500, 2501, 40000, CLIP - 1, CLIP, CLIP + 5, CLIP + 81, 2 * CLIP, 2 * CLIP + 1, 3 * CLIP - 7])
def test_plan_windows_matches_naive_rule(n):
    assert plan_windows(n, CLIP, 32, tolerance_samples=80) == naive_plan(n, CLIP, 32, 80)


def _clip(events, seconds, key):
    return AudioClip(key, audio=tm.tone_audio(events, seconds, noise=0.01), sample_rate=tm.SR)


def test_frames_of_exact_padded_and_split_clips_equal_the_model_on_each_window():
    model = random_model()
    clips = [
        _clip([(1.0, 3.0, "beep")], 10.0, "exact"),
        _clip([(0.5, 2.0, "buzz")], 6.1, "short"),
        _clip([(9.0, 12.0, "whistle")], 23.4, "long"),
        _clip([(2.0, 4.0, "beep")], 10.004, "trim"),
    ]
    emb = embed_audio(model, clips, batch_size=3, tolerance_seconds=0.01)
    rep = emb.lengths
    assert (rep.n_exact, rep.n_padded, rep.n_split, rep.n_trimmed, rep.n_windows) == (1, 1, 1, 1, 6)
    assert list(emb.n_frames()) == [32, math.ceil(6.1 / tm.HOP), math.ceil(23.4 / tm.HOP), 32]
    np.testing.assert_allclose(emb.durations, [10.0, 6.1, 23.4, 10.004], atol=1e-4)
    with torch.no_grad():
        for i, clip in enumerate(clips):
            audio = clip.load(tm.SR)
            windows = max(1, -(-len(audio) // CLIP)) if clip.key != "trim" else 1
            padded = np.zeros(windows * CLIP, np.float32)
            padded[: min(len(audio), len(padded))] = audio[: len(padded)]
            ref = model.encode_audio(torch.from_numpy(padded.reshape(windows, CLIP))).frames
            ref = ref.reshape(windows * tm.FRAMES, -1)[: emb.n_frames()[i]].numpy()
            np.testing.assert_allclose(emb.clip(i), ref, atol=1e-5)
        exact = model.encode_audio(torch.from_numpy(clips[0].load(tm.SR))[None]).clip[0].numpy()
    np.testing.assert_allclose(emb.clip_embeddings()[0], exact, atol=1e-5)
    assert "padded 1 clip(s)" in " ".join(rep.lines()) and "short (6.100 s)" in rep.padded_examples[0]
    assert "split 1 clip(s)" in " ".join(rep.lines()) and "trimmed 1 clip(s)" in " ".join(rep.lines())


def test_clip_embeddings_use_the_models_pooling_over_kept_frames():
    """A model whose clip embedding is not the frames' mean: retrieval sees its pooling, over all kept frames."""
    torch.manual_seed(1)
    model = build_model(OmegaConf.create({**tm.model_config(), "pooling": {"name": "test_max"}})).eval()
    assert not model.pools_by_mean
    clips = [_clip([(1.0, 3.0, "beep")], 10.0, "exact"), _clip([(0.5, 2.0, "buzz")], 6.1, "short"),
             _clip([(9.0, 12.0, "whistle")], 23.4, "long")]
    emb = embed_audio(model, clips, batch_size=2)
    assert emb.pooled is not None and emb.clip_embeddings().shape == (3, len(tm.NAMES) + 1)
    with torch.no_grad():
        exact = model.encode_audio(torch.from_numpy(clips[0].load(tm.SR))[None]).clip[0].numpy()
        np.testing.assert_allclose(emb.clip_embeddings()[0], exact, atol=1e-6)
        for i in (1, 2):
            audio = clips[i].load(tm.SR)
            windows = -(-len(audio) // CLIP)
            padded = np.zeros(windows * CLIP, np.float32)
            padded[: len(audio)] = audio
            raw = model.encode_audio(torch.from_numpy(padded.reshape(windows, CLIP))).projected
            kept = raw.reshape(windows * tm.FRAMES, -1)[: emb.n_frames()[i]]
            want = torch.nn.functional.normalize(kept.max(0).values, dim=0).numpy()
            np.testing.assert_allclose(emb.clip_embeddings()[i], want, atol=1e-6)
    mean_model = random_model()
    assert mean_model.pools_by_mean and embed_audio(mean_model, clips[:1]).pooled is None  # unchanged path


def test_worker_processes_give_the_same_frames_as_one_process():
    model = random_model(2)
    clips = [_clip([(k, k + 2.0, tm.NAMES[k % 3])], 4.0 + 3 * k, f"k{k}") for k in range(5)]
    one = embed_audio(model, clips, batch_size=2)
    many = embed_audio(model, clips, batch_size=2, workers=2)
    assert many.keys == one.keys and np.array_equal(many.offsets, one.offsets)
    np.testing.assert_allclose(many.values, one.values, atol=1e-6)
    assert many.lengths.to_dict() == one.lengths.to_dict()
    torch.manual_seed(2)
    pooled = build_model(OmegaConf.create({**tm.model_config(), "pooling": {"name": "test_max"}})).eval()
    np.testing.assert_allclose(embed_audio(pooled, clips[:3], batch_size=2, workers=2).pooled,
                               embed_audio(pooled, clips[:3], batch_size=2).pooled, atol=1e-6)


def test_files_are_decoded_mixed_to_mono_and_resampled(tmp_path):
    audio = tm.tone_audio([(1.0, 2.0, "beep")], 3.0)
    stereo = np.stack([audio, audio], axis=1)
    sf.write(tmp_path / "a.wav", stereo, tm.SR)
    np.testing.assert_allclose(load_audio(str(tmp_path / "a.wav"), tm.SR), audio, atol=1e-4)
    sf.write(tmp_path / "b.flac", audio, 16000)  # declared 16 kHz: resampled to half the samples
    assert abs(len(load_audio(str(tmp_path / "b.flac"), tm.SR)) - len(audio) // 2) <= 1
    (tmp_path / "bad.wav").write_bytes(b"not audio")
    with pytest.raises(AudioLoadError, match="bad.wav"):
        load_audio(str(tmp_path / "bad.wav"), tm.SR)
    with pytest.raises(AudioLoadError, match="NaN"):
        AudioClip("nan", audio=np.array([0.0, np.nan], np.float32), sample_rate=tm.SR).load(tm.SR)


def test_clip_keys_must_be_unique():
    c = _clip([], 1.0, "same")
    with pytest.raises(ValueError, match="unique"):
        embed_audio(random_model(), [c, c])


def test_text_embeddings_are_cached_per_text():
    model = random_model()
    calls = []
    original = model.encode_text
    model.encode_text = lambda texts: calls.append(list(texts)) or original(texts)
    te = TextEmbedder(model, batch_size=2)
    a = te(["beep", "buzz", "beep", "whistle"])
    b = te(["whistle", "beep"])
    assert calls == [["beep", "buzz"], ["whistle"]] and te.n_encoded == 3
    np.testing.assert_array_equal(a.emb[[3, 0]], b.emb)
    with torch.no_grad():
        ref = original(["buzz"])
    np.testing.assert_allclose(a.emb[1], ref.emb[0].numpy(), atol=1e-6)
    assert a.scale[1] == pytest.approx(float(ref.scale[0])) and a.bias[1] == pytest.approx(float(ref.bias[0]))


@pytest.mark.parametrize("mode", ["unbiased", "approximate"])
def test_score_frames_equals_the_models_frame_probabilities(mode):
    model = random_model()
    audio = torch.from_numpy(tm.tone_audio([(1.0, 4.0, "buzz")], 10.0, noise=0.05))[None]
    texts = ["beep", "buzz", "whistle"]
    emb = embed_audio(model, [AudioClip("x", audio=audio[0].numpy(), sample_rate=tm.SR)])
    got = score_frames(emb.values, TextEmbedder(model)(texts), mode, chunk_rows=7)
    ref = model.frame_probabilities(audio, texts, mode=mode)[0].T.numpy()
    np.testing.assert_allclose(got, ref, atol=1e-6)
    t = model.encode_text(texts)
    cos = model.frame_cosine(model.encode_audio(audio), t)
    np.testing.assert_allclose(got, frame_scores(cos, t.scale, t.bias, mode)[0].T.detach().numpy(), atol=1e-6)
