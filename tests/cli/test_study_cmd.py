"""``flamkit study``: listing and bad names (a full study runs in tests/cli/test_quickstart_cmd.py)."""

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
