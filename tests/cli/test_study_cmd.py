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
