import numpy as np
import pytest
from sed_scores_eval.base_modules.scores import validate_score_dataframe

from flamkit.data.example import segments_to_frames
from flamkit.eval.metrics.frame_scores import FrameScores, frame_labels, median_filter_scores, segment_mask


def ragged(seed=0, n=6, classes=3):
    rng = np.random.default_rng(seed)
    arrays = {f"f{i}": rng.random((int(rng.integers(1, 9)), classes)).astype(np.float32) for i in range(n)}
    return FrameScores.from_arrays(arrays, [f"c{k}" for k in range(classes)], 0.3125), arrays


def test_container_round_trip_and_timestamps():
    fs, arrays = ragged()
    for i, (f, a) in enumerate(arrays.items()):
        np.testing.assert_array_equal(fs.clip(i), a)
        assert fs.timestamps(i)[-1] == len(a) * 0.3125
    assert fs.dense() is None
    dense = np.arange(2 * 4 * 3, dtype=np.float32).reshape(2, 4, 3)
    fd = FrameScores.from_dense(dense, ["a", "b"], ["x", "y", "z"], 0.5)
    np.testing.assert_array_equal(fd.dense(), dense)
    np.testing.assert_array_equal(fd.select_classes(["z", "x"]).clip(1), dense[1][:, [2, 0]])
    np.testing.assert_array_equal(fd.select_files(["b"]).clip(0), dense[1])


def test_to_sed_scores_eval_is_valid_format():
    fs, arrays = ragged()
    dfs = fs.to_sed_scores_eval()
    for i, (f, a) in enumerate(arrays.items()):
        ts, classes = validate_score_dataframe(dfs[f])
        np.testing.assert_array_equal(ts, fs.timestamps(i))
        assert classes == list(fs.classes)
        np.testing.assert_array_equal(dfs[f][classes].to_numpy(), a.astype(np.float64))


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="non-finite score in clip 'b' frame 1"):
        FrameScores.from_arrays({"a": np.zeros((2, 1)), "b": np.array([[0.0], [np.nan]])}, ["c"], 0.1)
    with pytest.raises(ValueError, match="must be"):
        FrameScores.from_arrays({"a": np.zeros((2, 2))}, ["c"], 0.1)
    with pytest.raises(ValueError, match="at least one frame"):
        FrameScores.from_arrays({"a": np.zeros((0, 1))}, ["c"], 0.1)


def naive_median(a, size):
    half = size // 2
    out = np.empty_like(a)
    n = len(a)
    for t in range(n):
        window = [a[min(max(t + d, 0), n - 1)] for d in range(-half, half + 1)]
        out[t] = np.median(np.stack(window), axis=0)
    return out


@pytest.mark.parametrize("size", [1, 3, 5])
def test_median_filter_matches_naive_per_clip(size):
    fs, arrays = ragged(seed=1)
    out = median_filter_scores(fs, size, chunk_elements=7)  # tiny chunks exercise the blocking
    for i, a in enumerate(arrays.values()):
        np.testing.assert_allclose(out.clip(i), naive_median(a, size))
    copy = fs.with_values(fs.values.copy())
    same = median_filter_scores(copy, size, inplace=True)
    np.testing.assert_array_equal(same.values, out.values)
    if size > 1:
        assert same.values is copy.values
    with pytest.raises(ValueError):
        median_filter_scores(fs, 2)


def test_median3_removes_single_frame_spike_but_keeps_two_frame_event():
    x = np.zeros((1, 10, 2), np.float32)
    x[0, 4, 0] = 1.0  # isolated spike
    x[0, 4:6, 1] = 1.0  # two-frame event
    out = median_filter_scores(FrameScores.from_dense(x, ["a"], ["s", "e"], 1.0)).dense()[0]
    assert out[:, 0].max() == 0.0
    np.testing.assert_array_equal(out[:, 1], x[0, :, 1])


def test_frame_labels_match_training_rule():
    rng = np.random.default_rng(3)
    for _ in range(50):
        events = [(float(a), float(a + rng.uniform(0.01, 3))) for a in rng.uniform(0, 9, int(rng.integers(1, 4)))]
        events = [(round(a, 4), round(min(b, 10.0), 4)) for a, b in events]
        np.testing.assert_array_equal(segment_mask(events, 32, 10 / 32), segments_to_frames(events, 32, 10.0))
    gt = {"a": [(0.0, 0.3125, "x"), (0.9375, 1.0, "y")], "b": [(9.9, 10.0, "x")]}
    fs = FrameScores.from_dense(np.zeros((2, 32, 2)), ["a", "b"], ["x", "y"], 0.3125)
    lab = frame_labels(fs, gt)
    assert lab[:32, 0].nonzero()[0].tolist() == [0]  # offset on a boundary does not mark the next frame
    assert lab[:32, 1].nonzero()[0].tolist() == [3]
    assert lab[32:, 0].nonzero()[0].tolist() == [31]
