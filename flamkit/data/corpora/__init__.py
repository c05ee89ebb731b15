"""Builders of labelled corpora from package registries, and how to build each one when it is missing."""

from __future__ import annotations

import json
import os
from pathlib import Path

# The folder name of each corpus a shipped config reads, and the command that builds it: a config
# pointing at a corpus that was never built fails with the command instead of a bare "not found".
BUILD_COMMANDS = {
    "debian-sfx": "bash ../shared/data/debian-sfx/build.sh (about 3.5 min; or set $FLAMKIT_DEBIAN_SFX to where it is)",
    "debian-extra": "python -m flamkit.data.corpora.debian_extra (about 1.5 min, after debian-sfx; "
                    "or set $FLAMKIT_DEBIAN_EXTRA to where it is)",
}


def build_hint(path: str | os.PathLike[str]) -> str | None:
    """The build command of the known corpus ``path`` lies in, if any."""
    parts = os.path.normpath(os.path.abspath(os.path.expanduser(os.fspath(path)))).split(os.sep)
    for name, command in BUILD_COMMANDS.items():
        if name in parts:
            return f"the {name} corpus is not built there: {command}"
    return None


def read_jsonl(path: str | os.PathLike[str]) -> list[dict]:
    """The rows of a JSONL manifest; a line that is not JSON is named by file and line number."""
    path = Path(path).expanduser()
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as err:
                raise ValueError(f"{path}:{n}: not a JSON object ({err}); fix or remove that row") from err
    return rows
