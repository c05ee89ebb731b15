"""SED evaluation sets: audio files with a DCASE strong-label TSV, or a registered data source's examples.

Either way the result is a :class:`SedSet`: the clips to encode, sanitized ground truth with exactly
those clips as keys, each clip's duration, and messages saying what was repaired or left out
(:func:`~flamkit.eval.metrics.ground_truth.sanitize_ground_truth` does the repairs and counts them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from flamkit.data.build import build_source
from flamkit.data.source import DataError
from flamkit.eval.inference import AudioClip
from flamkit.eval.metrics.ground_truth import (
    GroundTruth,
    GroundTruthReport,
    measure_durations,
    read_durations,
    read_strong_labels,
    sanitize_ground_truth,
)
from flamkit.eval.tasks.base import EvalInputError

AUDIO_EXTENSIONS = (".wav", ".flac", ".ogg", ".mp3", ".aiff", ".aif")


@dataclass
class SedSet:
    clips: list[AudioClip]
    ground_truth: GroundTruth  # keys == clip keys, in clip order
    durations: dict[str, float]
    report: GroundTruthReport
    messages: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)  # counts for metrics.json


def _audio_files(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.suffix.lower() in AUDIO_EXTENSIONS and p.is_file()}


def sed_set_from_files(
    audio_dir: str | Path,
    ground_truth: str | Path,
    durations: str | Path | None = None,
    classes: list[str] | None = None,
) -> SedSet:
    """Clips named in the ground-truth TSV (or the durations TSV) found under ``audio_dir``.

    - files in the TSV whose audio is missing are excluded with their events (reported);
    - files in the durations TSV without ground-truth rows are clips without events (reported);
    - audio files under ``audio_dir`` named in neither table are not scored (reported with the fix);
    - durations come from the durations TSV, else from the audio headers;
    - overlapping/touching same-class events are merged, labels outside ``classes`` excluded,
      classes without events listed (all reported, see ``sanitize_ground_truth``).
    """
    folder = Path(audio_dir).expanduser()
    if not folder.is_dir():
        raise EvalInputError(f"audio_dir {folder} is not a folder")
    gt_raw = read_strong_labels(ground_truth)
    messages: list[str] = []
    table = read_durations(durations) if durations else {}
    only_in_durations = [f for f in table if f not in gt_raw]
    for f in only_in_durations:
        gt_raw[f] = []
    if only_in_durations:
        messages.append(
            f"{len(only_in_durations)} file(s) of the durations table have no ground-truth rows: scored as clips "
            f"without events, e.g. {', '.join(only_in_durations[:3])}"
        )
    available = {f for f in gt_raw if (folder / f).is_file()}
    unlisted = sorted(_audio_files(folder) - set(gt_raw))
    if unlisted:
        messages.append(
            f"{len(unlisted)} audio file(s) under {folder} are not in the ground truth and are not scored, "
            f"e.g. {', '.join(unlisted[:3])} (to score them as clips without events, add rows "
            "'filename<TAB><TAB><TAB>' to the TSV)"
        )
    measured_for = [f for f in available if f not in table]
    if table and measured_for:
        messages.append(
            f"{len(measured_for)} file(s) missing from the durations table {durations}: durations read from their audio, "
            f"e.g. {', '.join(sorted(measured_for)[:3])}"
        )
    durs = {f: table[f] for f in available if f in table}
    durs.update(measure_durations({f: folder / f for f in measured_for}))
    gt, report = sanitize_ground_truth(gt_raw, available_files=available, durations=durs, classes=classes)
    messages = report.lines() + messages
    if not gt:
        raise EvalInputError(
            f"no clip of {ground_truth} has its audio under {folder} ({report.n_files_in} file(s) listed); "
            "check audio_dir (file names in the TSV are relative to it)"
        )
    clips = [AudioClip(f, path=str(folder / f)) for f in gt]
    extra = {"n_unlisted_audio_files": len(unlisted), "unlisted_audio_examples": unlisted[:10]}
    return SedSet(clips, gt, {f: durs[f] for f in gt}, report, messages, extra)


def sed_set_from_source(
    node: dict[str, Any],
    path: str,
    sample_rate: int,
    clip_seconds: float,
    max_clips: int | None,
    seed: int,
    classes: list[str] | None = None,
) -> SedSet:
    """The first ``max_clips`` examples of a registered data source, drawn reproducibly.

    Example ``i`` is drawn with ``numpy.random.default_rng([seed, 7919, i])`` (as the training
    loop's validation does), so every evaluation of every checkpoint sees the same clips. Events
    are the examples' own (text, segments); nothing is written to disk. Items the source cannot
    produce (:class:`~flamkit.data.source.DataError`) are skipped and reported.
    """
    source = build_source(node, path, sample_rate, clip_seconds)
    n = len(source) if max_clips is None else min(int(max_clips), len(source))
    if n == 0:
        raise EvalInputError(f"{path}: data source {node.get('name')!r} has no examples")
    clips: list[AudioClip] = []
    gt_raw: GroundTruth = {}
    durs: dict[str, float] = {}
    skipped: list[str] = []
    renamed = 0
    for i in range(n):
        try:
            ex = source.get(i, np.random.default_rng([seed, 7919, i]))
        except DataError as exc:
            skipped.append(f"item {i}: {exc}")
            continue
        key = ex.key or f"{getattr(source, 'name', 'source')}:{i}"
        if key in gt_raw:
            key, renamed = f"{key}#{i}", renamed + 1
        clips.append(AudioClip(key, audio=np.asarray(ex.audio, dtype=np.float32), sample_rate=int(ex.sample_rate)))
        gt_raw[key] = [(float(on), float(off), ev.text) for ev in ex.events for on, off in ev.segments]
        durs[key] = ex.duration
    messages = []
    if skipped:
        messages.append(f"skipped {len(skipped)} item(s) the source could not produce: {'; '.join(skipped[:3])}")
    if renamed:
        messages.append(f"{renamed} example(s) repeated an earlier key and were renamed KEY#INDEX")
    if not clips:
        raise EvalInputError(f"{path}: every one of the {n} drawn item(s) failed: {'; '.join(skipped[:3])}")
    gt, report = sanitize_ground_truth(gt_raw, durations=durs, classes=classes)
    messages = report.lines() + messages
    extra = {"n_source_items_drawn": n, "n_source_items_skipped": len(skipped), "source_skip_examples": skipped[:10]}
    return SedSet(clips, gt, durs, report, messages, extra)
