"""Refuse to score a model's "held-out" labels when it was trained on them.

Why: ``eval=debian_sfx_holdout`` scores the labels that ``holdout: {fraction, seed, part: holdout}``
picks from a manifest. A model trained with another split (``data.holdout.seed=1``), or on every
label of that manifest, has heard part of that set, and its numbers would look better than they
are, with nothing in the output to say so. Before any audio is read, each task's held-out source is
compared with the training sources of the run (its saved ``config.yaml``) that read the same
manifest: their ``fraction`` and ``seed`` must agree, and such a source must hold labels out.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from typing import Any

from flamkit.config.checks import eval_task_items, is_disabled
from flamkit.data.label_holdout import label_holdout

MANIFEST_KEYS = ("events", "manifest")


def _path(value: Any) -> str:
    return os.path.normpath(os.path.expanduser(str(value)))


def _manifests(source: Mapping[str, Any]) -> set[str]:
    return {_path(source[k]) for k in MANIFEST_KEYS if isinstance(source.get(k), str)}


def _training_sources(run_cfg: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    streams = (run_cfg.get("data") or {}).get("streams") or {}
    for stream, node in streams.items():
        for name, source in ((node or {}).get("sources") or {}).items():
            if isinstance(source, Mapping) and not is_disabled(source):
                yield f"data.streams.{stream}.sources.{name}", source


def _split(holdout: Mapping[str, Any], where: str) -> tuple[float, int]:
    parsed = label_holdout(holdout, where)  # the sources' own parsing: same defaults, same errors
    return parsed.fraction, parsed.seed


def holdout_conflicts(eval_cfg: Mapping[str, Any], run_cfg: Mapping[str, Any], run: str) -> list[str]:
    """One message per eval task whose held-out labels the run may have trained on (empty: none)."""
    problems = []
    for label, task in eval_task_items(eval_cfg):
        source = task.get("source") if isinstance(task, Mapping) else None
        held = source.get("holdout") if isinstance(source, Mapping) else None
        if not isinstance(held, Mapping) or held.get("part") != "holdout" or "fraction" not in held:
            continue
        wanted = _split(held, f"eval.{label}.source.holdout")
        for key, trained in _training_sources(run_cfg):
            shared = _manifests(source) & _manifests(trained)
            if not shared:
                continue
            manifest = sorted(shared)[0]
            spec = trained.get("holdout")
            if not isinstance(spec, Mapping) or "fraction" not in spec:
                problems.append(
                    f"task {label!r} scores labels held out of {manifest}, but run {run} trained on every label of "
                    f"it ({key} has no holdout): those labels are not unseen. Evaluate a run trained with "
                    f"data.holdout set, or use an eval config of labels it never saw (e.g. eval=debian_sfx_dev)"
                )
                break
            fraction, seed = _split(spec, f"{key}.holdout")
            if (fraction, seed) != wanted:
                where = "_holdout" if isinstance(eval_cfg.get("_holdout"), Mapping) else f"{label}.source.holdout"
                problems.append(
                    f"task {label!r} scores the labels that holdout {{fraction: {wanted[0]}, seed: {wanted[1]}}} holds out "
                    f"of {manifest}, but run {run} trained holding out {{fraction: {fraction}, seed: {seed}}} ({key}): "
                    f"part of that set was trained on. Score the run's own split: {where}.seed={seed} "
                    f"{where}.fraction={fraction} (flamkit study: --eval {where}.seed={seed} --eval {where}.fraction={fraction})"
                )
                break
    return problems
