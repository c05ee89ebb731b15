"""``flamkit launch experiment=NAME [sweep=NAME] [cluster=NAME] [cluster.KEY=V] [overrides] [--dry-run]``.

Validates every point of the sweep, then submits one SLURM job array (one task per point) and
returns at once with the job ids and run folders. Grid syntax multiplies points: ``seed=0,1,2``.
"""

from __future__ import annotations

import argparse
import sys

from omegaconf import OmegaConf


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("overrides", nargs="*",
                        help="experiment=NAME, sweep=NAME, cluster=NAME, cluster.KEY=VALUE and config overrides "
                             "(key=value; key=a,b,c sweeps over values)")
    parser.add_argument("--dry-run", action="store_true", help="print the sbatch script and resolved configs; submit nothing")


def run(args: argparse.Namespace) -> int:
    import flamkit.components  # noqa: F401  (every sweep point is validated against every core component)
    from flamkit.config.compose import ConfigError
    from flamkit.slurm import jobs
    from flamkit.slurm.clusters import ClusterError
    from flamkit.slurm.submit import launch, prepare
    from flamkit.slurm.sweeps import parse_launch_args, short_labels
    from submitit.core.utils import FailedJobError, FailedSubmissionError

    try:
        prep = prepare(parse_launch_args(args.overrides))
    except (ConfigError, ClusterError) as exc:
        print(f"flamkit launch: {exc}", file=sys.stderr)
        return 2
    n = len(prep.points)
    for w in prep.warnings:
        print(f"flamkit launch: warning: {w}", file=sys.stderr)
    if args.dry_run:
        print(f"# sbatch script ({n} point(s), cluster {prep.profile.name} from {', '.join(prep.profile.source)})")
        print(prep.script())
        for p in prep.points:
            print(f"\n# ---- point {p.index}: {p.point.label}\n# run folder: {p.run_dir}\n# config hash: {p.config_hash}")
            print(OmegaConf.to_yaml(p.cfg, resolve=True), end="")
        print(f"\n# dry run: nothing submitted; the sweep record would be {prep.record.folder}")
        return 0
    try:
        job_ids = launch(prep, ["flamkit", "launch", *args.overrides])
    except ConfigError as exc:
        print(f"flamkit launch: {exc}", file=sys.stderr)
        return 2
    except (jobs.SlurmCommandError, FailedJobError, FailedSubmissionError) as exc:  # SLURM's own words
        print(f"flamkit launch: submission failed: {exc}", file=sys.stderr)
        return 1
    array = jobs.base_id(job_ids[0])
    kind = f"array job {array}" if n > 1 else f"job {array}"
    print(f"submitted {prep.request.name}: {n} run(s) as {kind} on cluster {prep.profile.name} "
          f"({prep.profile.array_parallelism} at a time, {prep.profile.world_size} rank(s) each)")
    width = max(len(j) for j in job_ids)
    labels = short_labels([p.point for p in prep.points])
    lw = max(len(label) for label in labels)
    for p, jid, label in zip(prep.points, job_ids, labels):
        print(f"  {jid.ljust(width)}  {label.ljust(lw)}  {p.run_dir}")
    print(f"record: {prep.record.folder}\n"
          f"follow: flamkit status {prep.record.folder}    logs: {prep.record.logs}\n"
          f"cancel: flamkit cancel {prep.record.folder}    view:  tensorboard --logdir {prep.points[0].cfg.run.root}")
    return 0
