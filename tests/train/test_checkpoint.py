import logging

import pytest
import torch

from flamkit.train import checkpoint as ckpt


def _write(d, step, value=1.0):
    return ckpt.write_checkpoint(
        d / f"{ckpt.PREFIX}{step:08d}", {"w": torch.full((3,), value)}, "name: m\n", {"step": step, "x": [1, 2]}
    )


def test_roundtrip_and_manifest(tmp_path):
    folder = _write(tmp_path, 5, 2.0)
    assert ckpt.is_valid(folder) == (True, "")
    loaded = ckpt.load_checkpoint(folder)
    assert torch.equal(loaded.weights["w"], torch.full((3,), 2.0))
    assert loaded.state == {"step": 5, "x": [1, 2]} and loaded.model_yaml == "name: m\n"
    assert not (tmp_path / f"{folder.name}.tmp").exists()


def test_corrupt_newest_falls_back_with_warning(tmp_path, caplog):
    _write(tmp_path, 1)
    newest = _write(tmp_path, 2)
    with open(newest / "state.pt", "r+b") as f:  # truncate: a crash mid-write on a non-atomic FS
        f.truncate(10)
    with caplog.at_level(logging.WARNING):
        chosen = ckpt.newest_valid(tmp_path)
    assert chosen.name == f"{ckpt.PREFIX}{1:08d}"
    assert "does not match its sha256" in caplog.text


def test_incomplete_write_without_manifest_is_skipped(tmp_path):
    _write(tmp_path, 1)
    partial = tmp_path / f"{ckpt.PREFIX}{2:08d}"
    partial.mkdir()
    (partial / "model.safetensors").write_bytes(b"xx")
    assert ckpt.newest_valid(tmp_path).name.endswith("00000001")
    with pytest.raises(ValueError, match="no manifest.json"):
        ckpt.load_checkpoint(partial)


def test_prune_keeps_last_n(tmp_path):
    for s in range(1, 6):
        _write(tmp_path, s)
    ckpt.prune(tmp_path, keep_last=2)
    assert [ckpt.step_of(p) for p in ckpt.list_checkpoints(tmp_path)] == [4, 5]
