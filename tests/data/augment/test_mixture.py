"""The ``mixture`` augmenter: an example becomes one event of a §4.2 mixture made by the synthesizer."""

import json

import numpy as np
import pytest

from flamkit.config.compose import ConfigError, compose
from flamkit.config.validate import AUGMENTER_INJECTED, Slot, build_component, check_component, validate
from flamkit.data.augment.mixture import MixtureAugment, trim_silence
from flamkit.data.collate import collate_sed
from flamkit.data.example import Event, Example
from flamkit.data.manifest import ManifestError
from flamkit.data.pipeline import BatchStream
from flamkit.data.source import DataError
from flamkit.data.sources.audio_text import AudioTextSource
from flamkit.data.synth.mixture import apply_fades
from flamkit.registry import AUGMENTERS
from tests.data import audio_files as af
from tests.data.synth.test_mixer import check_mixture, label_overlap, placement_overlap

SR = 16000
CAPTION = "a kettle whistling"


def burst(seconds: float, seed: int, freq: float) -> np.ndarray:
    """A tone in noise bursts: energy with silent gaps inside, so relabelling has work to do."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SR)) / SR
    x = np.sin(2 * np.pi * freq * t) * (np.sin(2 * np.pi * 1.5 * t) > -0.3) + 0.05 * rng.standard_normal(len(t))
    return (0.4 * x / np.max(np.abs(x))).astype(np.float32)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """An events manifest (6 labels, 2-4 s, with tags) and a backgrounds manifest (2 x 12 s noise)."""
    root = tmp_path_factory.mktemp("mixture")
    rng = np.random.default_rng(0)
    events = []
    for i in range(12):
        path = af.write(root / f"ev{i}.wav", burst(2.0 + (i % 3), i, 300 + 150 * i), SR)
        events.append({"path": path, "label": f"sound {i % 6}", "kind": "event", "tags": [f"tag {i % 6}"]})
    backgrounds = []
    for i in range(2):
        noise = np.cumsum(rng.standard_normal(12 * SR)) * 1e-3
        noise = (0.3 * (noise - noise.mean()) / np.abs(noise - noise.mean()).max()).astype(np.float32)
        backgrounds.append({"path": af.write(root / f"bg{i}.wav", noise, SR), "label": "rumble ambiance",
                            "kind": "background"})
    ev, bg = root / "events.jsonl", root / "backgrounds.jsonl"
    ev.write_text("".join(json.dumps(r) + "\n" for r in events))
    bg.write_text("".join(json.dumps(r) + "\n" for r in backgrounds))
    return {"events": str(ev), "backgrounds": str(bg), "root": root}


def augmenter(corpus, **synth):
    return MixtureAugment(events=corpus["events"], backgrounds=corpus["backgrounds"], sample_rate=SR,
                          clip_seconds=10.0, synth=synth or None)


def sfx_example(seed: int = 0, seconds: float = 1.6, key: str = "sfx/kettle.wav") -> Example:
    """What an audio_text source yields for a short sound effect: the clip padded with zeros to 10 s."""
    sound = burst(seconds, 100 + seed, 2500)
    audio = np.zeros(10 * SR, np.float32)
    start = int(np.random.default_rng(seed).integers(0, len(audio) - len(sound)))
    audio[start : start + len(sound)] = sound
    return Example(audio, SR, key=key, source="sfx", caption=CAPTION, tags=["kettle", "whistle"])


def test_the_example_is_an_event_whose_labels_carry_its_energy(corpus):
    aug = augmenter(corpus)
    s = aug.synth
    for seed in range(12):
        ex = sfx_example(seed)
        m = aug.mix(ex, np.random.default_rng(seed), stems=True)
        check_mixture(s, m, s.config)  # labels match the rendered audio, <= 3 overlap, gains in range
        given = [(p, stem) for p, stem in zip(m.placed, m.event_stems) if p.pool == "given"]
        assert len(given) == 1
        p, stem = given[0]
        assert p.text == CAPTION and p.clip_key == "given:sfx/kettle.wav"
        # the placed pieces are the example's sound with its zero padding trimmed, nothing else
        sound = trim_silence(ex.audio)
        pieces = [stem[o : o + n] for o, n in p.pieces]
        gain = 10.0 ** ((p.gain_db + m.scale_db) / 20.0)
        if p.realized_mode == "repeat":
            expect = [apply_fades(sound, int(0.01 * SR))] * len(pieces)
        else:
            assert sum(n for _, n in p.pieces) == len(sound)
            cuts = np.cumsum([0] + [n for _, n in p.pieces])
            expect = [apply_fades(sound[a:b], int(0.01 * SR)) for a, b in zip(cuts[:-1], cuts[1:])]
        for got, want in zip(pieces, expect):
            np.testing.assert_allclose(got, gain * want, atol=1e-6)
        # its labelled frames are exactly where its own rendered signal is loud enough (after C.4)
        event = next(e for e in m.events if e.text == CAPTION)
        levels = s.meter.frame_db(stem, 0, s.n_frames)
        for on, off in event.segments:
            a, b = int(round(on * 50)), int(round(off * 50))
            assert levels[a:b].max() >= s.config.threshold_db


def test_output_example_and_tags(corpus):
    aug = augmenter(corpus)
    ex = sfx_example(3)
    out = aug(ex, np.random.default_rng(5))
    m = aug.mix(ex, np.random.default_rng(5))
    np.testing.assert_array_equal(out.audio, m.audio)
    assert out.key == ex.key and out.source == "sfx" and out.caption is None and out.tags == []
    assert out.sample_rate == SR and len(out.audio) == 10 * SR
    by_text = {e.text: e for e in out.events}
    assert set(by_text) == {e.text for e in m.events} and CAPTION in by_text
    assert by_text[CAPTION].tags == ["kettle", "whistle"]  # the example's tags ride on its event (C.6)
    for text, e in by_text.items():
        if text != CAPTION:
            assert e.tags == [f"tag {text.split()[-1]}"]  # pool events carry their manifest tags
        np.testing.assert_array_equal(e.activity, next(x for x in m.events if x.text == text).activity)
        assert e.frame_mask(32, 10.0).any()


@pytest.mark.parametrize("n", [1, 4])
def test_event_count_is_n_with_the_example_as_one(corpus, n):
    aug = augmenter(corpus, min_events=n, max_events=n, split_prob=0.0, repeat_prob=0.0)
    for seed in range(8):
        m = aug.mix(sfx_example(seed), np.random.default_rng(seed))
        assert m.n_requested == n and m.placed[0].pool == "given"
        assert sum(p.pool == "given" for p in m.placed) == 1
        assert len(m.placed) + m.stats["dropped_no_room"] + m.stats["dropped_silent"] == n
        if n == 1:
            assert [e.text for e in m.events] == [CAPTION]


def test_crowded_mixtures_keep_the_example_and_at_most_three_overlap(corpus):
    # ten 2-4 s events cannot all fit under the 3-concurrent limit: some pool events are dropped,
    # the example (placed first) never is
    aug = augmenter(corpus, min_events=10, max_events=10)
    dropped = 0
    for seed in range(10):
        m = aug.mix(sfx_example(seed, seconds=4.0), np.random.default_rng(seed), stems=True)
        check_mixture(aug.synth, m, aug.synth.config)
        assert placement_overlap(m) <= 3 and label_overlap(m) <= 3
        assert m.placed[0].pool == "given" and CAPTION in {e.text for e in m.events}
        dropped += m.stats["dropped_no_room"]
    assert dropped > 0


def test_long_examples_are_cropped_like_pool_events(corpus):
    aug = augmenter(corpus)
    ex = Example(burst(14.0, 7, 1800), SR, key="long.wav", caption=CAPTION)
    m = aug.mix(ex, np.random.default_rng(0))
    assert m.stats["event_cropped"] >= 1 and sum(n for _, n in m.placed[0].pieces) <= 10 * SR


def test_deterministic_from_the_rng(corpus):
    a, b = augmenter(corpus), augmenter(corpus)
    ex = sfx_example(1)
    x, y = a(ex, np.random.default_rng(42)), b(ex, np.random.default_rng(42))
    np.testing.assert_array_equal(x.audio, y.audio)
    assert [(e.text, e.segments, e.tags) for e in x.events] == [(e.text, e.segments, e.tags) for e in y.events]
    z = a(ex, np.random.default_rng(43))
    assert not np.array_equal(x.audio, z.audio)
    # the mixture is the synthesizer's render(index, given=[the example]) for the index the rng draws
    index = int(np.random.default_rng(42).integers(2**62))
    m = a.synth.render(index, given=[a.given_clip(ex)])
    np.testing.assert_array_equal(m.audio, x.audio)


def test_examples_with_events_pass_through(corpus):
    aug = augmenter(corpus)
    sed = Example(np.zeros(10 * SR, np.float32), SR, key="strong.wav", events=[Event("dog", [(1.0, 2.0)])])
    assert aug(sed, np.random.default_rng(0)) is sed


def test_unusable_examples_raise_dataerror_naming_them(corpus):
    aug = augmenter(corpus)
    no_caption = Example(burst(1.0, 0, 900), SR, key="nocap.wav")
    with pytest.raises(DataError, match="nocap.wav: the mixture augmenter needs a caption"):
        aug(no_caption, np.random.default_rng(0))
    with pytest.raises(DataError, match="silent.wav: audio is all-silent.*mixture augmenter cannot"):
        aug(Example(np.zeros(10 * SR, np.float32), SR, key="silent.wav", caption="x"), np.random.default_rng(0))
    nan = burst(1.0, 0, 900)
    nan[100] = np.nan
    with pytest.raises(DataError, match="nan.wav: audio contains NaN.*mixture augmenter cannot"):
        aug(Example(nan, SR, key="nan.wav", caption="x"), np.random.default_rng(0))


def test_other_sample_rates_are_resampled(corpus):
    aug = augmenter(corpus)
    ex = Example(af.tone(1.0, 44100, 1000), 44100, key="cd.wav", caption="a beep")
    out = aug(ex, np.random.default_rng(0))
    assert out.sample_rate == SR and len(out.audio) == 10 * SR and "a beep" in {e.text for e in out.events}


def test_bad_configuration_names_the_key(corpus):
    with pytest.raises(ValueError, match=r"mixture: bad synth keys: synth.max_event: not a SynthConfig field. Did you mean 'max_events'"):
        augmenter(corpus, max_event=3)
    with pytest.raises(ValueError, match="synth.duration_s is set by flamkit"):
        augmenter(corpus, duration_s=5.0)
    with pytest.raises(ValueError, match="min_events <= max_events"):
        augmenter(corpus, min_events=5, max_events=2)
    with pytest.raises(ValueError, match="mixture: no event clips"):
        MixtureAugment(events=corpus["backgrounds"], sample_rate=SR)


def stream_cfg(extra: str = "") -> list[str]:
    node = "{name:mixture,events:ev.jsonl,backgrounds:bg.jsonl,synth:{max_events:5%s}}" % extra
    return ["data=embedded", f"data.streams.sed.augment=[{node},{{name:caption,p_event_tag:0.5}}]"]


def test_a_stream_using_it_composes_validates_and_builds(corpus):
    cfg = compose("quickstart", stream_cfg())
    validate(cfg)  # raises on any problem
    node = cfg.data.streams.sed.augment[0]
    assert node.name == "mixture" and node.synth.max_events == 5
    slot = Slot("data.streams.sed.augment[0]", AUGMENTERS, AUGMENTER_INJECTED)
    real = {**node, "events": corpus["events"], "backgrounds": corpus["backgrounds"]}
    built = build_component(AUGMENTERS, real, slot, sample_rate=SR, clip_seconds=float(cfg.data.clip_seconds))
    assert isinstance(built, MixtureAugment) and built.synth.config.max_events == 5
    assert built.synth.config.sample_rate == SR and built.synth.config.duration_s == cfg.data.clip_seconds


def test_validate_reports_bad_keys_inside_and_outside_synth():
    with pytest.raises(ConfigError) as err:
        validate(compose("quickstart", stream_cfg(",max_event:3,sample_rate:8000")))
    text = str(err.value)
    assert "data.streams.sed.augment[0].synth.max_event: not a SynthConfig field. Did you mean 'max_events'?" in text
    assert "data.streams.sed.augment[0].synth.sample_rate is set by flamkit" in text
    slot = Slot("data.streams.sed.augment[0]", AUGMENTERS, AUGMENTER_INJECTED)
    problems = check_component(slot, {"name": "mixture", "events": "e.jsonl", "clip_seconds": 5.0, "backgrund": "b"})
    assert any("clip_seconds: set by flamkit" in p for p in problems)
    assert any("backgrund: not an argument of augmenter 'mixture'. Did you mean 'backgrounds'?" in p for p in problems)
    assert any("synth: SynthConfig: need 1 <= min_events <= max_events" in p for p in check_component(slot, {"name": "mixture", "events": "e.jsonl",
                                                                       "synth": {"min_events": 4, "max_events": 2}}))
    assert check_component(slot, {"name": "mixture"}) == [
        "data.streams.sed.augment[0].events: required by augmenter 'mixture' but not set"]


def test_sound_effects_become_sed_batches(corpus, tmp_path):
    """audio_text sound effects + mixture in an SED stream: every clip has its caption as a timed event."""
    rows = [{"path": af.write(tmp_path / f"fx{i}.wav", burst(1.0 + i, 50 + i, 1200 + 400 * i), SR),
             "caption": f"effect {i}", "tags": ["fx"]} for i in range(3)]
    (tmp_path / "fx.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    src = AudioTextSource(str(tmp_path / "fx.jsonl"), sample_rate=SR, clip_seconds=10.0)
    stream = BatchStream("sed", [src], [1.0], lambda exs: (exs, collate_sed(exs, num_frames=32, slots_per_clip=5)),
                         batch_size=3, seed=0, augmenters=[augmenter(corpus)])
    batch = stream.make_batch(0)
    examples, collated = batch.data
    assert not batch.skipped and len(examples) == 3
    for ex in examples:
        captions = {e.text for e in ex.events} & {r["caption"] for r in rows}
        assert len(captions) == 1 and ex.events and all(e.activity is not None for e in ex.events)
    assert collated is not None
    again = stream.make_batch(0).data[0]  # batches are functions of (seed, stream, rank, index)
    for x, y in zip(examples, again):
        np.testing.assert_array_equal(x.audio, y.audio)


def test_missing_pool_files_fail_or_are_dropped_with_a_warning(corpus, tmp_path, caplog):
    rows = [json.loads(line) for line in open(corpus["events"])]
    rows.append({"path": str(tmp_path / "gone.wav"), "label": "ghost", "kind": "event"})
    bad = tmp_path / "events.jsonl"
    bad.write_text("".join(json.dumps(r) + "\n" for r in rows))
    with pytest.raises(ManifestError, match=rf"{bad}:13: audio file not found: .*gone.wav"):
        MixtureAugment(events=str(bad), backgrounds=corpus["backgrounds"], sample_rate=SR)
    with caplog.at_level("WARNING"):
        aug = MixtureAugment(events=str(bad), backgrounds=corpus["backgrounds"], sample_rate=SR, strict=False)
    assert "gone.wav" in caplog.text and "mixture: skipping bad manifest rows" in caplog.text
    assert all("gone" not in c.key for pool in aug.synth.pools.values() for c in pool)


def test_an_example_that_relabelling_removes_is_a_dataerror(corpus):
    # sparse 1 ms clicks are active on ~3 frames each; with C.4's blip rule set to 5 frames they all go
    clicks = np.zeros(int(3.0 * SR), np.float32)
    clicks[:: int(0.4 * SR)] = 0.9
    clicks[int(0.4 * SR) // 2 :: int(0.4 * SR)] = -0.9
    aug = augmenter(corpus, min_segment_frames=5, min_total_frames=0, min_gap_frames=1, min_events=1, max_events=1,
                    split_prob=0.0, repeat_prob=0.0)
    ex = Example(clicks, SR, key="clicks.wav", caption="sparse clicks")
    with pytest.raises(DataError, match="clicks.wav: no frame of the example stays labelled"):
        aug(ex, np.random.default_rng(0))
    kept = augmenter(corpus, min_events=1, max_events=1, split_prob=0.0, repeat_prob=0.0)(ex, np.random.default_rng(0))
    assert [e.text for e in kept.events] == ["sparse clicks"]  # audible: only the blip rule removed them
