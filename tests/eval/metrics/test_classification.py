import numpy as np
import pytest

from flamkit.eval.metrics.classification import zero_shot_accuracy


def naive(sim, targets, k):
    hits = 0
    for i, t in enumerate(targets):
        ahead = sum(1 for c in range(sim.shape[1]) if c != t and sim[i, c] >= sim[i, t])
        hits += ahead < k
    return hits / len(targets)


@pytest.mark.parametrize("seed", range(4))
def test_matches_naive_loop(seed):
    rng = np.random.default_rng(seed)
    n, c = 300, 12
    targets = rng.integers(0, c - 1, n)  # class c-1 never occurs
    sim = np.round(rng.normal(size=(n, c)), 1)
    sim[np.arange(n), targets] += 1.0
    out = zero_shot_accuracy(sim, targets, [f"k{j}" for j in range(c)])
    assert out["top1"] == pytest.approx(naive(sim, targets, 1))
    assert out["top5"] == pytest.approx(naive(sim, targets, 5))
    for j in range(c - 1):
        mask = targets == j
        assert out["per_class"][f"k{j}"] == pytest.approx(naive(sim[mask], targets[mask], 1))
    assert out["classes_without_clips"] == [f"k{c - 1}"]
    assert out["balanced_top1"] == pytest.approx(np.mean(list(out["per_class"].values())))


def test_perfect_and_constant():
    targets = np.array([0, 1, 2, 2])
    assert zero_shot_accuracy(np.eye(3)[targets], targets)["top1"] == 1.0
    const = zero_shot_accuracy(np.zeros((4, 3)), targets)
    assert const["top1"] == 0.0 and const["top5"] == 1.0  # 3 classes: everything is in the top 5


def test_bad_input():
    with pytest.raises(ValueError, match="targets"):
        zero_shot_accuracy(np.zeros((2, 3)), np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match="class names"):
        zero_shot_accuracy(np.zeros((2, 3)), np.array([0, 1]), ["a"])
