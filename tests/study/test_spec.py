"""Study files: the shipped ones load; every mistake is named with its file and key."""

import pytest

from flamkit.config.compose import ConfigError
from flamkit.study.spec import list_studies, load_study


def test_shipped_studies_load_with_their_stages_in_order():
    assert {"quickstart", "debian_sfx"} <= set(list_studies())
    for name in ("quickstart", "debian_sfx"):
        spec = load_study(name)
        assert [s.name for s in spec.stages] == ["flam_global", "flam", "flam_no_text_bias"]
        assert spec.stage("flam").init == "flam_global" and spec.stage("flam_global").init is None
        assert {c.kind for c in spec.claims} == {"above", "calibrated", "worse_calibrated"}
    assert load_study("debian_sfx").eval == "debian_sfx_dev"


@pytest.mark.parametrize("name", ["debian_sfx", "debian_sfx_select", "debian_sfx_select_block4", "debian_sfx_gpu"])
def test_real_sound_studies_compose_and_validate_every_stage(name):
    """Every stage composes and binds to its components' signatures (nothing is built or trained)."""
    from pathlib import Path

    from omegaconf import OmegaConf

    import flamkit.conf
    from flamkit.study.runner import validate_study

    spec = load_study(name)
    validate_study(spec, [])
    tasks = OmegaConf.load(Path(flamkit.conf.__file__).parent / "eval" / f"{spec.eval}.yaml")
    assert spec.task in tasks and all(t in tasks for t in spec.also_tasks) and spec.also_tasks


def _write(tmp_path, text):
    path = tmp_path / "s.yaml"
    path.write_text(text)
    return str(path)


GOOD = """
eval: embedded_heldout
task: heldout
stages:
  - {name: a, experiment: flam_global}
  - {name: b, experiment: flam, init: a}
"""


def test_a_minimal_study_and_its_defaults(tmp_path):
    spec = load_study(_write(tmp_path, GOOD))
    assert spec.name == "s" and spec.mode == "unbiased" and spec.examples == 3 and spec.claims == ()
    assert spec.stage("b").label == "b" and spec.query_expansion is None
    expanded = load_study(_write(tmp_path, GOOD + "query_expansion: {k: 5, weight: 0.25}\n"))
    assert (expanded.query_expansion.k, expanded.query_expansion.tau, expanded.query_expansion.weight) == (5, 0.1, 0.25)


@pytest.mark.parametrize("text, message", [
    (GOOD.replace("experiment: flam_global}", "experiment: flamm}"), r"stages\[0\]: no experiment 'flamm'"),
    (GOOD.replace("init: a", "init: z"), r"stages\[1\]: init 'z' is not an earlier stage"),
    (GOOD.replace("name: b", "name: a"), r"stages\[1\]: stage name 'a' is used twice"),
    (GOOD.replace("task: heldout\n", ""), "missing key `task`"),
    (GOOD + "evall: x\n", r"unknown key\(s\) \['evall'\]"),
    (GOOD + "claims:\n  - {kind: better, model: a}\n", r"claims\[0\]: kind must be one of"),
    (GOOD + "claims:\n  - {kind: calibrated, model: a}\n", r"claims\[0\]: a `calibrated` claim takes \['model', 'tolerance'\]"),
    (GOOD + "claims:\n  - {kind: calibrated, model: q, tolerance: 0.1}\n", r"claims\[0\]: model 'q' is not a stage"),
    ("eval: x\ntask: y\nstages: []\n", "`stages` is empty"),
    (GOOD + "query_expansion: {k: 5, temperature: 1}\n", r"query_expansion: unknown key\(s\) \['temperature'\]"),
    (GOOD + "query_expansion: {weight: 2}\n", r"s.yaml: query_expansion: weight must be in"),
])
def test_mistakes_are_named(tmp_path, text, message):
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError, match=message) as info:
        load_study(path)
    assert "s.yaml" in str(info.value)


def test_unknown_study_lists_the_available_ones():
    with pytest.raises(ConfigError, match="available: .*quickstart"):
        load_study("nope")
