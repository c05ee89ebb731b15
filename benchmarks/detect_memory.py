"""Peak memory of detection on long files: streaming keeps it flat in the duration.

For each duration a 44.1 kHz stereo WAV is generated (written block by block) and a fresh process
runs ``Detector.frame_probabilities`` on it with the embedded-default-sized model, then reports its
peak resident set size (``ru_maxrss``). The baseline is the first (shortest) duration, 6 minutes by
default (many batches of windows, so the encoder's activations and the allocator are at their steady
state), measured in the same run: the growth over it is what the extra duration costs. Decoding the file whole would need
``seconds x 44100 x 2 x 4`` bytes of float32 before resampling; the printed ratio is growth / that.

    PYTHONPATH=. python benchmarks/detect_memory.py --minutes 6 60
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf

CHILD = r"""
import json, resource, sys, time, torch
sys.path.insert(0, {bench!r})
torch.set_num_threads({threads})
from _default_model import default_model
from flamkit.inference.detector import Detector
det = Detector(default_model(), "cpu")
start = time.perf_counter()
fp = det.frame_probabilities({path!r}, queries=["glass breaking", "dog barking"])
wall = time.perf_counter() - start
print(json.dumps({{"rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "wall": wall,
                  "frames": int(fp.probs.shape[1]), "duration": fp.duration}}))
"""


def write_long_wav(path: Path, seconds: float, sr: int = 44100, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    with sf.SoundFile(path, "w", samplerate=sr, channels=2, subtype="PCM_16") as f:
        left = int(seconds * sr)
        while left > 0:
            n = min(left, sr * 10)
            x = (rng.standard_normal(n) * 0.05).astype(np.float32)
            f.write(np.stack([x, 0.5 * x], axis=1))
            left -= n


def measure(path: Path, threads: int) -> dict:
    code = CHILD.format(bench=str(Path(__file__).resolve().parent), threads=threads, path=str(path))
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, nargs="+", default=[6.0, 60.0])
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        rows = []
        for minutes in sorted(args.minutes):
            path = Path(tmp) / f"{minutes:g}min.wav"
            write_long_wav(path, minutes * 60)
            rows.append((minutes, measure(path, args.threads)))
            path.unlink()
    base = rows[0][1]["rss_mb"]
    print(f"peak RSS of detection (2 queries, 44.1 kHz stereo WAV, small_cnn + MiniLM, {args.threads} threads); "
          f"baseline: the {rows[0][0]:g}-minute file, {base:.0f} MB")
    print(f"{'duration':>10s} {'peak MB':>9s} {'growth MB':>10s} {'extra float32 decode MB':>24s} {'growth / decode':>16s} {'x real time':>12s}")
    for minutes, r in rows:
        decode = (minutes - rows[0][0]) * 60 * 44100 * 2 * 4 / 2**20  # the extra duration, decoded whole
        growth = r["rss_mb"] - base
        print(f"{minutes:9.2f}m {r['rss_mb']:9.0f} {growth:10.0f} {decode:24.0f} {growth / max(decode, 1e-9):16.3f} "
              f"{r['duration'] / r['wall']:12.0f}")


if __name__ == "__main__":
    main()
