import pytest

from flamkit.data.sources.missing import MissingFilesError, apply_missing_policy


def test_policies(tmp_path):
    (tmp_path / "a.wav").write_bytes(b"x")
    paths = [str(tmp_path / "a.wav"), str(tmp_path / "b.wav"), str(tmp_path / "c.wav")]
    items, wheres = ["A", "B", "C"], ["m:1", "m:2", "m:3"]
    with pytest.raises(MissingFilesError, match=r"2 of 3 audio files are missing:\n  m:2: .*b.wav\n  m:3: .*c.wav"):
        apply_missing_policy(items, paths, wheres, "error", "src")
    kept, missing = apply_missing_policy(items, paths, wheres, "skip", "src")
    assert kept == ["A"] and missing == [f"m:2: {paths[1]}", f"m:3: {paths[2]}"]
    kept, missing = apply_missing_policy(items, paths, wheres, "defer", "src")
    assert kept == items and len(missing) == 2
    assert apply_missing_policy(items[:1], paths[:1], wheres[:1], "error", "src") == (["A"], [])
    with pytest.raises(ValueError, match="missing='ignore'"):
        apply_missing_policy(items, paths, wheres, "ignore", "src")
