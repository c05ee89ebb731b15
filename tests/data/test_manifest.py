import json

import numpy as np
import pytest
import soundfile as sf

from flamkit.data.manifest import ManifestError, read_manifest


@pytest.fixture
def audio(tmp_path):
    p = tmp_path / "a.flac"
    sf.write(p, np.zeros(100) + 0.1, 16000)
    return p


def test_jsonl_and_relative_paths(tmp_path, audio):
    m = tmp_path / "m.jsonl"
    m.write_text(json.dumps({"path": "a.flac", "label": "x", "duration_s": "1.5", "kind": "event"}) + "\n\n")
    rows = read_manifest(m).rows
    assert rows[0]["path"] == str(audio) and rows[0]["duration_s"] == 1.5 and rows[0]["_where"] == f"{m}:1"


def test_debian_sfx_style_csv(tmp_path, audio):
    m = tmp_path / "train.csv"
    m.write_text("path,label,source_package,license,duration_s,kind,pool,original_path,sha1\n"
                 f"{audio},\"arrow, hitting metal\",0ad-data,CC-BY-SA-3.0,0.5,event,train,0ad:/x.ogg,abc\n")
    (row,) = read_manifest(m).rows
    assert row["label"] == "arrow, hitting metal" and row["kind"] == "event" and row["pool"] == "train"


def test_errors_name_file_and_line(tmp_path, audio):
    m = tmp_path / "bad.jsonl"
    lines = [
        json.dumps({"path": "a.flac", "label": "ok"}),
        "{not json",
        json.dumps({"label": "no path"}),
        json.dumps({"path": "gone.flac", "label": "missing file"}),
        json.dumps({"path": "a.flac", "duration_s": "long"}),
        json.dumps({"path": "a.flac", "kind": "noise"}),
        json.dumps(["a", "list"]),
    ]
    m.write_text("\n".join(lines) + "\n")
    with pytest.raises(ManifestError) as err:
        read_manifest(m)
    text = str(err.value)
    for line, what in [(2, "invalid JSON"), (3, "'path'"), (4, "gone.flac"), (5, "duration_s"), (6, "kind"), (7, "JSON object")]:
        assert f"{m}:{line}:" in text and what in text
    assert f"{m}:1:" not in text
    lenient = read_manifest(m, strict=False)
    assert len(lenient.rows) == 1 and [p.line for p in lenient.problems] == [2, 3, 4, 5, 6, 7]
    assert len(read_manifest(m, strict=False, check_files=False).rows) == 2


def test_csv_errors(tmp_path, audio):
    m = tmp_path / "bad.csv"
    m.write_text(f"path,label\n{audio},ok\n{audio},too,many\n,empty path\n")
    problems = read_manifest(m, strict=False).problems
    assert [(p.line, p.message.split()[0]) for p in problems] == [(3, "3"), (4, "missing")]
    nohead = tmp_path / "nohead.csv"
    nohead.write_text("file,label\nx,y\n")
    with pytest.raises(ManifestError, match="nohead.csv:1: header has no 'path'"):
        read_manifest(nohead)


def test_missing_and_unknown_manifest(tmp_path):
    with pytest.raises(ManifestError, match="not found"):
        read_manifest(tmp_path / "none.jsonl")
    (tmp_path / "m.txt").write_text("x")
    with pytest.raises(ManifestError, match="unknown manifest format"):
        read_manifest(tmp_path / "m.txt")


def _debian_sfx_writer():
    """The debian-sfx build's own manifest writer, when the shared folder is next to the checkout."""
    import importlib.util
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    for cand in (root.parent / "shared", root.parent.parent / "shared"):
        script = cand / "data" / "debian-sfx" / "build_corpus.py"
        if script.is_file():
            spec = importlib.util.spec_from_file_location("debian_sfx_build_corpus", script)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            return module
    pytest.skip("../shared/data/debian-sfx/build_corpus.py not found next to this checkout")


def test_reads_what_debian_sfx_writes(tmp_path, audio):
    build = _debian_sfx_writer()
    rows = [dict(zip(build.COLS, [str(audio), 'glass, "breaking"', "0ad-data", "CC-BY-SA-3.0", 0.8, "event", "train",
                                  "0ad-data:/a.ogg", "ab12"])),
            dict(zip(build.COLS, [str(audio), "wind", "0ad-data", "CC-BY-SA-3.0", 40.5, "background", "train",
                                  "0ad-data:/w.ogg", "cd34"]))]
    build.write_manifest(rows, str(tmp_path), "train")
    for ext in ("jsonl", "csv"):
        got = read_manifest(tmp_path / f"train.{ext}").rows
        assert [(r["label"], r["kind"], r["duration_s"]) for r in got] == [
            ('glass, "breaking"', "event", 0.8), ("wind", "background", 40.5)]


def test_path_key_and_root(tmp_path, audio):
    sub = tmp_path / "lists"
    sub.mkdir()
    m = sub / "clotho.csv"
    m.write_text("file_name,caption_1\na.flac,wind\n,empty\n")
    man = read_manifest(m, path_key="file_name", root=str(tmp_path), strict=False)
    (row,) = man.rows
    assert row["path"] == str(audio) and row["file_name"] == "a.flac" and row["caption_1"] == "wind"
    assert [p.line for p in man.problems] == [3] and "missing required column 'file_name'" in man.problems[0].message
    with pytest.raises(ManifestError, match="header has no 'file' column"):
        read_manifest(m, path_key="file")
    j = sub / "m.jsonl"
    j.write_text(json.dumps({"file": "a.flac"}) + "\n")
    assert read_manifest(j, path_key="file", root=str(tmp_path)).rows[0]["path"] == str(audio)
    with pytest.raises(ManifestError, match="audio file not found"):
        read_manifest(j, path_key="file")  # relative to the manifest's folder by default: lists/a.flac


def test_missing_manifest_of_a_known_corpus_names_its_build_command(tmp_path):
    with pytest.raises(ManifestError, match=r"debian-extra corpus is not built there: python -m flamkit.data.corpora.debian_extra"):
        read_manifest(tmp_path / "debian-extra" / "manifests" / "train_plus.jsonl")
    with pytest.raises(ManifestError, match=r"debian-sfx/build.sh"):
        read_manifest(tmp_path / "debian-sfx" / "manifests" / "train.jsonl")
    with pytest.raises(ManifestError) as plain:
        read_manifest(tmp_path / "mine" / "train.jsonl")
    assert str(plain.value).endswith("manifest not found")
