"""Every command picks its checkpoint by flamkit.checkpoints.choose_checkpoint and prints which and why.

A run folder holding ``ckpt-00000001`` (the rigged model) and a ``best`` with other weights: each
command given the run folder must use ``ckpt-00000001`` (the final checkpoint) and say so.
"""

import shutil

import numpy as np
import pytest
import soundfile as sf

from flamkit.cli import main

FINAL = "a run folder means its final checkpoint, step 1"


@pytest.fixture
def run_with_best(rigged_ckpt, tmp_path):
    run = tmp_path / "runs" / "exp" / "r-1"
    cdir = run / "checkpoints"
    cdir.mkdir(parents=True)
    shutil.copytree(rigged_ckpt, cdir / "ckpt-00000001")
    shutil.copytree(rigged_ckpt, cdir / "best")  # a valid `best` the rule passes over for a run folder
    return run


@pytest.fixture
def clip(tmp_path):
    path = tmp_path / "audio" / "tone.wav"
    path.parent.mkdir()
    t = np.arange(16000 * 3) / 16000
    sf.write(path, (0.5 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32), 16000)
    return path


def test_detect_uses_and_prints_the_final_checkpoint(run_with_best, clip, capsys):
    assert main(["detect", str(run_with_best), str(clip), "--query", "1 kHz tone"]) == 0
    err = capsys.readouterr().err
    assert f"flamkit detect: checkpoint: {run_with_best / 'checkpoints' / 'ckpt-00000001'} ({FINAL}" in err


def test_index_uses_and_prints_the_final_checkpoint(run_with_best, clip, tmp_path, capsys):
    out = tmp_path / "idx"
    assert main(["index", "build", str(clip.parent), "--checkpoint", str(run_with_best), "--out", str(out), "--no-progress"]) == 0
    err = capsys.readouterr().err
    assert f"flamkit index build: checkpoint: {run_with_best / 'checkpoints' / 'ckpt-00000001'} ({FINAL}" in err


def test_a_named_best_is_used_as_given(run_with_best, clip, capsys):
    best = run_with_best / "checkpoints" / "best"
    assert main(["detect", str(best), str(clip), "--query", "1 kHz tone"]) == 0
    assert f"flamkit detect: checkpoint: {best} (the checkpoint folder given)" in capsys.readouterr().err
