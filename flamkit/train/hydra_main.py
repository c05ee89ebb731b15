"""``flamkit train`` as a ``@hydra.main`` application, for Hydra users and Hydra's launchers.

    python -m flamkit.train.hydra_main --config-name quickstart train.max_steps=100
    python -m flamkit.train.hydra_main --config-name flam -m seed=0,1,2 hydra/launcher=submitit_slurm \\
        hydra.launcher.partition=gpu hydra.launcher.gpus_per_node=8 hydra.launcher.tasks_per_node=8

The config path is the experiments folder and the config name the experiment, so every override
``flamkit train`` takes works here, plus Hydra's own (``-m`` multiruns, launchers, sweepers). Each job
runs the same :func:`flamkit.train.loop.train` through :class:`flamkit.slurm.task.TrainTask`: under
``hydra/launcher=submitit_slurm`` each task gets its torch.distributed environment from SLURM, and a
run that stops on SIGUSR2 checkpoints and requeues itself exactly as under ``flamkit launch``.
``flamkit launch`` is the lab's tool (validates first, returns at once, status/cancel); this entry
point exists so that Hydra-based workflows reach the same training code. See docs/slurm.md.
"""

from __future__ import annotations

import sys
from typing import Any, Callable

from omegaconf import DictConfig, OmegaConf

TrainFn = Callable[[DictConfig, "DictConfig | None"], Any]


def _prepare_argv(argv: list[str]) -> list[str]:
    """Add flamkit's config groups (and plugins') to Hydra's search path, as compose() does."""
    from flamkit.config.compose import _search_path

    if any(a.startswith("hydra.searchpath=") for a in argv[1:]):
        return argv
    return [*argv, "hydra.searchpath=[" + ",".join(_search_path()) + "]"]  # overrides go after the options


def _reference(experiment: str) -> DictConfig:
    """The experiment without overrides (the run folder's name is the delta to it), composed inside
    the running Hydra app: flamkit's ``compose()`` would reset the GlobalHydra a multirun relies on."""
    from hydra import compose as hydra_compose
    from hydra.core.global_hydra import GlobalHydra

    from flamkit.config.compose import _search_path, compose

    if not GlobalHydra.instance().is_initialized():
        return compose(experiment, [])
    ref = hydra_compose(config_name=experiment, overrides=["hydra.searchpath=[" + ",".join(_search_path()) + "]"])
    OmegaConf.resolve(ref)
    return ref


def make_main(train_fn: TrainFn | None = None) -> Callable[[], Any]:
    """The ``@hydra.main`` entry; ``train_fn`` replaces :func:`flamkit.train.loop.train` (tests)."""
    import hydra
    from hydra.core.hydra_config import HydraConfig

    from flamkit import plugins
    from flamkit.config.compose import ConfigError, experiments_dir, list_experiments
    from flamkit.config.schema import register_schema

    plugins.discover()
    register_schema()

    @hydra.main(version_base="1.3", config_path=str(experiments_dir()), config_name=None)
    def _train(cfg: DictConfig) -> Any:
        from flamkit.slurm.task import TrainTask

        if "experiment" not in cfg:
            raise ConfigError("pass an experiment: --config-name NAME (a file in experiments/, without .yaml)")
        extra = list(cfg.get("plugins") or [])
        if extra:
            plugins.discover(extra)
        OmegaConf.resolve(cfg)
        return TrainTask(cfg, _reference(HydraConfig.get().job.config_name), train_fn=train_fn)()

    def main() -> Any:
        args = sys.argv[1:]
        named = any(a in ("--config-name", "-cn") or a.startswith(("--config-name=", "-cn=")) for a in args)
        if not named and not any(a in ("-h", "--help", "--hydra-help", "--version") for a in args):
            raise SystemExit(f"flamkit.train.hydra_main: pass an experiment: --config-name NAME "
                             f"(one of: {', '.join(list_experiments())})")
        sys.argv = _prepare_argv(list(sys.argv))
        return _train()

    return main


if __name__ == "__main__":
    make_main()()
