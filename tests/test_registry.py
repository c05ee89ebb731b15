import pytest

from flamkit.registry import Registry, RegistryError


def test_register_and_get():
    reg = Registry("widget")

    @reg.register("small")
    def small(size: int = 1):
        return size

    assert reg.get("small") is small
    assert reg.build("small", size=3) == 3
    assert "small" in reg and reg.names() == ["small"]
    assert reg.entry("small").source == "tests"


def test_unknown_name_lists_registered_and_closest():
    reg = Registry("widget")
    for name in ("htsat", "small_cnn"):
        reg.register(name)(lambda: None)
    with pytest.raises(RegistryError) as err:
        reg.get("htsatt")
    msg = str(err.value)
    assert "widget 'htsatt' is not registered" in msg
    assert "Did you mean 'htsat'?" in msg
    assert "htsat, small_cnn" in msg


def test_unknown_name_without_close_match_has_no_hint():
    reg = Registry("widget")
    reg.register("alpha")(lambda: None)
    with pytest.raises(RegistryError) as err:
        reg.get("zzzzzz")
    assert "Did you mean" not in str(err.value)


def test_duplicate_registration_from_another_module_fails():
    reg = Registry("widget")

    @reg.register("x")
    def first():
        pass

    def second():
        pass

    second.__module__ = "someplugin.module"
    with pytest.raises(RegistryError, match="already registered"):
        reg.register("x")(second)


def test_core_registries_hold_core_components():
    import flamkit.components  # noqa: F401
    from flamkit.registry import HEADS, LOSSES, OPTIMIZERS, POOLINGS, SCHEDULES, TEXT_ENCODERS

    assert {"clip", "siglip", "sed", "prior"} <= set(LOSSES.names())
    assert {"per_text_scale", "per_text_bias", "scalar_scale", "scalar_bias", "mlp"} <= set(HEADS.names())
    assert {"hf", "minilm"} <= set(TEXT_ENCODERS.names())
    assert "adam" in OPTIMIZERS and "warmup_linear" in SCHEDULES and "mean" in POOLINGS
    # Installed plugins (make install adds plugins/*) register next to the core; flamkit's own are "core".
    own = [e for reg in (LOSSES, POOLINGS) for e in reg.entries() if e.module.startswith("flamkit.")]
    assert {e.name for e in own} >= {"clip", "siglip", "sed", "prior", "mean"}
    assert all(e.source == "core" for e in own)
