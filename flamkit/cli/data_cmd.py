"""``flamkit data check MANIFEST`` and ``flamkit data synth --events EV --backgrounds BG --n N --out DIR``.

``check`` reports what training would skip in a manifest and why (exit status 1 when anything
would be skipped, so scripts can gate on it). ``synth`` renders mixtures to sharded FLAC with
DCASE-TSV labels and a manifest through the same synthesizer that training uses on the fly.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Callable

SUBCOMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {}


def _check(args: argparse.Namespace) -> int:
    from flamkit.data.check import check_manifest
    from flamkit.data.manifest import ManifestError

    try:
        report = check_manifest(
            args.manifest,
            decode=args.decode,
            path_column=args.path_column,
            root=args.root,
            kind=args.kind,
            silence_db=args.silence_db,
            workers=args.workers,
        )
    except ManifestError as exc:
        print(f"flamkit data check: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(report.to_dict(args.examples), indent=2) if args.json else report.format(args.examples))
    return 0 if report.ok else 1


def _synth(args: argparse.Namespace) -> int:
    from flamkit.data.manifest import ManifestError
    from flamkit.data.synth.render import RenderError, render_dataset

    try:
        overrides = json.loads(args.synth) if args.synth else None
    except json.JSONDecodeError as exc:
        print(f"flamkit data synth: --synth is not JSON ({exc}); e.g. --synth '{{\"max_events\": 5}}'", file=sys.stderr)
        return 2
    if overrides is not None and not isinstance(overrides, dict):
        print("flamkit data synth: --synth must be a JSON object of SynthConfig fields", file=sys.stderr)
        return 2
    try:
        summary = render_dataset(
            args.events,
            args.backgrounds,
            args.n,
            args.out,
            seed=args.seed,
            sample_rate=args.sample_rate,
            duration=args.duration,
            shard_size=args.shard_size,
            workers=args.workers,
            general_events=args.general_events,
            config=overrides,
            progress=not args.quiet,
        )
    except (RenderError, ManifestError, ValueError) as exc:
        print(f"flamkit data synth: {exc}", file=sys.stderr)
        return 2
    print(
        f"{summary['complete']} mixtures in {summary['out']} ({summary['rendered']} rendered now, "
        f"{summary['already_done']} already there, {len(summary['failed'])} failed) in {summary['seconds']} s; "
        f"labels.tsv has {summary['label_rows']} rows"
    )
    return 0


SUBCOMMANDS.update({"check": _check, "synth": _synth})


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="data_command", metavar="SUBCOMMAND", required=True)
    check = sub.add_parser("check", help="report what training would skip in a manifest, and why")
    check.add_argument("manifest", help="JSONL or CSV manifest")
    check.add_argument("--decode", action="store_true", help="decode every file (finds NaN, truncation, silence)")
    check.add_argument("--json", action="store_true", help="print the report as JSON")
    check.add_argument("--kind", default=None, help="check only rows with this kind (event, background)")
    check.add_argument("--path-column", default="path", help="column holding the audio path (default: path)")
    check.add_argument("--root", default=None, help="folder for relative paths (default: the manifest's folder)")
    check.add_argument("--silence-db", type=float, default=-90.0, help="peak level below which audio is silent")
    check.add_argument("--workers", type=int, default=1, help="threads checking files in parallel")
    check.add_argument("--examples", type=int, default=5, help="examples listed per reason")

    synth = sub.add_parser("synth", help="render mixtures to sharded FLAC + DCASE TSV + manifest (resumable)")
    synth.add_argument("--events", required=True, help="events manifest (JSONL/CSV)")
    synth.add_argument("--backgrounds", required=True, help="backgrounds manifest (JSONL/CSV)")
    synth.add_argument("--n", type=int, required=True, help="number of mixtures")
    synth.add_argument("--out", required=True, help="output folder (re-running resumes)")
    synth.add_argument("--seed", type=int, default=0)
    synth.add_argument("--sample-rate", type=int, default=48000)
    synth.add_argument("--workers", type=int, default=1)
    synth.add_argument("--shard-size", type=int, default=1000, help="mixtures per shard folder")
    synth.add_argument("--duration", type=float, default=10.0, help="seconds per mixture")
    synth.add_argument("--general-events", default=None, help="manifest of the 20%% general-audio event pool")
    synth.add_argument("--synth", default=None, metavar="JSON",
                       help='SynthConfig overrides as a JSON object, e.g. \'{"max_events": 5, "balance_texts": true}\'')
    synth.add_argument("--quiet", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    return SUBCOMMANDS[args.data_command](args)
