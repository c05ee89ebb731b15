import json
from dataclasses import fields
from collections import Counter

import numpy as np
import pytest
import soundfile as sf

from flamkit.config.validate import SOURCE_INJECTED, WEIGHTED, Slot, check_component
from flamkit.data.source import DataError, DataSource
from flamkit.data.sources.synthetic import SedSyntheticSource
from flamkit.data.synth.mixer import SynthConfig
from flamkit.registry import DATA_SOURCES
from tests.data import audio_files as af

SR = 8000


@pytest.fixture
def corpus(tmp_path):
    """One debian-sfx style manifest: 6 events (label 'beep' x5, 'thud' x1, with tags) and 2 backgrounds."""
    d = tmp_path / "audio"
    d.mkdir()
    rng = np.random.default_rng(0)
    rows = []
    for i in range(5):
        rows.append({"path": af.write(d / f"beep{i}.wav", af.tone(0.5 + 0.1 * i, SR, 600 + 50 * i), SR),
                     "label": "beep", "kind": "event", "tags": ["electronic", "tone"]})
    rows.append({"path": af.write(d / "thud.flac", af.tone(0.4, 16000, 90), 16000), "label": "thud", "kind": "event", "tags": "impact;low"})
    for i in range(2):
        rows.append({"path": af.write(d / f"bg{i}.wav", (0.05 * rng.standard_normal(12 * SR)).astype(np.float32), SR),
                     "label": "noise", "kind": "background"})
    m = tmp_path / "train.jsonl"
    m.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return str(m)


def make(corpus, **kw):
    return SedSyntheticSource(events=corpus, backgrounds=corpus, sample_rate=SR, clip_seconds=4.0, size=50, seed=3, **kw)


def test_item_is_a_function_of_seed_and_index(corpus):
    src = make(corpus)
    assert isinstance(src, DataSource) and len(src) == 50 and src.labels() is None
    a = src.get(7, np.random.default_rng(0))
    b = src.get(7, np.random.default_rng(99))
    np.testing.assert_array_equal(a.audio, b.audio)
    assert a.audio.shape == (4 * SR,) and a.sample_rate == SR and a.source == "sed_synthetic"
    assert not np.array_equal(a.audio, src.get(8, np.random.default_rng(0)).audio)
    texts = {e.text for i in range(10) for e in src.get(i, np.random.default_rng(0)).events}
    assert texts <= {"beep", "thud"} and texts
    with pytest.raises(IndexError):
        src.get(50, np.random.default_rng(0))


def test_events_carry_their_tags(corpus):
    src = make(corpus)
    tags = {}
    for i in range(15):
        for e in src.get(i, np.random.default_rng(0)).events:
            tags[e.text] = e.tags
            assert e.activity is not None and e.segments
    assert tags.get("beep") == ["electronic", "tone"]
    if "thud" in tags:
        assert tags["thud"] == ["impact", "low"]


def test_matches_the_rendered_dataset(corpus, tmp_path):
    from flamkit.data.synth.render import render_dataset

    out = tmp_path / "render"
    render_dataset(corpus, corpus, 2, str(out), seed=3, sample_rate=SR, duration=4.0, progress=False)
    src = make(corpus)
    manifest = [json.loads(line) for line in open(out / "manifest.jsonl")]
    for i, row in enumerate(manifest):
        audio, rate = sf.read(out / row["path"], dtype="float32")
        ex = src.get(i, np.random.default_rng(0))
        assert rate == SR
        np.testing.assert_allclose(audio, ex.audio, atol=1.5 / 32768)  # 16-bit FLAC
        assert sorted(e["text"] for e in row["events"]) == sorted(e.text for e in ex.events)


def test_rendered_dataset_checks_clean_and_reads_back_as_strong_labels(corpus, tmp_path):
    from flamkit.data.check import check_manifest
    from flamkit.data.sources.sed_strong import SedStrongSource
    from flamkit.data.synth.render import render_dataset

    out = tmp_path / "render"
    render_dataset(corpus, corpus, 3, str(out), seed=3, sample_rate=SR, duration=4.0, progress=False)
    report = check_manifest(str(out / "manifest.jsonl"), decode=True)
    assert report.ok and report.usable == 3, report.format()
    strong = SedStrongSource(str(out / "labels.tsv"), str(out), sample_rate=SR, clip_seconds=4.0, class_names={"beep": "beep", "thud": "thud"})
    src = make(corpus)
    for i in range(len(strong)):
        ex = strong.get(i, np.random.default_rng(0))  # a 4 s file into 4 s: no crop
        want = {e.text: e.segments for e in src.get(int(strong.files[i].filename.rsplit("-", 1)[1].split(".")[0]), np.random.default_rng(0)).events}
        got = {e.text: e.segments for e in ex.events}
        assert got.keys() == want.keys()
        for text in got:  # the TSV rounds to milliseconds
            np.testing.assert_allclose(np.asarray(got[text]), np.asarray(want[text]), atol=1e-3)


def test_balance_labels_draws_descriptions_uniformly(corpus):
    src = make(corpus, balance_labels=True, synth={"min_events": 1, "max_events": 1, "split_prob": 0.0, "repeat_prob": 0.0})
    assert src.synth.config.balance_texts and not make(corpus).synth.config.balance_texts
    # one event per mixture: 'thud' (1 clip of 6) is drawn about half the time, not a sixth
    drawn = Counter(e.text for i in range(50) for e in src.get(i, np.random.default_rng(0)).events)
    assert 13 <= drawn["thud"] <= 37 and drawn["beep"] + drawn["thud"] >= 45  # 25 +- 4 sd


def test_bad_configuration_errors(corpus, tmp_path):
    with pytest.raises(ValueError, match="synth.sample_rate is set by flamkit"):
        make(corpus, synth={"sample_rate": 16000})
    with pytest.raises(ValueError, match="bad synth keys"):
        make(corpus, synth={"max_event": 3})
    bg_only = tmp_path / "bg.jsonl"
    bg_only.write_text(json.dumps({"path": str(tmp_path / "audio" / "bg0.wav"), "label": "n", "kind": "background"}) + "\n")
    with pytest.raises(ValueError, match="no event clips"):
        SedSyntheticSource(events=str(bg_only), sample_rate=SR)
    ev_only = tmp_path / "ev.jsonl"
    ev_only.write_text("".join(line for line in open(corpus) if '"event"' in line))
    with pytest.raises(ValueError, match="no background clips"):
        SedSyntheticSource(events=corpus, backgrounds=str(ev_only), sample_rate=SR)
    slot = Slot("data.streams.sed.sources.mix", DATA_SOURCES, SOURCE_INJECTED, WEIGHTED)
    node = {"name": "sed_synthetic", "events": "e.jsonl", "backgrounds": "b.jsonl", "size": 1000, "synth": {"max_events": 5}}
    assert check_component(slot, node) == []
    assert check_component(slot, {**node, "n": 1000})
    # flamkit validate also checks the keys inside synth
    assert check_component(slot, {**node, "synth": {"max_event": 5}}) == [
        "data.streams.sed.sources.mix.synth.max_event: not a SynthConfig field. Did you mean 'max_events'? Known: "
        + ", ".join(f.name for f in fields(SynthConfig) if f.name not in ("sample_rate", "duration_s"))]


def test_undecodable_backgrounds_become_a_dataerror(corpus, tmp_path):
    rows = [json.loads(line) for line in open(corpus)]
    for r in rows:
        if r["kind"] == "background":
            af.text_as_wav(r["path"])  # corrupt every background after the manifest was written
    src = make(corpus)
    with pytest.raises(DataError, match="background"):
        src.get(0, np.random.default_rng(0))


def test_label_holdout_splits_event_labels_not_backgrounds(corpus):
    from flamkit.data.label_holdout import LabelHoldout

    split = LabelHoldout(0.5, seed=0)
    seed = next(s for s in range(100) if LabelHoldout(0.5, s).held_out("thud") and not LabelHoldout(0.5, s).held_out("beep"))
    train = make(corpus, holdout={"fraction": 0.5, "seed": seed, "part": "train"})
    held = make(corpus, holdout={"fraction": 0.5, "seed": seed, "part": "holdout"})
    assert split.fraction == 0.5 and train.n_event_clips == 5 and held.n_event_clips == 1
    texts_train = {e.text for i in range(10) for e in train.get(i, np.random.default_rng(0)).events}
    texts_held = {e.text for i in range(10) for e in held.get(i, np.random.default_rng(0)).events}
    assert texts_train == {"beep"} and texts_held == {"thud"}
    assert len(train.synth.backgrounds) == len(held.synth.backgrounds) == 2


def test_holdout_with_backgrounds_splits_backgrounds_by_label(corpus, tmp_path):
    from flamkit.data.label_holdout import LabelHoldout

    rows = [json.loads(line) for line in open(corpus)]
    rows[-1]["label"] = "rain"  # two background labels: "noise" and "rain"
    manifest = tmp_path / "two_backgrounds.jsonl"
    manifest.write_text("".join(json.dumps(r) + "\n" for r in rows))
    seed = next(s for s in range(200) if all(
        LabelHoldout(0.5, s).held_out(lab) == held for lab, held in (("thud", True), ("beep", False), ("rain", True), ("noise", False))))

    def split(part, backgrounds):
        return make(str(manifest), holdout={"fraction": 0.5, "seed": seed, "part": part, "backgrounds": backgrounds})

    def background_files(src):
        return sorted(c.path.rsplit("/", 1)[-1] for c in src.synth.backgrounds)

    assert background_files(split("train", True)) == ["bg0.wav"]
    assert background_files(split("holdout", True)) == ["bg1.wav"]
    assert background_files(split("train", False)) == background_files(split("holdout", False)) == ["bg0.wav", "bg1.wav"]
    assert split("holdout", True).n_event_clips == 1  # events split as without the flag
    rows[-2]["label"] = "rain"  # every background held out: the train part has none, and says why
    manifest.write_text("".join(json.dumps(r) + "\n" for r in rows))
    with pytest.raises(ValueError, match="no background clips .* after holdout .*backgrounds too"):
        split("train", True)


def test_memo_returns_exactly_the_rendered_mixture(corpus):
    plain, memo = make(corpus), make(corpus, memo_mb=64)
    for i in (3, 5, 3, 5):
        a, b = plain.get(i, np.random.default_rng(0)), memo.get(i, np.random.default_rng(1))
        np.testing.assert_array_equal(a.audio, b.audio)
        assert [(e.text, e.segments) for e in a.events] == [(e.text, e.segments) for e in b.events]
    assert memo._memo.hits == 2 and memo._memo.misses == 2
