"""The data config groups compose and every data component in them matches its signature."""

import pytest

import flamkit.data.augment  # noqa: F401  (registers the augmenters)
import flamkit.data.sources  # noqa: F401  (registers the sources)
from flamkit.config.compose import compose
from flamkit.config.validate import check_component, component_slots


@pytest.mark.parametrize("group", ["embedded", "debian_sfx"])
def test_data_group_is_valid(group):
    cfg = compose("quickstart", [f"data={group}"])
    problems = [p for slot, node in component_slots(cfg) if slot.path.startswith("data.") for p in check_component(slot, node)]
    assert problems == []
    assert set(cfg.data.streams) == {"global", "sed"} and cfg.data.val
