import pytest
from sed_scores_eval.base_modules.io import assert_non_connected_events

from flamkit.eval.metrics.ground_truth import (
    GroundTruthError,
    read_durations,
    read_strong_labels,
    sanitize_ground_truth,
)


def write(tmp_path, text, name="gt.tsv"):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_reads_dcase_with_header_and_empty_file_rows(tmp_path):
    p = write(
        tmp_path,
        "filename\tonset\toffset\tevent_label\n"
        "a.wav\t0.5\t2.0\tDog\n"
        "a.wav\t3\t4.25\tSpeech\n"
        "b.wav\t\t\t\n",
    )
    gt = read_strong_labels(p)
    assert gt == {"a.wav": [(0.5, 2.0, "Dog"), (3.0, 4.25, "Speech")], "b.wav": []}


def test_reads_without_header(tmp_path):
    p = write(tmp_path, "a.wav\t0.5\t2.0\tDog\nb.wav\t1\t2\tCat\n")
    assert read_strong_labels(p) == {"a.wav": [(0.5, 2.0, "Dog")], "b.wav": [(1.0, 2.0, "Cat")]}


def test_reads_audioset_strong_columns_and_present_flag(tmp_path):
    p = write(
        tmp_path,
        "segment_id\tstart_time_seconds\tend_time_seconds\tlabel\tpresent\textra\n"
        "Y1_30000\t0.0\t1.5\t/m/dog\tPRESENT\tx\n"
        "Y1_30000\t2.0\t3.0\t/m/cat\tNOT_PRESENT\tx\n"
        "Y2_0\t4.0\t5.0\t/m/cat\tPRESENT\ty\n",
    )
    assert read_strong_labels(p) == {"Y1_30000": [(0.0, 1.5, "/m/dog")], "Y2_0": [(4.0, 5.0, "/m/cat")]}


@pytest.mark.parametrize(
    "body, needle",
    [
        ("a.wav\tzero\t2.0\tDog\n", "gt.tsv:2: onset 'zero' is not a number"),
        ("a.wav\t3.0\t2.0\tDog\n", "gt.tsv:2: offset 2.0 <= onset 3.0"),
        ("a.wav\t3.0\t3.0\tDog\n", "gt.tsv:2: offset 3.0 <= onset 3.0"),
        ("a.wav\t1.0\n", "gt.tsv:2: expected at least 4"),
        ("a.wav\t1.0\tnan\tDog\n", "gt.tsv:2: offset 'nan' is not finite"),
        ("a.wav\t1.0\t2.0\t\n", "gt.tsv:2: empty event_label"),
    ],
)
def test_malformed_rows_are_named(tmp_path, body, needle):
    p = write(tmp_path, "filename\tonset\toffset\tevent_label\n" + body)
    with pytest.raises(GroundTruthError, match=needle.replace(".", r"\.").replace("'", "'")):
        read_strong_labels(p)


def test_header_missing_a_column_is_named(tmp_path):
    p = write(tmp_path, "filename\tonset\tevent_label\na.wav\t1\tDog\n")
    with pytest.raises(GroundTruthError, match=r"gt\.tsv:1: header .* no column for 'offset'"):
        read_strong_labels(p)


def test_missing_and_empty_files(tmp_path):
    with pytest.raises(GroundTruthError, match="not found"):
        read_strong_labels(tmp_path / "nope.tsv")
    with pytest.raises(GroundTruthError, match="empty"):
        read_strong_labels(write(tmp_path, "\n"))


def test_merges_overlapping_and_touching_same_class_events_and_reports():
    gt = {
        "a": [(0.0, 1.0, "Dog"), (1.0, 2.0, "Dog"), (1.5, 3.0, "Dog"), (5.0, 6.0, "Dog"), (0.5, 1.5, "Cat")],
        "b": [(2.0, 4.0, "Cat"), (0.0, 2.5, "Cat")],
    }
    with pytest.raises(AssertionError):
        assert_non_connected_events(gt)  # sed_scores_eval rejects the raw annotation
    out, rep = sanitize_ground_truth(gt)
    assert out["a"] == [(0.0, 3.0, "Dog"), (0.5, 1.5, "Cat"), (5.0, 6.0, "Dog")]
    assert out["b"] == [(0.0, 4.0, "Cat")]
    assert rep.n_merged == 3  # two Dog events into the first, one Cat into the other
    assert rep.n_events_in == 7 and rep.n_events_out == 4
    assert any("3 'Dog' events -> [0.0, 3.0]" in e for e in rep.merge_examples)
    assert "merged 3" in rep.lines()[0]
    assert_non_connected_events(out)  # and accepts the sanitized one
    assert gt["a"][0] == (0.0, 1.0, "Dog")  # input untouched


def test_gap_between_events_is_kept():
    out, rep = sanitize_ground_truth({"a": [(0.0, 1.0, "Dog"), (1.001, 2.0, "Dog")]})
    assert len(out["a"]) == 2 and rep.n_merged == 0 and rep.lines() == []


def test_missing_audio_rows_are_excluded_and_counted():
    gt = {"a": [(0, 1, "Dog")], "b": [(0, 1, "Dog"), (2, 3, "Cat")], "c": []}
    out, rep = sanitize_ground_truth(gt, available_files={"a", "c"})
    assert set(out) == {"a", "c"}
    assert rep.missing_audio_files == ["b"] and rep.n_missing_audio_events == 2
    assert rep.to_dict()["n_missing_audio_files"] == 1
    assert any("whose audio is missing" in line for line in rep.lines())


def test_classes_without_ground_truth_and_unknown_labels_are_reported():
    gt = {"a": [(0, 1, "Dog"), (1, 2, "Owl")], "b": [(0, 1, "Dog")]}
    out, rep = sanitize_ground_truth(gt, classes=["Dog", "Cat", "Bird"])
    assert out == {"a": [(0, 1, "Dog")], "b": [(0, 1, "Dog")]}
    assert rep.classes_without_ground_truth == ["Cat", "Bird"]
    assert rep.unknown_labels == {"Owl": 1}
    text = "\n".join(rep.lines())
    assert "'Cat'" in text and "'Owl' (1)" in text


def test_events_clipped_to_duration_or_excluded():
    gt = {"a": [(-0.5, 1.0, "Dog"), (9.0, 11.0, "Dog"), (10.5, 12.0, "Cat")], "b": []}
    out, rep = sanitize_ground_truth(gt, durations={"a": 10.0, "b": 10.0})
    assert out["a"] == [(0.0, 1.0, "Dog"), (9.0, 10.0, "Dog")]
    assert rep.n_clipped == 2 and rep.n_outside == 1
    assert rep.files_without_events == ["b"]
    with pytest.raises(GroundTruthError, match="no duration for 'b'"):
        sanitize_ground_truth(gt, durations={"a": 10.0})


def test_read_durations(tmp_path):
    p = write(tmp_path, "filename\tduration\na.wav\t10.0\nb.wav\t7.5\n", "d.tsv")
    assert read_durations(p) == {"a.wav": 10.0, "b.wav": 7.5}
    with pytest.raises(GroundTruthError, match=r"d2\.tsv:1: duration -1\.0"):
        read_durations(write(tmp_path, "a.wav\t-1\n", "d2.tsv"))


def test_measure_durations_from_audio_headers(tmp_path):
    import numpy as np
    import soundfile as sf

    from flamkit.eval.metrics.ground_truth import measure_durations

    sf.write(tmp_path / "a.wav", np.zeros(16000 * 3 // 2, dtype=np.float32), 16000)
    assert measure_durations({"a.wav": tmp_path / "a.wav"}) == {"a.wav": 1.5}
    (tmp_path / "bad.wav").write_bytes(b"not audio")
    with pytest.raises(GroundTruthError, match="cannot read audio header for 'bad.wav'"):
        measure_durations({"bad.wav": tmp_path / "bad.wav"})
