"""``flamkit detect CHECKPOINT AUDIO... --query TEXT``: when do the described sounds happen?

Events go to ``--out`` (DCASE TSV or JSON, by extension) or, without it, as TSV to stdout; ``--plot``
draws the paper's Fig. 2 for each file (several files: one figure each, the file's stem appended to
the name). A file that cannot be read is reported and skipped; the others are still processed, and
the command exits with status 1 after a summary of the failures.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

from flamkit.inference.index import AUDIO_EXTENSIONS

EXIT_FAILED_FILES = 1
EXIT_USAGE = 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("checkpoint", help="run folder, its checkpoints/ folder or a ckpt-<step> folder")
    parser.add_argument("audio", nargs="+", help="audio files (any format libsndfile reads) or folders of them")
    parser.add_argument("-q", "--query", action="append", required=True, help="a sound to find (repeat for several)")
    parser.add_argument("--threshold", type=float, default=0.5, help="frame probability above which a frame is active")
    parser.add_argument("--out", type=Path, help="events file: .tsv (DCASE) or .json; default: TSV on stdout")
    parser.add_argument("--plot", type=Path, help="figure path (.png, .pdf, .svg); one per file for several files")
    parser.add_argument("--mode", default="unbiased", choices=["unbiased", "approximate"], help="frame scoring (docs/losses.md)")
    parser.add_argument("--median", type=int, default=3, help="median filter width in frames (1: none)")
    parser.add_argument("--min-duration", type=float, default=0.0, help="drop events shorter than this (s)")
    parser.add_argument("--hop", type=float, default=None, help="window hop in seconds (default: half a window)")
    parser.add_argument("--device", default=None, help="cpu, cuda, cuda:1 (default: cuda if available)")
    parser.add_argument("--batch-size", type=int, default=16, help="windows per forward pass")
    parser.add_argument("--query-expansion", default=None, metavar="SPEC",
                        help="pull each query toward the training descriptions nearest it: 'default' "
                             "(k=20,tau=0.1,weight=0.5) or KEY=VALUE pairs; needs the run folder (docs/detection.md)")


def _expand(paths: list[str]) -> list[str]:
    """Files as given; folders replaced by the audio files under them (sorted)."""
    out = []
    for p in paths:
        path = Path(p)
        if path.is_dir():
            out += sorted(str(f) for f in path.rglob("*") if f.is_file() and f.suffix.lower() in AUDIO_EXTENSIONS)
        else:
            out.append(p)
    return out


def plot_paths(plot: Path, files: list[str]) -> dict[str, Path]:
    """``out.png`` for one file; ``out_<stem>.png`` for each of several (``_2``, ``_3`` on repeated stems)."""
    if len(files) == 1:
        return {files[0]: plot}
    taken: dict[str, int] = {}
    out = {}
    for f in files:
        stem = Path(f).stem
        taken[stem] = taken.get(stem, 0) + 1
        suffix = stem if taken[stem] == 1 else f"{stem}_{taken[stem]}"
        out[f] = plot.with_name(f"{plot.stem}_{suffix}{plot.suffix}")
    return out


def _write_events(path: Path | None, events, failed) -> None:
    from flamkit.inference import events as ev

    writers = {".tsv": lambda: ev.write_tsv(events, path), ".json": lambda: ev.write_json(events, path, failed)}
    if path is None:
        sys.stdout.write(ev.format_tsv(events))
        return
    writers[path.suffix.lower()]()


def _save_figure(result, path: Path, title: str, threshold: float) -> None:
    import matplotlib.pyplot as plt

    from flamkit.inference.plot import detection_figure

    fp = result.probabilities
    fig = detection_figure(
        result.spectrogram, result.sample_rate, fp.duration, fp.probs, fp.queries, fp.frame_seconds,
        result.events, threshold, title,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def run(args: argparse.Namespace) -> int:
    if args.out is not None and args.out.suffix.lower() not in (".tsv", ".json"):
        print(f"flamkit detect: --out must end in .tsv or .json; got {args.out}", file=sys.stderr)
        return EXIT_USAGE
    files = _expand(args.audio)
    if not files:
        print("flamkit detect: no audio files found in the given folders", file=sys.stderr)
        return EXIT_USAGE

    import flamkit
    from flamkit.data.source import DataError
    from flamkit.inference.detector import check_options
    from flamkit.models.query_expansion import QueryExpansion

    try:
        check_options(args.threshold, args.min_duration, args.median, args.mode)
        expansion = QueryExpansion.parse(args.query_expansion, "--query-expansion")
        det = flamkit.load(args.checkpoint, device=args.device, batch_size=args.batch_size, query_expansion=expansion)
        print(f"flamkit detect: {det.checkpoint_choice.describe()}", file=sys.stderr)
        if expansion is not None:
            print(f"flamkit detect: queries expanded ({expansion.describe()}) toward the descriptions the model trained on",
                  file=sys.stderr)
        det.embed_text(args.query)  # an empty query is an error before any audio is read
        det.plan(args.hop)
    except (ValueError, FileNotFoundError, RuntimeError) as exc:  # RuntimeError: e.g. --device cuda without CUDA
        print(f"flamkit detect: {exc}", file=sys.stderr)
        return EXIT_USAGE
    plots = plot_paths(args.plot, files) if args.plot else {}
    events, failed = [], []
    audio_seconds, start = 0.0, time.perf_counter()
    for f in files:
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                result = det.run(
                    f, args.query, threshold=args.threshold, min_duration=args.min_duration, median=args.median,
                    mode=args.mode, hop=args.hop, spectrogram=f in plots,
                )
            for w in caught:
                print(f"flamkit detect: warning: {w.message}", file=sys.stderr)
        except (DataError, OSError, ValueError) as exc:  # unreadable or unusable file: report, go on
            failed.append((f, str(exc)))
            print(f"flamkit detect: {f}: skipped: {exc}", file=sys.stderr)
            continue
        events += result.events
        audio_seconds += result.probabilities.duration
        if f in plots:
            _save_figure(result, plots[f], f, args.threshold)
    _write_events(args.out, events, failed)
    wall = time.perf_counter() - start
    print(
        f"flamkit detect: {len(files) - len(failed)} of {len(files)} files, {audio_seconds:.1f} s of audio in "
        f"{wall:.1f} s ({audio_seconds / max(wall, 1e-9):.0f}x real time), {len(events)} events"
        + (f" -> {args.out}" if args.out else ""),
        file=sys.stderr,
    )
    if failed:
        print(f"flamkit detect: {len(failed)} file(s) could not be processed:", file=sys.stderr)
        for f, msg in failed:
            print(f"  {f}: {msg}", file=sys.stderr)
        return EXIT_FAILED_FILES
    return 0
