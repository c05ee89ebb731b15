"""``flamkit new-plugin NAME [--dir DIR]``: a plugin package skeleton that installs, registers and passes its tests.

The skeleton (templates in ``flamkit/templates/plugin``, explained file by file in docs/plugins.md)
holds an example audio encoder and loss head, their config options, an example experiment and tests.
Its names carry the plugin's name (``NAME_mel_conv``, ``NAME_dcl``) so that two lab plugins made from
the same template can be installed side by side.
"""

from __future__ import annotations

import argparse
import keyword
import re
import sys
from dataclasses import dataclass
from pathlib import Path

TEMPLATE_DIR = Path(__file__).resolve().parents[1] / "templates" / "plugin"
TEMPLATE_SUFFIX = ".tmpl"
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class PluginNames:
    """The names a plugin called ``name`` uses: entry point, distribution (pip) and Python package."""

    name: str

    @property
    def dist(self) -> str:
        return "flamkit-" + self.name.replace("_", "-")

    @property
    def package(self) -> str:
        return "flamkit_" + self.name

    def substitutions(self) -> dict[str, str]:
        return {"{{name}}": self.name, "{{dist}}": self.dist, "{{package}}": self.package}


def check_name(name: str) -> str | None:
    """Why ``name`` cannot name a plugin, or None when it can."""
    if not _NAME.match(name):
        return (f"plugin name {name!r} must be lower-case letters, digits and underscores, starting with a letter "
                "(it becomes the package flamkit_NAME and the prefix of the example components' names)")
    if keyword.iskeyword(name):
        return f"plugin name {name!r} is a Python keyword"
    return None


def render(text: str, names: PluginNames) -> str:
    for key, value in names.substitutions().items():
        text = text.replace(key, value)
    return text


def skeleton_files(names: PluginNames, template_dir: Path = TEMPLATE_DIR) -> dict[str, str]:
    """Relative path -> content of every file of the skeleton for ``names``."""
    files = {}
    for src in sorted(template_dir.rglob("*" + TEMPLATE_SUFFIX)):
        rel = render(src.relative_to(template_dir).as_posix()[: -len(TEMPLATE_SUFFIX)], names)
        files[rel] = render(src.read_text(encoding="utf-8"), names)
    if not files:
        raise FileNotFoundError(f"no plugin templates under {template_dir}; is flamkit installed with its package data?")
    return files


def create(name: str, parent: Path) -> Path:
    """Write the skeleton of plugin ``name`` into ``parent/name``; refuses to touch an existing non-empty folder."""
    problem = check_name(name)
    if problem:
        raise ValueError(problem)
    target = parent / name
    if target.exists() and any(target.iterdir()):
        raise FileExistsError(f"{target} exists and is not empty; choose another NAME or --dir")
    names = PluginNames(name)
    for rel, content in skeleton_files(names).items():
        path = target / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    return target


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", help="plugin name: lower-case identifier; makes flamkit-NAME (pip) and flamkit_NAME (import)")
    parser.add_argument("--dir", default=".", help="folder to create NAME/ in (default: the current folder; "
                        "in a flamkit checkout, plugins/ makes `make install` pick it up)")


def run(args: argparse.Namespace) -> int:
    try:
        target = create(args.name, Path(args.dir))
    except (ValueError, FileExistsError, FileNotFoundError) as exc:
        print(f"flamkit new-plugin: {exc}", file=sys.stderr)
        return 2
    names = PluginNames(args.name)
    print(f"created {names.dist} in {target}:")
    for rel in sorted(skeleton_files(names)):
        print(f"  {rel}")
    print(
        "next:\n"
        f"  pip install -e {target}            # register it with flamkit\n"
        f"  flamkit list                        # {names.name}_mel_conv and {names.name}_dcl, marked [{names.dist}]\n"
        f"  python -m pytest {target / 'tests'}\n"
        f"  cd {target} && flamkit train experiment={names.name}_example size=cpu\n"
        "then replace the examples with your components (docs/plugins.md walks through every file)"
    )
    return 0
