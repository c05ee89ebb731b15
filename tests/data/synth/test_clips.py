import pickle

import numpy as np
import pytest
import soundfile as sf

from flamkit.data.synth.clips import ArrayClip, AudioCache, ClipError, FileClip, read_audio


def test_stereo_downmix_and_resample(tmp_path):
    sr = 44100
    t = np.arange(sr) / sr
    left, right = np.sin(2 * np.pi * 440 * t), np.zeros(sr)
    path = str(tmp_path / "st.wav")
    sf.write(path, np.stack([left, right], 1) * 0.5, sr, subtype="FLOAT")
    x = read_audio(path, 16000)
    assert x.dtype == np.float32 and abs(len(x) - 16000) <= 1
    assert np.max(np.abs(x[100:-100])) == pytest.approx(0.25, abs=0.01)  # channel mean
    spec = np.abs(np.fft.rfft(x))
    assert abs(np.argmax(spec) * 16000 / len(x) - 440) < 2


def test_bad_audio_errors_name_the_file(tmp_path):
    bad = tmp_path / "corrupt.flac"
    bad.write_bytes(b"not audio at all")
    with pytest.raises(ClipError, match="corrupt.flac"):
        read_audio(str(bad), 16000)
    silent = str(tmp_path / "silent.wav")
    sf.write(silent, np.zeros(1000), 16000)
    with pytest.raises(ClipError, match="silent.wav.*all-silent"):
        read_audio(silent, 16000)
    nan = str(tmp_path / "nan.wav")
    sf.write(nan, np.array([0.1, np.nan, 0.2]), 16000, subtype="FLOAT")
    with pytest.raises(ClipError, match="nan.wav.*NaN"):
        read_audio(nan, 16000)
    with pytest.raises(ClipError, match="missing.wav"):
        read_audio(str(tmp_path / "missing.wav"), 16000)
    with pytest.raises(ClipError, match="no text"):
        FileClip(str(tmp_path / "x.wav"), ("  ",))


def test_cache_is_lru_and_bounded(tmp_path):
    paths = []
    for i in range(3):
        p = str(tmp_path / f"{i}.wav")
        sf.write(p, np.full(1000, 0.1 * (i + 1)), 8000)
        paths.append(p)
    cache = AudioCache(max_bytes=2 * 1000 * 4)
    for p in paths[:2]:
        cache.get(p, 8000)
    cache.get(paths[0], 8000)  # touch 0: 1 is now least recent
    cache.get(paths[2], 8000)  # evicts 1
    assert cache.misses == 3 and cache.hits == 1
    cache.get(paths[0], 8000)
    assert cache.hits == 2
    cache.get(paths[1], 8000)
    assert cache.misses == 4
    with pytest.raises(ValueError):
        cache.get(paths[0], 8000)[0] = 1.0  # shared arrays are read-only
    clone = pickle.loads(pickle.dumps(cache))
    assert clone.max_bytes == cache.max_bytes and clone.misses == 0


def test_array_clip_resamples_once():
    clip = ArrayClip(np.random.default_rng(0).standard_normal(4800).astype(np.float32), 48000, "noise", key="n")
    a = clip.load(16000)
    assert len(a) == 1600 and clip.load(16000) is a and clip.texts == ("noise",)
