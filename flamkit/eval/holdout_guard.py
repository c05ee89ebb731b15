"""Refuse to score a model's "held-out" labels when it was trained on them.

Why: ``eval=debian_sfx_holdout`` scores the labels that ``holdout: {fraction, seed, part: holdout}``
picks from a manifest. A model trained with another split (``data.holdout.seed=1``), or on every
label of that manifest, has heard part of that set, and its numbers would look better than they
are, with nothing in the output to say so. Before any audio is read, each task's held-out source is
compared with the training sources of the run (its saved ``config.yaml``) that read the same
manifest: their ``fraction`` and ``seed`` must agree, and such a source must hold labels out.

Sets of labels that are unseen by construction (``eval=debian_sfx_dev``, ``eval=debian_extra_new``)
come from *other* manifests than training, so the check above cannot see a run that trained on them
(``data=debian_sfx_plus`` holds every label of ``eval=debian_extra_new``). An eval config lists such
tasks under ``_unseen: [task, ...]``; for each, the labels of its events manifest are compared with
the event labels every training source of the run reads (after its own hold-out), and any shared
label refuses the evaluation. Held-out tasks get the same label comparison, so a run whose training
manifest is a superset of the held-out task's (``train_plus.jsonl`` holds every row of debian-sfx
``train.jsonl``) is caught too. The label comparison needs the manifests on disk; a missing one is
left to the build that reads it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from flamkit.config.checks import eval_task_items, is_disabled
from flamkit.data.label_holdout import label_holdout
from flamkit.data.manifest import read_manifest

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


def _held_out_sources(eval_cfg: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any], Mapping[str, Any]]]:
    """(task, source, holdout) of each task whose source holds labels out (``holdout: {part: holdout}``)."""
    for label, task in eval_task_items(eval_cfg):
        source = task.get("source") if isinstance(task, Mapping) else None
        held = source.get("holdout") if isinstance(source, Mapping) else None
        if isinstance(held, Mapping) and held.get("part") == "holdout":
            yield label, source, held


def holdout_conflicts(eval_cfg: Mapping[str, Any], run_cfg: Mapping[str, Any], run: str) -> list[str]:
    """One message per eval task whose held-out labels the run may have trained on (empty: none)."""
    problems = []
    for label, source, held in _held_out_sources(eval_cfg):
        if "fraction" not in held:
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


def _event_labels(source: Mapping[str, Any], where: str) -> set[str]:
    """Casefolded labels of the event rows of every manifest ``source`` reads, after its hold-out.

    A manifest that does not exist yet gives none: the source's own build reports it when it runs.
    """
    holdout = source.get("holdout")
    keep = label_holdout(holdout, f"{where}.holdout") if isinstance(holdout, Mapping) else None
    labels: set[str] = set()
    for manifest in sorted(_manifests(source)):
        if not os.path.isfile(manifest):
            continue
        for row in read_manifest(manifest, required=("label",), check_files=False, strict=False).rows:
            label = str(row.get("label") or "").strip()
            if label and row.get("kind", "event") == "event" and (keep is None or keep.keeps(label)):
                labels.add(label.casefold())
    return labels


def unseen_conflicts(eval_cfg: Mapping[str, Any], run_cfg: Mapping[str, Any], run: str,
                     also: Sequence[str] = ()) -> list[str]:
    """One message per task listed in ``_unseen`` (or in ``also``) whose labels the run trained on."""
    listed = eval_cfg.get("_unseen") or []
    if isinstance(listed, str) or not isinstance(listed, (list, tuple)):
        return [f"_unseen must be a list of task names, got {listed!r}"]
    tasks = dict(eval_task_items(eval_cfg))
    problems, trained = [], None
    for label in dict.fromkeys([*listed, *also]):
        task = tasks.get(label)
        source = task.get("source") if isinstance(task, Mapping) else None
        if not isinstance(source, Mapping):
            problems.append(f"_unseen lists {label!r}, which is not a task with a source (tasks: {sorted(tasks)})")
            continue
        wanted = _event_labels(source, f"eval.{label}.source")
        if trained is None:
            trained = {key: _event_labels(src, key) for key, src in _training_sources(run_cfg)}
        for key, labels in trained.items():
            shared = sorted(wanted & labels)
            if shared:
                split = " (or, if it trained with another data.holdout split, score that split: _holdout.seed=N)" \
                    if isinstance(source.get("holdout"), Mapping) else ""
                problems.append(
                    f"task {label!r} scores labels never trained on, but run {run} trained on {len(shared)} of them "
                    f"({key}: {', '.join(repr(x) for x in shared[:5])}{', ...' if len(shared) > 5 else ''}): "
                    f"its numbers would not measure unseen sounds. Score a run that did not train on them{split}"
                )
                break
    return problems


def eval_conflicts(eval_cfg: Mapping[str, Any], run_cfg: Mapping[str, Any], run: str) -> list[str]:
    """Every check: held-out splits of a shared manifest (with the override that fixes them), then the
    labels themselves, for ``_unseen`` tasks and for held-out tasks whose training manifest differs
    (``data=debian_sfx_plus`` reads a superset of the manifest ``eval=debian_sfx_holdout`` splits)."""
    return holdout_conflicts(eval_cfg, run_cfg, run) or unseen_conflicts(
        eval_cfg, run_cfg, run, also=[label for label, _, _ in _held_out_sources(eval_cfg)])
