"""The ``retrieval`` and ``zero_shot`` evaluation tasks: global audio embeddings against text (§5.4, §5.5).

Both use the clip embedding e^a (the L2-normalised mean of a clip's frames; for clips longer than
the model's window, of all windows' frames) and rank by cosine similarity, so the scoring modes of
SED do not apply. Rows whose audio is missing or that carry no caption/label are left out and
reported, never dropped silently.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import numpy as np

from flamkit.eval.inference import AudioClip
from flamkit.eval.tasks.base import EvalContext, EvalInputError, TaskResult
from flamkit.eval.tasks.prompts import class_prompts
from flamkit.registry import EVAL_TASKS

MAX_EXAMPLES = 10


def _captions(row: dict[str, Any], columns: list[str] | None) -> list[str]:
    """A row's captions: the given columns, else ``captions`` (list or string), ``caption``, ``caption_1..N``."""
    if columns is None:
        numbered = sorted((k for k in row if k.startswith("caption_") and k[8:].isdigit()), key=lambda k: int(k[8:]))
        columns = [c for c in ("captions", "caption") if c in row] + numbered
    out: list[str] = []
    for c in columns:
        v = row.get(c)
        values = v if isinstance(v, list) else [v]
        out.extend(str(x).strip() for x in values if x is not None and str(x).strip())
    return out


class _ManifestSet:
    """Manifest rows (:func:`flamkit.data.manifest.read_manifest`) with existing audio; the rest counted."""

    def __init__(self, manifest: str, audio_dir: str | None, path_column: str, max_clips: int | None) -> None:
        from flamkit.data.manifest import ManifestError, read_manifest

        try:  # malformed rows are errors; missing audio is excluded and reported below
            rows = read_manifest(str(manifest), check_files=False, path_key=path_column, root=audio_dir).rows
        except ManifestError as exc:
            raise EvalInputError(str(exc)) from None
        if not rows:
            raise EvalInputError(f"{manifest}: manifest has no rows")
        self.rows: list[dict[str, Any]] = []
        self.paths: list[Path] = []
        self.missing: list[str] = []
        for row in rows:
            p = Path(row["path"])
            if not p.is_file():
                self.missing.append(f"{row['_where']}: {p}")
                continue
            self.rows.append(row)
            self.paths.append(p)
            if max_clips is not None and len(self.rows) >= max_clips:
                break
        self.n_rows = len(rows)

    def messages(self) -> list[str]:
        if not self.missing:
            return []
        return [f"excluded {len(self.missing)} manifest row(s) whose audio is missing, e.g. {'; '.join(self.missing[:3])}"]

    def clips(self) -> list[AudioClip]:
        return [AudioClip(f"{i}:{p.name}", path=str(p)) for i, p in enumerate(self.paths)]


@EVAL_TASKS.register("retrieval")
class RetrievalTask:
    """Text-to-audio and audio-to-text R@1, R@5, R@10 and mAP@10 on an audio-caption manifest."""

    def __init__(
        self,
        manifest: str,
        audio_dir: Optional[str] = None,
        path_column: str = "path",
        caption_columns: Optional[list] = None,
        max_clips: Optional[int] = None,
        length_tolerance: float = 0.01,
    ) -> None:
        """manifest: JSONL/CSV/TSV with an audio path and one or more captions per row (``caption``,
        a ``captions`` list, or ``caption_1..N`` columns as in Clotho; or ``caption_columns``);
        audio_dir: base of relative paths (default: the manifest's folder)."""
        self.manifest, self.audio_dir, self.path_column = manifest, audio_dir, path_column
        self.caption_columns = list(caption_columns) if caption_columns else None
        self.max_clips, self.length_tolerance = max_clips, length_tolerance

    def run(self, ctx: EvalContext) -> TaskResult:
        from flamkit.eval.metrics.retrieval import retrieval_metrics

        data = _ManifestSet(self.manifest, self.audio_dir, self.path_column, self.max_clips)
        captions, caption_audio, uncaptioned = [], [], []
        for a, row in enumerate(data.rows):
            caps = _captions(row, self.caption_columns)
            if not caps:
                uncaptioned.append(row["_where"])
            captions.extend(caps)
            caption_audio.extend([a] * len(caps))
        if not captions:
            raise EvalInputError(f"{self.manifest}: no captions found (columns tried: {self.caption_columns or 'captions, caption, caption_N'})")
        messages = data.messages()
        if uncaptioned:
            messages.append(
                f"{len(uncaptioned)} row(s) have no caption: their audio stays in the pool as a distractor "
                f"and is left out of audio-to-text, e.g. {', '.join(uncaptioned[:3])}"
            )
        emb = ctx.embed(data.clips(), tolerance_seconds=self.length_tolerance)
        messages += emb.lengths.lines()
        audio = emb.clip_embeddings()
        text = ctx.text(captions).emb
        metrics = retrieval_metrics(text.astype(np.float64) @ audio.T.astype(np.float64), np.asarray(caption_audio, dtype=np.int64))
        scalars = {k: v for k, v in metrics.items() if not k.startswith("n_")}
        details = {
            **{k: v for k, v in metrics.items() if k.startswith("n_")},
            "n_manifest_rows": data.n_rows,
            "n_missing_audio": len(data.missing),
            "missing_audio_examples": data.missing[:MAX_EXAMPLES],
            "n_uncaptioned": len(uncaptioned),
            "lengths": emb.lengths.to_dict(),
        }
        return TaskResult(scalars=scalars, details=details, messages=messages)


@EVAL_TASKS.register("zero_shot")
class ZeroShotTask:
    """Zero-shot classification accuracy with class names (or mapped prompts) as text queries."""

    def __init__(
        self,
        manifest: str,
        audio_dir: Optional[str] = None,
        path_column: str = "path",
        label_column: str = "label",
        classes: Optional[list] = None,
        prompt_template: str = "{}",
        prompts: Optional[str] = None,
        max_clips: Optional[int] = None,
        length_tolerance: float = 0.01,
    ) -> None:
        """manifest: JSONL/CSV/TSV with an audio path and a class label per row; classes: the class
        list (default: the sorted labels of the manifest); prompt_template: ``"{}"`` uses the class
        name itself (the paper: "class names serve as the text queries"), ``"the sound of {}"`` the
        CLAP-style prompt; prompts: a class -> prompt mapping file (JSON or TSV) overriding it."""
        if "{}" not in prompt_template:
            raise EvalInputError(f"zero_shot.prompt_template {prompt_template!r} must contain '{{}}'")
        self.manifest, self.audio_dir, self.path_column, self.label_column = manifest, audio_dir, path_column, label_column
        self.classes = list(classes) if classes else None
        self.prompt_template, self.prompts = prompt_template, prompts
        self.max_clips, self.length_tolerance = max_clips, length_tolerance

    def run(self, ctx: EvalContext) -> TaskResult:
        from flamkit.eval.metrics.classification import zero_shot_accuracy

        data = _ManifestSet(self.manifest, self.audio_dir, self.path_column, self.max_clips)
        labels = [str(row.get(self.label_column, "")).strip() for row in data.rows]
        unlabeled = [row["_where"] for row, lab in zip(data.rows, labels) if not lab]
        classes = self.classes or sorted({lab for lab in labels if lab})
        index = {c: k for k, c in enumerate(classes)}
        unknown = [(row["_where"], lab) for row, lab in zip(data.rows, labels) if lab and lab not in index]
        keep = [i for i, lab in enumerate(labels) if lab in index]
        if not keep:
            raise EvalInputError(f"{self.manifest}: no row has a label among the classes (label column {self.label_column!r})")
        messages = data.messages()
        if unlabeled:
            messages.append(f"excluded {len(unlabeled)} row(s) without a {self.label_column!r} label, e.g. {', '.join(unlabeled[:3])}")
        if unknown:
            messages.append(
                f"excluded {len(unknown)} row(s) whose label is not in the class list, e.g. "
                + ", ".join(f"{w} ({lab!r})" for w, lab in unknown[:3])
            )
        prompts, msgs = class_prompts(classes, self.prompt_template, self.prompts)
        messages += msgs
        clips = data.clips()
        emb = ctx.embed([clips[i] for i in keep], tolerance_seconds=self.length_tolerance)
        messages += emb.lengths.lines()
        sim = emb.clip_embeddings().astype(np.float64) @ ctx.text(prompts).emb.T.astype(np.float64)
        acc = zero_shot_accuracy(sim, np.array([index[labels[i]] for i in keep], dtype=np.int64), classes)
        scalars = {k: acc[k] for k in ("top1", "top5", "balanced_top1") if k in acc}
        details = {
            **{k: v for k, v in acc.items() if k not in scalars},
            "prompts": dict(zip(classes, prompts)),
            "n_manifest_rows": data.n_rows,
            "n_missing_audio": len(data.missing),
            "missing_audio_examples": data.missing[:MAX_EXAMPLES],
            "n_unlabeled": len(unlabeled),
            "n_unknown_label": len(unknown),
            "lengths": emb.lengths.to_dict(),
        }
        return TaskResult(scalars=scalars, details=details, messages=messages)
