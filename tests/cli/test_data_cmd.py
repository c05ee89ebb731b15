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
