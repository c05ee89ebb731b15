"""``flamkit index build`` / ``index info`` / ``search``: planted event first, cache, refusals."""

import json

import pytest

import flamkit
from flamkit.cli import main
from tests.inference.rigged import frame_truth, save_rigged_checkpoint, tone_audio, write_wav


@pytest.fixture
def clips(tmp_path):
    root = tmp_path / "clips"
    root.mkdir()
    for i in range(8):
        write_wav(root / f"{i:02d}.wav", tone_audio(10.0, [(4.4, 5.9, 1000)] if i == 5 else [], seed=i))
    return root


def _rows(out):
    return [line.split("\t") for line in out.splitlines() if line and not line.startswith(("#", "rank"))]


def test_build_search_and_cache(rigged_ckpt, clips, tmp_path, capsys, monkeypatch):
    idx = tmp_path / "idx"
    assert main(["index", "build", str(clips), "--checkpoint", str(rigged_ckpt), "--out", str(idx), "--no-progress"]) == 0
    assert "8 added" in capsys.readouterr().err
    assert main(["search", str(idx), "1 kHz tone", "--top", "3"]) == 0
    rows = _rows(capsys.readouterr().out)
    assert len(rows) == 3
    rank, file, onset, offset, score, _ = rows[0]
    assert file == str(clips.resolve() / "05.wav") and float(score) > 0.99
    assert (float(onset), float(offset)) == pytest.approx(frame_truth(4.4, 5.9), abs=1e-3)
    # the second time the query comes from the index's text cache: no model is loaded
    monkeypatch.setattr(flamkit, "load", lambda *a, **k: pytest.fail("model loaded despite the text cache"))
    assert main(["search", str(idx), "1 KHZ  tone", "--json", "--top", "1"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["1 KHZ  tone"][0]["file"] == "05.wav"
    assert main(["index", "info", str(idx)]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["files"] == 8 and info["frames"] == 256 and info["model"]["checkpoint"] == str(rigged_ckpt)


def test_incremental_cli_build(rigged_ckpt, clips, tmp_path, capsys):
    idx = tmp_path / "idx"
    args = ["index", "build", str(clips), "--checkpoint", str(rigged_ckpt), "--out", str(idx), "--no-progress"]
    assert main(args) == 0
    write_wav(clips / "new.wav", tone_audio(10.0, [], seed=99))
    capsys.readouterr()
    assert main(args) == 0
    assert "1 added, 0 updated, 0 removed, 8 unchanged, 0 failed" in capsys.readouterr().err


def test_another_model_is_refused(rigged_ckpt, clips, tmp_path, capsys):
    idx = tmp_path / "idx"
    assert main(["index", "build", str(clips), "--checkpoint", str(rigged_ckpt), "--out", str(idx), "--no-progress"]) == 0
    other = save_rigged_checkpoint(tmp_path / "other" / "ckpt-00000002", bias_init=-7.0)
    capsys.readouterr()
    assert main(["search", str(idx), "1 kHz", "--checkpoint", str(other)]) == 2
    err = capsys.readouterr().err
    assert "was built by model" in err and str(other) in err and "not comparable" in err
    assert main(["index", "build", str(clips), "--checkpoint", str(other), "--out", str(idx), "--no-progress"]) == 2
    assert "was built by model" in capsys.readouterr().err
    assert main(["search", str(tmp_path), "x"]) == 2
    assert "not a flamkit index" in capsys.readouterr().err


def test_unreadable_file_in_collection(rigged_ckpt, clips, tmp_path, capsys):
    (clips / "zz.wav").write_bytes(b"not audio at all")
    rc = main(["index", "build", str(clips), "--checkpoint", str(rigged_ckpt), "--out", str(tmp_path / "idx"), "--no-progress"])
    err = capsys.readouterr().err
    assert rc == 1 and "8 added" in err and "1 file(s) could not be indexed" in err and "zz.wav" in err


def test_expanded_queries_are_searched_and_cached_apart(clips, tmp_path, capsys):
    from flamkit.data.trained_descriptions import write_descriptions

    run = tmp_path / "runs" / "rigged" / "r-1"
    ckpt = save_rigged_checkpoint(run / "checkpoints" / "ckpt-00000001")
    (run / "config.yaml").write_text("experiment: rigged\n")
    write_descriptions(run, ["3 kHz hum"])  # the one description this "run" trained on
    idx = tmp_path / "idx"
    assert main(["index", "build", str(clips), "--checkpoint", str(ckpt), "--out", str(idx), "--no-progress"]) == 0
    assert main(["search", str(idx), "1 kHz tone", "--top", "1", "--json"]) == 0
    assert float(json.loads(capsys.readouterr().out)["1 kHz tone"][0]["score"]) > 0.99
    # pulled all the way to "3 kHz hum", the query no longer finds the planted 1 kHz tone; the plain
    # query's cached embedding is not reused for it, nor the expanded one for the plain query after
    for _ in range(2):
        assert main(["search", str(idx), "1 kHz tone", "--top", "1", "--json", "--query-expansion", "k=1,weight=1"]) == 0
        assert float(json.loads(capsys.readouterr().out)["1 kHz tone"][0]["score"]) < 0.5
    assert main(["search", str(idx), "1 kHz tone", "--top", "1", "--json"]) == 0
    assert float(json.loads(capsys.readouterr().out)["1 kHz tone"][0]["score"]) > 0.99
    assert len(list((idx / "text_cache").glob("*.json"))) == 2
