"""``flamkit train experiment=NAME [overrides]``: the same loop on CPU, GPU, torchrun and SLURM."""

from __future__ import annotations

import argparse
import sys

from flamkit.config.compose import ConfigError, compose, split_experiment_arg


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("overrides", nargs="*", help="experiment=NAME and Hydra overrides (key=value, group=option)")


def run(args: argparse.Namespace) -> int:
    from flamkit.train.loop import TrainingStopped, train

    try:
        name, overrides = split_experiment_arg(args.overrides)
        cfg = compose(name, overrides)
        reference = compose(name, [])
    except ConfigError as exc:
        print(f"flamkit train: {exc}", file=sys.stderr)
        return 2
    try:
        result = train(cfg, reference)
    except ConfigError as exc:
        print(f"flamkit train: {exc}", file=sys.stderr)
        return 2
    except TrainingStopped as exc:
        print(f"flamkit train: stopped: {exc}", file=sys.stderr)
        return 1
    print(f"run folder: {result.run_dir} (step {result.step})")
    return result.exit_code
