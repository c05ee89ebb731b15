import numpy as np
import pytest
from sed_scores_eval.base_modules.curves import staircase_auc as reference_staircase_auc

from flamkit.eval.metrics.roc import roc_auc, roc_curve, staircase_auc


def naive_auc(scores, labels):
    """Fraction of (positive, negative) pairs with the positive strictly higher: sed_scores_eval's staircase."""
    pos = [float(s) for s, y in zip(scores, labels) if y]
    neg = [float(s) for s, y in zip(scores, labels) if not y]
    wins = sum(1 for p in pos for n in neg if p > n)
    return wins / (len(pos) * len(neg))


def test_hand_computed_roc():
    # P at 0.9, 0.7, 0.5; N at 0.8, 0.6
    s = np.array([0.9, 0.8, 0.7, 0.6, 0.5])
    y = np.array([1, 0, 1, 0, 1], bool)
    tpr, fpr, th = roc_curve(s, y)
    np.testing.assert_allclose(tpr, [0, 1 / 3, 1 / 3, 2 / 3, 2 / 3, 1])
    np.testing.assert_allclose(fpr, [0, 0, 0.5, 0.5, 1, 1])
    np.testing.assert_array_equal(th, [np.inf, 0.9, 0.8, 0.7, 0.6, 0.5])
    assert roc_auc(s, y) == pytest.approx(1 / 3 * 0.5 + 2 / 3 * 0.5)  # 0.5 = 3 of 6 pairs won
    assert roc_auc(s, y, max_fpr=0.5) == pytest.approx((1 / 3 * 0.5) / 0.5)
    assert roc_auc(s, y, max_fpr=0.25) == pytest.approx(1 / 3)


def test_perfect_inverted_constant():
    y = np.array([0, 0, 1, 1, 0, 1], bool)
    s = y.astype(float)
    assert roc_auc(s, y) == 1.0
    assert roc_auc(1 - s, y) == 0.0
    assert roc_auc(np.full(6, 0.3), y) == 0.0  # staircase: ties win nothing
    assert roc_auc(s, y, max_fpr=0.1) == 1.0
    assert np.isnan(roc_auc(s, np.ones(6, bool)))


def test_random_scores_near_half():
    rng = np.random.default_rng(0)
    y = rng.random(40_000) < 0.3
    auc = roc_auc(rng.random(40_000), y)
    assert abs(auc - 0.5) < 0.01  # std of AUC here is ~0.0031


@pytest.mark.parametrize("seed", range(5))
def test_matches_pair_counting_and_reference_staircase(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 200))
    s = np.round(rng.random(n), int(rng.integers(1, 3)))  # many ties
    y = rng.random(n) < 0.4
    y[0], y[1] = True, False
    assert roc_auc(s, y) == pytest.approx(naive_auc(s, y), abs=1e-12)
    tpr, fpr, _ = roc_curve(s, y)
    for m in (None, 0.1, 0.37, 1.0):
        assert staircase_auc(tpr, fpr, m) == pytest.approx(reference_staircase_auc(tpr, fpr, max_x=m), abs=1e-12)
