"""Audio-text corpora from manifests: AudioCaps, Clotho, sound-effect libraries, debian-sfx.

A manifest (JSONL or CSV, read by :mod:`flamkit.data.manifest`) has one row per audio file; which
columns hold the captions, tags and label is configuration, because every corpus names them
differently (Clotho: ``caption_1`` ... ``caption_5``; AudioCaps: ``caption``; sound-effect
libraries: ``tags``, ``label``). A row may carry several captions: ``get()`` draws one (C.5), so
each epoch sees the paraphrases. For sound-effect corpora such as debian-sfx, whose only text is a
short ``label``, the label is the caption, ``kind`` selects events or backgrounds, and
``labels()`` returns the labels for label-balanced sampling (143 debian-sfx labels have one clip,
one has 156).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Any, Callable, Literal

import numpy as np

from flamkit.data.audio_io import crop_or_pad, data_error, is_silent, load_audio
from flamkit.data.example import Example
from flamkit.data.label_holdout import label_holdout
from flamkit.data.memo import ByteLRU
from flamkit.data.manifest import ManifestError, ManifestProblem, format_problems, read_manifest
from flamkit.data.sources.missing import MissingPolicy, apply_missing_policy
from flamkit.registry import DATA_SOURCES

FILLS = ("zeros", "repeat")

DEFAULT_CAPTION_COLUMNS = ("caption", "captions", "text", *(f"caption_{i}" for i in range(1, 6)))
DEFAULT_TAG_COLUMNS = ("tags", "keywords")

Backend = Literal["soundfile", "fairseq2"]
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AudioTextItem:
    path: str
    captions: tuple[str, ...]
    tags: tuple[str, ...]
    label: str | None
    where: str  # "manifest:line"


def _first_text(row: dict[str, Any], columns: tuple[str, ...]) -> str:
    for col in columns:
        texts = _texts(row.get(col), None)
        if texts:
            return texts[0]
    return ""


def _texts(value: Any, separator: str | None) -> list[str]:
    """A cell as a list of non-empty strings: lists stay lists, strings split on ``separator``."""
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [str(v).strip() for v in value if v is not None and str(v).strip()]
    text = str(value).strip()
    if not text:
        return []
    parts = text.split(separator) if separator else [text]
    return [p.strip() for p in parts if p.strip()]


def _fairseq2_decoder() -> Callable[[str, int], np.ndarray]:
    from flamkit.data.fairseq2_backend import Fairseq2Decoder  # the only module importing fairseq2

    return Fairseq2Decoder()


def _soundfile_decoder() -> Callable[[str, int], np.ndarray]:
    return load_audio


DECODERS: dict[str, Callable[[], Callable[[str, int], np.ndarray]]] = {
    "soundfile": _soundfile_decoder,
    "fairseq2": _fairseq2_decoder,
}


@DATA_SOURCES.register("audio_text")
class AudioTextSource:
    """Audio with captions and/or tags from a JSONL/CSV manifest; one random caption per draw.

    Columns: ``path_column`` (relative paths resolve against ``root``, default the manifest's
    folder); ``caption_columns`` (each cell a string or a list; default: caption, captions, text,
    caption_1..caption_5); ``tag_columns`` (a list, or a string split on ``tag_separator``;
    default: tags, keywords); ``label_column`` (used for label-balanced sampling, and as the caption
    of rows without one when ``label_as_caption``). ``kind`` keeps only rows whose ``kind`` column
    has that value (debian-sfx: ``event`` or ``background``). Each draw picks one caption (or, for
    rows with tags only, one tag) as the example's caption; all tags go to ``Example.tags`` for
    the ``caption`` augmenter.

    Malformed rows (bad JSON, wrong field count, no text at all) fail construction with file and
    line unless ``strict`` is false, which skips and reports them. Missing audio files follow
    ``missing`` (see :mod:`flamkit.data.sources.missing`). Audio is decoded by ``backend``
    (``soundfile``, or ``fairseq2``'s native decoder), down-mixed, resampled to ``sample_rate``
    and randomly cropped or padded to ``clip_seconds``: ``fill: zeros`` places a shorter clip at a
    random position in silence; ``fill: repeat`` tiles it from its start to the clip length
    (LAION-CLAP's ``repeatpad``), which keeps a short event from being mostly silence in the pooled
    clip embedding and makes the padded clip a function of the file alone (so a frozen encoder's
    features can be memoised). ``holdout`` keeps one part of a seeded label split
    (:mod:`flamkit.data.label_holdout`). ``memo_mb`` keeps that many MB of decoded, resampled clips
    in memory (:mod:`flamkit.data.memo`; 0 = decode every time).
    """

    def __init__(
        self,
        manifest: str,
        sample_rate: int,
        clip_seconds: float = 10.0,
        root: str | None = None,
        path_column: str = "path",
        caption_columns: list[str] | None = None,
        tag_columns: list[str] | None = None,
        tag_separator: str = ";",
        label_column: str | None = "label",
        label_as_caption: bool = True,
        kind: str | None = None,
        missing: MissingPolicy = "error",
        strict: bool = True,
        silence_db: float = -90.0,
        backend: Backend = "soundfile",
        fill: str = "zeros",
        holdout: dict[str, Any] | None = None,
        memo_mb: float = 0.0,
        name: str = "audio_text",
    ) -> None:
        if fill not in FILLS:
            raise ValueError(f"audio_text: fill={fill!r}; choose one of {', '.join(FILLS)}")
        self.fill = fill
        self._memo: ByteLRU[np.ndarray] = ByteLRU(memo_mb)
        split = label_holdout(holdout, f"audio_text {manifest}")
        if backend not in DECODERS:
            raise ValueError(f"audio_text: backend={backend!r}; choose one of {', '.join(DECODERS)}")
        self.name = name
        self.manifest = os.path.expanduser(manifest)
        self.sample_rate = int(sample_rate)
        self.clip_samples = int(round(float(clip_seconds) * self.sample_rate))
        self.silence_db = float(silence_db)
        self.backend = backend
        self._decode = DECODERS[backend]()
        caption_columns = tuple(caption_columns) if caption_columns is not None else DEFAULT_CAPTION_COLUMNS
        tag_columns = tuple(tag_columns) if tag_columns is not None else DEFAULT_TAG_COLUMNS

        table = read_manifest(
            self.manifest, check_files=False, strict=False, path_key=path_column,
            root=os.path.expanduser(root) if root else None,
        )
        problems: list[ManifestProblem] = list(table.problems)
        items: list[AudioTextItem] = []
        for row in table.rows:
            if kind is not None and row.get("kind") != kind:
                continue
            if split is not None:
                split_label = row.get(label_column) if label_column else None
                if not split.keeps(str(split_label) if split_label not in (None, "") else str(_first_text(row, caption_columns))):
                    continue
            captions = [c for col in caption_columns for c in _texts(row.get(col), None)]
            tags = [t for col in tag_columns for t in _texts(row.get(col), tag_separator)]
            label = str(row[label_column]).strip() if label_column and row.get(label_column) not in (None, "") else None
            if not captions and label and label_as_caption:
                captions = [label]
            if not captions and not tags:
                file, _, line = row["_where"].rpartition(":")
                problems.append(ManifestProblem(file, int(line), f"no text: none of the caption columns "
                                f"({', '.join(caption_columns)}), tag columns ({', '.join(tag_columns)}) or "
                                f"label column ({label_column}) has a value"))
                continue
            items.append(AudioTextItem(row["path"], tuple(captions), tuple(tags), label, row["_where"]))
        if problems:
            if strict:
                raise ManifestError(format_problems(problems))
            log.warning("audio_text: skipping bad rows\n%s", format_problems(problems))
        self.problems = problems
        self.items, self.missing = apply_missing_policy(
            items, [it.path for it in items], [it.where for it in items], missing, f"audio_text {self.manifest}"
        )
        if not self.items:
            which = f" with kind={kind!r}" if kind is not None else ""
            raise ManifestError(f"{self.manifest}: no usable rows{which}")
        has_labels = label_column is not None and all(it.label is not None for it in self.items)
        self._labels = [it.label for it in self.items] if has_labels else None

    def __len__(self) -> int:
        return len(self.items)

    def labels(self) -> list[str] | None:
        return list(self._labels) if self._labels is not None else None

    def get(self, index: int, rng: np.random.Generator) -> Example:
        item = self.items[index]
        audio = self._memo.get(item.path, lambda: self._decode(item.path, self.sample_rate))
        if is_silent(audio, self.silence_db):
            raise data_error(item.path, "silent", f"all-silent audio (peak below {self.silence_db} dBFS) ({item.where})")
        # Every audio-text example needs a caption; a row with tags only gets one of its tags.
        texts = item.captions or item.tags
        caption = texts[int(rng.integers(len(texts)))]
        if self.fill == "repeat" and 0 < len(audio) < self.clip_samples:
            audio = np.tile(audio, -(-self.clip_samples // len(audio)))[: self.clip_samples].astype(np.float32)
        else:
            audio, _ = crop_or_pad(audio, self.clip_samples, rng)
        return Example(audio, self.sample_rate, key=item.path, source=self.name, caption=caption, tags=list(item.tags))
