"""A one-hour file is streamed: peak memory does not grow with the duration (slow: writes ~115 MB)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from tests.inference.rigged import frame_truth

ROOT = Path(__file__).resolve().parents[2]
CHILD = r"""
import json, resource, sys
sys.path.insert(0, {root!r})
import flamkit.components  # noqa: F401
from tests.inference.rigged import rigged_model
from flamkit.inference.detector import Detector
events = Detector(rigged_model(), "cpu").detect({path!r}, ["1 kHz tone", "3 kHz tone"])
print(json.dumps({{"rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "events": [[e.label, e.onset, e.offset] for e in events]}}))
"""


def _write(path, seconds, burst, sr=16000):
    """Noise written block by block (the test itself stays small), a 1 kHz burst at ``burst`` seconds."""
    rng = np.random.default_rng(0)
    with sf.SoundFile(path, "w", samplerate=sr, channels=1, subtype="PCM_16") as f:
        for start in range(0, int(seconds), 10):
            x = rng.standard_normal(sr * 10) * 0.01
            if start <= burst[0] < start + 10:
                a, b = int((burst[0] - start) * sr), int((burst[1] - start) * sr)
                x[a:b] += 0.5 * np.sin(2 * np.pi * 1000 * np.arange(b - a) / sr)
            f.write(x.astype(np.float32))


def _run(path):
    code = CHILD.format(root=str(ROOT), path=str(path))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env=dict(os.environ, OMP_NUM_THREADS="1"))
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_one_hour_file_in_bounded_memory(tmp_path):
    short, long = tmp_path / "6min.wav", tmp_path / "60min.wav"
    _write(short, 360, (300.2, 301.9))
    _write(long, 3600, (3590.2, 3591.9))
    r_short, r_long = _run(short), _run(long)
    assert r_short["events"] == [["1 kHz tone", *frame_truth(300.2, 301.9)]]
    assert r_long["events"] == [["1 kHz tone", *frame_truth(3590.2, 3591.9)]]
    whole_decode_mb = 3240 * 16000 * 4 / 2**20  # the extra 54 minutes as float32: 198 MB
    assert r_long["rss_mb"] - r_short["rss_mb"] < 0.15 * whole_decode_mb, (r_short, r_long)


def test_files_are_never_decoded_whole(tmp_path):
    """numpy allocations (traced by tracemalloc) stay far below the decoded size of a 3-minute file."""
    import tracemalloc

    from flamkit.inference.detector import Detector
    from tests.inference.rigged import rigged_model, tone_audio

    x = tone_audio(180.0, [(170.0, 171.0, 1000)], sr=44100)
    path = tmp_path / "three.wav"
    sf.write(path, np.stack([x, x], axis=1), 44100, subtype="PCM_16")
    del x
    det = Detector(rigged_model(), "cpu")
    tracemalloc.start()
    try:
        events = det.detect(path, "1 kHz tone")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert [(e.onset, e.offset) for e in events] == [frame_truth(170.0, 171.0)]
    decoded = 180 * 44100 * 2 * 4  # 63.5 MB as float32 [T, 2]
    assert peak < decoded / 8, f"peak numpy allocation {peak / 2**20:.1f} MB"
