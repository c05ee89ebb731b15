import csv
import json

import numpy as np
import pytest

from flamkit.config.validate import SOURCE_INJECTED, WEIGHTED, Slot, check_component
from flamkit.data.collate import collate_audio_text
from flamkit.data.manifest import ManifestError
from flamkit.data.pipeline import BatchStream
from flamkit.data.source import DataError, DataSource
from flamkit.data.sources.audio_text import AudioTextSource
from flamkit.data.sources.missing import MissingFilesError
from flamkit.registry import DATA_SOURCES
from tests.data import audio_files as af

SR = 16000


def jsonl(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return str(path)


def write_csv(path, header, rows):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return str(path)


@pytest.fixture
def clips(tmp_path):
    d = tmp_path / "clips"
    d.mkdir()
    return {
        "mono": af.write(d / "mono.wav", af.tone(3.0, 8000, 400.0), 8000),
        "stereo": af.write(d / "stereo.flac", af.tone(12.0, 96000, 700.0, channels=2), 96000),
        "six": af.write(d / "six.ogg", af.tone(1.0, 48000, 300.0, channels=6), 48000),
    }


def test_jsonl_captions_tags_and_crop(tmp_path, clips):
    m = jsonl(tmp_path / "m.jsonl", [
        {"path": "clips/mono.wav", "captions": ["A bird sings", "Birdsong"], "tags": ["bird", "nature"], "label": "bird"},
        {"path": "clips/stereo.flac", "caption": "A low tone", "tags": "tone;  synth ", "label": "tone"},
        {"path": "clips/six.ogg", "tags": ["hum"], "label": "hum"},
    ])
    src = DATA_SOURCES.build("audio_text", manifest=m, sample_rate=SR, clip_seconds=10.0)
    assert isinstance(src, DataSource) and len(src) == 3 and src.labels() == ["bird", "tone", "hum"]
    seen = set()
    for seed in range(20):
        ex = src.get(0, np.random.default_rng(seed))
        assert ex.audio.shape == (10 * SR,) and ex.audio.dtype == np.float32 and ex.sample_rate == SR
        assert ex.tags == ["bird", "nature"] and ex.source == "audio_text"
        seen.add(ex.caption)
    assert seen == {"A bird sings", "Birdsong"}
    # 12 s at 96 kHz stereo: cropped to 10 s at 16 kHz; 3 s at 8 kHz: padded, 3 s of tone inside.
    long = src.get(1, np.random.default_rng(0))
    assert long.tags == ["tone", "synth"] and long.caption == "A low tone"
    assert np.count_nonzero(long.audio) > 9.9 * SR
    short = src.get(0, np.random.default_rng(0))
    nz = np.flatnonzero(np.abs(short.audio) > 1e-3)
    assert abs((nz[-1] - nz[0] + 1) - 3 * SR) < 40 and np.abs(short.audio[: nz[0]]).max(initial=0) < 1e-3
    # tags only: the caption is one of the tags
    assert src.get(2, np.random.default_rng(0)).caption == "hum"


def test_clotho_style_csv_with_path_column_and_root(tmp_path, clips):
    m = write_csv(tmp_path / "clotho.csv", ["file_name"] + [f"caption_{i}" for i in range(1, 6)],
                  [["mono.wav", "c1", "c2", "c3", "c4", "c5"], ["stereo.flac", "d1", "", "d3", "d4", "d5"]])
    src = AudioTextSource(m, sample_rate=SR, root=str(tmp_path / "clips"), path_column="file_name")
    assert len(src) == 2 and src.labels() is None
    assert src.items[1].captions == ("d1", "d3", "d4", "d5")
    caps = {src.get(0, np.random.default_rng(s)).caption for s in range(60)}
    assert caps == {"c1", "c2", "c3", "c4", "c5"}


def test_debian_sfx_manifest_kind_filter_and_label_caption(tmp_path, clips):
    header = ["path", "label", "source_package", "license", "duration_s", "kind", "pool", "original_path", "sha1"]
    rows = [
        [clips["mono"], "arrow hitting metal", "0ad-data", "CC", "3.0", "event", "train", "x", "1"],
        [clips["six"], "arrow hitting metal", "0ad-data", "CC", "1.0", "event", "train", "x", "2"],
        [clips["stereo"], "rain on a roof", "0ad-data", "CC", "12.0", "background", "train", "x", "3"],
    ]
    m = write_csv(tmp_path / "train.csv", header, rows)
    ev = AudioTextSource(m, sample_rate=SR, kind="event")
    assert len(ev) == 2 and ev.labels() == ["arrow hitting metal"] * 2
    assert ev.get(1, np.random.default_rng(0)).caption == "arrow hitting metal"
    bg = AudioTextSource(m, sample_rate=SR, kind="background")
    assert len(bg) == 1
    with pytest.raises(ManifestError, match="no usable rows with kind='bg'"):
        AudioTextSource(m, sample_rate=SR, kind="bg")


def test_malformed_rows_name_file_and_line(tmp_path, clips):
    m = tmp_path / "bad.jsonl"
    m.write_text(
        json.dumps({"path": clips["mono"], "caption": "ok"}) + "\n"
        + "{not json\n"
        + json.dumps({"path": clips["mono"]}) + "\n"
        + json.dumps({"caption": "no path"}) + "\n"
    )
    with pytest.raises(ManifestError) as err:
        AudioTextSource(str(m), sample_rate=SR)
    msg = str(err.value)
    assert "bad.jsonl:2" in msg and "bad.jsonl:3: no text" in msg and "bad.jsonl:4" in msg and "bad.jsonl:1" not in msg
    lenient = AudioTextSource(str(m), sample_rate=SR, strict=False)
    assert len(lenient) == 1 and len(lenient.problems) == 3


def test_missing_file_policies(tmp_path, clips):
    m = jsonl(tmp_path / "m.jsonl", [{"path": clips["mono"], "caption": "a"}, {"path": "clips/gone.wav", "caption": "b"}])
    with pytest.raises(MissingFilesError, match=r"m.jsonl:2: .*gone.wav"):
        AudioTextSource(m, sample_rate=SR)
    assert len(AudioTextSource(m, sample_rate=SR, missing="skip")) == 1
    defer = AudioTextSource(m, sample_rate=SR, missing="defer")
    with pytest.raises(DataError, match="gone.wav: file not found"):
        defer.get(1, np.random.default_rng(0))


def test_bad_audio_raises_dataerror_and_stream_skips_it(tmp_path, clips):
    d = tmp_path / "clips"
    rows = [
        {"path": clips["mono"], "caption": "good"},
        {"path": af.text_as_wav(d / "text.wav"), "caption": "text"},
        {"path": af.nan_wav(d / "nan.wav"), "caption": "nan"},
        {"path": af.zero_length(d / "zero.wav"), "caption": "zero"},
        {"path": af.write(d / "silent.wav", np.zeros(8000, np.float32), 8000), "caption": "silent"},
    ]
    src = AudioTextSource(jsonl(tmp_path / "m.jsonl", rows), sample_rate=SR, clip_seconds=1.0)
    for i, reason in [(1, "format not recognised"), (2, "NaN"), (3, "zero-length"), (4, "all-silent")]:
        with pytest.raises(DataError, match=reason) as err:
            src.get(i, np.random.default_rng(0))
        assert rows[i]["path"] in str(err.value)
    src.items = src.items + [src.items[0]] * 6  # mostly good rows, as in a real corpus
    stream = BatchStream("global", [src], [1.0], collate_audio_text, batch_size=4, seed=0)
    batch = stream.make_batch(0)
    assert batch.data.captions == ["good"] * 4
    assert batch.drawn == 4 + len(batch.skipped) and len(batch.skipped) > 0
    assert all(s.source == "audio_text" and s.key.endswith(".wav") for s in batch.skipped)


def test_config_keys_validate():
    slot = Slot("data.streams.global.sources.sfx", DATA_SOURCES, SOURCE_INJECTED, WEIGHTED)
    ok = {"name": "audio_text", "manifest": "m.jsonl", "kind": "event", "weight": 1.0, "missing": "skip"}
    assert check_component(slot, ok) == []
    assert check_component(slot, {**ok, "missing": "ignore"})
    assert check_component(slot, {**ok, "captions": ["x"]})
    assert check_component(slot, {**ok, "sample_rate": 16000})


def test_fill_repeat_tiles_short_clips_deterministically(tmp_path, clips):
    m = jsonl(tmp_path / "m.jsonl", [{"path": "clips/mono.wav", "label": "bird"}])
    src = DATA_SOURCES.build("audio_text", manifest=m, sample_rate=SR, clip_seconds=10.0, fill="repeat")
    a = src.get(0, np.random.default_rng(0)).audio
    b = src.get(0, np.random.default_rng(1)).audio
    np.testing.assert_array_equal(a, b)
    n = 3 * SR  # the 3 s clip, tiled from its start
    assert a.shape == (10 * SR,) and np.abs(a[n : 2 * n] - a[:n]).max() == 0.0 and np.abs(a[-SR:]).max() > 0
    with pytest.raises(ValueError, match="fill='loop'"):
        DATA_SOURCES.build("audio_text", manifest=m, sample_rate=SR, fill="loop")


def test_holdout_keeps_one_part_of_the_labels(tmp_path, clips):
    from flamkit.data.label_holdout import LabelHoldout

    rows = [{"path": "clips/mono.wav", "label": f"label {i}"} for i in range(40)]
    m = jsonl(tmp_path / "m.jsonl", rows)
    spec = {"fraction": 0.3, "seed": 1}
    train = DATA_SOURCES.build("audio_text", manifest=m, sample_rate=SR, holdout={**spec, "part": "train"})
    held = DATA_SOURCES.build("audio_text", manifest=m, sample_rate=SR, holdout={**spec, "part": "holdout"})
    assert set(train.labels()).isdisjoint(held.labels()) and len(train) + len(held) == 40
    assert all(LabelHoldout(0.3, 1).held_out(lab) for lab in held.labels())
