"""Config validation: every component name and argument checked against registries and signatures."""

import pytest
from omegaconf import OmegaConf

from flamkit.config.compose import ConfigError
from flamkit.config.validate import HEAD_INJECTED, Slot, check_component, validate
from flamkit.registry import HEADS, LOSSES, Registry


def _cfg(**over):
    base = {
        "experiment": "t",
        "model": {
            "audio": {"name": "__missing_is_checked_separately"},
            "text": {"name": "minilm"},
            "projection": {"name": "mlp", "hidden": 32},
            "scale": {"name": "per_text_scale"},
            "bias": {"name": "per_text_bias", "init": -8.0},
        },
        "loss": {"clip": {"name": "clip", "weight": 1.0}},
        "data": {"streams": {}},
        "optim": {"name": "adam", "lr": 1e-3},
        "sched": {"name": "constant"},
    }
    base.update(over)
    return OmegaConf.create(base)


def test_unknown_argument_names_key_and_closest_allowed():
    problems = check_component(Slot("model.bias", HEADS, HEAD_INJECTED), {"name": "per_text_bias", "inti": -8.0})
    assert len(problems) == 1
    msg = problems[0]
    assert msg.startswith("model.bias.inti: not an argument of head 'per_text_bias'")
    assert "Did you mean 'init'?" in msg and "Allowed: detach_input, hidden, init" in msg


def test_unknown_component_name_lists_registered():
    problems = check_component(Slot("loss.x", LOSSES), {"name": "sedd"})
    assert "loss.x.name" in problems[0] and "Did you mean 'sed'?" in problems[0]


def test_wrong_type_and_injected_and_required():
    reg = Registry("thing")

    @reg.register("t")
    def t(in_dim: int, count: int, rate: float = 1.0, mode: str = "a"):
        return None

    slot = Slot("x", reg, injected=frozenset({"in_dim"}))
    problems = check_component(slot, {"name": "t", "rate": "fast", "in_dim": 3})
    text = "\n".join(problems)
    assert "x.rate: 'fast' is not a valid float" in text
    assert "x.in_dim: set by flamkit" in text
    assert "x.count: required by thing 't' but not set" in text
    assert check_component(slot, {"name": "t", "count": 2, "rate": 3}) == []  # int is a valid float


def test_missing_node_and_missing_name():
    reg = Registry("thing")
    assert "missing" in check_component(Slot("a.b", reg), None)[0]
    assert "no `name` key" in check_component(Slot("a.b", reg), {"k": 1})[0]


def test_validate_collects_all_problems_and_stream_needs():
    cfg = _cfg()
    with pytest.raises(ConfigError) as err:
        validate(cfg)
    msg = str(err.value)
    assert "model.audio.name" in msg  # unknown audio encoder
    assert "loss.clip: consumes the 'global' batch stream" in msg  # no data for the CLIP head


def test_component_config_problems_hook_is_reported_under_its_path():
    reg = Registry("thing")

    @reg.register("t")
    class T:
        def __init__(self, settings: dict | None = None):
            pass

        @staticmethod
        def config_problems(kwargs):
            return [f"settings.{k}: unknown" for k in (kwargs.get("settings") or {}) if k != "ok"]

    slot = Slot("data.x", reg)
    assert check_component(slot, {"name": "t", "settings": {"ok": 1}}) == []
    assert check_component(slot, {"name": "t", "settings": {"ok": 1, "bad": 2}}) == ["data.x.settings.bad: unknown"]


def test_text_projection_is_checked_only_when_set():
    from flamkit.config.checks import component_slots

    plain = [slot.path for slot, _ in component_slots(_cfg())]
    assert "model.text_projection" not in plain
    cfg = _cfg()
    cfg.model.text_projection = {"name": "identity", "hidden": 8}
    with pytest.raises(ConfigError) as err:
        validate(cfg)
    assert "model.text_projection.hidden: not an argument of head 'identity'" in str(err.value)


def test_negatives_need_sources_that_list_descriptions():
    from flamkit.config.checks import check_negatives

    def cfg(n, source="sed_synthetic"):
        return OmegaConf.create({"data": {"negatives": n, "streams": {"sed": {"sources": {"s": {"name": source}}}}}})

    assert check_negatives(cfg(0, "sed_strong")) == []
    assert check_negatives(cfg(8, "embedded")) == []
    assert check_negatives(cfg(256)) == []
    (msg,) = check_negatives(cfg(8, "sed_strong"))
    assert msg.startswith("data.streams.sed.sources.s: data.negatives=8") and "set data.negatives=0" in msg
    for bad in (-1, 1.5, True, "all"):
        (msg,) = check_negatives(cfg(bad))
        assert msg.startswith("data.negatives: must be a whole number >= 0")
