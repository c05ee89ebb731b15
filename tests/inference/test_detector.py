"""Detector: exact events on a rigged model, stitching against a naive window loop, inputs, queries."""

import math
import warnings

import numpy as np
import pytest
import soundfile as sf
import torch

import flamkit
from flamkit.inference.detector import Detector
from tests.inference.rigged import FRAME_SECONDS, SR, frame_truth, rigged_model, small_cnn_model, tone_audio

Q1, Q3 = "1 kHz tone", "3 kHz tone"


@pytest.fixture(scope="module")
def det():
    return Detector(rigged_model(), "cpu")


def _spans(events, label):
    return [(e.onset, e.offset) for e in events if e.label == label]


@pytest.mark.parametrize("mode", ["unbiased", "approximate"])
def test_events_exact_on_the_frame_grid(det, mode):
    bursts = [(3.125, 5.0, 1000), (7.3, 9.05, 1000), (20.2, 22.9, 3000), (31.0, 34.6, 1000)]
    audio = tone_audio(35.0, bursts)
    events = det.detect(audio, [Q1, Q3], sr=SR, mode=mode, median=1, name="x")
    assert _spans(events, Q1) == [frame_truth(a, b) for a, b, f in bursts if f == 1000]
    assert _spans(events, Q3) == [frame_truth(a, b) for a, b, f in bursts if f == 3000]
    for (a, b, f), e in zip([b for b in bursts if b[2] == 1000], [e for e in events if e.label == Q1]):
        assert abs(e.onset - a) < FRAME_SECONDS and abs(e.offset - b) < FRAME_SECONDS  # the criterion
        assert e.file == "x" and 0.99 < e.mean <= e.peak <= 1.0


def test_event_at_the_end_is_clipped_to_the_duration(det):
    audio = tone_audio(12.1, [(11.0, 12.1, 1000)])
    (e,) = det.detect(audio, Q1, sr=SR, median=1)
    assert e.onset == pytest.approx(math.floor(11.0 / FRAME_SECONDS) * FRAME_SECONDS)
    assert e.offset == pytest.approx(12.1)


def test_median_filter_and_min_duration(det):
    audio = tone_audio(20.0, [(5.0, 5.3, 1000), (10.0, 13.0, 1000)])  # one frame, then ten
    assert len(det.detect(audio, Q1, sr=SR, median=1)) == 2
    assert _spans(det.detect(audio, Q1, sr=SR, median=3), Q1) == [(10.0, 13.125)]
    assert _spans(det.detect(audio, Q1, sr=SR, median=1, min_duration=1.0), Q1) == [(10.0, 13.125)]


def test_any_rate_and_channel_layout(det):
    bursts = [(4.0, 6.0, 1000), (14.0, 15.5, 3000)]
    mono16 = det.detect(tone_audio(20.0, bursts), [Q1, Q3], sr=SR)
    x = tone_audio(20.0, bursts, sr=44100)
    stereo = np.stack([x, 0.5 * x], axis=1)  # [T, C]
    assert _spans(det.detect(stereo, [Q1, Q3], sr=44100), Q1) == _spans(mono16, Q1)
    assert _spans(det.detect(stereo.T, [Q1, Q3], sr=44100), Q3) == _spans(mono16, Q3)  # [C, T]
    pcm = (np.clip(x, -1, 1) * 32767).astype(np.int16)
    assert _spans(det.detect(torch.from_numpy(pcm), Q1, sr=44100), Q1) == _spans(mono16, Q1)


def test_file_and_array_agree(det, tmp_path):
    audio = tone_audio(23.0, [(4.0, 6.0, 1000)])
    path = tmp_path / "a.wav"
    sf.write(path, audio, SR, subtype="FLOAT")
    from_file = det.frame_probabilities(path, queries=[Q1, Q3])
    from_array = det.frame_probabilities(audio, SR, [Q1, Q3])
    np.testing.assert_array_equal(from_file.probs, from_array.probs)
    assert from_file.duration == pytest.approx(23.0) and from_file.probs.shape == (2, math.ceil(23.0 / FRAME_SECONDS))
    np.testing.assert_allclose(from_file.times[:3], [0, FRAME_SECONDS, 2 * FRAME_SECONDS])


def test_empty_short_and_silent_audio(det, tmp_path):
    with pytest.warns(UserWarning, match="empty audio"):
        fp = det.frame_probabilities(np.zeros(0, np.float32), SR, [Q1, Q3])
    assert fp.probs.shape == (2, 0) and fp.duration == 0.0
    empty = tmp_path / "empty.wav"
    sf.write(empty, np.zeros(0, np.float32), SR)
    with pytest.warns(UserWarning, match="zero-length"):
        assert det.detect(empty, Q1) == []
    short = det.frame_probabilities(tone_audio(0.1, [(0.0, 0.1, 1000)]), SR, Q1, median=1)
    assert short.probs.shape == (1, 1) and short.probs[0, 0] > 0.99 and short.duration == pytest.approx(0.1)
    assert det.detect(np.zeros(SR * 12, np.float32), [Q1, Q3], sr=SR) == []


def test_bad_arrays_are_refused(det):
    bad = np.zeros(SR, np.float32)
    bad[123] = np.nan
    with pytest.raises(ValueError, match="NaN or infinite sample.*123"):
        det.detect(bad, Q1, sr=SR)
    with pytest.raises(ValueError, match="sample rate"):
        det.detect(np.zeros(SR, np.float32), Q1)
    with pytest.raises(ValueError, match="mode"):
        det.detect(np.zeros(SR, np.float32), Q1, sr=SR, mode="exact")
    with pytest.raises(ValueError, match="median"):
        det.detect(np.zeros(SR, np.float32), Q1, sr=SR, median=2)


def test_queries_empty_long_and_cached(det, monkeypatch):
    with pytest.raises(ValueError, match="query 1 is empty"):
        det.embed_text([Q1, "   "])
    with pytest.raises(ValueError, match="no queries"):
        det.embed_text([])
    calls = []
    encode = det.model.encode_text
    monkeypatch.setattr(det.model, "encode_text", lambda texts: calls.append(list(texts)) or encode(texts))
    det._text_cache.clear()
    t = det.embed_text(["3 kHz Tone", " 3 khz  tone", "dog"])
    det.embed_text("3 KHZ TONE")
    assert calls == [["3 khz tone", "dog"]]  # normalised, each encoded once
    assert torch.equal(t.emb[0], t.emb[1]) and t.emb.shape == (3, 3) and t.scale.shape == (3,)

    from transformers import AutoTokenizer

    from flamkit.models.text.hf import bundled_minilm_path

    monkeypatch.setattr(det.model.text_encoder, "tokenizer", AutoTokenizer.from_pretrained(str(bundled_minilm_path())), raising=False)
    monkeypatch.setattr(det.model.text_encoder, "max_tokens", 8)
    with pytest.warns(UserWarning, match="reads only the first 8"):
        det.embed_text("a 1 khz tone that goes on and on and on and on")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        det.embed_text("short 1 khz")


def _naive_probabilities(model, audio, texts, hop_frames, mode, first_only=False):
    """Explicit windows (zero-padded to a clip), per-frame float64 sums over the windows that cover a frame.

    ``first_only``: keep each frame's value from the first window covering it (a wrong stitching).
    """
    L, clip = model.frames, int(model.sample_rate * model.clip_seconds)
    fs = clip // L
    n_frames = math.ceil(len(audio) / fs)
    sums, counts = np.zeros((len(texts), n_frames)), np.zeros(n_frames)
    w = 0
    while True:
        start = w * hop_frames * fs
        window = np.zeros(clip, np.float32)
        seg = audio[start : start + clip]
        window[: len(seg)] = seg
        p = model.frame_probabilities(torch.from_numpy(window)[None], texts, mode)[0].double().numpy()
        for l in range(L):
            g = w * hop_frames + l
            if g < n_frames and not (first_only and counts[g]):
                sums[:, g] += p[:, l]
                counts[g] += 1
        if start + clip >= len(audio):
            return sums / counts
        w += 1


@pytest.fixture(scope="module")
def cnn_model():
    return small_cnn_model()[0]


@pytest.mark.parametrize("hop,hop_frames", [(None, 16), (2.5, 8)])
def test_stitching_matches_a_naive_window_loop(cnn_model, tmp_path, hop, hop_frames):
    audio = tone_audio(35.0, [(3.0, 9.0, 1000), (17.0, 18.0, 3000)], noise=0.05)
    path = tmp_path / "a35.wav"
    sf.write(path, audio, SR, subtype="FLOAT")
    det = Detector(cnn_model, "cpu", batch_size=3)  # batches that split the windows unevenly
    texts = [Q1, Q3, "something else"]
    for mode in ("unbiased", "approximate"):
        got = det.frame_probabilities(path, queries=texts, mode=mode, median=1, hop=hop)
        want = _naive_probabilities(cnn_model, audio, texts, hop_frames, mode)
        assert got.probs.shape == want.shape == (3, 112)
        np.testing.assert_allclose(got.probs, want, atol=2e-6)
        wrong = _naive_probabilities(cnn_model, audio, texts, hop_frames, mode, first_only=True)
        assert np.abs(wrong - want).max() > 50 * 2e-6  # windows disagree: the average is what is tested


def test_embed_audio_averages_unit_embeddings(cnn_model):
    audio = tone_audio(13.0, [(3.0, 9.0, 1000)], noise=0.05)  # windows at 0 s and 5 s (8 s of audio, padded)
    det = Detector(cnn_model, "cpu")
    fe = det.embed_audio(audio, SR)
    assert fe.frames.shape == (42, 8) and fe.duration == pytest.approx(13.0)
    with torch.no_grad():
        w0 = cnn_model.encode_audio(torch.from_numpy(audio[:160000])[None]).frames[0].numpy()
        pad = np.zeros(160000, np.float32)
        pad[: len(audio) - 80000] = audio[80000:]
        w1 = cnn_model.encode_audio(torch.from_numpy(pad)[None]).frames[0].numpy()
    np.testing.assert_allclose(fe.frames[:16], w0[:16], atol=1e-6)  # covered by window 0 only
    np.testing.assert_allclose(fe.frames[16:32], (w0[16:] + w1[:16]) / 2, atol=1e-6)
    np.testing.assert_allclose(fe.frames[32:], w1[16:26], atol=1e-6)  # window 1's padded frames excluded
    np.testing.assert_allclose(np.linalg.norm(fe.clip), 1.0, rtol=1e-6)
    with pytest.warns(UserWarning, match="empty audio"):
        assert det.embed_audio(np.zeros(0, np.float32), SR).frames.shape == (0, 8)


def test_load_from_checkpoint(rigged_ckpt):
    det = flamkit.load(rigged_ckpt.parent, device="cpu")  # a checkpoints/ folder resolves to its newest
    assert det.checkpoint == rigged_ckpt and det.device.type == "cpu" and not det.model.training
    audio = tone_audio(12.0, [(2.0, 4.0, 3000)])
    assert _spans(det.detect(audio, Q3, sr=SR), Q3) == [frame_truth(2.0, 4.0)]
    assert det.identity == Detector(rigged_model(), "cpu", model_config=(rigged_ckpt / "model.yaml").read_text()).identity


def test_a_frame_grid_without_whole_sample_hops_detects_without_overlap_and_says_so():
    """L = 53 at 44.1 kHz (the aisfx recipe's native frames): only whole windows start on the grid."""
    from flamkit.models.flam import build_model

    _, cfg = small_cnn_model()
    cfg = {**cfg, "frames": 53, "audio": {**cfg["audio"], "sample_rate": 44100}}
    torch.manual_seed(0)
    model = build_model(cfg).eval()
    with pytest.warns(UserWarning, match="overlap by 0%, not the 50%"):
        det53 = Detector(model, "cpu")
    assert det53.plan().hop_frames == 53
    audio = tone_audio(25.0, [(3.0, 6.0, 1000.0)], sr=44100)
    fp = det53.frame_probabilities(audio, 44100, [Q1], median=1)
    assert fp.probs.shape == (1, math.ceil(25.0 * 53 / 10.0 - 1e-9))
    # Windows side by side: the second window's frames are the model's own on samples 441000-882000.
    direct = model.frame_probabilities(torch.from_numpy(audio[441000:882000])[None], [Q1])[0, 0].numpy()
    np.testing.assert_allclose(fp.probs[0, 53:106], direct, atol=1e-5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Detector(rigged_model(), "cpu")  # 16 kHz, L = 32: the 50 % asked for, no warning
