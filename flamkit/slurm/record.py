"""Sweep records: ``<run root>/sweeps/<name>-<hash>/sweep.json``, what ``status`` and ``cancel`` read.

The hash covers the points' config hashes, so launching the same sweep again finds the same record
(and the same run folders, which resume). Each launch appends to ``launches`` (job ids, time, the
command); ``logs/`` next to it holds submitit's pickles and the jobs' stdout/stderr.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from flamkit.slurm.runlog import now

RECORDS_SUBDIR = "sweeps"
FILENAME = "sweep.json"


def record_dir(run_root: Path, name: str, point_hashes: Sequence[str]) -> Path:
    digest = hashlib.sha256(",".join(point_hashes).encode()).hexdigest()[:10]
    safe = re.sub(r"[^A-Za-z0-9_.+-]", "_", name)[:60] or "sweep"
    return Path(run_root) / RECORDS_SUBDIR / f"{safe}-{digest}"


@dataclass
class SweepRecord:
    folder: Path
    data: dict[str, Any]

    @property
    def path(self) -> Path:
        return self.folder / FILENAME

    @property
    def logs(self) -> Path:
        return self.folder / "logs"

    @property
    def points(self) -> list[dict[str, Any]]:
        return list(self.data.get("points", []))

    @property
    def launches(self) -> list[dict[str, Any]]:
        return list(self.data.get("launches", []))

    def latest_job_ids(self) -> list[str]:
        """One job id per point, from the newest launch (index-aligned with ``points``)."""
        return list(self.launches[-1]["job_ids"]) if self.launches else []

    def save(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = self.folder / f".{FILENAME}.{os.getpid()}.tmp"
        tmp.write_text(json.dumps(self.data, indent=1, default=str))
        os.replace(tmp, self.path)

    def add_launch(self, job_ids: Sequence[str], command: Sequence[str]) -> None:
        self.data.setdefault("launches", []).append({"time": now(), "job_ids": list(job_ids), "command": list(command)})

    def add_cancel(self, job_ids: Sequence[str]) -> None:
        self.data.setdefault("cancels", []).append({"time": now(), "job_ids": list(job_ids)})

    @classmethod
    def load(cls, folder: Path) -> "SweepRecord":
        path = Path(folder) / FILENAME
        try:
            return cls(Path(folder), json.loads(path.read_text()))
        except (OSError, json.JSONDecodeError) as exc:
            raise ValueError(f"cannot read sweep record {path}: {exc}") from exc


def find_records(run_root: Path, name: str) -> list[Path]:
    """Record folders of sweep ``name`` (``<name>-<hash>``), newest first."""
    base = Path(run_root) / RECORDS_SUBDIR
    if not base.is_dir():
        return []
    found = [p for p in base.iterdir() if (p / FILENAME).is_file() and (p.name == name or p.name.rsplit("-", 1)[0] == name)]
    return sorted(found, key=lambda p: (p / FILENAME).stat().st_mtime, reverse=True)
