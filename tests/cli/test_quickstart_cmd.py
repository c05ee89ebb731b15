"""``flamkit quickstart`` end to end at a tiny budget: three models, report, claims, demo; reproducible."""

import json
import os

import pytest

from flamkit.cli import main as flamkit

TINY = ["budget.global_steps=2", "budget.flam_steps=2", "budget.warmup_steps=1", "data.streams.global.batch_size=4",
        "data.streams.sed.batch_size=4", "data.val_clips=2", "train.val_every=2", "train.log_every=1"]
EVAL = ["--eval", "heldout.max_clips=6", "--eval", "heldout.num_figure_clips=1"]


def _scalars(root):
    summary = json.loads((root / "studies" / "quickstart" / "summary.json").read_text())
    return {name: m["scalars"] for name, m in summary["models"].items()}, summary


@pytest.mark.slow
def test_quickstart_trains_three_models_reports_and_reproduces(tmp_path, capsys):
    a, b = tmp_path / "a", tmp_path / "b"
    assert flamkit(["quickstart", *TINY, f"run.root={a}", *EVAL]) == 0
    out = capsys.readouterr().out
    folder = a / "studies" / "quickstart"
    report = (folder / "report.md").read_text()
    for label in ("| FLAM-Global |", "| FLAM |", "| FLAM w/o per-text bias |"):
        assert label in report
    assert "## Claims, checked against the numbers above" in report and report.count("**holds**") + report.count("**does NOT hold**") == 3
    for name in ("f1_precision_recall.png", "example_0.png", "example_2.png", "demo/detection.png", "demo/events.tsv", "demo/recording.wav"):
        assert (folder / name).is_file(), name
    scalars, summary = _scalars(a)
    assert set(scalars) == {"flam_global", "flam", "flam_no_text_bias"}
    assert all(m["step"] == 2 for m in summary["models"].values())
    assert [c["kind"] for c in summary["claims"]] == ["above", "calibrated", "worse_calibrated"]
    assert f"tensorboard --logdir {a}" in out and "report:" in out
    # FLAM and the ablation start from FLAM-Global's run; both run folders hold their own TensorBoard logs.
    flam_cfg = (a / "flam").glob("*/config.yaml")
    assert str(summary["models"]["flam_global"]["run"]) in next(flam_cfg).read_text()
    assert all(any((a / exp).glob("*/tb/events.*")) for exp in ("flam_global", "flam", "flam_no_text_bias"))

    # A second run in another folder trains again from scratch and gets the same numbers.
    assert flamkit(["quickstart", *TINY, f"run.root={b}", *EVAL]) == 0
    assert _scalars(b)[0] == scalars

    # Running it again in the same folder trains nothing: the finished runs are found by config hash.
    ckpt = next((a / "flam").glob("*/checkpoints/ckpt-00000002/model.safetensors"))
    before = os.stat(ckpt).st_mtime_ns
    assert flamkit(["quickstart", *TINY, f"run.root={a}", *EVAL]) == 0
    assert os.stat(ckpt).st_mtime_ns == before and _scalars(a)[0] == scalars



class _FakeDetector:
    """Finds each queried event exactly (or shifted by ``shift`` s) from the demo pool's own truth."""

    sample_rate = 16000
    clip_seconds = 10.0

    def __init__(self, truth_by_audio, shift=0.0):
        self.truth_by_audio, self.shift = truth_by_audio, shift

    def run(self, audio, queries, sr=None):
        from types import SimpleNamespace

        truth = self.truth_by_audio[hash(audio.tobytes())]
        events = [SimpleNamespace(onset=a + self.shift, offset=b + self.shift, label=lab) for a, b, lab in truth if lab in queries]
        return SimpleNamespace(events=events)


def test_demo_pool_scores_every_clip_and_shows_the_median():
    from flamkit.cli.quickstart_cmd import DEMO_SOURCE, score_demo_pool
    from flamkit.eval.tasks.sed_data import sed_set_from_source

    sedset = sed_set_from_source(dict(DEMO_SOURCE), "t", 16000, 10.0, 6, 0)
    truth = {hash(c.load(16000).tobytes()): sorted(sedset.ground_truth[c.key]) for c in sedset.clips}
    exact, _ = score_demo_pool(_FakeDetector(truth), clips=6)
    assert exact.total.f1 == 1.0 and exact.total.fn == 0 and len(exact.per_clip) == 6
    late, _ = score_demo_pool(_FakeDetector(truth, shift=20.0), clips=6)  # every onset far outside the collar
    assert late.total.tp == 0 and late.total.fp == late.total.fn == exact.total.tp
    f1 = sorted((c.f1, i) for i, c in enumerate(exact.per_clip))
    assert exact.median_index == f1[(len(f1) - 1) // 2][1]
