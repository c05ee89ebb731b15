"""``flamkit detect``: the issue's "Done when" file, several files, bad files, bad arguments."""

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from omegaconf import OmegaConf

from flamkit.cli import main
from flamkit.cli.detect_cmd import plot_paths
from flamkit.inference.events import read_tsv
from flamkit.train.checkpoint import write_checkpoint
from tests.inference.rigged import frame_truth, small_cnn_model, tone_audio

Q1, Q3 = "1 kHz tone", "3 kHz tone"
BURSTS = [(12.5, 15.0, 1000), (47.3, 49.0, 3000), (100.3, 104.1, 3000), (170.0, 175.5, 1000)]


@pytest.fixture(scope="module")
def stereo_3min(tmp_path_factory):
    """A 3-minute 44.1 kHz stereo WAV with tone bursts at known times (quieter in the right channel)."""
    x = tone_audio(180.0, BURSTS, sr=44100)
    path = tmp_path_factory.mktemp("audio") / "street.wav"
    sf.write(path, np.stack([x, 0.5 * x], axis=1), 44100)
    return path


def test_done_when_three_minute_stereo_file(rigged_ckpt, stereo_3min, tmp_path, capsys):
    out, plot = tmp_path / "events.tsv", tmp_path / "fig.png"
    rc = main(["detect", str(rigged_ckpt), str(stereo_3min), "--query", Q1, "--query", Q3, "--out", str(out), "--plot", str(plot)])
    assert rc == 0
    events = read_tsv(out)
    want = sorted([(frame_truth(a, b), Q1 if f == 1000 else Q3) for a, b, f in BURSTS])
    assert sorted([((e.onset, e.offset), e.label) for e in events]) == want
    assert all(e.file == str(stereo_3min) and e.peak > 0.99 for e in events)
    assert plot.stat().st_size > 10_000
    assert "4 events" in capsys.readouterr().err


def test_real_encoder_writes_outputs(stereo_3min, tmp_path):
    """The same command through small_cnn (random init): the real encoder path, not its accuracy."""
    model, cfg = small_cnn_model(bias_init=-10.0)
    ckpt = write_checkpoint(tmp_path / "ckpt-00000005", model.state_dict(), OmegaConf.to_yaml(OmegaConf.create(cfg)), {})
    out = tmp_path / "e.json"
    assert main(["detect", str(ckpt), str(stereo_3min), "-q", Q1, "-q", Q3, "--out", str(out), "--plot", str(tmp_path / "p.png"),
                 "--mode", "approximate", "--threshold", "0.9", "--min-duration", "1"]) == 0
    doc = json.loads(out.read_text())
    assert doc["failed"] == [] and all(e["offset"] - e["onset"] >= 1 - 1e-6 for e in doc["events"])
    assert (tmp_path / "p.png").is_file()


def test_several_files_json_and_one_plot_each(rigged_ckpt, tmp_path):
    folder = tmp_path / "in"
    (folder / "x").mkdir(parents=True)
    sf.write(folder / "a.flac", tone_audio(14.0, [(2.0, 3.0, 1000)]), 16000)
    sf.write(folder / "x" / "a.wav", tone_audio(7.0, [(5.0, 6.0, 3000)], sr=22050), 22050)
    sf.write(tmp_path / "b.ogg", tone_audio(11.0, [(9.0, 10.0, 1000)]), 16000)
    out = tmp_path / "ev.json"
    rc = main(["detect", str(rigged_ckpt), str(folder), str(tmp_path / "b.ogg"), "-q", Q1, "-q", Q3,
               "--out", str(out), "--plot", str(tmp_path / "figs" / "det.png")])
    assert rc == 0
    doc = json.loads(out.read_text())
    got = sorted((e["file"].split("/")[-1], e["label"], e["onset"]) for e in doc["events"])
    assert got == sorted([("a.flac", Q1, 1.875), ("a.wav", Q3, 5.0), ("b.ogg", Q1, 8.75)])
    assert sorted(p.name for p in (tmp_path / "figs").iterdir()) == ["det_a.png", "det_a_2.png", "det_b.png"]


def test_plot_names():
    assert plot_paths(Path("o/p.png"), ["d/a.wav"]) == {"d/a.wav": Path("o/p.png")}
    assert plot_paths(Path("p.svg"), ["a.wav", "x/a.flac", "b.ogg"]) == {
        "a.wav": Path("p_a.svg"), "x/a.flac": Path("p_a_2.svg"), "b.ogg": Path("p_b.svg")
    }


def test_unreadable_file_among_good_ones(rigged_ckpt, tmp_path, capsys):
    good = tmp_path / "good.wav"
    sf.write(good, tone_audio(10.0, [(1.0, 2.0, 1000)]), 16000)
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF\x10\x00\x00\x00WAVEfmt garbage")
    missing = tmp_path / "missing.flac"
    out = tmp_path / "ev.tsv"
    rc = main(["detect", str(rigged_ckpt), str(bad), str(good), str(missing), "-q", Q1, "--out", str(out)])
    err = capsys.readouterr().err
    assert rc == 1
    assert [e.file for e in read_tsv(out)] == [str(good)]
    summary = err[err.index("could not be processed"):]
    assert "2 file(s)" in err and str(bad) in summary and "file not found" in summary and str(missing) in summary
    assert "1 of 3 files" in err


def test_bad_arguments(rigged_ckpt, tmp_path, capsys):
    f = tmp_path / "a.wav"
    sf.write(f, np.zeros(16000, np.float32), 16000)
    assert main(["detect", str(rigged_ckpt), str(f), "-q", "  "]) == 2
    assert "query 0 is empty" in capsys.readouterr().err
    assert main(["detect", str(rigged_ckpt), str(f), "-q", Q1, "--out", str(tmp_path / "e.csv")]) == 2
    assert main(["detect", str(tmp_path / "nothing"), str(f), "-q", Q1]) == 2
    assert "no valid flamkit checkpoint" in capsys.readouterr().err
    for bad in (["--hop", "0.01"], ["--median", "2"], ["--threshold", "1.5"], ["--min-duration", "-1"]):
        assert main(["detect", str(rigged_ckpt), str(f), "-q", Q1, *bad]) == 2
    assert "median must be a positive odd number" in capsys.readouterr().err
    assert main(["detect", str(rigged_ckpt), str(f), "-q", Q1, "--query-expansion", "k=3,w=1"]) == 2
    assert "--query-expansion: unknown key(s) ['w']" in capsys.readouterr().err
    # the rigged checkpoint sits in no run folder, so the descriptions it trained on are unknown
    assert main(["detect", str(rigged_ckpt), str(f), "-q", Q1, "--query-expansion", "default"]) == 2
    assert "not inside a run folder" in capsys.readouterr().err


def test_stdout_tsv_for_silence(rigged_ckpt, tmp_path, capsys):
    f = tmp_path / "silent.wav"
    sf.write(f, np.zeros(16000 * 3, np.float32), 16000)
    assert main(["detect", str(rigged_ckpt), str(f), "-q", Q1]) == 0
    assert capsys.readouterr().out == "filename\tonset\toffset\tevent_label\tpeak\tmean\n"
