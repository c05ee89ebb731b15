"""The ``flamkit`` command: one sub-command per module in this package.

Sub-commands are looked up in :data:`COMMANDS` (name -> "module:function"), imported only when used,
so ``flamkit list`` does not pay for the training stack. Each command module exposes
``add_arguments(parser)`` and ``run(args) -> int``.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys
from typing import Sequence

COMMANDS: dict[str, tuple[str, str]] = {
    "list": ("flamkit.cli.list_cmd", "show the registries, their names and where each comes from"),
    "validate": ("flamkit.cli.validate_cmd", "compose an experiment and check every component against its signature"),
    "train": ("flamkit.cli.train_cmd", "train an experiment (CPU, GPU, torchrun or SLURM task)"),
    "quickstart": ("flamkit.cli.quickstart_cmd", "FLAM-Global vs FLAM vs an ablation on the embedded data, report and detection"),
    "study": ("flamkit.cli.study_cmd", "train a study's models in order, evaluate each, write a report that checks its claims"),
    "data": ("flamkit.cli.data_cmd", "synthesize mixtures and check manifests"),
    "eval": ("flamkit.cli.eval_cmd", "evaluate a run or checkpoint on registered tasks"),
    "compare": ("flamkit.cli.compare_cmd", "one table across runs, marking the best value per metric"),
    "detect": ("flamkit.cli.detect_cmd", "find when described sounds happen in recordings"),
    "index": ("flamkit.cli.index_cmd", "precompute frame embeddings of an audio collection"),
    "search": ("flamkit.cli.search_cmd", "search an index with a text query"),
    "launch": ("flamkit.cli.launch_cmd", "submit an experiment or sweep as a SLURM job array"),
    "status": ("flamkit.cli.status_cmd", "state, step and last metrics of launched runs"),
    "cancel": ("flamkit.cli.cancel_cmd", "cancel launched runs"),
    "new-plugin": ("flamkit.cli.new_plugin_cmd", "create a plugin package skeleton with a passing test"),
}


def _available() -> dict[str, tuple[str, str]]:
    return {name: spec for name, spec in COMMANDS.items() if importlib.util.find_spec(spec[0]) is not None}


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    commands = _available()
    parser = argparse.ArgumentParser(prog="flamkit", description="FLAM research framework")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module, help_text) in commands.items():
        sub.add_parser(name, help=help_text, add_help=False)
    if not argv or argv[0] in ("-h", "--help"):
        parser.print_help()
        return 0
    name = argv[0]
    if name not in commands:
        parser.error(f"unknown command {name!r}; choose from: {', '.join(commands)}")
    from flamkit.plugins import PluginError

    module = importlib.import_module(commands[name][0])
    cmd_parser = argparse.ArgumentParser(prog=f"flamkit {name}", description=commands[name][1])
    module.add_arguments(cmd_parser)
    args = cmd_parser.parse_args(argv[1:])
    try:
        return int(module.run(args) or 0)
    except PluginError as exc:
        print(f"flamkit {name}: {exc}", file=sys.stderr)
        return 2

