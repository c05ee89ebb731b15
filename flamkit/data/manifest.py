"""Read JSONL or CSV manifests of audio files, reporting every bad row by file and line.

A manifest is one row per audio file with at least a ``path`` column; everything else (``caption``,
``label``, ``tags``, ``kind``, ``duration_s`` ...) is passed through. This is the form the
``../shared/data/debian-sfx`` build writes (path, label, source_package, license, duration_s,
kind=event|background, pool=train|dev, original_path, sha1) and the form of AudioCaps/Clotho style
corpora. Relative paths are resolved against the manifest's folder (or ``root``), so a rendered
dataset can move. Corpora that name the path column otherwise (Clotho: ``file_name``) pass
``path_key``.

Each returned row is a dict with two extra keys: ``_where`` ("file:line", for later error messages,
e.g. when the audio turns out to be undecodable) and ``path``, the absolute audio path.
"""

from __future__ import annotations

import csv
import json
import math
import os
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator

from flamkit.data.corpora import build_hint

KINDS = ("event", "background", "mixture")  # mixture: rows of a rendered dataset (render_dataset)
NUMERIC = ("duration_s", "duration")


class ManifestError(ValueError):
    """A manifest with problems; the message lists them as ``file:line: what``."""


@dataclass(frozen=True)
class ManifestProblem:
    file: str
    line: int  # 1-based line in the file (for CSV, the header is line 1)
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


@dataclass
class Manifest:
    path: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    problems: list[ManifestProblem] = field(default_factory=list)

    def raise_if_problems(self, limit: int = 20) -> None:
        if self.problems:
            raise ManifestError(format_problems(self.problems, limit))


def format_problems(problems: list[ManifestProblem], limit: int = 20) -> str:
    head = "\n".join(f"  {p}" for p in problems[:limit])
    more = f"\n  ... and {len(problems) - limit} more" if len(problems) > limit else ""
    files = sorted({p.file for p in problems})
    return (
        f"{len(problems)} bad manifest row(s) in {', '.join(files)}:\n{head}{more}\n"
        "Fix or remove these rows (or read with strict=False to skip them)."
    )


def _rows_jsonl(path: str) -> Iterator[tuple[int, Any, str | None]]:
    with open(path, encoding="utf-8") as f:
        for line_no, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                yield line_no, json.loads(line), None
            except json.JSONDecodeError as exc:
                yield line_no, None, f"invalid JSON ({exc.msg} at column {exc.colno})"


def _rows_csv(path: str, path_key: str = "path") -> Iterator[tuple[int, Any, str | None]]:
    with open(path, encoding="utf-8", newline="") as f:
        delimiter = "\t" if path.lower().endswith(".tsv") else ","
        reader = csv.reader(f, delimiter=delimiter)
        try:
            header = next(reader)
        except StopIteration:
            return
        header = [h.strip() for h in header]
        if path_key not in header:
            yield 1, None, f"header has no {path_key!r} column (columns: {', '.join(header) or 'none'})"
            return
        line_no = reader.line_num
        for values in reader:
            start, line_no = line_no + 1, reader.line_num
            if not any(v.strip() for v in values):
                continue
            if len(values) != len(header):
                yield start, None, f"{len(values)} fields, the header has {len(header)}"
                continue
            yield start, dict(zip(header, values)), None


def _check_row(row: Any, base: str, required: Iterable[str], check_files: bool, path_key: str = "path") -> str | None:
    if not isinstance(row, dict):
        return f"expected a JSON object, got {type(row).__name__}"
    for key in required:
        value = row.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            return f"missing required column {key!r}"
    path = row.get(path_key)
    if not isinstance(path, str) or not path.strip():
        return f"{path_key!r} must be a non-empty string, got {path!r}"
    path = os.path.expanduser(path.strip())
    row["path"] = path if os.path.isabs(path) else os.path.normpath(os.path.join(base, path))
    for key in NUMERIC:
        if key in row and row[key] not in (None, ""):
            try:
                value = float(row[key])
            except (TypeError, ValueError):
                return f"{key}={row[key]!r} is not a number"
            if not math.isfinite(value) or value < 0:
                return f"{key}={row[key]!r} must be a finite non-negative number"
            row[key] = value
    kind = row.get("kind")
    if kind not in (None, "") and kind not in KINDS:
        return f"kind={kind!r} must be one of {', '.join(KINDS)}"
    if check_files and not os.path.isfile(row["path"]):
        return f"audio file not found: {row['path']}"
    return None


def read_manifest(
    path: str,
    *,
    required: Iterable[str] = ("path",),
    check_files: bool = True,
    strict: bool = True,
    path_key: str = "path",
    root: str | None = None,
) -> Manifest:
    """Rows of a ``.jsonl``/``.json`` (one object per line) or ``.csv``/``.tsv`` (header row) manifest.

    ``strict=True`` raises :class:`ManifestError` listing every bad row (malformed, missing a required
    column, a non-numeric duration, an unknown ``kind``, or, with ``check_files``, a missing audio
    file). ``strict=False`` skips those rows and returns them in ``Manifest.problems``.
    ``path_key`` names the column holding the audio path (its value is also stored as ``path``);
    ``root`` is the folder relative paths start from (default: the manifest's folder).
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        hint = build_hint(path)
        raise ManifestError(f"{path}: manifest not found" + (f"; {hint}" if hint else ""))
    base = os.path.abspath(os.path.expanduser(root)) if root else os.path.dirname(os.path.abspath(path))
    lower = path.lower()
    if lower.endswith((".jsonl", ".json", ".ndjson")):
        source = _rows_jsonl(path)
    elif lower.endswith((".csv", ".tsv")):
        source = _rows_csv(path, path_key)
    else:
        raise ManifestError(f"{path}: unknown manifest format (expected .jsonl or .csv)")
    required = tuple(path_key if k == "path" else k for k in required)
    out = Manifest(path)
    try:
        for line, row, error in source:
            error = error or _check_row(row, base, required, check_files, path_key)
            if error:
                out.problems.append(ManifestProblem(path, line, error))
                continue
            row["_where"] = f"{path}:{line}"
            out.rows.append(row)
    except UnicodeDecodeError as exc:
        out.problems.append(ManifestProblem(path, 0, f"not UTF-8 text ({exc.reason})"))
    if strict:
        out.raise_if_problems()
    return out
