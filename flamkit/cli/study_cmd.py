"""``flamkit study NAME [OVERRIDES...]``: train a study's stages in order, evaluate each, write its report.

    flamkit study quickstart                  # = the training and report part of `make quickstart`
    flamkit study debian_sfx                  # the same three models on real sounds (docs/results.md)
    flamkit study debian_sfx seed=1 run.root=/scratch/runs
    flamkit study debian_sfx --seeds 0,1,2    # once per seed; mean ± sd and claims per seed in seeds.md

Overrides apply to every stage. Finished stages are found by their config hash and only
re-evaluated; an interrupted stage resumes. The report is ``<run.root>/studies/<NAME>/report.md``.
"""

from __future__ import annotations

import argparse
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", nargs="?", help="a study in experiments/studies/ (or a path to a study YAML)")
    parser.add_argument("overrides", nargs="*", help="Hydra overrides applied to every stage (e.g. seed=1)")
    parser.add_argument("--skip-train", action="store_true", help="evaluate and report finished runs; train nothing")
    parser.add_argument("--eval", action="append", default=[], metavar="LABEL.KEY=VALUE",
                        help="override the evaluation config (repeatable), e.g. --eval dev.max_clips=500")
    parser.add_argument("--examples", type=int, default=None, help="example clips plotted (default: the study's)")
    parser.add_argument("--seeds", default=None, metavar="0,1,2",
                        help="run the study once per seed (seed=S on every stage) and report mean ± sd and each "
                             "claim per seed in studies/NAME/seeds.md; each seed's report in studies/NAME/seed-S/")
    parser.add_argument("--list", action="store_true", help="list the studies and exit")


def run(args: argparse.Namespace) -> int:
    from flamkit.config.compose import ConfigError
    from flamkit.study.report import write_report
    from flamkit.study.runner import run_study
    from flamkit.study.spec import list_studies, load_study

    if args.list or not args.name:
        print("\n".join(list_studies()))
        return 0 if args.list else 2
    try:
        spec = load_study(args.name)
        if args.seeds is not None:
            return run_seeds(spec, args)
        result = run_study(spec, args.overrides, skip_train=args.skip_train, eval_overrides=args.eval)
    except (ConfigError, RuntimeError, ValueError) as exc:
        print(f"flamkit study: {exc}", file=sys.stderr)
        return 2
    path = write_report(result, examples=args.examples)
    print_summary(result, path)
    return 0


def run_seeds(spec, args: argparse.Namespace) -> int:
    """The study once per seed, each with its own report, then the report over the seeds."""
    from flamkit.study.report import write_report
    from flamkit.study.runner import run_study
    from flamkit.study.seeds import parse_seeds, seed_report_dir, write_seed_report

    seeds = parse_seeds(args.seeds)
    if any(o.split("=", 1)[0].lstrip("+~") == "seed" for o in args.overrides):
        raise ValueError("--seeds sets seed=S on every stage; drop the seed= override")
    results = {}
    for n, seed in enumerate(seeds, 1):
        print(f"\n==== seed {seed} ({n} of {len(seeds)})")
        result = run_study(spec, [*args.overrides, f"seed={seed}"], skip_train=args.skip_train, eval_overrides=args.eval)
        path = write_report(result, examples=args.examples, folder=seed_report_dir(result, seed))
        print_summary(result, path)
        results[seed] = result
    path = write_seed_report(results)
    print(f"\n{path.read_text()}\nover seeds:   {path}")
    return 0


def print_summary(result, path) -> None:
    from flamkit.study.report import markdown_table, outcomes, table_rows

    print(f"\n== {result.spec.name}: {result.spec.eval} ({result.spec.mode} scores), final checkpoints\n")
    print(markdown_table(*table_rows(result)))
    for task in result.spec.also_tasks:
        print(f"\n{task}:\n" + markdown_table(*table_rows(result, task)))
    for o in outcomes(result):
        print(f"{'holds        ' if o.holds else 'DOES NOT HOLD'}  {o.statement}")
    print(f"\nreport:       {path}")
