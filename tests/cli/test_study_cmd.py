"""``flamkit study``: listing and bad names (a full study runs in tests/cli/test_quickstart_cmd.py)."""

import json

import pytest

from flamkit.cli import main as flamkit


def test_study_command_names_a_bad_study(capsys):
    assert flamkit(["study", "no_such_study"]) == 2
    assert "no study 'no_such_study'" in capsys.readouterr().err


def test_study_list(capsys):
    assert flamkit(["study", "--list"]) == 0
    assert {"quickstart", "debian_sfx"} <= set(capsys.readouterr().out.split())


def test_every_stage_is_validated_before_anything_trains(tmp_path, capsys):
    assert flamkit(["study", "quickstart", "+model.bias.inti=-8", f"run.root={tmp_path}"]) == 2
    err = capsys.readouterr().err
    assert "inti" in err and "init" in err  # the unknown key and the closest valid one
    assert not any(tmp_path.iterdir())  # no run folder was made


def test_a_study_whose_task_is_not_in_its_eval_config_fails_before_training(tmp_path, capsys):
    study = tmp_path / "typo.yaml"
    study.write_text("eval: embedded_heldout\ntask: heldot\nstages:\n  - {name: g, experiment: flam_global}\n")
    assert flamkit(["study", str(study), f"run.root={tmp_path / 'runs'}"]) == 2
    assert "task 'heldot' is not in eval config 'embedded_heldout' (it has: ['heldout'])" in capsys.readouterr().err
    assert not (tmp_path / "runs").exists()


@pytest.mark.slow
def test_seeds_run_the_study_once_per_seed_and_report_over_them(tmp_path, capsys):
    tiny = ["budget.global_steps=2", "budget.flam_steps=2", "budget.warmup_steps=1", "data.streams.global.batch_size=4",
            "data.streams.sed.batch_size=4", "data.val_clips=2", "train.val_every=2", "train.log_every=1"]
    args = ["study", "quickstart", *tiny, f"run.root={tmp_path}", "--seeds", "0,1",
            "--eval", "heldout.max_clips=6", "--eval", "heldout.num_figure_clips=1", "--examples", "0"]
    assert flamkit(args) == 0
    folder = tmp_path / "studies" / "quickstart"
    per_seed = {s: json.loads((folder / f"seed-{s}" / "summary.json").read_text()) for s in (0, 1)}
    assert [p["overrides"][-1] for p in per_seed.values()] == ["seed=0", "seed=1"]
    runs = {p["models"]["flam"]["run"] for p in per_seed.values()}
    assert len(runs) == 2  # two trained runs, not one found twice
    summary = json.loads((folder / "seeds.json").read_text())
    aurocs = [p["models"]["flam"]["scalars"]["present_auroc"] for p in per_seed.values()]
    assert summary["spread"]["flam"]["present_auroc"]["mean"] == pytest.approx(sum(aurocs) / 2)
    assert summary["spread"]["flam"]["present_auroc"]["sd"] == pytest.approx(abs(aurocs[0] - aurocs[1]) / 2 ** 0.5)
    assert len(summary["claims"]) == 3 and "over seeds 0, 1" in (folder / "seeds.md").read_text()
    # A seed a plain study already trained is found by its config hash, not trained again.
    assert flamkit(["study", "quickstart", *tiny, f"run.root={tmp_path}", "seed=1", "--skip-train",
                    "--eval", "heldout.max_clips=6", "--examples", "0"]) == 0
    assert json.loads((folder / "summary.json").read_text())["models"]["flam"]["run"] == per_seed[1]["models"]["flam"]["run"]
