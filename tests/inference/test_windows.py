"""Window geometry, the in-memory block iterator against the file streamer, and overlap averaging."""

import numpy as np
import pytest
import soundfile as sf

from flamkit.data.audio_io import iter_blocks
from flamkit.inference.windows import OverlapAverager, WindowPlan, array_blocks


def test_plan_from_overlap_and_hop():
    p = WindowPlan.for_model(16000, 10.0, 32)
    assert (p.clip_samples, p.hop_frames, p.hop_samples, p.overlap_samples) == (160000, 16, 80000, 80000)
    assert p.frame_seconds == pytest.approx(0.3125)
    assert WindowPlan.for_model(16000, 10.0, 32, overlap=0.0).hop_frames == 32
    assert WindowPlan.for_model(16000, 10.0, 32, overlap=0.75).hop_frames == 8
    assert WindowPlan.for_model(16000, 10.0, 32, hop_seconds=2.0).hop_frames == 6  # 2 / 0.3125 = 6.4 -> 6
    assert WindowPlan.for_model(48000, 10.0, 128, hop_seconds=0.1).hop_frames == 1


@pytest.mark.parametrize("kw", [{"overlap": 1.0}, {"overlap": -0.1}, {"hop_seconds": 0.0}, {"hop_seconds": 11.0}])
def test_plan_rejects_bad_hops(kw):
    with pytest.raises(ValueError):
        WindowPlan.for_model(16000, 10.0, 32, **kw)


@pytest.mark.parametrize(
    "sr, frames, kw, hop",
    [
        (44100, 53, {}, 53),  # 8320.75 samples a frame: only the whole window is whole samples
        (44100, 53, {"hop_seconds": 1.0}, 53),
        (44100, 50, {}, 25),  # 8820 samples a frame: every hop is whole
        (44100, 32, {}, 16),  # 13781.25 samples a frame: every 4th frame
        (44100, 32, {"overlap": 0.4}, 20),  # 19.2 -> 19 frames -> 20, the nearest multiple of 4
        (44100, 32, {"overlap": 0.95}, 4),  # 2 frames -> 4, the smallest whole-sample hop
        (44100, 64, {"overlap": 0.5}, 32),
    ],
)
def test_plan_rounds_the_hop_to_whole_samples(sr, frames, kw, hop):
    p = WindowPlan.for_model(sr, 10.0, frames, **kw)
    assert p.hop_frames == hop
    assert p.hop_frames * p.clip_samples % p.frames == 0  # whole samples: windows start on the frame grid
    # Brute force: no other whole-sample hop is nearer to the frames asked for.
    asked = kw.get("hop_seconds", None)
    want = round(asked / p.frame_seconds) if asked else max(1, round(frames * (1 - kw.get("overlap", 0.5))))
    valid = [h for h in range(1, frames + 1) if h * p.clip_samples % frames == 0]
    assert abs(hop - want) == min(abs(h - want) for h in valid)


def test_plan_rejects_fractional_sample_hops():
    with pytest.raises(ValueError, match="not a whole number"):
        WindowPlan(44100, 441000, 64, 1)  # 6890.625 samples


def test_num_frames_and_offsets():
    p = WindowPlan.for_model(16000, 10.0, 32)
    assert [p.num_frames(n) for n in (0, 1, 5000, 5001, 160000)] == [0, 1, 1, 2, 32]
    assert p.frame_offset(0) == 0 and p.frame_offset(80000 * 3) == 48
    with pytest.raises(ValueError):
        p.frame_offset(100)


@pytest.mark.parametrize("seconds", [0.5, 10.0, 12.0, 15.0, 35.0, 35.3])
def test_array_blocks_match_the_file_streamer(tmp_path, seconds):
    rng = np.random.default_rng(0)
    audio = (rng.standard_normal(int(seconds * 16000)) * 0.1).astype(np.float32)
    path = tmp_path / "a.wav"
    sf.write(path, audio, 16000, subtype="FLOAT")
    from_file = [(round(s * 16000), b) for s, b in iter_blocks(path, 16000, 10.0, 5.0)]
    from_array = list(array_blocks(audio, 160000, 80000))
    assert [s for s, _ in from_file] == [s for s, _ in from_array]
    for (_, a), (_, b) in zip(from_file, from_array):
        np.testing.assert_array_equal(a, b)
    # every sample is in some block, and the last block reaches the end
    assert from_array[-1][0] + len(from_array[-1][1]) == len(audio)


def test_array_blocks_on_empty_audio():
    assert list(array_blocks(np.zeros(0, np.float32), 10, 5)) == []


def test_overlap_averager_against_a_loop():
    rng = np.random.default_rng(1)
    pieces = [(o, rng.standard_normal((n, 3))) for o, n in [(0, 8), (4, 8), (8, 8), (12, 5)]]
    avg = OverlapAverager(3, capacity=2)  # grows past its first capacity
    for o, rows in pieces:
        avg.add(o, rows)
    sums, counts = np.zeros((17, 3)), np.zeros(17)
    for o, rows in pieces:
        for i in range(rows.shape[0]):
            sums[o + i] += rows[i]
            counts[o + i] += 1
    np.testing.assert_allclose(avg.mean(), sums / counts[:, None], rtol=1e-12)


def test_overlap_averager_reports_a_gap():
    avg = OverlapAverager(1)
    avg.add(0, np.ones((2, 1)))
    avg.add(3, np.ones((2, 1)))
    with pytest.raises(RuntimeError, match="frame 2"):
        avg.mean()
