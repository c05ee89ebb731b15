"""Index build: contents, incremental updates keyed by size + mtime, compaction, refusals, bad files."""

import os
import shutil

import numpy as np
import pytest

from flamkit.inference.detector import Detector
from flamkit.inference.index import FrameIndex, IndexFolderError, ModelMismatch, build_index
from tests.inference.rigged import model_config, rigged_model, tone_audio, write_wav


@pytest.fixture(scope="module")
def det():
    return Detector(rigged_model(), "cpu", model_config=model_config())


def _collection(root):
    (root / "sub").mkdir(parents=True)
    write_wav(root / "a.wav", tone_audio(10.0, [], seed=1))
    write_wav(root / "b.wav", tone_audio(10.0, [(6.0, 7.2, 1000)], seed=2))
    write_wav(root / "sub" / "c.flac", tone_audio(25.0, [(20.0, 21.0, 3000)], seed=3))
    (root / "notes.txt").write_text("not audio")
    return root


def _bump(path, audio):
    """Rewrite a file and move its mtime forward (a fast rewrite can land in the same mtime tick)."""
    st = path.stat()
    write_wav(path, audio)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))


def test_build_records_every_file(det, tmp_path):
    root = _collection(tmp_path / "audio")
    report = build_index(root, tmp_path / "idx", det, progress=False)
    assert sorted(report.added) == ["a.wav", "b.wav", "sub/c.flac"] and not report.failed
    index = FrameIndex.open(tmp_path / "idx")
    assert index.root == root.resolve() and index.identity == det.identity and index.embed_dim == 3
    assert index.files["sub/c.flac"].frames == 80 and index.files["sub/c.flac"].duration == pytest.approx(25.0)
    want = det.embed_audio(root / "sub" / "c.flac").frames
    np.testing.assert_allclose(index.frames_of("sub/c.flac").astype(np.float32), want, atol=2e-3)  # float16
    assert index.shard(index.files["a.wav"].shard).dtype == np.float16


def test_incremental_build_embeds_only_what_changed(det, tmp_path, monkeypatch):
    root = _collection(tmp_path / "audio")
    build_index(root, tmp_path / "idx", det, progress=False)
    _bump(root / "b.wav", tone_audio(10.0, [(1.0, 2.0, 1000)], seed=5))
    write_wav(root / "d.wav", tone_audio(10.0, [], seed=6))
    (root / "a.wav").unlink()
    seen = []
    embed = det.embed_audio
    monkeypatch.setattr(det, "embed_audio", lambda path, **kw: seen.append(os.path.basename(path)) or embed(path, **kw))
    report = build_index(root, tmp_path / "idx", det, progress=False, compact_above=1.0)
    assert sorted(seen) == ["b.wav", "d.wav"]
    assert report.updated == ["b.wav"] and report.added == ["d.wav"] and report.removed == ["a.wav"]
    assert report.unchanged == 1
    index = FrameIndex.open(tmp_path / "idx")
    assert sorted(index.files) == ["b.wav", "d.wav", "sub/c.flac"] and len(index.meta["shards"]) == 2
    np.testing.assert_allclose(index.frames_of("b.wav").astype(np.float32), embed(root / "b.wav").frames, atol=2e-3)
    assert index.total_rows - index.live_rows == 64  # the old rows of a.wav and b.wav
    seen.clear()
    assert build_index(root, tmp_path / "idx", det, progress=False).unchanged == 3 and seen == []


def test_compaction_keeps_the_embeddings(det, tmp_path):
    root = _collection(tmp_path / "audio")
    build_index(root, tmp_path / "idx", det, progress=False)
    before = {k: FrameIndex.open(tmp_path / "idx").frames_of(k).copy() for k in ("a.wav", "b.wav")}
    (root / "sub" / "c.flac").unlink()  # 80 of 144 rows die: more than half
    report = build_index(root, tmp_path / "idx", det, progress=False)
    assert report.compacted
    index = FrameIndex.open(tmp_path / "idx")
    assert index.total_rows == index.live_rows == 64 and len(index.meta["shards"]) == 1
    assert sorted(p.name for p in (tmp_path / "idx").glob("shard-*")) == list(index.meta["shards"])
    for k, rows in before.items():
        np.testing.assert_array_equal(index.frames_of(k), rows)


def test_another_model_is_refused(det, tmp_path):
    root = _collection(tmp_path / "audio")
    build_index(root, tmp_path / "idx", det, progress=False)
    other = Detector(rigged_model(bias_init=-9.0), "cpu", model_config=model_config(bias_init=-9.0))
    with pytest.raises(ModelMismatch, match="was built by model .* not comparable"):
        build_index(root, tmp_path / "idx", other, progress=False)
    with pytest.raises(IndexFolderError, match="covers"):
        build_index(tmp_path, tmp_path / "idx", det, progress=False)
    with pytest.raises(IndexFolderError, match="not empty and is not a flamkit index"):
        build_index(root, root, det, progress=False)
    with pytest.raises(IndexFolderError, match="same --hop"):
        build_index(root, tmp_path / "idx", det, hop=2.5, progress=False)


def test_bad_files_are_reported_and_retried(det, tmp_path):
    root = _collection(tmp_path / "audio")
    (root / "broken.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk")
    write_wav(root / "empty.wav", np.zeros(0, np.float32))
    with pytest.warns(UserWarning, match="zero-length"):
        report = build_index(root, tmp_path / "idx", det, progress=False)
    assert [f for f, _ in report.failed] == ["broken.wav"] and "broken.wav" in report.failed[0][1]
    assert sorted(report.added) == ["a.wav", "b.wav", "empty.wav", "sub/c.flac"]
    index = FrameIndex.open(tmp_path / "idx")
    assert index.files["empty.wav"].frames == 0 and index.frames_of("empty.wav").shape == (0, 3)
    again = build_index(root, tmp_path / "idx", det, progress=False)
    assert [f for f, _ in again.failed] == ["broken.wav"] and again.unchanged == 4


def test_an_interrupted_build_resumes(det, tmp_path, monkeypatch):
    root = _collection(tmp_path / "audio")
    embed = det.embed_audio
    calls = []

    def dies_on_third(path, **kw):
        calls.append(path)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return embed(path, **kw)

    monkeypatch.setattr(det, "embed_audio", dies_on_third)
    with pytest.raises(KeyboardInterrupt):
        build_index(root, tmp_path / "idx", det, progress=False, save_every=0.0)
    assert len(FrameIndex.open(tmp_path / "idx").files) == 2
    monkeypatch.setattr(det, "embed_audio", embed)
    report = build_index(root, tmp_path / "idx", det, progress=False)
    assert report.added == ["sub/c.flac"] and report.unchanged == 2
    shutil.rmtree(tmp_path / "idx")
