import math

import numpy as np
import pytest
import torch
from omegaconf import OmegaConf
from scipy.ndimage import median_filter

from flamkit.eval.metrics.frame_metrics import EventFrames, spearman_per_event
from flamkit.eval.metrics.frame_scores import FrameScores, frame_labels
from flamkit.eval.metrics.ground_truth import read_strong_labels, sanitize_ground_truth
from flamkit.eval.metrics.sed import mpauc, psds, segment_auroc
from flamkit.eval.tasks import sed as sed_module
from flamkit.eval.tasks.base import EvalContext, EvalInputError
from flamkit.eval.tasks.sed import SedTask
from flamkit.models.flam import build_model
from tests.eval import tone_model as tm

MODES = ("unbiased", "approximate")


@pytest.fixture(scope="module")
def sed_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sed")
    return folder, tm.write_sed_set(folder, tm.SET)


def run(model, **kw):
    return SedTask(**kw).run(EvalContext(model, batch_size=4, log=lambda m: None))


@pytest.mark.parametrize("open_vocabulary", [False, True])
def test_oracle_model_scores_perfectly_and_its_inverse_scores_zero(sed_files, open_vocabulary):
    folder, tsv = sed_files
    kw = dict(audio_dir=str(folder), ground_truth=str(tsv), open_vocabulary=open_vocabulary, num_figure_clips=1)
    good, bad = run(tm.build_oracle(), **kw), run(tm.build_oracle(inverted=True), **kw)
    for mode in MODES:
        assert good.scalars[f"{mode}/present_auroc"] == 1.0 and bad.scalars[f"{mode}/present_auroc"] == 0.0
        assert good.scalars[f"{mode}/present_auroc_label_mean"] == 1.0 and bad.scalars[f"{mode}/present_auroc_label_mean"] == 0.0
        assert good.scalars[f"{mode}/best_f1"] == 1.0 and good.scalars[f"{mode}/f1@0.5"] == 1.0
        assert good.scalars[f"{mode}/spearman"] > 0.5 > -0.5 > bad.scalars[f"{mode}/spearman"]
        if open_vocabulary:
            assert f"{mode}/psds1" not in good.scalars and f"{mode}/auroc" not in good.scalars
        else:
            assert good.scalars[f"{mode}/auroc"] == 1.0 and bad.scalars[f"{mode}/auroc"] == 0.0
            assert good.scalars[f"{mode}/mpauc"] == 1.0 and bad.scalars[f"{mode}/mpauc"] == 0.0
            assert good.scalars[f"{mode}/psds1"] == pytest.approx(1.0) and bad.scalars[f"{mode}/psds1"] == 0.0
    assert set(good.figures) == {"clip0", "f1_precision_recall"}
    assert good.details["lengths"]["n_padded"] == 1 and good.details["lengths"]["n_split"] == 1
    assert good.details["ground_truth"]["n_merged"] == 1
    curve = good.details["modes"]["unbiased"]["f1_curve"]
    assert len(curve["thresholds"]) == len(curve["f1"]) == 101


@pytest.mark.parametrize("inverted", [False, True])
def test_scores_equal_to_the_ground_truth_through_the_task_code(sed_files, monkeypatch, inverted):
    """A perfect stand-in: the task's frame scores replaced by the frame labels (or their negation)."""
    folder, tsv = sed_files
    gt, _ = sanitize_ground_truth(read_strong_labels(tsv))
    seen = {}
    real_embed = EvalContext.embed

    def embed(self, clips, **kw):
        seen["emb"] = real_embed(self, clips, **kw)
        return seen["emb"]

    def truth_scores(frames, table, mode, device=None):
        emb = seen["emb"]
        assert frames is emb.values  # closed set: all frames at once
        zeros = FrameScores(np.zeros((len(frames), len(table.texts)), np.float32), emb.offsets, emb.keys, table.texts, emb.hop)
        labels = frame_labels(zeros, gt).astype(np.float32)
        return 1.0 - labels if inverted else labels

    monkeypatch.setattr(EvalContext, "embed", embed)
    monkeypatch.setattr(sed_module, "score_frames", truth_scores)
    r = run(build_model(OmegaConf.create(tm.model_config())), audio_dir=str(folder), ground_truth=str(tsv), num_figure_clips=0)
    for mode in MODES:
        assert r.scalars[f"{mode}/auroc"] == (0.0 if inverted else 1.0)
        assert r.scalars[f"{mode}/present_auroc"] == (0.0 if inverted else 1.0)
        assert r.scalars[f"{mode}/spearman"] == (-1.0 if inverted else 1.0)
        assert r.scalars[f"{mode}/f1@0.5"] == (0.0 if inverted else 1.0)


def test_task_equals_a_naive_pipeline_on_a_random_model(sed_files):
    """Windows, padding, scoring, median filter and metrics redone by hand on model.frame_probabilities."""
    folder, tsv = sed_files
    torch.manual_seed(3)
    model = build_model(OmegaConf.create(tm.model_config())).eval()
    r = run(model, audio_dir=str(folder), ground_truth=str(tsv), engine="sed_scores_eval", num_figure_clips=0)
    gt, _ = sanitize_ground_truth(read_strong_labels(tsv))
    classes = sorted(tm.NAMES)
    clip = int(tm.SR * tm.CLIP_SECONDS)
    durations = {f: d for f, (d, _) in tm.SET.items()}
    for mode in MODES:
        per_clip = {}
        for name, (seconds, _) in tm.SET.items():
            audio = tm.tone_audio(tm.SET[name][1], seconds)
            windows = math.ceil(len(audio) / clip)
            padded = np.zeros(windows * clip, np.float32)
            padded[: len(audio)] = audio
            probs = [model.frame_probabilities(torch.from_numpy(w)[None], classes, mode=mode)[0].T.numpy() for w in padded.reshape(windows, clip)]
            kept = math.ceil(len(audio) / clip * tm.FRAMES - 1e-9)
            per_clip[name] = median_filter(np.concatenate(probs)[:kept], size=(3, 1), mode="nearest")
        scores = FrameScores.from_arrays(per_clip, classes, tm.HOP)
        ref_psds = psds(scores, gt, durations, engine="sed_scores_eval")
        assert r.scalars[f"{mode}/psds1"] == pytest.approx(ref_psds.psds, abs=1e-6)
        assert r.scalars[f"{mode}/psds1_class_mean"] == pytest.approx(np.mean(list(ref_psds.per_class.values())), abs=1e-6)
        assert r.scalars[f"{mode}/mpauc"] == pytest.approx(mpauc(scores, gt, durations, engine="sed_scores_eval").mean, abs=1e-6)
        assert r.scalars[f"{mode}/auroc"] == pytest.approx(segment_auroc(scores, gt, durations, engine="sed_scores_eval").mean, abs=1e-6)
        rho = spearman_per_event(EventFrames.from_frame_scores(scores, gt))
        assert r.scalars[f"{mode}/spearman"] == pytest.approx(rho.mean, abs=1e-6)


def test_bad_input_is_repaired_or_excluded_and_reported(tmp_path):
    folder = tmp_path / "audio"
    tsv = tm.write_sed_set(folder, {k: tm.SET[k] for k in ("c0.wav", "c1.wav", "c2.wav")})
    with tsv.open("a") as f:
        f.write("gone.wav\t1.0\t2.0\tbeep\n")  # audio missing
        f.write("c0.wav\t2.0\t4.0\tbeep\n")  # overlaps c0's beep [1.25, 3.125]
        f.write("c0.wav\t4.0\t4.5\tbeep\n")  # touches it once merged
        f.write("c1.wav\t5.0\t9.0\tbuzz\n")  # runs past the 6 s clip: clipped
    import soundfile as sf

    sf.write(folder / "stray.wav", tm.tone_audio([], 2.0), tm.SR)  # in the folder, not in the TSV
    (tmp_path / "durations.tsv").write_text("filename\tduration\nc0.wav\t10.0\nc1.wav\t6.0\nc2.wav\t13.0\nextra.wav\t10.0\n")
    sf.write(folder / "extra.wav", tm.tone_audio([], 10.0), tm.SR)  # in the durations table only: no events
    r = run(
        tm.build_oracle(), audio_dir=str(folder), ground_truth=str(tsv), durations=str(tmp_path / "durations.tsv"),
        classes=["beep", "buzz", "whistle", "siren"], num_figure_clips=0, modes=["unbiased"],
    )
    text = "\n".join(r.messages)
    gt = r.details["ground_truth"]
    assert gt["n_missing_audio_files"] == 1 and "gone.wav" in text
    assert gt["n_merged"] == 3 and "merged 3" in text  # 2 in c0 (beep), 1 in c2 (whistle)
    assert gt["n_clipped"] == 1 and gt["classes_without_ground_truth"] == ["siren"] and "'siren'" in text
    assert r.details["n_unlisted_audio_files"] == 1 and "stray.wav" in text
    assert "extra.wav" in text and r.details["n_clips"] == 4
    assert "padded 1" in text and "split 1" in text
    auroc = r.details["modes"]["unbiased"]["auroc"]
    assert auroc["excluded_classes"] == ["siren"] and set(auroc["per_class"]) == {"beep", "buzz", "whistle"}
    assert r.scalars["unbiased/auroc"] == pytest.approx(np.mean(list(auroc["per_class"].values())))


def test_registered_source_in_memory_equals_the_same_clips_on_disk(sed_files):
    folder, tsv = sed_files
    for ov in (False, True):
        on_disk = run(tm.build_oracle(), audio_dir=str(folder), ground_truth=str(tsv), open_vocabulary=ov, num_figure_clips=0)
        in_memory = run(tm.build_oracle(), source={"name": "test_tone_source"}, open_vocabulary=ov, num_figure_clips=0)
        assert in_memory.scalars == pytest.approx(on_disk.scalars, abs=1e-6)
        assert in_memory.details["n_clips"] == on_disk.details["n_clips"] == len(tm.SET)


def test_configuration_errors_are_explained():
    with pytest.raises(EvalInputError, match="audio_dir and ground_truth"):
        SedTask()
    with pytest.raises(EvalInputError, match="not both"):
        SedTask(audio_dir="a", ground_truth="b", source={"name": "x"})
    with pytest.raises(EvalInputError, match="modes"):
        SedTask(audio_dir="a", ground_truth="b", modes=["biased"])
    with pytest.raises(EvalInputError, match="odd"):
        SedTask(audio_dir="a", ground_truth="b", median_filter=2)
    with pytest.raises(EvalInputError, match="open_vocabulary"):
        SedTask(audio_dir="a", ground_truth="b", open_vocabulary=True, classes=["x"])


def test_embedded_heldout_config_runs_in_memory_on_the_embedded_source():
    import flamkit.data.sources  # noqa: F401  (registers `embedded`)
    from flamkit.eval.configs import load_eval_config
    from flamkit.eval.runner import build_tasks, run_tasks

    cfg, _ = load_eval_config("embedded_heldout", ["heldout.max_clips=2", "heldout.num_figure_clips=0"])
    torch.manual_seed(0)
    model = build_model(OmegaConf.create(tm.model_config(audio={"name": "small_cnn", "hidden": 32, "temporal_blocks": 1})))
    r = run_tasks(build_tasks(cfg), EvalContext(model, log=lambda m: None))["heldout"]
    assert r.details["n_clips"] == 2 and r.details["kind"] == "open_vocabulary" and r.details["n_descriptions"] >= 2
    assert 0.0 <= r.scalars["unbiased/present_auroc"] <= 1.0


def test_absent_descriptions_are_seeded_absent_and_capped():
    vocab = [f"d{i}" for i in range(12)]
    a = sed_module.absent_descriptions(vocab, ["d1", "d2"], 4, seed=0, position=3)
    assert a == sed_module.absent_descriptions(vocab, ["d2", "d1"], 4, seed=0, position=3)
    assert len(a) == 4 and not {"d1", "d2"} & set(a) and a == sorted(a)
    others = {tuple(sed_module.absent_descriptions(vocab, ["d1"], 4, seed=s, position=p)) for s in range(3) for p in range(3)}
    assert len(others) > 1
    assert sed_module.absent_descriptions(vocab, vocab[:10], 5, 0, 0) == ["d10", "d11"]
    assert sed_module.absent_descriptions(vocab, [], 0, 0, 0) == []


def test_event_frames_with_absent_rows_match_a_naive_build():
    hop = 0.5
    gt = {"a": [(0.0, 1.0, "x")], "b": [(1.0, 2.0, "y"), (0.0, 0.5, "y")]}
    rng = np.random.default_rng(0)
    clip_scores = {"a": (rng.random((4, 3)), ["x", "y", "z"]), "b": (rng.random((6, 2)), ["y", "z"])}
    ev = EventFrames.from_clip_scores(clip_scores, gt, hop, absent=True)
    naive = []  # (file, label, scores, targets) in order: present labels first, then the absent ones
    for f, (arr, names) in clip_scores.items():
        present = [n for n in names if any(lab == n for _, _, lab in gt[f])]
        for n in present + [n for n in names if n not in present]:
            t = np.zeros(len(arr), bool)
            for on, off, lab in gt[f]:
                if lab == n:
                    for frame in range(len(arr)):
                        if frame * hop < off and (frame + 1) * hop > on:
                            t[frame] = True
            naive.append((f, n, arr[:, names.index(n)], t))
    assert list(zip(ev.files, ev.labels)) == [(f, n) for f, n, _, _ in naive]
    for r, (_, _, s, t) in enumerate(naive):
        np.testing.assert_allclose(ev.scores[r, : len(s)], s, rtol=1e-6)
        np.testing.assert_array_equal(ev.targets[r, : len(t)], t)
    present_only = EventFrames.from_clip_scores(clip_scores, gt, hop)
    assert present_only.labels == ("x", "y")


def test_open_vocabulary_with_absent_labels(sed_files):
    folder, tsv = sed_files
    kw = dict(audio_dir=str(folder), ground_truth=str(tsv), open_vocabulary=True, absent_labels=2, num_figure_clips=0)
    good, bad = run(tm.build_oracle(), **kw), run(tm.build_oracle(inverted=True), **kw)
    for mode in MODES:
        assert good.scalars[f"{mode}/auroc_with_absent"] == 1.0 and bad.scalars[f"{mode}/auroc_with_absent"] == 0.0
        assert good.scalars[f"{mode}/best_f1"] == 1.0 and good.scalars[f"{mode}/present_auroc"] == 1.0
    absent = good.details["modes"]["unbiased"]["absent_labels"]
    assert absent["per_clip"] == 2 and absent["n_pairs"] > 0
    with pytest.raises(EvalInputError, match="absent_labels"):
        SedTask(audio_dir=str(folder), ground_truth=str(tsv), absent_labels=3)
