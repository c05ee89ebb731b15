"""PSDS1, MPAUC and segment AUROC: both engines against sed_scores_eval called directly, plus hand cases."""

import numpy as np
import pytest
from sed_scores_eval import intersection_based, segment_based

from flamkit.eval.metrics.frame_scores import FrameScores, frame_labels
from flamkit.eval.metrics.sed import mpauc, psds, segment_auroc

from .helpers import random_set

SETS = [
    dict(seed=0),
    dict(seed=1, length=(6, 40), extra_duration=0.4),  # clips of different lengths, longer than scored
    dict(seed=2, separation=5.0, decimals=None),
    dict(seed=3, separation=8.0, decimals=1, n_classes=3),
]


def direct(fs, gt, durations):
    return fs.to_sed_scores_eval(), {f: [tuple(e) for e in gt[f]] for f in fs.files}, durations


@pytest.mark.parametrize("kw", SETS)
@pytest.mark.parametrize(
    "params",
    [dict(), dict(alpha_st=0.0), dict(dtc_threshold=0.1, gtc_threshold=0.1), dict(dtc_threshold=0.5, gtc_threshold=0.9, max_efpr=20.0)],
)
def test_psds_native_equals_sed_scores_eval(kw, params):
    fs, gt, durations, _ = random_set(**kw)
    full = dict(dtc_threshold=0.7, gtc_threshold=0.7, alpha_st=1.0, max_efpr=100.0) | params
    ref, ref_cls, (ref_tpr, ref_fpr), _ = intersection_based.psds(
        *direct(fs, gt, durations), cttc_threshold=None, alpha_ct=0.0, **full
    )
    ours = psds(fs, gt, durations, engine="native", **full)
    assert ours.psds == pytest.approx(ref, abs=1e-12)
    for c in fs.classes:
        assert ours.per_class[c] == pytest.approx(ref_cls[c], abs=1e-12)
    np.testing.assert_allclose(ours.etpr, ref_tpr, atol=1e-12)
    np.testing.assert_allclose(ours.efpr, ref_fpr, atol=1e-9)
    wrapped = psds(fs, gt, durations, engine="sed_scores_eval", **full)
    assert wrapped.psds == ref and wrapped.engine == "sed_scores_eval"


@pytest.mark.parametrize("kw", SETS)
def test_psds_class_mean_is_psds_without_spread_penalty(kw):
    """The sed task's psds1_class_mean (mean of per-class PSDS) equals PSDS with alpha_ST = 0."""
    fs, gt, durations, _ = random_set(**kw)
    per_class = psds(fs, gt, durations, engine="native").per_class
    ref, _, _, _ = intersection_based.psds(
        *direct(fs, gt, durations), dtc_threshold=0.7, gtc_threshold=0.7, alpha_st=0.0, alpha_ct=0.0,
        cttc_threshold=None, max_efpr=100.0,
    )
    assert np.mean(list(per_class.values())) == pytest.approx(ref, abs=1e-12)


@pytest.mark.parametrize("kw", SETS)
@pytest.mark.parametrize("seg, max_fpr", [(None, None), (1.0, 0.1), (0.7, None), (1.0, None)])
def test_segment_auroc_native_equals_sed_scores_eval(kw, seg, max_fpr):
    fs, gt, durations, _ = random_set(**kw)
    ref, _ = segment_based.auroc(*direct(fs, gt, durations), segment_length=seg or fs.hop, max_fpr=max_fpr)
    ours = segment_auroc(fs, gt, durations, segment_length=seg, max_fpr=max_fpr, engine="native")
    for c in fs.classes:
        assert ours.per_class[c] == pytest.approx(ref[c], abs=1e-12)
    assert ours.mean == pytest.approx(ref["mean"], abs=1e-12)
    wrapped = segment_auroc(fs, gt, durations, segment_length=seg, max_fpr=max_fpr, engine="sed_scores_eval")
    assert wrapped.per_class == {c: ref[c] for c in fs.classes}


def test_mpauc_is_one_second_partial_auc_to_fpr_point_one():
    fs, gt, durations, _ = random_set(seed=5)
    ref, _ = segment_based.auroc(*direct(fs, gt, durations), segment_length=1.0, max_fpr=0.1)
    for engine in ("native", "sed_scores_eval"):
        assert mpauc(fs, gt, durations, engine=engine).mean == pytest.approx(ref["mean"], abs=1e-12)


def aligned_set(n_files=12, n_classes=3, seed=0):
    """Events on frame boundaries so that frame-exact scores detect them exactly."""
    rng = np.random.default_rng(seed)
    hop, L = 0.3125, 32
    classes = [f"c{k}" for k in range(n_classes)]
    files = [f"f{i}" for i in range(n_files)]
    gt = {f: [] for f in files}
    for i, f in enumerate(files):
        k = i % n_classes
        a = int(rng.integers(0, 20))
        gt[f].append((a * hop, (a + int(rng.integers(2, 12))) * hop, classes[k]))
    fs = FrameScores.from_dense(np.zeros((n_files, L, n_classes)), files, classes, hop)
    lab = frame_labels(fs, gt).astype(np.float32)
    return fs, gt, lab


@pytest.mark.parametrize("engine", ["native", "sed_scores_eval"])
def test_perfect_and_inverted_predictions(engine):
    fs, gt, lab = aligned_set()
    perfect, inverted = fs.with_values(lab), fs.with_values(1 - lab)
    assert segment_auroc(perfect, gt, engine=engine).mean == 1.0
    assert segment_auroc(inverted, gt, engine=engine).mean == 0.0
    assert mpauc(perfect, gt, engine=engine).mean == 1.0
    assert psds(perfect, gt, engine=engine).psds == pytest.approx(1.0)
    assert psds(inverted, gt, engine=engine).psds == 0.0


def test_random_scores_auroc_near_half():
    rng = np.random.default_rng(0)
    fs, gt, _ = aligned_set(n_files=300, n_classes=2)
    r = segment_auroc(fs.with_values(rng.random(fs.values.shape).astype(np.float32)), gt, engine="native")
    assert abs(r.mean - 0.5) < 0.03


@pytest.mark.parametrize("engine", ["native", "sed_scores_eval"])
def test_hand_computed_psds(engine):
    """Class A detected perfectly (TPR 1), class B finds one of its two events (TPR 0.5) before eFPR > 100/h.

    4 clips of 10 s = 1/90 h: the next operating point of either class adds >= 3 false positives,
    i.e. an eFPR of >= 270/h, beyond e_max. So PSD-ROC TPRs are 1 and 0.5 on [0, 100]:
    mean 0.75, std 0.25, PSDS = 0.75 - alpha_ST * 0.25.
    """
    hop, L = 0.3125, 32
    files = ["f1", "f2", "f3", "f4"]
    gt = {"f1": [(0.0, 5.0, "B")], "f2": [(0.0, 5.0, "B")], "f3": [(0.0, 10.0, "A")], "f4": []}
    s = np.zeros((4, L, 2), np.float32)
    s[2, :, 0] = 1.0  # A: all of f3
    s[0, :16, 1] = 1.0  # B: first 5 s of f1; f2's event never scored
    fs = FrameScores.from_dense(s, files, ["A", "B"], hop)
    r1 = psds(fs, gt, engine=engine)
    assert r1.psds == pytest.approx(0.5)
    assert r1.per_class == pytest.approx({"A": 1.0, "B": 0.5})
    assert psds(fs, gt, alpha_st=0.0, engine=engine).psds == pytest.approx(0.75)


def test_classes_without_ground_truth_are_left_out_and_listed():
    fs, gt, durations, _ = random_set(seed=7, n_classes=4)
    gt = {f: [e for e in ev if e[2] != "class 2"] for f, ev in gt.items()}
    r = psds(fs, gt, durations, engine="native")
    assert r.excluded_classes == ["class 2"] and "class 2" not in r.per_class
    ref = psds(fs, gt, durations, engine="sed_scores_eval")
    assert r.psds == pytest.approx(ref.psds, abs=1e-12)
    a = segment_auroc(fs, gt, durations)
    assert a.excluded_classes == ["class 2"] and set(a.per_class) == {"class 0", "class 1", "class 3"}


def test_class_active_everywhere_is_undefined_not_averaged():
    fs, gt, lab = aligned_set()
    gt = dict(gt)
    gt[fs.files[0]] = gt[fs.files[0]] + [(0.0, 10.0, "always")]
    for f in fs.files[1:]:
        gt[f] = gt[f] + [(0.0, 10.0, "always")]
    values = np.concatenate([lab, np.ones((len(lab), 1), np.float32)], axis=1)
    fs2 = FrameScores(values, fs.offsets, fs.files, fs.classes + ("always",), fs.hop)
    r = segment_auroc(fs2, gt, engine="native")
    assert r.undefined_classes == ["always"] and r.mean == 1.0


def test_mismatched_files_and_unknown_labels_raise():
    fs, gt, durations, _ = random_set(seed=8)
    missing = dict(gt)
    missing.pop(fs.files[0])
    with pytest.raises(ValueError, match="1 scored clip"):
        psds(fs, missing, durations)
    extra = dict(gt) | {"ghost.wav": []}
    with pytest.raises(ValueError, match="1 ground-truth file"):
        segment_auroc(fs, extra, durations)
    bad = dict(gt)
    bad[fs.files[0]] = bad[fs.files[0]] + [(0.0, 1.0, "not a class")]
    with pytest.raises(ValueError, match="not a class"):
        psds(fs, bad, durations)
    touching = dict(gt)
    touching[fs.files[0]] = [(0.0, 1.0, "class 0"), (1.0, 2.0, "class 0")]
    for engine in ("native", "sed_scores_eval"):
        with pytest.raises(ValueError, match="touching 'class 0' events"):
            psds(fs, touching, durations, engine=engine)
    with pytest.raises(ValueError, match="unknown engine"):
        psds(fs, gt, durations, engine="fast")


def test_auto_engine_uses_reference_for_small_sets():
    fs, gt, durations, _ = random_set(seed=9, n_files=10)
    assert psds(fs, gt, durations).engine == "sed_scores_eval"
    assert segment_auroc(fs, gt, durations).engine == "sed_scores_eval"
