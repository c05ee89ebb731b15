"""Open-vocabulary sound event detection on recordings of any length: :func:`load` and :class:`Detector`.

    >>> import flamkit
    >>> det = flamkit.load("runs/flam/cpu-0")                        # a run folder or a ckpt-<step> folder
    >>> for e in det.detect("street.flac", ["glass breaking", "dog barking"]):
    ...     print(f"{e.label}: {e.onset:.2f}-{e.offset:.2f} s (peak {e.peak:.2f})")
    >>> fp = det.frame_probabilities(audio, 44100, ["glass breaking"])  # numpy [T] or [T, C], any rate
    >>> fp.times, fp.probs.shape                                       # frame starts (s), [K, N]

The recording is cut into windows of the model's ``clip_seconds`` that overlap by ``overlap`` (50 %
by default; see :mod:`flamkit.inference.windows`), every window's frames are scored against every
query (:func:`flamkit.scoring.frame_scores`), and the frame probabilities of overlapping windows are
averaged. Files are decoded and resampled as a stream (:func:`flamkit.data.audio_io.iter_blocks`): a
one-hour file needs memory for one batch of windows and the ``[K, N]`` probabilities, not for its
samples. Any channel count (mean down-mix) and sample rate (soxr HQ resampling) are accepted.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

import numpy as np
import torch

from flamkit.checkpoints import CheckpointChoice
from flamkit.data import audio_io
from flamkit.inference.events import DetectedEvent, events_from_probabilities
from flamkit.inference.inputs import Source, is_path, to_mono
from flamkit.inference.loading import disable_feature_memo, expand_queries, load_checkpoint_model
from flamkit.inference.windows import OverlapAverager, WindowPlan, array_blocks
from flamkit.models.flam import FlamModel, TextEmbeddings
from flamkit.models.query_expansion import QueryExpansion
from flamkit.scoring import SCORE_MODES, frame_scores, median_filter
from flamkit.textids import normalize_text

__all__ = ["Detector", "FrameProbabilities", "FrameEmbeddings", "DetectionResult", "check_options", "load"]

BlockHook = Callable[[int, np.ndarray], None]


@dataclass
class FrameProbabilities:
    """Probabilities ``[K, N]`` of ``K`` queries over the ``N`` frames of one recording.

    Frame ``i`` covers ``[times[i], times[i] + frame_seconds)``; the last frame may extend past
    ``duration`` (it holds the end of the recording).
    """

    queries: list[str]
    probs: np.ndarray  # [K, N] float32 in [0, 1]
    frame_seconds: float
    duration: float  # seconds of audio at the model's sample rate

    @property
    def times(self) -> np.ndarray:
        """Start of each frame in seconds, ``[N]``."""
        return np.arange(self.probs.shape[1]) * self.frame_seconds

    @property
    def centers(self) -> np.ndarray:
        return (np.arange(self.probs.shape[1]) + 0.5) * self.frame_seconds


@dataclass
class FrameEmbeddings:
    """Frame embeddings ``[N, d]`` of one recording.

    Where windows overlap, a frame's row is the *mean* of the windows' unit-norm embeddings, not
    renormalised: its dot product with a text embedding is then exactly the mean cosine over those
    windows, which is what an index needs to score frames linearly.
    """

    frames: np.ndarray  # [N, d] float32
    frame_seconds: float
    duration: float

    @property
    def times(self) -> np.ndarray:
        return np.arange(self.frames.shape[0]) * self.frame_seconds

    @property
    def clip(self) -> np.ndarray:
        """The recording's global embedding: the L2-normalised mean of its frames (FLAM §3)."""
        mean = self.frames.mean(axis=0) if len(self.frames) else np.zeros(self.frames.shape[1], np.float32)
        return mean / max(float(np.linalg.norm(mean)), 1e-12)


@dataclass
class DetectionResult:
    probabilities: FrameProbabilities
    events: list[DetectedEvent]
    spectrogram: np.ndarray | None = None  # [F, C] dB, when asked for (see flamkit.inference.plot)
    sample_rate: int = 0


@dataclass
class _Stream:
    """The ``(start sample, block)`` pieces of one recording, and what to warn about it."""

    blocks: Iterator[tuple[int, np.ndarray]]
    warnings: list[str] = field(default_factory=list)


def check_options(threshold: float = 0.5, min_duration: float = 0.0, median: int = 3, mode: str = "unbiased") -> None:
    """Raise a ValueError for a detection option out of range (before any audio is read)."""
    if mode not in SCORE_MODES:
        raise ValueError(f"mode must be one of {sorted(SCORE_MODES)}; got {mode!r}")
    if isinstance(median, bool) or not isinstance(median, int) or median < 1 or median % 2 == 0:
        raise ValueError(f"median must be a positive odd number of frames (1 = no filter); got {median}")
    if not 0.0 <= threshold <= 1.0:
        raise ValueError(f"threshold is a probability in [0, 1]; got {threshold}")
    if min_duration < 0:
        raise ValueError(f"min_duration must be >= 0 seconds; got {min_duration}")


def _default_device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


class Detector:
    """A FLAM model wrapped for detection and embedding on recordings of any duration.

    Build one with :func:`load` (from a checkpoint) or ``Detector(model)`` (a model in memory).
    ``overlap`` is the default fraction of a window shared with the next (each call may pass
    ``hop`` seconds instead); ``batch_size`` windows go through the audio encoder at once.
    """

    def __init__(
        self,
        model: FlamModel,
        device: str | torch.device | None = None,
        overlap: float = 0.5,
        batch_size: int = 16,
        model_config: Any = None,
        checkpoint: str | Path | None = None,
    ) -> None:
        self.device = torch.device(device) if device is not None else _default_device()
        self.model = model.to(self.device).eval()
        self.overlap = float(overlap)
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1; got {batch_size}")
        self.batch_size = int(batch_size)
        self.model_config = model_config
        self.checkpoint = Path(checkpoint).resolve() if checkpoint is not None else None
        self.checkpoint_choice: CheckpointChoice | None = None  # set by load(): which checkpoint a path meant
        self._identity: str | None = None
        self._text_cache: dict[str, tuple[torch.Tensor, float, float]] = {}
        plan = WindowPlan.for_model(self.sample_rate, self.clip_seconds, self.frames, overlap)  # fail early on a bad overlap
        actual = 1.0 - plan.hop_frames / plan.frames
        if abs(actual - self.overlap) > 1.0 / plan.frames:
            warnings.warn(
                f"windows overlap by {actual:.0%}, not the {self.overlap:.0%} asked for: with {plan.frames} frames of "
                f"{plan.frame_samples:g} samples only hops of whole samples keep windows on the frame grid",
                stacklevel=2,
            )

    # -- model facts -------------------------------------------------------------------------
    @property
    def sample_rate(self) -> int:
        return self.model.sample_rate

    @property
    def clip_seconds(self) -> float:
        return self.model.clip_seconds

    @property
    def frames(self) -> int:
        return self.model.frames

    @property
    def frame_seconds(self) -> float:
        return self.clip_seconds / self.frames

    @property
    def identity(self) -> str:
        """SHA-256 of the model config and weights (:mod:`flamkit.inference.identity`), computed once."""
        if self._identity is None:
            from flamkit.inference.identity import model_identity

            self._identity = model_identity(self.model, self.model_config)
        return self._identity

    def plan(self, hop: float | None = None) -> WindowPlan:
        return WindowPlan.for_model(self.sample_rate, self.clip_seconds, self.frames, self.overlap, hop)

    # -- text ----------------------------------------------------------------------------------
    def _check_query(self, i: int, query: str) -> str:
        if not isinstance(query, str):
            raise TypeError(f"query {i} must be a string; got {type(query).__name__}")
        norm = normalize_text(query)
        if not norm:
            raise ValueError(f"query {i} is empty: describe the sound to find, e.g. 'glass breaking'")
        encoder = self.model.text_encoder
        tokenizer, max_tokens = getattr(encoder, "tokenizer", None), getattr(encoder, "max_tokens", None)
        if tokenizer is not None and max_tokens:
            n = len(tokenizer(norm, truncation=False)["input_ids"])
            if n > max_tokens:
                warnings.warn(
                    f"query {i} ({norm[:40]!r}...) is {n} tokens long; the text encoder reads only the first "
                    f"{max_tokens}, the rest is ignored. Shorten the description.",
                    stacklevel=3,
                )
        return norm

    def embed_text(self, queries: str | Sequence[str]) -> TextEmbeddings:
        """Text embeddings ``[K, d]`` with each query's logit scale and bias ``[K]`` (CPU float32).

        Queries are normalised (:func:`flamkit.textids.normalize_text`: lower case, single spaces)
        before encoding, and each normalised query is encoded once per detector:

            >>> t = det.embed_text(["Glass breaking", "glass  breaking"])   # one encoder call, two equal rows
            >>> t.emb.shape, t.scale, t.bias
        """
        queries = [queries] if isinstance(queries, str) else list(queries)
        if not queries:
            raise ValueError("no queries: give at least one description of a sound")
        norms = [self._check_query(i, q) for i, q in enumerate(queries)]
        missing = list(dict.fromkeys(n for n in norms if n not in self._text_cache))
        if missing:
            with torch.inference_mode():
                t = self.model.encode_text(missing)
            for j, n in enumerate(missing):
                self._text_cache[n] = (t.emb[j].detach().float().cpu(), float(t.scale[j].detach()), float(t.bias[j].detach()))
        rows = [self._text_cache[n] for n in norms]
        return TextEmbeddings(
            emb=torch.stack([r[0] for r in rows]),
            scale=torch.tensor([r[1] for r in rows], dtype=torch.float32),
            bias=torch.tensor([r[2] for r in rows], dtype=torch.float32),
        )

    # -- audio streams ---------------------------------------------------------------------------
    def _stream(self, source: Source, sr: int | None, plan: WindowPlan) -> _Stream:
        if is_path(source):
            path = os.fspath(source)
            meta = audio_io.info(path)  # DataError naming the file if it cannot be opened
            if meta.frames == 0:
                return _Stream(iter(()), [f"{path}: zero-length audio (no samples); nothing to detect"])
            blocks = audio_io.iter_blocks(
                path, plan.sample_rate, plan.clip_samples / plan.sample_rate, plan.overlap_samples / plan.sample_rate
            )
            return _Stream((int(round(s * plan.sample_rate)), b) for s, b in blocks)
        audio = to_mono(source, sr, plan.sample_rate)
        notes = [] if len(audio) else ["empty audio (no samples); nothing to detect"]
        return _Stream(array_blocks(audio, plan.clip_samples, plan.hop_samples), notes)

    def _encoded_batches(
        self, stream: _Stream, plan: WindowPlan, hook: BlockHook | None
    ) -> Iterator[tuple[list[int], list[int], torch.Tensor]]:
        """(frame offsets, valid frame counts, frame embeddings [B, L, d]) per batch of windows."""
        batch = torch.zeros(self.batch_size, plan.clip_samples)
        offsets: list[int] = []
        valid: list[int] = []

        def run() -> tuple[list[int], list[int], torch.Tensor]:
            with torch.inference_mode():
                frames = self.model.encode_audio(batch[: len(offsets)].to(self.device)).frames
            return offsets[:], valid[:], frames

        for start, block in stream.blocks:
            if hook is not None:
                hook(start, block)
            i = len(offsets)
            batch[i, : len(block)] = torch.from_numpy(np.ascontiguousarray(block))
            batch[i, len(block) :] = 0.0
            offsets.append(plan.frame_offset(start))
            valid.append(min(plan.frames, plan.num_frames(len(block))))
            if len(offsets) == self.batch_size:
                yield run()
                offsets.clear()
                valid.clear()
        if offsets:
            yield run()

    def _scan(
        self, source: Source, sr: int | None, hop: float | None, hook: BlockHook | None,
        consume: Callable[[list[int], list[int], torch.Tensor], None],
    ) -> tuple[WindowPlan, int]:
        """Run every window of ``source`` through the audio encoder; returns the plan and the samples seen."""
        plan = self.plan(hop)
        stream = self._stream(source, sr, plan)
        end = [0]

        def track(start: int, block: np.ndarray) -> None:
            end[0] = max(end[0], start + len(block))
            if hook is not None:
                hook(start, block)

        for offsets, valid, frames in self._encoded_batches(stream, plan, track):
            consume(offsets, valid, frames)
        for note in stream.warnings:
            warnings.warn(note, stacklevel=3)
        return plan, end[0]

    # -- public API ------------------------------------------------------------------------------
    def frame_probabilities(
        self,
        audio: Source,
        sr: int | None = None,
        queries: str | Sequence[str] = (),
        mode: str = "unbiased",
        median: int = 3,
        hop: float | None = None,
    ) -> FrameProbabilities:
        """Probabilities ``[K, N]`` that each query sounds in each frame of ``audio``.

        ``audio``: a file path (streamed; ``sr`` is ignored) or samples ``[T]`` / ``[T, C]`` at
        ``sr`` Hz. ``mode``: ``"unbiased"`` (0.5 is every query's decision boundary, eq. 21) or
        ``"approximate"`` (sigmoid(alpha cos), eq. 8); see :mod:`flamkit.scoring`. ``median``: width
        in frames of the running median applied after stitching (1 = none). ``hop``: window hop in
        seconds (rounded to whole frames), overriding the detector's ``overlap``.

            >>> fp = det.frame_probabilities("take3.wav", queries=["door knock"], median=1)
            >>> fp.probs[0].max(), fp.times[fp.probs[0].argmax()]
        """
        return self._probabilities(audio, sr, queries, mode, median, hop, None)

    def _probabilities(
        self, audio: Source, sr: int | None, queries: str | Sequence[str], mode: str, median: int,
        hop: float | None, hook: BlockHook | None,
    ) -> FrameProbabilities:
        check_options(median=median, mode=mode)
        queries = [queries] if isinstance(queries, str) else list(queries)
        text = self.embed_text(queries)
        emb, scale, bias = text.emb.to(self.device), text.scale.to(self.device), text.bias.to(self.device)
        averager = OverlapAverager(len(queries))

        def consume(offsets: list[int], valid: list[int], frames: torch.Tensor) -> None:
            cos = torch.einsum("bld,kd->bkl", frames.float(), emb)
            scores = frame_scores(cos, scale, bias, mode=mode).cpu().numpy()  # [B, K, L]
            for b, (off, n) in enumerate(zip(offsets, valid)):
                averager.add(off, scores[b, :, :n].T)

        plan, samples = self._scan(audio, sr, hop, hook, consume)
        probs = averager.mean().T.astype(np.float32)  # [K, N]
        if median > 1 and probs.shape[1]:
            probs = median_filter(torch.from_numpy(probs), median).numpy()
        return FrameProbabilities(queries, np.ascontiguousarray(probs), plan.frame_seconds, samples / plan.sample_rate)

    def run(
        self,
        audio: Source,
        queries: str | Sequence[str],
        sr: int | None = None,
        threshold: float = 0.5,
        min_duration: float = 0.0,
        median: int = 3,
        mode: str = "unbiased",
        hop: float | None = None,
        name: str | None = None,
        spectrogram: bool = False,
    ) -> DetectionResult:
        """:meth:`frame_probabilities` and :meth:`detect` in one pass, plus the spectrogram for a figure."""
        check_options(threshold, min_duration, median, mode)
        label = name if name is not None else (os.fspath(audio) if is_path(audio) else "")
        spec = None
        hook = None
        if spectrogram:
            from flamkit.inference.plot import CoarseSpectrogram

            if is_path(audio):
                meta = audio_io.info(audio)
                expected = int(round(meta.frames * self.sample_rate / meta.sample_rate))
            else:
                audio, sr = to_mono(audio, sr, self.sample_rate), self.sample_rate
                expected = len(audio)
            spec = CoarseSpectrogram(self.sample_rate, expected)
            hook = spec.feed
        fp = self._probabilities(audio, sr, queries, mode, median, hop, hook)
        events = events_from_probabilities(
            fp.probs, fp.queries, fp.frame_seconds, fp.duration, threshold, min_duration, label
        )
        return DetectionResult(fp, events, spec.result() if spec is not None else None, self.sample_rate)

    def detect(
        self,
        audio_or_path: Source,
        queries: str | Sequence[str],
        threshold: float = 0.5,
        min_duration: float = 0.0,
        median: int = 3,
        mode: str = "unbiased",
        sr: int | None = None,
        hop: float | None = None,
        name: str | None = None,
    ) -> list[DetectedEvent]:
        """Events where a query's frame probability exceeds ``threshold`` for at least ``min_duration`` s.

            >>> det.detect("kitchen.wav", ["glass breaking"], threshold=0.5, min_duration=0.3)
            [DetectedEvent(file='kitchen.wav', onset=12.5, offset=13.4375, label='glass breaking', peak=0.97, mean=0.88)]
            >>> det.detect(samples, "dog barking", sr=48000, name="mic-2")   # an array: name it for the events

        Onsets and offsets are on the frame grid (``clip_seconds / L``: 0.3125 s for 32 frames per
        10 s); see :mod:`flamkit.inference.events` for the rule.
        """
        return self.run(audio_or_path, queries, sr, threshold, min_duration, median, mode, hop, name).events

    def embed_audio(self, audio: Source, sr: int | None = None, hop: float | None = None) -> FrameEmbeddings:
        """Frame embeddings ``[N, d]`` of a recording of any duration (see :class:`FrameEmbeddings`).

            >>> fe = det.embed_audio("take3.wav")
            >>> scores = fe.frames @ det.embed_text("door knock").emb[0].numpy()   # mean cosine per frame
        """
        averager: OverlapAverager | None = None

        def consume(offsets: list[int], valid: list[int], frames: torch.Tensor) -> None:
            nonlocal averager
            x = frames.float().cpu().numpy()
            if averager is None:
                averager = OverlapAverager(x.shape[-1], dtype=np.float32)
            for b, (off, n) in enumerate(zip(offsets, valid)):
                averager.add(off, x[b, :n])

        plan, samples = self._scan(audio, sr, hop, None, consume)
        if averager is None:  # empty audio: no window ran; one silent clip tells the embedding width
            with torch.inference_mode():
                dim = self.model.encode_audio(torch.zeros(1, plan.clip_samples, device=self.device)).frames.shape[-1]
            return FrameEmbeddings(np.zeros((0, int(dim)), np.float32), plan.frame_seconds, 0.0)
        return FrameEmbeddings(averager.mean().astype(np.float32), plan.frame_seconds, samples / plan.sample_rate)


def load(
    checkpoint: str | os.PathLike,
    device: str | torch.device | None = None,
    overlap: float = 0.5,
    batch_size: int = 16,
    query_expansion: QueryExpansion | None = None,
) -> Detector:
    """A :class:`Detector` for a run folder or its ``checkpoints/`` folder (the run's final checkpoint,
    :func:`flamkit.checkpoints.choose_checkpoint`) or one checkpoint folder (``ckpt-<step>``, ``best``);
    ``device=None`` picks CUDA when available. ``det.checkpoint_choice`` says which and why.
    ``query_expansion`` pulls each query toward the descriptions the run trained on
    (:mod:`flamkit.models.query_expansion`; it needs the run folder).

        >>> import flamkit
        >>> det = flamkit.load("runs/flam/cpu-0", device="cpu")
        >>> det.detect("recording.wav", ["glass breaking"])
    """
    dev = torch.device(device) if device is not None else _default_device()
    loaded = load_checkpoint_model(checkpoint, dev)
    disable_feature_memo(loaded.model)
    expand_queries(loaded, query_expansion)
    yaml = (loaded.checkpoint / "model.yaml").read_text()
    det = Detector(loaded.model, dev, overlap, batch_size, yaml, loaded.checkpoint)
    det.checkpoint_choice = loaded.choice
    return det
