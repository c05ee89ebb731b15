"""Events from frame probabilities against a naive frame loop; TSV and JSON round trips."""

import json

import numpy as np
import pytest

from flamkit.inference.events import DetectedEvent, events_from_probabilities, read_tsv, runs_above, write_json, write_tsv


def _naive_runs(x, thr):
    runs, start = [], None
    for i, v in enumerate(x):
        if v > thr and start is None:
            start = i
        if v <= thr and start is not None:
            runs.append((start, i))
            start = None
    if start is not None:
        runs.append((start, len(x)))
    return runs


def test_runs_against_a_loop():
    rng = np.random.default_rng(0)
    for n in (0, 1, 2, 7, 50):
        x = rng.random(n)
        assert runs_above(x, 0.5) == _naive_runs(x, 0.5)
    assert runs_above(np.array([0.5, 0.6, 0.5]), 0.5) == [(1, 2)]  # strictly above


def test_events_rule():
    fs = 0.25
    probs = np.array([[0.1, 0.9, 0.8, 0.2, 0.7, 0.6], [0.6, 0.1, 0.1, 0.1, 0.1, 0.9]])
    ev = events_from_probabilities(probs, ["a", "b"], fs, duration=1.4, threshold=0.5, file="f")
    assert ev == [
        DetectedEvent("f", 0.0, 0.25, "b", 0.6, 0.6),
        DetectedEvent("f", 0.25, 0.75, "a", 0.9, pytest.approx(0.85)),
        DetectedEvent("f", 1.0, 1.4, "a", 0.7, pytest.approx(0.65)),  # offset clipped to the duration
        DetectedEvent("f", 1.25, 1.4, "b", 0.9, 0.9),
    ]
    long_only = events_from_probabilities(probs, ["a", "b"], fs, 1.4, min_duration=0.4)
    assert [(e.label, e.onset) for e in long_only] == [("a", 0.25), ("a", 1.0)]
    assert events_from_probabilities(np.zeros((1, 0)), ["a"], fs, 0.0) == []
    with pytest.raises(ValueError, match="2 probability rows for 1 labels"):
        events_from_probabilities(probs, ["a"], fs, 1.4)


def test_tsv_and_json_round_trip(tmp_path):
    events = [DetectedEvent("dir/a b.wav", 0.3125, 1.5625, "glass\tbreaking", 0.91234, 0.8), DetectedEvent("x.flac", 2.0, 3.0, "dog", 0.6, 0.55)]
    write_tsv(events, tmp_path / "e.tsv")
    lines = (tmp_path / "e.tsv").read_text().splitlines()
    assert lines[0] == "filename\tonset\toffset\tevent_label\tpeak\tmean"
    back = read_tsv(tmp_path / "e.tsv")
    assert [(e.file, e.onset, e.offset, e.label) for e in back] == [
        ("dir/a b.wav", 0.3125, 1.5625, "glass breaking"), ("x.flac", 2.0, 3.0, "dog")
    ]
    assert back[0].peak == pytest.approx(0.9123, abs=1e-4)
    write_json(events, tmp_path / "e.json", failed=[("bad.wav", "corrupt")])
    doc = json.loads((tmp_path / "e.json").read_text())
    assert doc["events"][0]["label"] == "glass\tbreaking" and doc["events"][1]["onset"] == 2.0
    assert doc["failed"] == [{"file": "bad.wav", "error": "corrupt"}]
