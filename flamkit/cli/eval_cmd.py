"""``flamkit eval checkpoint=RUN_OR_CHECKPOINT eval=NAME [LABEL.KEY=VALUE ...]``: evaluate on registered tasks.

A run folder means its final checkpoint (:func:`flamkit.checkpoints.choose_checkpoint`); the choice is
printed first. Writes ``metrics.json``, ``metrics.md`` and PNG plots to ``<run>/eval/<NAME>/`` (or ``--out``) and
the same scalars and figures to the run's TensorBoard at the checkpoint's step. Without ``eval=``
the run's own config ``eval:`` section is used.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("args", nargs="*", help="checkpoint=RUN_OR_CHECKPOINT, eval=NAME and LABEL.KEY=VALUE overrides")
    parser.add_argument("--out", type=Path, default=None, help="output folder (default: <run>/eval/<NAME>)")
    parser.add_argument("--device", default="auto", help="auto (cuda if available), cpu, cuda, cuda:N")
    parser.add_argument("--batch-size", type=int, default=16, help="clip windows per forward pass")
    parser.add_argument("--workers", type=int, default=0, help="CPU worker processes for audio encoding (CPU only)")
    parser.add_argument("--loader-threads", type=int, default=2, help="threads decoding audio files ahead of the model")
    parser.add_argument("--no-tensorboard", action="store_true", help="do not write to the run's TensorBoard")
    parser.add_argument("--query-expansion", default=None, metavar="SPEC",
                        help="expand each query toward the training descriptions nearest it: 'default' "
                             "(k=20,tau=0.1,weight=0.5) or KEY=VALUE pairs (docs/evaluation.md)")


def _split(args: list[str]) -> tuple[str | None, str | None, list[str]]:
    checkpoint, name, rest = None, None, []
    for a in args:
        if a.startswith("checkpoint="):
            checkpoint = a.split("=", 1)[1]
        elif a.startswith("eval="):
            name = a.split("=", 1)[1]
        else:
            rest.append(a)
    return checkpoint, name, rest


def run(args: argparse.Namespace) -> int:
    from flamkit.eval.checkpoint_eval import EvalRunError, evaluate_checkpoint
    from flamkit.eval.runner import markdown
    from flamkit.models.query_expansion import QueryExpansion
    from flamkit.train.tb import TBLogger

    checkpoint, name, overrides = _split(args.args)
    if not checkpoint:
        print("flamkit eval: name what to evaluate: checkpoint=RUN_DIR (or its checkpoints/ folder, or a ckpt-<step> folder)",
              file=sys.stderr)
        return 2
    try:
        expansion = QueryExpansion.parse(args.query_expansion, "--query-expansion")
    except ValueError as exc:
        print(f"flamkit eval: {exc}", file=sys.stderr)
        return 2
    try:
        done = evaluate_checkpoint(
            checkpoint, name, overrides, out=args.out, device=args.device, batch_size=args.batch_size,
            workers=args.workers, loader_threads=args.loader_threads,
            tensorboard=None if args.no_tensorboard else TBLogger, echo=lambda m: print(m, flush=True),
            query_expansion=expansion,
        )
    except EvalRunError as exc:
        print(f"flamkit eval: {exc}", file=sys.stderr)
        return 2
    print(markdown(done.doc))
    name = done.doc["eval"]
    step = done.loaded.step
    print(f"results in {done.out_dir}" + (f"; TensorBoard: {done.tensorboard} (eval/{name}/..., step {step})" if done.tensorboard else ""))
    return 0
