import json

import numpy as np
import pytest

from flamkit.data.check import check_manifest
from flamkit.data.manifest import ManifestError
from tests.data import audio_files as af


def corpus(tmp_path):
    d = tmp_path / "a"
    d.mkdir()
    good = af.write(d / "good.flac", af.tone(1.0, 48000), 48000)
    rows = [
        {"path": "a/good.flac", "label": "tone", "kind": "event", "duration_s": 1.0},
        {"path": af.write(d / "st.wav", af.tone(2.0, 8000, channels=2), 8000), "label": "x", "kind": "background"},
        {"path": "a/gone.wav", "label": "gone", "kind": "event"},
        {"path": af.text_as_wav(d / "text.wav"), "label": "text", "kind": "event"},
        {"path": af.zero_length(d / "zero.wav"), "label": "zero", "kind": "event"},
        {"path": af.nan_wav(d / "nan.wav"), "label": "nan", "kind": "event"},
        {"path": af.truncated(d / "cut.flac", good), "label": "cut", "kind": "event"},
        {"path": af.write(d / "silent.wav", np.zeros(800, np.float32), 8000), "label": "silent", "kind": "event"},
        {"path": "a/good.flac", "label": "wrong duration", "kind": "event", "duration_s": 7.5},
    ]
    m = tmp_path / "m.jsonl"
    m.write_text("".join(json.dumps(r) + "\n" for r in rows) + "{broken\n")
    return str(m)


def test_header_check_groups_reasons_with_rows(tmp_path):
    r = check_manifest(corpus(tmp_path))
    groups = {k: [p.where.rsplit(":", 1)[1] for p in v] for k, v in r.by_reason().items()}
    assert groups == {"not_found": ["3"], "unsupported_format": ["4"], "zero_length": ["5"], "malformed_row": ["10"]}
    assert r.rows == 10 and r.checked == 10 and r.usable == 6 and not r.ok
    assert [w.where.rsplit(":", 1)[1] for w in r.warnings] == ["9"]
    assert r.sample_rates == {48000: 3, 8000: 2, 16000: 1} and r.channels == {1: 5, 2: 1}
    text = r.format()
    assert "would be skipped" in text and "gone.wav: file not found" in text and "--decode" in text


def test_decode_finds_nan_truncation_and_silence(tmp_path):
    r = check_manifest(corpus(tmp_path), decode=True, workers=2)
    groups = {k: [p.where.rsplit(":", 1)[1] for p in v] for k, v in r.by_reason().items()}
    assert groups["non_finite"] == ["6"] and groups["corrupt"] == ["7"] and groups["silent"] == ["8"]
    assert r.usable == 3
    d = r.to_dict(examples=1)
    assert d["skipped"] == 7 and d["reasons"]["non_finite"]["count"] == 1
    assert "nan.wav" in d["reasons"]["non_finite"]["examples"][0]["path"]
    json.dumps(d)


def test_kind_filter_and_clean_manifest(tmp_path):
    af.write(tmp_path / "x.wav", af.tone(0.5, 16000), 16000)
    (tmp_path / "ok.csv").write_text("path,label,kind\nx.wav,tone,event\nx.wav,bg,background\n")
    r = check_manifest(str(tmp_path / "ok.csv"), decode=True, kind="event")
    assert r.ok and r.checked == 1 and r.usable == 1 and "ok: all 1 rows usable" in r.format()


def test_unreadable_manifest_raises(tmp_path):
    with pytest.raises(ManifestError, match="not found"):
        check_manifest(str(tmp_path / "nope.jsonl"))
