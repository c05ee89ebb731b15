import pytest
from omegaconf import OmegaConf

from flamkit.config.compose import ConfigError
from flamkit.eval.configs import eval_config_path, list_eval_configs, load_eval_config
from flamkit.eval.runner import build_tasks

SHIPPED = ["dcase_sed", "debian_extra_holdout", "debian_extra_new", "debian_extra_other", "debian_sfx_dev", "debian_sfx_holdout", "debian_sfx_seen", "embedded_heldout",
           "open_vocab_sed", "retrieval", "zero_shot"]


def test_shipped_eval_configs_are_listed():
    assert set(SHIPPED) <= set(list_eval_configs())


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_eval_configs_build_once_their_required_values_are_given(name):
    cfg, _ = load_eval_config(name)
    import flamkit.data.sources  # noqa: F401  (registers `embedded`; flamkit.components will import it)

    task_nodes = {label: node for label, node in cfg.items() if not str(label).startswith("_")}  # _shared values
    overrides = [f"{label}.{k}=/x" for label, node in task_nodes.items() for k in node if OmegaConf.is_missing(node, k)]
    tasks = build_tasks(load_eval_config(name, overrides)[0])
    assert set(tasks) == set(task_nodes)


def test_overrides_and_unknown_names(tmp_path):
    cfg, path = load_eval_config("dcase_sed", ["sed.audio_dir=/a", "sed.modes=[unbiased]"])
    assert cfg.sed.audio_dir == "/a" and list(cfg.sed.modes) == ["unbiased"] and path == eval_config_path("dcase_sed")
    with pytest.raises(ConfigError, match="LABEL.KEY=VALUE"):
        load_eval_config("dcase_sed", ["sed.audio_dir"])
    with pytest.raises(ConfigError, match="available: .*dcase_sed"):
        load_eval_config("nope")
    own = tmp_path / "mine.yaml"
    own.write_text("a:\n  name: retrieval\n  manifest: m.jsonl\n")
    assert load_eval_config(str(own))[0].a.manifest == "m.jsonl"
