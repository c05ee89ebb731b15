"""A study over seeds: spreads against a float64 reference, claims tallied per seed, the report and the CLI."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pytest

from flamkit.study.runner import StageResult, StudyResult
from flamkit.study.seeds import Spread, claim_tally, parse_seeds, spreads, write_seed_report
from flamkit.study.spec import Claim, Stage, StudySpec

CLAIMS = (
    Claim("above", {"model": "f", "baseline": "g", "metric": "present_auroc", "margin": 0.1, "text": "FLAM far above"}),
    Claim("calibrated", {"model": "f", "tolerance": 0.05}),
)


def _scalars(auroc: float, best: float, at_half: float) -> dict[str, float]:
    return {"present_auroc": auroc, "mpauc": auroc / 3, "best_f1": best, "best_f1_threshold": 0.5, "f1@0.5": at_half}


def _result(root: Path, g_auroc: float, f_auroc: float, f_gap: float) -> StudyResult:
    spec = StudySpec("s", Path("s.yaml"), "", "ev", "dev", (), also_tasks=("dev_open",), claims=CLAIMS)
    stages = []
    for name, scalars in (("g", _scalars(g_auroc, 0.3, 0.1)), ("f", _scalars(f_auroc, 0.4, 0.4 - f_gap))):
        stages.append(StageResult(Stage(name, "flam", name.upper()), root / name, root / name / "ckpt-00000010", 10,
                                  root / "e", scalars, {}, "closed_set", 1.0, 1.0, {"dev_open": dict(scalars, auroc_with_absent=0.9)}))
    return StudyResult(spec, stages, [], root)


@pytest.mark.parametrize("text, seeds", [("0,1,2", [0, 1, 2]), ("0-2", [0, 1, 2]), ("3, 0-1", [3, 0, 1])])
def test_parse_seeds(text, seeds):
    assert parse_seeds(text) == seeds


@pytest.mark.parametrize("text, match", [("0", "at least two"), ("1,1", "twice"), ("0-1,1", "twice"), ("a", "not a seed"),
                                         ("2-0", "A <= B"), ("-1,2", "not a seed")])
def test_parse_seeds_refuses(text, match):
    with pytest.raises(ValueError, match=match):
        parse_seeds(text)


def test_spread_matches_a_float64_reference():
    values = [0.703, 0.673, 0.710]
    s = Spread.of(values)
    ref = np.asarray(values, dtype=np.float64)
    assert s.mean == pytest.approx(ref.mean(), abs=1e-15) and s.sd == pytest.approx(ref.std(ddof=1), abs=1e-15)
    assert (s.low, s.high) == (0.673, 0.710)
    assert Spread.of([0.5, 0.5]).sd == 0.0


def test_spreads_per_stage_and_column_include_the_gap_and_also_tasks(tmp_path):
    results = {0: _result(tmp_path, 0.70, 0.79, 0.05), 1: _result(tmp_path, 0.67, 0.79, 0.09), 2: _result(tmp_path, 0.71, 0.78, 0.08)}
    sp = spreads(results)
    assert sp["g"]["present_auroc"].mean == pytest.approx(np.mean([0.70, 0.67, 0.71]))
    assert sp["f"]["calibration_gap"].mean == pytest.approx(np.mean([0.05, 0.09, 0.08]))
    assert sp["f"]["calibration_gap"].sd == pytest.approx(np.std([0.05, 0.09, 0.08], ddof=1))
    assert "auroc_with_absent" not in sp["f"] and spreads(results, "dev_open")["f"]["auroc_with_absent"].sd == 0.0


def test_claims_are_tallied_per_seed(tmp_path):
    # seed 0: +0.09 (fails), gap 0.05 (holds); seed 1: +0.12 (holds), gap 0.09 (fails); seed 2: +0.07, 0.08.
    results = {0: _result(tmp_path, 0.70, 0.79, 0.05), 1: _result(tmp_path, 0.67, 0.79, 0.09), 2: _result(tmp_path, 0.71, 0.78, 0.08)}
    (above, calibrated) = claim_tally(results)
    assert above == ("FLAM far above", [1], [0, 2])
    assert calibrated == ("F loses at most 0.050 F1 at 0.5", [0], [1, 2])


def test_seed_report(tmp_path):
    results = {0: _result(tmp_path, 0.70, 0.79, 0.05), 1: _result(tmp_path, 0.67, 0.79, 0.09), 2: _result(tmp_path, 0.71, 0.78, 0.08)}
    path = write_seed_report(results)
    assert path == tmp_path / "studies" / "s" / "seeds.md"
    text = path.read_text()
    assert "over seeds 0, 1, 2" in text and "| G | 0.231 ± 0.007 | 0.693 ± 0.021 |" in text
    assert "**holds at 1 of 3 seeds**: FLAM far above (holds: [1]; does not: [0, 2])" in text
    assert "### Task `dev_open`" in text
    summary = json.loads((path.parent / "seeds.json").read_text())
    assert summary["seeds"] == [0, 1, 2] and summary["claims"][0]["holds_at"] == [1]
    assert "+0.120" in summary["claims"][0]["per_seed"]["1"]  # each seed's statement keeps its numbers
    assert summary["spread"]["f"]["present_auroc"]["high"] == 0.79
    assert summary["reports"]["1"].endswith("studies/s/seed-1/report.md")


def test_cli_runs_each_seed_then_reports_over_them(tmp_path, monkeypatch, capsys):
    from flamkit.cli import study_cmd
    from flamkit.study import report, runner

    calls = []
    values = {0: (0.70, 0.79, 0.05), 1: (0.67, 0.79, 0.09)}

    def fake_run_study(spec, overrides, skip_train=False, eval_overrides=()):
        calls.append(list(overrides))
        return _result(tmp_path, *values[int(overrides[-1].split("=")[1])])

    written = []
    monkeypatch.setattr(runner, "run_study", fake_run_study)
    monkeypatch.setattr(report, "write_report", lambda result, examples=None, folder=None: written.append(folder) or folder / "report.md")
    monkeypatch.setattr(study_cmd, "print_summary", lambda result, path: None)
    parser = argparse.ArgumentParser()
    study_cmd.add_arguments(parser)
    assert study_cmd.run(parser.parse_args(["quickstart", "run.root=X", "--seeds", "0,1"])) == 0
    assert calls == [["run.root=X", "seed=0"], ["run.root=X", "seed=1"]]
    assert written == [tmp_path / "studies" / "s" / "seed-0", tmp_path / "studies" / "s" / "seed-1"]
    assert (tmp_path / "studies" / "s" / "seeds.md").is_file()
    assert study_cmd.run(parser.parse_args(["quickstart", "seed=3", "--seeds", "0,1"])) == 2
    assert "drop the seed= override" in capsys.readouterr().err


def test_claims_without_text_are_described_without_numbers():
    from flamkit.study.seeds import describe

    labels = {"f": "FLAM", "g": "FLAM-Global", "n": "no bias"}
    assert describe(Claim("above", {"model": "f", "baseline": "g", "metric": "present_auroc", "margin": 0.1}), labels) == (
        "FLAM's frame AUROC at least +0.100 over FLAM-Global's")
    assert describe(Claim("worse_calibrated", {"model": "n", "than": "f"}), labels) == "no bias loses more F1 at 0.5 than FLAM"
