"""The data config groups compose and every data component in them matches its signature."""

import pytest

import flamkit.data.augment  # noqa: F401  (registers the augmenters)
import flamkit.data.sources  # noqa: F401  (registers the sources)
from flamkit.config.compose import compose
from flamkit.config.validate import check_component, component_slots


@pytest.mark.parametrize("group", ["embedded", "debian_sfx", "debian_sfx_plus", "debian_sfx_plus_all"])
def test_data_group_is_valid(group):
    cfg = compose("quickstart", [f"data={group}"])
    problems = [p for slot, node in component_slots(cfg) if slot.path.startswith("data.") for p in check_component(slot, node)]
    assert problems == []
    assert set(cfg.data.streams) == {"global", "sed"} and cfg.data.val


@pytest.mark.parametrize("group,manifest", [("debian_sfx_plus", "train_plus"), ("debian_sfx_plus_all", "train_plus_all")])
def test_debian_sfx_plus_changes_only_the_training_events(group, manifest):
    """The extra descriptions enter training only: backgrounds, hold-out and validation stay debian-sfx's."""
    base, plus = compose("flam", ["data=debian_sfx"]).data, compose("flam", [f"data={group}"]).data
    assert plus.streams.sed.sources.mix.events.endswith(f"debian-extra/manifests/{manifest}.jsonl")
    assert plus.streams["global"].sources.sfx.manifest == plus.streams.sed.sources.mix.events
    assert plus.streams.sed.sources.mix.backgrounds == base.streams.sed.sources.mix.backgrounds
    assert plus.val == base.val and plus.holdout == base.holdout
    plus.streams.sed.sources.mix.events = base.streams.sed.sources.mix.events
    plus.streams["global"].sources.sfx.manifest = base.streams["global"].sources.sfx.manifest
    assert plus == base
