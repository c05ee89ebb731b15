"""Audio-text batches per second: the native stream vs the fairseq2 pipeline, in the same run.

Writes ``--files`` stereo 44.1 kHz FLAC clips of 12 s (so every item is decoded, down-mixed,
resampled to 48 kHz by soxr HQ and cropped to 10 s, as for AudioCaps-like corpora), then times
``--batches`` batches of ``--batch-size`` from:

* native: :class:`flamkit.data.pipeline.BatchStream` in this process (what ``data.num_workers: 0``
  does; more workers are more processes, each doing this);
* fairseq2 with ``num_parallel_calls`` 1 and 2 (threads inside one process).

Prints one line per loader with batches/s and the ratio to native. Usage:
``PYTHONPATH=. python benchmarks/fairseq2_loading.py [--files 48 --batches 12 --batch-size 8]``
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time

import numpy as np
import soundfile as sf

from flamkit.data.collate import collate_audio_text
from flamkit.data.pipeline import BatchStream
from flamkit.data.sources.audio_text import AudioTextSource


def write_corpus(folder: str, n: int) -> str:
    rng = np.random.default_rng(0)
    rows = []
    for i in range(n):
        path = os.path.join(folder, f"clip{i:04d}.flac")
        sf.write(path, (0.1 * rng.standard_normal((12 * 44100, 2))).astype(np.float32), 44100)
        rows.append({"path": path, "caption": f"clip number {i}"})
    manifest = os.path.join(folder, "m.jsonl")
    with open(manifest, "w") as f:
        f.writelines(json.dumps(r) + "\n" for r in rows)
    return manifest


def rate(make_iter, batches: int) -> float:
    it = make_iter()
    next(it)  # warm-up: thread pools, first decode
    t = time.perf_counter()
    for _ in range(batches):
        next(it)
    return batches / (time.perf_counter() - t)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=48)
    ap.add_argument("--batches", type=int, default=12)
    ap.add_argument("--batch-size", type=int, default=8)
    args = ap.parse_args()
    from flamkit.data import fairseq2_backend as fb

    with tempfile.TemporaryDirectory() as tmp:
        src = AudioTextSource(write_corpus(tmp, args.files), sample_rate=48000, clip_seconds=10.0)
        native = rate(lambda: (BatchStream("global", [src], [1.0], collate_audio_text, args.batch_size, seed=0).make_batch(b)
                               for b in range(10**9)), args.batches)
        print(f"native BatchStream (1 process):          {native:6.2f} batches/s  ratio 1.00")
        if fb.import_error():
            print(f"fairseq2: skipped ({fb.import_error()})")
            return
        for calls in (1, 2):
            r = rate(lambda: iter(fb.Fairseq2Stream("global", src, collate_audio_text, args.batch_size, seed=0,
                                                    num_parallel_calls=calls)), args.batches)
            print(f"fairseq2 pipeline, num_parallel_calls={calls}: {r:6.2f} batches/s  ratio {r / native:.2f}")
        src_f2 = AudioTextSource(src.manifest, sample_rate=48000, clip_seconds=10.0, backend="fairseq2")
        r = rate(lambda: iter(fb.Fairseq2Stream("global", src_f2, collate_audio_text, args.batch_size, seed=0,
                                                num_parallel_calls=2)), args.batches)
        print(f"fairseq2 pipeline + fairseq2 decoder, 2:  {r:6.2f} batches/s  ratio {r / native:.2f}")
        print(f"({os.cpu_count()} CPUs visible; {args.batch_size} x 10 s clips per batch from 12 s 44.1 kHz stereo FLAC)")


if __name__ == "__main__":
    main()
