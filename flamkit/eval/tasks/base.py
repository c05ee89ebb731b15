"""What an evaluation task receives and returns.

A task is a registered component (``@EVAL_TASKS.register("name")``) whose constructor keywords are
its config keys (``{name: sed, audio_dir: ..., ground_truth: ...}``); ``task.run(ctx)`` evaluates
the context's model and returns a :class:`TaskResult`. Tasks never write files themselves: the
runner (:mod:`flamkit.eval.runner`) turns results into metrics.json, metrics.md, PNGs and
TensorBoard entries, and the training loop's validation logs the same scalars.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import torch

from flamkit.eval.inference import AudioClip, FrameEmbeddings, TextEmbedder, embed_audio

PROGRESS_MIN_CLIPS = 8  # sets at least this large show a progress bar while encoding


@dataclass
class EvalContext:
    """The model under evaluation and how to run it (shared by all tasks of one evaluation).

    ``text`` caches text embeddings across tasks; make a new context when the weights change.
    """

    model: Any  # FlamModel
    batch_size: int = 16
    workers: int = 0  # >1: CPU worker processes for audio encoding
    loader_threads: int = 2
    text_batch_size: int = 256
    log: Callable[[str], None] = print
    text: TextEmbedder | None = None

    def __post_init__(self) -> None:
        if self.text is None:
            self.text = TextEmbedder(self.model, self.text_batch_size)

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    def embed(self, clips: Sequence[AudioClip], tolerance_seconds: float = 0.01) -> FrameEmbeddings:
        from tqdm import tqdm

        bar = tqdm(total=len(clips), desc="encode", unit="clip", dynamic_ncols=True, disable=len(clips) < PROGRESS_MIN_CLIPS)
        try:
            return embed_audio(
                self.model,
                clips,
                batch_size=self.batch_size,
                workers=self.workers,
                loader_threads=self.loader_threads,
                tolerance_seconds=tolerance_seconds,
                progress=lambda done: bar.update(done - bar.n),
            )
        finally:
            bar.close()


@dataclass
class TaskResult:
    """One task's output.

    scalars: flat ``"mode/metric" -> value`` (or ``"metric"``): the headline numbers that go to the
      markdown table, TensorBoard and ``flamkit compare``.
    details: everything else for metrics.json (per-class values, curves, counts, reports).
    messages: what was adjusted or left out and why (bad input), printed and saved.
    figures: name -> matplotlib figure.
    """

    scalars: dict[str, float] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class EvalTask(Protocol):
    def run(self, ctx: EvalContext) -> TaskResult: ...


class EvalInputError(ValueError):
    """Evaluation input that cannot be used; the message names the file/row/key and the fix."""
