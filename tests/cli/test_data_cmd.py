import json

from flamkit.cli import main
from tests.data import audio_files as af


def test_check_command_exit_codes_and_json(tmp_path, capsys):
    af.write(tmp_path / "x.wav", af.tone(0.5, 16000), 16000)
    good = tmp_path / "good.csv"
    good.write_text("path,label\nx.wav,tone\n")
    assert main(["data", "check", str(good), "--decode"]) == 0
    assert "ok: all 1 rows usable" in capsys.readouterr().out
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"path": "missing.wav"}) + "\n")
    assert main(["data", "check", str(bad), "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["reasons"]["not_found"]["count"] == 1
    assert main(["data", "check", str(tmp_path / "nope.jsonl")]) == 2
    assert "manifest not found" in capsys.readouterr().err


def test_synth_command_renders_and_resumes(tmp_path, capsys):
    import numpy as np

    rows = [{"path": af.write(tmp_path / f"e{i}.wav", af.tone(0.5, 8000, 400 + 100 * i), 8000), "label": f"tone {i}", "kind": "event"}
            for i in range(3)]
    rows.append({"path": af.write(tmp_path / "bg.wav", (0.05 * np.random.default_rng(0).standard_normal(8000 * 11)).astype("float32"), 8000),
                 "label": "noise", "kind": "background"})
    m = tmp_path / "m.jsonl"
    m.write_text("".join(json.dumps(r) + "\n" for r in rows))
    argv = ["data", "synth", "--events", str(m), "--backgrounds", str(m), "--n", "3", "--out", str(tmp_path / "out"),
            "--sample-rate", "8000", "--duration", "2", "--quiet"]
    assert main(argv) == 0
    assert "3 mixtures" in capsys.readouterr().out
    assert (tmp_path / "out" / "labels.tsv").is_file() and (tmp_path / "out" / "manifest.jsonl").is_file()
    assert main(argv) == 0
    assert "0 rendered now, 3 already there" in capsys.readouterr().out
    assert main(argv[:2] + ["--events", str(tmp_path / "none.jsonl")] + argv[4:]) == 2



def test_synth_command_takes_synth_config_overrides(tmp_path, capsys):
    import numpy as np

    rows = [{"path": af.write(tmp_path / f"e{i}.wav", af.tone(0.3, 8000, 500 + 100 * i), 8000), "label": f"tone {i}", "kind": "event"}
            for i in range(3)]
    rows.append({"path": af.write(tmp_path / "bg.wav", (0.05 * np.random.default_rng(0).standard_normal(8000 * 3)).astype("float32"), 8000),
                 "label": "noise", "kind": "background"})
    m = tmp_path / "m.jsonl"
    m.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "out"
    argv = ["data", "synth", "--events", str(m), "--backgrounds", str(m), "--n", "4", "--out", str(out),
            "--sample-rate", "8000", "--duration", "2", "--quiet"]
    assert main(argv + ["--synth", '{"min_events": 2, "max_events": 2, "gain_db": [10, 12]}']) == 0
    capsys.readouterr()
    config = json.loads((out / "render.json").read_text())["config"]
    assert config["min_events"] == config["max_events"] == 2 and config["gain_db"] == [10, 12]
    for sidecar in (out / "audio" / "shard-00000").glob("*.json"):
        meta = json.loads(sidecar.read_text())
        assert meta["n_requested"] == 2 and all(10 - 1e-3 <= p["offset_db"] <= 12 + 1e-3 for p in meta["placed"])
    assert main(argv + ["--synth", "{max_events: 2}"]) == 2
    assert "--synth is not JSON" in capsys.readouterr().err
    assert main(argv + ["--synth", '{"max_event": 2}']) == 2
    assert "unknown synth config keys ['max_event']" in capsys.readouterr().err
