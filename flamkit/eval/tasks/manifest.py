"""Reading the audio manifests of retrieval and zero-shot evaluation (JSONL, CSV or TSV).

A stop-gap reader, small on purpose: :mod:`flamkit.data.manifest` (written for the data sources)
will replace it. Rows are dicts with ``_where`` ("file:line") added; audio paths are resolved
against ``audio_dir`` or, by default, the manifest's folder. Audio that is missing is not an error
here: the tasks exclude those rows and report them.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from flamkit.eval.tasks.base import EvalInputError


def read_rows(path: str | Path) -> list[dict[str, Any]]:
    """Rows of a ``.jsonl`` (one JSON object per line) or ``.csv``/``.tsv`` (header row) file."""
    path = Path(path)
    if not path.is_file():
        raise EvalInputError(f"{path}: manifest not found")
    suffix = path.suffix.lower()
    rows: list[dict[str, Any]] = []
    if suffix in (".jsonl", ".json", ".ndjson"):
        with path.open(encoding="utf-8") as f:
            for line_no, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise EvalInputError(f"{path}:{line_no}: invalid JSON ({exc.msg} at column {exc.colno})") from None
                if not isinstance(row, dict):
                    raise EvalInputError(f"{path}:{line_no}: expected a JSON object, got {type(row).__name__}")
                row["_where"] = f"{path}:{line_no}"
                rows.append(row)
    elif suffix in (".csv", ".tsv"):
        with path.open(encoding="utf-8", newline="") as f:
            reader = csv.reader(f, delimiter="\t" if suffix == ".tsv" else ",")
            header = [h.strip() for h in next(reader, [])]
            for values in reader:
                if not any(v.strip() for v in values):
                    continue
                if len(values) != len(header):
                    raise EvalInputError(f"{path}:{reader.line_num}: {len(values)} fields, the header has {len(header)}")
                row = {k: v.strip() for k, v in zip(header, values)}
                row["_where"] = f"{path}:{reader.line_num}"
                rows.append(row)
    else:
        raise EvalInputError(f"{path}: unknown manifest format {suffix!r} (expected .jsonl, .csv or .tsv)")
    if not rows:
        raise EvalInputError(f"{path}: manifest has no rows")
    return rows


def resolve_audio(row: dict[str, Any], column: str, base: Path) -> Path:
    """The row's audio path (``column``), relative paths resolved against ``base``."""
    value = row.get(column)
    if not isinstance(value, str) or not value.strip():
        raise EvalInputError(f"{row['_where']}: no audio path in column {column!r} (columns: {', '.join(k for k in row if k != '_where')})")
    p = Path(value.strip()).expanduser()
    return p if p.is_absolute() else base / p


def read_prompts(path: str | Path) -> dict[str, str]:
    """Class name -> prompt from a JSON object or a two-column TSV (``class<TAB>prompt``, no header)."""
    path = Path(path)
    if not path.is_file():
        raise EvalInputError(f"{path}: prompt mapping not found")
    if path.suffix.lower() == ".json":
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
            raise EvalInputError(f"{path}: expected a JSON object mapping class names to prompt strings")
        return {str(k): v for k, v in data.items()}
    out: dict[str, str] = {}
    with path.open(encoding="utf-8", newline="") as f:
        for line_no, row in enumerate(csv.reader(f, delimiter="\t"), 1):
            if not any(c.strip() for c in row):
                continue
            if len(row) != 2 or not row[0].strip() or not row[1].strip():
                raise EvalInputError(f"{path}:{line_no}: expected 'class<TAB>prompt', got {row!r}")
            out[row[0].strip()] = row[1].strip()
    return out


def class_prompts(classes: list[str], template: str, mapping_file: str | None) -> tuple[list[str], list[str]]:
    """(prompt per class, messages): the mapping file's prompt, else ``template.format(class)``."""
    if "{}" not in template:
        raise EvalInputError(f"prompt_template {template!r} must contain '{{}}' where the class name goes")
    mapping = read_prompts(mapping_file) if mapping_file else {}
    prompts = [mapping.get(c, template.format(c)) for c in classes]
    messages = []
    if mapping:
        unmapped = [c for c in classes if c not in mapping]
        if unmapped:
            messages.append(
                f"{len(unmapped)} class(es) not in the prompt mapping {mapping_file} use the template {template!r}: "
                f"{', '.join(map(repr, unmapped[:10]))}"
            )
    return prompts, messages
