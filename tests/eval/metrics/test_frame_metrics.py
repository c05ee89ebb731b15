import numpy as np
import pytest
from scipy.stats import spearmanr

from flamkit.eval.metrics.frame_metrics import (
    EventFrames,
    closed_set_prf_curve,
    event_prf_curve,
    present_event_auroc,
    prf_curve,
    spearman_per_event,
)
from flamkit.eval.metrics.frame_scores import FrameScores

from .helpers import random_set


def naive_pairs(fs, gt):
    """(file, label, frame scores, frame labels) for each label present in each clip, by explicit loops."""
    out = []
    for i, f in enumerate(fs.files):
        for label in sorted({e[2] for e in gt[f]}, key=fs.classes.index):
            k = fs.classes.index(label)
            n = int(fs.lengths[i])
            t = np.zeros(n, bool)
            for on, off, lab in gt[f]:
                if lab != label:
                    continue
                for j in range(n):
                    if j * fs.hop < off and (j + 1) * fs.hop > on:
                        t[j] = True
            out.append((f, label, fs.clip(i)[:, k].astype(np.float64), t))
    return out


def naive_auc(pos, neg):
    return sum(1 for p in pos for n in neg if p > n) / (len(pos) * len(neg))


def test_event_frames_from_closed_set_matches_loops_and_clip_scores():
    fs, gt, _, _ = random_set(seed=0, length=(8, 32))
    ev = EventFrames.from_frame_scores(fs, gt)
    ref = naive_pairs(fs, gt)
    assert len(ev.files) == len(ref)
    got = {(f, lab): r for r, (f, lab) in enumerate(zip(ev.files, ev.labels))}
    for f, label, s, t in ref:
        r = got[(f, label)]
        n = ev.lengths[r]
        np.testing.assert_array_equal(ev.scores[r, :n], s.astype(np.float32))
        np.testing.assert_array_equal(ev.targets[r, :n], t)
        assert not ev.targets[r, n:].any()
    clip_scores = {f: (fs.clip(i), list(fs.classes)) for i, f in enumerate(fs.files)}
    ev2 = EventFrames.from_clip_scores(clip_scores, gt, fs.hop)
    a = {(f, lab): (ev.scores[r], ev.targets[r]) for r, (f, lab) in enumerate(zip(ev.files, ev.labels))}
    for r, key in enumerate(zip(ev2.files, ev2.labels)):
        np.testing.assert_array_equal(ev2.scores[r], a[key][0])
        np.testing.assert_array_equal(ev2.targets[r], a[key][1])


def test_clip_scores_must_cover_ground_truth_descriptions():
    gt = {"a": [(0.0, 1.0, "a dog barks")]}
    with pytest.raises(ValueError, match="'a dog barks' was not scored"):
        EventFrames.from_clip_scores({"a": (np.zeros((32, 1)), ["rain"])}, gt, 0.3125)
    with pytest.raises(ValueError, match="no scores"):
        EventFrames.from_clip_scores({}, gt, 0.3125)


def test_present_event_auroc_matches_naive_pooling():
    fs, gt, _, _ = random_set(seed=1, length=(10, 32), separation=1.0)
    r = present_event_auroc(EventFrames.from_frame_scores(fs, gt))
    pairs = naive_pairs(fs, gt)
    pos = [x for _, _, s, t in pairs for x in s[t]]
    neg = [x for _, _, s, t in pairs for x in s[~t]]
    assert r.pooled == pytest.approx(naive_auc(pos, neg), abs=1e-12)
    per_label = []
    for label in sorted({lab for _, lab, _, _ in pairs}):
        p = [x for _, lab, s, t in pairs if lab == label for x in s[t]]
        n = [x for _, lab, s, t in pairs if lab == label for x in s[~t]]
        if p and n:
            per_label.append(naive_auc(p, n))
    assert r.label_mean == pytest.approx(np.mean(per_label), abs=1e-12)
    assert r.n_pairs == len(pairs)


def test_present_event_auroc_ignores_absent_descriptions():
    """High scores for descriptions absent from a clip hurt closed-set AUROC but not §5.2's AUROC."""
    hop = 0.5
    gt = {"a": [(0.0, 2.0, "dog")], "b": [(3.0, 5.0, "cat")]}
    s = np.zeros((2, 20, 2), np.float32)
    s[0, :4, 0] = 0.9  # dog in a, right
    s[1, 6:10, 1] = 0.9  # cat in b, right
    s[0, :, 1] = 1.0  # cat scored high everywhere in a, where it is absent
    fs = FrameScores.from_dense(s, ["a", "b"], ["dog", "cat"], hop)
    r = present_event_auroc(EventFrames.from_frame_scores(fs, gt))
    assert r.pooled == 1.0
    from flamkit.eval.metrics.sed import segment_auroc

    assert segment_auroc(fs, gt, engine="native").per_class["cat"] < 1.0


def test_present_event_auroc_perfect_inverted_random():
    fs, gt, _, lab = random_set(seed=2, n_files=200)
    ev = EventFrames.from_frame_scores(fs.with_values(lab.astype(np.float32)), gt)
    assert present_event_auroc(ev).pooled == 1.0
    ev = EventFrames.from_frame_scores(fs.with_values(1 - lab.astype(np.float32)), gt)
    assert present_event_auroc(ev).pooled == 0.0
    rng = np.random.default_rng(0)
    ev = EventFrames.from_frame_scores(fs.with_values(rng.random(lab.shape).astype(np.float32)), gt)
    assert abs(present_event_auroc(ev).pooled - 0.5) < 0.03


def test_spearman_matches_scipy_and_counts_undefined():
    fs, gt, _, _ = random_set(seed=3, length=(6, 32), decimals=1)  # ties in scores
    gt = dict(gt)
    gt[fs.files[0]] = gt[fs.files[0]] + [(0.0, 100.0, "class 4")]  # constant truth (whole clip)
    ev = EventFrames.from_frame_scores(fs, gt)
    scores = ev.scores.copy()
    varying = [r for r in range(len(ev.files)) if 0 < ev.targets[r, : ev.lengths[r]].sum() < ev.lengths[r]]
    scores[varying[0], :] = 0.5  # constant prediction where the truth varies
    ev = EventFrames(scores, ev.targets, ev.lengths, ev.files, ev.labels)
    res = spearman_per_event(ev)
    expected, n_truth, n_scores = [], 0, 0
    for r in range(len(ev.files)):
        n = ev.lengths[r]
        s, t = ev.scores[r, :n].astype(np.float64), ev.targets[r, :n]
        if t.all() or not t.any():
            n_truth += 1
            assert np.isnan(res.per_event[r])
            continue
        if np.all(s == s[0]):
            n_scores += 1
            assert np.isnan(res.per_event[r])
            continue
        rho = spearmanr(s, t.astype(float)).statistic
        assert res.per_event[r] == pytest.approx(rho, abs=1e-12)
        expected.append(rho)
    assert n_truth >= 1 and n_scores == 1
    assert (res.count, res.n_constant_truth, res.n_constant_scores) == (len(expected), n_truth, n_scores)
    assert res.mean == pytest.approx(np.mean(expected), abs=1e-12)
    assert res.median == pytest.approx(np.median(expected), abs=1e-12)


def test_spearman_perfect_and_inverted():
    t = np.array([[0, 0, 1, 1, 1, 0, 0, 0]], bool)
    ev = EventFrames(t.astype(np.float32), t, np.array([8]), ("a",), ("x",))
    assert spearman_per_event(ev).mean == pytest.approx(1.0)
    ev = EventFrames(1 - t.astype(np.float32), t, np.array([8]), ("a",), ("x",))
    assert spearman_per_event(ev).mean == pytest.approx(-1.0)


def naive_prf(scores, targets, thresholds):
    out = []
    for th in thresholds:
        tp = fp = fn = 0
        for s, t in zip(scores, targets):
            det = s > th
            tp += det and t
            fp += det and not t
            fn += (not det) and t
        out.append((tp, fp, fn))
    return np.array(out)


def test_prf_curve_matches_naive_and_perfect_gives_f1_one():
    rng = np.random.default_rng(4)
    s = np.round(rng.random(500), 2)
    t = rng.random(500) < s  # informative
    th = np.array([0.0, 0.1, 0.25, 0.5, 0.73, 0.99, 1.0])
    c = prf_curve(s, t, th)
    np.testing.assert_array_equal(np.stack([c.tp, c.fp, c.fn], 1), naive_prf(s, t, th))
    assert np.isnan(c.precision[-1])  # nothing scores above 1.0
    assert c.f1[-1] == 0.0
    best = c.best()
    assert best["f1"] == pytest.approx(np.nanmax(c.f1))
    perfect = prf_curve(t.astype(float), t)
    j = int(np.flatnonzero(perfect.thresholds == 0.5)[0])
    assert perfect.f1[j] == 1.0 and perfect.precision[j] == 1.0 and perfect.recall[j] == 1.0
    with pytest.raises(ValueError):
        prf_curve(s, t, np.array([0.5, 0.5]))


def test_closed_set_curve_chunks_add_up_and_event_curve_uses_present_pairs():
    fs, gt, _, lab = random_set(seed=5, length=(5, 20))
    th = np.linspace(0, 1, 11)
    whole = prf_curve(fs.values, lab, th)
    chunked = closed_set_prf_curve(fs, gt, th, chunk_files=3)
    np.testing.assert_array_equal(chunked.tp, whole.tp)
    np.testing.assert_array_equal(chunked.fp, whole.fp)
    np.testing.assert_array_equal(chunked.fn, whole.fn)
    ev = EventFrames.from_frame_scores(fs, gt)
    pairs = naive_pairs(fs, gt)
    s = np.concatenate([p[2] for p in pairs]).astype(np.float32)
    t = np.concatenate([p[3] for p in pairs])
    got = event_prf_curve(ev, th)
    np.testing.assert_array_equal(np.stack([got.tp, got.fp, got.fn], 1), naive_prf(s, t, th))
