"""``flamkit cancel SWEEP_OR_RUN``: scancel the jobs of a sweep or a run that are still queued or running.

A cancelled run keeps its checkpoints (its loop checkpoints on the SIGTERM if SLURM's KillWait
allows) and is not requeued; ``flamkit launch`` with the same command resumes it later.
"""

from __future__ import annotations

import argparse
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("target", help="a sweep record folder, a sweep name, or a run folder")
    parser.add_argument("--root", default="runs", help="run root holding sweeps/ (for a sweep name; default: runs)")


def run(args: argparse.Namespace) -> int:
    from flamkit.slurm.jobs import SlurmCommandError
    from flamkit.slurm.status import TargetError, cancel

    try:
        cancelled = cancel(args.target, args.root)
    except (TargetError, ValueError) as exc:
        print(f"flamkit cancel: {exc}", file=sys.stderr)
        return 2
    except SlurmCommandError as exc:
        print(f"flamkit cancel: {exc}", file=sys.stderr)
        return 1
    if cancelled:
        print("cancelled: " + " ".join(cancelled))
    else:
        print("nothing to cancel: no job of this target is queued or running")
    return 0
