"""Closed-set strong labels (DCASE TSV) as an SED source: AudioSet-strong, DESED, UrbanSED, MAESTRO.

The TSV has one row per labelled segment: ``filename, onset, offset, event_label`` (seconds).
A file's rows become one :class:`~flamkit.data.example.Event` per class (segments merged), with the
class name as text, so the frame-wise loss sees closed-set labels as descriptions like any other
(§4: FLAM trains on these alongside the synthetic mixtures). Frame labels come later, for the
model's L, from the segments.
"""

from __future__ import annotations

import csv
import os
from collections import Counter
from dataclasses import dataclass

import numpy as np

from flamkit.data.audio_io import crop_or_pad, data_error, is_silent, load_audio, shift_segments
from flamkit.data.example import Event, Example
from flamkit.data.sources.missing import MissingPolicy, apply_missing_policy
from flamkit.registry import DATA_SOURCES

# Header names used by the corpora that ship strong labels, mapped to the DCASE names.
COLUMN_ALIASES = {
    "filename": "filename",
    "file": "filename",
    "segment_id": "filename",
    "onset": "onset",
    "start_time_seconds": "onset",
    "offset": "offset",
    "end_time_seconds": "offset",
    "event_label": "event_label",
    "label": "event_label",
}
COLUMNS = ("filename", "onset", "offset", "event_label")


class StrongLabelError(ValueError):
    """A malformed strong-label TSV; the message lists ``file:line: what``."""


@dataclass(frozen=True)
class StrongFile:
    filename: str
    events: tuple[tuple[float, float, str], ...]  # (onset, offset, class label)
    where: str  # "tsv:line" of its first row


def default_class_text(label: str) -> str:
    """'Alarm_bell_ringing' -> 'alarm bell ringing'."""
    return " ".join(label.replace("_", " ").split()).lower()


def read_strong_tsv(path: str) -> list[StrongFile]:
    """Files of a DCASE strong-label TSV in first-appearance order; every bad row reported at once.

    Rows with empty onset, offset and label name a file without events (DESED writes these).
    """
    if not os.path.isfile(path):
        raise StrongLabelError(f"{path}: strong-label TSV not found")
    problems: list[str] = []
    files: dict[str, list[tuple[float, float, str]]] = {}
    first_line: dict[str, int] = {}
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f, delimiter="\t"))
    if not rows:
        raise StrongLabelError(f"{path}: empty file; expected a header 'filename onset offset event_label'")
    header = [COLUMN_ALIASES.get(h.strip().lower(), h.strip().lower()) for h in rows[0]]
    if all(c in header for c in COLUMNS):
        index = {c: header.index(c) for c in COLUMNS}
        body, start = rows[1:], 2
    elif len(rows[0]) == 4 and rows[0][1].strip().replace(".", "", 1).isdigit():
        index = {c: i for i, c in enumerate(COLUMNS)}  # headerless DCASE order
        body, start = rows, 1
    else:
        raise StrongLabelError(
            f"{path}:1: header {rows[0]!r} lacks {', '.join(c for c in COLUMNS if c not in header)}; "
            "expected the DCASE columns filename, onset, offset, event_label"
        )
    width = max(index.values()) + 1
    for line, row in enumerate(body, start):
        if not any(v.strip() for v in row):
            continue
        if len(row) < width:
            problems.append(f"{path}:{line}: {len(row)} field(s), expected at least {width} (tab-separated)")
            continue
        name = row[index["filename"]].strip()
        on, off, lab = (row[index[c]].strip() for c in ("onset", "offset", "event_label"))
        if not name:
            problems.append(f"{path}:{line}: empty filename")
            continue
        files.setdefault(name, [])
        first_line.setdefault(name, line)
        if not on and not off and not lab:
            continue
        try:
            onset, offset = float(on), float(off)
        except ValueError:
            problems.append(f"{path}:{line}: onset {on!r} / offset {off!r} are not numbers")
            continue
        if not (np.isfinite(onset) and np.isfinite(offset)) or onset < 0 or offset <= onset:
            problems.append(f"{path}:{line}: need 0 <= onset < offset, got onset={onset}, offset={offset}")
            continue
        if not lab:
            problems.append(f"{path}:{line}: empty event_label")
            continue
        files[name].append((onset, offset, lab))
    if problems:
        listed = "\n  ".join(problems[:20]) + (f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else "")
        raise StrongLabelError(f"{len(problems)} bad row(s) in {path}:\n  {listed}")
    return [StrongFile(n, tuple(ev), f"{path}:{first_line[n]}") for n, ev in files.items()]


@DATA_SOURCES.register("sed_strong")
class SedStrongSource:
    """Closed-set strong labels (DCASE TSV + audio folder); class names become the event texts.

    Each item is one audio file at ``sample_rate``, mono, randomly cropped (or padded) to
    ``clip_seconds`` with its events shifted and clipped to the window. ``class_names`` maps a
    label to its text; labels it does not list get :func:`default_class_text`.
    """

    def __init__(
        self,
        labels: str,
        audio_dir: str,
        sample_rate: int,
        clip_seconds: float = 10.0,
        class_names: dict[str, str] | None = None,
        missing: MissingPolicy = "error",
        silence_db: float = -90.0,
        name: str = "sed_strong",
    ) -> None:
        self.name = name
        self.tsv = os.path.expanduser(labels)
        self.audio_dir = os.path.expanduser(audio_dir)
        self.sample_rate = int(sample_rate)
        self.clip_samples = int(round(float(clip_seconds) * self.sample_rate))
        self.silence_db = float(silence_db)
        self.class_names = dict(class_names or {})
        files = read_strong_tsv(self.tsv)
        paths = [self._path(f.filename) for f in files]
        self.files, self.missing = apply_missing_policy(
            files, paths, [f.where for f in files], missing, f"sed_strong {self.tsv}"
        )
        if not self.files:
            raise StrongLabelError(f"{self.tsv}: no usable files (audio folder {self.audio_dir})")
        # Balance on each clip's rarest class: clips with rare classes are drawn as often as common ones.
        counts = Counter(lab for f in self.files for lab in {e[2] for e in f.events})
        self._labels = [min({e[2] for e in f.events}, key=lambda c: (counts[c], c)) if f.events else "" for f in self.files]

    def _path(self, filename: str) -> str:
        return filename if os.path.isabs(filename) else os.path.join(self.audio_dir, filename)

    def text(self, label: str) -> str:
        return self.class_names.get(label) or default_class_text(label)

    def __len__(self) -> int:
        return len(self.files)

    def labels(self) -> list[str]:
        return list(self._labels)

    def get(self, index: int, rng: np.random.Generator) -> Example:
        f = self.files[index]
        path = self._path(f.filename)
        audio = load_audio(path, self.sample_rate)
        if is_silent(audio, self.silence_db):
            raise data_error(path, "silent", f"all-silent audio (peak below {self.silence_db} dBFS) but labelled ({f.where})")
        audio, offset = crop_or_pad(audio, self.clip_samples, rng)
        duration = self.clip_samples / self.sample_rate
        by_class: dict[str, list[tuple[float, float]]] = {}
        for onset, off, lab in f.events:
            by_class.setdefault(lab, []).append((onset, off))
        events = []
        for lab, segs in by_class.items():
            kept = shift_segments(sorted(segs), offset / self.sample_rate, duration)
            if kept:
                events.append(Event(self.text(lab), kept))
        return Example(audio, self.sample_rate, key=path, source=self.name, events=events)
