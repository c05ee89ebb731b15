"""Validate a manifest before training on it: what would be skipped, and why.

Training skips unusable items and stops once too many are skipped (``data.max_skip_ratio``); a
corpus with a wrong root folder or a batch of corrupt downloads should be caught before the job is
queued. :func:`check_manifest` reads every row, opens every file's header (cheap: no decoding) and,
with ``decode=True``, decodes every file as training would, then groups the problems by reason
(``DataError.reason``) with counts and examples.
"""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from flamkit.data.audio_io import REASONS, data_error, info, is_silent, load_audio, reason_of
from flamkit.data.manifest import ManifestError, read_manifest
from flamkit.data.source import DataError

CHECK_REASONS = {
    **REASONS,
    "malformed_row": "malformed manifest row",
}


@dataclass(frozen=True)
class Problem:
    reason: str
    where: str  # "manifest:line"
    path: str
    message: str


@dataclass
class CheckReport:
    manifest: str
    rows: int = 0  # rows in the file, malformed ones included
    checked: int = 0  # rows that passed the kind filter
    problems: list[Problem] = field(default_factory=list)  # rows training would skip
    warnings: list[Problem] = field(default_factory=list)  # usable but suspicious (duration mismatch)
    decoded: bool = False
    sample_rates: Counter = field(default_factory=Counter)
    channels: Counter = field(default_factory=Counter)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def usable(self) -> int:
        return self.checked - len(self.problems)

    def by_reason(self) -> dict[str, list[Problem]]:
        groups: dict[str, list[Problem]] = {}
        for p in self.problems:
            groups.setdefault(p.reason, []).append(p)
        return dict(sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])))

    def to_dict(self, examples: int = 5) -> dict[str, Any]:
        return {
            "manifest": self.manifest,
            "rows": self.rows,
            "checked": self.checked,
            "usable": self.usable,
            "decoded": self.decoded,
            "skipped": len(self.problems),
            "reasons": {
                r: {
                    "description": CHECK_REASONS.get(r, r),
                    "count": len(ps),
                    "examples": [{"where": p.where, "path": p.path, "message": p.message} for p in ps[:examples]],
                }
                for r, ps in self.by_reason().items()
            },
            "warnings": [{"reason": w.reason, "where": w.where, "path": w.path, "message": w.message} for w in self.warnings],
            "sample_rates": {str(k): v for k, v in sorted(self.sample_rates.items())},
            "channels": {str(k): v for k, v in sorted(self.channels.items())},
            "minutes": round(self.seconds / 60.0, 2),
        }

    def format(self, examples: int = 5) -> str:
        how = "headers and decoded audio" if self.decoded else "headers only; add --decode to decode every file"
        lines = [f"{self.manifest}: {self.rows} rows, {self.checked} checked ({how})"]
        if self.ok:
            lines.append(f"ok: all {self.checked} rows usable")
        else:
            lines.append(f"{len(self.problems)} row(s) would be skipped, {self.usable} usable:")
            for reason, ps in self.by_reason().items():
                lines.append(f"  {reason} ({CHECK_REASONS.get(reason, reason)}): {len(ps)}")
                lines.extend(f"    {p.where}: {p.message}" for p in ps[:examples])
                if len(ps) > examples:
                    lines.append(f"    ... and {len(ps) - examples} more")
        if self.warnings:
            lines.append(f"{len(self.warnings)} warning(s) (usable, but check them):")
            lines.extend(f"  {w.where}: {w.message}" for w in self.warnings[:examples])
            if len(self.warnings) > examples:
                lines.append(f"  ... and {len(self.warnings) - examples} more")
        rates = ", ".join(f"{k} Hz x{v}" for k, v in sorted(self.sample_rates.items()))
        chans = ", ".join(f"{k} ch x{v}" for k, v in sorted(self.channels.items()))
        lines.append(f"readable: {rates or 'none'}; {chans or 'none'}; {self.seconds / 60.0:.1f} min")
        return "\n".join(lines)


def _check_file(
    path: str, where: str, declared: Any, decode: bool, silence_db: float, duration_tolerance: float
) -> tuple[Problem | None, Problem | None, Any]:
    """(problem, warning, header) for one file."""
    warning = None
    try:
        meta = info(path)
        if declared not in (None, "") and abs(float(declared) - meta.duration) > duration_tolerance + 0.01 * meta.duration:
            warning = Problem("duration_mismatch", where, path, f"{path}: manifest says duration_s={float(declared):.3f}, "
                              f"the file holds {meta.duration:.3f} s")
        if decode:
            audio = load_audio(path, meta.sample_rate)
            if is_silent(audio, silence_db):
                raise data_error(path, "silent", f"all-silent audio (peak below {silence_db} dBFS)")
        elif meta.frames == 0:
            raise data_error(path, "zero_length", "zero-length audio (no samples)")
    except DataError as exc:
        return Problem(reason_of(exc), where, path, str(exc)), warning, None
    return None, warning, meta


def check_manifest(
    path: str,
    *,
    decode: bool = False,
    path_column: str = "path",
    root: str | None = None,
    kind: str | None = None,
    silence_db: float = -90.0,
    duration_tolerance: float = 0.1,
    workers: int = 1,
) -> CheckReport:
    """Check every row of a JSONL/CSV manifest; the report lists what training would skip.

    Malformed rows are reported with their line; each file is opened (header only) and, with
    ``decode``, decoded in full and checked for NaN/inf, truncation and silence. A ``duration_s``
    column that disagrees with the file by more than ``duration_tolerance`` s (+1 %) is a warning:
    the row is usable, but it usually means the manifest points at the wrong files. ``kind`` checks only rows of that
    kind. A manifest that cannot be read at all raises :class:`ManifestError`.
    """
    table = read_manifest(path, check_files=False, strict=False, path_key=path_column, root=root)
    report = CheckReport(manifest=str(path), decoded=decode)
    report.problems.extend(Problem("malformed_row", f"{p.file}:{p.line}", "", p.message) for p in table.problems)
    rows = [r for r in table.rows if kind is None or r.get("kind") == kind]
    report.rows = len(table.rows) + len(table.problems)
    report.checked = len(rows) + len(table.problems)
    jobs = [(r["path"], r["_where"], r.get("duration_s", r.get("duration"))) for r in rows]

    def run(job: tuple[str, str, Any]) -> tuple[Problem | None, Problem | None, Any]:
        return _check_file(*job, decode=decode, silence_db=silence_db, duration_tolerance=duration_tolerance)

    if workers > 1:
        with ThreadPoolExecutor(int(workers)) as pool:  # libsndfile and soxr release the GIL
            results = list(pool.map(run, jobs))
    else:
        results = [run(j) for j in jobs]
    for problem, warning, meta in results:
        if problem is not None:
            report.problems.append(problem)
        if warning is not None:
            report.warnings.append(warning)
        if meta is not None:
            report.sample_rates[meta.sample_rate] += 1
            report.channels[meta.channels] += 1
            report.seconds += meta.duration
    return report


__all__ = ["CheckReport", "Problem", "check_manifest", "ManifestError", "CHECK_REASONS"]
