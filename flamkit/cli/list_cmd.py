"""``flamkit list [--json]``: every registry, its names, and where each name comes from."""

from __future__ import annotations

import argparse
import json

import flamkit.components  # noqa: F401  (every core component: the list shows every kind)
from flamkit import plugins
from flamkit.registry import REGISTRIES


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--plugin", action="append", default=[], help="also import this module (in-repo plugin)")


def collect(extra_modules: list[str] = ()) -> dict:
    loaded = plugins.discover(extra_modules)
    return {
        "registries": {
            kind: [
                {"name": e.name, "source": e.source, "module": e.module, "summary": e.summary}
                for e in reg.entries()
            ]
            for kind, reg in REGISTRIES.items()
        },
        "plugins": [{"name": p.name, "target": p.target, "distribution": p.distribution} for p in loaded],
    }


def run(args: argparse.Namespace) -> int:
    data = collect(args.plugin)
    if args.json:
        print(json.dumps(data, indent=2))
        return 0
    for kind, entries in data["registries"].items():
        print(f"{kind} ({len(entries)})")
        width = max((len(e["name"]) for e in entries), default=0)
        for e in entries:
            print(f"  {e['name']:<{width}}  [{e['source']}]  {e['summary']}")
    if data["plugins"]:
        print("plugins: " + ", ".join(f"{p['name']} ({p['distribution'] or 'config'})" for p in data["plugins"]))
    return 0
