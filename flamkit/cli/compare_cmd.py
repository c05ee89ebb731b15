"""``flamkit compare RUN_DIR... [--metrics PATTERN ...] [--eval NAME] [--out DIR]``: one table across runs.

Rows are runs; columns are the config keys in which they differ and their metrics (from
``<run>/eval/*/metrics.json``, else the last validation scalars in TensorBoard), best per metric in
bold. Prints the markdown table and writes ``compare.md`` and ``compare.csv`` to ``--out``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("runs", nargs="+", type=Path, help="run folders (runs/EXPERIMENT/RUN)")
    parser.add_argument("--metrics", nargs="*", default=None, help="metric names or fnmatch patterns (e.g. '*auroc' 'sed/unbiased/*')")
    parser.add_argument("--eval", default=None, help="only this eval config's results (<run>/eval/NAME)")
    parser.add_argument("--out", type=Path, default=Path("."), help="folder for compare.md and compare.csv (default: .)")


def run(args: argparse.Namespace) -> int:
    from flamkit.eval.compare import CompareError, build_table, load_run, to_markdown, write_csv

    try:
        runs = [load_run(r, args.eval) for r in args.runs]
    except CompareError as exc:
        print(f"flamkit compare: {exc}", file=sys.stderr)
        return 2
    table = build_table(runs, args.metrics)
    if not table.metrics:
        print("flamkit compare: no metrics found" + (f" matching {args.metrics}" if args.metrics else "")
              + "; run `flamkit eval` on the runs, or check --eval/--metrics", file=sys.stderr)
    text = to_markdown(table)
    print(text)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "compare.md").write_text(text + "\n")
    write_csv(table, args.out / "compare.csv")
    print(f"\nwritten: {args.out / 'compare.md'}, {args.out / 'compare.csv'}")
    return 0 if table.metrics else 1
