"""``flamkit eval checkpoint=RUN_OR_CHECKPOINT eval=NAME [LABEL.KEY=VALUE ...]``: evaluate on registered tasks.

Writes ``metrics.json``, ``metrics.md`` and PNG plots to ``<run>/eval/<NAME>/`` (or ``--out``) and
the same scalars and figures to the run's TensorBoard at the checkpoint's step. Without ``eval=``
the run's own config ``eval:`` section is used.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from omegaconf import OmegaConf


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("args", nargs="*", help="checkpoint=RUN_OR_CHECKPOINT, eval=NAME and LABEL.KEY=VALUE overrides")
    parser.add_argument("--out", type=Path, default=None, help="output folder (default: <run>/eval/<NAME>)")
    parser.add_argument("--device", default="auto", help="auto (cuda if available), cpu, cuda, cuda:N")
    parser.add_argument("--batch-size", type=int, default=16, help="clip windows per forward pass")
    parser.add_argument("--workers", type=int, default=0, help="CPU worker processes for audio encoding (CPU only)")
    parser.add_argument("--loader-threads", type=int, default=2, help="threads decoding audio files ahead of the model")
    parser.add_argument("--no-tensorboard", action="store_true", help="do not write to the run's TensorBoard")


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
    import torch

    from flamkit.config.compose import ConfigError
    from flamkit.eval.configs import apply_overrides, list_eval_configs, load_eval_config
    from flamkit.eval.inference import AudioLoadError
    from flamkit.eval.metrics.ground_truth import GroundTruthError
    from flamkit.eval.runner import build_tasks, metrics_document, markdown, run_tasks, write_outputs
    from flamkit.eval.tasks.base import EvalContext, EvalInputError
    from flamkit.inference.loading import load_checkpoint_model, run_dir_of
    from flamkit.train.checkpoint import resolve_checkpoint
    from flamkit.train.rundir import git_commit

    def fail(msg: str) -> int:
        print(f"flamkit eval: {msg}", file=sys.stderr)
        return 2

    checkpoint, name, overrides = _split(args.args)
    if not checkpoint:
        return fail("name what to evaluate: checkpoint=RUN_DIR (or its checkpoints/ folder, or a ckpt-<step> folder)")
    try:
        folder = resolve_checkpoint(checkpoint)
        run_dir = run_dir_of(folder)
        if name:
            eval_cfg, cfg_path = load_eval_config(name, overrides)
            name = cfg_path.stem  # eval=path/to/x.yaml writes to eval/x
        else:
            section = OmegaConf.load(run_dir / "config.yaml").get("eval") if run_dir else None
            if not section:
                return fail(f"name an eval config: eval=NAME (available: {', '.join(list_eval_configs())}); "
                            f"{'the run config has no eval: section' if run_dir else 'the checkpoint is not inside a run folder'}")
            eval_cfg, cfg_path, name = apply_overrides(section, overrides), run_dir / "config.yaml", "config"
        tasks = build_tasks(eval_cfg)
    except (ConfigError, EvalInputError, FileNotFoundError) as exc:
        return fail(str(exc))
    out_dir = args.out or (run_dir / "eval" / name if run_dir else None)
    if out_dir is None:
        return fail(f"checkpoint {folder} is not inside a run folder: give --out DIR for the results")

    device = ("cuda" if torch.cuda.is_available() else "cpu") if args.device == "auto" else args.device
    if args.workers > 1 and not str(device).startswith("cpu"):
        return fail(f"--workers {args.workers} runs CPU processes; on {device} leave it at 0 (batches run on the GPU)")
    try:
        loaded = load_checkpoint_model(folder, device)
    except (ValueError, FileNotFoundError) as exc:
        return fail(str(exc))
    print(f"evaluating {loaded.checkpoint} (step {loaded.step}) on {device} with eval config {cfg_path}")
    ctx = EvalContext(
        loaded.model, batch_size=args.batch_size, workers=args.workers, loader_threads=args.loader_threads,
        log=lambda m: print(m, flush=True),
    )
    try:
        results = run_tasks(tasks, ctx)
    except (EvalInputError, GroundTruthError, AudioLoadError) as exc:
        return fail(str(exc))
    header = {
        "eval": name,
        "eval_config_file": str(cfg_path),
        "checkpoint": str(loaded.checkpoint),
        "step": loaded.step,
        "run": str(run_dir) if run_dir else None,
        "device": str(device),
        "inference": {"batch_size": args.batch_size, "workers": args.workers},
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "flamkit": git_commit(),
    }
    doc = metrics_document(results, header, eval_cfg)
    tb = None
    if run_dir is not None and not args.no_tensorboard:
        from flamkit.train.tb import TBLogger

        tb = TBLogger(run_dir / "tb")
    try:
        write_outputs(results, doc, Path(out_dir), tb, loaded.step, tb_prefix=f"eval/{name}")
    finally:
        if tb is not None:
            tb.close()
    print(markdown(doc))
    print(f"results in {out_dir}" + (f"; TensorBoard: {run_dir / 'tb'} (eval/{name}/..., step {loaded.step})" if tb else ""))
    return 0
