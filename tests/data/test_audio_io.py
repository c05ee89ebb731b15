import numpy as np
import pytest
import soundfile as sf
import soxr

from flamkit.data.audio_io import (
    crop_or_pad,
    info,
    is_silent,
    iter_blocks,
    load_audio,
    peak_db,
    shift_segments,
)
from flamkit.data.source import DataError
from tests.data import audio_files as af


def dominant_freq(x: np.ndarray, sr: int) -> float:
    spec = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return float(np.argmax(spec) * sr / len(x))


@pytest.mark.parametrize("fmt,ext", [("WAV", "wav"), ("FLAC", "flac"), ("OGG", "ogg"), ("MP3", "mp3")])
def test_every_format_decodes_to_mono_at_target_rate(tmp_path, fmt, ext):
    path = af.write(tmp_path / f"a.{ext}", af.tone(1.0, 16000, 1000.0, channels=2), 16000, format=fmt)
    out = load_audio(path, 48000)
    assert out.dtype == np.float32 and out.ndim == 1
    assert abs(len(out) - 48000) <= (2000 if ext == "mp3" else 0)  # MP3 adds encoder delay/padding
    assert abs(dominant_freq(out, 48000) - 1000.0) < 5.0


@pytest.mark.parametrize("channels", [1, 2, 6])
def test_downmix_is_channel_mean(tmp_path, channels):
    x = af.tone(0.25, 16000, 300.0, channels=channels)
    path = af.write(tmp_path / "c.wav", x, 16000, subtype="FLOAT")
    out = load_audio(path, 16000)
    raw, _ = sf.read(path, always_2d=True, dtype="float64")
    expected = np.array([sum(row) / channels for row in raw])  # naive loop reference
    np.testing.assert_allclose(out, expected, atol=1e-6)
    multi = load_audio(path, 16000, mono=False)
    assert multi.shape == (len(x), channels)


@pytest.mark.parametrize("src,dst", [(8000, 48000), (96000, 48000), (96000, 16000), (8000, 16000), (44100, 48000)])
def test_rates_8_to_96_khz(tmp_path, src, dst):
    path = af.write(tmp_path / "r.flac", af.tone(0.5, src, 1500.0), src)
    out = load_audio(path, dst)
    assert len(out) == int(round(0.5 * dst))
    assert abs(dominant_freq(out, dst) - 1500.0) < 5.0
    ref = soxr.resample(sf.read(path, dtype="float32")[0], src, dst, quality="HQ")
    np.testing.assert_allclose(out, ref, atol=1e-6)


def test_info_reads_header_without_decoding(tmp_path):
    path = af.write(tmp_path / "s.flac", af.tone(1.5, 32000, channels=2), 32000)
    meta = info(path)
    assert (meta.frames, meta.sample_rate, meta.channels) == (48000, 32000, 2)
    assert meta.duration == pytest.approx(1.5)
    # A cut-off FLAC keeps its header: info succeeds, decoding fails.
    bad = af.truncated(tmp_path / "t.flac", path)
    assert info(bad).frames == 48000
    with pytest.raises(DataError, match="t.flac"):
        load_audio(bad, 32000)


def _bad_files(tmp_path):
    good_wav = af.write(tmp_path / "g.wav", af.tone(1.0, 16000), 16000)
    good_flac = af.write(tmp_path / "g.flac", af.tone(1.0, 16000), 16000)
    good_ogg = af.write(tmp_path / "g.ogg", af.tone(1.0, 16000), 16000)
    good_mp3 = af.write(tmp_path / "g.mp3", af.tone(1.0, 16000), 16000)
    (tmp_path / "empty.wav").write_bytes(b"")
    return {
        "missing": (str(tmp_path / "nope.wav"), "not found"),
        "text": (af.text_as_wav(tmp_path / "text.wav"), "format not recognised"),
        "zero_bytes": (str(tmp_path / "empty.wav"), "empty file"),
        "zero_frames": (af.zero_length(tmp_path / "zero.wav"), "zero-length"),
        "trunc_wav": (af.truncated(tmp_path / "tw.wav", good_wav), "truncated"),
        "trunc_flac": (af.truncated(tmp_path / "tf.flac", good_flac), "corrupt"),
        "trunc_ogg": (af.truncated(tmp_path / "to.ogg", good_ogg, 0.3), "zero-length|corrupt|truncated"),
        "trunc_mp3": (af.truncated(tmp_path / "tm.mp3", good_mp3), "truncated"),
        "nan": (af.nan_wav(tmp_path / "nan.wav"), "NaN or infinite"),
        "folder": (str(tmp_path), "folder"),
    }


def test_bad_files_raise_dataerror_naming_file_and_reason(tmp_path):
    for case, (path, reason) in _bad_files(tmp_path).items():
        with pytest.raises(DataError, match=reason) as err:
            load_audio(path, 16000)
        assert path in str(err.value), case
        assert err.value.key == path


def test_nan_message_counts_samples(tmp_path):
    with pytest.raises(DataError, match=r"2 NaN or infinite sample\(s\), the first at frame 100"):
        load_audio(af.nan_wav(tmp_path / "n.wav"), 16000)


def test_crop_longer_audio_is_a_window_at_random_offset():
    audio = np.arange(1000, dtype=np.float32)
    offsets = set()
    for seed in range(200):
        out, off = crop_or_pad(audio, 100, np.random.default_rng(seed))
        assert 0 <= off <= 900
        np.testing.assert_array_equal(out, audio[off : off + 100])
        offsets.add(off)
    assert len(offsets) > 150  # uniform over 901 positions, not a fixed one
    out, off = crop_or_pad(audio, 100, None)
    assert off == 0 and out[0] == 0


def test_pad_shorter_audio_at_random_position_and_shift_labels():
    audio = np.ones(30, dtype=np.float32)
    starts = set()
    for seed in range(100):
        out, off = crop_or_pad(audio, 100, np.random.default_rng(seed))
        start = -off
        assert 0 <= start <= 70 and len(out) == 100
        assert out[start : start + 30].sum() == 30 and out.sum() == 30
        starts.add(start)
    assert len(starts) > 30
    out, off = crop_or_pad(audio, 100, np.random.default_rng(0), random_pad=False)
    assert off == 0 and out[:30].sum() == 30
    # Label shift: an event at 0.1-0.2 s of a 0.3 s clip padded at 0.5 s into a 1 s window (100 Hz).
    assert shift_segments([(0.1, 0.2)], -0.5, 1.0) == [pytest.approx((0.6, 0.7))]
    # Cropped at 2 s of a long file into 1 s: events outside vanish, straddling ones are clipped.
    assert shift_segments([(0.5, 1.0), (1.5, 2.5), (2.9, 4.0)], 2.0, 1.0) == [(0.0, 0.5), pytest.approx((0.9, 1.0))]


def test_is_silent_uses_peak():
    assert is_silent(np.zeros(100, np.float32))
    assert is_silent(np.zeros(0, np.float32))
    quiet = np.full(100, 10 ** (-70 / 20), np.float32)
    assert is_silent(quiet, -60.0) and not is_silent(quiet, -80.0)
    click = np.zeros(48000, np.float32)
    click[10] = 0.5
    assert not is_silent(click, -60.0)
    assert peak_db(click) == pytest.approx(20 * np.log10(0.5))


@pytest.mark.parametrize("src", [8000, 16000, 96000])
def test_iter_blocks_matches_whole_file(tmp_path, src):
    rng = np.random.default_rng(0)
    x = (0.1 * rng.standard_normal((int(7.3 * src), 2))).astype(np.float32)
    path = af.write(tmp_path / "long.wav", x, src, subtype="FLOAT")
    whole = load_audio(path, 16000)
    blocks = list(iter_blocks(path, 16000, block_seconds=2.0, overlap_seconds=0.5, read_frames=3001))
    starts = [s for s, _ in blocks]
    np.testing.assert_allclose(starts, [1.5 * k for k in range(len(blocks))])
    assert all(len(b) == 32000 for _, b in blocks[:-1])
    for s, b in blocks:
        i = int(round(s * 16000))
        np.testing.assert_allclose(b, whole[i : i + len(b)], atol=2e-5)
    last_s, last = blocks[-1]
    assert int(round(last_s * 16000)) + len(last) == len(whole)


def test_iter_blocks_errors(tmp_path):
    with pytest.raises(DataError, match="NaN"):
        list(iter_blocks(af.nan_wav(tmp_path / "n.wav"), 16000, 0.1))
    with pytest.raises(DataError, match="zero-length"):
        list(iter_blocks(af.zero_length(tmp_path / "z.wav"), 16000, 1.0))
    with pytest.raises(ValueError, match="overlap"):
        list(iter_blocks(af.write(tmp_path / "a.wav", af.tone(1, 16000), 16000), 16000, 1.0, 1.0))


def test_reasons_are_machine_readable(tmp_path):
    from flamkit.data.audio_io import REASONS, reason_of

    expected = {"missing": "not_found", "text": "unsupported_format", "zero_bytes": "empty_file", "zero_frames": "zero_length",
                "trunc_wav": "truncated", "trunc_flac": "corrupt", "trunc_mp3": "truncated", "nan": "non_finite", "folder": "not_a_file"}
    files = _bad_files(tmp_path)
    for case, reason in expected.items():
        with pytest.raises(DataError) as err:
            load_audio(files[case][0], 16000)
        assert reason_of(err.value) == reason, case
        assert reason in REASONS
