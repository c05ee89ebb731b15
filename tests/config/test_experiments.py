"""Every experiment file composes and validates, at both sizes; bad overrides fail precisely."""

import subprocess
import sys

import pytest

from flamkit.config.compose import ConfigError, compose, list_experiments
from flamkit.config.validate import validate

EXPERIMENTS = list_experiments()


def test_the_paper_experiments_exist():
    expected = {"flam_global", "flam", "flam_no_text_scale", "flam_no_text_bias", "flam_no_text_scale_bias",
                "flam_L128", "flam_no_global", "flam_no_closed_set", "flam_no_global_init", "quickstart", "debian_sfx"}
    assert expected <= set(EXPERIMENTS)


@pytest.mark.parametrize("name", EXPERIMENTS)
@pytest.mark.parametrize("size", ["default", "cpu"])
def test_experiment_composes_and_validates(name, size):
    cfg = compose(name, [] if size == "default" else ["size=cpu"])
    validate(cfg)
    assert cfg.experiment == name


def test_ablations_change_what_they_say():
    flam = compose("flam", [])
    assert compose("flam_L128", []).model.frames == 128 and flam.model.frames == 32
    assert compose("flam_no_text_scale", []).model.scale.name == "scalar_scale"
    nb = compose("flam_no_text_bias", [])
    assert nb.model.bias.name == "scalar_bias" and nb.model.bias.init == -10.0
    assert nb.loss.sed.detach_bias is False and "prior" not in nb.loss
    assert "clip" not in compose("flam_no_global", []).loss
    assert set(flam.loss) == {"clip", "sed", "prior"}
    assert [flam.loss[k].weight for k in ("clip", "sed", "prior")] == [1.0, 200.0, 1.0]
    assert compose("flam_no_closed_set", []).data.streams.sed.sources.desed.weight == 0.0
    assert compose("flam", ["flam_global=runs/x"]).train.init_from == "runs/x"
    assert compose("flam_no_global_init", ["flam_global=runs/x"]).train.init_from is None
    g = compose("flam_global", [])
    assert set(g.loss) == {"clip"} and g.train.max_steps == 50000 and g.data.streams["global"].batch_size == 768
    assert flam.train.max_steps == 120000 and flam.optim.betas == [0.9, 0.99] and flam.sched.warmup_steps == 3200


def test_bad_override_is_named():
    with pytest.raises(ConfigError, match="inti"):
        compose("quickstart", ["model.bias.inti=-8"])
    cfg = compose("quickstart", ["+model.bias.inti=-8"])
    with pytest.raises(ConfigError, match=r"model\.bias\.inti: not an argument .*Did you mean 'init'"):
        validate(cfg)
    with pytest.raises(ConfigError, match="not found"):
        compose("no_such_experiment", [])


def test_validate_cli_exit_codes():
    ok = subprocess.run([sys.executable, "-m", "flamkit.cli", "validate", "experiment=quickstart"], capture_output=True, text=True)
    assert ok.returncode == 0 and "is valid" in ok.stdout
    bad = subprocess.run([sys.executable, "-m", "flamkit.cli", "validate", "experiment=quickstart", "model/audio=htsatt"],
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "htsatt" in bad.stderr
