"""Detection speed in x real time on the CPU with the embedded-default-sized model (target: >= 100x on 2 cores).

End to end per recording: decode, down-mix and resample (for files), cut into 10 s windows with 50 %
overlap, the audio encoder, scoring every frame against the queries, stitching, median filter, events.
Each row prints audio seconds / wall seconds and its ratio to the 100x target; the "no overlap" row
(hop = one window) shows what the overlap costs. The text encoder's first call is excluded (queries
are encoded once per run and cached).

    PYTHONPATH=. python benchmarks/detect_speed.py --threads 2 --minutes 10
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _default_model import default_model  # noqa: E402

from flamkit.inference.detector import Detector  # noqa: E402

TARGET = 100.0
QUERIES = ["glass breaking", "dog barking"]


def _audio(seconds: float, sr: int, rng: np.random.Generator) -> np.ndarray:
    x = rng.standard_normal(int(seconds * sr)).astype(np.float32) * 0.05
    t = np.arange(sr) / sr
    for start in rng.integers(0, len(x) - sr, size=int(seconds // 20)):
        x[start : start + sr] += 0.3 * np.sin(2 * np.pi * 1000 * t).astype(np.float32)
    return x


def _time(fn, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=2, help="best of N")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    seconds = args.minutes * 60
    det = Detector(default_model(), "cpu", batch_size=args.batch_size)
    det.embed_text(QUERIES)  # first text-encoder call, excluded
    det.detect(_audio(20.0, 16000, rng), QUERIES, sr=16000)  # warm-up (oneDNN kernels for this batch shape)

    with tempfile.TemporaryDirectory() as tmp:
        mono16 = _audio(seconds, 16000, rng)
        f16 = Path(tmp) / "mono16k.wav"
        sf.write(f16, mono16, 16000, subtype="PCM_16")
        x44 = _audio(seconds, 44100, rng)
        f44 = Path(tmp) / "stereo44k.flac"
        sf.write(f44, np.stack([x44, 0.7 * x44], axis=1), 44100, subtype="PCM_16")
        rows = [
            ("array, 16 kHz mono", lambda: det.detect(mono16, QUERIES, sr=16000)),
            ("WAV file, 16 kHz mono", lambda: det.detect(f16, QUERIES)),
            ("FLAC file, 44.1 kHz stereo", lambda: det.detect(f44, QUERIES)),
            ("WAV file, no overlap (hop 10 s)", lambda: det.detect(f16, QUERIES, hop=10.0)),
        ]
        print(f"detection speed, {args.minutes:g} min of audio, {len(QUERIES)} queries, {args.threads} threads, "
              f"batch {args.batch_size}, small_cnn + MiniLM (256-d)")
        print(f"{'input':34s} {'wall s':>8s} {'x real time':>12s} {'/ 100x target':>14s}")
        for name, fn in rows:
            wall = _time(fn, args.repeats)
            speed = seconds / wall
            print(f"{name:34s} {wall:8.2f} {speed:12.0f} {speed / TARGET:14.2f}")


if __name__ == "__main__":
    main()
