"""``flamkit index build AUDIO_DIR --checkpoint C --out INDEX`` and ``flamkit index info INDEX``.

``build`` embeds every audio file under AUDIO_DIR (recursively) into a frame-embedding index, or
updates an existing one: only new and changed files (size or modification time differ) are embedded,
removed files are dropped. Unreadable files are reported and skipped (exit status 1 after the
summary); they are tried again on the next build. See docs/detection.md and flamkit.inference.index.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    b = sub.add_parser("build", help="create or incrementally update an index")
    b.add_argument("audio_dir", type=Path, help="folder of audio files (searched recursively)")
    b.add_argument("--checkpoint", required=True, help="run folder, checkpoints/ folder or ckpt-<step> folder")
    b.add_argument("--out", type=Path, required=True, help="index folder (created, or updated when it exists)")
    b.add_argument("--hop", type=float, default=None, help="window hop in seconds (default: half a window)")
    b.add_argument("--device", default=None, help="cpu, cuda, ... (default: cuda if available)")
    b.add_argument("--batch-size", type=int, default=16, help="windows per forward pass")
    b.add_argument("--no-progress", action="store_true", help="no progress bar")
    i = sub.add_parser("info", help="what an index holds")
    i.add_argument("index", type=Path)


def _build(args: argparse.Namespace) -> int:
    import flamkit
    from flamkit.inference.index import IndexFolderError, build_index

    try:
        det = flamkit.load(args.checkpoint, device=args.device, batch_size=args.batch_size)
        print(f"flamkit index build: {det.checkpoint_choice.describe()}", file=sys.stderr)
        report = build_index(args.audio_dir, args.out, det, hop=args.hop, progress=not args.no_progress)
    except (IndexFolderError, FileNotFoundError, ValueError, RuntimeError) as exc:
        print(f"flamkit index build: {exc}", file=sys.stderr)
        return 2
    print(f"flamkit index build: {args.out}: {report.summary()}", file=sys.stderr)
    if report.failed:
        print(f"flamkit index build: {len(report.failed)} file(s) could not be indexed:", file=sys.stderr)
        for f, msg in report.failed:
            print(f"  {f}: {msg}", file=sys.stderr)
        return 1
    return 0


def _info(args: argparse.Namespace) -> int:
    from flamkit.inference.index import FrameIndex, IndexFolderError

    try:
        index = FrameIndex.open(args.index)
    except IndexFolderError as exc:
        print(f"flamkit index info: {exc}", file=sys.stderr)
        return 2
    hours = sum(e.duration for e in index.files.values()) / 3600
    print(json.dumps({
        "root": str(index.root), "files": len(index.files), "hours": round(hours, 3), "frames": index.live_rows,
        "dead_rows": index.total_rows - index.live_rows, "frame_seconds": index.frame_seconds,
        "hop_seconds": index.meta["hop_seconds"], "embed_dim": index.embed_dim, "model": index.meta["model"],
        "change_key": index.meta["change_key"],
    }, indent=1))
    return 0


ACTIONS = {"build": _build, "info": _info}


def run(args: argparse.Namespace) -> int:
    return ACTIONS[args.action](args)
