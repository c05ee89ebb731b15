import numpy as np
import pytest

from flamkit.eval.metrics.retrieval import average_precision_at_k, retrieval_metrics


def naive_metrics(sim, caption_audio):
    """Explicit loops: rank by score, irrelevant items first on ties, relevant ones by index."""
    n_cap, n_aud = sim.shape
    out = {}
    t2a = []
    for t in range(n_cap):
        target = caption_audio[t]
        rank = sum(1 for a in range(n_aud) if a != target and sim[t, a] >= sim[t, target])
        t2a.append(rank)
    for k in (1, 5, 10):
        out[f"t2a_R@{k}"] = sum(r < k for r in t2a) / n_cap
    out["t2a_mAP@10"] = sum(1 / (r + 1) for r in t2a if r < 10) / n_cap
    best, aps = [], []
    for a in range(n_aud):
        rel = [t for t in range(n_cap) if caption_audio[t] == a]
        if not rel:
            continue
        ranks = []
        for p in rel:
            ahead = 0
            for q in range(n_cap):
                if q == p:
                    continue
                if sim[q, a] > sim[p, a]:
                    ahead += 1
                elif sim[q, a] == sim[p, a] and (caption_audio[q] != a or q < p):
                    ahead += 1
            ranks.append(ahead)
        ranks.sort()
        best.append(ranks[0])
        hits = [r for r in ranks if r < 10]
        aps.append(sum((i + 1) / (r + 1) for i, r in enumerate(hits)) / min(len(rel), 10))
    for k in (1, 5, 10):
        out[f"a2t_R@{k}"] = sum(r < k for r in best) / len(best)
    out["a2t_mAP@10"] = sum(aps) / len(aps)
    out["n_audios_without_captions"] = n_aud - len(best)
    return out


@pytest.mark.parametrize("seed", range(6))
def test_matches_naive_loops_with_multiple_captions_and_ties(seed):
    rng = np.random.default_rng(seed)
    n_aud = int(rng.integers(3, 30))
    per = rng.integers(0, 7, n_aud)  # 0..6 captions per audio, some audios without any
    per[0] = max(per[0], 1)
    caption_audio = np.repeat(np.arange(n_aud), per)
    rng.shuffle(caption_audio)
    sim = np.round(rng.normal(size=(len(caption_audio), n_aud)), 1)  # many ties
    sim[np.arange(len(caption_audio)), caption_audio] += rng.uniform(0, 1.5)  # informative
    got = retrieval_metrics(sim, caption_audio)
    ref = naive_metrics(sim, caption_audio)
    for key, value in ref.items():
        assert got[key] == pytest.approx(value, abs=1e-12), key


def test_clotho_layout_perfect_and_constant():
    n_aud = 20
    caption_audio = np.repeat(np.arange(n_aud), 5)
    sim = (caption_audio[:, None] == np.arange(n_aud)[None, :]).astype(float)
    m = retrieval_metrics(sim, caption_audio)
    assert all(m[k] == 1.0 for k in ("t2a_R@1", "t2a_mAP@10", "a2t_R@1", "a2t_mAP@10"))
    m = retrieval_metrics(np.zeros_like(sim), caption_audio)
    assert m["t2a_R@10"] == 0.0 and m["a2t_R@1"] == 0.0  # ties never credit the relevant item


def test_hand_computed_ap_at_10():
    # relevant items at 0-based ranks 0, 2, 11 of R = 3: AP@10 = (1/1 + 2/3) / 3
    assert average_precision_at_k(np.array([0, 2, 11])) == pytest.approx((1 + 2 / 3) / 3)
    # 12 relevant items at the top: normalised by min(R, 10) -> 1
    assert average_precision_at_k(np.arange(12)) == pytest.approx(1.0)


def test_bad_input():
    with pytest.raises(ValueError, match="caption_audio"):
        retrieval_metrics(np.zeros((3, 2)), np.array([0, 1]))
    with pytest.raises(ValueError, match=r"\[0, 2\)"):
        retrieval_metrics(np.zeros((2, 2)), np.array([0, 2]))
    with pytest.raises(ValueError, match="non-finite"):
        retrieval_metrics(np.full((1, 1), np.nan), np.array([0]))
