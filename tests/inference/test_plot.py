"""The streamed coarse spectrogram and the detection figure."""

import matplotlib.pyplot as plt
import numpy as np

from flamkit.inference.events import DetectedEvent
from flamkit.inference.plot import CoarseSpectrogram, detection_figure


def test_overlapping_blocks_equal_one_pass():
    rng = np.random.default_rng(0)
    x = rng.standard_normal(50_000).astype(np.float32)
    one = CoarseSpectrogram(16000, len(x), max_columns=40)
    one.feed(0, x)
    blocks = CoarseSpectrogram(16000, len(x), max_columns=40)
    for start in range(0, len(x), 7000):  # blocks of 10000 that overlap by 3000
        blocks.feed(start, x[start : start + 10000])
    np.testing.assert_array_equal(one.result(), blocks.result())


def test_columns_are_bounded_and_locate_a_tone():
    sr, n = 16000, 16000 * 600  # ten minutes
    spec = CoarseSpectrogram(sr, n, max_columns=300)
    t = np.arange(sr * 10) / sr
    for start in range(0, n, sr * 10):
        block = np.zeros(sr * 10, np.float32) + 1e-4
        if start == sr * 300:
            block += np.sin(2 * np.pi * 2000 * t).astype(np.float32)
        spec.feed(start, block)
    s = spec.result()
    assert s.shape[0] == 257 and 290 <= s.shape[1] <= 301
    col = int(np.argmax(s[64]))  # the 2 kHz bin (2000 / 31.25)
    assert abs(col * spec.hop / sr - 302.0) < 5.0


def test_detection_figure_draws(tmp_path):
    probs = np.vstack([np.linspace(0, 1, 50), np.linspace(1, 0, 50)])
    fig = detection_figure(np.random.default_rng(0).random((257, 80)), 16000, 15.6, probs, ["a", "b"], 0.3125,
                           [DetectedEvent("f", 8.0, 15.6, "a", 1.0, 0.8)], 0.5, "f")
    fig.savefig(tmp_path / "f.png")
    plt.close(fig)
    assert (tmp_path / "f.png").stat().st_size > 5000
