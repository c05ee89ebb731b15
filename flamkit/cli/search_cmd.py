"""``flamkit search INDEX "glass breaking" [--top 20] [--checkpoint C]``: where in the collection?

Prints one hit per line (rank, file, onset, offset, score, mean) or JSON. The query's text embedding
comes from the index's text cache when this model has seen the query before; otherwise the model is
loaded (``--checkpoint``, else the checkpoint recorded in the index) and checked against the index's
model identity. Scores are calibrated frame probabilities: see flamkit.inference.search.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("index", type=Path, help="index folder made by `flamkit index build`")
    parser.add_argument("query", nargs="+", help="one or more descriptions (each searched separately)")
    parser.add_argument("--top", type=int, default=20, help="hits per query")
    parser.add_argument("--checkpoint", default=None, help="model to encode the query (default: the index's)")
    parser.add_argument("--threshold", type=float, default=0.5, help="frames above it merge into segments")
    parser.add_argument("--mode", default="unbiased", choices=["unbiased", "approximate"])
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--device", default="cpu", help="device for the text encoder")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (one is fastest: see docs/detection.md)")
    parser.add_argument("--query-expansion", default=None, metavar="SPEC",
                        help="pull each query toward the training descriptions nearest it: 'default' "
                             "(k=20,tau=0.1,weight=0.5) or KEY=VALUE pairs; needs the model's run folder (docs/detection.md)")


def _detector(index, checkpoint, device, expansion=None):
    import flamkit

    path = checkpoint or index.meta["model"].get("checkpoint")
    if not path:
        raise ValueError(f"index {index.folder} records no checkpoint; pass --checkpoint")
    det = flamkit.load(path, device=device, query_expansion=expansion)
    print(f"flamkit search: {det.checkpoint_choice.describe()}", file=sys.stderr)
    index.check_model(det.identity, path)
    return det


def run(args: argparse.Namespace) -> int:
    import torch

    torch.set_num_threads(max(1, args.threads))
    from flamkit.inference.index import FrameIndex, IndexFolderError
    from flamkit.inference.search import Searcher, TextCache, query_embedding
    from flamkit.models.query_expansion import QueryExpansion

    try:
        expansion = QueryExpansion.parse(args.query_expansion, "--query-expansion")
        index = FrameIndex.open(args.index)
        # an expanded query is another embedding of the same text: cached under its own key
        cache = TextCache(index.folder, index.identity + (f"+qx({expansion.describe()})" if expansion else ""))
        det = _detector(index, args.checkpoint, args.device, expansion) if args.checkpoint else None  # an explicit model is always checked
        searcher = Searcher(index)
        results = {}
        for q in args.query:
            start = time.perf_counter()
            emb = cache.get(q)
            if emb is None:
                det = det or _detector(index, None, args.device, expansion)
                emb = query_embedding(det, q)
                cache.put(emb)
            results[q] = (searcher.search(emb, top=args.top, threshold=args.threshold, mode=args.mode), time.perf_counter() - start)
    except (IndexFolderError, FileNotFoundError, ValueError, RuntimeError) as exc:
        print(f"flamkit search: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps({q: [asdict(h) for h in hits] for q, (hits, _) in results.items()}, indent=1))
        return 0
    for q, (hits, seconds) in results.items():
        print(f"# {q!r}: {len(hits)} hits over {index.live_rows} frames in {seconds * 1000:.0f} ms")
        print("rank\tfile\tonset\toffset\tscore\tmean")
        for r, h in enumerate(hits, 1):
            print(f"{r}\t{index.root / h.file}\t{h.onset:.3f}\t{h.offset:.3f}\t{h.score:.4f}\t{h.mean:.4f}")
    return 0
