"""Collar-based event F1 against a brute-force matching and against sed_scores_eval's collar_based."""

import itertools

import numpy as np
import pytest

from flamkit.eval.metrics.event_f1 import EventCounts, clip_event_counts, event_counts


def _brute_hits(ref, det, on_c, off_c, rate):
    """Largest one-to-one matching by trying every assignment (tiny sets only)."""
    best = 0
    n = max(len(ref), len(det))
    for perm in itertools.permutations(range(n)):
        hits = 0
        for i, j in enumerate(perm[: len(ref)]):
            if j >= len(det):
                continue
            r, d = ref[i], det[j]
            if r[2] == d[2] and abs(d[0] - r[0]) <= on_c and abs(d[1] - r[1]) <= max(off_c, rate * (r[1] - r[0])):
                hits += 1
        best = max(best, hits)
    return best


def test_matches_brute_force_on_random_sets():
    rng = np.random.default_rng(0)
    for _ in range(200):
        ref = [(on, on + rng.uniform(0.1, 2.0), str(rng.integers(2))) for on in rng.uniform(0, 8, rng.integers(0, 4))]
        det = [(on, on + rng.uniform(0.1, 2.0), str(rng.integers(2))) for on in rng.uniform(0, 8, rng.integers(0, 4))]
        c = clip_event_counts(ref, det, 0.5, 0.5, 0.2)
        hits = _brute_hits(ref, det, 0.5, 0.5, 0.2)
        assert (c.tp, c.fp, c.fn) == (hits, len(det) - hits, len(ref) - hits)


def test_edge_cases():
    assert clip_event_counts([], []).f1 == 1.0
    assert clip_event_counts([(1.0, 2.0, "a")], []) == EventCounts(0, 0, 1)
    assert clip_event_counts([], [(1.0, 2.0, "a")]) == EventCounts(0, 1, 0)
    # one detection cannot match two references, and the wrong label never matches
    assert clip_event_counts([(1.0, 2.0, "a"), (1.05, 2.05, "a")], [(1.0, 2.0, "a")]) == EventCounts(1, 0, 1)
    assert clip_event_counts([(1.0, 2.0, "a")], [(1.0, 2.0, "b")]) == EventCounts(0, 1, 1)
    # offset collar: max(0.2 s, 20 % of a 5 s event = 1 s)
    assert clip_event_counts([(0.0, 5.0, "a")], [(0.1, 5.9, "a")]).tp == 1
    assert clip_event_counts([(0.0, 5.0, "a")], [(0.1, 6.1, "a")]).tp == 0
    with pytest.raises(ValueError, match="without a reference"):
        event_counts({"x": []}, {"y": [(0.0, 1.0, "a")]})


def test_agrees_with_sed_scores_eval_collar_based():
    from sed_scores_eval.base_modules.scores import create_score_dataframe
    from sed_scores_eval.collar_based import fscore

    rng = np.random.default_rng(1)
    classes = ["a", "b"]
    reference, detected, scores = {}, {}, {}
    for k in range(12):
        # at most one reference event per class (sed_scores_eval refuses overlapping ones)
        labels = rng.permutation(classes)[: rng.integers(1, 3)]
        ref = [(round(on, 2), round(on + rng.uniform(0.3, 2.0), 2), str(lab)) for on, lab in zip(rng.uniform(0, 7, len(labels)), labels)]
        det = []
        for on, off, lab in ref:  # jittered copies, some lost, plus a false alarm now and then
            if rng.random() < 0.8:
                det.append((round(on + rng.normal(0, 0.15), 2), round(off + rng.normal(0, 0.3), 2), lab))
        missing = [c for c in classes if c not in labels]
        if missing and rng.random() < 0.6:
            on = rng.uniform(0, 8)
            det.append((round(on, 2), round(on + 0.5, 2), missing[0]))
        reference[f"c{k}"], detected[f"c{k}"] = ref, det
        # detections as step scores: 1 inside a detected event of that class, 0 elsewhere
        bounds = sorted({0.0, 10.0, *[max(0.0, t) for on, off, _ in det for t in (on, off)]})
        mids = (np.asarray(bounds[:-1]) + np.asarray(bounds[1:])) / 2
        vals = np.zeros((len(mids), 2))
        for on, off, lab in det:
            vals[(mids > on) & (mids < off), classes.index(lab)] = 1.0
        scores[f"c{k}"] = create_score_dataframe(vals, np.asarray(bounds), classes)
    f, p, r, stats = fscore(scores, reference, 0.5, onset_collar=0.2, offset_collar=0.2, offset_collar_rate=0.2)
    total = sum(event_counts(reference, detected).values(), EventCounts(0, 0, 0))
    assert total.f1 == pytest.approx(f["micro_average"], abs=1e-9)
