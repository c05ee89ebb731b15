"""Search time per query over a 100-hour index (1.152 M frames of 256-d float16) on the CPU; target 200 ms.

The index is generated: 36,000 ten-second files of 32 frames each (the frame count of 100 h at 32
frames per 10 s), random unit-norm embeddings stored as float16, written in the real index format.
Per query the time covers the text encoder (MiniLM, each query new, so never served from a cache),
scoring every frame, merging adjacent frames into segments and taking the top 20; it excludes
loading the model (once per process) and opening the index. A second row serves the queries from
the index's on-disk text cache (a repeated query). The baseline row scores the same frames with
numpy's float16 matrix-vector product (no BLAS for float16), measured in the same run.

    PYTHONPATH=. python benchmarks/search_speed.py              # one thread, as `flamkit search` runs
    PYTHONPATH=. python benchmarks/search_speed.py --threads 2

The float16 matrix-vector product is memory-bound and single-threaded in torch, and one short query
gains nothing from a second thread; on a shared machine two threads mostly add waiting at barriers.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _default_model import CPU_SIZE_MODEL, default_model  # noqa: E402

from flamkit.inference.detector import Detector  # noqa: E402
from flamkit.inference.index import FORMAT_VERSION, INDEX_FILE, FrameIndex  # noqa: E402
from flamkit.inference.search import Searcher, TextCache, query_embedding  # noqa: E402

TARGET_MS = 200.0
QUERIES = [
    "glass breaking", "a dog barking in the distance", "door slam", "siren of an ambulance", "baby crying",
    "footsteps on gravel", "rain on a window", "a car horn", "people applauding", "a kettle whistling",
    "birds singing in the morning", "thunder", "keys jingling", "a phone ringing", "typing on a keyboard",
    "water running from a tap", "a cat meowing", "an engine idling", "wind blowing", "someone coughing",
]


def write_index(folder: Path, files: int, frames_per_file: int, dim: int, identity: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    rows = files * frames_per_file
    out = np.memmap(folder / "shard-00000.f16", dtype=np.float16, mode="w+", shape=(rows, dim))
    step = 100_000
    for a in range(0, rows, step):
        x = rng.standard_normal((min(step, rows - a), dim)).astype(np.float32)
        out[a : a + len(x)] = x / np.linalg.norm(x, axis=1, keepdims=True)
    out.flush()
    del out
    meta = {
        "format": FORMAT_VERSION, "root": str(folder), "model": {"identity": identity, "checkpoint": None},
        "sample_rate": 16000, "frame_seconds": 10.0 / frames_per_file, "hop_seconds": 5.0, "embed_dim": dim,
        "dtype": "float16", "change_key": "size+mtime_ns", "shards": {"shard-00000.f16": rows},
        "files": {
            f"clips/{i:06d}.wav": {"size": 320044, "mtime_ns": 0, "shard": "shard-00000.f16", "start": i * frames_per_file,
                                   "frames": frames_per_file, "duration": 10.0}
            for i in range(files)
        },
    }
    (folder / INDEX_FILE).write_text(json.dumps(meta))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=1, help="torch threads (flamkit search uses 1)")
    parser.add_argument("--hours", type=float, default=100.0)
    parser.add_argument("--top", type=int, default=20)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    files = int(round(args.hours * 360))
    det = Detector(default_model(), "cpu")
    dim = CPU_SIZE_MODEL["embed_dim"]
    det.embed_text("warm-up query")  # the text encoder's first call (lazy init) is excluded
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_index(folder, files, 32, dim, "benchmark-model", seed=0)
        start = time.perf_counter()
        index = FrameIndex.open(folder)
        searcher = Searcher(index)
        open_s = time.perf_counter() - start
        cache = TextCache(folder, index.identity)
        rows = index.live_rows
        searcher.search(query_embedding(det, "another warm-up"), top=args.top)  # pages the shard in

        fresh = []
        for q in QUERIES:
            start = time.perf_counter()
            emb = query_embedding(det, q)
            searcher.search(emb, top=args.top)
            fresh.append(time.perf_counter() - start)
            cache.put(emb)
        cached = []
        for q in QUERIES:
            start = time.perf_counter()
            searcher.search(cache.get(q), top=args.top)
            cached.append(time.perf_counter() - start)
        shard = np.memmap(folder / "shard-00000.f16", dtype=np.float16, mode="r", shape=(rows, dim))
        q16 = query_embedding(det, QUERIES[0]).emb.astype(np.float16)
        base = []
        for _ in range(3):
            start = time.perf_counter()
            np.asarray(shard) @ q16
            base.append(time.perf_counter() - start)
        del shard, searcher, index

    print(f"search over {rows:,} frames ({args.hours:g} h at 32 frames / 10 s, {dim}-d float16), top {args.top}, "
          f"{args.threads} threads; index open {open_s * 1000:.0f} ms (once)")
    print(f"{'per query':44s} {'median ms':>10s} {'max ms':>8s} {'/ 200 ms target':>16s}")
    for name, t in (("new query (text encoder + search)", fresh), ("repeated query (text cache + search)", cached)):
        med = statistics.median(t) * 1000
        print(f"{name:44s} {med:10.1f} {max(t) * 1000:8.1f} {med / TARGET_MS:16.2f}")
    b = statistics.median(base) * 1000
    print(f"{'baseline: numpy float16 scoring alone':44s} {b:10.1f} {max(base) * 1000:8.1f} {b / TARGET_MS:16.2f}")
    print(f"speed-up of a new query over the numpy baseline's scoring alone: {b / (statistics.median(fresh) * 1000):.1f}x")


if __name__ == "__main__":
    main()
