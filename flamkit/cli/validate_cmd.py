"""``flamkit validate experiment=NAME [overrides]``: compose, check every component, build nothing."""

from __future__ import annotations

import argparse
import sys

from omegaconf import OmegaConf

from flamkit.config.compose import ConfigError, compose, split_experiment_arg
from flamkit.config.validate import validate


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("overrides", nargs="*", help="experiment=NAME and Hydra overrides (key=value, group=option)")
    parser.add_argument("--print", action="store_true", help="print the resolved config")


def run(args: argparse.Namespace) -> int:
    try:
        name, overrides = split_experiment_arg(args.overrides)
        cfg = compose(name, overrides)
        validate(cfg)
    except ConfigError as exc:
        print(f"flamkit validate: {exc}", file=sys.stderr)
        return 2
    if args.print:
        print(OmegaConf.to_yaml(cfg))
    print(f"ok: experiment {name!r} is valid ({len(overrides)} override(s))")
    return 0
