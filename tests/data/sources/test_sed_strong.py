import numpy as np
import pytest

from flamkit.data.example import segments_to_frames
from flamkit.data.source import DataError, DataSource
from flamkit.data.sources.missing import MissingFilesError
from flamkit.data.sources.sed_strong import SedStrongSource, StrongLabelError, default_class_text, read_strong_tsv
from flamkit.registry import DATA_SOURCES
from tests.data import audio_files as af

SR = 8000


def make_corpus(tmp_path, rows, files):
    audio = tmp_path / "audio"
    audio.mkdir(exist_ok=True)
    for name, seconds in files.items():
        af.write(audio / name, af.tone(seconds, SR, 500.0), SR)
    tsv = tmp_path / "strong.tsv"
    tsv.write_text("filename\tonset\toffset\tevent_label\n" + "".join("\t".join(map(str, r)) + "\n" for r in rows))
    return str(tsv), str(audio)


def test_reads_dcase_tsv_and_names_classes(tmp_path):
    tsv, audio = make_corpus(
        tmp_path,
        [("a.wav", 0.5, 1.5, "Alarm_bell_ringing"), ("a.wav", 2.0, 3.0, "Dog"), ("a.wav", 3.5, 4.0, "Dog"), ("b.wav", "", "", "")],
        {"a.wav": 5.0, "b.wav": 5.0},
    )
    src = DATA_SOURCES.build("sed_strong", labels=tsv, audio_dir=audio, sample_rate=SR, clip_seconds=5.0, class_names={"Dog": "a dog barking"})
    assert isinstance(src, DataSource) and len(src) == 2
    ex = src.get(0, np.random.default_rng(0))
    assert ex.audio.shape == (5 * SR,) and ex.sample_rate == SR
    events = {e.text: e.segments for e in ex.events}
    assert events == {"alarm bell ringing": [(0.5, 1.5)], "a dog barking": [(2.0, 3.0), (3.5, 4.0)]}
    assert src.get(1, np.random.default_rng(0)).events == []
    assert default_class_text("Alarm_bell_ringing") == "alarm bell ringing"


def test_random_crop_shifts_and_clips_events(tmp_path):
    tsv, audio = make_corpus(tmp_path, [("long.wav", 4.0, 6.0, "Speech"), ("long.wav", 20.0, 21.0, "Cat")], {"long.wav": 25.0})
    src = SedStrongSource(tsv, audio, sample_rate=SR, clip_seconds=10.0)
    for seed in range(30):
        rng = np.random.default_rng(seed)
        ex = src.get(0, rng)
        off = np.random.default_rng(seed).integers(0, 25 * SR - 10 * SR + 1) / SR  # the same draw
        expected = {}
        for onset, offset, text in ((4.0, 6.0, "speech"), (20.0, 21.0, "cat")):
            a, b = max(0.0, onset - off), min(10.0, offset - off)
            if b > a:
                expected[text] = [(a, b)]
        got = {e.text: e.segments for e in ex.events}
        assert got.keys() == expected.keys()
        for k in got:
            np.testing.assert_allclose(got[k], expected[k])
        # frame labels for any L follow from the shifted segments
        for L in (32, 128):
            for e in ex.events:
                assert e.frame_mask(L, 10.0).sum() == segments_to_frames(e.segments, L, 10.0).sum() > 0


def test_short_file_is_padded_and_events_move(tmp_path):
    tsv, audio = make_corpus(tmp_path, [("s.wav", 0.0, 1.0, "Knock")], {"s.wav": 2.0})
    src = SedStrongSource(tsv, audio, sample_rate=SR, clip_seconds=10.0)
    ex = src.get(0, np.random.default_rng(3))
    start = (np.flatnonzero(ex.audio)[0] - 1) / SR  # the tone starts with sin(0) = 0
    (seg,) = ex.events[0].segments
    assert seg[0] == pytest.approx(start, abs=1 / SR) and seg[1] - seg[0] == pytest.approx(1.0)


def test_resamples_to_model_rate(tmp_path):
    tsv, audio = make_corpus(tmp_path, [("a.wav", 0.0, 1.0, "x")], {"a.wav": 10.0})
    ex = SedStrongSource(tsv, audio, sample_rate=16000).get(0, np.random.default_rng(0))
    assert ex.audio.shape == (160000,)


def test_malformed_rows_are_listed_with_line_numbers(tmp_path):
    tsv = tmp_path / "bad.tsv"
    tsv.write_text(
        "filename\tonset\toffset\tevent_label\n"
        "a.wav\t0.0\t1.0\tDog\n"
        "a.wav\tzero\t1.0\tDog\n"
        "a.wav\t2.0\t1.0\tDog\n"
        "a.wav\t0.5\n"
        "a.wav\t0.0\t1.0\t\n"
    )
    with pytest.raises(StrongLabelError) as err:
        read_strong_tsv(str(tsv))
    msg = str(err.value)
    for line in (3, 4, 5, 6):
        assert f"bad.tsv:{line}:" in msg
    assert "bad.tsv:2:" not in msg
    (tmp_path / "hdr.tsv").write_text("file\tstart\tend\n")
    with pytest.raises(StrongLabelError, match="hdr.tsv:1"):
        read_strong_tsv(str(tmp_path / "hdr.tsv"))


def test_missing_files_policies(tmp_path):
    tsv, audio = make_corpus(tmp_path, [("a.wav", 0, 1, "x"), ("gone.wav", 0, 1, "y")], {"a.wav": 2.0})
    with pytest.raises(MissingFilesError, match=r"strong.tsv:3: .*gone.wav"):
        SedStrongSource(tsv, audio, sample_rate=SR)
    skip = SedStrongSource(tsv, audio, sample_rate=SR, missing="skip")
    assert len(skip) == 1 and len(skip.missing) == 1
    defer = SedStrongSource(tsv, audio, sample_rate=SR, missing="defer")
    assert len(defer) == 2
    with pytest.raises(DataError, match="gone.wav: file not found"):
        defer.get(1, np.random.default_rng(0))


def test_silent_labelled_file_is_a_dataerror(tmp_path):
    tsv, audio = make_corpus(tmp_path, [("a.wav", 0, 1, "x")], {})
    af.write(tmp_path / "audio" / "a.wav", np.zeros(SR, np.float32), SR)
    with pytest.raises(DataError, match="all-silent"):
        SedStrongSource(tsv, audio, sample_rate=SR).get(0, np.random.default_rng(0))


def test_labels_balance_on_rarest_class(tmp_path):
    rows = [("a.wav", 0, 1, "Speech"), ("a.wav", 1, 2, "Cat"), ("b.wav", 0, 1, "Speech"), ("c.wav", 0, 1, "Speech")]
    tsv, audio = make_corpus(tmp_path, rows, {"a.wav": 2.0, "b.wav": 2.0, "c.wav": 2.0})
    assert SedStrongSource(tsv, audio, sample_rate=SR).labels() == ["Cat", "Speech", "Speech"]
