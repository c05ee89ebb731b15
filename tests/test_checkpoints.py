"""The one checkpoint rule (flamkit.checkpoints.choose_checkpoint) that every command follows."""

import pytest
import torch

from flamkit.checkpoints import BEST, PREFIX, choose_checkpoint
from flamkit.train.checkpoint import write_checkpoint


def _write(d, step):
    return write_checkpoint(d / f"{PREFIX}{step:08d}", {"w": torch.full((3,), float(step))}, "name: m\n", {"step": step})


def test_run_folder_means_its_final_checkpoint_even_with_a_best(tmp_path):
    cdir = tmp_path / "checkpoints"
    _write(cdir, 3)
    _write(cdir, 7)
    write_checkpoint(cdir / BEST, {"w": torch.zeros(1)}, "", {"step": 3})
    for path in (tmp_path, cdir):
        choice = choose_checkpoint(path)
        assert choice.folder.name == f"{PREFIX}{7:08d}"
        assert "final checkpoint, step 7" in choice.reason and str(cdir / BEST) in choice.reason
        assert choice.describe().startswith(f"checkpoint: {choice.folder} (")


def test_a_named_checkpoint_folder_is_itself(tmp_path):
    cdir = tmp_path / "checkpoints"
    first = _write(cdir, 3)
    _write(cdir, 7)
    best = write_checkpoint(cdir / BEST, {"w": torch.zeros(1)}, "", {"step": 3})
    assert choose_checkpoint(first).folder == first
    assert choose_checkpoint(best).folder == best
    assert choose_checkpoint(best).reason == "the checkpoint folder given"


def test_unusable_newest_is_skipped_and_said(tmp_path):
    cdir = tmp_path / "checkpoints"
    _write(cdir, 1)
    newest = _write(cdir, 2)
    (newest / "manifest.json").unlink()
    choice = choose_checkpoint(tmp_path)
    assert choice.folder.name.endswith("00000001") and "1 newer unusable checkpoint(s) skipped" in choice.reason


def test_no_checkpoint_names_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match="no valid flamkit checkpoint"):
        choose_checkpoint(tmp_path / "nothing")
