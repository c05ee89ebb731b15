"""A frame-embedding index of an audio collection: built once, updated incrementally, searched by text.

Layout of an index folder::

    INDEX/index.json        what is indexed: model identity, frame grid, and per file its rows
    INDEX/shard-00000.f16   float16 frame embeddings, row-major [rows, d], read with np.memmap
    INDEX/text_cache/       cached text embeddings (flamkit.inference.search)

Every build appends the frames of the files it (re)processes to a new shard; each file's entry says
which shard and rows hold its ``frames`` embeddings (frame ``i`` starts at ``i * frame_seconds``; see
:meth:`~flamkit.inference.detector.Detector.embed_audio` for the overlap averaging). Rows of files
that changed or disappeared stay in their shard but are no longer referenced ("dead"); when dead rows
exceed ``compact_above`` of all rows, a build rewrites the live rows into one shard.

**What counts as changed**: a file is re-embedded when its size or modification time (ns) differs
from the recorded ones (as ``make`` and ``rsync`` decide), or when it is new. A content hash would
catch a file rewritten with the same size within the same mtime tick, but costs reading every file of
the collection on every build; the recorded key is documented in ``index.json`` (``change_key``).

**Model identity**: the index records the SHA-256 of the model's config and weights
(:mod:`flamkit.inference.identity`) and refuses to be updated or searched with another model, whose
embeddings would live in a different space.

The manifest is rewritten atomically (temporary file, rename) every ``save_every`` files and at the
end, after the shard is flushed, so an interrupted build keeps every file it had recorded and the next
build resumes with the rest.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from flamkit.data.source import DataError

INDEX_FILE = "index.json"
FORMAT_VERSION = 1
SHARD_PREFIX = "shard-"
SHARD_SUFFIX = ".f16"
DTYPE = np.float16
AUDIO_EXTENSIONS = frozenset({".wav", ".flac", ".ogg", ".oga", ".mp3", ".aiff", ".aif", ".au", ".caf", ".w64", ".rf64", ".opus"})


class IndexFolderError(RuntimeError):
    """An index folder that cannot be used as asked (wrong model, not an index, another collection)."""


class ModelMismatch(IndexFolderError):
    pass


@dataclass
class FileEntry:
    size: int
    mtime_ns: int
    shard: str
    start: int  # first row in the shard
    frames: int
    duration: float  # seconds


@dataclass
class BuildReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)  # (path, error)
    audio_seconds: float = 0.0
    compacted: bool = False

    def summary(self) -> str:
        parts = [
            f"{len(self.added)} added", f"{len(self.updated)} updated", f"{len(self.removed)} removed",
            f"{self.unchanged} unchanged", f"{len(self.failed)} failed",
        ]
        return ", ".join(parts) + f"; {self.audio_seconds / 3600:.2f} h of audio embedded" + (
            "; shards compacted" if self.compacted else ""
        )


def _mismatch(folder: Path, recorded: dict, identity: str, checkpoint: Any) -> ModelMismatch:
    return ModelMismatch(
        f"index {folder} was built by model {recorded.get('identity', '?')[:12]} (checkpoint "
        f"{recorded.get('checkpoint') or '?'}), but checkpoint {checkpoint or '(in memory)'} is model "
        f"{identity[:12]}: their embeddings are not comparable. Search or update this index with the "
        "checkpoint that built it, or build a new index (another --out folder) for this model."
    )


class FrameIndex:
    """An opened index folder: its manifest and memory-mapped shards."""

    def __init__(self, folder: str | os.PathLike, meta: dict[str, Any]) -> None:
        self.folder = Path(folder)
        self.meta = meta
        self.files: dict[str, FileEntry] = {k: FileEntry(**v) for k, v in meta.pop("files", {}).items()}
        self._maps: dict[tuple[str, int], np.ndarray] = {}

    # -- opening and creating -------------------------------------------------------------------
    @classmethod
    def open(cls, folder: str | os.PathLike) -> "FrameIndex":
        folder = Path(folder)
        path = folder / INDEX_FILE
        if not path.is_file():
            raise IndexFolderError(f"{folder} is not a flamkit index (no {INDEX_FILE}); build one with `flamkit index build`")
        try:
            meta = json.loads(path.read_text())
        except json.JSONDecodeError as exc:
            raise IndexFolderError(f"{path} is corrupt ({exc}); rebuild the index into a new folder") from None
        if meta.get("format") != FORMAT_VERSION:
            raise IndexFolderError(f"{path} has format {meta.get('format')!r}; this flamkit reads format {FORMAT_VERSION}")
        return cls(folder, meta)

    @classmethod
    def create(cls, folder: str | os.PathLike, root: Path, detector: Any, hop: float | None) -> "FrameIndex":
        folder = Path(folder)
        if folder.exists() and any(folder.iterdir()):
            raise IndexFolderError(f"{folder} exists, is not empty and is not a flamkit index; choose a new --out folder")
        folder.mkdir(parents=True, exist_ok=True)
        plan = detector.plan(hop)
        meta = {
            "format": FORMAT_VERSION,
            "root": str(root),
            "model": {
                "identity": detector.identity,
                "checkpoint": str(detector.checkpoint) if detector.checkpoint else None,
            },
            "sample_rate": plan.sample_rate,
            "frame_seconds": plan.frame_seconds,
            "hop_seconds": plan.hop_samples / plan.sample_rate,
            "embed_dim": None,
            "dtype": "float16",
            "change_key": "size+mtime_ns",
            "shards": {},
        }
        index = cls(folder, meta)
        index.save()
        return index

    def save(self) -> None:
        doc = dict(self.meta)
        doc["files"] = {k: vars(v) for k, v in sorted(self.files.items())}
        tmp = self.folder / (INDEX_FILE + ".tmp")
        tmp.write_text(json.dumps(doc, indent=0))
        os.replace(tmp, self.folder / INDEX_FILE)

    # -- facts ------------------------------------------------------------------------------------
    @property
    def identity(self) -> str:
        return str(self.meta["model"]["identity"])

    @property
    def root(self) -> Path:
        return Path(self.meta["root"])

    @property
    def frame_seconds(self) -> float:
        return float(self.meta["frame_seconds"])

    @property
    def embed_dim(self) -> int | None:
        d = self.meta.get("embed_dim")
        return int(d) if d is not None else None

    @property
    def total_rows(self) -> int:
        return int(sum(self.meta["shards"].values()))

    @property
    def live_rows(self) -> int:
        return int(sum(e.frames for e in self.files.values()))

    def check_model(self, identity: str, checkpoint: Any = None) -> None:
        if identity != self.identity:
            raise _mismatch(self.folder, self.meta["model"], identity, checkpoint)

    def shard(self, name: str) -> np.ndarray:
        """Read-only memory map ``[rows, d]`` of one shard (rows as recorded: a torn tail is ignored)."""
        rows, d = int(self.meta["shards"][name]), self.embed_dim
        if rows == 0 or d is None:
            return np.zeros((0, d or 0), dtype=DTYPE)
        if (name, rows) not in self._maps:
            self._maps[(name, rows)] = np.memmap(self.folder / name, dtype=DTYPE, mode="r", shape=(rows, d))
        return self._maps[(name, rows)]

    def frames_of(self, rel: str) -> np.ndarray:
        """The ``[frames, d]`` float16 embeddings of one indexed file (relative path)."""
        e = self.files[rel]
        if e.frames == 0:
            return np.zeros((0, self.embed_dim or 0), dtype=DTYPE)
        return np.asarray(self.shard(e.shard)[e.start : e.start + e.frames])

    def layout(self, name: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """For one shard: owner file number per row (-1: dead row), row start per file number, file names."""
        rows = int(self.meta["shards"][name])
        owner = np.full(rows, -1, dtype=np.int32)
        names = [k for k, e in self.files.items() if e.shard == name and e.frames > 0]
        starts = np.zeros(len(names), dtype=np.int64)
        for i, k in enumerate(names):
            e = self.files[k]
            owner[e.start : e.start + e.frames] = i
            starts[i] = e.start
        return owner, starts, names


def _scan(root: Path, extensions: Iterable[str]) -> dict[str, os.stat_result]:
    exts = {e.lower() if e.startswith(".") else "." + e.lower() for e in extensions}
    found = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            if Path(name).suffix.lower() in exts:
                p = Path(dirpath) / name
                found[p.relative_to(root).as_posix()] = p.stat()
    return found


class _ShardWriter:
    """Appends float16 rows to one new shard file; rows count only once flushed to disk."""

    def __init__(self, index: FrameIndex) -> None:
        used = {int(n[len(SHARD_PREFIX) : -len(SHARD_SUFFIX)]) for n in index.meta["shards"]}
        self.name = f"{SHARD_PREFIX}{(max(used) + 1) if used else 0:05d}{SHARD_SUFFIX}"
        self.path = index.folder / self.name
        self.file = open(self.path, "wb")
        self.rows = 0

    def append(self, frames: np.ndarray) -> int:
        start = self.rows
        self.file.write(np.ascontiguousarray(frames, dtype=DTYPE).tobytes())
        self.rows += frames.shape[0]
        return start

    def flush(self) -> None:
        self.file.flush()
        os.fsync(self.file.fileno())

    def close(self) -> None:
        self.flush()
        self.file.close()


def build_index(
    audio_dir: str | os.PathLike,
    out: str | os.PathLike,
    detector: Any,
    hop: float | None = None,
    extensions: Iterable[str] = AUDIO_EXTENSIONS,
    progress: bool = True,
    compact_above: float = 0.5,
    save_every: float = 30.0,
) -> BuildReport:
    """Create or update the index ``out`` for every audio file under ``audio_dir`` (recursively).

    New and changed files are embedded with ``detector`` (:meth:`Detector.embed_audio`), removed
    ones are dropped, unreadable ones are reported in :attr:`BuildReport.failed` and tried again on
    the next build. Raises :class:`ModelMismatch` when ``out`` was built by another model.
    """
    root = Path(audio_dir).resolve()
    if not root.is_dir():
        raise IndexFolderError(f"{audio_dir} is not a folder of audio files")
    out = Path(out)
    if (out / INDEX_FILE).is_file():
        index = FrameIndex.open(out)
        index.check_model(detector.identity, detector.checkpoint)
        if index.root != root:
            raise IndexFolderError(
                f"index {out} covers {index.root}, not {root}; build a separate index for another folder"
            )
        recorded = float(index.meta["hop_seconds"])
        if hop is not None and abs(detector.plan(hop).hop_samples / detector.sample_rate - recorded) > 1e-9:
            raise IndexFolderError(f"index {out} was built with a {recorded:g} s hop; update it with the same --hop (or none)")
        hop = recorded
    else:
        index = FrameIndex.create(out, root, detector, hop)

    report = BuildReport()
    found = _scan(root, extensions)
    for rel in [k for k in index.files if k not in found]:
        del index.files[rel]
        report.removed.append(rel)
    todo = []
    for rel, st in found.items():
        e = index.files.get(rel)
        if e is not None and e.size == st.st_size and e.mtime_ns == st.st_mtime_ns:
            report.unchanged += 1
        else:
            todo.append((rel, st, e is not None))

    writer = _ShardWriter(index) if todo else None
    if writer is not None:
        index.meta["shards"][writer.name] = 0
    last_save = time.monotonic()
    bar = _progress(todo, progress)
    try:
        for rel, st, existed in bar:
            try:
                emb = detector.embed_audio(root / rel, hop=hop)
            except DataError as exc:
                report.failed.append((rel, str(exc)))
                index.files.pop(rel, None)
                continue
            if index.meta["embed_dim"] is None:
                index.meta["embed_dim"] = int(emb.frames.shape[1])
            n = emb.frames.shape[0]
            shard, start = (writer.name, writer.append(emb.frames)) if n else ("", 0)  # zero-length audio: no rows
            index.files[rel] = FileEntry(st.st_size, st.st_mtime_ns, shard, start, n, emb.duration)
            (report.updated if existed else report.added).append(rel)
            report.audio_seconds += emb.duration
            if hasattr(bar, "set_postfix_str"):
                bar.set_postfix_str(f"{report.audio_seconds / 3600:.2f} h")
            if time.monotonic() - last_save > save_every:
                writer.flush()
                index.meta["shards"][writer.name] = writer.rows
                index.save()
                last_save = time.monotonic()
    finally:
        if writer is not None:
            writer.close()
            index.meta["shards"][writer.name] = writer.rows
        index.save()
    _drop_empty_shards(index)
    total = index.total_rows
    if total and (total - index.live_rows) / total > compact_above:
        compact(index)
        report.compacted = True
    return report


def _progress(items: list, enabled: bool):
    if not enabled:
        return items
    from tqdm import tqdm

    return tqdm(items, desc="embedding", unit="file", dynamic_ncols=True)


def _drop_empty_shards(index: FrameIndex) -> None:
    referenced = {e.shard for e in index.files.values() if e.frames > 0}
    for name in [n for n in index.meta["shards"] if n not in referenced]:
        del index.meta["shards"][name]
        (index.folder / name).unlink(missing_ok=True)
    index.save()


def compact(index: FrameIndex) -> None:
    """Rewrite the live rows of every shard into one new shard and delete the old shards."""
    old = dict(index.meta["shards"])
    writer = _ShardWriter(index)
    for rel, e in sorted(index.files.items()):
        if e.frames > 0:
            rows = index.frames_of(rel)
            e.start, e.shard = writer.append(rows), writer.name
    writer.close()
    index.meta["shards"] = {writer.name: writer.rows}
    index.save()
    for name in old:
        (index.folder / name).unlink(missing_ok=True)
