"""Search: the planted event comes first; segment merging against a naive loop; the text cache."""

import numpy as np
import pytest
import torch

from flamkit.inference.detector import Detector
from flamkit.inference.index import FrameIndex, build_index
from flamkit.inference.search import QueryEmbedding, Searcher, TextCache, _segments, _Shard, _top_indices, query_embedding
from tests.inference.rigged import frame_truth, model_config, rigged_model, small_cnn_model, tone_audio, write_wav


@pytest.fixture(scope="module")
def det():
    return Detector(rigged_model(), "cpu", model_config=model_config())


@pytest.fixture(scope="module")
def index(det, tmp_path_factory):
    root = tmp_path_factory.mktemp("clips")
    for i in range(6):
        bursts = [(6.1, 7.7, 1000)] if i == 4 else [(2.0, 2.5, 3000)] if i == 1 else []
        write_wav(root / f"clip{i}.wav", tone_audio(10.0, bursts, seed=i))
    write_wav(root / "long.wav", tone_audio(40.0, [(31.0, 33.0, 3000)], seed=9))
    out = tmp_path_factory.mktemp("idx") / "index"
    build_index(root, out, det, progress=False)
    return FrameIndex.open(out)


def test_planted_event_comes_first(det, index):
    s = Searcher(index)
    hits = s.search(query_embedding(det, "a 1 kHz tone"), top=5)
    assert (hits[0].file, hits[0].onset, hits[0].offset) == ("clip4.wav", *frame_truth(6.1, 7.7))
    assert hits[0].score > 0.99 and all(h.score < 0.5 for h in hits[1:])  # the rest are best guesses
    assert len(hits) == 5 and [h.score for h in hits] == sorted([h.score for h in hits], reverse=True)
    (scores,) = s.scores(query_embedding(det, "a 1 kHz tone"))
    e = index.files["clip4.wav"]
    run = scores[e.start + round(hits[0].onset / 0.3125) : e.start + round(hits[0].offset / 0.3125)]
    assert hits[0].mean == pytest.approx(float(run.mean()), abs=1e-6) and hits[0].score == pytest.approx(float(run.max()))
    three = s.search(query_embedding(det, "3 kHz"), top=3)
    assert {(h.file, h.onset, h.offset) for h in three[:2]} == {
        ("clip1.wav", *frame_truth(2.0, 2.5)), ("long.wav", *frame_truth(31.0, 33.0))
    }
    assert three[2].score < 0.5


def test_scores_match_the_detector(det, index):
    """An indexed frame's score is the detector's where one window covers it (a 10 s clip)."""
    s = Searcher(index)
    q = query_embedding(det, "1 kHz")
    (scores,) = s.scores(q)
    e = index.files["clip4.wav"]
    fp = det.frame_probabilities(index.root / "clip4.wav", queries="1 kHz", median=1)
    np.testing.assert_allclose(scores[e.start : e.start + e.frames], fp.probs[0], atol=2e-3)


def _naive_hits(scores, owner, threshold, top):
    segs, peaks = [], []
    n = len(scores)
    for i in range(n):
        if owner[i] < 0:
            continue
        same_prev = i > 0 and owner[i - 1] == owner[i]
        same_next = i < n - 1 and owner[i + 1] == owner[i]
        if scores[i] > threshold and not (same_prev and scores[i - 1] > threshold):
            j = i
            while j + 1 < n and owner[j + 1] == owner[i] and scores[j + 1] > threshold:
                j += 1
            run = scores[i : j + 1]
            segs.append((max(run), sum(run) / len(run), i, j + 1))
        left = scores[i - 1] if same_prev else -np.inf
        right = scores[i + 1] if same_next else -np.inf
        if scores[i] <= threshold and scores[i] > left and scores[i] >= right:
            peaks.append((scores[i], scores[i], i, i + 1))
    segs.sort(key=lambda h: -h[0])
    peaks.sort(key=lambda h: -h[0])
    return (segs + peaks)[:top]


@pytest.mark.parametrize("seed", range(5))
def test_segments_against_a_naive_loop(seed):
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, 12, size=12)
    owner = np.concatenate([np.full(k, i if i != 3 else -1, dtype=np.int32) for i, k in enumerate(sizes)])  # file 3 dead
    prev, nxt = np.r_[-2, owner[:-1]], np.r_[owner[1:], -2]
    starts = np.array([np.flatnonzero(owner == i)[0] if i != 3 else 0 for i in range(len(sizes))])
    shard = _Shard(torch.zeros(len(owner), 2, dtype=torch.float16), owner, owner >= 0, owner != prev, owner != nxt, starts, [])
    assert not shard.all_live
    scores = rng.random(len(owner)).astype(np.float64)
    scores[owner < 0] = -np.inf
    for top in (1, 5, 40, 500):
        got = _segments(shard, scores, 0.6, top)
        want = _naive_hits(scores, owner, 0.6, top)
        assert [(a, b) for _, a, b in got] == [(a, b) for *_, a, b in want]
        np.testing.assert_allclose([g[0] for g in got], [w[0] for w in want])


def test_top_indices_break_ties_by_index():
    values = np.array([0.5, 0.9, 0.5, 0.5, 0.9, 0.1, 0.5])
    for n in range(1, 8):
        assert list(_top_indices(values, n)) == sorted(range(7), key=lambda i: (-values[i], i))[:n]


def test_text_cache_round_trip(det, index, tmp_path):
    cache = TextCache(tmp_path, index.identity)
    assert cache.get("Glass  breaking") is None
    q = query_embedding(det, "Glass breaking")
    cache.put(q)
    got = cache.get("glass breaking ")
    assert got.query == "glass breaking" and got.scale == q.scale and got.bias == q.bias
    np.testing.assert_array_equal(got.emb, q.emb)
    assert TextCache(tmp_path, "another-model").get("glass breaking") is None
    with pytest.raises(ValueError, match="threshold"):
        Searcher(index).search(q, threshold=2.0)
    with pytest.raises(ValueError, match="dims"):
        Searcher(index).search(QueryEmbedding("x", np.ones(5, np.float32), 1.0, 0.0))


def test_search_in_cosine_space_equals_thresholding_scores(index, tmp_path):
    """Thresholds mapped to cosines give the hits a naive pass over every frame's probability gives."""
    model, cfg = small_cnn_model()
    det = Detector(model, "cpu", model_config=cfg)
    build_index(index.root, tmp_path / "cnn", det, progress=False)
    s = Searcher(FrameIndex.open(tmp_path / "cnn"))
    sh = s.shards[0]
    for mode in ("unbiased", "approximate"):
        q = query_embedding(det, "1 kHz")
        (scores,) = s.scores(q, mode)
        for threshold in [*np.quantile(scores, [0.1, 0.5, 0.9, 0.99]), float(np.unique(scores)[3])]:  # also exact ties
            hits = s.search(q, top=12, threshold=float(threshold), mode=mode)
            want = _naive_hits(scores.astype(np.float64), sh.owner, float(threshold), 12)
            got = [(int(sh.starts[sh.names.index(h.file)]) + round(h.onset / s.frame_seconds), h.score) for h in hits]
            assert [g[0] for g in got] == [w[2] for w in want]
            np.testing.assert_allclose([g[1] for g in got], [w[0] for w in want], atol=1e-6)
