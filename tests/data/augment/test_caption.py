import numpy as np
import pytest

from flamkit.config.validate import AUGMENTER_INJECTED, Slot, check_component
from flamkit.data.augment.caption import CaptionAugment, trim_text
from flamkit.data.example import Event, Example
from flamkit.registry import AUGMENTERS

AUDIO = np.zeros(10, np.float32)


def ex(caption=None, tags=(), events=()):
    return Example(AUDIO, 16000, key="k", caption=caption, tags=list(tags), events=list(events))


def test_lowercase_and_keyword_tag_text():
    aug = CaptionAugment()  # C.5: "keyword, tag" for every clip with both
    out = aug(ex("A Dog  BARKING loudly", ["Animal", "Dog"]), np.random.default_rng(0))
    assert out.caption in ("a dog barking loudly, animal", "a dog barking loudly, dog")
    seen = {aug(ex("Rain", ["Water", "Weather"]), np.random.default_rng(s)).caption for s in range(50)}
    assert seen == {"rain, water", "rain, weather"}


def test_without_tags_caption_is_only_normalised():
    out = CaptionAugment()(ex("Wind In  Trees"), np.random.default_rng(0))
    assert out.caption == "wind in trees" and out.audio is AUDIO


def test_tags_only_gives_one_tag():
    seen = {CaptionAugment()(ex(None, ["Bell", "Ding"]), np.random.default_rng(s)).caption for s in range(40)}
    assert seen == {"bell", "ding"}


def test_probabilities_are_exact_in_the_long_run():
    aug = CaptionAugment(p_keyword_tag=0.5, p_caption_tag=0.2)
    rng = np.random.default_rng(0)
    n = 4000
    outs = [aug(ex("cap", ["tag"]), rng).caption for _ in range(n)]
    frac = {k: outs.count(k) / n for k in ("tag", "cap, tag", "cap")}
    expected = {"tag": 0.2, "cap, tag": 0.8 * 0.5, "cap": 0.8 * 0.5}
    for k, p in expected.items():
        assert abs(frac[k] - p) < 4 * np.sqrt(p * (1 - p) / n), (k, frac[k])


def test_event_texts_become_tags_half_the_time():
    aug = CaptionAugment(p_event_tag=0.5)
    rng = np.random.default_rng(0)
    n, replaced = 2000, 0
    for _ in range(n):
        out = aug(ex(events=[Event("A Siren WAILING", [(0, 1)], tags=["Siren", "Alarm"]), Event("Hum", [(0, 1)])]), rng)
        first, second = out.events
        assert first.segments == [(0, 1)] and first.tags == ["Siren", "Alarm"]
        assert first.text in ("a siren wailing", "siren", "alarm")
        assert second.text == "hum"  # no tags: only lower-cased
        replaced += first.text != "a siren wailing"
    assert abs(replaced / n - 0.5) < 4 * np.sqrt(0.25 / n)


def test_trim_absurd_lengths_at_word_boundary():
    long = "word " * 200
    out = CaptionAugment(max_chars=50)(ex(long), np.random.default_rng(0))
    assert len(out.caption) <= 50 and out.caption.split() == ["word"] * len(out.caption.split())
    assert trim_text("abcdefghij", 4) == "abcd"
    assert trim_text("short", 10) == "short"


def test_config_and_bad_probability():
    slot = Slot("data.streams.sed.augment[0]", AUGMENTERS, AUGMENTER_INJECTED)
    assert check_component(slot, {"name": "caption", "p_event_tag": 0.5, "max_chars": 200}) == []
    assert check_component(slot, {"name": "caption", "p_event_tags": 0.5})
    with pytest.raises(ValueError, match="p_event_tag"):
        CaptionAugment(p_event_tag=-0.1)


def test_deterministic():
    e = ex("Cap", ["a", "b", "c"], [Event("E", [(0, 1)], tags=["x", "y"])])
    a = CaptionAugment(p_keyword_tag=0.5)(e, np.random.default_rng(3))
    b = CaptionAugment(p_keyword_tag=0.5)(e, np.random.default_rng(3))
    assert a.caption == b.caption and a.events[0].text == b.events[0].text
