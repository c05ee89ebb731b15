"""``flamkit status SWEEP_OR_RUN``: each run's SLURM state, step and last metrics."""

from __future__ import annotations

import argparse
import json
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("target", help="a sweep record folder, a sweep name, or a run folder")
    parser.add_argument("--root", default="runs", help="run root holding sweeps/ (for a sweep name; default: runs)")
    parser.add_argument("--json", action="store_true", help="machine-readable output")


def run(args: argparse.Namespace) -> int:
    from flamkit.slurm.status import TargetError, collect, format_table

    try:
        record, rows = collect(args.target, args.root)
    except (TargetError, ValueError) as exc:
        print(f"flamkit status: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps({"record": str(record.folder) if record else None, "runs": [r.as_dict() for r in rows]}, indent=1))
        return 0
    if record is not None:
        launches = record.launches
        when = launches[-1]["time"] if launches else "never launched"
        print(f"sweep {record.data.get('name', record.folder.name)} ({record.folder}), last launch {when}, "
              f"cluster {record.data.get('cluster', {}).get('name', '?')}")
    print(format_table(rows))
    return 0
