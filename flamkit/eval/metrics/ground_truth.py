"""Strong-label ground truth: reading DCASE-style TSVs and making them safe to score.

Ground truth is held the way sed_scores_eval takes it: ``{filename: [(onset, offset, label), ...]}``
in seconds. A file listed with no events (a DCASE row with empty onset/offset/label) maps to ``[]``.

sed_scores_eval rejects overlapping or touching events of one class in one file and classes without
any event; real annotation files contain both. :func:`sanitize_ground_truth` repairs what can be
repaired, excludes what cannot be scored, and records every change in a
:class:`GroundTruthReport`, so nothing is dropped silently.
"""

from __future__ import annotations

import csv
import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

Event = tuple[float, float, str]
GroundTruth = dict[str, list[Event]]

# Column names accepted for each field, in order of preference. The first set is DCASE; the second
# is AudioSet-strong (segment_id, start_time_seconds, end_time_seconds, label[, present]).
_COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "filename": ("filename", "segment_id", "file", "audio_id", "filepath"),
    "onset": ("onset", "start_time_seconds", "start", "onset_s"),
    "offset": ("offset", "end_time_seconds", "end", "offset_s"),
    "event_label": ("event_label", "label", "event", "caption", "text"),
}
# AudioSet-strong "framed_posneg" files mark negatives with present=NOT_PRESENT: they are not events.
_PRESENT_COLUMN = "present"
_PRESENT_VALUES = {"present", "1", "true", "yes"}

MAX_EXAMPLES = 10  # examples kept per report category (counts are always complete)


class GroundTruthError(ValueError):
    """A ground-truth file that cannot be read; the message names the file and row."""


def read_strong_labels(path: str | Path) -> GroundTruth:
    """Read a strong-label TSV (``filename, onset, offset, event_label``) into ground truth.

    The header is optional: without one the first four columns are taken in DCASE order. With one,
    DCASE or AudioSet-strong column names are recognised and extra columns are ignored (an
    AudioSet-style ``present`` column keeps only PRESENT rows). A row with a filename and empty
    onset, offset and label declares a file without events. Rows are kept as written: overlaps are
    repaired later by :func:`sanitize_ground_truth`.
    """
    path = Path(path)
    if not path.is_file():
        raise GroundTruthError(f"{path}: ground-truth file not found")
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f, delimiter="\t"))
    # row numbers below are 1-based line numbers in the file
    numbered = [(i + 1, r) for i, r in enumerate(rows) if any(c.strip() for c in r)]
    if not numbered:
        raise GroundTruthError(f"{path}: file is empty; expected rows 'filename<TAB>onset<TAB>offset<TAB>event_label'")
    columns, present_col, body = _columns(path, numbered)
    gt: GroundTruth = {}
    for line, row in body:
        needed = max(columns.values())
        if len(row) <= needed:
            raise GroundTruthError(
                f"{path}:{line}: expected at least {needed + 1} tab-separated columns "
                f"(filename, onset, offset, event_label), got {len(row)}: {row!r}"
            )
        filename = row[columns["filename"]].strip()
        if not filename:
            raise GroundTruthError(f"{path}:{line}: empty filename in row {row!r}")
        if present_col is not None and row[present_col].strip().lower() not in _PRESENT_VALUES:
            gt.setdefault(filename, [])
            continue
        on_s, off_s, label = (row[columns[k]].strip() for k in ("onset", "offset", "event_label"))
        if not on_s and not off_s and not label:
            gt.setdefault(filename, [])  # a file declared without events
            continue
        if not label:
            raise GroundTruthError(f"{path}:{line}: empty event_label for file {filename!r}")
        onset = _number(path, line, "onset", on_s)
        offset = _number(path, line, "offset", off_s)
        if offset <= onset:
            raise GroundTruthError(
                f"{path}:{line}: offset {offset} <= onset {onset} for {filename!r} event {label!r}; "
                "fix or remove the row"
            )
        gt.setdefault(filename, []).append((onset, offset, label))
    return gt


def _columns(path: Path, numbered: list[tuple[int, list[str]]]):
    """Find the column index of each field; returns (columns, present column or None, data rows)."""
    first_line, first = numbered[0]
    names = [c.strip().lower() for c in first]
    looks_like_header = len(first) >= 2 and not _is_number(first[1]) and any(
        n in aliases for aliases in _COLUMN_ALIASES.values() for n in names
    )
    if not looks_like_header:
        return {"filename": 0, "onset": 1, "offset": 2, "event_label": 3}, None, numbered
    columns: dict[str, int] = {}
    for key, aliases in _COLUMN_ALIASES.items():
        for alias in aliases:
            if alias in names:
                columns[key] = names.index(alias)
                break
        else:
            raise GroundTruthError(
                f"{path}:{first_line}: header {first!r} has no column for {key!r} "
                f"(accepted names: {', '.join(aliases)})"
            )
    present = names.index(_PRESENT_COLUMN) if _PRESENT_COLUMN in names else None
    return columns, present, numbered[1:]


def _is_number(s: str) -> bool:
    try:
        float(s)
    except ValueError:
        return False
    return True


def _number(path: Path, line: int, what: str, s: str) -> float:
    try:
        v = float(s)
    except ValueError:
        raise GroundTruthError(f"{path}:{line}: {what} {s!r} is not a number") from None
    if not math.isfinite(v):
        raise GroundTruthError(f"{path}:{line}: {what} {s!r} is not finite")
    return v


def read_durations(path: str | Path) -> dict[str, float]:
    """Read a DCASE durations TSV (``filename<TAB>duration``, header optional) into {filename: seconds}."""
    path = Path(path)
    if not path.is_file():
        raise GroundTruthError(f"{path}: durations file not found")
    out: dict[str, float] = {}
    with path.open(newline="", encoding="utf-8") as f:
        for line, row in enumerate(csv.reader(f, delimiter="\t"), start=1):
            if not any(c.strip() for c in row):
                continue
            if len(row) < 2:
                raise GroundTruthError(f"{path}:{line}: expected 'filename<TAB>duration', got {row!r}")
            if line == 1 and not _is_number(row[1]):
                continue  # header
            d = _number(path, line, "duration", row[1].strip())
            if d <= 0:
                raise GroundTruthError(f"{path}:{line}: duration {d} of {row[0]!r} is not positive")
            out[row[0].strip()] = d
    return out


@dataclass
class GroundTruthReport:
    """Every change :func:`sanitize_ground_truth` made, with complete counts and a few examples."""

    n_files_in: int = 0
    n_events_in: int = 0
    n_files_out: int = 0
    n_events_out: int = 0
    n_merged: int = 0  # events removed by merging into a neighbour
    merge_examples: list[str] = field(default_factory=list)
    missing_audio_files: list[str] = field(default_factory=list)
    n_missing_audio_events: int = 0
    n_clipped: int = 0  # events cut to [0, duration]
    clip_examples: list[str] = field(default_factory=list)
    n_outside: int = 0  # events entirely outside [0, duration], excluded
    outside_examples: list[str] = field(default_factory=list)
    unknown_labels: dict[str, int] = field(default_factory=dict)  # label -> events excluded
    classes_without_ground_truth: list[str] = field(default_factory=list)
    files_without_events: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """Human-readable messages, one per kind of change (empty when nothing changed)."""
        out = []
        if self.n_merged:
            out.append(
                f"merged {self.n_merged} overlapping or touching same-class event(s) into their neighbours "
                f"(sed_scores_eval rejects them), e.g. {'; '.join(self.merge_examples[:3])}"
            )
        if self.missing_audio_files:
            out.append(
                f"excluded {len(self.missing_audio_files)} file(s) ({self.n_missing_audio_events} event rows) "
                f"whose audio is missing, e.g. {', '.join(self.missing_audio_files[:3])}"
            )
        if self.n_clipped:
            out.append(f"clipped {self.n_clipped} event(s) to the file duration, e.g. {'; '.join(self.clip_examples[:3])}")
        if self.n_outside:
            out.append(
                f"excluded {self.n_outside} event(s) lying entirely outside their file, "
                f"e.g. {'; '.join(self.outside_examples[:3])}"
            )
        if self.unknown_labels:
            n = sum(self.unknown_labels.values())
            ex = ", ".join(f"{k!r} ({v})" for k, v in list(self.unknown_labels.items())[:5])
            out.append(f"excluded {n} event(s) with {len(self.unknown_labels)} label(s) not in the class list: {ex}")
        if self.classes_without_ground_truth:
            c = self.classes_without_ground_truth
            out.append(
                f"{len(c)} class(es) have no ground-truth event and are left out of PSDS/AUROC: "
                f"{', '.join(map(repr, c[:10]))}{' ...' if len(c) > 10 else ''}"
            )
        return out

    def to_dict(self) -> dict:
        """Counts and examples for metrics.json."""
        return {
            "n_files_in": self.n_files_in,
            "n_events_in": self.n_events_in,
            "n_files_out": self.n_files_out,
            "n_events_out": self.n_events_out,
            "n_merged": self.n_merged,
            "merge_examples": self.merge_examples,
            "n_missing_audio_files": len(self.missing_audio_files),
            "n_missing_audio_events": self.n_missing_audio_events,
            "missing_audio_examples": self.missing_audio_files[:MAX_EXAMPLES],
            "n_clipped": self.n_clipped,
            "clip_examples": self.clip_examples,
            "n_outside": self.n_outside,
            "outside_examples": self.outside_examples,
            "unknown_labels": self.unknown_labels,
            "classes_without_ground_truth": self.classes_without_ground_truth,
            "n_files_without_events": len(self.files_without_events),
        }


def sanitize_ground_truth(
    ground_truth: GroundTruth,
    *,
    available_files: set[str] | None = None,
    durations: dict[str, float] | None = None,
    classes: list[str] | None = None,
) -> tuple[GroundTruth, GroundTruthReport]:
    """Make ground truth scoreable by sed_scores_eval and report every change.

    - files not in ``available_files`` (when given) are excluded with their events;
    - events are clipped to ``[0, durations[file]]`` (when given; else only to onset >= 0), and
      events entirely outside the file are excluded;
    - labels not in ``classes`` (when given) are excluded; classes with no event left are listed;
    - overlapping or touching events of one class in one file are merged into one.

    Returns the new ground truth (input untouched) and the report.
    """
    rep = GroundTruthReport(n_files_in=len(ground_truth), n_events_in=sum(len(v) for v in ground_truth.values()))
    class_set = set(classes) if classes is not None else None
    unknown: Counter[str] = Counter()
    out: GroundTruth = {}
    for filename, events in ground_truth.items():
        if available_files is not None and filename not in available_files:
            rep.missing_audio_files.append(filename)
            rep.n_missing_audio_events += len(events)
            continue
        duration = None
        if durations is not None:
            if filename not in durations:
                raise GroundTruthError(
                    f"no duration for {filename!r}: add it to the durations table (or measure it from the audio)"
                )
            duration = float(durations[filename])
        by_class: dict[str, list[tuple[float, float]]] = defaultdict(list)
        for onset, offset, label in events:
            if class_set is not None and label not in class_set:
                unknown[label] += 1
                continue
            lo, hi = max(0.0, onset), offset if duration is None else min(duration, offset)
            if hi <= lo:
                rep.n_outside += 1
                if len(rep.outside_examples) < MAX_EXAMPLES:
                    rep.outside_examples.append(f"{filename}: {label!r} [{onset}, {offset}] (duration {duration})")
                continue
            if (lo, hi) != (onset, offset):
                rep.n_clipped += 1
                if len(rep.clip_examples) < MAX_EXAMPLES:
                    rep.clip_examples.append(f"{filename}: {label!r} [{onset}, {offset}] -> [{lo}, {hi}]")
            by_class[label].append((lo, hi))
        merged_events: list[Event] = []
        for label, segs in by_class.items():
            for lo, hi, n_in in _merge(sorted(segs)):
                if n_in > 1:
                    rep.n_merged += n_in - 1
                    if len(rep.merge_examples) < MAX_EXAMPLES:
                        rep.merge_examples.append(f"{filename}: {n_in} {label!r} events -> [{lo}, {hi}]")
                merged_events.append((lo, hi, label))
        merged_events.sort(key=lambda e: (e[0], e[1], e[2]))
        out[filename] = merged_events
        if not merged_events:
            rep.files_without_events.append(filename)
    rep.unknown_labels = dict(unknown.most_common())
    present = {label for events in out.values() for _, _, label in events}
    if classes is not None:
        rep.classes_without_ground_truth = [c for c in classes if c not in present]
    rep.n_files_out = len(out)
    rep.n_events_out = sum(len(v) for v in out.values())
    return out, rep


def _merge(segs: list[tuple[float, float]]) -> list[tuple[float, float, int]]:
    """Merge sorted (onset, offset) segments that overlap or touch; returns (onset, offset, count merged)."""
    merged: list[list] = []
    for lo, hi in segs:
        if merged and lo <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], hi)
            merged[-1][2] += 1
        else:
            merged.append([lo, hi, 1])
    return [(lo, hi, n) for lo, hi, n in merged]


def event_classes(ground_truth: GroundTruth) -> list[str]:
    """Sorted labels that occur in the ground truth."""
    return sorted({label for events in ground_truth.values() for _, _, label in events})


def measure_durations(paths: dict[str, str | Path]) -> dict[str, float]:
    """{filename: duration in seconds} from the audio headers (soundfile), for files without a durations table."""
    import soundfile as sf

    out = {}
    for name, p in paths.items():
        try:
            info = sf.info(str(p))
        except RuntimeError as e:
            raise GroundTruthError(f"{p}: cannot read audio header for {name!r}: {e}") from None
        out[name] = info.frames / float(info.samplerate)
    return out
