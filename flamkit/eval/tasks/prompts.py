"""Class prompts for closed-set SED and zero-shot classification: a mapping file or a template."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from flamkit.eval.tasks.base import EvalInputError


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
